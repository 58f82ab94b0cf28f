#include "runtime.h"
#include "cluster_dns.h"
#include "cluster_esp.h"
#include "cluster_evpn.h"
#include "ctl_diag.h"
#include "log.h"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a snapshot of the links, to map names and indexes ---- */

struct link_row {
	char name[IFNAMSIZ];
	int ifindex, master;
	bool up;
	unsigned mtu;
	bool has_mac;
	uint8_t mac[6];
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_errors, rx_dropped, tx_errors, tx_dropped;
};

struct links {
	struct link_row *v;
	size_t n, cap;
};

static void add_link(void *arg, const struct kern_link_info *l)
{
	struct links *ls = arg;

	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 64;
		struct link_row *v = realloc(ls->v, cap * sizeof(*v));
		if (!v)
			return;
		ls->v = v;
		ls->cap = cap;
	}
	struct link_row *r = &ls->v[ls->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", l->name);
	r->ifindex = l->ifindex;
	r->master = l->master;
	r->up = l->up;
	r->mtu = l->mtu;
	if (l->mac) {
		r->has_mac = true;
		memcpy(r->mac, l->mac, 6);
	}
	r->rx_packets = l->rx_packets;
	r->rx_bytes = l->rx_bytes;
	r->tx_packets = l->tx_packets;
	r->tx_bytes = l->tx_bytes;
	r->rx_errors = l->rx_errors;
	r->rx_dropped = l->rx_dropped;
	r->tx_errors = l->tx_errors;
	r->tx_dropped = l->tx_dropped;
}

static int load_links(struct runtime *rt, struct links *ls)
{
	memset(ls, 0, sizeof(*ls));
	return kern_links_foreach(rt->k, add_link, ls);
}

static const struct link_row *link_named(const struct links *ls, const char *name)
{
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->v[i].name, name) == 0)
			return &ls->v[i];
	return NULL;
}

static const struct link_row *link_index(const struct links *ls, int ifindex)
{
	for (size_t i = 0; i < ls->n; i++)
		if (ls->v[i].ifindex == ifindex)
			return &ls->v[i];
	return NULL;
}

static unsigned count_ports(const struct links *ls, int bridge)
{
	unsigned n = 0;

	for (size_t i = 0; i < ls->n; i++)
		n += bridge && ls->v[i].master == bridge;
	return n;
}

/* ---- the vnets that are up, with their devices ---- */

struct up_vnet {
	struct vnet_def def;
	int bridge, vnetif;   /* ifindexes; 0 when missing */
};

struct up_list {
	struct up_vnet *v;
	size_t n, cap;
	const struct links *ls;
	const struct vnet_id *only;
};

static void add_up(void *arg, const struct vnet_status *st)
{
	struct up_list *l = arg;
	const struct link_row *br, *vx;

	if (st->state != VNET_ST_UP || (l->only && !vnet_id_equal(l->only, &st->def->id)))
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct up_vnet *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	br = link_named(l->ls, st->def->bridge);
	vx = link_named(l->ls, st->def->vnetif);
	l->v[l->n++] = (struct up_vnet){ .def = *st->def, .bridge = br ? br->ifindex : 0,
					 .vnetif = vx ? vx->ifindex : 0 };
}

static void load_up(struct runtime *rt, const struct links *ls, const struct vnet_id *only, struct up_list *l)
{
	memset(l, 0, sizeof(*l));
	l->ls = ls;
	l->only = only;
	reconciler_foreach(rt->rec, add_up, l);
}

/* ---- status ---- */

struct tally {
	unsigned all, up, error;
};

static void count_vnet(void *arg, const struct vnet_status *st)
{
	struct tally *t = arg;

	t->all++;
	t->up += st->state == VNET_ST_UP;
	t->error += st->state == VNET_ST_ERROR;
}

struct host_tally {
	unsigned hosts, multicast;
};

static void count_host(void *arg, const struct cluster_host_info *h)
{
	struct host_tally *t = arg;

	t->hosts += h->known;
	t->multicast += h->known && h->multicast;
}

static void count_mac(void *arg, const struct mac_entry *e)
{
	uint64_t *n = arg;

	n[0] += e->local && !e->withdrawn;
	n[1] += !e->local && e->installed;
	n[2] += e->refused;
}

