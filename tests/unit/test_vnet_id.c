/* vnet id parsing and formatting: round trips and rejects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vnet_id.h"

static struct vnet_id parse_ok(const char *s)
{
	struct vnet_id id;
	char err[128] = "";

	if (vnet_id_parse(s, &id, err, sizeof(err)) != 0)
		fail_msg("'%s' rejected: %s", s, err);
	return id;
}

static void expect_reject(const char *s, const char *why_word)
{
	struct vnet_id id;
	char err[128] = "";

	assert_int_equal(vnet_id_parse(s, &id, err, sizeof(err)), -1);
	if (!strstr(err, why_word))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, why_word);
}

static void short_and_long_forms_agree(void **state)
{
	(void)state;
	struct vnet_id a = parse_ok("97");
	struct vnet_id b = parse_ok("0000:0000:0000:0000:0000:0000:0000:0097");
	struct vnet_id c = parse_ok("0-0-0-0-0-0-0-97");
	struct vnet_id d = parse_ok("0097");

	assert_true(vnet_id_equal(&a, &b));
	assert_true(vnet_id_equal(&a, &c));
	assert_true(vnet_id_equal(&a, &d));
	assert_int_equal(a.b[15], 0x97);
	assert_true(vnet_id_is_short(&a));
}

static void mixed_case_is_one_id(void **state)
{
	(void)state;
	struct vnet_id a = parse_ok("aBcD");
	struct vnet_id b = parse_ok("ABCD");
	char s[VNET_ID_STRLEN];

	assert_true(vnet_id_equal(&a, &b));
	vnet_id_format(&a, s);
	assert_string_equal(s, "abcd");
}

static void formats_round_trip(void **state)
{
	(void)state;
	const char *longs[] = {
		"0000:0000:0000:0000:0000:0000:0000:0002",
		"0001:0000:0000:0000:0000:0000:0000:0000",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"dead:beef:0000:1234:0000:0000:0abc:0097",
	};
	for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
		char l[VNET_ID_STRLEN], k[VNET_ID_STRLEN], f[VNET_ID_STRLEN];
		struct vnet_id id = parse_ok(longs[i]);

		vnet_id_format_long(&id, l);
		assert_string_equal(l, longs[i]);
		vnet_id_format_key(&id, k);
		struct vnet_id back = parse_ok(k);
		assert_true(vnet_id_equal(&id, &back));
		vnet_id_format(&id, f);
		back = parse_ok(f);
		assert_true(vnet_id_equal(&id, &back));
	}
}

static void key_form_uses_dashes(void **state)
{
	(void)state;
	char k[VNET_ID_STRLEN];
	struct vnet_id id = parse_ok("1:2:3:4:5:6:7:8");

	vnet_id_format_key(&id, k);
	assert_string_equal(k, "0001-0002-0003-0004-0005-0006-0007-0008");
	assert_false(vnet_id_is_short(&id));
	id = parse_ok("0:0:0:0:0:0:0:ffff");
	vnet_id_format_key(&id, k);
	assert_string_equal(k, "ffff");
}

static void short_form_up_to_128_bits(void **state)
{
	(void)state;
	struct vnet_id id = parse_ok("ffffffffffffffffffffffffffffffff");
	char l[VNET_ID_STRLEN];

	vnet_id_format_long(&id, l);
	assert_string_equal(l, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	id = parse_ok("000000000000000000000000000000000000097"); /* leading zeros are free */
	assert_int_equal(id.b[15], 0x97);
	expect_reject("1ffffffffffffffffffffffffffffffff", "128 bits");
}

static void rejects(void **state)
{
	(void)state;
	expect_reject("0", "invalid");
	expect_reject("0000", "invalid");
	expect_reject("0:0:0:0:0:0:0:0", "invalid");
	expect_reject("1", "reserved");
	expect_reject("0-0-0-0-0-0-0-1", "reserved");
	expect_reject("xyz", "hex");
	expect_reject("", "empty");
	expect_reject("97 ", "hex");
	expect_reject("0x97", "hex");
	expect_reject("1:2:3:4:5:6:7:8:9", "more than 8");
	expect_reject("1:2:3:4:5:6:7", "fewer than 8");
	expect_reject("1:2:3:4:5:6:7:12345", "4 digits");
	expect_reject("1::3:4:5:6:7:8", "empty field");
	expect_reject("1:2:3:4-5:6:7:8", "mixes");
	expect_reject("1:2:3:4:5:6:7:g", "non-hex");
}

static void hash_is_stable(void **state)
{
	(void)state;
	struct vnet_id a = parse_ok("dead:0:0:0:0:0:0:1");
	struct vnet_id b = parse_ok("dead-0000-0-0-0-0-0-0001");
	struct vnet_id c = parse_ok("dead:0:0:0:0:0:0:2");

	assert_true(vnet_id_hash(&a) == vnet_id_hash(&b));
	assert_true(vnet_id_hash(&a) != vnet_id_hash(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(short_and_long_forms_agree),
		cmocka_unit_test(mixed_case_is_one_id),
		cmocka_unit_test(formats_round_trip),
		cmocka_unit_test(key_form_uses_dashes),
		cmocka_unit_test(short_form_up_to_128_bits),
		cmocka_unit_test(rejects),
		cmocka_unit_test(hash_is_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
