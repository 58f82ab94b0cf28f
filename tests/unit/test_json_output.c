/* vn's JSON output: strings as UTF-8 (not one escape per byte), keys in
 * the hyphen style, and tables that print their header when empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vn_output.h"

static char *captured;

static FILE *capture(void)
{
	static size_t len;
	free(captured);
	captured = NULL;
	return open_memstream(&captured, &len);
}

static void expect_json(const char *in, const char *want)
{
	FILE *f = capture();

	vn_json_string(f, in);
	fclose(f);
	assert_string_equal(captured, want);
}

static void utf8_passes_whole(void **state)
{
	(void)state;
	expect_json("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	expect_json("\xe2\x82\xac \xf0\x9f\x90\xa7", "\"\xe2\x82\xac \xf0\x9f\x90\xa7\"");
	expect_json(NULL, "null");
}

static void bad_bytes_become_replacement(void **state)
{
	(void)state;
	expect_json("ab\xff" "c", "\"ab\\ufffdc\"");
	expect_json("\xc3", "\"\\ufffd\"");                 /* cut short */
	expect_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");      /* overlong */
	expect_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
}

static void controls_are_escaped(void **state)
{
	(void)state;
	expect_json("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_json("l1\nl2\tx", "\"l1\\nl2\\tx\"");
	expect_json("\033[31m\x7f", "\"\\u001b[31m\\u007f\"");
	expect_json("\xc2\x9b" "1m", "\"\\u009b1m\"");      /* C1 CSI */
}

static void keys_keep_hyphens(void **state)
{
	static const struct vn_col cols[] = {
		{ "RX", "rx-packets", VN_COL_NUM },
		{ NULL, "long-id", VN_COL_STR },
	};
	struct vn_rows rows = { 0 };
	struct vn_record *r = vn_rows_add(&rows, "port");
	FILE *f;

	(void)state;
	assert_non_null(r);
	vn_record_set(r, "rx-packets", "12");
	vn_record_set(r, "long-id", "0:0:0:0:0:0:0:97");
	f = capture();
	vn_print_rows(f, &rows, cols, 2, true);
	fclose(f);
	assert_string_equal(captured, "[\n  {\"rx-packets\":12,\"long-id\":\"0:0:0:0:0:0:0:97\"}\n]\n");
	vn_rows_free(&rows);
}

static void empty_table_has_header(void **state)
{
	static const struct vn_col cols[] = {
		{ "ADDRESS", "addr", VN_COL_STR },
		{ NULL, "hidden", VN_COL_STR },
		{ "PORT", "port", VN_COL_NUM },
	};
	struct vn_rows rows = { 0 };
	FILE *f;

	(void)state;
	f = capture();
	vn_print_rows(f, &rows, cols, 3, false);
	fclose(f);
	assert_string_equal(captured, "ADDRESS  PORT\n");
	f = capture();
	vn_print_rows(f, &rows, cols, 3, true);
	fclose(f);
	assert_string_equal(captured, "[]\n");
	free(captured);
	captured = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_passes_whole),
		cmocka_unit_test(bad_bytes_become_replacement),
		cmocka_unit_test(controls_are_escaped),
		cmocka_unit_test(keys_keep_hyphens),
		cmocka_unit_test(empty_table_has_header),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(captured);
	return rc;
}
