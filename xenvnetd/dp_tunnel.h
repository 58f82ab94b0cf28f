/* What every tunnel data plane shares: the bridge, ownership checks, the
 * create-or-fix flow and FDB programming.  A kind (dp_vxlan.c, dp_vnet.c)
 * supplies only how its device is made and whether one matches. */
#ifndef XENVNETD_DP_TUNNEL_H
#define XENVNETD_DP_TUNNEL_H

#include "dataplane.h"

struct dp_kind {
	const char *name; /* in messages: "vxlan", "vnet" */
	/* Create the tunnel device def->vnetif in KERN_GROUP with @mtu,
	 * enslaved to @master and up.  0, -NLE_EXIST when the name is
	 * taken, or another -NLE_* (or -1 with a reason in err). */
	int (*create)(struct kern *k, const struct vnet_def *def, const struct kern_underlay *u,
		      const struct dp_params *p, unsigned mtu, int master, char *err, size_t errlen);
	/* Does the existing link @l already say what create would? */
	bool (*matches)(struct rtnl_link *l, const struct vnet_def *def, const struct kern_underlay *u,
			const struct dp_params *p);
	/* Optional: change in place what may differ on a matching link
	 * (e.g. learning).  0 or -NLE_*. */
	int (*fix)(struct kern *k, struct rtnl_link *l, const struct kern_underlay *u, const struct dp_params *p);
	/* The kernel answers too-big frames on this kind's tunnel itself
	 * (PMTU for bridged tunnels, fragments outside): its devices take the
	 * underlay's MTU, so guests left at 1500 lose nothing ("MTU" in
	 * docs/design.md).  Otherwise the devices take dp_vnet_mtu(). */
	bool pmtu;
};

int dp_tunnel_apply(const struct dp_kind *t, struct kern *k, const char *key, const struct vnet_def *def,
		    const struct kern_underlay *u, const struct dp_params *p, char *err, size_t errlen);
int dp_tunnel_remove(struct kern *k, const char *key, const char *name);
int dp_fdb_set(struct kern *k, int tunnel, const uint8_t mac[6], const struct dp_host *host);
int dp_fdb_del(struct kern *k, int tunnel, const uint8_t mac[6]);
int dp_flood_add(struct kern *k, int tunnel, const struct dp_host *host);
int dp_flood_del(struct kern *k, int tunnel, const struct dp_host *host);

/* The dataplane_ops of a tunnel kind: all but apply is shared. */
#define DP_TUNNEL_OPS(name_, apply_, over4_, over6_, full_ids_)                                      \
	{                                                                                            \
		.kind = (name_), .overhead4 = (over4_), .overhead6 = (over6_), .full_ids = (full_ids_), \
		.apply = (apply_), .remove = dp_tunnel_remove, .fdb_set = dp_fdb_set,                 \
		.fdb_del = dp_fdb_del, .flood_add = dp_flood_add, .flood_del = dp_flood_del,         \
		.flush = kern_fdb_flush,                                                             \
	}

/* The tunnel's multicast group text: the configured one or the family's. */
const char *dp_group_text(const struct kern_underlay *u, const struct dp_params *p);

#endif
