/* The narrow interface between the reconciler and the kernel data plane.
 * One implementation per link kind: in-kernel VXLAN (dp_vxlan.c) and our
 * own vnet.ko (kmod/, dp_vnet.c); config `dataplane` picks one. */
#ifndef XENVNETD_DATAPLANE_H
#define XENVNETD_DATAPLANE_H

#include <stddef.h>
#include <stdint.h>
#include "kern.h"
#include "vnet_schema.h"

struct dp_params {
	uint16_t port;      /* UDP port of the tunnel */
	const char *group;  /* multicast group; "" for the family's default */
	bool evpn;          /* control = evpn: the VXLAN device zebra expects
			     * (no group, no learning; cluster_evpn.h) */
	bool fresh;         /* no device of the vnet is known to exist: create
			     * first, look only when a name is taken */
	bool learning;      /* the tunnel learns remote MACs from frames: only
			     * while no control protocol announces them */
};

/* Another host's tunnel endpoint. */
struct dp_host {
	int family;            /* AF_INET or AF_INET6 */
	struct in6_addr addr;  /* IPv4 in the first 4 bytes */
};

struct dataplane_ops {
	const char *kind;
	unsigned overhead4, overhead6; /* bytes a tunnelled frame gains */
	bool full_ids;  /* the wire carries the 128-bit id: VNIs may repeat */
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

extern const struct dataplane_ops dp_vxlan, dp_vnet;

/* The data plane in use: dp_vxlan until dataplane_select(). */
extern const struct dataplane_ops *dp_active;

/* Make the data plane @name ("auto", "vxlan" or "vnet"; auto is vnet when
 * the vnet module is loaded) the one in use.  NULL with a reason when
 * vnet is asked for without its module. */
const struct dataplane_ops *dataplane_select(const char *name, char *err, size_t errlen);

/* The MTU that keeps frames tunnelled by the data plane in use from
 * fragmenting on @u, lowered to the definition's mtu when that is smaller. */
unsigned dp_vnet_mtu(const struct vnet_def *def, const struct kern_underlay *u);

#endif
