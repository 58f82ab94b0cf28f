/* The narrow interface between the reconciler and the kernel data plane.
 * One implementation per link kind: in-kernel VXLAN today (dp_vxlan.c);
 * our own vnet.ko slots in beside it with the same two calls. */
#ifndef XENVNETD_DATAPLANE_H
#define XENVNETD_DATAPLANE_H

#include <stddef.h>
#include <stdint.h>
#include "kern.h"
#include "vnet_schema.h"

struct dp_params {
	uint16_t port;      /* UDP port of the tunnel */
	const char *group;  /* multicast group; "" for the family's default */
	bool fresh;         /* no device of the vnet is known to exist: create
			     * first, look only when a name is taken */
	bool unicast;       /* no multicast group: broadcast goes to the
			     * flood_add() hosts only (secured vnets) */
};

/* Another host's tunnel endpoint. */
struct dp_host {
	int family;            /* AF_INET or AF_INET6 */
	struct in6_addr addr;  /* IPv4 in the first 4 bytes */
};

struct dataplane_ops {
	const char *kind;
	/* Make the kernel carry vnet @key as @def says: create what is
	 * missing, fix what differs, touch nothing that works.  A device of
	 * the same name that is not marked for @key is an error, never
	 * taken over.  Returns 0, or -1 with a reason. */
	int (*apply)(struct kern *k, const char *key, const struct vnet_def *def,
		     const struct kern_underlay *u, const struct dp_params *p, char *err, size_t errlen);
	/* Delete the named device if, and only if, it carries @key's mark.
	 * Returns 1 when deleted, 0 when there was nothing of ours, -1. */
	int (*remove)(struct kern *k, const char *key, const char *name);
	/* The calls below take the vnet's tunnel device by ifindex, are
	 * queued, and reach the kernel at the latest on flush(). */
	/* Send frames for @mac on the vnet to @host (a static entry that
	 * replaces whatever the kernel had for @mac). */
	int (*fdb_set)(struct kern *k, int tunnel, const uint8_t mac[6], const struct dp_host *host);
	int (*fdb_del)(struct kern *k, int tunnel, const uint8_t mac[6]);
	/* Also replicate broadcast and unknown frames of the vnet to @host:
	 * for hosts that multicast does not reach. */
	int (*flood_add)(struct kern *k, int tunnel, const struct dp_host *host);
	int (*flood_del)(struct kern *k, int tunnel, const struct dp_host *host);
	int (*flush)(struct kern *k);
};

extern const struct dataplane_ops dp_vxlan;

/* The MTU that keeps tunnelled frames from fragmenting on @u, lowered to
 * the definition's mtu when that is smaller. */
unsigned dp_vnet_mtu(const struct vnet_def *def, const struct kern_underlay *u);

#endif
