/* The SXP reader and the (vnet ...) form: every example of vnet.sxp(5),
 * and the hostile inputs of issue #3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sxp.h"
#include "vnet_sxp.h"

/* Read text that must be a valid vnet; the caller frees v. */
static void read_ok(const char *text, struct vnet_sxp *v)
{
	struct sxp_error err;

	if (vnet_sxp_read(text, strlen(text), v, &err) != 0)
		fail_msg("rejected at %u:%u: %s\n%s", err.pos.line, err.pos.col, err.msg, text);
}

/* Read bytes that must fail at line:col with a message containing word. */
static void read_bad_n(const char *text, size_t len, unsigned line, unsigned col, const char *word)
{
	struct vnet_sxp v;
	struct sxp_error err;

	int rc = vnet_sxp_read(text, len, &v, &err);
	vnet_sxp_free(&v);
	if (rc != -1)
		fail_msg("accepted: %.200s", text);
	if (!strstr(err.msg, word) || err.pos.line != line || err.pos.col != col)
		fail_msg("got %u:%u: %s; wanted %u:%u: ...%s...", err.pos.line, err.pos.col, err.msg,
			 line, col, word);
}

static void read_bad(const char *text, unsigned line, unsigned col, const char *word)
{
	read_bad_n(text, strlen(text), line, col, word);
}

/* ---- vnet.sxp(5) EXAMPLES, in order ---- */

static void example_original(void **state)
{
	(void)state;
	struct vnet_sxp v;

	read_ok("(vnet (id 97) (bridge vnet97) (vnetif vnif97) (security none))", &v);
	assert_string_equal(v.raw.key, "97");
	assert_string_equal(v.def.bridge, "vnet97");
	assert_string_equal(v.def.vnetif, "vnif97");
	assert_int_equal(v.def.security, VNET_SEC_NONE);
	assert_null(v.raw.mtu);
	vnet_sxp_free(&v);
}

static void example_minimal(void **state)
{
	(void)state;
	struct vnet_sxp v;

	read_ok("(vnet (id 12) (bridge vnet12))", &v);
	assert_null(v.raw.vnetif);
	assert_null(v.raw.security);
	assert_string_equal(v.def.vnetif, "vnif12");     /* the schema's default */
	assert_int_equal(v.def.security, VNET_SEC_NONE);
	vnet_sxp_free(&v);
}

static void example_long_id_any_order(void **state)
{
	(void)state;
	struct vnet_sxp v;
	char key[VNET_ID_STRLEN];

	read_ok("# The accounting LAN, on hosts a and b.\n"
		"(vnet\n"
		"  (security auth)\n"
		"  (id 0000:0000:0000:0000:0000:0000:0001:0097)\n"
		"  (bridge vnacct)   ; the bridge the vifs join\n"
		"  (mtu 1400)\n"
		"  (vni 4097))\n", &v);
	vnet_id_format_key(&v.def.id, key);
	assert_string_equal(key, "0000-0000-0000-0000-0000-0000-0001-0097");
	assert_int_equal(v.def.security, VNET_SEC_AUTH);
	assert_int_equal(v.def.mtu, 1400);
	assert_int_equal(v.def.vni, 4097);
	assert_true(v.def.vni_explicit);
	assert_int_equal(v.at[VNET_SXP_ID].line, 4);
	assert_int_equal(v.at[VNET_SXP_ID].col, 7);
	vnet_sxp_free(&v);
}

static void example_quoted(void **state)
{
	(void)state;
	struct vnet_sxp v;

	read_ok("(vnet (id \"a0\") (bridge 'vnet-a0'))", &v);
	assert_string_equal(v.def.bridge, "vnet-a0");
	vnet_sxp_free(&v);
}

/* The refused files of vnet.sxp(5), with the exact message shown there. */
static void example_errors(void **state)
{
	(void)state;
	read_bad("(vnet (id 97) (bridge vnet97)", 1, 1, "'(' is never closed");
	read_bad("(vnet (id 97) (bridge vnet97) (bridge br2))", 1, 32,
		 "duplicate field 'bridge' (first given at 1:16)");
	read_bad("(vnet (id 97) (bridge vnet97) (colour blue))", 1, 32,
		 "unknown field 'colour' (known: id, bridge, vnetif, security, mtu, vni)");
	read_bad("(vnet (id 97) (bridge \"vn;rm -rf /\"))", 1, 23,
		 "bridge 'vn;rm -rf /' may only use the characters A-Z a-z 0-9 _ . -");
	read_bad("(vnet (id 1:2:3:4:5:6:7:8:9) (bridge vnet9))", 1, 11,
		 "id '1:2:3:4:5:6:7:8:9' has more than 8 fields");
}

