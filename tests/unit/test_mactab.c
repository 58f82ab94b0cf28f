/* Counting a MAC's moves for the flapping warning (mactab_count_move). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mactab.h"

/* A fresh entry, as mactab_get hands it out. */
static struct mac_entry fresh(void)
{
	struct mac_entry e;
	memset(&e, 0, sizeof(e));
	return e;
}

/* Six moves within 25 s flap, even on a host up for less than the window
 * (the monotonic clock counts from boot: a freshly booted dom0, or the
 * emulated hosts of tests/vm, where it was seen).  The window opens at the
 * first move. */
static void young_host(void **state)
{
	(void)state;
	struct mac_entry e = fresh();
	const uint64_t at[] = { 170000, 175000, 180500, 185000, 190000 };
	for (size_t i = 0; i < 5; i++)
		assert_false(mactab_count_move(&e, at[i], 180, 5));
	assert_true(mactab_count_move(&e, 195000, 180, 5));
	/* Once per window. */
	assert_false(mactab_count_move(&e, 196000, 180, 5));
}

/* Moves further apart than the window never flap. */
static void slow_moves(void **state)
{
	(void)state;
	struct mac_entry e = fresh();
	for (uint64_t t = 1000000; t < 1000000 + 20 * 40000; t += 40000)
		assert_false(mactab_count_move(&e, t, 180, 5));
}

/* A new window after the old one ends counts from zero again. */
static void next_window(void **state)
{
	(void)state;
	struct mac_entry e = fresh();
	uint64_t t = 5000000;
	for (int i = 0; i < 5; i++)
		assert_false(mactab_count_move(&e, t + i * 1000u, 180, 5));
	t += 181000 + 5000;
	for (int i = 0; i < 5; i++)
		assert_false(mactab_count_move(&e, t + i * 1000u, 180, 5));
	assert_true(mactab_count_move(&e, t + 5000, 180, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(young_host),
		cmocka_unit_test(slow_moves),
		cmocka_unit_test(next_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
