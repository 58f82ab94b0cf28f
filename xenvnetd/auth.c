/* Cluster key file and HMAC-SHA-256 (OpenSSL 3 EVP_MAC). */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "vnet_err.h"
#include "vnet_id.h"

/* The file may hold text forms of a key of AUTH_KEY_MAX bytes plus some
 * whitespace; anything bigger is not a key file. */
#define FILE_MAX (4 * AUTH_KEY_MAX)

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int b64_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Hex text: only hex digits and whitespace, an even number of digits.
 * Returns the decoded length, or -1 when in is not hex text. */
static long hex_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t nd = 0, o = 0;
	int hi = 0;

	for (size_t i = 0; i < n; i++) {
		if (is_space(in[i]))
			continue;
		int v = vnet_hex_digit(in[i]);
		if (v < 0)
			return -1;
		if (nd++ % 2 == 0) {
			hi = v;
		} else {
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(hi << 4 | v);
		}
	}
	return nd > 0 && nd % 2 == 0 ? (long)o : -1;
}

/* Base64 text (RFC 4648 alphabet, padded): whitespace anywhere, '=' only as
 * the last one or two characters.  Returns the decoded length, or -1. */
static long b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t nc = 0, npad = 0, o = 0;
	uint32_t acc = 0;

	for (size_t i = 0; i < n; i++) {
		if (is_space(in[i]))
			continue;
		if (in[i] == '=') {
			npad++;
			acc <<= 6;
		} else {
			int v = b64_val(in[i]);
			if (v < 0 || npad > 0)
				return -1;
			acc = acc << 6 | (uint32_t)v;
		}
		if (++nc % 4 == 0) {
			if (npad > 2 || o + 3 - npad > cap)
				return -1;
			for (size_t k = 0; k < 3 - npad; k++)
				out[o++] = (uint8_t)(acc >> (16 - 8 * k));
			acc = 0;
			if (npad > 0)
				break;
		}
	}
	/* Nothing may follow the padding but whitespace. */
	for (size_t i = 0, seen = 0; i < n; i++) {
		if (is_space(in[i]))
			continue;
		if (++seen > nc)
			return -1;
	}
	return nc > 0 && nc % 4 == 0 ? (long)o : -1;
}

static int set_key(struct auth_key *k, const void *secret, size_t len, const char *how,
		   char *err, size_t errlen)
{
	if (len < AUTH_KEY_MIN)
		return vnet_err(err, errlen, "key too short: %zu bytes%s, need at least %d",
				len, how, AUTH_KEY_MIN);
	if (len > AUTH_KEY_MAX)
		return vnet_err(err, errlen, "key too long: over %d bytes%s", AUTH_KEY_MAX, how);

	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_free(mac);      /* the context keeps its own reference */
	if (!ctx || !EVP_MAC_init(ctx, secret, len, params)) {
		EVP_MAC_CTX_free(ctx);
		return vnet_err(err, errlen, "libcrypto: cannot set up HMAC-SHA-256");
	}
	auth_key_free(k);
	memcpy(k->secret, secret, len);
	k->len = len;
	k->ctx = ctx;
	return 0;
}

int auth_key_set(struct auth_key *k, const void *secret, size_t len, char *err, size_t errlen)
{
	return set_key(k, secret, len, "", err, errlen);
}

/* Refuse a file others could read or replace: the key is the cluster's
 * only credential. */
static int check_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return vnet_err(err, errlen, "key file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vnet_err(err, errlen, "key file %s: not a regular file", path);
	if (st.st_mode & S_IROTH)
		return vnet_err(err, errlen, "key file %s: readable by everyone (mode %04o); "
				"chmod 0600 it and change the key", path, (unsigned)(st.st_mode & 07777));
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return vnet_err(err, errlen, "key file %s: writable by group or others (mode %04o); "
				"chmod 0600 it", path, (unsigned)(st.st_mode & 07777));
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return vnet_err(err, errlen, "key file %s: owned by uid %u, not by root",
				path, (unsigned)st.st_uid);
	if (st.st_size == 0)
		return vnet_err(err, errlen, "key file %s: empty", path);
	if (st.st_size > FILE_MAX)
		return vnet_err(err, errlen, "key file %s: too big for a key (%lld bytes, at most %d)",
				path, (long long)st.st_size, FILE_MAX);
	return 0;
}

