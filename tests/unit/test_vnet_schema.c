/* Definition validation: names, security, mtu, vni and defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
	assert_true(da.vni > 0xffff && da.vni <= VNET_VNI_MAX);
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
		cmocka_unit_test(names),
		cmocka_unit_test(bad_definitions_name_their_field),
		cmocka_unit_test(security_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
