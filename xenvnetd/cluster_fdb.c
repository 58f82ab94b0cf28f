#include "cluster_fdb.h"
#include "log.h"
#include "vnet_grow.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MIN_MS   50
#define RETRY_MAX_MS   5000
#define LOG_WINDOW_MS  10000   /* at most LOG_BURST refusals logged per window */
#define LOG_BURST      5

struct dp_host cfdb_dp_host(const struct proto_addr *a)
{
	struct dp_host h = { 0 };
	struct in_addr v4;

	if (proto_addr_to_in(a, &v4)) {
		h.family = AF_INET;
		memcpy(&h.addr, &v4, 4);
	} else {
		h.family = AF_INET6;
		memcpy(&h.addr, a->b, 16);
	}
	return h;
}

void cfdb_install(struct cfdb *f, struct mac_entry *e)
{
	int tunnel = vnetmap_get(f->tunnels, &e->vnet);
	struct dp_host h;

	e->refused = false; /* this write decides anew */
	if (!tunnel || e->local || e->withdrawn || proto_addr_equal(&e->host, f->self)) {
		e->installed = false;
		return;
	}
	h = cfdb_dp_host(&e->host);
	e->installed = f->dp->fdb_set(f->k, tunnel, e->mac, &h) == 0;
}

void cfdb_uninstall(struct cfdb *f, struct mac_entry *e)
{
	int tunnel = vnetmap_get(f->tunnels, &e->vnet);

	if (e->installed && tunnel)
		f->dp->fdb_del(f->k, tunnel, e->mac);
	e->installed = false;
	e->refused = false;
}

void cfdb_flush(struct cfdb *f)
{
	f->dp->flush(f->k);
}

static void arm(struct cfdb *f)
{
	if (!f->armed) {
		f->armed = true;
		loop_timer_arm(f->loop, &f->timer, f->backoff_ms);
	}
}

/* Log the first few refusals of each window; the rest are summed up. */
static void note(struct cfdb *f, const struct kern_fdb_refusal *r, const char *what)
{
	uint64_t now = loop_now_ms();

	if (now >= f->log_until_ms) {
		if (f->quiet)
			log_warn("%u more FDB writes refused by the kernel (not logged)", f->quiet);
		f->log_until_ms = now + LOG_WINDOW_MS;
		f->logged = f->quiet = 0;
	}
	if (f->logged >= LOG_BURST) {
		f->quiet++;
		return;
	}
	f->logged++;
	if (r->lost) {
		log_warn("FDB write results lost (%s): writing every entry again", strerror(r->error));
		return;
	}
	char dst[PROTO_ADDR_STRLEN] = "-";
	if (r->family)
		inet_ntop(r->family, &r->dst, dst, sizeof(dst));
	log_warn("kernel refused the FDB %s %02x:%02x:%02x:%02x:%02x:%02x dst %s on ifindex %d: %s; retrying",
		 what, r->mac[0], r->mac[1], r->mac[2], r->mac[3], r->mac[4], r->mac[5], dst, r->ifindex,
		 strerror(r->error));
}

static void push(struct cfdb *f, const struct mac_entry *e)
{
	struct cfdb_key *v = vnet_grow(f->retry, &f->cap, f->nretry, sizeof(*v), 16);
	if (!v) {
		f->resync = true; /* no room to remember which: all of them */
		return;
	}
	f->retry = v;
	f->retry[f->nretry].vnet = e->vnet;
	memcpy(f->retry[f->nretry++].mac, e->mac, 6);
}

static void on_refused(void *arg, const struct kern_fdb_refusal *r)
{
	struct cfdb *f = arg;
	const struct vnet_id *vnet;
	struct proto_addr to = { { 0 } };
	struct mac_entry *e;

	if (r->lost) {
		f->resync = true;
		f->refused++;
		note(f, r, "");
		f->flood_refused(f->arg, NULL, NULL);
		arm(f);
		return;
	}
	/* A delete that failed left nothing behind that we want; a write on a
	 * device that went is redone when its vnet gets a tunnel again. */
	if (r->op == KERN_FDB_DELETE || !(vnet = vnetmap_find_ifindex(f->tunnels, r->ifindex)))
		return;
	if (r->family == AF_INET)
		proto_addr_from_in(&to, (const struct in_addr *)&r->dst);
	else if (r->family == AF_INET6)
		proto_addr_from_in6(&to, &r->dst);
	if (r->op == KERN_FDB_APPEND) {
		f->refused++;
		note(f, r, "replication entry");
		f->flood_refused(f->arg, vnet, &to); /* the next HELLO tick adds it again */
		return;
	}
	e = mactab_find(f->tab, vnet, r->mac);
	if (!e || !e->installed || !proto_addr_equal(&e->host, &to))
		return; /* superseded by a later write or a delete */
	e->installed = false;
	e->refused = true;
	f->refused++;
	if (!f->retrying) /* logged when first refused, not at every retry */
		note(f, r, "entry");
	push(f, e);
	arm(f);
}

static void reinstall_remote(void *arg, struct mac_entry *e)
{
	if (!e->local && !e->withdrawn)
		cfdb_install(arg, e);
}

static void retry_tick(void *arg)
{
	struct cfdb *f = arg;
	struct cfdb_key *v = f->retry;
	size_t n = f->nretry;
	bool resync = f->resync;

	f->armed = false;
	f->retry = NULL;
	f->nretry = f->cap = 0;
	f->resync = false;
	/* Refused again on this flush: wait longer next time. */
	f->backoff_ms = f->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : f->backoff_ms * 2;
	if (resync) {
		mactab_foreach(f->tab, reinstall_remote, f);
	} else {
		for (size_t i = 0; i < n; i++) {
			struct mac_entry *e = mactab_find(f->tab, &v[i].vnet, v[i].mac);
			if (e && e->refused)
				cfdb_install(f, e);
		}
	}
	free(v);
	f->retrying = true;
	cfdb_flush(f);
	f->retrying = false;
	if (!f->armed) {
		log_info("FDB entries the kernel had refused are installed now");
		f->backoff_ms = RETRY_MIN_MS;
	}
}

void cfdb_init(struct cfdb *f, struct loop *l, struct kern *k, const struct dataplane_ops *dp,
	       struct mactab *tab, const struct vnetmap *tunnels, const struct proto_addr *self,
	       void (*flood_refused)(void *arg, const struct vnet_id *vnet, const struct proto_addr *host),
	       void *arg)
{
	memset(f, 0, sizeof(*f));
	f->loop = l;
	f->k = k;
	f->dp = dp;
	f->tab = tab;
	f->tunnels = tunnels;
	f->self = self;
	f->flood_refused = flood_refused;
	f->arg = arg;
	f->backoff_ms = RETRY_MIN_MS;
	timer_init(&f->timer, retry_tick, f);
	kern_fdb_on_refused(k, on_refused, f);
}

void cfdb_free(struct cfdb *f)
{
	if (f->armed)
		loop_timer_cancel(f->loop, &f->timer);
	f->armed = false;
	kern_fdb_on_refused(f->k, NULL, NULL);
	free(f->retry);
	f->retry = NULL;
	f->nretry = f->cap = 0;
}