static long read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (long)n;
}

int auth_load_key(const char *path, struct auth_key *out, char *err, size_t errlen)
{
	uint8_t file[FILE_MAX + 1], key[FILE_MAX];
	long n, klen;
	int rc = -1;

	/* O_NONBLOCK: a FIFO in place of the file must not hang the daemon. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return vnet_err(err, errlen, "key file %s: %s", path, strerror(errno));
	if (check_file(fd, path, err, errlen) != 0)
		goto out;
	n = read_all(fd, file, sizeof(file));
	if (n < 0) {
		vnet_err(err, errlen, "key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (n == 0 || n > FILE_MAX) {   /* changed under us since fstat */
		vnet_err(err, errlen, "key file %s: %s", path, n == 0 ? "empty" : "too big for a key");
		goto out;
	}
	/* Hex first: hex text is also valid base64. */
	char how[32];
	if ((klen = hex_decode(file, (size_t)n, key, sizeof(key))) >= 0) {
		snprintf(how, sizeof(how), " after hex decoding");
		rc = set_key(out, key, (size_t)klen, how, err, errlen);
	} else if ((klen = b64_decode(file, (size_t)n, key, sizeof(key))) >= 0) {
		snprintf(how, sizeof(how), " after base64 decoding");
		rc = set_key(out, key, (size_t)klen, how, err, errlen);
	} else {
		rc = set_key(out, file, (size_t)n, "", err, errlen);
	}
	if (rc != 0 && err && errlen > 0) {
		/* Name the file in set_key's reason. */
		char reason[256];
		snprintf(reason, sizeof(reason), "%s", err);
		vnet_err(err, errlen, "key file %s: %s", path, reason);
	}
out:
	OPENSSL_cleanse(file, sizeof(file));
	OPENSSL_cleanse(key, sizeof(key));
	close(fd);
	return rc;
}

void auth_key_free(struct auth_key *k)
{
	EVP_MAC_CTX_free(k->ctx);
	OPENSSL_cleanse(k->secret, sizeof(k->secret));
	k->len = 0;
	k->ctx = NULL;
}

/* Re-initialising the keyed context with a NULL key restarts HMAC from the
 * saved inner/outer pad states: no allocation and no key schedule per
 * message.  tests/bench/bench_proto.c compares this with EVP_MAC_CTX_dup. */
int auth_mac(const struct auth_key *k, const struct auth_span *s, size_t n,
	     uint8_t out[AUTH_MAC_LEN])
{
	size_t outl = 0;
	bool ok = k->ctx && EVP_MAC_init(k->ctx, NULL, 0, NULL);

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_MAC_update(k->ctx, s[i].p, s[i].n);
	ok = ok && EVP_MAC_final(k->ctx, out, &outl, AUTH_MAC_LEN) && outl == AUTH_MAC_LEN;
	if (!ok) {
		memset(out, 0, AUTH_MAC_LEN);
		return -1;
	}
	return 0;
}

int auth_verify(const struct auth_key *k, const struct auth_span *s, size_t n,
		const uint8_t mac[AUTH_MAC_LEN])
{
	uint8_t want[AUTH_MAC_LEN];

	if (auth_mac(k, s, n, want) != 0)
		return -1;
	return CRYPTO_memcmp(want, mac, AUTH_MAC_LEN) == 0 ? 0 : -1;
}

uint32_t auth_key_id(const struct auth_key *k)
{
	static const char label[] = "xenvnet-key-id";
	struct auth_span s = { label, sizeof(label) - 1 };
	uint8_t mac[AUTH_MAC_LEN];

	if (!k->len || auth_mac(k, &s, 1, mac) != 0)
		return 0;
	return (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
}
