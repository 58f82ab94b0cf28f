/* The data plane on stock kernels: a bridge plus an in-kernel VXLAN device. */
#include "dataplane.h"
#include "vnet_err.h"

#include <arpa/inet.h>
#include <netlink/route/link/vxlan.h>
#include <string.h>

#include "config.h"

/* Outer Ethernet 14 + IP 20/40 + UDP 8 + VXLAN 8. */
#define VXLAN_OVERHEAD_V4 50
#define VXLAN_OVERHEAD_V6 70

unsigned dp_vnet_mtu(const struct vnet_def *def, const struct kern_underlay *u)
{
	unsigned over = u->family == AF_INET6 ? VXLAN_OVERHEAD_V6 : VXLAN_OVERHEAD_V4;
	unsigned mtu = u->mtu > over ? u->mtu - over : 0;

	if (def->mtu && def->mtu < mtu)
		mtu = def->mtu;
	return mtu;
}

static struct nl_addr *underlay_addr(const struct kern_underlay *u)
{
	return nl_addr_build(u->family, &u->addr, u->family == AF_INET ? 4 : 16);
}

/* The tunnel's multicast group and local address (caller nl_addr_put()s
 * both, also on failure). */
static int tunnel_addrs(const struct kern_underlay *u, const struct dp_params *p, struct nl_addr **group,
			struct nl_addr **local, char *err, size_t errlen)
{
	const char *text = *p->group ? p->group
			 : u->family == AF_INET ? XENVNETD_DEFAULT_GROUP : XENVNETD_DEFAULT_GROUP6;

	*group = NULL;
	if (!(*local = underlay_addr(u)))
		return vnet_err(err, errlen, "out of memory");
	if (p->unicast) /* no group: no frame of a secured vnet on it */
		return 0;
	if (nl_addr_parse(text, u->family, group) < 0)
		return vnet_err(err, errlen, "multicast group %s does not fit the %s underlay %s", text,
				u->family == AF_INET ? "IPv4" : "IPv6", u->name);
	return 0;
}

/* Does an existing VXLAN device already say what we would create? */
static bool vxlan_matches(struct rtnl_link *l, const struct vnet_def *def, const struct kern_underlay *u,
			  const struct dp_params *p, struct nl_addr *group, struct nl_addr *local)
{
	uint32_t id = 0, port = 0, link = 0;
	struct nl_addr *g = NULL, *lo = NULL;
	bool same;

	if (!rtnl_link_is_vxlan(l))
		return false;
	rtnl_link_vxlan_get_id(l, &id);
	rtnl_link_vxlan_get_port(l, &port);
	rtnl_link_vxlan_get_link(l, &link);
	rtnl_link_vxlan_get_group(l, &g);
	rtnl_link_vxlan_get_local(l, &lo);
	same = id == def->vni && port == p->port && (int)link == u->ifindex && lo &&
	       (group ? g && nl_addr_cmp(g, group) == 0 : !g || nl_addr_iszero(g)) &&
	       nl_addr_cmp(lo, local) == 0;
	nl_addr_put(g);
	nl_addr_put(lo);
	return same;
}

