#include "reconcile.h"
#include "cluster_esp.h"
#include "ctl_monitor.h"
#include "log.h"
#include "persist.h"
#include "vnet_err.h"
#include "vnet_xs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OWNED 4             /* kernel devices one vnet may hold */
#define UNDERLAY_SETTLE_MS 50   /* batch bursts of address/link events */
#define SAVE_DELAY_MS 20        /* gather state-directory writes into batches */
#define SAVE_BATCH 64           /* definitions per batch: two syncs, whatever its size */
#define LOAD_BATCH 32           /* definitions read (and applied) per loop turn */
#define STATUS_BATCH 64         /* statuses written per xenstore transaction */
#define MARKER_PATH "/tool/xenvnetd/restored"
#define SNAPSHOT_MIN 64         /* vnets to evaluate that make a link dump worth it */

/* A vnet's bridge name, vnetif name, VNI or id in the conflict index. */
enum { IX_BRIDGE, IX_VNETIF, IX_VNI, IX_ID, IX_KINDS };
struct ixnode {
	struct ixnode *next;
	struct entry *e;
	uint32_t h;
};

struct entry {
	char *key;
	struct entry *knext;        /* the key index's chain */
	bool indexed;               /* in the conflict index (present and valid) */
	struct ixnode ix[IX_KINDS];
	uint64_t seq;               /* first-seen order: breaks ties */
	bool present;               /* /vnet/<key> exists */
	struct vnet_xs_def xs;      /* as last read */
	bool valid;
	struct vnet_def def;
	char why[256];              /* why invalid */
	char owned[MAX_OWNED][IFNAMSIZ]; /* devices in the kernel marked for us */
	int nowned;
	int tunnel, bridge;         /* ifindexes of the devices while up, else 0 */
	enum vnet_state state;
	char reason[256];
	bool conflict;              /* lost a conflict with another vnet */
	char remote[256];           /* another host disagrees: reconciler_set_remote */
	bool remote_blocked;        /* in error for that reason alone */
	bool kernel_blocked;        /* the kernel refused: retry on link events */
	bool dirty;
	bool saved;                 /* the state directory has xs as it is */
	bool stale;                 /* xenstore changed it: read it again */
	bool status_due;            /* state/reason to be written to xenstore */
	bool status_known;          /* xenstore holds w_state/w_reason (UNKNOWN: none) */
	enum vnet_state w_state;
	char w_reason[256];
};

struct reconciler {
	struct loop *loop;
	struct kern *k;
	const struct dataplane_ops *dp;
	const struct config *cfg;
	struct xsconn *xs;
	struct entry **v;
	size_t n, cap;
	/* Hash indexes, cap (keys) and IX_KINDS * cap (conflicts) buckets:
	 * thousands of vnets must not cost a scan of the table per event. */
	struct entry **keys;
	struct ixnode **ix;
	uint64_t next_seq;
	bool have_underlay;
	bool learning;              /* see reconciler_set_learning() */
	struct kern_underlay u;
	char underlay_err[256];
	struct timer underlay_timer;
	struct timer save_timer;
	struct timer remote_timer;  /* apply reconciler_set_remote changes */
	struct timer load_timer;
	void (*change_cb)(void *arg, const struct vnet_def *def, int tunnel);
	void *change_arg;
	struct cesp *esp;           /* ESP for secured vnets (NULL: none) */
};

const char *vnet_state_name(enum vnet_state s)
{
	switch (s) {
	case VNET_ST_UP: return "up";
	case VNET_ST_PENDING: return "pending";
	case VNET_ST_ERROR: return "error";
	default: return "unknown";
	}
}

/* ---- the table of vnets ---- */

/* FNV-1a, seeded per kind so that a name and a VNI do not share chains. */
static uint32_t hash_bytes(uint32_t seed, const void *p, size_t len)
{
	uint32_t h = 2166136261u ^ seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 16777619u;
	return h;
}

static uint32_t hash_str(const char *s) { return hash_bytes(0, s, strlen(s)); }

/* Bridge and vnetif names share one hash: a bridge may clash with a vnetif. */
static uint32_t ix_hash(const struct vnet_def *d, int kind)
{
	switch (kind) {
	case IX_BRIDGE: return hash_str(d->bridge);
	case IX_VNETIF: return hash_str(d->vnetif);
	case IX_VNI: return hash_bytes(1, &d->vni, sizeof(d->vni));
	default: return hash_bytes(2, &d->id, sizeof(d->id));
	}
}

static struct ixnode **ix_bucket(struct reconciler *r, uint32_t h)
{
	return &r->ix[h & (IX_KINDS * r->cap - 1)];
}

/* Index @e's definition for find_conflict(): only present, valid vnets
 * can keep another from coming up.  Call after load() changed it. */