static void rt_status(void *arg, struct ctl_reply *r)
{
	struct runtime *rt = arg;
	const struct kern_underlay *u = reconciler_underlay(rt->rec);
	struct tally t = { 0 };
	struct ctl_status s = {
		.version = rt->version, .dataplane = rt->dp->kind, .underlay = u ? u->name : NULL,
		.port = rt->cfg->port, .peers = (unsigned)rt->peers->n,
		.xenstore = xsconn_state(rt->xs),
		.uptime_s = (loop_now_ms() - rt->started_ms) / 1000u,
	};

	reconciler_foreach(rt->rec, count_vnet, &t);
	s.vnets = t.all;
	s.vnets_up = t.up;
	s.vnets_error = t.error;
	ctl_emit_status(r, &s);
	cluster_evpn_emit(r, rt->cfg, u);
	ctl_emit_counter(r, "control-protocol", cluster_running(rt->cluster));
	ctl_emit_counter(r, "key-changing", cluster_key_changing(rt->cluster));
	ctl_emit_counter(r, "fdb-write-errors", rt->k->batch_errors);
	ctl_emit_counter(r, "vifs-bad-mac", vifs_bad_macs(rt->vifs));
	/* The same counters with the control protocol off (all zero), so
	 * that the shape of the reply does not depend on it. */
	static const struct proto_stats none;
	bool on = cluster_running(rt->cluster);
	const struct proto_stats *st = on ? cluster_stats(rt->cluster) : &none;
	struct host_tally ht = { 0 };
	uint64_t macs[3] = { 0, 0, 0 };
	if (on) {
		cluster_foreach_host(rt->cluster, count_host, &ht);
		cluster_foreach_mac(rt->cluster, count_mac, macs);
	}
	ctl_emit_counter(r, "hosts", ht.hosts);
	ctl_emit_counter(r, "hosts-multicast", ht.multicast);
	ctl_emit_counter(r, "macs-local", macs[0]);
	ctl_emit_counter(r, "macs-remote", macs[1]);
	ctl_emit_counter(r, "msgs-ok", st->ok);
	ctl_emit_counter(r, "msgs-bad-mac", st->bad_mac);
	ctl_emit_counter(r, "msgs-replayed", st->replayed);
	ctl_emit_counter(r, "msgs-dup", st->dup);
	ctl_emit_counter(r, "msgs-stale", st->stale);
	ctl_emit_counter(r, "msgs-malformed", st->malformed);
	ctl_emit_counter(r, "msgs-version", st->version);
	ctl_emit_counter(r, "mac-moves", on ? cluster_moves(rt->cluster) : 0);
	ctl_emit_counter(r, "mac-flaps", on ? cluster_flaps(rt->cluster) : 0);
	ctl_emit_counter(r, "fdb-refused", on ? cluster_fdb_refused(rt->cluster) : 0);
	ctl_emit_counter(r, "macs-refused", macs[2]);
	ctl_emit_counter(r, "entries-bad-in", st->bad_entries);
	ctl_emit_counter(r, "entries-bad-out", on ? cluster_bad_out(rt->cluster) : 0);
	ctl_emit_counter(r, "bounds-refused", on ? cluster_dropped(rt->cluster) : 0);
	/* ESP of secured vnets: the same names without it (zeros). */
	struct cesp_status es = { 0 };
	if (rt->esp)
		cesp_status(rt->esp, &es);
	ctl_emit_counter(r, "esp-active", es.active);
	ctl_emit_counter(r, "esp-epoch", es.epoch);
	ctl_emit_counter(r, "esp-offset", es.offset);
	ctl_emit_counter(r, "esp-hosts", es.hosts);
	ctl_emit_counter(r, "esp-hosts-ok", es.hosts_ok);
	ctl_emit_counter(r, "esp-refused", es.sa_errors);
	ctl_emit_counter(r, "esp-in-integrity", es.in_integrity);
	ctl_emit_counter(r, "esp-in-replay", es.in_replay);
	ctl_emit_counter(r, "esp-in-clear", es.in_clear);
	ctl_emit_counter(r, "esp-out-dropped", es.out_blocked);
}

/* ---- vnets and ports ---- */

struct vnet_emit {
	struct runtime *rt;
	struct ctl_reply *r;
	const struct links *ls;
};

static void emit_vnet(void *arg, const struct vnet_status *st)
{
	struct vnet_emit *ve = arg;
	const struct link_row *br = link_named(ve->ls, st->def->bridge);
	const struct link_row *vx = link_named(ve->ls, st->def->vnetif);
	struct ctl_vnet v = {
		.bridge = st->valid ? st->def->bridge : "", .vnetif = st->valid ? st->def->vnetif : "",
		.vni = st->valid ? st->def->vni : 0, .mtu = st->state == VNET_ST_UP && vx ? vx->mtu : 0,
		.state = vnet_state_name(st->state),
		.error = st->state == VNET_ST_UP ? NULL : st->reason,
		.ports = st->state == VNET_ST_UP && br ? count_ports(ve->ls, br->ifindex) : 0,
	};

	if (!st->valid)
		return; /* no id to show it under: vn lists it from xenstore */
	v.id = st->def->id;
	ctl_emit_vnet(ve->r, &v);
}

