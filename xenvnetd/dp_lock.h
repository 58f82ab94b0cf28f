/* Vif locking: a guest sends only with the MAC its backend was given and,
 * when the backend has an `ip` key, only with those addresses in ARP, ND,
 * IPv4 and IPv6 (DHCP from 0.0.0.0, DAD from ::, link-local allowed).
 *
 * One nftables table of the bridge family, `bridge xenvnet`, owned by the
 * daemon: a prerouting chain that jumps, by input port name (a verdict
 * map), to one chain per locked port.  The kernel filters every frame;
 * the daemon only writes rules when a vif comes, changes or goes.  The
 * table is re-derived from xenstore: the first write after a start
 * replaces it whole in one transaction, so the old rules hold until then
 * (a restarted daemon leaves no gap), and a failed write does the same
 * again later. */
#ifndef XENVNETD_DP_LOCK_H
#define XENVNETD_DP_LOCK_H

#include <stddef.h>
#include <stdint.h>
#include "loop.h"

#define DP_LOCK_TABLE "xenvnet"

struct dp_lock;

struct dp_lock *dp_lock_new(struct loop *l);
/* The rules stay in the kernel (traffic keeps flowing, locked). */
void dp_lock_free(struct dp_lock *lk);

/* Port @dev may send only from @mac and, when @ips (the `ip` key: space
 * or comma separated, "/len" ignored) names any address, only from
 * those.  Written on the next loop turn, batched with the others; the
 * same again costs nothing.  -1 (logged) for a name nftables cannot take. */
int dp_lock_set(struct dp_lock *lk, const char *dev, const uint8_t mac[6], const char *ips);
/* No lock on @dev (any more). */
void dp_lock_clear(struct dp_lock *lk, const char *dev);

/* Every vif is known (xenstore was read whole): if the table was not
 * written since the start, write it now even when no port changed, so
 * that the locks of vifs gone while the daemon was away go too. */
void dp_lock_sync(struct dp_lock *lk);

/* Build the rules of one port's chain into buf (for tests too): the
 * length, or 0 when they do not fit. */
size_t dp_lock_rules(char *buf, size_t size, const char *chain, const uint8_t mac[6], const char *ips);

#endif
