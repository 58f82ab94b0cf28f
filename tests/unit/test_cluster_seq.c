/* Serial-number comparison of mobility sequence numbers (RFC 1982), at
 * the wrap and at the undefined half-way point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cluster_seq.h"

static void ordinary(void **state)
{
	(void)state;
	assert_true(seq_newer(2, 1));
	assert_false(seq_newer(1, 2));
	assert_false(seq_newer(7, 7));
	assert_true(seq_newer(0x7fffffffu, 0));
}

static void wrap(void **state)
{
	(void)state;
	/* 0xffffffff + 1 is 0, and 0 is newer: the wrap is harmless. */
	assert_int_equal(seq_next(0xffffffffu), 0);
	assert_true(seq_newer(0, 0xffffffffu));
	assert_false(seq_newer(0xffffffffu, 0));
	assert_true(seq_newer(5, 0xfffffff0u));
	assert_true(seq_newer(0x7ffffffeu, 0xffffffffu));
	assert_false(seq_newer(0xffffffffu, 0x7ffffffeu));
}

static void halfway(void **state)
{
	(void)state;
	/* Exactly 2^31 apart: undefined in RFC 1982, newer neither way. */
	assert_false(seq_newer(0x80000000u, 0));
	assert_false(seq_newer(0, 0x80000000u));
	assert_false(seq_newer(0x80000005u, 5));
	assert_true(seq_newer(0x80000004u, 5));
	assert_false(seq_at_least(0x80000005u, 5));
	assert_false(seq_at_least(5, 0x80000005u));
	assert_true(seq_at_least(5, 5));
	assert_true(seq_at_least(0, 0xffffffffu));
	assert_false(seq_at_least(0xffffffffu, 0));
}

static void successor_is_newer(void **state)
{
	(void)state;
	for (uint64_t s = 0; s <= 0xffffffffu; s += 0x0fffffffu) {
		uint32_t a = (uint32_t)s;
		assert_true(seq_newer(seq_next(a), a));
		assert_false(seq_newer(a, seq_next(a)));
	}
	assert_true(seq_newer(seq_next(0xffffffffu), 0xffffffffu));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ordinary),
		cmocka_unit_test(wrap),
		cmocka_unit_test(halfway),
		cmocka_unit_test(successor_is_newer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