static void rt_list_vnets(void *arg, struct ctl_reply *r)
{
	struct runtime *rt = arg;
	struct links ls;
	struct vnet_emit ve = { rt, r, &ls };

	if (load_links(rt, &ls) < 0) {
		ctl_reply_fail(r, CTL_E_FAILED, "cannot read links from the kernel");
		return;
	}
	reconciler_foreach(rt->rec, emit_vnet, &ve);
	free(ls.v);
}

struct vif_lookup {
	const char *name;
	int domid;
	uint8_t mac[6];   /* the domain's, from the backend: not netback's */
};

static void match_vif(void *arg, const struct vif *v)
{
	struct vif_lookup *l = arg;

	if (strcmp(v->dev, l->name) == 0 && v->mac_ok) {
		l->domid = (int)v->domid;
		memcpy(l->mac, v->mac, 6);
	}
}

static void rt_list_ports(void *arg, struct ctl_reply *r)
{
	struct runtime *rt = arg;
	struct links ls;
	struct up_list up;

	if (load_links(rt, &ls) < 0) {
		ctl_reply_fail(r, CTL_E_FAILED, "cannot read links from the kernel");
		return;
	}
	load_up(rt, &ls, NULL, &up);
	for (size_t i = 0; i < up.n; i++) {
		for (size_t j = 0; j < ls.n; j++) {
			const struct link_row *l = &ls.v[j];
			struct vif_lookup vl = { .name = l->name, .domid = -1 };
			if (!up.v[i].bridge || l->master != up.v[i].bridge)
				continue;
			vifs_foreach(rt->vifs, match_vif, &vl);
			struct ctl_port p = {
				.vnet = up.v[i].def.id, .bridge = up.v[i].def.bridge, .name = l->name,
				.kind = l->ifindex == up.v[i].vnetif ? CTL_PORT_VNIF
					: vl.domid >= 0 ? CTL_PORT_VIF : CTL_PORT_OTHER,
				.mac = vl.domid >= 0 ? vl.mac : l->has_mac ? l->mac : NULL, .up = l->up, .mtu = l->mtu, .domid = vl.domid,
				.has_stats = true, .rx_packets = l->rx_packets, .rx_bytes = l->rx_bytes,
				.tx_packets = l->tx_packets, .tx_bytes = l->tx_bytes,
				.rx_errors = l->rx_errors, .rx_dropped = l->rx_dropped,
				.tx_errors = l->tx_errors, .tx_dropped = l->tx_dropped,
			};
			ctl_emit_port(r, &p);
		}
	}
	free(up.v);
	free(ls.v);
}

/* ---- the MAC table ---- */

/* One varp row, kept until the walk ends so that duplicates can go. */
struct fdb_row {
	struct ctl_fdb e;
	char remote[INET6_ADDRSTRLEN];
};

struct fdb_walk {
	struct runtime *rt;
	struct ctl_reply *r;
	const struct links *ls;
	const struct up_list *up;
	bool flush;
	unsigned long flushed;
	struct fdb_row *rows;
	size_t n, cap;
};

static const struct up_vnet *vnet_of_fdb(const struct fdb_walk *w, const struct kern_fdb *f, bool *on_tunnel)
{
	for (size_t i = 0; i < w->up->n; i++) {
		const struct up_vnet *v = &w->up->v[i];
		if (v->vnetif && f->ifindex == v->vnetif) {
			*on_tunnel = true;
			return v;
		}
		if (v->bridge && f->master == v->bridge) {
			*on_tunnel = false;
			return v;
		}
	}
	return NULL;
}

static bool zero_mac(const uint8_t m[6])
{
	static const uint8_t z[6];
	return memcmp(m, z, 6) == 0;
}

