/* The current cluster key and the previous one during a change. */
#include "cluster_keyring.h"

#include <string.h>

static bool same(const struct auth_key *a, const struct auth_key *b)
{
	return a->len == b->len && a->len && memcmp(a->secret, b->secret, a->len) == 0;
}

/* Move @from into @to, freeing what @to held. */
static void move(struct auth_key *to, struct auth_key *from)
{
	auth_key_free(to);
	*to = *from;
	memset(from, 0, sizeof(*from));
}

int keyring_take(struct keyring *r, struct auth_key *k)
{
	if (same(&r->cur, k)) {
		auth_key_free(k);
		return 0;
	}
	if (!r->cur.len || (keyring_changing(r) && !same(&r->prev, k))) {
		move(&r->cur, k); /* the previous key stays the agreed one */
	} else {
		move(&r->prev, &r->cur); /* also a return to the previous key */
		move(&r->cur, k);
	}
	r->cur_id = auth_key_id(&r->cur);
	r->prev_id = auth_key_id(&r->prev);
	return 1;
}

void keyring_drop_prev(struct keyring *r)
{
	auth_key_free(&r->prev);
	r->prev_id = 0;
}

bool keyring_changing(const struct keyring *r)
{
	return r->prev.len != 0;
}

void keyring_free(struct keyring *r)
{
	auth_key_free(&r->cur);
	keyring_drop_prev(r);
	r->cur_id = 0;
}
