/* The cluster key and HMAC-SHA-256 over it (docs/control-wire.md, "Key file"
 * and "MAC").  Every host of a cluster holds the same key; it authenticates
 * the host-to-host control messages, nothing else.
 *
 * Not thread-safe: a key keeps one prepared MAC context that every call
 * re-initialises, which is what makes a MAC cheap (see auth.c).  The daemon
 * is single-threaded. */
#ifndef XENVNETD_AUTH_H
#define XENVNETD_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#define AUTH_DEFAULT_KEY_FILE "/etc/xenvnet/cluster.key"
#define AUTH_KEY_MIN   16       /* bytes of secret, after decoding */
#define AUTH_KEY_MAX   1024     /* bytes, decoded; a bigger file is refused */
#define AUTH_MAC_LEN   32       /* HMAC-SHA-256, never truncated */

struct auth_key {
	uint8_t secret[AUTH_KEY_MAX];
	size_t len;
	EVP_MAC_CTX *ctx;       /* HMAC-SHA-256 already keyed with secret */
};

/* One contiguous piece of the bytes to authenticate. */
struct auth_span {
	const void *p;
	size_t n;
};

/* Keys passed in must be zero-initialised or hold a key: on success that
 * key is replaced, on failure it is left as it was (so a reload that fails
 * keeps the old key). */

/* Read the key file at path into out.  Refused, with the reason in err:
 * missing or unreadable, not a regular file, readable by others, writable by
 * group or others, owned by neither root nor us, empty, shorter than
 * AUTH_KEY_MIN bytes after decoding, longer than AUTH_KEY_MAX.  The content
 * is hex text, base64 text, or else raw bytes taken as they are (rules in
 * docs/control-wire.md).  Returns 0, or -1. */
int auth_load_key(const char *path, struct auth_key *out, char *err, size_t errlen);

/* Use len bytes at secret as the key (tests, fuzzing, benchmarks; the
 * daemon uses auth_load_key).  Same length limits.  Returns 0 or -1. */
int auth_key_set(struct auth_key *k, const void *secret, size_t len, char *err, size_t errlen);

/* Wipe the secret and free the MAC context.  Safe on a zeroed or freed key. */
void auth_key_free(struct auth_key *k);

/* HMAC-SHA-256 of the concatenation of n spans.  Returns 0, or -1 when
 * libcrypto failed (out is then zeroed, so it can never match). */
int auth_mac(const struct auth_key *k, const struct auth_span *s, size_t n,
	     uint8_t out[AUTH_MAC_LEN]);

/* Compute the MAC as above and compare it with mac in constant time.
 * Returns 0 on a match, -1 on a mismatch or a libcrypto failure. */
int auth_verify(const struct auth_key *k, const struct auth_span *s, size_t n,
		const uint8_t mac[AUTH_MAC_LEN]);

/* The key's public name, announced in HELLOs so that hosts can tell which
 * keys the others hold during a key change (docs/control-wire.md, "Key
 * change"): the first 4 bytes, big-endian, of HMAC-SHA-256 under the key
 * of the 14 bytes "xenvnet-key-id".  Says nothing about the key but
 * whether two hosts hold the same one.  0 for a key not set. */
uint32_t auth_key_id(const struct auth_key *k);

#endif
