/* control = own | evpn and the two keys vn frr-config reads (config.c),
 * from the file and from config_set: good values taken, bad ones refused
 * with the key named and the old value kept; and the `evpn` status record
 * (cluster_evpn.c) that vn frr-config builds its output from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_evpn.h"
#include "config.h"

static void defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.control, CONTROL_OWN);
	assert_int_equal(c.evpn_asn, 65000);
	assert_string_equal(c.evpn_neighbors, "");
}

static void good_and_bad(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "control", "evpn", err, sizeof(err)), 0);
	assert_int_equal(c.control, CONTROL_EVPN);
	assert_int_equal(config_set(&c, "control", "bgp", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "control: 'bgp' is neither own nor evpn"));
	assert_int_equal(c.control, CONTROL_EVPN);
	assert_int_equal(config_set(&c, "control", "own", err, sizeof(err)), 0);
	assert_int_equal(c.control, CONTROL_OWN);

	assert_int_equal(config_set(&c, "evpn_asn", "4200000000", err, sizeof(err)), 0);
	assert_int_equal(c.evpn_asn, 4200000000u);
	assert_int_equal(config_set(&c, "evpn_asn", "0", err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "evpn_asn", "4294967296", err, sizeof(err)), -1);
	assert_int_equal(c.evpn_asn, 4200000000u);

	assert_int_equal(config_set(&c, "evpn_neighbors", "192.0.2.100 2001:db8::1", err, sizeof(err)), 0);
	assert_string_equal(c.evpn_neighbors, "192.0.2.100 2001:db8::1");
	/* A name would go into bgpd's config verbatim: refused, old list kept. */
	assert_int_equal(config_set(&c, "evpn_neighbors", "192.0.2.100 rr1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'rr1' is not an IP address"));
	assert_int_equal(config_set(&c, "evpn_neighbors", "192.0.2.1\nrouter bgp 1", err, sizeof(err)), -1);
	assert_string_equal(c.evpn_neighbors, "192.0.2.100 2001:db8::1");
}

static void from_file(void **state)
{
	char path[] = "/tmp/xenvnet-config-evpn.XXXXXX", err[512];
	int fd = mkstemp(path);
	struct config c;

	(void)state;
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("control = evpn  # FRR carries the MACs\nevpn_neighbors = 192.0.2.100 192.0.2.101\n", f);
	fclose(f);
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, true, err, sizeof(err)), 0);
	assert_int_equal(c.control, CONTROL_EVPN);
	assert_string_equal(c.evpn_neighbors, "192.0.2.100 192.0.2.101");
	f = fopen(path, "w");
	fputs("control = evpn\ncontrol = maybe\n", f);
	fclose(f);
	assert_int_equal(config_load(&c, path, true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: control: 'maybe'"));
	unlink(path);
}

static void status_record(void **state)
{
	struct config c;
	struct kern_underlay u = { .family = AF_INET };
	struct ctl_reply r;
	size_t len;

	(void)state;
	config_defaults(&c);
	c.control = CONTROL_EVPN;
	snprintf(c.evpn_neighbors, sizeof(c.evpn_neighbors), "192.0.2.100");
	inet_pton(AF_INET, "192.0.2.7", &u.addr);
	ctl_reply_init(&r);
	assert_int_equal(cluster_evpn_emit(&r, &c, &u), 0);
	const char *out = ctl_reply_finish(&r, &len);
	assert_non_null(out);
	assert_non_null(strstr(out, "evpn control=evpn router-id=192.0.2.7 asn=65000 neighbors=192.0.2.100"));
	ctl_reply_free(&r);
	/* No underlay address yet: an empty router id, for vn to refuse. */
	ctl_reply_init(&r);
	c.control = CONTROL_OWN;
	assert_int_equal(cluster_evpn_emit(&r, &c, NULL), 0);
	out = ctl_reply_finish(&r, &len);
	assert_non_null(strstr(out, "evpn control=own router-id= asn=65000"));
	ctl_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(good_and_bad),
		cmocka_unit_test(from_file),
		cmocka_unit_test(status_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