static void ix_add(struct reconciler *r, struct entry *e)
{
	if (e->indexed || !e->present || !e->valid)
		return;
	for (int k = 0; k < IX_KINDS; k++) {
		struct ixnode *n = &e->ix[k], **b = ix_bucket(r, ix_hash(&e->def, k));
		n->e = e;
		n->h = ix_hash(&e->def, k);
		n->next = *b;
		*b = n;
	}
	e->indexed = true;
}

/* ... and before it changes its definition or presence. */
static void ix_del(struct reconciler *r, struct entry *e)
{
	if (!e->indexed)
		return;
	for (int k = 0; k < IX_KINDS; k++) {
		struct ixnode **p = ix_bucket(r, e->ix[k].h);
		while (*p != &e->ix[k])
			p = &(*p)->next;
		*p = e->ix[k].next;
	}
	e->indexed = false;
}

static struct entry **key_bucket(struct reconciler *r, const char *key)
{
	return &r->keys[hash_str(key) & (r->cap - 1)];
}

static struct entry *find(struct reconciler *r, const char *key)
{
	if (!r->keys)
		return NULL;
	for (struct entry *e = *key_bucket(r, key); e; e = e->knext)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Room for @cap entries (a power of two), the indexes rebuilt to match. */
static int grow(struct reconciler *r, size_t cap)
{
	struct entry **v = realloc(r->v, cap * sizeof(*v));
	struct entry **keys = calloc(cap, sizeof(*keys));
	struct ixnode **ix = calloc(IX_KINDS * cap, sizeof(*ix));

	if (v)
		r->v = v;
	if (!v || !keys || !ix) {
		free(keys);
		free(ix);
		return -1;
	}
	free(r->keys);
	free(r->ix);
	r->keys = keys;
	r->ix = ix;
	r->cap = cap;
	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = r->v[i], **b = key_bucket(r, e->key);
		e->knext = *b;
		*b = e;
		e->indexed = false;
		ix_add(r, e);
	}
	return 0;
}

static struct entry *find_or_add(struct reconciler *r, const char *key)
{
	struct entry *e = find(r, key), **b;

	if (e)
		return e;
	if (r->n == r->cap && grow(r, r->cap ? r->cap * 2 : 64) < 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return NULL;
	}
	e->seq = r->next_seq++;
	r->v[r->n++] = e; /* appended: the table stays in seq order */
	b = key_bucket(r, key);
	e->knext = *b;
	*b = e;
	return e;
}

static void entry_free(struct entry *e)
{
	vnet_xs_def_free(&e->xs);
	free(e->key);
	free(e);
}

/* Drop entries that are gone and own nothing, keeping seq order. */
static void compact(struct reconciler *r)
{
	size_t w = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = r->v[i];
		if (!e->present && e->nowned == 0 && !e->dirty && e->saved) {
			struct entry **p = key_bucket(r, e->key);
			while (*p != e)
				p = &(*p)->knext;
			*p = e->knext;
			ix_del(r, e);
			entry_free(e);
		} else {
			r->v[w++] = e;
		}
	}
	r->n = w;
}

static void own(struct entry *e, const char *name)
{
	for (int i = 0; i < e->nowned; i++)
		if (strcmp(e->owned[i], name) == 0)
			return;
	if (e->nowned < MAX_OWNED)
		snprintf(e->owned[e->nowned++], IFNAMSIZ, "%s", name);
}

static void disown(struct entry *e, const char *name)
{
	for (int i = 0; i < e->nowned; i++) {
		if (strcmp(e->owned[i], name) == 0) {
			memmove(e->owned[i], e->owned[i + 1], (size_t)(e->nowned - i - 1) * IFNAMSIZ);
			e->nowned--;
			return;
		}
	}
}

/* ---- reading definitions ---- */

static bool same_def(const struct vnet_xs_def *a, const struct vnet_xs_def *b)
{
	for (int i = 0; i < VNET_NFIELDS; i++) {
		if (!a->field[i] != !b->field[i])
			return false;
		if (a->field[i] && strcmp(a->field[i], b->field[i]) != 0)
			return false;
	}
	return a->exists == b->exists;
}

static void validate(struct entry *e)
{
	struct vnet_raw raw;

	vnet_xs_def_raw(&e->xs, e->key, &raw);
	e->valid = vnet_def_from_raw(&raw, &e->def, e->why, sizeof(e->why)) == 0;
	if (e->valid && e->xs.unknown) {
		snprintf(e->why, sizeof(e->why),
			 "unknown key '%.60s' (known: bridge, vnetif, security, mtu, vni)", e->xs.unknown);
		e->valid = false;
	}
}

static void mark_conflicts_dirty(struct reconciler *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i]->conflict || r->v[i]->kernel_blocked)
			r->v[i]->dirty = true;
}

/* The status xenstore holds, as just read: what need not be written
 * again (a restarted daemon finds its vnets' "up" in place). */
