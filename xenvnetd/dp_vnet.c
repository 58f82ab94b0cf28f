/* The native data plane: a bridge plus a vnet.ko link (kmod/), whose wire
 * header carries the full 128-bit vnet id: no VNI, no mapping. */
#include "dp_tunnel.h"
#include "dp_vnet_link.h"
#include "vnet_err.h"

#include <arpa/inet.h>
#include <string.h>

/* What the vnet link of @def should be; -1 with a reason when the group
 * does not fit the underlay. */
static int wanted(const struct vnet_def *def, const struct kern_underlay *u, const struct dp_params *p,
		  struct vnet_link *v, char *err, size_t errlen)
{
	const char *group = dp_group_text(u, p);

	memset(v, 0, sizeof(*v));
	v->id = def->id;
	v->port = p->port;
	v->family = u->family;
	memcpy(&v->local, &u->addr, u->family == AF_INET ? 4 : 16);
	v->has_group = !p->unicast; /* secured: broadcast by head-end replication only */
	if (v->has_group && inet_pton(u->family, group, &v->group) != 1)
		return vnet_err(err, errlen, "multicast group %s does not fit the %s underlay %s", group,
				u->family == AF_INET ? "IPv4" : "IPv6", u->name);
	v->link = (uint32_t)u->ifindex;
	v->learning = p->learning; /* a change means a new link: no in-place change */
	return 0;
}

static bool vnet_matches(struct rtnl_link *l, const struct vnet_def *def, const struct kern_underlay *u,
			 const struct dp_params *p)
{
	struct vnet_link want, got;
	char err[8];

	return wanted(def, u, p, &want, err, sizeof(err)) == 0 &&
	       vnet_link_read(rtnl_link_get_name(l), &got) == 1 && vnet_link_equal(&want, &got);
}

static int vnet_create(struct kern *k, const struct vnet_def *def, const struct kern_underlay *u,
		       const struct dp_params *p, unsigned mtu, int master, char *err, size_t errlen)
{
	struct vnet_link v;

	if (wanted(def, u, p, &v, err, errlen) < 0)
		return -1;
	kern_link_changed(k, def->vnetif);
	return vnet_link_create(k->sk, def->vnetif, &v, KERN_GROUP, mtu, master, true);
}

/* pmtu: vnet.ko answers a bridged link's too-big frames itself (kmod/send.c). */
static const struct dp_kind vnet_kind = { "vnet", vnet_create, vnet_matches, NULL, true };

static int vnet_apply(struct kern *k, const char *key, const struct vnet_def *def, const struct kern_underlay *u,
		      const struct dp_params *p, char *err, size_t errlen)
{
	return dp_tunnel_apply(&vnet_kind, k, key, def, u, p, err, errlen);
}

/* Outer Ethernet 14 + IP 20/40 + UDP 8 + vnet header 20 (docs/vnet-wire.md);
 * the id on the wire is the whole id: VNIs may repeat. */
const struct dataplane_ops dp_vnet = DP_TUNNEL_OPS("vnet", vnet_apply, 62, 82, true);
