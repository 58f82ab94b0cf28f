#include "cluster.h"
#include "cluster_dns.h"
#include "cluster_esp.h"
#include "cluster_keychange.h"
#include "cluster_fdb.h"
#include "cluster_hosts.h"
#include "cluster_net.h"
#include "cluster_seq.h"
#include "cluster_senders.h"
#include "cluster_vni.h"
#include "ctl_monitor.h"
#include "log.h"
#include "replay.h"
#include "vnet_err.h"
#include "vnetmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOMBSTONE_MS   60000   /* how long a withdrawn MAC's seq is remembered */
#define REASK_MS       3000    /* how long a withdrawn MAC is asked after, each hello */
#define RX_BURST       256     /* datagrams per wake-up: keep the loop fair */
#define SYNC_BURST     32      /* unicast full-table syncs per hello interval */
#define DROP_LOG_MS    10000   /* at most one log line per bound this often */

struct cluster {
	struct loop *loop;
	struct kern *k;
	const struct dataplane_ops *dp;
	struct reconciler *rec;
	struct peers *peers;
	struct cdns *dns;          /* the peers' host names */
	struct keyring *keys;     /* the daemon's; the previous key goes here */
	struct ckc keychange;
	struct cluster_params p;
	char group[64];
	bool running;
	struct cnet net;
	struct kern_underlay u;
	struct proto_addr self;
	struct replay *replay;
	struct proto_stats stats;
	struct senders senders;   /* who sends bad-MAC or replayed messages */
	uint64_t moves, flaps;
	uint64_t counter;
	struct mactab tab;
	struct vnetmap tunnels;   /* the vnets up here: id -> tunnel ifindex */
	struct vnetmap secured;   /* those of them under ESP (value 1) */
	struct cesp *esp;         /* their SAs with each host; NULL: none */
	struct cfdb fdb;          /* the kernel FDB programmed from tab */
	struct cvni vni;          /* the other hosts' VNIs and MTUs */
	uint64_t bad_out;         /* entries left out of our batches (bad MAC) */
	uint64_t bad_log_ms;      /* when the last one was logged */
	struct hosts hosts;
	unsigned sync_tokens;     /* unicast syncs left in this hello interval */
	bool sync_all;            /* a relayed host joined: sync to everyone at the next tick */
	uint64_t dropped;         /* entries or hosts refused by the bounds */
	uint64_t rx_busy_ms;      /* last wake-up that left datagrams queued */
	uint64_t drop_log_ms;
	struct proto_addr *peer_addr; /* the peers, resolved (peer_ok says which) */
	uint16_t *peer_port;
	bool *peer_ok;
	size_t npeers;
	struct timer hello_timer, refresh_timer;
	uint8_t rx[PROTO_MAX_LEN + 64];
	struct proto_vnet rx_vnets[PROTO_MAX_VNETS];
	struct proto_entry rx_entries[PROTO_MAX_ENTRIES];
};

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void fmt_mac(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- sending ---- */

/* Every address our messages go to by unicast: the peers.  (Hosts that
 * multicast reaches hear the group.) */
static void send_peers(struct cluster *c, const uint8_t *buf, size_t len, const struct proto_addr *skip1,
		       const struct proto_addr *skip2)
{
	for (size_t i = 0; i < c->npeers; i++) {
		const struct proto_addr *a = &c->peer_addr[i];
		if (!c->peer_ok[i] || (skip1 && proto_addr_equal(a, skip1)) ||
		    (skip2 && proto_addr_equal(a, skip2)) || proto_addr_equal(a, &c->self))
			continue;
		cnet_send_to(&c->net, a, c->peer_port[i] ? c->peer_port[i] : c->p.port, buf, len);
	}
}

/* Sign and send m: to one host, or (to == NULL) to the group and peers. */
static void send_msg(struct cluster *c, struct proto_msg *m, const struct proto_addr *to)
{
	uint8_t buf[PROTO_MAX_LEN];
	ssize_t len;

	m->hops = PROTO_HOPS_DEFAULT;
	m->flags = 0;
	m->origin = c->self;
	m->counter = ++c->counter;
	m->time_us = realtime_us();
	len = proto_encode(m, ckc_signer(&c->keychange, c->keys), buf, sizeof(buf));
	if (len < 0) {
		log_err("control: cannot encode %s: %s", proto_type_name(m->type), proto_err_name((int)len));
		return;
	}
	if (to) {
		cnet_send_to(&c->net, to, c->p.port, buf, (size_t)len);
		return;
	}
	cnet_send_group(&c->net, buf, (size_t)len);
	send_peers(c, buf, (size_t)len, NULL, NULL);
}

/* Send entries of one type in as many messages as they need.  An entry
 * the wire does not allow (a multicast or zero MAC that slipped through)
 * is left out, never the batch around it. */
static void send_entries(struct cluster *c, uint8_t type, const struct proto_entry *e, size_t n,
			 const struct proto_addr *to)
{
	size_t per = proto_fit(type, PROTO_MAX_LEN), k = 0;
	struct proto_entry batch[PROTO_MAX_ENTRIES];

	for (size_t i = 0; i < n; i++) {
		if (!proto_entry_ok(type, &e[i])) {
			uint64_t now = loop_now_ms();
			c->bad_out++;
			if (now - c->bad_log_ms >= 10000 || c->bad_out == 1) {
				char m[18];
				fmt_mac(e[i].mac, m);
				log_warn("control: %s of %s left out: not a unicast MAC a host can own (%llu so far)",
					 proto_type_name(type), m, (unsigned long long)c->bad_out);
				c->bad_log_ms = now;
			}
			continue;
		}
		batch[k++] = e[i];
		if (k == per) {
			struct proto_msg m = { .type = type, .entries = batch, .nentries = k };
			send_msg(c, &m, to);
			k = 0;
		}
	}
	if (k) {
		struct proto_msg m = { .type = type, .entries = batch, .nentries = k };
		send_msg(c, &m, to);
	}
}

static void send_one(struct cluster *c, uint8_t type, const struct mac_entry *me, const struct proto_addr *to)
{
	struct proto_entry e = { .vnet = me->vnet, .seq = me->seq, .host = me->host };

	memcpy(e.mac, me->mac, 6);
	if (type != PROTO_ANNOUNCE)
		memset(&e.host, 0, sizeof(e.host));
	if (type == PROTO_REQUEST)
		e.seq = 0; /* docs/control-wire.md: sent as zero */
	send_entries(c, type, &e, 1, to);
}

/* ---- the kernel FDB ---- */

static void install(struct cluster *c, struct mac_entry *e)
{
	cfdb_install(&c->fdb, e);
}

static void uninstall(struct cluster *c, struct mac_entry *e)
{
	cfdb_uninstall(&c->fdb, e);
}

/* Queued FDB writes go to the kernel at the end of every entry point. */
static void flush(struct cluster *c)
{
	cfdb_flush(&c->fdb);
}

/* The kernel refused a head-end replication entry (cluster_fdb.c; NULLs:
 * any may have been): mark it absent, and the next HELLO tick adds it. */
static void flood_refused(void *arg, const struct vnet_id *vnet, const struct proto_addr *host)
{
	struct cluster *c = arg;

	for (size_t i = 0; i < c->hosts.n; i++) {
		struct host *h = &c->hosts.v[i];
		if (host && !proto_addr_equal(&h->addr, host))
			continue;
		for (size_t j = 0; j < h->nvnets; j++)
			if (!vnet || vnet_id_equal(&h->vnets[j].id, vnet))
				h->vnets[j].flooded = false;
	}
}

/* ---- applying what others say ---- */

/* Count a move of e; more than flap_moves within flap_s is a flapping MAC
 * (a duplicate MAC on two hosts, or a migration loop): logged and counted
 * once per window.  Each move is one FDB rewrite, driven by a new sequence
 * number from the owner, so even a flapping MAC cannot cause a storm. */
static void count_move(struct cluster *c, struct mac_entry *e, uint64_t now)
{
	c->moves++;
	if (mactab_count_move(e, now, c->p.flap_s, c->p.flap_moves)) {
		char m[18];
		fmt_mac(e->mac, m);
		log_warn("%s is flapping: %u moves within %us (a duplicate MAC, or a migration loop)", m,
			 e->moves, c->p.flap_s);
		c->flaps++;
	}
}

/* Sequence numbers live in memory: a host whose daemon restarted starts
 * its MACs from 1 again, below what the others remember.  A host that
 * hears a stale claim from the very host it has on record tells that host
 * the number it remembers; the owner then announces above it. */
static void correct(struct cluster *c, const struct mac_entry *e, const struct proto_addr *to)
{
	send_one(c, PROTO_ANNOUNCE, e, to);
}

/* Count a refusal by the bounds; one log line per DROP_LOG_MS. */
static void dropped(struct cluster *c, const char *what, const struct proto_addr *from)
{
	uint64_t now = loop_now_ms();

	c->dropped++;
	if (c->dropped == 1 || now - c->drop_log_ms >= DROP_LOG_MS) {
		char a[PROTO_ADDR_STRLEN];
		proto_addr_format(from, a);
		log_warn("control: %s from %s refused (%llu refused so far)", what, a,
			 (unsigned long long)c->dropped);
		c->drop_log_ms = now;
	}
}

/* The host a MAC entry counts against (max_macs_per_host), or NULL. */
static struct host *owner_of(struct cluster *c, const struct mac_entry *e)
{
	return e->local ? NULL : hosts_find(&c->hosts, &e->host);
}

static void owner_count(struct cluster *c, const struct mac_entry *e, bool add)
{
	struct host *h = owner_of(c, e);

	if (h && add)
		h->nmacs++;
	else if (h && h->nmacs)
		h->nmacs--;
}

/* Someone remembers us with a MAC we no longer have (it went while our
 * daemon was away, or our WITHDRAW carried a number from before a
 * restart): withdraw it at that number.  Only our own tombstone keeps the
 * number; nothing is made or changed for any other claim about us: such
 * an entry would count against no host's bound (any key holder could
 * fill the table with them), and another host's entry stays its own. */
static void disown(struct cluster *c, const struct proto_entry *in, struct mac_entry *e)
{
	struct mac_entry w = { .vnet = in->vnet, .seq = in->seq, .host = c->self };

	if (e && !seq_at_least(in->seq, e->seq))
		return; /* stale news */
	if (e && e->withdrawn && proto_addr_equal(&e->host, &c->self)) {
		e->seq = in->seq;
		e->since_ms = loop_now_ms();
	}
	memcpy(w.mac, in->mac, 6);
	send_one(c, PROTO_WITHDRAW, &w, NULL);
}

/* Entries name the origin itself, or the receiver (a correction sent to
 * it): an origin speaks for nobody else, so every remote entry lives
 * exactly as long as its origin's host record.  MACs of vnets not carried
 * here are not kept at all. */
static void announce_one(struct cluster *c, const struct proto_entry *in, struct host *from)
{
	const struct proto_addr *origin = &from->addr;
	struct mac_entry *e;
	uint64_t now = loop_now_ms();
	bool known;

	if (!vnetmap_get(&c->tunnels, &in->vnet))
		return;
	if (!proto_addr_equal(&in->host, &c->self) && !proto_addr_equal(&in->host, origin)) {
		dropped(c, "an ANNOUNCE naming a third host", origin);
		return;
	}
	e = mactab_find(&c->tab, &in->vnet, in->mac);
	if (proto_addr_equal(&in->host, &c->self) && !(e && e->local)) {
		disown(c, in, e);
		return;
	}
	if (!e && from->nmacs >= c->p.max_macs_per_host) {
		dropped(c, "a MAC beyond max_macs_per_host", origin);
		return;
	}
	if (!e && !(e = mactab_get(&c->tab, &in->vnet, in->mac)))
		return;
	if (e->local && proto_addr_equal(&in->host, &c->self)) {
		/* Our own MAC with the number someone remembers: outrank it. */
		if (seq_at_least(in->seq, e->seq)) {
			e->seq = seq_next(in->seq);
			send_one(c, PROTO_ANNOUNCE, e, NULL);
		}
		return;
	}
	known = e->local || e->installed || e->withdrawn || e->seq || e->since_ms;
	if (known) {
		if (!seq_at_least(in->seq, e->seq)) {
			if (!e->local && proto_addr_equal(&e->host, &in->host) &&
			    proto_addr_equal(&in->host, origin))
				correct(c, e, origin);
			return; /* stale news */
		}
		if (in->seq == e->seq) {
			if (proto_addr_equal(&e->host, &in->host) && !e->withdrawn) {
				if (!e->installed)
					install(c, e); /* a refresh */
				return;
			}
			/* One seq, two hosts: the lower address wins (RFC 7432 15.1). */
			if (memcmp(in->host.b, e->host.b, 16) > 0 && !e->withdrawn)
				return;
		}
		/* A move whichever reaches us first: the new host's ANNOUNCE,
		 * or the old host's WITHDRAW (whose tombstone keeps its host). */
		if (!proto_addr_equal(&e->host, &in->host)) {
			char m[18], to[PROTO_ADDR_STRLEN];
			fmt_mac(in->mac, m);
			proto_addr_format(&in->host, to);
			log_info("%s moved to %s (seq %u)", m, to, in->seq);
			char was[PROTO_ADDR_STRLEN], id[VNET_ID_STRLEN], seq[12];
			proto_addr_format(&e->host, was);
			vnet_id_format(&in->vnet, id);
			snprintf(seq, sizeof(seq), "%u", in->seq);
			ctl_monitor_publish("move", (const char *const[]){ "vnet", id, "mac", m,
				"from", was, "to", to, "seq", seq, NULL });
			count_move(c, e, now);
		}
	}
	if (owner_of(c, e) != from) {
		if (from->nmacs >= c->p.max_macs_per_host) {
			dropped(c, "a MAC beyond max_macs_per_host", origin);
			return;
		}
		owner_count(c, e, false);
		from->nmacs++;
	}
	e->local = false;
	e->withdrawn = false;
	e->seq = in->seq;
	e->host = in->host;
	e->since_ms = now;
	install(c, e);
}

/* Returns true when the MAC was withdrawn here. */
static bool withdraw_one(struct cluster *c, const struct proto_entry *in, const struct proto_addr *origin)
{
	struct mac_entry *e = mactab_find(&c->tab, &in->vnet, in->mac);

	if (!e || e->local || e->withdrawn || !proto_addr_equal(&e->host, origin))
		return false; /* a newer location stands */
	if (!seq_at_least(in->seq, e->seq)) {
		correct(c, e, origin); /* its daemon restarted: it withdraws again, at our number */
		return false;
	}
	uninstall(c, e);
	e->withdrawn = true;
	e->seq = in->seq;
	e->since_ms = loop_now_ms();
	return true;
}

/* MACs withdrawn by their host may live on elsewhere (a migration whose
 * announcement we missed): ask, and whoever has them answers at once. */
static void on_withdraw(struct cluster *c, const struct proto_msg *m)
{
	struct proto_entry ask[PROTO_MAX_ENTRIES];
	size_t n = 0;

	for (size_t i = 0; i < m->nentries; i++) {
		if (!withdraw_one(c, &m->entries[i], &m->origin))
			continue;
		ask[n] = (struct proto_entry){ .vnet = m->entries[i].vnet };
		memcpy(ask[n++].mac, m->entries[i].mac, 6);
	}
	if (n)
		send_entries(c, PROTO_REQUEST, ask, n, NULL);
}

static void answer_requests(struct cluster *c, const struct proto_msg *m)
{
	struct proto_entry out[PROTO_MAX_ENTRIES];
	size_t n = 0;

	for (size_t i = 0; i < m->nentries; i++) {
		struct mac_entry *e = mactab_find(&c->tab, &m->entries[i].vnet, m->entries[i].mac);
		if (!e || !e->local)
			continue;
		out[n] = (struct proto_entry){ .vnet = e->vnet, .seq = e->seq, .host = e->host };
		memcpy(out[n++].mac, e->mac, 6);
	}
	/* To everyone, not just the asker: whoever missed the announcement
	 * this answer repeats (a migration's) learns the current number too. */
	if (n)
		send_entries(c, PROTO_ANNOUNCE, out, n, NULL);
}

/* ---- hosts ---- */

static bool host_direct(const struct host *h, uint64_t now)
{
	return h->direct_until_ms > now;
}

static void host_flood(struct cluster *c, struct host *h, struct host_vnet *hv, bool want)
{
	int tunnel = vnetmap_get(&c->tunnels, &hv->id);
	struct dp_host dh = cfdb_dp_host(&h->addr);

	if (!tunnel) {
		hv->flooded = false; /* no device, no entry */
		return;
	}
	if (want == hv->flooded)
		return;
	int rc = want ? c->dp->flood_add(c->k, tunnel, &dh) : c->dp->flood_del(c->k, tunnel, &dh);
	if (rc == 0 || !want)
		hv->flooded = want;
}

/* Broadcast and unknown frames reach hosts that multicast does not reach
 * only through head-end replication entries: keep one per (vnet, host).
 * A secured vnet has no group (pairwise SAs cannot cover one): every host
 * that carries it gets its copy under that host's SA. */
static void host_update_flood(struct cluster *c, struct host *h)
{
	uint64_t now = loop_now_ms();

	for (size_t i = 0; i < h->nvnets; i++)
		host_flood(c, h, &h->vnets[i], (!host_direct(h, now) || vnetmap_get(&c->secured, &h->vnets[i].id)) &&
			   h->vnets[i].expires_ms > now);
}

static void sync_to(struct cluster *c, const struct proto_addr *to);
static void send_hello(struct cluster *c);

/* The host record of an authentic origin, made on its first message (a
 * HELLO or not): whatever it announces expires with it, after our hold
 * time unless its HELLOs keep it.  NULL beyond max_hosts. */
static struct host *host_heard(struct cluster *c, const struct proto_addr *a)
{
	struct host *h = hosts_find(&c->hosts, a);

	if (h)
		return h;
	h = hosts_add(&c->hosts, a);
	if (!h) {
		dropped(c, "a host beyond max_hosts", a);
		return NULL;
	}
	h->last_ms = loop_now_ms();
	h->hold_s = hosts_hold(c->p.hold_s);
	return h;
}

static bool is_peer(const struct cluster *c, const struct proto_addr *a)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (c->peer_ok[i] && proto_addr_equal(&c->peer_addr[i], a))
			return true;
	return false;
}

