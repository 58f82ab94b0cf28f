/* VNI and MTU agreement between hosts (cluster_vni.h). */
#include "cluster_vni.h"
#include "dataplane.h"
#include "vnet_grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cvni_init(struct cvni *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
}

void cvni_free(struct cvni *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static bool same_vnet(const struct proto_vnet *a, const struct proto_vnet *b)
{
	return vnet_id_equal(&a->id, &b->id) && a->vni == b->vni && a->mtu == b->mtu;
}

/* Drop the entries gone() picks; true when any went. */
static bool drop_if(struct cvni *t, bool (*gone)(const struct cvni_entry *e, const void *arg), const void *arg)
{
	size_t w = 0;

	for (size_t i = 0; i < t->n; i++)
		if (!gone(&t->v[i], arg))
			t->v[w++] = t->v[i];
	bool changed = w != t->n;
	t->n = w;
	return changed;
}

static bool stale_part(const struct cvni_entry *e, const void *arg)
{
	const struct proto_msg *m = arg;

	if (!proto_addr_equal(&e->host, &m->origin) || (e->part != m->part && e->part < m->parts))
		return false;
	for (size_t i = 0; i < m->nvnets; i++)
		if (same_vnet(&e->v, &m->vnets[i]))
			return false; /* said again: kept (refreshed below) */
	return true;
}

static struct cvni_entry *find(struct cvni *t, const struct proto_addr *host, const struct proto_vnet *v)
{
	for (size_t i = 0; i < t->n; i++)
		if (proto_addr_equal(&t->v[i].host, host) && same_vnet(&t->v[i].v, v))
			return &t->v[i];
	return NULL;
}

bool cvni_hello(struct cvni *t, const struct proto_msg *m, uint64_t now_ms)
{
	uint64_t expires = now_ms + (uint64_t)m->hold_s * 1000u;
	bool changed = drop_if(t, stale_part, m);

	for (size_t i = 0; i < m->nvnets; i++) {
		struct cvni_entry *e = find(t, &m->origin, &m->vnets[i]);
		if (!e && t->n >= t->max) {
			t->refused++;
			continue;
		}
		if (!e) {
			struct cvni_entry *v = vnet_grow(t->v, &t->cap, t->n, sizeof(*v), 16);
			if (!v)
				return changed;
			t->v = v;
			e = &t->v[t->n++];
			e->host = m->origin;
			e->v = m->vnets[i];
			changed = true;
		}
		e->part = m->part;
		e->expires_ms = expires;
	}
	return changed;
}

static bool of_host(const struct cvni_entry *e, const void *arg)
{
	return proto_addr_equal(&e->host, arg);
}

bool cvni_forget(struct cvni *t, const struct proto_addr *host)
{
	return drop_if(t, of_host, host);
}

static bool expired(const struct cvni_entry *e, const void *arg)
{
	return e->expires_ms <= *(const uint64_t *)arg;
}

bool cvni_expire(struct cvni *t, uint64_t now_ms)
{
	return drop_if(t, expired, &now_ms);
}

bool cvni_carried(const struct vnet_status *st)
{
	return st->valid && (st->state == VNET_ST_UP || st->remote);
}

void cvni_local(const struct vnet_status *st, const struct kern_underlay *u, struct proto_vnet *out)
{
	unsigned mtu = u ? dp_vnet_mtu(st->def, u) : st->def->mtu;

	out->id = st->def->id;
	out->vni = st->def->vni;
	out->mtu = (uint16_t)(mtu > UINT16_MAX ? UINT16_MAX : mtu);
}

bool cvni_check(const struct cvni *t, const struct proto_vnet *mine, char *why, size_t size)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct proto_vnet *o = &t->v[i].v;
		char host[PROTO_ADDR_STRLEN], id[VNET_ID_STRLEN];
		bool same_id = vnet_id_equal(&o->id, &mine->id);

		if (same_id ? o->vni == mine->vni && o->mtu == mine->mtu : o->vni != mine->vni)
			continue;
		proto_addr_format(&t->v[i].host, host);
		vnet_id_format(&o->id, id);
		if (!same_id)
			snprintf(why, size, "host %s carries vnet %s on vni %u", host, id, o->vni);
		else if (o->vni != mine->vni)
			snprintf(why, size, "host %s has vnet %s on vni %u, here %u", host, id, o->vni, mine->vni);
		else
			snprintf(why, size, "mtu %u here, %u on host %s", mine->mtu, o->mtu, host);
		return true;
	}
	return false;
}

struct apply_ctx {
	const struct cvni *t;
	struct reconciler *rec;
};

static void apply_one(void *arg, const struct vnet_status *st)
{
	struct apply_ctx *a = arg;
	struct proto_vnet mine;
	char why[256] = "";

	if (!cvni_carried(st)) {
		/* Not on the wire: nothing to disagree about (a no-op when clear). */
		if (st->valid)
			reconciler_set_remote(a->rec, &st->def->id, NULL);
		return;
	}
	cvni_local(st, reconciler_underlay(a->rec), &mine);
	cvni_check(a->t, &mine, why, sizeof(why));
	reconciler_set_remote(a->rec, &st->def->id, why);
}

void cvni_apply(const struct cvni *t, struct reconciler *rec)
{
	struct apply_ctx a = { t, rec };

	reconciler_foreach(rec, apply_one, &a);
}
