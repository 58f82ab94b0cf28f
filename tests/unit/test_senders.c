/* Per-sender counts of dropped control messages: the wrong-key warning is
 * rate-limited per sender and overall, and the table stays bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "cluster_senders.h"

static struct proto_addr addr_n(unsigned n)
{
	struct proto_addr a;
	struct in_addr in = { htonl(0xc0000200u + (n & 0xff)) }; /* 192.0.2.n */

	if (n > 0xff)
		in.s_addr = htonl(0xc6336400u + (n & 0xff)); /* 198.51.100.n */
	proto_addr_from_in(&a, &in);
	return a;
}

static void one_warning_a_minute_per_sender(void **state)
{
	struct senders *s = calloc(1, sizeof(*s));
	struct proto_addr a = addr_n(2);

	(void)state;
	assert_true(senders_count(s, &a, SENDER_BAD_MAC, 1000));
	for (uint64_t t = 2000; t < 1000 + SENDERS_WARN_MS; t += 1000)
		assert_false(senders_count(s, &a, SENDER_BAD_MAC, t));
	assert_true(senders_count(s, &a, SENDER_BAD_MAC, 1000 + SENDERS_WARN_MS));
	assert_false(senders_count(s, &a, SENDER_REPLAYED, 1000 + SENDERS_WARN_MS));
	const struct sender *e = senders_find(s, &a);
	assert_non_null(e);
	assert_int_equal(e->bad_mac, SENDERS_WARN_MS / 1000 + 1);
	assert_int_equal(e->replayed, 1);
	free(s);
}

static void many_senders_few_warnings(void **state)
{
	struct senders *s = calloc(1, sizeof(*s));
	unsigned warned = 0;

	(void)state;
	for (unsigned i = 1; i <= 100; i++) {
		struct proto_addr a = addr_n(i);
		warned += senders_count(s, &a, SENDER_BAD_MAC, 5000);
	}
	assert_int_equal(warned, SENDERS_WARN_BURST);
	free(s);
}

static void table_is_bounded_quietest_goes(void **state)
{
	struct senders *s = calloc(1, sizeof(*s));
	struct proto_addr first = addr_n(1), last = addr_n(SENDERS_MAX + 1);

	(void)state;
	for (unsigned i = 1; i <= SENDERS_MAX; i++) {
		struct proto_addr a = addr_n(i);
		senders_count(s, &a, SENDER_REPLAYED, 100 + i);
	}
	assert_int_equal(s->n, SENDERS_MAX);
	senders_count(s, &last, SENDER_BAD_MAC, 100000);
	assert_int_equal(s->n, SENDERS_MAX);
	assert_null(senders_find(s, &first));
	assert_non_null(senders_find(s, &last));
	assert_int_equal(senders_find(s, &last)->bad_mac, 1);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_warning_a_minute_per_sender),
		cmocka_unit_test(many_senders_few_warnings),
		cmocka_unit_test(table_is_bounded_quietest_goes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
