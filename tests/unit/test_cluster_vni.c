/* What other hosts said about their VNIs and MTUs (cluster_vni.c): parts
 * replaced, hosts forgotten, entries expired, and each disagreement found
 * with a reason naming the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "cluster_vni.h"
#include "config.h"

/* Host n of the lab: 192.0.2.n. */
static struct proto_addr host(uint8_t n)
{
	struct in_addr in = { htonl(0xc0000200u | n) };
	struct proto_addr a;

	proto_addr_from_in(&a, &in);
	return a;
}

static struct proto_vnet pv(uint8_t id, uint32_t vni, uint16_t mtu)
{
	struct proto_vnet v = { .vni = vni, .mtu = mtu };

	v.id.b[15] = id;
	return v;
}

static bool hello(struct cvni *t, uint8_t from, struct proto_vnet *v, size_t n, uint8_t part,
		  uint8_t parts, uint64_t now)
{
	struct proto_msg m = { .type = PROTO_HELLO, .origin = host(from), .hold_s = 3, .part = part,
			       .parts = parts, .vnets = v, .nvnets = n };
	return cvni_hello(t, &m, now);
}

static void reasons(void **state)
{
	struct cvni t;
	struct proto_vnet h2[2] = { pv(0x98, 151, 1450), pv(0x99, 153, 1450) };
	struct proto_vnet mine = pv(0x97, 151, 1450);
	char why[256];

	(void)state;
	cvni_init(&t, 1024);
	assert_false(cvni_check(&t, &mine, why, sizeof(why)));
	assert_true(hello(&t, 2, h2, 2, 0, 1, 1000));
	assert_false(hello(&t, 2, h2, 2, 0, 1, 2000)); /* the same again */
	/* Another id on our VNI. */
	assert_true(cvni_check(&t, &mine, why, sizeof(why)));
	assert_string_equal(why, "host 192.0.2.2 carries vnet 98 on vni 151");
	/* Our id on another VNI. */
	mine = pv(0x99, 152, 1450);
	assert_true(cvni_check(&t, &mine, why, sizeof(why)));
	assert_string_equal(why, "host 192.0.2.2 has vnet 99 on vni 153, here 152");
	/* Our id on our VNI with another MTU. */
	mine = pv(0x99, 153, 1400);
	assert_true(cvni_check(&t, &mine, why, sizeof(why)));
	assert_string_equal(why, "mtu 1400 here, 1450 on host 192.0.2.2");
	/* In agreement; and a vnet nobody else has. */
	mine = pv(0x99, 153, 1450);
	assert_false(cvni_check(&t, &mine, why, sizeof(why)));
	mine = pv(0x42, 66, 1450);
	assert_false(cvni_check(&t, &mine, why, sizeof(why)));
	cvni_free(&t);
}

static void parts_hosts_expiry(void **state)
{
	struct cvni t;
	struct proto_vnet a = pv(0x98, 151, 1450), b = pv(0x9a, 154, 1450), c = pv(0x9b, 155, 1450);
	struct proto_vnet mine = pv(0x97, 151, 1450);
	char why[256];

	(void)state;
	cvni_init(&t, 1024);
	/* Two parts from h2: part 0 says 98, part 1 says 9a. */
	hello(&t, 2, &a, 1, 0, 2, 1000);
	hello(&t, 2, &b, 1, 1, 2, 1000);
	assert_int_equal(t.n, 2);
	/* Part 0 again without 98: 98 is gone, part 1 stays. */
	assert_true(hello(&t, 2, &c, 1, 0, 2, 1500));
	assert_int_equal(t.n, 2);
	assert_false(cvni_check(&t, &mine, why, sizeof(why)));
	/* Fewer parts: part 1 goes. */
	assert_true(hello(&t, 2, &c, 1, 0, 1, 1600));
	assert_int_equal(t.n, 1);
	/* h3 says 98 on 151; forgetting h2 leaves it. */
	hello(&t, 3, &a, 1, 0, 1, 1700);
	struct proto_addr h2 = host(2);
	assert_true(cvni_forget(&t, &h2));
	assert_false(cvni_forget(&t, &h2));
	assert_true(cvni_check(&t, &mine, why, sizeof(why)));
	assert_string_equal(why, "host 192.0.2.3 carries vnet 98 on vni 151");
	/* Not repeated within its hold time (3 s): gone. */
	assert_false(cvni_expire(&t, 1700 + 2999));
	assert_true(cvni_expire(&t, 1700 + 3000));
	assert_int_equal(t.n, 0);
	assert_false(cvni_check(&t, &mine, why, sizeof(why)));
	cvni_free(&t);
}