/* A host joined or took up a vnet: it needs our MACs.  Unicast only to a
 * host heard directly or configured as a peer (never reflected at an
 * address nothing vouches for), a few per hello interval; else, at most
 * once per tick, to the group and peers, whose relays reach it. */
static void offer_sync(struct cluster *c, struct host *h)
{
	if (c->sync_tokens && (host_direct(h, loop_now_ms()) || is_peer(c, &h->addr))) {
		c->sync_tokens--;
		sync_to(c, &h->addr);
		return;
	}
	c->sync_all = true;
}

struct forget_ctx {
	struct cluster *c;
	const struct proto_addr *host;
};

static void forget_mac_of(void *arg, struct mac_entry *e)
{
	struct forget_ctx *f = arg;

	if (!e->local && proto_addr_equal(&e->host, f->host)) {
		uninstall(f->c, e); /* (the host record, and its count, go next) */
		mactab_del(&f->c->tab, e);
	}
}

/* Forget a host and its MACs: it went silent, or said it is leaving. */
static void host_remove(struct cluster *c, struct host *h, const char *why)
{
	char a[PROTO_ADDR_STRLEN];
	struct forget_ctx f = { c, &h->addr };

	proto_addr_format(&h->addr, a);
	log_info("host %s: %s, forgetting its MACs", a, why);
	ctl_monitor_publish("host", (const char *const[]){ "action", "leave", "addr", a,
		"reason", why, NULL });
	for (size_t i = 0; i < h->nvnets; i++)
		host_flood(c, h, &h->vnets[i], false);
	if (c->esp)
		cesp_host(c->esp, &h->addr, false, NULL);
	mactab_foreach(&c->tab, forget_mac_of, &f);
	replay_forget(c->replay, &h->addr, realtime_us());
	if (cvni_forget(&c->vni, &h->addr))
		cvni_apply(&c->vni, c->rec);
	hosts_del(&c->hosts, h);
}