static void status_from_store(struct entry *e)
{
	static const enum vnet_state written[] = { VNET_ST_UP, VNET_ST_PENDING, VNET_ST_ERROR };

	/* Neither key: nothing to remove when the first status is written. */
	e->status_known = !e->xs.state && !e->xs.error;
	e->w_state = VNET_ST_UNKNOWN;
	e->w_reason[0] = '\0';
	for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
		if (e->xs.state && strcmp(e->xs.state, vnet_state_name(written[i])) == 0) {
			e->status_known = true;
			e->w_state = written[i];
			snprintf(e->w_reason, sizeof(e->w_reason), "%s", e->xs.error ? e->xs.error : "");
		}
	}
}

/* Take what was just read of @e from xenstore (d's strings move to e). */
static void take(struct reconciler *r, struct entry *e, struct vnet_xs_def *d)
{
	if (!same_def(d, &e->xs)) {
		e->saved = false;
		mark_conflicts_dirty(r);
	}
	ix_del(r, e);
	vnet_xs_def_free(&e->xs);
	e->xs = *d;
	e->present = d->exists;
	validate(e);
	ix_add(r, e);
	status_from_store(e);
	e->stale = false;
	e->dirty = true;
}

/* ---- deciding and applying ---- */

/* Does a present, valid vnet o keep e from coming up? */
static bool beats(const struct entry *o, const struct entry *e)
{
	if (o == e || !o->present || !o->valid)
		return false;
	if (o->state == VNET_ST_ERROR && o->nowned == 0)
		return false; /* o is down for reasons of its own */
	if ((o->nowned > 0) != (e->nowned > 0))
		return o->nowned > 0; /* what is already up stays up */
	return o->seq < e->seq;
}

/* Does o keep e from coming up?  Why, into why (when not NULL). */
static bool clashes(const struct entry *o, const struct entry *e, bool by_vni, char *why, size_t size)
{
	const struct vnet_def *d = &e->def, *od = &o->def;

	if (!beats(o, e))
		return false;
	if (vnet_id_equal(&d->id, &od->id))
		snprintf(why, size, "id is already defined as /vnet/%s", o->key);
	else if (!strcmp(d->bridge, od->bridge) || !strcmp(d->bridge, od->vnetif))
		snprintf(why, size, "bridge %s is already used by vnet %s", d->bridge, o->key);
	else if (!strcmp(d->vnetif, od->vnetif) || !strcmp(d->vnetif, od->bridge))
		snprintf(why, size, "vnetif %s is already used by vnet %s", d->vnetif, o->key);
	else if (by_vni && d->vni == od->vni) /* VXLAN: the VNI is all the wire says */
		snprintf(why, size, "vni %u is already used by vnet %s", d->vni, o->key);
	else
		return false;
	return true;
}

/* The first vnet in table (seq) order that keeps e from coming up, among
 * those sharing one of its names, its VNI or its id. */
static bool find_conflict(struct reconciler *r, struct entry *e, char *why, size_t size)
{
	const struct entry *first = NULL;

	for (int k = 0; k < IX_KINDS; k++) {
		uint32_t h = ix_hash(&e->def, k);
		for (const struct ixnode *n = *ix_bucket(r, h); n; n = n->next)
			if (n->h == h && (!first || n->e->seq < first->seq) && clashes(n->e, e, !r->dp->full_ids, NULL, 0))
				first = n->e;
	}
	return first && clashes(first, e, !r->dp->full_ids, why, size);
}

static void remove_device(struct reconciler *r, struct entry *e, const char *name)
{
	int rc = r->dp->remove(r->k, e->key, name);

	if (rc < 0)
		log_warn("vnet %s: cannot remove %s", e->key, name);
	else if (rc > 0)
		log_info("vnet %s: removed %s", e->key, name);
	disown(e, name);
}

static void teardown(struct reconciler *r, struct entry *e)
{
	while (e->nowned > 0)
		remove_device(r, e, e->owned[e->nowned - 1]);
}

/* Devices left over from an earlier definition (a renamed bridge...). */
static void drop_stale(struct reconciler *r, struct entry *e)
{
	for (int i = e->nowned - 1; i >= 0; i--)
		if (strcmp(e->owned[i], e->def.bridge) && strcmp(e->owned[i], e->def.vnetif))
			remove_device(r, e, e->owned[i]);
}

/* Statuses are written at the end of a pass, many per transaction. */
static void write_status(struct reconciler *r, struct entry *e)
{
	(void)r;
	e->status_due = !(e->status_known && e->w_state == e->state && !strcmp(e->w_reason, e->reason));
}

