/* The bounded, sorted host table: lookups among many hosts, the caps on
 * hosts and vnets per host, removal, and the hold-time clamp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cluster_hosts.h"
#include "unit_addr.h"


static struct vnet_id vnet(unsigned n)
{
	struct vnet_id v = { 0 };

	v.b[15] = (uint8_t)n;
	v.b[14] = (uint8_t)(n >> 8);
	return v;
}

static void find_among_many(void **state)
{
	struct hosts t;

	(void)state;
	hosts_init(&t, 1000, 8);
	/* Added out of order: found in any order, and kept sorted. */
	for (uint32_t i = 0; i < 1000; i++) {
		struct proto_addr a = unit_addr(i * 7919u % 1000u);
		assert_null(hosts_find(&t, &a));
		assert_non_null(hosts_add(&t, &a));
	}
	for (uint32_t i = 0; i < 1000; i++) {
		struct proto_addr a = unit_addr(i);
		struct host *h = hosts_find(&t, &a);
		assert_non_null(h);
		assert_memory_equal(h->addr.b, a.b, 16);
	}
	for (size_t i = 1; i < t.n; i++)
		assert_true(memcmp(t.v[i - 1].addr.b, t.v[i].addr.b, 16) < 0);
	/* Full: no more. */
	struct proto_addr extra = unit_addr(5000);
	assert_null(hosts_add(&t, &extra));
	assert_int_equal(t.n, 1000);
	/* Removal keeps the rest findable. */
	for (uint32_t i = 0; i < 1000; i += 2) {
		struct proto_addr a = unit_addr(i);
		hosts_del(&t, hosts_find(&t, &a));
	}
	assert_int_equal(t.n, 500);
	for (uint32_t i = 0; i < 1000; i++) {
		struct proto_addr a = unit_addr(i);
		if (i % 2)
			assert_non_null(hosts_find(&t, &a));
		else
			assert_null(hosts_find(&t, &a));
	}
	assert_non_null(hosts_add(&t, &extra));
	hosts_free(&t);
}

static void vnets_capped(void **state)
{
	struct hosts t;
	struct proto_addr a = unit_addr(1);

	(void)state;
	hosts_init(&t, 4, 3);
	struct host *h = hosts_add(&t, &a);
	for (unsigned i = 0; i < 3; i++) {
		struct vnet_id v = vnet(100 + i);
		assert_int_equal(hosts_touch_vnet(&t, h, &v, 10), 1);
	}
	struct vnet_id v = vnet(100), w = vnet(200);
	assert_int_equal(hosts_touch_vnet(&t, h, &v, 20), 0);   /* known: refreshed */
	assert_int_equal(h->vnets[0].expires_ms, 20);
	assert_int_equal(hosts_touch_vnet(&t, h, &w, 20), -1);  /* a fourth: refused */
	assert_int_equal(h->nvnets, 3);
	hosts_free(&t);
}

static void hold_clamped(void **state)
{
	(void)state;
	assert_int_equal(hosts_hold(0), 0);                     /* leaving */
	assert_int_equal(hosts_hold(1), HOSTS_HOLD_MIN_S);
	assert_int_equal(hosts_hold(30), 30);
	assert_int_equal(hosts_hold(65535), HOSTS_HOLD_MAX_S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_among_many),
		cmocka_unit_test(vnets_capped),
		cmocka_unit_test(hold_clamped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
