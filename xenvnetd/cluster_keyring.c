/* The current cluster key and the previous one during a change. */
#include "cluster_keyring.h"
#include "durable.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

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

/* The previous key on disk, or its file removed when there is none. */
static void save_prev(const struct keyring *r)
{
	char hex[2 * AUTH_KEY_MAX + 1];

	if (!r->prev_path)
		return;
	if (!r->prev.len) {
		if (unlink(r->prev_path) < 0 && errno != ENOENT)
			log_err("removing %s: %s", r->prev_path, strerror(errno));
		return;
	}
	for (size_t i = 0; i < r->prev.len; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->prev.secret[i]);
	hex[2 * r->prev.len] = '\n';
	if (durable_write(r->prev_path, hex, 2 * r->prev.len + 1, 0600) < 0)
		log_err("saving the previous cluster key in %s: %s (a restart now ends the key change)",
			r->prev_path, strerror(errno));
	OPENSSL_cleanse(hex, sizeof(hex));
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
	save_prev(r);
	return 1;
}

void keyring_drop_prev(struct keyring *r)
{
	auth_key_free(&r->prev);
	r->prev_id = 0;
	save_prev(r);
}

bool keyring_changing(const struct keyring *r)
{
	return r->prev.len != 0;
}

bool keyring_keep_in(struct keyring *r, const char *path)
{
	struct auth_key k = { 0 };
	char err[256];

	free(r->prev_path);
	if (!(r->prev_path = strdup(path)))
		return false;
	if (access(path, F_OK) < 0)
		return false;
	if (auth_load_key(path, &k, err, sizeof(err)) < 0) {
		log_err("previous cluster key: %s; ignored", err);
		return false;
	}
	if (r->cur.len && !same(&r->cur, &k)) {
		auth_key_free(&r->prev);
		r->prev = k;
		r->prev_id = auth_key_id(&r->prev);
		return true;
	}
	if (r->cur.len)
		save_prev(r); /* the change had ended: the file goes */
	auth_key_free(&k);
	return false;
}

/* Process exit: the previous key stays on disk (a change goes on). */
void keyring_free(struct keyring *r)
{
	auth_key_free(&r->cur);
	auth_key_free(&r->prev);
	r->cur_id = r->prev_id = 0;
	free(r->prev_path);
	r->prev_path = NULL;
}
