/* ESP key derivation: the test vectors of docs/esp-keys.md (computed with
 * an independent HKDF written from RFC 5869), direction, level, epoch and
 * SA generation separation, and bad arguments. */
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
static const uint64_t g = 0x0123456789abcdefull;

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
		   uint64_t gen, uint32_t spi, const char *key)
{
	struct ckeys_sa sa;
	char got[2 * CKEYS_KEY_MAX + 1] = "";

	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), lvl, epoch, family, src, dst, gen, &sa), 0);
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
	expect(CKEYS_CONF, 7, AF_INET, a1, a2, g, 0xae5f1395, "438f54b56b8fedf8d51e51a812d9fc53061f4a78");
	expect(CKEYS_AUTH, 7, AF_INET, a1, a2, g, 0xcc3926a7,
	       "8509037ab3dac0f4c461da8b2624ed0c12215fbb6d81262e9b116417e2ad1a79");
	/* the other direction is another SA */
	expect(CKEYS_CONF, 7, AF_INET, a2, a1, g, 0xfda7bd23, "2e8b1b07e9aed0e0a52514e49dba1389c39ad1c1");
	/* the sender rebooted: a new generation, a new key and SPI */
	expect(CKEYS_CONF, 7, AF_INET, a1, a2, g + 1, 0xbe1eaf59, "2c72b01e2cc2d2786897adbd75609bb2a21b8733");
	expect(CKEYS_AUTH, 0, AF_INET6, s6, d6, 1, 0xd7cb2bc0,
	       "c0c483d91d4f238f2240eaa207b4de691079534152a46350a7a3521e9c7d0434");
}

static void epochs_and_keys_differ(void **state)
{
	struct ckeys_sa x, y;
	uint8_t other[32];

	(void)state;
	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), CKEYS_CONF, 7, AF_INET, a1, a2, g, &x), 0);
	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), CKEYS_CONF, 8, AF_INET, a1, a2, g, &y), 0);
	assert_int_not_equal(x.spi, y.spi);
	assert_memory_not_equal(x.key, y.key, x.keylen);
	memcpy(other, ikm, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(ckeys_derive(other, sizeof(other), CKEYS_CONF, 7, AF_INET, a1, a2, g, &y), 0);
	assert_int_not_equal(x.spi, y.spi);
	assert_memory_not_equal(x.key, y.key, x.keylen);
	/* only the generation differs (a reboot inside the epoch) */
	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), CKEYS_CONF, 7, AF_INET, a1, a2, g ^ (1ull << 63), &y), 0);
	assert_int_not_equal(x.spi, y.spi);
	assert_memory_not_equal(x.key, y.key, x.keylen);
	assert_true(x.spi & 0x80000000u);
}

static void bad_arguments(void **state)
{
	struct ckeys_sa sa;

	(void)state;
	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), 3, 0, AF_INET, a1, a2, g, &sa), -1);
	assert_int_equal(sa.keylen, 0);
	assert_int_equal(ckeys_derive(ikm, sizeof(ikm), CKEYS_AUTH, 0, AF_UNIX, a1, a2, g, &sa), -1);
	assert_int_equal(ckeys_derive(ikm, 0, CKEYS_AUTH, 0, AF_INET, a1, a2, g, &sa), -1);
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
