/* The rules of one locked port (dp_lock_rules): what the `ip` key gives,
 * canonical and without duplicates; junk ignored; no `ip` key, the MAC
 * alone.  test_vif_lock runs them in the kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dp_lock.h"

static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x0a, 0x01 };

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void mac_only(void **state)
{
	char buf[4096];

	(void)state;
	assert_true(dp_lock_rules(buf, sizeof(buf), "vif1.0", mac, "") > 0);
	assert_string_equal(buf, "add rule bridge xenvnet vif1.0 ether saddr != 00:16:3e:00:0a:01 drop\n");
	/* Only junk in the key: no address, the MAC alone. */
	assert_true(dp_lock_rules(buf, sizeof(buf), "vif1.0", mac, "none 300.1.1.1") > 0);
	assert_int_equal(count(buf, "\n"), 1);
}

static void addresses(void **state)
{
	char buf[8192];

	(void)state;
	assert_true(dp_lock_rules(buf, sizeof(buf), "vif1.0", mac,
				  "198.51.100.1/24 198.51.100.1,203.0.113.7 FE80::0:1 fe80::1 junk") > 0);
	/* IPv4: one set, each address once, canonical. */
	assert_non_null(strstr(buf, "ip saddr != { 198.51.100.1, 203.0.113.7 } drop\n"));
	assert_non_null(strstr(buf, "arp saddr ip != { 0.0.0.0, 198.51.100.1, 203.0.113.7 } drop\n"));
	assert_non_null(strstr(buf, "arp saddr ether != 00:16:3e:00:0a:01 drop\n"));
	assert_non_null(strstr(buf, "ip saddr 0.0.0.0 udp sport 68 udp dport 67 accept\n"));
	/* IPv6: :: and link-local always, then the key's (one, lower case). */
	assert_non_null(strstr(buf, "ip6 saddr != { ::, fe80::/10, fe80::1 } drop\n"));
	assert_int_equal(count(buf, "@th,64,128 0xfe800000000000000000000000000001 accept"), 1);
	/* Everything else dropped, last. */
	assert_non_null(strstr(buf, "ether type { arp, ip, ip6 } accept\nadd rule bridge xenvnet vif1.0 drop\n"));
}

static void v6_only(void **state)
{
	char buf[8192];

	(void)state;
	assert_true(dp_lock_rules(buf, sizeof(buf), "vif2.0-emu", mac, "fe80::2") > 0);
	/* No IPv4 address: IPv4 only for DHCP. */
	assert_non_null(strstr(buf, "vif2.0-emu ether type ip drop\n"));
	assert_null(strstr(buf, "ip saddr != {"));
}

static void too_small(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(dp_lock_rules(buf, sizeof(buf), "vif1.0", mac, "198.51.100.1"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mac_only),
		cmocka_unit_test(addresses),
		cmocka_unit_test(v6_only),
		cmocka_unit_test(too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
