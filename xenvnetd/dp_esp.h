/* The kernel's IPsec (XFRM) for secured vnets, over netlink with
 * libnl-xfrm-3: the per-level guard policies, the per-peer policies and
 * the per-pair SAs of docs/esp-keys.md.  Programming only; which SAs a
 * host wants, and when, is cluster_esp.c's business. */
#ifndef XENVNETD_DP_ESP_H
#define XENVNETD_DP_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cluster_keys.h"

#define DP_ESP_REQID_BASE 0x78760000u  /* "xv": reqid = base + level */
#define DP_ESP_PRIO_PAIR  100u         /* a peer's policy wins over ... */
#define DP_ESP_PRIO_GUARD 200u         /* ... the level's catch-all */
/* The replay window: the kernel's bitmap mode (a replay state with the
 * ESN flag clear), as the legacy 32 bits drop a frame that a loaded host
 * delivers 32 frames late (seen under emulation, a vCPU held up). */
#define DP_ESP_REPLAY     1024u

struct xfrmnl_sa;
struct xfrmnl_sp;

/* One end of an SA or policy: family and address (4 or 16 bytes). */
struct dp_esp_addr {
	int family;
	uint8_t b[16];
};

/* What a policy says. */
enum dp_esp_policy {
	DP_ESP_GUARD_OUT,  /* src local, dst any, dport: block */
	DP_ESP_GUARD_IN,   /* dst local, dport: ESP required */
	DP_ESP_PAIR_OUT,   /* src local, dst peer, dport: ESP with the level's reqid */
};

/* Builders (unit-tested without a kernel); the caller puts the object.
 * NULL when out of memory or an argument is bad. */
struct xfrmnl_sp *dp_esp_build_policy(enum dp_esp_policy kind, enum ckeys_level level,
				      const struct dp_esp_addr *local, const struct dp_esp_addr *peer,
				      uint16_t port);
/* The SA sent by src to dst; hard_s > 0 sets a hard lifetime in seconds
 * from its creation. */
struct xfrmnl_sa *dp_esp_build_sa(enum ckeys_level level, const struct dp_esp_addr *src,
				  const struct dp_esp_addr *dst, const struct ckeys_sa *k, uint64_t hard_s);

struct dp_esp;
struct dp_esp *dp_esp_new(char *err, size_t errlen);
void dp_esp_free(struct dp_esp *e);

/* Install (add or replace) or remove a policy.  0, or a negative libnl
 * error (removing one that is not there is 0). */
int dp_esp_policy(struct dp_esp *e, bool add, enum dp_esp_policy kind, enum ckeys_level level,
		  const struct dp_esp_addr *local, const struct dp_esp_addr *peer, uint16_t port);
/* Add an SA: 1 when the kernel already had that SPI (adopted: the same
 * derivation made it), 0 when added, or a negative libnl error. */
int dp_esp_sa_add(struct dp_esp *e, enum ckeys_level level, const struct dp_esp_addr *src,
		  const struct dp_esp_addr *dst, const struct ckeys_sa *k, uint64_t hard_s);
/* Remove the SA of that SPI towards dst (0 when gone or absent). */
int dp_esp_sa_del(struct dp_esp *e, const struct dp_esp_addr *src, const struct dp_esp_addr *dst,
		  uint32_t spi);
/* How many of our SAs (reqid of a level) this kernel holds whose source
 * is an address of this host: the outbound ones.  >= 0, or a negative
 * libnl error. */
int dp_esp_count_out(struct dp_esp *e);
/* Can this kernel carry ESP?  Adds and removes a throw-away SA of each
 * level's transform.  0, or -1 with the reason. */
int dp_esp_probe(struct dp_esp *e, const struct dp_esp_addr *local, char *err, size_t errlen);

#endif