static int write_statuses(struct xs_handle *h, struct entry **es, unsigned n)
{
	struct vnet_xs_status v[STATUS_BATCH];

	for (unsigned i = 0; i < n; i++) {
		struct entry *e = es[i];
		v[i] = (struct vnet_xs_status){
			.key = e->key, .state = vnet_state_name(e->state),
			.error = e->state == VNET_ST_UP ? NULL : e->reason,
			.no_error_key = e->status_known && !e->w_reason[0],
		};
	}
	if (vnet_xs_set_status_many(h, v, n) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		struct entry *e = es[i];
		e->status_due = false;
		e->status_known = true;
		e->w_state = e->state;
		snprintf(e->w_reason, sizeof(e->w_reason), "%s", e->reason);
	}
	return 0;
}

static void flush_statuses(struct reconciler *r)
{
	struct xs_handle *h = xsconn_handle(r->xs);
	struct entry *es[STATUS_BATCH];
	unsigned n = 0;

	if (!h)
		return; /* written again once connected (status_known is reset) */
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i]->status_due && r->v[i]->present)
			es[n++] = r->v[i];
		if ((n == STATUS_BATCH || (i + 1 == r->n && n)) && write_statuses(h, es, n) < 0) {
			xsconn_failed(r->xs, errno);
			return;
		}
		if (n == STATUS_BATCH)
			n = 0;
	}
}

/* Saving syncs the disk: keep it off the path from a definition to its
 * devices by doing it a moment later, in batches, for every definition
 * that changed since. */
static void save_some(void *arg);

static void save(struct reconciler *r, struct entry *e)
{
	if (!e->saved && !r->save_timer.armed)
		loop_timer_arm(r->loop, &r->save_timer, SAVE_DELAY_MS);
}

/* Save up to SAVE_BATCH unsaved definitions as one batch.  Returns true
 * when it went through and more are waiting. */
static bool save_batch(struct reconciler *r)
{
	struct persist_op ops[SAVE_BATCH];
	struct vnet_raw raws[SAVE_BATCH];
	struct entry *es[SAVE_BATCH];
	size_t n = 0, i;
	bool ok;

	for (i = 0; i < r->n && n < SAVE_BATCH; i++) {
		struct entry *e = r->v[i];
		if (e->saved)
			continue;
		vnet_xs_def_raw(&e->xs, e->key, &raws[n]);
		ops[n] = (struct persist_op){ .key = e->key, .raw = e->present ? &raws[n] : NULL };
		es[n++] = e;
	}
	ok = n > 0;
	if (n)
		persist_apply(r->cfg->state_dir, ops, n);
	for (size_t j = 0; j < n; j++) {
		/* EINVAL: a key no file may be named after is no valid id either. */
		if (ops[j].err && ops[j].err != EINVAL) {
			log_err("vnet %s: cannot save to %s: %s", es[j]->key, r->cfg->state_dir,
				strerror(ops[j].err));
			ok = false;
		} else {
			es[j]->saved = true;
		}
	}
	for (; ok && i < r->n; i++)
		if (!r->v[i]->saved)
			return true;
	return false;
}

static void set_state(struct entry *e, enum vnet_state st, const char *reason)
{
	bool changed = st != e->state || strcmp(reason, e->reason) != 0;

	if (changed) /* `vn monitor`; UNKNOWN after a known state: deleted */
		ctl_monitor_publish("vnet", (const char *const[]){ "vnet", e->key,
			"state", st == VNET_ST_UNKNOWN ? "down" : vnet_state_name(st),
			"bridge", e->valid ? e->def.bridge : NULL,
			"reason", st == VNET_ST_UP || st == VNET_ST_UNKNOWN ? NULL : reason, NULL });
	if (st != VNET_ST_UNKNOWN && changed) {
		if (st == VNET_ST_UP)
			log_info("vnet %s: up (bridge %s, vnetif %s, vni %u)", e->key, e->def.bridge,
				 e->def.vnetif, e->def.vni);
		else
			log_msg(st == VNET_ST_ERROR ? LOG_ERR : LOG_WARNING, "vnet %s: %s: %s", e->key,
				vnet_state_name(st), reason);
	}
	e->state = st;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
}

/* Tell the listener when the vnet comes up, goes, or has a device
 * recreated (a new tunnel lost its FDB; a new bridge lost its ports). */
static void notify(struct reconciler *r, struct entry *e)
{
	bool up = e->state == VNET_ST_UP;
	int tunnel = up ? (int)if_nametoindex(e->def.vnetif) : 0;
	int bridge = up ? (int)if_nametoindex(e->def.bridge) : 0;

	if (tunnel == e->tunnel && bridge == e->bridge)
		return;
	e->tunnel = tunnel;
	e->bridge = bridge;
	if (r->change_cb)
		r->change_cb(r->change_arg, &e->def, tunnel);
}

/* ESP in place for the vnet's level (guards first), or why not: then the
 * vnet is in error, never carried in clear text. */
