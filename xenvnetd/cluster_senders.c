#include "cluster_senders.h"

#include <string.h>

const struct sender *senders_find(const struct senders *s, const struct proto_addr *addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (proto_addr_equal(&s->v[i].addr, addr))
			return &s->v[i];
	return NULL;
}

static struct sender *slot_for(struct senders *s, const struct proto_addr *addr)
{
	struct sender *e = (struct sender *)senders_find(s, addr);

	if (e)
		return e;
	if (s->n < SENDERS_MAX) {
		e = &s->v[s->n++];
	} else {
		/* Full (spoofed sources, say): the quietest one goes. */
		e = &s->v[0];
		for (size_t i = 1; i < s->n; i++)
			if (s->v[i].last_ms < e->last_ms)
				e = &s->v[i];
	}
	memset(e, 0, sizeof(*e));
	e->addr = *addr;
	return e;
}

/* One warning per sender per SENDERS_WARN_MS, and a cap on all senders
 * together, so a flood from many addresses cannot flood the log. */
static bool warn_due(struct senders *s, struct sender *e, uint64_t now_ms)
{
	if (e->warned_ms && now_ms - e->warned_ms < SENDERS_WARN_MS)
		return false;
	if (now_ms - s->window_ms >= SENDERS_WARN_MS) {
		s->window_ms = now_ms;
		s->warnings = 0;
	}
	if (s->warnings >= SENDERS_WARN_BURST)
		return false;
	s->warnings++;
	e->warned_ms = now_ms ? now_ms : 1;
	return true;
}

bool senders_count(struct senders *s, const struct proto_addr *addr, enum sender_fault f,
		   uint64_t now_ms)
{
	struct sender *e = slot_for(s, addr);

	e->last_ms = now_ms;
	if (f == SENDER_REPLAYED) {
		e->replayed++;
		return false;
	}
	e->bad_mac++;
	return warn_due(s, e, now_ms);
}