/* max_vni_entries: what other hosts say fills at most that many entries;
 * refreshes of kept ones still count, and room freed is used again. */
static void bounded(void **state)
{
	struct cvni t;
	struct proto_vnet h2[2] = { pv(0x98, 151, 1450), pv(0x99, 153, 1450) };
	struct proto_vnet h3[2] = { pv(0x9a, 154, 1450), pv(0x97, 151, 1450) };
	struct proto_vnet mine = pv(0x97, 152, 1450);
	struct proto_addr a2 = host(2);
	char why[256];

	(void)state;
	cvni_init(&t, 3);
	assert_true(hello(&t, 2, h2, 2, 0, 1, 1000));
	assert_true(hello(&t, 3, h3, 2, 0, 1, 1000));
	assert_int_equal(t.n, 3);
	assert_int_equal(t.refused, 1);
	/* h3's vnet 97, refused, goes unchecked. */
	assert_false(cvni_check(&t, &mine, why, sizeof(why)));
	/* Kept entries are refreshed when full; the one refused is refused again. */
	assert_false(hello(&t, 2, h2, 2, 0, 1, 2000));
	assert_false(hello(&t, 3, h3, 2, 0, 1, 2000));
	assert_int_equal(t.n, 3);
	assert_int_equal(t.refused, 2);
	assert_false(cvni_expire(&t, 4999));
	/* h2 leaves: room for h3's second vnet. */
	assert_true(cvni_forget(&t, &a2));
	assert_true(hello(&t, 3, h3, 2, 0, 1, 3000));
	assert_int_equal(t.n, 2);
	assert_int_equal(t.refused, 2);
	assert_true(cvni_check(&t, &mine, why, sizeof(why)));
	assert_string_equal(why, "host 192.0.2.3 has vnet 97 on vni 151, here 152");
	/* Forgetting everything keeps the bound. */
	cvni_free(&t);
	assert_int_equal(t.max, 3);
}

/* The bound's option: its documented default, and its range. */
static void bound_option(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.max_vni_entries, 262144);
	assert_int_equal(config_set(&c, "max_vni_entries", "5", err, sizeof(err)), 0);
	assert_int_equal(c.max_vni_entries, 5);
	assert_int_equal(config_set(&c, "max_vni_entries", "0", err, sizeof(err)), -1);
	assert_int_equal(c.max_vni_entries, 5);
}

static void local_side(void **state)
{
	struct vnet_def def = { .vni = 151 };
	struct vnet_status st = { .key = "97", .valid = true, .def = &def, .state = VNET_ST_UP, .reason = "" };
	struct kern_underlay u = { .family = AF_INET, .mtu = 1500 };
	struct proto_vnet v;

	(void)state;
	def.id.b[15] = 0x97;
	assert_true(cvni_carried(&st));
	cvni_local(&st, &u, &v);
	assert_int_equal(v.vni, 151);
	assert_int_equal(v.mtu, 1450);
	assert_true(proto_vnet_ok(&v));
	def.mtu = 1400;
	cvni_local(&st, &u, &v);
	assert_int_equal(v.mtu, 1400);
	/* Down for a disagreement: still said, so the other side sees it. */
	st.state = VNET_ST_ERROR;
	assert_false(cvni_carried(&st));
	st.remote = true;
	assert_true(cvni_carried(&st));
	st.valid = false;
	assert_false(cvni_carried(&st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reasons),
		cmocka_unit_test(parts_hosts_expiry),
		cmocka_unit_test(bounded),
		cmocka_unit_test(bound_option),
		cmocka_unit_test(local_side),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
