/* When a key change may move on. */
#include "cluster_keychange.h"

void ckc_start(struct ckc *s, uint64_t now_ms, uint64_t settle_ms)
{
	*s = (struct ckc){ .heard_ms = now_ms + settle_ms };
}

void ckc_update(struct ckc *s, const struct keyring *r, const struct hosts *t, uint64_t now_ms)
{
	bool all = now_ms >= s->heard_ms;

	for (size_t i = 0; all && keyring_changing(r) && i < t->n; i++)
		all = t->v[i].has_key_id && t->v[i].key_id == r->cur_id;
	if (all && !s->all)
		s->all_since_ms = now_ms;
	s->all = all;
}

const struct auth_key *ckc_signer(const struct ckc *s, const struct keyring *r)
{
	return keyring_changing(r) && !s->all ? &r->prev : &r->cur;
}

bool ckc_done(const struct ckc *s, const struct keyring *r, uint64_t now_ms, uint64_t grace_ms)
{
	return keyring_changing(r) && s->all && now_ms - s->all_since_ms >= grace_ms;
}