/* ---- hostile input ---- */

static void unbalanced(void **state)
{
	(void)state;
	read_bad("(vnet (id 97) (bridge vnet97)))", 1, 31, "unbalanced ')'");
	read_bad(")", 1, 1, "unbalanced");
	read_bad("(vnet (id 97)\n  (bridge (vnet97)", 2, 3, "never closed");
}

static void deep_nesting_megabyte(void **state)
{
	(void)state;
	size_t n = 1u << 20;
	char *buf = malloc(n);
	assert_non_null(buf);
	memset(buf, '(', n);
	read_bad_n(buf, n, 1, SXP_MAX_DEPTH + 1, "nested deeper");
	/* Closed again, just under the limit: fine for the reader, not a vnet. */
	for (size_t i = 0; i < SXP_MAX_DEPTH; i++) {
		buf[i] = '(';
		buf[SXP_MAX_DEPTH + i] = ')';
	}
	struct sxp_node *tree;
	struct sxp_error err;
	assert_int_equal(sxp_parse(buf, 2 * SXP_MAX_DEPTH, &tree, &err), 0);
	sxp_free(tree);
	free(buf);
}

static void wide_megabyte(void **state)
{
	(void)state;
	/* Many atoms in one list: bounded by the node limit, not by memory. */
	size_t n = 1u << 20;
	char *buf = malloc(n);
	assert_non_null(buf);
	for (size_t i = 0; i < n; i += 2) {
		buf[i] = 'a';
		buf[i + 1] = ' ';
	}
	buf[0] = '(';
	read_bad_n(buf, n, 1, 2 * SXP_MAX_NODES + 1, "more than");
	free(buf);
}

static void nul_bytes(void **state)
{
	(void)state;
	static const char text[] = "(vnet (id 97) (bridge vn\0et97))";
	read_bad_n(text, sizeof(text) - 1, 1, 25, "NUL");
	static const char in_comment[] = "# x\0y\n(vnet (id 97) (bridge b))";
	read_bad_n(in_comment, sizeof(in_comment) - 1, 1, 4, "NUL");
	static const char in_string[] = "(vnet (id \"9\0\"))";
	read_bad_n(in_string, sizeof(in_string) - 1, 1, 13, "NUL");
}

static void control_bytes(void **state)
{
	(void)state;
	read_bad("(vnet (id 97) (bridge vn\x1b[2Jet))", 1, 25, "control character 0x1b");
}

static void id_with_nine_fields(void **state)
{
	(void)state;
	read_bad("(vnet (id 0:0:0:0:0:0:0:0:97) (bridge b))", 1, 11, "id");
}

static void names_with_metacharacters(void **state)
{
	(void)state;
	static const char *const bad[] = { "a;b", "a|b", "$(reboot)", "a`b`", "x&", "a>b", "../etc", "a/b", "a*" };
	char text[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "(vnet (id 97) (bridge \"%s\"))", bad[i]);
		read_bad(text, 1, 23, "bridge");
		snprintf(text, sizeof(text), "(vnet (id 97) (bridge b) (vnetif \"%s\"))", bad[i]);
		read_bad(text, 1, 34, "vnetif");
	}
	read_bad("(vnet (id 97) (bridge a/b))", 1, 23, "bridge");
	read_bad("(vnet (id 97) (bridge ..))", 1, 23, "bridge");
	read_bad("(vnet (id 97) (bridge abcdefghijklmno))", 1, 23, "longer than 14");
}

static void duplicate_and_unknown_fields(void **state)
{
	(void)state;
	read_bad("(vnet (id 97) (id 98) (bridge b))", 1, 16, "duplicate field 'id' (first given at 1:8)");
	read_bad("(vnet (id 97) (bridge b) (state up))", 1, 27, "unknown field 'state'");
	read_bad("(vnet (id 97) (bridge b) (Bridge c))", 1, 27, "unknown field 'Bridge'");
}

