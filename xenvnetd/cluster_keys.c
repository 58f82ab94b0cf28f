/* HKDF-SHA-256 (RFC 5869) of the cluster key into per-pair ESP SAs; the
 * byte layout is the interoperability contract of docs/esp-keys.md. */
#include "cluster_keys.h"

#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <string.h>
#include <sys/socket.h>

#define CKEYS_SALT "xenvnet-esp-v2"

/* info = level (1) || epoch (4, big-endian) || family (1: 4 or 6) || src || dst
 *        || sender's SA generation (8, big-endian) */
static size_t build_info(uint8_t *info, enum ckeys_level level, uint32_t epoch, int family,
			 const void *src, const void *dst, uint64_t gen)
{
	size_t alen = family == AF_INET ? 4 : 16, n = 0;
	uint32_t be = htonl(epoch);

	info[n++] = (uint8_t)level;
	memcpy(info + n, &be, 4);
	n += 4;
	info[n++] = family == AF_INET ? 4 : 6;
	memcpy(info + n, src, alen);
	n += alen;
	memcpy(info + n, dst, alen);
	n += alen;
	for (int i = 7; i >= 0; i--)
		info[n++] = (uint8_t)(gen >> (8 * i));
	return n;
}

static int hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen, uint8_t *out,
		size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5];
	int rc = -1;

	if (ctx) {
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
		p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
		p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)CKEYS_SALT,
							 sizeof(CKEYS_SALT) - 1);
		p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
		p[4] = OSSL_PARAM_construct_end();
		rc = EVP_KDF_derive(ctx, out, outlen, p) == 1 ? 0 : -1;
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int ckeys_derive(const uint8_t *ikm, size_t ikmlen, enum ckeys_level level, uint32_t epoch, int family,
		 const void *src, const void *dst, uint64_t gen, struct ckeys_sa *out)
{
	uint8_t info[1 + 4 + 1 + 16 + 16 + 8], okm[4 + CKEYS_KEY_MAX];
	size_t keylen = level == CKEYS_AUTH ? 32 : 20, infolen;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((level != CKEYS_AUTH && level != CKEYS_CONF) || (family != AF_INET && family != AF_INET6) ||
	    !ikm || !ikmlen)
		return -1;
	infolen = build_info(info, level, epoch, family, src, dst, gen);
	if (hkdf(ikm, ikmlen, info, infolen, okm, 4 + keylen) == 0) {
		/* The top bit keeps derived SPIs clear of the reserved 1..255. */
		out->spi = ((uint32_t)okm[0] << 24 | (uint32_t)okm[1] << 16 | (uint32_t)okm[2] << 8 | okm[3]) |
			   0x80000000u;
		memcpy(out->key, okm + 4, keylen);
		out->keylen = keylen;
		rc = 0;
	}
	OPENSSL_cleanse(okm, sizeof(okm));
	return rc;
}

void ckeys_wipe(struct ckeys_sa *sa)
{
	OPENSSL_cleanse(sa, sizeof(*sa));
}
