/* The cluster key file (permissions, forms, sizes) and HMAC-SHA-256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"

struct dir {
	char path[64];
	char file[96];
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	snprintf(d->path, sizeof(d->path), "/tmp/test_auth.XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	snprintf(d->file, sizeof(d->file), "%s/cluster.key", d->path);
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	char p[128];

	unlink(d->file);
	snprintf(p, sizeof(p), "%s/fifo", d->path);
	unlink(p);
	rmdir(d->path);
	free(d);
	return 0;
}

static void write_key(const struct dir *d, const void *data, size_t n, mode_t mode)
{
	FILE *f;

	unlink(d->file);
	f = fopen(d->file, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(d->file, mode), 0);
}

/* Load and expect a refusal whose reason contains want. */
static void refused(const struct dir *d, const char *want)
{
	struct auth_key k = { .len = 0 };
	char err[256] = "";

	assert_int_equal(auth_load_key(d->file, &k, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("reason '%s' lacks '%s'", err, want);
	assert_non_null(strstr(err, d->file));      /* the file is named */
	assert_null(k.ctx);
}

static void loaded(const struct dir *d, const void *secret, size_t n)
{
	struct auth_key k = { .len = 0 };
	char err[256] = "";

	if (auth_load_key(d->file, &k, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_int_equal(k.len, n);
	assert_memory_equal(k.secret, secret, n);
	auth_key_free(&k);
	assert_null(k.ctx);
	auth_key_free(&k);                          /* twice is fine */
}

static const uint8_t random32[32] = {
	0x9b, 0x0a, 0x20, 0x0d, 0xff, 0x00, 0x41, 0x7e, 0x3d, 0x0a, 0x80, 0x7f, 0xc3, 0x28, 0x09, 0x5a,
	0x00, 0x00, 0x11, 0xe4, 0x20, 0x0a, 0x6b, 0x2f, 0x3b, 0x8e, 0x55, 0x4c, 0x09, 0x1d, 0x77, 0x0a,
};

static void missing(void **state)
{
	struct dir *d = *state;

	refused(d, "No such file");
}

static void empty(void **state)
{
	struct dir *d = *state;

	write_key(d, "", 0, 0600);
	refused(d, "empty");
}

static void world_readable(void **state)
{
	struct dir *d = *state;

	write_key(d, random32, sizeof(random32), 0644);
	refused(d, "readable by everyone (mode 0644)");
	write_key(d, random32, sizeof(random32), 0604);
	refused(d, "readable by everyone");
}

static void writable_by_others(void **state)
{
	struct dir *d = *state;

	write_key(d, random32, sizeof(random32), 0620);
	refused(d, "writable by group or others");
	write_key(d, random32, sizeof(random32), 0602);
	refused(d, "writable by group or others");
}

static void not_regular(void **state)
{
	struct dir *d = *state;
	struct dir f = *d;

	refused(&(struct dir){ .file = "/tmp" }, "not a regular file");
	snprintf(f.file, sizeof(f.file), "%s/fifo", d->path);
	assert_int_equal(mkfifo(f.file, 0600), 0);
	refused(&f, "not a regular file");          /* and does not hang */
}

static void foreign_owner(void **state)
{
	struct dir *d = *state;

	if (geteuid() != 0)
		skip();
	write_key(d, random32, sizeof(random32), 0600);
	assert_int_equal(chown(d->file, 4321, 0), 0);
	refused(d, "owned by uid 4321");
}

/* `head -c 32 /dev/urandom > key; chmod 600 key`: raw, every byte counts. */
static void raw_accepted(void **state)
{
	struct dir *d = *state;

	write_key(d, random32, sizeof(random32), 0600);
	loaded(d, random32, sizeof(random32));
	write_key(d, random32, sizeof(random32), 0640);   /* group may read */
	loaded(d, random32, sizeof(random32));
	write_key(d, random32, 16, 0400);
	loaded(d, random32, 16);
}

static void too_short(void **state)
{
	struct dir *d = *state;

	write_key(d, random32, 15, 0600);
	refused(d, "too short: 15 bytes, need at least 16");
	write_key(d, "00112233445566778899aabbccddee\n", 31, 0600);
	refused(d, "too short: 15 bytes after hex decoding");
	write_key(d, "AAECAwQFBgcICQoLDA0O\n", 21, 0600);
	refused(d, "too short: 15 bytes after base64 decoding");
}

static void too_long(void **state)
{
	struct dir *d = *state;
	static uint8_t big[4 * AUTH_KEY_MAX + 1];

	memset(big, 0x80, sizeof(big));
	write_key(d, big, AUTH_KEY_MAX + 1, 0600);
	refused(d, "too long");
	write_key(d, big, sizeof(big), 0600);
	refused(d, "too big");
	write_key(d, big, AUTH_KEY_MAX, 0600);
	loaded(d, big, AUTH_KEY_MAX);
}

/* `openssl rand -hex 32 > key` and `openssl rand -base64 32 > key`. */
static void text_forms(void **state)
{
	struct dir *d = *state;
	uint8_t want[32];
	const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F\n";
	const char *hex_spaced = "  00010203 04050607 08090a0b 0c0d0e0f\r\n10111213 14151617 18191a1b 1c1d1e1f";
	const char *b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
	const char *b64_wrapped = "AAECAwQFBgcICQoLDA0ODxAREhMU\nFRYXGBkaGxwdHh8=\n\n";

	(void)state;
	for (int i = 0; i < 32; i++)
		want[i] = (uint8_t)i;
	write_key(d, hex, strlen(hex), 0600);
	loaded(d, want, 32);
	write_key(d, hex_spaced, strlen(hex_spaced), 0600);
	loaded(d, want, 32);
	write_key(d, b64, strlen(b64), 0600);
	loaded(d, want, 32);
	write_key(d, b64_wrapped, strlen(b64_wrapped), 0600);
	loaded(d, want, 32);
	/* Not quite text: then the bytes are the key, as they are. */
	static const char *const raw[] = {
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n",   /* odd */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",                         /* unpadded */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=x\n",                       /* after = */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH===\n",                        /* bad pad */
		"correct horse battery staple!\n",
	};
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		write_key(d, raw[i], strlen(raw[i]), 0600);
		loaded(d, raw[i], strlen(raw[i]));
	}
}

/* A failed reload keeps the key that was loaded. */
static void failed_reload_keeps_key(void **state)
{
	struct dir *d = *state;
	struct auth_key k = { .len = 0 };
	char err[256];

	write_key(d, random32, sizeof(random32), 0600);
	assert_int_equal(auth_load_key(d->file, &k, err, sizeof(err)), 0);
	EVP_MAC_CTX *ctx = k.ctx;
	write_key(d, random32, sizeof(random32), 0644);
	assert_int_equal(auth_load_key(d->file, &k, err, sizeof(err)), -1);
	assert_ptr_equal(k.ctx, ctx);
	assert_memory_equal(k.secret, random32, sizeof(random32));
	/* A good reload replaces it without leaking the old context. */
	write_key(d, random32, 20, 0600);
	assert_int_equal(auth_load_key(d->file, &k, NULL, 0), 0);
	assert_int_equal(k.len, 20);
	auth_key_free(&k);
}

/* RFC 4231 test case 1: key 20 x 0x0b, data "Hi There". */
static void hmac_known_answer(void **state)
{
	static const uint8_t want[32] = {
		0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8, 0xaf, 0xce, 0xaf, 0x0b, 0xf1, 0x2b,
		0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83, 0x3d, 0xa7, 0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7,
	};
	uint8_t secret[20], out[32];
	struct auth_key k = { .len = 0 };
	char err[128];

	(void)state;
	memset(secret, 0x0b, sizeof(secret));
	assert_int_equal(auth_key_set(&k, secret, sizeof(secret), err, sizeof(err)), 0);
	struct auth_span one = { "Hi There", 8 };
	struct auth_span two[3] = { { "Hi", 2 }, { "", 0 }, { " There", 6 } };
	/* Twice each: the context is re-used. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(auth_mac(&k, &one, 1, out), 0);
		assert_memory_equal(out, want, 32);
		assert_int_equal(auth_mac(&k, two, 3, out), 0);
		assert_memory_equal(out, want, 32);
	}
	assert_int_equal(auth_verify(&k, two, 3, want), 0);
	for (int bit = 0; bit < 256; bit++) {
		uint8_t bad[32];
		memcpy(bad, want, 32);
		bad[bit / 8] ^= (uint8_t)(1 << bit % 8);
		assert_int_equal(auth_verify(&k, two, 3, bad), -1);
	}
	auth_key_free(&k);
	/* No context: the MAC is zeroed and nothing verifies. */
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(auth_mac(&k, &one, 1, out), -1);
	assert_memory_equal(out, (uint8_t[32]){ 0 }, 32);
	assert_int_equal(auth_verify(&k, &one, 1, (uint8_t[32]){ 0 }), -1);
}

static void key_set_limits(void **state)
{
	struct auth_key k = { .len = 0 };
	static uint8_t s[AUTH_KEY_MAX + 1];
	char err[128];

	(void)state;
	assert_int_equal(auth_key_set(&k, s, AUTH_KEY_MIN - 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too short"));
	assert_int_equal(auth_key_set(&k, s, AUTH_KEY_MAX + 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(auth_key_set(&k, s, AUTH_KEY_MIN, err, sizeof(err)), 0);
	assert_int_equal(auth_key_set(&k, s, AUTH_KEY_MAX, err, sizeof(err)), 0);   /* replaces */
	auth_key_free(&k);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, dir_setup, dir_teardown)
	const struct CMUnitTest tests[] = {
		T(missing), T(empty), T(world_readable), T(writable_by_others), T(not_regular),
		T(foreign_owner), T(raw_accepted), T(too_short), T(too_long), T(text_forms),
		T(failed_reload_keeps_key),
		cmocka_unit_test(hmac_known_answer),
		cmocka_unit_test(key_set_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
