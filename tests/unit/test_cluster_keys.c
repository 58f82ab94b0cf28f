/* ESP key derivation: the test vectors of docs/esp-keys.md (computed with
 * an independent HKDF written from RFC 5869), direction, level and epoch
 * separation, and bad arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cluster_keys.h"

static uint8_t ikm[32];
static const uint8_t a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 };

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 32; i++)
		ikm[i] = (uint8_t)i;
	return 0;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void expect(enum ckeys_level lvl, uint32_t epoch, int family, const void *src, const void *dst,
		   uint32_t spi, const char *key)
{
	struct ckeys_sa sa;
	char got[2 * CKEYS_KEY_MAX + 1] = "";

	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), lvl, epoch, family, src, dst, &sa), 0);
	hex(sa.key, sa.keylen, got);
	assert_int_equal(sa.spi, spi);
	assert_string_equal(got, key);
	ckeys_wipe(&sa);
}

static void vectors(void **state)
{
	uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8 }, d6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	(void)state;
	s6[15] = 1;
	d6[15] = 2;
	expect(CKEYS_CONF, 7, AF_INET, a1, a2, 0xa8637b23, "9c9b13b04af39b91a626371b5750efae47e33e54");
	expect(CKEYS_AUTH, 7, AF_INET, a1, a2, 0xca850d53,
	       "774c05b342eaf96c3ec165755e00c172b4dc5447dc8b3a3979d5643b213007da");
	/* the other direction is another SA */
	expect(CKEYS_CONF, 7, AF_INET, a2, a1, 0xe7156699, "87fbb96d72ab5aacf155b0179d05f57828cfcee7");
	expect(CKEYS_AUTH, 0, AF_INET6, s6, d6, 0xbcc4a920,
	       "d486a5b2ff82a98f1b782a661323ed2fed88e5d86d0e84d144557f423702bacf");
}

static void epochs_and_keys_differ(void **state)
{
	struct ckeys_sa x, y;
	uint8_t other[32];

	(void)state;
	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), CKEYS_CONF, 7, AF_INET, a1, a2, &x), 0);
	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), CKEYS_CONF, 8, AF_INET, a1, a2, &y), 0);
	assert_int_not_equal(x.spi, y.spi);
	assert_memory_not_equal(x.key, y.key, x.keylen);
	memcpy(other, ikm, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(ckeys_derive(other, sizeof(other), CKEYS_CONF, 7, AF_INET, a1, a2, &y), 0);
	assert_int_not_equal(x.spi, y.spi);
	assert_memory_not_equal(x.key, y.key, x.keylen);
	assert_true(x.spi & 0x80000000u);
}

static void bad_arguments(void **state)
{
	struct ckeys_sa sa;

	(void)state;
	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), 3, 0, AF_INET, a1, a2, &sa), -1);
	assert_int_equal(sa.keylen, 0);
	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), CKEYS_AUTH, 0, AF_UNIX, a1, a2, &sa), -1);
	assert_int_equal(ckeys_derive(ikm, 0, CKEYS_AUTH, 0, AF_INET, a1, a2, &sa), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vectors),
		cmocka_unit_test(epochs_and_keys_differ),
		cmocka_unit_test(bad_arguments),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