/* A key change moves on as the hosts announce the new key (cluster_keychange.h). */
static void keychange_update(struct cluster *c, uint64_t now)
{
	bool all = c->keychange.all;

	if (!keyring_changing(c->keys))
		return;
	ckc_update(&c->keychange, c->keys, &c->hosts, now);
	if (c->keychange.all && !all)
		log_info("key change: every host holds the new cluster key; signing with it");
	if (!ckc_done(&c->keychange, c->keys, now, (uint64_t)c->p.hold_s * 1000u))
		return;
	log_info("key change complete: the previous cluster key is forgotten");
	keyring_drop_prev(c->keys);
	if (c->esp)
		cesp_set_keys(c->esp, c->keys);
}

static void on_hello(struct cluster *c, const struct proto_msg *m, const struct cnet_rx *rx)
{
	uint64_t now = loop_now_ms();
	struct host *h = host_heard(c, &m->origin);
	bool fresh, added = false, refused = false;

	if (!h)
		return;
	if (m->hold_s == 0) {
		/* "I am leaving": forget it now, not after a hold time. */
		host_remove(c, h, "leaving");
		return;
	}
	fresh = !h->hello_seen;
	h->hello_seen = true;
	h->has_key_id = m->has_key_id;
	h->key_id = m->key_id;
	keychange_update(c, now);
	/* its SAs before any flood entry points at it; each HELLO, for a
	 * changed SA generation, key epoch offset or key (a newer offset is
	 * ours too: said at once, so that the rotation spreads and its
	 * initiator sees it arrive) */
	struct cesp_hello eh = { m->esp_gen, m->has_esp_offset ? &m->esp_offset : NULL,
				 m->has_key_id ? &m->key_id : NULL };
	if (c->esp && cesp_host(c->esp, &h->addr, true, &eh))
		send_hello(c);
	h->last_ms = now;
	h->hold_s = hosts_hold(m->hold_s);
	/* Direct: this very copy came by multicast from the address the MAC
	 * vouches for as its origin (a relayed copy comes from the relay).
	 * The RELAYED flag, outside the MAC, decides nothing. */
	if (rx->multicast && proto_addr_equal(&rx->src, &m->origin))
		h->direct_until_ms = now + (uint64_t)h->hold_s * 1000u;
	for (size_t i = 0; i < m->nvnets; i++) {
		int r = hosts_touch_vnet(&c->hosts, h, &m->vnets[i].id, now + (uint64_t)h->hold_s * 1000u);
		added |= r > 0;
		refused |= r < 0;
	}
	if (refused)
		dropped(c, "a vnet beyond max_vnets_per_host", &h->addr);
	uint64_t vni_refused = c->vni.refused;
	if (cvni_hello(&c->vni, m, now))
		cvni_apply(&c->vni, c->rec);
	if (c->vni.refused != vni_refused)
		dropped(c, "a VNI entry beyond max_vni_entries", &h->addr);
	host_update_flood(c, h);
	if (fresh) {
		char a[PROTO_ADDR_STRLEN];
		proto_addr_format(&h->addr, a);
		log_info("host %s: joined (%s)", a, host_direct(h, now) ? "multicast" : "through peers");
		ctl_monitor_publish("host", (const char *const[]){ "action", "join", "addr", a,
			"found", host_direct(h, now) ? "multicast" : "peers", NULL });
	}
	if (fresh || added)
		offer_sync(c, h);
}

