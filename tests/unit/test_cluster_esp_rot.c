/* The key epoch offset (vn key-rotate, docs/esp-keys.md "Rotation on
 * demand"): which announced offsets a host adopts (serial order, bounded
 * step), the epoch and hard lifetime arithmetic with an offset, and the
 * offset kept on disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_esp_gen.h"
#include "cluster_esp_rot.h"

static void adopt_forward_only(void **state)
{
	(void)state;
	assert_int_equal(cesp_rot_adopt(5, 5), CESP_ROT_KEEP);
	assert_int_equal(cesp_rot_adopt(5, 6), CESP_ROT_ADOPT);
	assert_int_equal(cesp_rot_adopt(5, 4), CESP_ROT_KEEP);       /* never back */
	assert_int_equal(cesp_rot_adopt(0, 0), CESP_ROT_KEEP);
	assert_int_equal(cesp_rot_adopt(7, 0), CESP_ROT_KEEP);       /* an absent offset reads 0 */
}

static void adopt_bounded(void **state)
{
	(void)state;
	assert_int_equal(cesp_rot_adopt(100, 100 + CESP_ROT_STEP_MAX), CESP_ROT_ADOPT);
	assert_int_equal(cesp_rot_adopt(100, 100 + CESP_ROT_STEP_MAX + 1), CESP_ROT_REFUSE);
	assert_int_equal(cesp_rot_adopt(0, 0x7fffffffu), CESP_ROT_REFUSE);
	/* the ambiguous half of the circle is "behind": nothing moves */
	assert_int_equal(cesp_rot_adopt(0, 0x80000000u), CESP_ROT_KEEP);
	assert_int_equal(cesp_rot_adopt(0x80000000u, 0), CESP_ROT_KEEP);
}

static void adopt_wraps(void **state)
{
	(void)state;
	/* RFC 1982: 0 follows 0xffffffff */
	assert_int_equal(cesp_rot_adopt(0xffffffffu, 0), CESP_ROT_ADOPT);
	assert_int_equal(cesp_rot_adopt(0xfffffff0u, 5), CESP_ROT_ADOPT);
	assert_int_equal(cesp_rot_adopt(5, 0xfffffff0u), CESP_ROT_KEEP);
}

/* Hosts that each adopt what the others announce end on the highest
 * offset, whatever the order, and none ever goes back. */
static void cluster_converges(void **state)
{
	/* 0xffffffff is 10 behind 9 (wrapped) */
	uint32_t off[5] = { 3, 9, 4, 0xffffffffu, 8 };

	(void)state;
	for (int round = 0; round < 3; round++)
		for (int a = 4; a >= 0; a--)
			for (int b = 0; b < 5; b++) {
				uint32_t before = off[a];

				if (cesp_rot_adopt(off[a], off[b]) == CESP_ROT_ADOPT)
					off[a] = off[b];
				assert_true((int32_t)(off[a] - before) >= 0);
			}
	for (int i = 0; i < 5; i++)
		assert_int_equal(off[i], 9);
}

static void epoch_with_offset(void **state)
{
	uint64_t next = 0;

	(void)state;
	/* 10 s periods: 12.345 s is period 1 */
	assert_int_equal(cesp_rot_epoch(12345, 10, 0, &next), 1);
	assert_int_equal(next, 7655);
	assert_int_equal(cesp_rot_epoch(12345, 10, 4, NULL), 5);
	assert_int_equal(cesp_rot_epoch(10000, 10, 0, &next), 1);
	assert_int_equal(next, 10000);
	/* the offset wraps the epoch like any 32-bit counter */
	assert_int_equal(cesp_rot_epoch(12345, 10, 0xffffffffu, NULL), 0);
	/* rotating adds one epoch without touching the wall-clock boundary */
	assert_int_equal(cesp_rot_epoch(12345, 10, 5, &next) - cesp_rot_epoch(12345, 10, 4, NULL), 1);
	assert_int_equal(next, 7655);
}

static void hard_lifetime(void **state)
{
	(void)state;
	/* epoch 5 with offset 4 is the wall-clock period 1 (10..20 s): its
	 * SAs live until the end of period 2, 30 s */
	assert_int_equal(cesp_rot_hard_s(5, 4, 10, 12), 18);
	/* after a rotation (offset 5), epoch 5 is period 0: it ends at 20 s,
	 * still after the end of the period in which peers may send it */
	assert_int_equal(cesp_rot_hard_s(5, 5, 10, 12), 8);
	/* the new epoch 6 lives as long as 5 did before */
	assert_int_equal(cesp_rot_hard_s(6, 5, 10, 12), 18);
	/* never 0 (0 would mean "no limit" to the kernel) */
	assert_int_equal(cesp_rot_hard_s(1, 0, 10, 100), 1);
}

static void offset_on_disk(void **state)
{
	char dir[] = "/tmp/test_esp_rot.XXXXXX", path[64];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(cesp_offset_load(dir), 0);           /* none saved */
	assert_int_equal(cesp_offset_save(dir, 0x1234abcdu), 0);
	assert_int_equal(cesp_offset_load(dir), 0x1234abcdu);
	assert_int_equal(cesp_offset_save(dir, 7), 0);
	assert_int_equal(cesp_offset_load(dir), 7);
	snprintf(path, sizeof(path), "%s/esp-offset", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("garbage\n", f);
	fclose(f);
	assert_int_equal(cesp_offset_load(dir), 0);           /* the peers bring it back */
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	/* a directory that does not exist: refused, said */
	assert_int_equal(cesp_offset_save("/nonexistent/xenvnet", 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adopt_forward_only),
		cmocka_unit_test(adopt_bounded),
		cmocka_unit_test(adopt_wraps),
		cmocka_unit_test(cluster_converges),
		cmocka_unit_test(epoch_with_offset),
		cmocka_unit_test(hard_lifetime),
		cmocka_unit_test(offset_on_disk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
