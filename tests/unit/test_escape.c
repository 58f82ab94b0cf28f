/* Escaping of untrusted text: the helper, the daemon's log lines (journald
 * and plain stderr) and vn's tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "vn_output.h"
#include "vnet_escape.h"

static void expect_escape(const char *in, const char *want)
{
	char out[256];
	size_t n = vnet_escape(out, sizeof(out), in);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void controls_become_hex(void **state)
{
	(void)state;
	expect_escape("vnet97", "vnet97");
	expect_escape("a\nb", "a\\x0ab");
	expect_escape("\033[31mred", "\\x1b[31mred");
	expect_escape("tab\there\r", "tab\\x09here\\x0d");
	expect_escape("del\x7f", "del\\x7f");
	expect_escape("back\\slash", "back\\\\slash");
	expect_escape("", "");
}

static void utf8_passes_bad_bytes_do_not(void **state)
{
	(void)state;
	expect_escape("caf\xc3\xa9", "caf\xc3\xa9");                   /* é */
	expect_escape("\xe2\x82\xac 5", "\xe2\x82\xac 5");             /* € */
	expect_escape("\xf0\x9f\x90\xa7", "\xf0\x9f\x90\xa7");         /* 4 bytes */
	expect_escape("caf\xe9", "caf\\xe9");                          /* Latin-1 */
	expect_escape("\xc3", "\\xc3");                                /* cut short */
	expect_escape("\xc0\xaf", "\\xc0\\xaf");                       /* overlong '/' */
	expect_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");              /* surrogate */
	expect_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");     /* > U+10FFFF */
	expect_escape("\xc2\x9b" "2J", "\\xc2\\x9b2J");                /* C1 CSI */
	expect_escape("\xc2\xa0", "\xc2\xa0");                         /* NBSP is text */
}

static void truncation_is_whole_and_sized(void **state)
{
	char out[8];

	(void)state;
	/* "ab\x0a" needs 6; 8 bytes hold "ab\x0a" but not the é after it. */
	assert_int_equal(vnet_escape(out, sizeof(out), "ab\n\xc3\xa9xyz"), 11);
	assert_string_equal(out, "ab\\x0a");
	assert_int_equal(vnet_escape(NULL, 0, "\n"), 4);
	assert_int_equal(vnet_escape(out, 1, "abc"), 3);
	assert_string_equal(out, "");
}

static void width_counts_characters(void **state)
{
	(void)state;
	assert_int_equal(vnet_text_width("caf\xc3\xa9"), 4);
	assert_int_equal(vnet_text_width("a\\x0ab"), 6);
}

/* Log one error with stderr on a file; the file's text. */
static char *log_to_file(const char *journal_stream)
{
	char path[] = "/tmp/xenvnet-escape.XXXXXX", env[64];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct stat st;
	static char buf[1024];
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	assert_int_equal(fstat(fd, &st), 0);
	if (journal_stream && strcmp(journal_stream, "match") == 0) {
		snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", env, 1);
	} else if (journal_stream) {
		setenv("JOURNAL_STREAM", journal_stream, 1);
	} else {
		unsetenv("JOURNAL_STREAM");
	}
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	log_init("test", true, false);
	log_err("vnet 98: bridge '%s' is bad", "br\nX\033[31m");
	log_info("up");
	log_debug("not shown without -v");
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unsetenv("JOURNAL_STREAM");
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void journal_lines_have_priorities(void **state)
{
	(void)state;
	assert_string_equal(log_to_file("match"),
			    "<3>vnet 98: bridge 'br\\x0aX\\x1b[31m' is bad\n<6>up\n");
}

static void plain_stderr_has_timestamps(void **state)
{
	const char *cases[] = { NULL, "1:2", "garbage" };   /* unset, another stream, nonsense */

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = log_to_file(cases[i]);
		char *nl = strchr(s, '\n');
		assert_non_null(nl);
		*nl = '\0';
		assert_true(s[0] >= '1' && s[0] <= '9');
		assert_non_null(strstr(s, " error: vnet 98: bridge 'br\\x0aX\\x1b[31m' is bad"));
		assert_null(strchr(s, '<'));
		assert_non_null(strstr(nl + 1, " info: up\n"));
	}
}

static char *table(const struct vn_rows *rows, const struct vn_col *cols, size_t ncols)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	vn_print_rows(f, rows, cols, ncols, false);
	fclose(f);
	return buf;
}

static void table_cells_are_escaped_and_aligned(void **state)
{
	static const struct vn_col cols[] = {
		{ "BRIDGE", "bridge", VN_COL_STR },
		{ "MTU", "mtu", VN_COL_NUM },
		{ "NOTE", "note", VN_COL_STR },
	};
	struct vn_rows rows = { 0 };
	struct vn_record *r;

	(void)state;
	for (size_t i = 0; i < 3; i++)
		assert_non_null(vn_rows_add(&rows, "vnet"));
	r = rows.v;
	vn_record_set(&r[0], "bridge", "caf\xc3\xa9");
	vn_record_set(&r[0], "mtu", "1450");
	vn_record_set(&r[0], "note", "\033]0;pwned\007");
	vn_record_set(&r[1], "bridge", "a\nb");
	vn_record_set(&r[1], "mtu", "9000");
	vn_record_set(&r[1], "note", "ok");
	vn_record_set(&r[2], "bridge", "x");
	assert_string_equal(table(&rows, cols, 3),
			    "BRIDGE   MTU  NOTE\n"
			    "caf\xc3\xa9    1450  \\x1b]0;pwned\\x07\n"
			    "a\\x0ab  9000  ok\n"
			    "x          -  -\n");
	vn_rows_free(&rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(controls_become_hex),
		cmocka_unit_test(utf8_passes_bad_bytes_do_not),
		cmocka_unit_test(truncation_is_whole_and_sized),
		cmocka_unit_test(width_counts_characters),
		cmocka_unit_test(journal_lines_have_priorities),
		cmocka_unit_test(plain_stderr_has_timestamps),
		cmocka_unit_test(table_cells_are_escaped_and_aligned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
