/* Definition validation: names, security, mtu, vni and defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vnet_schema.h"

static void expect_bad(const struct vnet_raw *raw, const char *field)
{
	struct vnet_def def;
	char err[160] = "";

	assert_int_equal(vnet_def_from_raw(raw, &def, err, sizeof(err)), -1);
	if (!strstr(err, field))
		fail_msg("error '%s' does not name '%s'", err, field);
}

static void minimal_definition_gets_defaults(void **state)
{
	(void)state;
	struct vnet_raw raw = { .key = "97", .bridge = "vnet97" };
	struct vnet_def def;
	char err[160];

	assert_int_equal(vnet_def_from_raw(&raw, &def, err, sizeof(err)), 0);
	assert_string_equal(def.bridge, "vnet97");
	assert_string_equal(def.vnetif, "vnif97");
	assert_int_equal(def.security, VNET_SEC_NONE);
	assert_int_equal(def.vni, 0x97);
	assert_false(def.vni_explicit);
	assert_int_equal(def.mtu, 0);
}

static void full_definition(void **state)
{
	(void)state;
	struct vnet_raw raw = { .key = "0-0-0-0-0-0-0-a0", .bridge = "br_a.0", .vnetif = "tun-a0",
				.security = "conf", .mtu = "1400", .vni = "4242" };
	struct vnet_def def;
	char err[160];

	assert_int_equal(vnet_def_from_raw(&raw, &def, err, sizeof(err)), 0);
	assert_string_equal(def.vnetif, "tun-a0");
	assert_int_equal(def.security, VNET_SEC_CONF);
	assert_int_equal(def.mtu, 1400);
	assert_int_equal(def.vni, 4242);
	assert_true(def.vni_explicit);
}

static void long_ids_get_stable_short_names(void **state)
{
	(void)state;
	struct vnet_raw a = { .key = "dead:beef:0:0:0:0:0:97", .bridge = "b1" };
	struct vnet_raw b = { .key = "DEAD-BEEF-0000-0-0-0-0-0097", .bridge = "b2" };
	struct vnet_def da, db;
	char err[160];

	assert_int_equal(vnet_def_from_raw(&a, &da, err, sizeof(err)), 0);
	assert_int_equal(vnet_def_from_raw(&b, &db, err, sizeof(err)), 0);
	assert_true(strlen(da.vnetif) <= VNET_NAME_MAX);
	assert_true(vnet_name_valid(da.vnetif));
	assert_string_equal(da.vnetif, db.vnetif);
	assert_int_equal(da.vni, db.vni);
	assert_true(da.vni >= VNET_VNI_HASH_MIN && da.vni <= VNET_VNI_MAX);
}

/* Plain ids keep their own number up to VNET_VNI_PLAIN_MAX; every larger
 * id hashes into VNET_VNI_HASH_MIN.., which no plain id and no vni key
 * reaches (issue 10: before, a hashed VNI could equal a plain id). */
static void vni_ranges(void **state)
{
	struct vnet_def d;
	char err[160], key[48];

	(void)state;
	static const struct { const char *key; uint32_t vni; } plain[] = {
		{ "2", 2 }, { "97", 0x97 }, { "ffff", 0xffff }, { "10000", 0x10000 }, { "7fffff", 0x7fffff },
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		struct vnet_raw r = { .key = plain[i].key, .bridge = "b" };
		assert_int_equal(vnet_def_from_raw(&r, &d, err, sizeof(err)), 0);
		assert_int_equal(d.vni, plain[i].vni);
	}
	/* 0x800000 and up, and long ids: all hashed, all in the upper half,
	 * and not all on one value. */
	static const char *const hashed[] = { "800000", "ffffff", "1000000", "dead-beef-0-0-0-0-0-97",
					      "0-0-0-0-0-1-0-0" };
	uint32_t first = 0;
	bool differ = false;
	for (size_t i = 0; i < sizeof(hashed) / sizeof(hashed[0]); i++) {
		struct vnet_raw r = { .key = hashed[i], .bridge = "b" };
		assert_int_equal(vnet_def_from_raw(&r, &d, err, sizeof(err)), 0);
		assert_true(d.vni >= VNET_VNI_HASH_MIN && d.vni <= VNET_VNI_MAX);
		differ |= i && d.vni != first;
		first = i ? first : d.vni;
	}
	assert_true(differ);
	/* Many ids: never below the hashed range. */
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "%x-0-0-0-0-0-0-%x", i + 1, i);
		struct vnet_raw r = { .key = key, .bridge = "b" };
		assert_int_equal(vnet_def_from_raw(&r, &d, err, sizeof(err)), 0);
		assert_true(d.vni >= VNET_VNI_HASH_MIN);
	}
	/* vni keys: the plain range only. */
	struct vnet_raw r = { .key = "97", .bridge = "b", .vni = "8388607" };
	assert_int_equal(vnet_def_from_raw(&r, &d, err, sizeof(err)), 0);
	assert_int_equal(d.vni, VNET_VNI_PLAIN_MAX);
	r.vni = "8388608";
	assert_int_equal(vnet_def_from_raw(&r, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hashed"));
}

static void names(void **state)
{
	(void)state;
	assert_true(vnet_name_valid("vnet97"));
	assert_true(vnet_name_valid("a.b-c_D9"));
	assert_true(vnet_name_valid("12345678901234"));
	assert_false(vnet_name_valid("123456789012345"));
	assert_false(vnet_name_valid(""));
	assert_false(vnet_name_valid("."));
	assert_false(vnet_name_valid(".."));
	assert_false(vnet_name_valid("a/b"));
	assert_false(vnet_name_valid("a b"));
	assert_false(vnet_name_valid("br$x"));
	assert_false(vnet_name_valid("a;rm"));
	assert_false(vnet_name_valid("a:b"));
}

static void bad_definitions_name_their_field(void **state)
{
	(void)state;
	expect_bad(&(struct vnet_raw){ .key = "0", .bridge = "b" }, "id");
	expect_bad(&(struct vnet_raw){ .key = "1", .bridge = "b" }, "reserved");
	expect_bad(&(struct vnet_raw){ .key = "zz", .bridge = "b" }, "id");
	expect_bad(&(struct vnet_raw){ .key = "97" }, "bridge");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "bridge-name-too-long" }, "bridge");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "br$x" }, "bridge");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .vnetif = "x/y" }, "vnetif");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .vnetif = "b" }, "vnetif");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .security = "tls" }, "security");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .security = "" }, "security");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .mtu = "67" }, "mtu");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .mtu = "1500x" }, "mtu");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .mtu = "-1" }, "mtu");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .vni = "0" }, "vni");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .vni = "16777216" }, "vni");
	expect_bad(&(struct vnet_raw){ .key = "97", .bridge = "b", .vni = "16777215" }, "vni");
}

static void security_names_round_trip(void **state)
{
	(void)state;
	enum vnet_security s;

	for (int i = VNET_SEC_NONE; i <= VNET_SEC_CONF; i++) {
		assert_int_equal(vnet_security_parse(vnet_security_name((enum vnet_security)i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(vnet_security_parse("NONE", &s), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(minimal_definition_gets_defaults),
		cmocka_unit_test(full_definition),
		cmocka_unit_test(long_ids_get_stable_short_names),
		cmocka_unit_test(vni_ranges),
		cmocka_unit_test(names),
		cmocka_unit_test(bad_definitions_name_their_field),
		cmocka_unit_test(security_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