static void shape_errors(void **state)
{
	(void)state;
	read_bad("", 1, 1, "no (vnet");
	read_bad("   # only a comment\n", 1, 1, "no (vnet");
	read_bad("vnet", 1, 1, "expected (vnet");
	read_bad("(net (id 97))", 1, 1, "expected (vnet");
	read_bad("(vnet (id 97) (bridge b)) (vnet (id 98) (bridge c))", 1, 27, "one vnet");
	read_bad("(vnet (id 97) bridge)", 1, 15, "expected a field");
	read_bad("(vnet (id 97) ())", 1, 15, "empty field");
	read_bad("(vnet (id) (bridge b))", 1, 7, "no value");
	read_bad("(vnet (id 97 98) (bridge b))", 1, 14, "exactly one value");
	read_bad("(vnet (id (97)) (bridge b))", 1, 11, "single word");
	read_bad("(vnet ((id) 97))", 1, 8, "must start with its name");
	read_bad("(vnet (bridge b))", 1, 1, "missing field (id");
	read_bad("(vnet (id 97))", 1, 1, "missing field (bridge");
	read_bad("(vnet (id 97) (bridge b) (security secret))", 1, 36, "security");
	read_bad("(vnet (id 97) (bridge b) (mtu 9))", 1, 31, "mtu");
	read_bad("(vnet (id 97) (bridge b) (vni 0x10))", 1, 31, "vni");
	read_bad("(vnet (id 0) (bridge b))", 1, 11, "id");
	read_bad("(vnet (id 97) (bridge vnif97))", 1, 1, "vnetif");
}

static void string_errors(void **state)
{
	(void)state;
	read_bad("(vnet (id \"97))", 1, 11, "never closed");
	read_bad("(vnet (id \"97\n\"))", 1, 11, "end of the line");
	read_bad("(vnet (id \"9\\q\"))", 1, 13, "unknown escape");
	struct sxp_node *t;
	struct sxp_error err;
	const char *text = "\"a\\\"b\\\\c\\td\" 'e\\'f'";
	assert_int_equal(sxp_parse(text, strlen(text), &t, &err), 0);
	assert_string_equal(t->atom, "a\"b\\c\td");
	assert_string_equal(t->next->atom, "e'f");
	sxp_free(t);
}

static void string_escape_keeps_position(void **state)
{
	(void)state;
	read_bad("(vnet (id 97) (bridge \"v\\\"x\"))", 1, 23, "bridge");
}

static void long_atom(void **state)
{
	(void)state;
	char text[SXP_MAX_ATOM + 64];
	int n = snprintf(text, sizeof(text), "(vnet (id ");
	memset(text + n, '9', SXP_MAX_ATOM + 1);
	text[n + SXP_MAX_ATOM + 1] = '\0';
	read_bad(text, 1, 11, "longer than");
}

static void generic_tree(void **state)
{
	(void)state;
	struct sxp_node *t;
	struct sxp_error err;
	const char *text = "(a (b c) \"d e\") f";

	assert_int_equal(sxp_parse(text, strlen(text), &t, &err), 0);
	assert_int_equal(t->kind, SXP_LIST);
	assert_string_equal(t->child->atom, "a");
	assert_int_equal(t->child->next->kind, SXP_LIST);
	assert_string_equal(t->child->next->child->next->atom, "c");
	assert_string_equal(t->child->next->next->atom, "d e");
	assert_int_equal(t->child->next->next->pos.col, 10);
	assert_string_equal(t->next->atom, "f");
	assert_null(t->next->next);
	sxp_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_original),
		cmocka_unit_test(example_minimal),
		cmocka_unit_test(example_long_id_any_order),
		cmocka_unit_test(example_quoted),
		cmocka_unit_test(example_errors),
		cmocka_unit_test(unbalanced),
		cmocka_unit_test(deep_nesting_megabyte),
		cmocka_unit_test(wide_megabyte),
		cmocka_unit_test(nul_bytes),
		cmocka_unit_test(control_bytes),
		cmocka_unit_test(id_with_nine_fields),
		cmocka_unit_test(names_with_metacharacters),
		cmocka_unit_test(duplicate_and_unknown_fields),
		cmocka_unit_test(shape_errors),
		cmocka_unit_test(string_errors),
		cmocka_unit_test(string_escape_keeps_position),
		cmocka_unit_test(long_atom),
		cmocka_unit_test(generic_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