static int secure_ready(struct reconciler *r, struct entry *e, char *why, size_t whylen)
{
	if (!r->esp)
		return vnet_err(why, whylen, "security %s needs ESP, which this host's data plane (%s) "
				"does not provide; refusing to carry it in clear text",
				vnet_security_name(e->def.security), r->dp->kind);
	if (r->cfg->control == CONTROL_EVPN) /* SAs are made with the hosts our protocol hears */
		return vnet_err(why, whylen, "security %s needs control = own (EVPN peers are not keyed); "
				"refusing to carry it in clear text", vnet_security_name(e->def.security));
	return cesp_ready(r->esp, &r->u, r->cfg->port, e->def.security, why, whylen);
}

static void evaluate(struct reconciler *r, struct entry *e)
{
	char why[256] = "";
	enum vnet_state st = VNET_ST_UP;

	e->dirty = false;
	e->conflict = e->kernel_blocked = e->remote_blocked = false;
	if (!e->present) {
		teardown(r, e);
		if (e->state != VNET_ST_UNKNOWN)
			log_info("vnet %s: deleted", e->key);
		set_state(e, VNET_ST_UNKNOWN, "");
		notify(r, e);
		save(r, e);
		return;
	}
	if (!e->valid) {
		st = VNET_ST_ERROR;
		snprintf(why, sizeof(why), "%s", e->why);
	} else if (find_conflict(r, e, why, sizeof(why))) {
		st = VNET_ST_ERROR;
		e->conflict = true;
	} else if (e->remote[0]) {
		/* Down like any error: no frame may cross to a host that would
		 * put it on another vnet (or lose it to an MTU mismatch). */
		st = VNET_ST_ERROR;
		e->remote_blocked = true;
		snprintf(why, sizeof(why), "%s", e->remote);
	} else if (!r->have_underlay) {
		st = VNET_ST_PENDING;
		snprintf(why, sizeof(why), "%s", r->underlay_err);
	} else if (e->def.security != VNET_SEC_NONE && secure_ready(r, e, why, sizeof(why)) < 0) {
		st = VNET_ST_ERROR;
	}

	if (st == VNET_ST_UP) {
		/* A secured vnet: its level's port, which the guard policies
		 * keep clear text off, and no multicast group. */
		struct dp_params p = { .port = cesp_port(r->cfg->port, e->def.security), .group = r->cfg->group,
				       .unicast = e->def.security != VNET_SEC_NONE, .learning = r->learning,
				       .evpn = r->cfg->control == CONTROL_EVPN };

		drop_stale(r, e);
		p.fresh = e->nowned == 0;
		if (r->dp->apply(r->k, e->key, &e->def, &r->u, &p, why, sizeof(why)) == 0) {
			own(e, e->def.bridge);
			own(e, e->def.vnetif);
		} else {
			st = VNET_ST_ERROR;
			e->kernel_blocked = true;
		}
	}
	/* Error means down.  Pending (the underlay is away for a moment) keeps
	 * what exists: domains on the bridge keep their local LAN, and the
	 * tunnel is fixed up when the underlay returns. */
	if (st == VNET_ST_ERROR)
		teardown(r, e);
	set_state(e, st, why);
	notify(r, e);
	write_status(r, e);
	save(r, e);
}

static void process(struct reconciler *r)
{
	size_t dirty = 0;
	bool snap;

	for (size_t i = 0; i < r->n; i++)
		dirty += r->v[i]->dirty;
	/* Many at once (a restart...): one dump instead of reads per vnet. */
	snap = dirty >= SNAPSHOT_MIN && kern_snapshot_take(r->k) == 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i]->dirty)
			evaluate(r, r->v[i]);
	if (snap)
		kern_snapshot_drop(r->k);
	r->dp->flush(r->k); /* what apply() queued */
	flush_statuses(r);
	compact(r);
}

static void mark_all_dirty(struct reconciler *r)
{
	for (size_t i = 0; i < r->n; i++)
		r->v[i]->dirty = true;
}

/* ---- the underlay ---- */

static bool refresh_underlay(struct reconciler *r)
{
	struct kern_underlay u;
	char err[256];
	bool have = kern_find_underlay(r->k, r->cfg->underlay, &u, err, sizeof(err)) == 0;
	bool changed = have != r->have_underlay ||
		       (have && memcmp(&u, &r->u, sizeof(u)) != 0);

	if (!changed)
		return false;
	if (have) {
		char addr[64];
		inet_ntop(u.family, &u.addr, addr, sizeof(addr));
		log_info("underlay %s: %s, mtu %u", u.name, addr, u.mtu);
		r->u = u;
	} else {
		log_warn("%s", err);
		snprintf(r->underlay_err, sizeof(r->underlay_err), "%s", err);
	}
	r->have_underlay = have;
	return true;
}

static void underlay_timer_fired(void *arg)
{
	struct reconciler *r = arg;

	if (refresh_underlay(r)) {
		mark_all_dirty(r);
		process(r);
	}
}

/* ---- whole-state scans ---- */

