/* Per-origin replay windows in a bounded hash table with LRU eviction. */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define WINDOW_MIN 256u
#define WINDOW_MAX 65536u
#define ORIGINS_MAX (1u << 24)

struct origin {
	struct proto_addr addr;
	uint64_t top;                   /* highest counter accepted */
	uint64_t forgot_us;             /* when replay_forget was called; 0: live */
	uint32_t chain;                 /* next in bucket, or in the free list */
	uint32_t newer, older;          /* LRU list */
};

/* Each origin's bitmap is a ring of nwords 64-bit words, one per block of
 * 64 counters: bit (c % 64) of word ((c / 64) % nwords) is counter c.  One
 * word more than the window needs, so advancing the top can clear whole
 * words without losing a counter that is still inside the window. */
struct replay {
	uint64_t window;                /* counters below top still tracked */
	uint64_t skew_us;
	size_t nwords;
	size_t max, n;
	size_t mask;                    /* buckets - 1 */
	uint32_t *bucket;
	struct origin *o;
	uint64_t *bits;                 /* max * nwords */
	uint32_t newest, oldest, free;
};

struct replay *replay_new(unsigned window_bits, unsigned max_skew_s, size_t max_origins)
{
	struct replay *r = calloc(1, sizeof(*r));
	size_t nb = 1;

	if (!r)
		return NULL;
	if (window_bits < WINDOW_MIN)
		window_bits = WINDOW_MIN;
	if (window_bits > WINDOW_MAX)
		window_bits = WINDOW_MAX;
	r->window = (window_bits + 63u) / 64u * 64u;
	r->nwords = r->window / 64 + 1;
	r->skew_us = (uint64_t)max_skew_s * 1000000u;
	r->max = max_origins == 0 ? REPLAY_ORIGINS_DEFAULT :
		 max_origins > ORIGINS_MAX ? ORIGINS_MAX : max_origins;
	while (nb < 2 * r->max)         /* load factor <= 1/2 */
		nb <<= 1;
	r->mask = nb - 1;
	r->bucket = malloc(nb * sizeof(*r->bucket));
	r->o = calloc(r->max, sizeof(*r->o));
	r->bits = calloc(r->max * r->nwords, sizeof(*r->bits));
	if (!r->bucket || !r->o || !r->bits) {
		replay_free(r);
		return NULL;
	}
	for (size_t i = 0; i < nb; i++)
		r->bucket[i] = NIL;
	for (size_t i = 0; i < r->max; i++)
		r->o[i].chain = i + 1 < r->max ? (uint32_t)(i + 1) : NIL;
	r->free = 0;
	r->newest = r->oldest = NIL;
	return r;
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	free(r->bucket);
	free(r->o);
	free(r->bits);
	free(r);
}

size_t replay_origins(const struct replay *r)
{
	return r->n;
}

/* FNV-1a.  Unkeyed on purpose: only origins of messages whose MAC verified
 * get here, so nobody without the key can aim at a bucket. */
static size_t slot(const struct replay *r, const struct proto_addr *a)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 0x100000001b3u;
	return (size_t)(h ^ h >> 32) & r->mask;
}

static uint32_t find(const struct replay *r, const struct proto_addr *a)
{
	uint32_t i = r->bucket[slot(r, a)];

	while (i != NIL && !proto_addr_equal(&r->o[i].addr, a))
		i = r->o[i].chain;
	return i;
}

static void lru_unlink(struct replay *r, uint32_t i)
{
	struct origin *o = &r->o[i];

	if (o->newer != NIL)
		r->o[o->newer].older = o->older;
	else
		r->newest = o->older;
	if (o->older != NIL)
		r->o[o->older].newer = o->newer;
	else
		r->oldest = o->newer;
}

static void lru_push(struct replay *r, uint32_t i)
{
	r->o[i].newer = NIL;
	r->o[i].older = r->newest;
	if (r->newest != NIL)
		r->o[r->newest].newer = i;
	r->newest = i;
	if (r->oldest == NIL)
		r->oldest = i;
}