/* ---- receiving ---- */

/* Relay an accepted message: what came by multicast goes to the peers,
 * what came from a peer goes to the group and the other peers. */
static void relay(struct cluster *c, const struct cnet_rx *rx, const struct proto_msg *m)
{
	bool from_peer = false;

	if (proto_forward_hops(c->rx, rx->len) < 0)
		return;
	if (!rx->multicast) {
		for (size_t i = 0; i < c->npeers && !from_peer; i++)
			from_peer = c->peer_ok[i] && proto_addr_equal(&c->peer_addr[i], &rx->src);
		if (!from_peer)
			return; /* meant for us alone */
		cnet_send_group(&c->net, c->rx, rx->len);
	}
	send_peers(c, c->rx, rx->len, &rx->src, &m->origin);
}

/* A dropped message that says something about its sender: a wrong key
 * (warned, rate-limited) or a replay.  Counted by the UDP source. */
static void note_dropped(struct cluster *c, const struct cnet_rx *rx, const struct proto_stats *before)
{
	bool bad = c->stats.bad_mac != before->bad_mac;
	char a[PROTO_ADDR_STRLEN];

	if (!bad && c->stats.replayed == before->replayed)
		return;
	proto_addr_format(&rx->src, a);
	if (senders_count(&c->senders, &rx->src, bad ? SENDER_BAD_MAC : SENDER_REPLAYED, loop_now_ms()))
		log_warn("host %s: messages fail authentication: different cluster key? (%llu so far)", a,
			 (unsigned long long)senders_find(&c->senders, &rx->src)->bad_mac);
	else
		log_debug("control: dropped a message from %s: %s", a, bad ? "bad MAC" : "replayed");
}

