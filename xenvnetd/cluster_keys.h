/* ESP keys and SPIs derived from the cluster key (docs/esp-keys.md).
 *
 * Pure derivation, no kernel and no state: both ends of a host pair compute
 * the same SA from the cluster key file, the two underlay addresses, the
 * direction (which address sends), the security level, the key epoch and
 * the sender's SA generation (drawn afresh whenever its kernel lost its
 * SAs, announced in HELLO), so nothing secret crosses the network, a
 * restarted daemon finds the very SAs it left in the kernel, and a host
 * that rebooted never sends again under a key it used before. */
#ifndef XENVNETD_CLUSTER_KEYS_H
#define XENVNETD_CLUSTER_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* The level's byte in the derivation (and its transform). */
enum ckeys_level { CKEYS_AUTH = 1, CKEYS_CONF = 2 };

#define CKEYS_KEY_MAX 32

struct ckeys_sa {
	uint32_t spi;             /* host order; top bit always set */
	uint8_t key[CKEYS_KEY_MAX];
	size_t keylen;            /* 32 (auth: hmac(sha256)), 20 (conf: AES-128 + 4-byte salt) */
};

/* One direction's SA: sent by @src to @dst (each 4 bytes for AF_INET, 16
 * for AF_INET6) at @level in @epoch, @gen being the sender's generation.  Returns 0, or -1 when libcrypto
 * fails or an argument is out of range (out is then zeroed). */
int ckeys_derive(const uint8_t *ikm, size_t ikmlen, enum ckeys_level level, uint32_t epoch, int family,
		 const void *src, const void *dst, uint64_t gen, struct ckeys_sa *out);

/* Wipe a derived SA. */
void ckeys_wipe(struct ckeys_sa *sa);

#endif