static void adopt_owned(void *arg, const struct kern_link_info *l)
{
	struct reconciler *r = arg;
	struct entry *e;

	if (!l->owner)
		return;
	e = find(r, l->owner);
	if (e && e->present) {
		own(e, l->name);
		return;
	}
	/* Marked for a vnet that no longer exists (deleted while we were away). */
	if (r->dp->remove(r->k, l->owner, l->name) > 0)
		log_info("removed %s of deleted vnet %s", l->name, l->owner);
}

static void rescan_kernel(struct reconciler *r)
{
	int rc = kern_links_foreach(r->k, adopt_owned, r);

	if (rc < 0)
		log_err("cannot list kernel links: %s", nl_geterror(rc));
}

/* Re-read every definition.  -1 when xenstore failed. */
static int rescan_xenstore(struct reconciler *r)
{
	struct xs_handle *h = xsconn_handle(r->xs);
	struct vnet_xs_def *defs = NULL;
	unsigned n = 0;
	char **keys;

	if (!h)
		return -1;
	keys = vnet_xs_list(h, &n);
	if ((!keys && errno != ENOENT) || (n && !(defs = calloc(n, sizeof(*defs)))))
		goto failed;
	/* In transactions of LOAD_BATCH: xenstored checks each access against
	 * the transaction's earlier ones, so one huge transaction is quadratic. */
	for (unsigned i = 0; i < n; i += LOAD_BATCH) {
		if (vnet_xs_read_many(h, keys + i, n - i < LOAD_BATCH ? n - i : LOAD_BATCH, defs + i) < 0) {
			while (i)
				vnet_xs_def_free(&defs[--i]);
			goto failed;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		ix_del(r, r->v[i]);
		r->v[i]->present = false;
	}
	for (unsigned i = 0; i < n; i++) {
		struct entry *e = find_or_add(r, keys[i]);
		if (e)
			take(r, e, &defs[i]);
		else
			vnet_xs_def_free(&defs[i]);
	}
	free(defs);
	free(keys);
	for (size_t i = 0; i < r->n; i++)
		if (!r->v[i]->present)
			r->v[i]->dirty = true;
	return 0;
failed:
	xsconn_failed(r->xs, errno);
	free(defs);
	free(keys);
	return -1;
}

/* ---- persistence across an emptied xenstore ---- */

struct restore_ctx {
	struct reconciler *r;
	struct xs_handle *h;
	bool fresh;
};

static void restore_one(void *arg, const struct vnet_raw *raw)
{
	struct restore_ctx *c = arg;

	if (c->fresh) {
		if (vnet_xs_write(c->h, raw, true) < 0)
			log_err("vnet %s: cannot restore into xenstore: %s", raw->key, strerror(errno));
		else
			log_info("vnet %s: restored into xenstore from %s", raw->key, c->r->cfg->state_dir);
		return;
	}
	struct entry *e = find(c->r, raw->key);
	if (!e || !e->present) {
		persist_remove(c->r->cfg->state_dir, raw->key);
		log_info("vnet %s: deleted while xenvnetd was stopped; forgotten", raw->key);
		return;
	}
	/* Saved as it is: a restart need not write (and fsync) it again. */
	for (int i = 0; i < VNET_NFIELDS; i++) {
		const char *saved = *vnet_raw_field((struct vnet_raw *)raw, (size_t)i), *now = e->xs.field[i];
		if (!saved != !now || (saved && strcmp(saved, now) != 0))
			return;
	}
	e->saved = true;
}

/* A store without our marker is new (dom0 rebooted, xenstored restarted):
 * write every saved definition back.  Otherwise xenstore is the truth. */
static bool store_is_fresh(struct xs_handle *h)
{
	unsigned len;
	char *v = xs_read(h, XBT_NULL, MARKER_PATH, &len);

	free(v);
	return v == NULL && errno == ENOENT;
}

static void protect_root(struct xs_handle *h)
{
	struct xs_permissions perm = { .id = 0, .perms = XS_PERM_NONE }, *now;
	unsigned n = 0;

	if (!xs_mkdir(h, XBT_NULL, VNET_XS_ROOT))
		goto fail;
	/* Setting permissions fires the /vnet watch, and a root event means
	 * a full rescan: at every restart with thousands of vnets, only to
	 * set what is already set. */
	now = xs_get_permissions(h, XBT_NULL, VNET_XS_ROOT, &n);
	bool same = now && n == 1 && now[0].id == perm.id && now[0].perms == perm.perms;
	free(now);
	if (same || xs_set_permissions(h, XBT_NULL, VNET_XS_ROOT, &perm, 1))
		return;
fail:
	log_warn("cannot restrict %s to dom0: %s", VNET_XS_ROOT, strerror(errno));
}

void reconciler_xs_connected(struct reconciler *r, struct xs_handle *h)
{
	struct restore_ctx c = { r, h, store_is_fresh(h) };

	protect_root(h);
	if (c.fresh) {
		persist_foreach(r->cfg->state_dir, restore_one, &c);
		if (!xs_write(h, XBT_NULL, MARKER_PATH, "1", 1))
			log_warn("cannot write %s: %s", MARKER_PATH, strerror(errno));
	}
	uint64_t t0 = loop_now_ms();
	if (rescan_xenstore(r) < 0)
		return;
	uint64_t t1 = loop_now_ms();
	if (!c.fresh)
		persist_foreach(r->cfg->state_dir, restore_one, &c);
	uint64_t t2 = loop_now_ms();
	rescan_kernel(r);
	uint64_t t3 = loop_now_ms();
	mark_all_dirty(r);
	process(r);
	/* How long a (re)start takes, by part: the figure to watch at scale. */
	log_info("%zu vnets in place in %llu ms (xenstore %llu, state dir %llu, kernel scan %llu, "
		 "apply %llu)", r->n, (unsigned long long)(loop_now_ms() - t0), (unsigned long long)(t1 - t0),
		 (unsigned long long)(t2 - t1), (unsigned long long)(t3 - t2),
		 (unsigned long long)(loop_now_ms() - t3));
}

void reconciler_xs_lost(struct reconciler *r)
{

	/* The new store may hold anything: write every status again. */
	for (size_t i = 0; i < r->n; i++)
		r->v[i]->status_known = false;
}

/* "/vnet/<key>[/<leaf>]" -> key; NULL for "/vnet" itself. */
static const char *key_of(const char *path, char *buf, size_t size, const char **leaf)
{
	const char *p = path + strlen(VNET_XS_ROOT);

	*leaf = NULL;
	if (strncmp(path, VNET_XS_ROOT, strlen(VNET_XS_ROOT)) != 0 || *p != '/')
		return NULL;
	p++;
	size_t n = strcspn(p, "/");
	if (n == 0 || n >= size)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (p[n] == '/')
		*leaf = p + n + 1;
	return buf;
}

void reconciler_xs_watch(struct reconciler *r, const char *path)
{
	char buf[256];
	const char *leaf, *key = key_of(path, buf, sizeof(buf), &leaf);

	if (!key) {
		if (strcmp(path, VNET_XS_ROOT) != 0)
			return;
		if (rescan_xenstore(r) == 0)
			process(r);
		return;
	}
	/* Our own status writes come back as events: nothing to do. */
	if (leaf && (!strcmp(leaf, VNET_KEY_STATE) || !strcmp(leaf, VNET_KEY_ERROR)))
		return;
	struct entry *e = find_or_add(r, key);
	/* Read once every queued event is in: a burst of definitions is read
	 * many per transaction, applied in one pass. */
	if (e) {
		e->stale = true;
		if (!r->load_timer.armed)
			loop_timer_arm(r->loop, &r->load_timer, 0);
	}
}

/* Read and apply up to LOAD_BATCH changed definitions; the rest on the
 * next turn, so that the loop answers meanwhile. */
static void load_some(void *arg)
{
	struct reconciler *r = arg;
	struct xs_handle *h = xsconn_handle(r->xs);
	struct entry *es[LOAD_BATCH];
	char *keys[LOAD_BATCH];
	struct vnet_xs_def defs[LOAD_BATCH];
	unsigned n = 0;
	bool more = false;

	if (!h)
		return; /* all read again once connected */
	for (size_t i = 0; i < r->n && !more; i++) {
		if (!r->v[i]->stale)
			continue;
		if (n == LOAD_BATCH) {
			more = true;
			break;
		}
		es[n] = r->v[i];
		keys[n++] = r->v[i]->key;
	}
	if (n && vnet_xs_read_many(h, keys, n, defs) < 0) {
		xsconn_failed(r->xs, errno);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		take(r, es[i], &defs[i]);
	process(r);
	if (more)
		loop_timer_arm(r->loop, &r->load_timer, 1);
}

/* ---- kernel events ---- */

/* The deletion of a device we removed ourselves may be reported after the
 * vnet was defined again and its device made anew under the same name. */
static bool made_anew(const struct entry *e, const struct kern_event *ev)
{
	int idx = (int)if_nametoindex(ev->name);

	return idx && idx != ev->ifindex && (idx == e->bridge || idx == e->tunnel);
}

void reconciler_kernel_event(void *arg, const struct kern_event *ev)
{
	struct reconciler *r = arg;
	bool any = false;

	if (ev->overrun) {
		refresh_underlay(r);
		rescan_kernel(r);
		mark_all_dirty(r);
		process(r);
		return;
	}
	if (!r->have_underlay || ev->ifindex == r->u.ifindex ||
	    (ev->name && !strcmp(ev->name, r->cfg->underlay)))
		loop_timer_arm(r->loop, &r->underlay_timer, UNDERLAY_SETTLE_MS);
	if (!ev->name)
		return;
	if (ev->owner) {
		struct entry *e = find(r, ev->owner);
		if (e && ev->deleted && !made_anew(e, ev)) {
			disown(e, ev->name);
			if (e->present && e->state == VNET_ST_UP) {
				log_warn("vnet %s: %s was deleted behind our back; recreating", e->key, ev->name);
				e->dirty = any = true;
			}
		}
	}
	/* A name that blocked a vnet may have been freed (or taken); the
	 * kernel refuses only vnets that are present and valid (indexed). */
	uint32_t h = hash_str(ev->name);
	for (const struct ixnode *n = r->ix ? *ix_bucket(r, h) : NULL; n; n = n->next) {
		struct entry *e = n->e;
		if (n->h == h && e->kernel_blocked &&
		    (!strcmp(e->def.bridge, ev->name) || !strcmp(e->def.vnetif, ev->name)))
			e->dirty = any = true;
	}
	if (any)
		process(r);
}

/* ---- what other hosts say ---- */

static void remote_fired(void *arg)
{
	process(arg);
}

void reconciler_set_remote(struct reconciler *r, const struct vnet_id *id, const char *why)
{
	if (!why)
		why = "";
	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = r->v[i];
		if (!e->valid || !vnet_id_equal(&e->def.id, id) || !strcmp(e->remote, why))
			continue;
		snprintf(e->remote, sizeof(e->remote), "%s", why);
		e->dirty = true;
		if (!r->remote_timer.armed)
			loop_timer_arm(r->loop, &r->remote_timer, 0);
	}
}

/* ---- life cycle ---- */

struct reconciler *reconciler_new(struct loop *l, struct kern *k, const struct dataplane_ops *dp,
				  const struct config *cfg)
{
	struct reconciler *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->loop = l;
	r->k = k;
	r->dp = dp;
	r->cfg = cfg;
	r->learning = true; /* flood-and-learn until a control protocol runs */
	timer_init(&r->underlay_timer, underlay_timer_fired, r);
	timer_init(&r->save_timer, save_some, r);
	timer_init(&r->remote_timer, remote_fired, r);
	timer_init(&r->load_timer, load_some, r);
	snprintf(r->underlay_err, sizeof(r->underlay_err), "underlay not found yet");
	refresh_underlay(r);
	return r;
}

/* One batch per tick: the loop stays responsive while thousands of
 * vnets are being defined.  A failed save waits for the next change. */
static void save_some(void *arg)
{
	struct reconciler *r = arg;

	if (r->load_timer.armed) { /* definitions still coming in: devices first */
		loop_timer_arm(r->loop, &r->save_timer, SAVE_DELAY_MS);
		return;
	}
	if (save_batch(r))
		loop_timer_arm(r->loop, &r->save_timer, 1);
	compact(r);
}

void reconciler_set_xs(struct reconciler *r, struct xsconn *xs)
{
	r->xs = xs;
}

void reconciler_free(struct reconciler *r)
{
	if (!r)
		return;
	loop_timer_cancel(r->loop, &r->underlay_timer);
	loop_timer_cancel(r->loop, &r->save_timer);
	loop_timer_cancel(r->loop, &r->remote_timer);
	loop_timer_cancel(r->loop, &r->load_timer);
	while (save_batch(r)) /* nothing waits unsaved past our exit */
		;
	for (size_t i = 0; i < r->n; i++)
		entry_free(r->v[i]);
	free(r->v);
	free(r->keys);
	free(r->ix);
	free(r);
}

void reconciler_config_changed(struct reconciler *r)
{
	refresh_underlay(r);
	mark_all_dirty(r);
	process(r);
}

void reconciler_set_learning(struct reconciler *r, bool on)
{
	if (r->learning == on)
		return;
	r->learning = on;
	mark_all_dirty(r);
	process(r);
}

void reconciler_set_esp(struct reconciler *r, struct cesp *esp)
{
	r->esp = esp;
	mark_all_dirty(r);
}

void reconciler_on_change(struct reconciler *r, void (*cb)(void *arg, const struct vnet_def *def, int tunnel), void *arg)
{
	r->change_cb = cb;
	r->change_arg = arg;
}

const struct vnet_def *reconciler_find_bridge(struct reconciler *r, const char *bridge)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i]->state == VNET_ST_UP && strcmp(r->v[i]->def.bridge, bridge) == 0)
			return &r->v[i]->def;
	return NULL;
}

const struct kern_underlay *reconciler_underlay(struct reconciler *r)
{
	return r->have_underlay ? &r->u : NULL;
}

void reconciler_foreach(struct reconciler *r, void (*cb)(void *arg, const struct vnet_status *st), void *arg)
{
	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = r->v[i];
		struct vnet_status st = {
			.key = e->key, .valid = e->valid, .def = &e->def,
			.state = e->state, .reason = e->reason, .remote = e->remote_blocked,
		};
		if (e->present)
			cb(arg, &st);
	}
}