static void handle(struct cluster *c, const struct cnet_rx *rx)
{
	struct proto_msg m;
	int rc = proto_decode(c->rx, rx->len, &c->keys->cur, &m, c->rx_vnets, PROTO_MAX_VNETS, c->rx_entries,
			      PROTO_MAX_ENTRIES);

	/* during a key change, hosts that have not reloaded yet sign with
	 * the previous key, and so do we until every host has the new one */
	if (rc == PROTO_E_MAC && keyring_changing(c->keys))
		rc = proto_decode(c->rx, rx->len, &c->keys->prev, &m, c->rx_vnets, PROTO_MAX_VNETS,
				  c->rx_entries, PROTO_MAX_ENTRIES);

	struct proto_stats before = c->stats;

	if (replay_accept(c->replay, &c->self, rc, &m, realtime_us(), &c->stats) < 0) {
		note_dropped(c, rx, &before);
		return;
	}
	if (m.nbad) {
		/* Applied without them; the sender is authentic, so say who. */
		char a[PROTO_ADDR_STRLEN];
		c->stats.bad_entries += m.nbad;
		proto_addr_format(&m.origin, a);
		log_debug("control: %zu invalid entries of a %s from %s dropped", m.nbad,
			  proto_type_name(m.type), a);
	}
	switch (m.type) {
	case PROTO_HELLO:
		on_hello(c, &m, rx);
		break;
	case PROTO_ANNOUNCE: {
		struct host *from = host_heard(c, &m.origin);
		for (size_t i = 0; from && i < m.nentries; i++)
			announce_one(c, &m.entries[i], from);
		break;
	}
	case PROTO_WITHDRAW:
		on_withdraw(c, &m);
		break;
	case PROTO_REQUEST:
		answer_requests(c, &m);
		break;
	}
	relay(c, rx, &m);
}

static void on_readable(void *arg, uint32_t events)
{
	struct cluster *c = arg;
	struct cnet_rx rx;

	int i;

	(void)events;
	for (i = 0; i < RX_BURST && c->running; i++) {
		if (cnet_recv(&c->net, c->rx, PROTO_MAX_LEN + 64, &rx) != 0)
			break;
		handle(c, &rx);
	}
	if (i == RX_BURST)
		c->rx_busy_ms = loop_now_ms(); /* a backlog: the kernel may drop HELLOs */
	flush(c);
}

/* ---- what we say ---- */

struct collect {
	struct cluster *c;
	struct proto_entry *v;
	size_t n, cap;
};

static void collect_local(void *arg, struct mac_entry *e)
{
	struct collect *col = arg;

	if (!e->local)
		return;
	if (col->n == col->cap) {
		size_t cap = col->cap ? col->cap * 2 : 64;
		struct proto_entry *v = realloc(col->v, cap * sizeof(*v));
		if (!v)
			return;
		col->v = v;
		col->cap = cap;
	}
	col->v[col->n] = (struct proto_entry){ .vnet = e->vnet, .seq = e->seq, .host = e->host };
	memcpy(col->v[col->n++].mac, e->mac, 6);
}

/* Announce every local MAC, to one host or to everyone. */
static void sync_to(struct cluster *c, const struct proto_addr *to)
{
	struct collect col = { .c = c };

	mactab_foreach(&c->tab, collect_local, &col);
	if (col.n)
		send_entries(c, PROTO_ANNOUNCE, col.v, col.n, to);
	free(col.v);
}

