#include "cluster_hosts.h"
#include "vnet_grow.h"

#include <stdlib.h>
#include <string.h>

void hosts_init(struct hosts *t, size_t max, size_t max_vnets)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	t->max_vnets = max_vnets;
}

void hosts_free(struct hosts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].vnets);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* The index of a, or where it would go. */
static size_t lower_bound(const struct hosts *t, const struct proto_addr *a)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(t->v[mid].addr.b, a->b, sizeof(a->b)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct host *hosts_find(struct hosts *t, const struct proto_addr *a)
{
	size_t i = lower_bound(t, a);

	return i < t->n && proto_addr_equal(&t->v[i].addr, a) ? &t->v[i] : NULL;
}

struct host *hosts_add(struct hosts *t, const struct proto_addr *a)
{
	size_t i;

	if (t->n >= t->max)
		return NULL;
	struct host *v = vnet_grow(t->v, &t->cap, t->n, sizeof(*v), 16);
	if (!v)
		return NULL;
	t->v = v;
	i = lower_bound(t, a);
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->n++;
	memset(&t->v[i], 0, sizeof(t->v[i]));
	t->v[i].addr = *a;
	return &t->v[i];
}

void hosts_del(struct hosts *t, struct host *h)
{
	size_t i = (size_t)(h - t->v);

	free(h->vnets);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

int hosts_touch_vnet(struct hosts *t, struct host *h, const struct vnet_id *id, uint64_t expires)
{
	for (size_t i = 0; i < h->nvnets; i++) {
		if (vnet_id_equal(&h->vnets[i].id, id)) {
			h->vnets[i].expires_ms = expires;
			return 0;
		}
	}
	if (h->nvnets >= t->max_vnets)
		return -1;
	struct host_vnet *v = vnet_grow(h->vnets, &h->cap, h->nvnets, sizeof(*v), 8);
	if (!v)
		return -1;
	h->vnets = v;
	h->vnets[h->nvnets++] = (struct host_vnet){ .id = *id, .expires_ms = expires };
	return 1;
}

unsigned hosts_hold(unsigned hold_s)
{
	if (hold_s == 0)
		return 0;
	return hold_s < HOSTS_HOLD_MIN_S ? HOSTS_HOLD_MIN_S : hold_s > HOSTS_HOLD_MAX_S ? HOSTS_HOLD_MAX_S : hold_s;
}