static void walk_fdb(void *arg, const struct kern_fdb *f)
{
	struct fdb_walk *w = arg;
	bool tunnel = false;
	const struct up_vnet *v = vnet_of_fdb(w, f, &tunnel);
	bool fixed = f->state & (NUD_PERMANENT | NUD_NOARP);
	char remote[INET6_ADDRSTRLEN] = "";

	if (!v || zero_mac(f->mac) || (f->mac[0] & 1))
		return; /* not a vnet's, a flood list entry, or multicast */
	if (w->flush) {
		/* Forget what the kernel learned; what we (or the bridge) set stays. */
		if (!fixed && (tunnel || f->ifindex == v->vnetif) && kern_fdb_delete(w->rt->k, f) == 0)
			w->flushed++;
		return;
	}
	if (tunnel) {
		if (!f->has_dst)
			return;
		inet_ntop(f->family, &f->dst, remote, sizeof(remote));
	} else if ((f->state & NUD_PERMANENT) || f->ifindex == v->vnetif || f->ifindex == v->bridge) {
		/* A port's own address, or learned behind the tunnel (shown
		 * above); a member's pinned entry (static, sticky) is shown. */
		return;
	}
	const struct link_row *port = tunnel ? NULL : link_index(w->ls, f->ifindex);
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct fdb_row *grown = realloc(w->rows, cap * sizeof(*grown));
		if (!grown)
			return;
		w->rows = grown;
		w->cap = cap;
	}
	struct fdb_row *row = &w->rows[w->n++];
	row->e = (struct ctl_fdb){
		.vnet = v->def.id, .dev = port ? port->name : NULL,
		.state = !tunnel ? CTL_FDB_LOCAL : fixed ? CTL_FDB_STATIC : CTL_FDB_LEARNED,
		.has_age = f->has_age, .age_s = f->age_s,
	};
	memcpy(row->e.mac, f->mac, 6);
	memcpy(row->remote, remote, sizeof(remote));
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Same vnet, MAC and place: the one entry a person sees. */
static int cmp_row(const void *pa, const void *pb)
{
	const struct fdb_row *a = pa, *b = pb;
	int c = memcmp(a->e.vnet.b, b->e.vnet.b, sizeof(a->e.vnet.b));

	if (!c)
		c = memcmp(a->e.mac, b->e.mac, 6);
	if (!c)
		c = strcmp(a->remote, b->remote);
	return c ? c : cmp_str(a->e.dev, b->e.dev);
}

/* A bridge with VLANs holds a port's MAC twice (vid 0 and vlan 1): one row
 * each, the most recently refreshed. */
static void emit_fdb_rows(struct fdb_walk *w)
{
	if (w->n)
		qsort(w->rows, w->n, sizeof(*w->rows), cmp_row);
	for (size_t i = 0; i < w->n; i++) {
		struct fdb_row *row = &w->rows[i];
		while (i + 1 < w->n && cmp_row(row, &w->rows[i + 1]) == 0) {
			const struct ctl_fdb *next = &w->rows[++i].e;
			if (next->has_age && (!row->e.has_age || next->age_s < row->e.age_s)) {
				row->e.has_age = true;
				row->e.age_s = next->age_s;
			}
			if (next->state == CTL_FDB_STATIC)
				row->e.state = CTL_FDB_STATIC;
		}
		row->e.remote = row->remote[0] ? row->remote : NULL;
		ctl_emit_fdb(w->r, &row->e);
	}
}

static void fdb_common(struct runtime *rt, const struct vnet_id *vnet, struct ctl_reply *r, bool flush)
{
	struct links ls;
	struct up_list up;
	struct fdb_walk w = { rt, r, &ls, &up, flush, 0, NULL, 0, 0 };

	if (load_links(rt, &ls) < 0) {
		ctl_reply_fail(r, CTL_E_FAILED, "cannot read links from the kernel");
		return;
	}
	load_up(rt, &ls, vnet, &up);
	if (vnet && up.n == 0)
		ctl_reply_fail(r, CTL_E_NOT_FOUND, "no vnet with that id is up");
	else if (kern_fdb_foreach(rt->k, walk_fdb, &w) < 0)
		ctl_reply_fail(r, CTL_E_FAILED, "cannot read the forwarding database");
	else if (flush)
		ctl_emit_flushed(r, w.flushed);
	else
		emit_fdb_rows(&w);
	free(w.rows);
	free(up.v);
	free(ls.v);
}

static void rt_list_fdb(void *arg, const struct vnet_id *vnet, struct ctl_reply *r)
{
	fdb_common(arg, vnet, r, false);
}

static void rt_fdb_flush(void *arg, const struct vnet_id *vnet, struct ctl_reply *r)
{
	fdb_common(arg, vnet, r, true);
}

/* ---- peers ---- */