struct vnet_list {
	const struct kern_underlay *u;
	struct proto_vnet v[4096];
	size_t n;
};

static void collect_up(void *arg, const struct vnet_status *st)
{
	struct vnet_list *l = arg;

	if (cvni_carried(st) && l->n < sizeof(l->v) / sizeof(l->v[0]))
		cvni_local(st, l->u, &l->v[l->n++]);
}

static void send_hello(struct cluster *c)
{
	struct vnet_list *l = calloc(1, sizeof(*l));
	uint64_t gen = cesp_gen(c->esp);
	/* the offset goes with the generation: both say "ESP here"; the
	 * key id always */
	size_t per = PROTO_MAX_VNETS - 2 * (gen != 0) - 1, parts;

	if (!l)
		return;
	l->u = reconciler_underlay(c->rec);
	reconciler_foreach(c->rec, collect_up, l);
	parts = l->n ? (l->n + per - 1) / per : 1;
	for (size_t p = 0; p < parts && p < 256; p++) {
		size_t at = p * per;
		struct proto_msg m = {
			.type = PROTO_HELLO, .hold_s = (uint16_t)c->p.hold_s, .part = (uint8_t)p,
			.parts = (uint8_t)parts, .vnets = l->v + at,
			.nvnets = l->n - at < per ? l->n - at : per, .esp_gen = gen,
			.has_esp_offset = gen != 0, .esp_offset = cesp_offset(c->esp),
			.has_key_id = true, .key_id = c->keys->cur_id,
		};
		send_msg(c, &m, NULL);
	}
	free(l);
}

struct tombstones {
	struct cluster *c;
	uint64_t now;
	struct proto_entry ask[PROTO_MAX_ENTRIES];
	size_t n;
};

/* Old tombstones go.  Young ones are asked after again: the answer to the
 * REQUEST sent at the WITHDRAW may have been lost (or the question), and
 * the MAC may live on elsewhere; one message per hello carries many. */
static void visit_tombstone(void *arg, struct mac_entry *e)
{
	struct tombstones *t = arg;
	uint64_t age = t->now - e->since_ms;

	if (!e->withdrawn)
		return;
	if (age > TOMBSTONE_MS) {
		owner_count(t->c, e, false);
		mactab_del(&t->c->tab, e);
		return;
	}
	if (age > REASK_MS)
		return;
	t->ask[t->n] = (struct proto_entry){ .vnet = e->vnet };
	memcpy(t->ask[t->n].mac, e->mac, 6);
	if (++t->n == PROTO_MAX_ENTRIES) {
		send_entries(t->c, PROTO_REQUEST, t->ask, t->n, NULL);
		t->n = 0;
	}
}

static void tombstones_tick(struct cluster *c, uint64_t now)
{
	struct tombstones t = { .c = c, .now = now };

	mactab_foreach(&c->tab, visit_tombstone, &t);
	if (t.n)
		send_entries(c, PROTO_REQUEST, t.ask, t.n, NULL);
}

static void hello_tick(void *arg)
{
	struct cluster *c = arg;
	uint64_t now = loop_now_ms();

	cluster_underlay_changed(c); /* cheap when nothing changed */
	if (c->net.fd >= 0)
		send_hello(c);
	c->sync_tokens = SYNC_BURST;
	if (c->sync_all) {
		c->sync_all = false;
		sync_to(c, NULL);
	}
	for (size_t i = 0; i < c->hosts.n;) {
		struct host *h = &c->hosts.v[i];
		/* While a flood backs up our socket, the kernel drops datagrams
		 * at random: a host is silent only if unheard while we kept up. */
		uint64_t heard = h->last_ms > c->rx_busy_ms ? h->last_ms : c->rx_busy_ms;
		if (now - heard > (uint64_t)h->hold_s * 1000u) {
			char why[32];
			snprintf(why, sizeof(why), "silent for %us", h->hold_s);
			host_remove(c, h, why);
			continue;
		}
		for (size_t j = 0; j < h->nvnets;) {
			if (h->vnets[j].expires_ms <= now) {
				host_flood(c, h, &h->vnets[j], false);
				h->vnets[j] = h->vnets[--h->nvnets];
			} else {
				j++;
			}
		}
		host_update_flood(c, h);
		i++;
	}
	keychange_update(c, now);
	tombstones_tick(c, now);
	/* Every tick, not only on news: our own definitions change too. */
	cvni_expire(&c->vni, now);
	cvni_apply(&c->vni, c->rec);
	flush(c);
	loop_timer_arm(c->loop, &c->hello_timer, c->p.hello_ms);
}

static void refresh_tick(void *arg)
{
	struct cluster *c = arg;

	sync_to(c, NULL);
	loop_timer_arm(c->loop, &c->refresh_timer, c->p.refresh_s * 1000u);
}

void cluster_member(struct cluster *c, const struct vnet_id *vnet, const uint8_t mac[6], bool present)
{
	struct mac_entry *e;

	if (!c->running)
		return;
	if (!present) {
		e = mactab_find(&c->tab, vnet, mac);
		if (!e || !e->local)
			return;
		send_one(c, PROTO_WITHDRAW, e, NULL);
		e->local = false;
		e->withdrawn = true;
		e->since_ms = loop_now_ms();
		/* It may live on elsewhere already (a migration whose
		 * announcement we missed): ask, as the receivers do. */
		send_one(c, PROTO_REQUEST, e, NULL);
		return;
	}
	e = mactab_get(&c->tab, vnet, mac);
	if (!e)
		return;
	if (!e->local) {
		/* Outrank wherever it was before (MAC mobility). */
		uninstall(c, e);
		flush(c);
		owner_count(c, e, false);
		e->seq = seq_next(e->seq);
		e->local = true;
		e->withdrawn = false;
		e->host = c->self;
		e->since_ms = loop_now_ms();
	}
	send_one(c, PROTO_ANNOUNCE, e, NULL);
}

