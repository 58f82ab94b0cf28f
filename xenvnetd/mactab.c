#include "mactab.h"

#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 1024

static size_t hash(const struct vnet_id *vnet, const uint8_t mac[6])
{
	uint64_t h = vnet_id_hash(vnet);

	for (int i = 0; i < 6; i++) {
		h ^= mac[i];
		h *= 0x100000001b3ull;
	}
	return (size_t)(h ^ (h >> 29));
}

int mactab_init(struct mactab *t)
{
	memset(t, 0, sizeof(*t));
	t->buckets = calloc(MIN_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -1;
	t->nbuckets = MIN_BUCKETS;
	return 0;
}

void mactab_free(struct mactab *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct mac_entry *e = t->buckets[i];
		while (e) {
			struct mac_entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct mac_entry *mactab_find(struct mactab *t, const struct vnet_id *vnet, const uint8_t mac[6])
{
	for (struct mac_entry *e = t->buckets[hash(vnet, mac) & (t->nbuckets - 1)]; e; e = e->next)
		if (memcmp(e->mac, mac, 6) == 0 && vnet_id_equal(&e->vnet, vnet))
			return e;
	return NULL;
}

/* Double the buckets when the chains get long on average. */
static void grow(struct mactab *t)
{
	size_t n = t->nbuckets * 2;
	struct mac_entry **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct mac_entry *e = t->buckets[i];
		while (e) {
			struct mac_entry *next = e->next;
			size_t h = hash(&e->vnet, e->mac) & (n - 1);
			e->next = b[h];
			b[h] = e;
			e = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

struct mac_entry *mactab_get(struct mactab *t, const struct vnet_id *vnet, const uint8_t mac[6])
{
	struct mac_entry *e = mactab_find(t, vnet, mac);

	if (e)
		return e;
	if (t->n >= t->nbuckets)
		grow(t);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->vnet = *vnet;
	memcpy(e->mac, mac, 6);
	size_t h = hash(vnet, mac) & (t->nbuckets - 1);
	e->next = t->buckets[h];
	t->buckets[h] = e;
	t->n++;
	return e;
}

void mactab_del(struct mactab *t, struct mac_entry *e)
{
	struct mac_entry **p = &t->buckets[hash(&e->vnet, e->mac) & (t->nbuckets - 1)];

	for (; *p; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			free(e);
			t->n--;
			return;
		}
	}
}

void mactab_foreach(struct mactab *t, void (*cb)(void *arg, struct mac_entry *e), void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct mac_entry *e = t->buckets[i];
		while (e) {
			struct mac_entry *next = e->next; /* cb may free e */
			cb(arg, e);
			e = next;
		}
	}
}

bool mactab_count_move(struct mac_entry *e, uint64_t now, unsigned window_s, unsigned limit)
{
	/* The first move opens the window: now counts from boot, so a
	 * window anchored at 0 would end early on a host up for less. */
	if (e->moves == 0 || now - e->window_ms > (uint64_t)window_s * 1000u) {
		e->window_ms = now;
		e->moves = 0;
	}
	if (e->moves < UINT16_MAX)
		e->moves++;
	return e->moves == limit + 1;
}
