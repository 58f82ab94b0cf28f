/* The checks of `vn diag`, in path order; the walk stops at the first
 * failure, which is the thing to fix first. */
#include "ctl_diag.h"
#include "runtime.h"
#include "log.h"

#include <linux/neighbour.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DIAG_VIFS_MAX 16   /* vifs of one domain looked at */

struct diag {
	struct runtime *rt;
	struct ctl_reply *r;
	bool failed;
};

/* Emit one check; false when it failed (the walk stops). */
static bool check(struct diag *d, const char *name, enum ctl_check_result res, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool check(struct diag *d, const char *name, enum ctl_check_result res, const char *fmt, ...)
{
	char detail[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ctl_emit_check(d->r, &(struct ctl_check){ name, res, detail });
	d->failed |= res == CTL_CHECK_FAIL;
	return res != CTL_CHECK_FAIL;
}

static void mac_text(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- the vnet a bridge or an id belongs to, in any state ---- */

struct vnet_find {
	const char *bridge;          /* by bridge, or */
	const struct vnet_id *id;    /* by id */
	bool found;
	struct vnet_def def;
	enum vnet_state state;
	char reason[256];
};

static void match_vnet(void *arg, const struct vnet_status *st)
{
	struct vnet_find *f = arg;

	if (f->found || !st->valid)
		return;
	if (f->bridge ? strcmp(st->def->bridge, f->bridge) != 0 : !vnet_id_equal(&st->def->id, f->id))
		return;
	f->found = true;
	f->def = *st->def;
	f->state = st->state;
	snprintf(f->reason, sizeof(f->reason), "%s", st->reason ? st->reason : "");
}

static bool check_vnet_up(struct diag *d, const struct vnet_find *v)
{
	char id[VNET_ID_STRLEN];

	vnet_id_format(&v->def.id, id);
	if (v->state != VNET_ST_UP)
		return check(d, "vnet-up", CTL_CHECK_FAIL, "vnet %s is %s: %s", id,
			     vnet_state_name(v->state), v->reason[0] ? v->reason : "no reason given");
	return check(d, "vnet-up", CTL_CHECK_OK, "vnet %s is up", id);
}

/* ---- the other hosts carrying the vnet ---- */

struct host_scan {
	const struct vnet_id *id;
	uint64_t late_ms;
	unsigned carrying;
	char late[PROTO_ADDR_STRLEN];
	uint64_t late_age_ms;
};

static void scan_host(void *arg, const struct cluster_host_info *h)
{
	struct host_scan *s = arg;
	bool carries = false;

	for (size_t i = 0; i < h->nvnets && !carries; i++)
		carries = vnet_id_equal(&h->vnets[i], s->id);
	if (!h->known || !carries)
		return;
	s->carrying++;
	if (h->age_ms > s->late_ms && !s->late[0]) {
		proto_addr_format(h->addr, s->late);
		s->late_age_ms = h->age_ms;
	}
}

/* A host is "not heard" once it missed two HELLOs; the cluster forgets it
 * at its hold time (and then it carries nothing). */
static bool check_hosts(struct diag *d, const struct vnet_id *id)
{
	struct host_scan s = { .id = id, .late_ms = 2u * (uint64_t)d->rt->cfg->hello_ms };

	if (!cluster_running(d->rt->cluster))
		return check(d, "hosts", CTL_CHECK_SKIP, "control protocol off: no host table");
	cluster_foreach_host(d->rt->cluster, scan_host, &s);
	if (s.late[0])
		return check(d, "hosts", CTL_CHECK_FAIL, "host %s not heard for %llus (HELLO every %ums)",
			     s.late, (unsigned long long)(s.late_age_ms / 1000u), d->rt->cfg->hello_ms);
	return check(d, "hosts", CTL_CHECK_OK, "%u other host%s carrying the vnet, all heard",
		     s.carrying, s.carrying == 1 ? "" : "s");
}

/* ---- the cluster's MAC table ---- */

struct mac_scan {
	const struct vnet_id *vnet;  /* NULL: any */
	const uint8_t *mac;
	bool local, remote;
	struct vnet_id remote_vnet;
	struct proto_addr host;
};

static void scan_mac(void *arg, const struct mac_entry *e)
{
	struct mac_scan *s = arg;

	if (e->withdrawn || memcmp(e->mac, s->mac, 6) != 0 || (s->vnet && !vnet_id_equal(s->vnet, &e->vnet)))
		return;
	if (e->local) {
		s->local = true;
	} else if (!s->remote) {
		s->remote = true;
		s->remote_vnet = e->vnet;
		s->host = e->host;
	}
}

/* ---- a local vif ---- */

/* The device's MTU and whether it is a port of bridge; -1: no device. */
static int link_facts(struct kern *k, const char *dev, const char *bridge, unsigned *mtu, bool *port)
{
	struct rtnl_link *l = kern_link_get(k, dev), *br = bridge ? kern_link_get(k, bridge) : NULL;

	if (!l) {
		if (br)
			rtnl_link_put(br);
		return -1;
	}
	*mtu = rtnl_link_get_mtu(l);
	*port = br && rtnl_link_get_master(l) == rtnl_link_get_ifindex(br);
	rtnl_link_put(l);
	if (br)
		rtnl_link_put(br);
	return 0;
}

static void diag_vif(struct diag *d, const struct vif *v)
{
	struct vnet_find vn = { .bridge = v->bridge };
	char mac[18];
	unsigned mtu = 0, vnet_mtu = 0;
	bool port = false, ignored;

	mac_text(v->mac, mac);
	if (!check(d, "vif", CTL_CHECK_OK, "%s: backend %s/%u/%u, MAC %s, bridge %s", v->dev,
		   VIFS_XS_ROOT, v->domid, v->devid, v->mac_ok ? mac : v->mac_text, v->bridge))
		return;
	if (v->state != XENBUS_CONNECTED) {
		check(d, "connected", CTL_CHECK_FAIL, "%s: backend state %d, not Connected (4)", v->dev, v->state);
		return;
	}
	check(d, "connected", CTL_CHECK_OK, "%s: Connected", v->dev);
	reconciler_foreach(d->rt->rec, match_vnet, &vn);
	if (!vn.found) {
		check(d, "bridge", CTL_CHECK_FAIL, "vif on no vnet's bridge: %s is on %s", v->dev,
		      v->bridge[0] ? v->bridge : "no bridge");
		return;
	}
	char id[VNET_ID_STRLEN];
	vnet_id_format(&vn.def.id, id);
	check(d, "bridge", CTL_CHECK_OK, "%s is vnet %s's bridge", v->bridge, id);
	if (!check_vnet_up(d, &vn))
		return;
	if (link_facts(d->rt->k, v->dev, v->bridge, &mtu, &port) < 0) {
		check(d, "port", CTL_CHECK_FAIL, "no device %s in the kernel", v->dev);
		return;
	}
	if (!check(d, "port", port ? CTL_CHECK_OK : CTL_CHECK_FAIL, "%s %s a port of %s in the kernel",
		   v->dev, port ? "is" : "is not", v->bridge))
		return;
	if (!v->mac_ok) {
		check(d, "announced", CTL_CHECK_FAIL, "%s: MAC '%s' is unfit: %s", v->dev, v->mac_text,
		      v->mac_err ? v->mac_err : "invalid");
		return;
	}
	if (!cluster_running(d->rt->cluster)) {
		check(d, "announced", CTL_CHECK_SKIP, "control protocol off: MACs are not announced");
	} else {
		struct mac_scan ms = { .vnet = &vn.def.id, .mac = v->mac };
		cluster_foreach_mac(d->rt->cluster, scan_mac, &ms);
		if (!check(d, "announced", ms.local ? CTL_CHECK_OK : CTL_CHECK_FAIL,
			   "MAC %s %s in the cluster's local MAC table", mac, ms.local ? "is" : "is not announced: not"))
			return;
	}
	if (!check_hosts(d, &vn.def.id))
		return;
	if (link_facts(d->rt->k, vn.def.vnetif, NULL, &vnet_mtu, &ignored) < 0) {
		check(d, "mtu", CTL_CHECK_FAIL, "vnet %s has no device %s in the kernel", id, vn.def.vnetif);
		return;
	}
	if (mtu != vnet_mtu)
		check(d, "mtu", CTL_CHECK_FAIL, "MTU mismatch: %s MTU %u, vnet %s MTU %u", v->dev, mtu, id, vnet_mtu);
	else
		check(d, "mtu", CTL_CHECK_OK, "%s MTU %u, vnet %s MTU %u", v->dev, mtu, id, vnet_mtu);
}

/* ---- a remote MAC ---- */

struct fdb_find {
	int tunnel;
	const uint8_t *mac;
	bool found, fixed;
	struct proto_addr dst;
};

static void find_fdb(void *arg, const struct kern_fdb *f)
{
	struct fdb_find *s = arg;

	if (f->ifindex != s->tunnel || memcmp(f->mac, s->mac, 6) != 0 || !f->has_dst || (s->found && s->fixed))
		return;
	s->found = true;
	s->fixed = f->state & (NUD_PERMANENT | NUD_NOARP);
	if (f->family == AF_INET)
		proto_addr_from_in(&s->dst, (const struct in_addr *)&f->dst);
	else
		proto_addr_from_in6(&s->dst, &f->dst);
}

struct known {
	const struct proto_addr *addr;
	bool found;
};

static void find_host(void *arg, const struct cluster_host_info *h)
{
	struct known *k = arg;

	k->found |= h->known && memcmp(h->addr->b, k->addr->b, sizeof(k->addr->b)) == 0;
}

static void diag_remote(struct diag *d, const uint8_t mac[6])
{
	struct mac_scan ms = { .mac = mac };
	char m[18], host[PROTO_ADDR_STRLEN], at[PROTO_ADDR_STRLEN], id[VNET_ID_STRLEN];

	mac_text(mac, m);
	if (!cluster_running(d->rt->cluster)) {
		check(d, "vif", CTL_CHECK_FAIL, "no local vif has MAC %s, and without the control protocol "
		      "no host announces it", m);
		return;
	}
	cluster_foreach_mac(d->rt->cluster, scan_mac, &ms);
	if (!ms.remote) {
		check(d, "vif", CTL_CHECK_FAIL, "no local vif has MAC %s and no host announced it", m);
		return;
	}
	proto_addr_format(&ms.host, host);
	vnet_id_format(&ms.remote_vnet, id);
	check(d, "vif", CTL_CHECK_OK, "MAC %s is remote: vnet %s, announced by host %s", m, id, host);

	struct vnet_find vn = { .id = &ms.remote_vnet };
	reconciler_foreach(d->rt->rec, match_vnet, &vn);
	if (!vn.found) {
		check(d, "vnet-up", CTL_CHECK_FAIL, "vnet %s is not defined on this host", id);
		return;
	}
	if (!check_vnet_up(d, &vn) || !check_hosts(d, &vn.def.id))
		return;

	struct rtnl_link *tun = kern_link_get(d->rt->k, vn.def.vnetif);
	struct fdb_find f = { .mac = mac };
	if (!tun) {
		check(d, "fdb", CTL_CHECK_FAIL, "vnet %s has no device %s in the kernel", id, vn.def.vnetif);
		return;
	}
	f.tunnel = rtnl_link_get_ifindex(tun);
	rtnl_link_put(tun);
	if (kern_fdb_foreach(d->rt->k, find_fdb, &f) < 0) {
		check(d, "fdb", CTL_CHECK_FAIL, "cannot read the forwarding database");
		return;
	}
	if (!f.found || !f.fixed) {
		check(d, "fdb", CTL_CHECK_FAIL, "remote FDB missing: no static entry for %s on %s%s", m,
		      vn.def.vnetif, f.found ? " (only a learned one)" : "");
		return;
	}
	struct known k = { &f.dst, false };
	proto_addr_format(&f.dst, at);
	cluster_foreach_host(d->rt->cluster, find_host, &k);
	if (!k.found)
		check(d, "fdb", CTL_CHECK_FAIL, "the FDB entry for %s on %s points at %s, not a known host",
		      m, vn.def.vnetif, at);
	else
		check(d, "fdb", CTL_CHECK_OK, "static FDB entry for %s on %s points at host %s", m,
		      vn.def.vnetif, at);
}

/* ---- the request ---- */

struct vif_pick {
	int domid;
	const uint8_t *mac;
	struct vif v[DIAG_VIFS_MAX];
	size_t n;
};

static void pick_vif(void *arg, const struct vif *v)
{
	struct vif_pick *p = arg;

	if (p->n == DIAG_VIFS_MAX)
		return;
	if (p->mac ? v->mac_ok && memcmp(v->mac, p->mac, 6) == 0 : (int)v->domid == p->domid)
		p->v[p->n++] = *v;
}

void ctl_diag(void *arg, int domid, const char *mac, struct ctl_reply *r)
{
	struct diag d = { arg, r, false };
	struct vif_pick p = { .domid = domid };
	uint8_t m[6];

	if (domid < 0) {
		if (mac_parse(mac, m) < 0 || (m[0] & 1)) {
			ctl_reply_fail(r, CTL_E_BAD_REQUEST, "mac '%.32s' is not a unicast MAC address", mac);
			return;
		}
		p.mac = m;
	}
	vifs_foreach(d.rt->vifs, pick_vif, &p);
	if (p.n == 0 && domid >= 0)
		check(&d, "vif", CTL_CHECK_FAIL, "domain %d has no vif backend in xenstore (%s/%d)",
		      domid, VIFS_XS_ROOT, domid);
	else if (p.n == 0)
		diag_remote(&d, m);
	for (size_t i = 0; i < p.n; i++)
		diag_vif(&d, &p.v[i]);
	log_debug("diag %d/%.32s: %s", domid, mac, d.failed ? "found a fault" : "all ok");
}
