/* The data plane choice (dp_select.c, config `dataplane`): names accepted
 * and refused, vnet refused without its module, and the MTU each kind's
 * tunnel leaves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "config.h"
#include "dataplane.h"

static void config_names(void **state)
{
	struct config c;
	char err[128];

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.dataplane, "auto");
	assert_int_equal(config_set(&c, "dataplane", "vnet", err, sizeof(err)), 0);
	assert_string_equal(c.dataplane, "vnet");
	assert_int_equal(config_set(&c, "dataplane", "vxlan", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "dataplane", "geneve", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'geneve' is not auto, vxlan or vnet"));
	assert_string_equal(c.dataplane, "vxlan"); /* a refused value changes nothing */
}

static void select_and_mtu(void **state)
{
	struct vnet_def def = { .mtu = 0 };
	struct kern_underlay u4 = { .family = AF_INET, .mtu = 1500 }, u6 = { .family = AF_INET6, .mtu = 1500 };
	struct stat st;
	char err[128] = "";

	(void)state;
	assert_ptr_equal(dataplane_select("vxlan", err, sizeof(err)), &dp_vxlan);
	assert_ptr_equal(dp_active, &dp_vxlan);
	assert_int_equal(dp_vnet_mtu(&def, &u4), 1450);
	assert_int_equal(dp_vnet_mtu(&def, &u6), 1430);
	assert_false(dp_vxlan.full_ids);
	if (stat("/sys/module/vnet", &st) != 0) { /* the lab's host: no module */
		assert_null(dataplane_select("vnet", err, sizeof(err)));
		assert_non_null(strstr(err, "vnet module is not loaded"));
		assert_ptr_equal(dataplane_select("auto", err, sizeof(err)), &dp_vxlan);
	}
	dp_active = &dp_vnet; /* what selecting it with the module loaded does */
	assert_int_equal(dp_vnet_mtu(&def, &u4), 1438);
	assert_int_equal(dp_vnet_mtu(&def, &u6), 1418);
	def.mtu = 1400;
	assert_int_equal(dp_vnet_mtu(&def, &u4), 1400);
	assert_true(dp_vnet.full_ids);
	dp_active = &dp_vxlan;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_names),
		cmocka_unit_test(select_and_mtu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
