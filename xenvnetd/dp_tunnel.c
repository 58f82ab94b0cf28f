/* The create-or-fix flow and FDB programming every tunnel kind shares. */
#include "dp_tunnel.h"
#include "vnet_err.h"

#include <net/if.h>
#include <string.h>

#include "config.h"

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

/* The tunnel device: created, or checked and fixed (parameters that differ
 * mean a new device: they cannot all be changed in place). */
static int apply_tunnel(const struct dp_kind *t, struct kern *k, const char *key, const struct vnet_def *def,
			const struct kern_underlay *u, const struct dp_params *p, unsigned mtu, int master,
			char *err, size_t errlen)
{
	struct rtnl_link *l;
	bool absent;
	int rc;

	l = owned_link(k, "vnetif", def->vnetif, key, &absent, err, errlen);
	if (!l && !absent)
		return -1;
	if (l && !t->matches(l, def, u, p)) {
		rtnl_link_put(l);
		l = NULL;
		if ((rc = kern_link_delete(k, def->vnetif)) < 0)
			return vnet_err(err, errlen, "replacing %s: %s", def->vnetif, nl_geterror(rc));
	}
	if (!l) {
		*err = '\0';
		rc = t->create(k, def, u, p, mtu, master, err, errlen);
		if (rc == 0)
			rc = label_new(k, def->vnetif, key);
		if (rc < 0 && !*err)
			vnet_err(err, errlen, "creating %s %s: %s", t->name, def->vnetif, nl_geterror(rc));
		return rc < 0 ? -1 : 0;
	}
	rc = kern_link_settle(k, l, mtu, master);
	if (rc == 0 && t->fix)
		rc = t->fix(k, l, u, p);
	rtnl_link_put(l);
	if (rc < 0)
		return vnet_err(err, errlen, "setting up %s: %s", def->vnetif, nl_geterror(rc));
	return 0;
}

/* Both devices made without looking first: create and label each, the
 * four requests `ip` would need (every request that changes a link costs
 * the kernel a walk over all links' IPv6 routes; a read waits for the
 * RTNL lock).  -NLE_EXIST when a name is taken: the caller looks then. */
static int apply_fresh(const struct dp_kind *t, struct kern *k, const char *key, const struct vnet_def *def,
		       const struct kern_underlay *u, const struct dp_params *p, unsigned mtu, bool *created,
		       char *err, size_t errlen)
{
	int rc, br;

	rc = kern_bridge_create(k, def->bridge, mtu);
	if (rc == -NLE_EXIST)
		return rc;
	*created = rc == 0;
	if (rc == 0)
		rc = label_new(k, def->bridge, key);
	if (rc < 0)
		return vnet_err(err, errlen, "creating bridge %s: %s", def->bridge, nl_geterror(rc));
	br = (int)if_nametoindex(def->bridge);
	*err = '\0';
	rc = br ? t->create(k, def, u, p, mtu, br, err, errlen) : -NLE_OBJ_NOTFOUND;
	if (rc == 0)
		rc = label_new(k, def->vnetif, key);
	if (rc < 0 && rc != -NLE_EXIST && !*err)
		vnet_err(err, errlen, "creating %s %s: %s", t->name, def->vnetif, nl_geterror(rc));
	return rc == -NLE_EXIST ? rc : rc < 0 ? -1 : 0;
}

int dp_tunnel_apply(const struct dp_kind *t, struct kern *k, const char *key, const struct vnet_def *def,
		    const struct kern_underlay *u, const struct dp_params *p, char *err, size_t errlen)
{
	unsigned mtu = dp_vnet_mtu(def, u);
	int br_index = 0, rc;
	bool created = false;

	if (mtu < VNET_MTU_MIN)
		return vnet_err(err, errlen, "underlay %s MTU %u is too small to carry a tunnel", u->name, u->mtu);
	if (t->pmtu)
		mtu = def->mtu && def->mtu < u->mtu ? def->mtu : u->mtu;
	rc = p->fresh ? apply_fresh(t, k, key, def, u, p, mtu, &created, err, errlen) : -NLE_EXIST;
	if (rc == -NLE_EXIST) /* a device of that name exists: see whose it is */
		rc = apply_bridge(k, key, def, mtu, &br_index, &created, err, errlen) < 0 ? -1
		     : apply_tunnel(t, k, key, def, u, p, mtu, br_index, err, errlen);
	if (rc == 0)
		return 0;
	if (created) /* leave nothing half built behind */
		kern_link_delete(k, def->bridge);
	return -1;
}

const char *dp_group_text(const struct kern_underlay *u, const struct dp_params *p)
{
	return *p->group ? p->group : u->family == AF_INET ? XENVNETD_DEFAULT_GROUP : XENVNETD_DEFAULT_GROUP6;
}

int dp_tunnel_remove(struct kern *k, const char *key, const char *name)
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

int dp_fdb_set(struct kern *k, int tunnel, const uint8_t mac[6], const struct dp_host *host)
{
	return kern_fdb_queue(k, KERN_FDB_REPLACE, tunnel, mac, host->family, &host->addr);
}

/* The tunnel's entry, and what the bridge learned of the MAC behind the
 * tunnel (its port): else the bridge sends the MAC's frames into the
 * tunnel until that ages out (300 s), a stale entry after the guest went
 * or came here. */
int dp_fdb_del(struct kern *k, int tunnel, const uint8_t mac[6])
{
	int rc = kern_fdb_queue(k, KERN_FDB_DELETE, tunnel, mac, 0, NULL);

	return rc < 0 ? rc : kern_fdb_queue(k, KERN_FDB_FORGET, tunnel, mac, 0, NULL);
}

/* Head-end replication: more destinations on the all-zero entry. */
int dp_flood_add(struct kern *k, int tunnel, const struct dp_host *host)
{
	return kern_fdb_queue(k, KERN_FDB_APPEND, tunnel, all_zero_mac, host->family, &host->addr);
}

int dp_flood_del(struct kern *k, int tunnel, const struct dp_host *host)
{
	return kern_fdb_queue(k, KERN_FDB_DELETE, tunnel, all_zero_mac, host->family, &host->addr);
}