static void remove_origin(struct replay *r, uint32_t i)
{
	uint32_t *p = &r->bucket[slot(r, &r->o[i].addr)];

	while (*p != i)
		p = &r->o[*p].chain;
	*p = r->o[i].chain;
	lru_unlink(r, i);
	r->o[i].chain = r->free;
	r->free = i;
	r->n--;
}

/* The origin's top counter stays for the freshness window: every recording
 * of it is at or below that top, and once the window has passed any
 * recording is stale anyway.  So a forgotten host cannot be revived by
 * replaying its last HELLO and ANNOUNCEs. */
void replay_forget(struct replay *r, const struct proto_addr *origin, uint64_t now_us)
{
	uint32_t i = find(r, origin);

	if (i != NIL)
		r->o[i].forgot_us = now_us ? now_us : 1;
}

static uint32_t insert(struct replay *r, const struct proto_addr *a)
{
	if (r->free == NIL)
		remove_origin(r, r->oldest);
	uint32_t i = r->free;
	size_t s = slot(r, a);

	r->free = r->o[i].chain;
	r->o[i].addr = *a;
	r->o[i].chain = r->bucket[s];
	r->bucket[s] = i;
	lru_push(r, i);
	r->n++;
	return i;
}

enum replay_verdict replay_check(struct replay *r, const struct proto_addr *origin,
				 uint64_t counter, uint64_t sent_us, uint64_t now_us)
{
	uint64_t skew = sent_us > now_us ? sent_us - now_us : now_us - sent_us;

	/* Before the table: a stale message must not even create an origin. */
	if (skew > r->skew_us)
		return REPLAY_STALE;

	uint32_t i = find(r, origin);
	uint64_t *w;
	uint64_t bit = (uint64_t)1 << (counter & 63);

	if (i == NIL) {
		i = insert(r, origin);
		w = r->bits + (size_t)i * r->nwords;
		memset(w, 0, r->nwords * sizeof(*w));
		r->o[i].top = counter;
		r->o[i].forgot_us = 0;
	} else if (r->o[i].forgot_us && now_us - r->o[i].forgot_us > r->skew_us && now_us > r->o[i].forgot_us) {
		/* Forgotten long enough: whatever was recorded is stale now, so a
		 * new window (a host whose clock went back is heard again). */
		w = r->bits + (size_t)i * r->nwords;
		memset(w, 0, r->nwords * sizeof(*w));
		r->o[i].top = counter;
		r->o[i].forgot_us = 0;
		lru_unlink(r, i);
		lru_push(r, i);
	} else {
		struct origin *o = &r->o[i];
		w = r->bits + (size_t)i * r->nwords;
		if (o->forgot_us && counter <= o->top)
			return REPLAY_OLD; /* a recording from before it was forgotten */
		o->forgot_us = 0;
		if (counter > o->top) {
			uint64_t from = o->top / 64, to = counter / 64;
			if (to - from >= r->nwords)
				memset(w, 0, r->nwords * sizeof(*w));
			else
				for (uint64_t b = from + 1; b <= to; b++)
					w[b % r->nwords] = 0;
			o->top = counter;
		} else if (o->top - counter >= r->window) {
			return REPLAY_OLD;
		} else if (w[counter / 64 % r->nwords] & bit) {
			return REPLAY_DUP;
		}
		lru_unlink(r, i);
		lru_push(r, i);
	}
	w[counter / 64 % r->nwords] |= bit;
	return REPLAY_OK;
}

int replay_accept(struct replay *r, const struct proto_addr *self, int rc,
		  const struct proto_msg *m, uint64_t now_us, struct proto_stats *st)
{
	if (rc != PROTO_OK) {
		proto_stats_count_err(st, rc);
		return -1;
	}
	/* Our own messages come back over multicast and through relays; they
	 * must not take a slot in the table. */
	if (self && proto_addr_equal(&m->origin, self)) {
		st->own++;
		return -1;
	}
	switch (replay_check(r, &m->origin, m->counter, m->time_us, now_us)) {
	case REPLAY_OK:
		st->ok++;
		return 0;
	case REPLAY_DUP:
		st->dup++;
		break;
	case REPLAY_OLD:
		st->replayed++;
		break;
	case REPLAY_STALE:
		st->stale++;
		break;
	}
	return -1;
}