void cluster_prime(struct cluster *c, const struct vnet_id *vnet, const uint8_t mac[6])
{
	struct mac_entry e = { .vnet = *vnet };

	if (!c->running)
		return;
	memcpy(e.mac, mac, 6);
	send_one(c, PROTO_REQUEST, &e, NULL);
}

struct vnet_visit {
	struct cluster *c;
	const struct vnet_id *id;
};

static void reinstall_vnet(void *arg, struct mac_entry *e)
{
	struct vnet_visit *v = arg;

	if (vnet_id_equal(&e->vnet, v->id)) {
		e->installed = false; /* a new device starts empty */
		install(v->c, e);
	}
}

void cluster_set_esp(struct cluster *c, struct cesp *esp)
{
	c->esp = esp;
}

void cluster_vnet_secured(struct cluster *c, const struct vnet_id *vnet, bool secured)
{
	vnetmap_set(&c->secured, vnet, secured ? 1 : 0);
}

void cluster_vnet_changed(struct cluster *c, const struct vnet_id *vnet, int tunnel)
{
	struct vnet_visit v = { c, vnet };

	/* Kept even while the protocol is off: it may start on a reload. */
	vnetmap_set(&c->tunnels, vnet, tunnel);
	if (!c->running)
		return;
	for (size_t i = 0; i < c->hosts.n; i++)
		for (size_t j = 0; j < c->hosts.v[i].nvnets; j++)
			if (vnet_id_equal(&c->hosts.v[i].vnets[j].id, vnet))
				c->hosts.v[i].vnets[j].flooded = false; /* went with the device */
	mactab_foreach(&c->tab, reinstall_vnet, &v);
	if (tunnel) {
		for (size_t i = 0; i < c->hosts.n; i++)
			host_update_flood(c, &c->hosts.v[i]);
		send_hello(c); /* let the others replicate to us at once */
	}
	flush(c);
}

/* The peers' addresses, from the resolver's cache: a name still resolving,
 * or unresolvable, is skipped until the resolver says it changed. */
static void resolve_peers(struct cluster *c)
{
	size_t n = c->peers ? c->peers->n : 0;

	free(c->peer_addr);
	free(c->peer_port);
	free(c->peer_ok);
	c->npeers = 0;
	c->peer_addr = calloc(n ? n : 1, sizeof(*c->peer_addr));
	c->peer_port = calloc(n ? n : 1, sizeof(*c->peer_port));
	c->peer_ok = calloc(n ? n : 1, sizeof(*c->peer_ok));
	if (!c->peer_addr || !c->peer_port || !c->peer_ok)
		return;
	c->npeers = n;
	if (c->net.fd < 0)
		return; /* names resolve to the underlay's family: wait for it */
	cdns_sweep_begin(c->dns);
	for (size_t i = 0; i < n; i++) {
		c->peer_port[i] = c->peers->v[i].port;
		c->peer_ok[i] = cdns_lookup(c->dns, c->peers->v[i].addr, c->net.family, &c->peer_addr[i],
					    NULL) == CDNS_RESOLVED;
	}
	cdns_sweep_end(c->dns);
}

/* A name resolved, failed for good or moved. */
static void dns_changed(void *arg)
{
	struct cluster *c = arg;

	if (!c->running)
		return;
	resolve_peers(c);
	send_hello(c);
}

void cluster_peers_changed(struct cluster *c)
{
	cdns_retry_failed(c->dns);
	dns_changed(c);
}

int cluster_peer_state(const struct cluster *c, const char *name, struct proto_addr *addr, const char **err)
{
	*err = NULL;
	if (!c->running || c->net.fd < 0)
		return -1;
	return (int)cdns_peek(c->dns, name, c->net.family, addr, err);
}

/* ---- life cycle ---- */

struct cluster *cluster_new(struct loop *l, struct kern *k, const struct dataplane_ops *dp,
			    struct reconciler *rec, struct peers *peers)
{
	struct cluster *c = calloc(1, sizeof(*c));

	if (!c || mactab_init(&c->tab) < 0) {
		free(c);
		return NULL;
	}
	c->dns = cdns_new(l, dns_changed, c);
	if (!c->dns) {
		mactab_free(&c->tab);
		free(c);
		return NULL;
	}
	c->loop = l;
	c->k = k;
	c->dp = dp;
	c->rec = rec;
	c->peers = peers;
	c->net.fd = -1;
	vnetmap_init(&c->tunnels);
	vnetmap_init(&c->secured);
	cvni_init(&c->vni, XENVNETD_DEFAULT_MAX_VNI_ENTRIES);
	cfdb_init(&c->fdb, l, k, dp, &c->tab, &c->tunnels, &c->self, flood_refused, c);
	timer_init(&c->hello_timer, hello_tick, c);
	timer_init(&c->refresh_timer, refresh_tick, c);
	return c;
}

static int open_socket(struct cluster *c, char *err, size_t errlen)
{
	const struct kern_underlay *u = reconciler_underlay(c->rec);

	if (!u)
		return vnet_err(err, errlen, "no underlay yet");
	if (cnet_open(&c->net, u, c->p.port, c->group, c->p.ttl, err, errlen) < 0)
		return -1;
	c->u = *u;
	if (u->family == AF_INET)
		proto_addr_from_in(&c->self, (const struct in_addr *)&u->addr);
	else
		proto_addr_from_in6(&c->self, &u->addr);
	resolve_peers(c); /* names resolve to the underlay's family */
	if (loop_add_fd(c->loop, c->net.fd, on_readable, c) < 0) {
		cnet_close(&c->net);
		return vnet_err(err, errlen, "control socket: %s", strerror(errno));
	}
	return 0;
}