static int vxlan_create(struct kern *k, const struct vnet_def *def, const struct kern_underlay *u,
			const struct dp_params *p, struct nl_addr *group, struct nl_addr *local,
			unsigned mtu, int master)
{
	struct rtnl_link *l = rtnl_link_vxlan_alloc();
	int rc;

	if (!l)
		return -NLE_NOMEM;
	/* One message: born in our group, enslaved and up; labelled next. */
	rtnl_link_set_name(l, def->vnetif);
	rtnl_link_set_group(l, KERN_GROUP);
	rtnl_link_set_mtu(l, mtu);
	rtnl_link_set_master(l, master);
	rtnl_link_set_flags(l, IFF_UP);
	rtnl_link_vxlan_set_id(l, def->vni);
	rtnl_link_vxlan_set_port(l, p->port);
	if (group)
		rtnl_link_vxlan_set_group(l, group);
	rtnl_link_vxlan_set_local(l, local);
	rtnl_link_vxlan_set_link(l, (uint32_t)u->ifindex);
	rtnl_link_vxlan_set_learning(l, 1);
	kern_link_changed(k, def->vnetif);
	rc = rtnl_link_add(k->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	return rc;
}

/* Label a link we just created, so that it is known as ours for good. */
static int label_new(struct kern *k, const char *name, const char *key)
{
	return kern_link_label_name(k, name, key);
}

/* The link named, checked to be ours; NULL with a reason otherwise (or
 * with no reason and *absent set when there is no such link). */
static struct rtnl_link *owned_link(struct kern *k, const char *what, const char *name, const char *key,
				    bool *absent, char *err, size_t errlen)
{
	struct rtnl_link *l = kern_link_get(k, name);
	const char *owner;

	*absent = !l;
	if (!l)
		return NULL;
	owner = kern_link_owner(l);
	if (owner && strcmp(owner, key) == 0)
		return l;
	if (kern_link_half_made(l) && kern_link_label(k, l, key) == 0) {
		rtnl_link_put(l);
		return kern_link_get(k, name); /* re-read with its label */
	}
	if (owner)
		vnet_err(err, errlen, "%s %s already belongs to vnet %s", what, name, owner);
	else
		vnet_err(err, errlen, "%s %s is an existing interface that xenvnetd did not create", what, name);
	rtnl_link_put(l);
	return NULL;
}

static int apply_bridge(struct kern *k, const char *key, const struct vnet_def *def, unsigned mtu,
			int *ifindex, bool *created, char *err, size_t errlen)
{
	bool absent;
	struct rtnl_link *br = owned_link(k, "bridge", def->bridge, key, &absent, err, errlen);
	int rc;

	if (!br && !absent)
		return -1;
	if (!br) {
		rc = kern_bridge_create(k, def->bridge, mtu);
		if (rc < 0 || (rc = label_new(k, def->bridge, key)) < 0)
			return vnet_err(err, errlen, "creating bridge %s: %s", def->bridge, nl_geterror(rc));
		*created = true;
		br = owned_link(k, "bridge", def->bridge, key, &absent, err, errlen);
		if (!br)
			return vnet_err(err, errlen, "bridge %s vanished after creation", def->bridge);
	}
	rc = kern_link_settle(k, br, mtu, 0);
	*ifindex = rtnl_link_get_ifindex(br);
	rtnl_link_put(br);
	if (rc < 0)
		return vnet_err(err, errlen, "setting up bridge %s: %s", def->bridge, nl_geterror(rc));
	return 0;
}

static int apply_vxlan(struct kern *k, const char *key, const struct vnet_def *def, const struct kern_underlay *u,
		       const struct dp_params *p, unsigned mtu, int master, char *err, size_t errlen)
{
	struct nl_addr *group, *local;
	struct rtnl_link *vx = NULL;
	bool absent;
	int rc = -1;

	if (tunnel_addrs(u, p, &group, &local, err, errlen) < 0)
		goto out;
	vx = owned_link(k, "vnetif", def->vnetif, key, &absent, err, errlen);
	if (!vx && !absent)
		goto out;
	if (vx && !vxlan_matches(vx, def, u, p, group, local)) {
		/* Tunnel parameters cannot all be changed in place. */
		rtnl_link_put(vx);
		vx = NULL;
		if ((rc = kern_link_delete(k, def->vnetif)) < 0) {
			vnet_err(err, errlen, "replacing %s: %s", def->vnetif, nl_geterror(rc));
			rc = -1;
			goto out;
		}
	}
	if (!vx) {
		rc = vxlan_create(k, def, u, p, group, local, mtu, master);
		if (rc == 0)
			rc = label_new(k, def->vnetif, key);
		if (rc < 0) {
			vnet_err(err, errlen, "creating vxlan %s: %s", def->vnetif, nl_geterror(rc));
			rc = -1;
		}
		goto out;
	}
	rc = kern_link_settle(k, vx, mtu, master);
	if (rc < 0) {
		vnet_err(err, errlen, "setting up %s: %s", def->vnetif, nl_geterror(rc));
		rc = -1;
	}
out:
	if (vx)
		rtnl_link_put(vx);
	nl_addr_put(group);
	nl_addr_put(local);
	return rc;
}

/* Both devices made without looking first: create and label each, the
 * four requests `ip` would need (every request that changes a link costs
 * the kernel a walk over all links' IPv6 routes; a read waits for the
 * RTNL lock).  -NLE_EXIST when a name is taken: the caller looks then. */
static int apply_fresh(struct kern *k, const char *key, const struct vnet_def *def, const struct kern_underlay *u,
		       const struct dp_params *p, unsigned mtu, bool *created, char *err, size_t errlen)
{
	struct nl_addr *group, *local;
	int rc = -1, br;

	if (tunnel_addrs(u, p, &group, &local, err, errlen) < 0)
		goto out;
	rc = kern_bridge_create(k, def->bridge, mtu);
	if (rc == -NLE_EXIST)
		goto out;
	*created = rc == 0;
	if (rc == 0)
		rc = label_new(k, def->bridge, key);
	if (rc < 0) {
		rc = vnet_err(err, errlen, "creating bridge %s: %s", def->bridge, nl_geterror(rc));
		goto out;
	}
	br = (int)if_nametoindex(def->bridge);
	rc = br ? vxlan_create(k, def, u, p, group, local, mtu, br) : -NLE_OBJ_NOTFOUND;
	if (rc == 0)
		rc = label_new(k, def->vnetif, key);
	if (rc < 0 && rc != -NLE_EXIST)
		rc = vnet_err(err, errlen, "creating vxlan %s: %s", def->vnetif, nl_geterror(rc));
out:
	nl_addr_put(group);
	nl_addr_put(local);
	return rc;
}

static int vxlan_apply(struct kern *k, const char *key, const struct vnet_def *def, const struct kern_underlay *u,
		       const struct dp_params *p, char *err, size_t errlen)
{
	unsigned mtu = dp_vnet_mtu(def, u);
	int br_index = 0, rc;
	bool created = false;

	if (mtu < VNET_MTU_MIN)
		return vnet_err(err, errlen, "underlay %s MTU %u is too small to carry a tunnel", u->name, u->mtu);
	rc = p->fresh ? apply_fresh(k, key, def, u, p, mtu, &created, err, errlen) : -NLE_EXIST;
	if (rc == -NLE_EXIST) /* a device of that name exists: see whose it is */
		rc = apply_bridge(k, key, def, mtu, &br_index, &created, err, errlen) < 0 ? -1
		     : apply_vxlan(k, key, def, u, p, mtu, br_index, err, errlen);
	if (rc == 0)
		return 0;
	if (created) /* leave nothing half built behind */
		kern_link_delete(k, def->bridge);
	return -1;
}

static int vxlan_remove(struct kern *k, const char *key, const char *name)
{
	struct rtnl_link *l;
	const char *owner;
	int rc = 0;

	if (!name || !*name || !(l = kern_link_get(k, name)))
		return 0;
	owner = kern_link_owner(l);
	if (owner && strcmp(owner, key) == 0)
		rc = kern_link_delete(k, name) < 0 ? -1 : 1;
	rtnl_link_put(l);
	return rc;
}

static const uint8_t all_zero_mac[6];

static int vxlan_fdb_set(struct kern *k, int tunnel, const uint8_t mac[6], const struct dp_host *host)
{
	return kern_fdb_queue(k, KERN_FDB_REPLACE, tunnel, mac, host->family, &host->addr);
}

static int vxlan_fdb_del(struct kern *k, int tunnel, const uint8_t mac[6])
{
	return kern_fdb_queue(k, KERN_FDB_DELETE, tunnel, mac, 0, NULL);
}

/* Head-end replication: more destinations on the all-zero entry. */
static int vxlan_flood_add(struct kern *k, int tunnel, const struct dp_host *host)
{
	return kern_fdb_queue(k, KERN_FDB_APPEND, tunnel, all_zero_mac, host->family, &host->addr);
}

static int vxlan_flood_del(struct kern *k, int tunnel, const struct dp_host *host)
{
	return kern_fdb_queue(k, KERN_FDB_DELETE, tunnel, all_zero_mac, host->family, &host->addr);
}

const struct dataplane_ops dp_vxlan = {
	.kind = "vxlan",
	.apply = vxlan_apply,
	.remove = vxlan_remove,
	.fdb_set = vxlan_fdb_set,
	.fdb_del = vxlan_fdb_del,
	.flood_add = vxlan_flood_add,
	.flood_del = vxlan_flood_del,
	.flush = kern_fdb_flush,
};
