/* The data plane on stock kernels: a bridge plus an in-kernel VXLAN device. */
#include "dp_group.h"
#include "dp_tunnel.h"
#include "vnet_err.h"

#include <net/if.h>
#include <netlink/route/link/vxlan.h>

static struct nl_addr *underlay_addr(const struct kern_underlay *u)
{
	return nl_addr_build(u->family, &u->addr, u->family == AF_INET ? 4 : 16);
}

/* The tunnel's multicast group and local address (caller nl_addr_put()s
 * both, also on failure). */
static int tunnel_addrs(const struct kern_underlay *u, const struct dp_params *p, struct nl_addr **group,
			struct nl_addr **local, char *err, size_t errlen)
{
	const char *text = dp_group_text(u, p);

	*group = NULL;
	if (!(*local = underlay_addr(u)))
		return vnet_err(err, errlen, "out of memory");
	if (p->evpn || p->unicast) /* evpn: zebra floods to BGP's VTEPs; secured: no frame on a group */
		return 0;
	if (nl_addr_parse(text, u->family, group) < 0)
		return vnet_err(err, errlen, "multicast group %s does not fit the %s underlay %s", text,
				u->family == AF_INET ? "IPv4" : "IPv6", u->name);
	return 0;
}

/* Does an existing VXLAN device already say what we would create? */
static bool vxlan_matches(struct rtnl_link *l, const struct vnet_def *def, const struct kern_underlay *u,
			  const struct dp_params *p)
{
	uint32_t id = 0, port = 0, link = 0;
	struct nl_addr *group, *local, *g = NULL, *lo = NULL;
	char err[8];
	bool same = false;

	if (!rtnl_link_is_vxlan(l))
		return false;
	if (tunnel_addrs(u, p, &group, &local, err, sizeof(err)) == 0) {
		rtnl_link_vxlan_get_id(l, &id);
		rtnl_link_vxlan_get_port(l, &port);
		rtnl_link_vxlan_get_link(l, &link);
		rtnl_link_vxlan_get_group(l, &g);
		rtnl_link_vxlan_get_local(l, &lo);
		/* Unbound; its group, if any, an FDB entry, not the device's (dp_group.h). */
		same = id == def->vni && port == p->port && link == 0 && (!g || nl_addr_iszero(g)) && lo &&
		       nl_addr_cmp(lo, local) == 0;
	}
	nl_addr_put(g);
	nl_addr_put(lo);
	nl_addr_put(group);
	nl_addr_put(local);
	return same;
}

static int vxlan_create(struct kern *k, const struct vnet_def *def, const struct kern_underlay *u,
			const struct dp_params *p, unsigned mtu, int master, char *err, size_t errlen)
{
	struct nl_addr *group, *local;
	struct rtnl_link *l;
	int rc = -1;

	if (tunnel_addrs(u, p, &group, &local, err, errlen) < 0)
		goto out;
	rc = -NLE_NOMEM;
	if (!(l = rtnl_link_vxlan_alloc()))
		goto out;
	/* One message: born in our group, enslaved and up; labelled next. */
	rtnl_link_set_name(l, def->vnetif);
	rtnl_link_set_group(l, KERN_GROUP);
	rtnl_link_set_mtu(l, mtu);
	rtnl_link_set_master(l, master);
	rtnl_link_set_flags(l, IFF_UP);
	rtnl_link_vxlan_set_id(l, def->vni);
	rtnl_link_vxlan_set_port(l, p->port);
	/* Not bound to the underlay (no group, no link): only so may its MTU
	 * be the underlay's, for guests left at 1500 (docs/design.md, "MTU"). */
	rtnl_link_vxlan_set_local(l, local);
	rtnl_link_vxlan_set_learning(l, p->learning);
	kern_link_changed(k, def->vnetif);
	rc = rtnl_link_add(k->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	if (rc == 0 && group) /* evpn: no group */
		rc = dp_group_entry(k, (int)if_nametoindex(def->vnetif), u->family, nl_addr_get_binary_addr(group),
				    u->ifindex);
out:
	nl_addr_put(group);
	nl_addr_put(local);
	return rc;
}

/* An adopted tunnel: its group entry may have gone meanwhile, and
 * learning changes in place (a tunnel made by a daemon without the
 * control protocol, or an older one, is fixed, not rebuilt). */
static int vxlan_fix(struct kern *k, struct rtnl_link *vx, const struct kern_underlay *u, const struct dp_params *p)
{
	struct nl_addr *group, *local;
	struct rtnl_link *change;
	char err[8];
	int rc = tunnel_addrs(u, p, &group, &local, err, sizeof(err)) < 0 ? -NLE_INVAL : 0;

	/* Queued, not waited for: at a restart every tunnel passes here, and
	 * a round trip each cost seconds per thousand vnets on a busy host
	 * (appending an entry that is there already changes nothing). */
	if (rc == 0 && group)
		rc = dp_group_entry_queue(k, rtnl_link_get_ifindex(vx), u->family, nl_addr_get_binary_addr(group),
					  u->ifindex);
	nl_addr_put(group);
	nl_addr_put(local);
	/* (a link from the restart's snapshot carries learning too: else each
	 * adopted tunnel would be changed, a walk over every link each) */
	if (rc < 0 || rtnl_link_vxlan_get_learning(vx) == (int)p->learning)
		return rc;
	if (!(change = rtnl_link_vxlan_alloc()))
		return -NLE_NOMEM;
	rtnl_link_vxlan_set_learning(change, p->learning);
	kern_link_changed(k, rtnl_link_get_name(vx));
	rc = rtnl_link_change(k->sk, vx, change, 0);
	rtnl_link_put(change);
	return rc;
}

/* pmtu: the kernel answers a bridged tunnel's too-big frames itself. */
static const struct dp_kind vxlan_kind = { "vxlan", vxlan_create, vxlan_matches, vxlan_fix, true };

static int vxlan_apply(struct kern *k, const char *key, const struct vnet_def *def, const struct kern_underlay *u,
		       const struct dp_params *p, char *err, size_t errlen)
{
	struct nl_addr *group, *local;
	int rc = tunnel_addrs(u, p, &group, &local, err, errlen);

	if (rc == 0 && group)
		rc = dp_group_join(u, nl_addr_get_binary_addr(group), err, errlen);
	nl_addr_put(group);
	nl_addr_put(local);
	return rc < 0 ? -1 : dp_tunnel_apply(&vxlan_kind, k, key, def, u, p, err, errlen);
}

/* Outer Ethernet 14 + IP 20/40 + UDP 8 + VXLAN 8. */
const struct dataplane_ops dp_vxlan = DP_TUNNEL_OPS("vxlan", vxlan_apply, 50, 70, false);