static void rt_list_peers(void *arg, struct ctl_reply *r)
{
	struct runtime *rt = arg;

	for (size_t i = 0; i < rt->peers->n; i++) {
		struct ctl_peer p = { rt->peers->v[i].addr, rt->peers->v[i].port, "off", NULL, NULL };
		struct proto_addr a;
		char text[PROTO_ADDR_STRLEN];
		int st = cluster_peer_state(rt->cluster, p.addr, &a, &p.error);

		if (st >= 0)
			p.state = cdns_state_name((enum cdns_state)st);
		if (st == CDNS_RESOLVED) {
			proto_addr_format(&a, text);
			p.resolved = text;
		}
		ctl_emit_peer(r, &p);
	}
}

static void rt_peer_add(void *arg, const char *addr, uint16_t port, struct ctl_reply *r)
{
	struct runtime *rt = arg;
	char err[256];

	if (peers_add(rt->peers, addr, port, err, sizeof(err)) < 0) {
		ctl_reply_fail(r, CTL_E_FAILED, "%s", err);
		return;
	}
	log_info("peer %s port %u added", addr, port);
	cluster_peers_changed(rt->cluster);
}

static void rt_peer_del(void *arg, const char *addr, struct ctl_reply *r)
{
	struct runtime *rt = arg;
	char err[256];
	int rc = peers_del(rt->peers, addr, err, sizeof(err));

	if (rc < 0)
		ctl_reply_fail(r, CTL_E_FAILED, "%s", err);
	else if (rc == 1)
		ctl_reply_fail(r, CTL_E_NOT_FOUND, "%s is not a peer", addr);
	else {
		log_info("peer %s deleted", addr);
		cluster_peers_changed(rt->cluster);
	}
}

/* ---- hosts ---- */

struct hosts_ctx {
	struct runtime *rt;
	struct ctl_reply *r;
};

static void emit_host(void *arg, const struct cluster_host_info *h)
{
	struct hosts_ctx *x = arg;
	struct cesp_peer_info pi;
	char a[PROTO_ADDR_STRLEN];
	struct ctl_host ch = {
		.addr = a, .found = !h->known ? "none" : h->multicast ? "multicast" : "peers",
		.last_heard_s = h->age_ms / 1000u, .vnets = h->vnets, .nvnets = h->nvnets,
		.bad_mac = h->bad_mac, .replayed = h->replayed, .key = h->key,
	};

	proto_addr_format(h->addr, a);
	if (x->rt->esp && h->known && cesp_peer(x->rt->esp, h->addr, &pi)) {
		ch.esp = pi.installed ? "ok" : pi.failed ? "failed" : "none";
		ch.has_esp_epoch = pi.installed || pi.failed;
		ch.esp_epoch = pi.epoch;
		ch.has_esp_offset = pi.has_off;
		ch.esp_offset = pi.off;
	}
	ctl_emit_host(x->r, &ch);
}

static void rt_list_hosts(void *arg, struct ctl_reply *r)
{
	struct hosts_ctx x = { arg, r };

	if (cluster_running(x.rt->cluster))
		cluster_foreach_host(x.rt->cluster, emit_host, &x);
}

/* ---- key rotation ---- */

static void rt_key_rotate(void *arg, struct ctl_reply *r)
{
	struct runtime *rt = arg;
	char why[512], ep[16], off[16];
	struct cesp_status es;

	if (!rt->esp || !cluster_running(rt->cluster)) {
		ctl_reply_fail(r, CTL_E_FAILED, "key rotation needs the control protocol (a cluster key) and ESP");
		return;
	}
	if (cesp_rotate(rt->esp, why, sizeof(why)) < 0) {
		log_warn("vn key-rotate refused: %s", why);
		ctl_reply_fail(r, CTL_E_FAILED, "%s", why);
		return;
	}
	cluster_hello_now(rt->cluster); /* the others follow on this HELLO */
	cesp_status(rt->esp, &es);
	snprintf(ep, sizeof(ep), "%u", es.epoch);
	snprintf(off, sizeof(off), "%u", es.offset);
	ctl_emit_record(r, "key", (const char *const[]){ "epoch", ep, "offset", off, NULL });
}

static void rt_log(void *arg, const char *msg)
{
	(void)arg;
	log_warn("control socket: %s", msg);
}

const struct ctl_ops runtime_ctl_ops = {
	.status = rt_status,
	.list_vnets = rt_list_vnets,
	.list_ports = rt_list_ports,
	.list_fdb = rt_list_fdb,
	.fdb_flush = rt_fdb_flush,
	.list_peers = rt_list_peers,
	.peer_add = rt_peer_add,
	.peer_del = rt_peer_del,
	.list_hosts = rt_list_hosts,
	.key_rotate = rt_key_rotate,
	.diag = ctl_diag,
	.log = rt_log,
};