static void close_socket(struct cluster *c)
{
	if (c->net.fd < 0)
		return;
	loop_del_fd(c->loop, c->net.fd);
	cnet_close(&c->net);
}

int cluster_start(struct cluster *c, struct keyring *keys, const struct cluster_params *p,
		  char *err, size_t errlen)
{
	c->keys = keys;
	c->p = *p;
	/* a new key: nobody is known to hold it yet, and after a restart
	 * nobody is known at all until a hold time has passed */
	ckc_start(&c->keychange, loop_now_ms(), (uint64_t)p->hold_s * 1000u);
	keychange_update(c, loop_now_ms());
	/* A reload may lower them: hosts beyond stay, no new ones come. */
	c->hosts.max = p->max_hosts;
	c->hosts.max_vnets = p->max_vnets_per_host;
	c->vni.max = p->max_vni_entries;
	snprintf(c->group, sizeof(c->group), "%s", p->group ? p->group : "");
	if (!c->replay)
		c->replay = replay_new(REPLAY_WINDOW_DEFAULT, REPLAY_SKEW_DEFAULT, 0);
	if (!c->replay)
		return vnet_err(err, errlen, "out of memory");
	/* Counters survive restarts: start from the clock, not from zero. */
	c->counter = realtime_us();
	c->running = true;
	cdns_reload(c->dns); /* a reload: resolv.conf and the hosts file may have changed */
	if (open_socket(c, err, errlen) < 0)
		log_warn("control protocol waits: %s", err);
	loop_timer_arm(c->loop, &c->hello_timer, 0);
	loop_timer_arm(c->loop, &c->refresh_timer, c->p.refresh_s * 1000u);
	return 0;
}

void cluster_underlay_changed(struct cluster *c)
{
	const struct kern_underlay *u = reconciler_underlay(c->rec);
	char err[256];

	if (!c->running || (u && c->net.fd >= 0 && !memcmp(u, &c->u, sizeof(*u))))
		return;
	close_socket(c);
	if (u && open_socket(c, err, sizeof(err)) < 0)
		log_err("control protocol: %s", err);
	else if (u)
		send_hello(c);
}

void cluster_hello_now(struct cluster *c)
{
	if (c->running && c->net.fd >= 0)
		send_hello(c);
}

bool cluster_running(const struct cluster *c)
{
	return c->running;
}

bool cluster_key_changing(const struct cluster *c)
{
	return c->running && keyring_changing(c->keys);
}

void cluster_stop(struct cluster *c)
{
	if (c->running) {
		/* Nobody to disagree with any more. */
		cvni_free(&c->vni);
		cvni_apply(&c->vni, c->rec);
	}
	c->running = false;
	close_socket(c);
	loop_timer_cancel(c->loop, &c->hello_timer);
	loop_timer_cancel(c->loop, &c->refresh_timer);
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	cluster_stop(c);
	hosts_free(&c->hosts);
	free(c->peer_addr);
	free(c->peer_port);
	free(c->peer_ok);
	cfdb_free(&c->fdb);
	cdns_free(c->dns);
	mactab_free(&c->tab);
	vnetmap_free(&c->tunnels);
	vnetmap_free(&c->secured);
	cvni_free(&c->vni);
	replay_free(c->replay);
	free(c);
}

struct mac_visit {
	void (*cb)(void *arg, const struct mac_entry *e);
	void *arg;
};

static void visit_mac(void *arg, struct mac_entry *e)
{
	struct mac_visit *v = arg;

	v->cb(v->arg, e);
}

void cluster_foreach_mac(struct cluster *c, void (*cb)(void *arg, const struct mac_entry *e), void *arg)
{
	struct mac_visit v = { cb, arg };

	mactab_foreach(&c->tab, visit_mac, &v);
}

void cluster_foreach_host(struct cluster *c, void (*cb)(void *arg, const struct cluster_host_info *h), void *arg)
{
	uint64_t now = loop_now_ms();

	for (size_t i = 0; i < c->hosts.n; i++) {
		const struct host *h = &c->hosts.v[i];
		const struct sender *s = senders_find(&c->senders, &h->addr);
		struct vnet_id *ids = calloc(h->nvnets ? h->nvnets : 1, sizeof(*ids));
		struct cluster_host_info info = {
			.addr = &h->addr, .known = true, .multicast = host_direct(h, now),
			.vnets = ids, .age_ms = now - h->last_ms,
			.bad_mac = s ? s->bad_mac : 0, .replayed = s ? s->replayed : 0,
			.key = !h->has_key_id ? "none" : h->key_id == c->keys->cur_id ? "current"
			       : keyring_changing(c->keys) && h->key_id == c->keys->prev_id ? "previous" : "other",
		};
		for (size_t j = 0; ids && j < h->nvnets; j++)
			if (h->vnets[j].expires_ms > now)
				ids[info.nvnets++] = h->vnets[j].id;
		cb(arg, &info);
		free(ids);
	}
	for (size_t i = 0; i < c->senders.n; i++) {
		const struct sender *s = &c->senders.v[i];
		if (hosts_find(&c->hosts, &s->addr))
			continue;
		struct cluster_host_info info = {
			.addr = &s->addr, .age_ms = now - s->last_ms, .bad_mac = s->bad_mac,
			.replayed = s->replayed,
		};
		cb(arg, &info);
	}
}

const struct proto_stats *cluster_stats(const struct cluster *c)
{
	return &c->stats;
}

uint64_t cluster_moves(const struct cluster *c)
{
	return c->moves;
}

uint64_t cluster_flaps(const struct cluster *c)
{
	return c->flaps;
}

uint64_t cluster_fdb_refused(const struct cluster *c)
{
	return c->fdb.refused;
}

uint64_t cluster_bad_out(const struct cluster *c)
{
	return c->bad_out;
}

uint64_t cluster_dropped(const struct cluster *c)
{
	return c->dropped;
}
