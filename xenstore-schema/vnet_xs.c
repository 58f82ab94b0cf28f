#include "vnet_xs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RETRIES 8 /* transactions that keep colliding give up */

static void path_of(char *buf, size_t size, const char *key, const char *leaf)
{
	snprintf(buf, size, VNET_XS_ROOT "/%s%s%s", key, leaf ? "/" : "", leaf ? leaf : "");
}

void vnet_xs_def_free(struct vnet_xs_def *d)
{
	for (int i = 0; i < VNET_NFIELDS; i++)
		free(d->field[i]);
	free(d->unknown);
	free(d->state);
	free(d->error);
	memset(d, 0, sizeof(*d));
}

void vnet_xs_def_raw(const struct vnet_xs_def *d, const char *key, struct vnet_raw *raw)
{
	memset(raw, 0, sizeof(*raw));
	raw->key = key;
	for (size_t i = 0; i < VNET_NFIELDS; i++)
		*vnet_raw_field(raw, i) = d->field[i];
}

/* Abandon a transaction, keeping the errno that made us give up. */
static int abandon(struct xs_handle *h, xs_transaction_t t)
{
	int e = errno;

	xs_transaction_end(h, t, true);
	errno = e;
	return -1;
}

/* Commit a transaction: 0 done, 1 collided (run it again), -1 failed. */
static int commit(struct xs_handle *h, xs_transaction_t t, int *tries)
{
	if (xs_transaction_end(h, t, false))
		return 0;
	return errno == EAGAIN && ++*tries < MAX_RETRIES ? 1 : -1;
}

static int read_once(struct xs_handle *h, xs_transaction_t t, const char *key, struct vnet_xs_def *d)
{
	char path[256];
	unsigned n, len;
	char **names;

	path_of(path, sizeof(path), key, NULL);
	names = xs_directory(h, t, path, &n);
	if (!names)
		return errno == ENOENT ? 0 : -1;
	d->exists = true;
	for (unsigned i = 0; i < n; i++) {
		int f = vnet_field_index(names[i]);
		char **slot = f >= 0 ? &d->field[f]
			    : strcmp(names[i], VNET_KEY_STATE) == 0 ? &d->state
			    : strcmp(names[i], VNET_KEY_ERROR) == 0 ? &d->error : NULL;
		if (!slot) {
			if (!d->unknown)
				d->unknown = strdup(names[i]);
			continue;
		}
		path_of(path, sizeof(path), key, names[i]);
		*slot = xs_read(h, t, path, &len);
		if (!*slot && errno != ENOENT) {
			free(names);
			return -1;
		}
	}
	free(names);
	return 0;
}

int vnet_xs_read(struct xs_handle *h, const char *key, struct vnet_xs_def *d)
{
	int tries = 0;

	for (;;) {
		xs_transaction_t t = xs_transaction_start(h);
		if (t == XBT_NULL)
			return -1;
		memset(d, 0, sizeof(*d));
		int rc = read_once(h, t, key, d);
		if (rc < 0) {
			vnet_xs_def_free(d);
			return abandon(h, t);
		}
		rc = commit(h, t, &tries);
		if (rc <= 0) {
			if (rc < 0)
				vnet_xs_def_free(d);
			return rc;
		}
		vnet_xs_def_free(d);
	}
}

static bool node_exists(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	unsigned n;
	char **names = xs_directory(h, t, path, &n);

	free(names);
	return names != NULL;
}

int vnet_xs_write(struct xs_handle *h, const struct vnet_raw *raw, bool only_if_absent)
{
	char path[256];
	int tries = 0;
	struct vnet_raw r = *raw;

	for (;;) {
		xs_transaction_t t = xs_transaction_start(h);
		bool ok = true;

		if (t == XBT_NULL)
			return -1;
		path_of(path, sizeof(path), raw->key, NULL);
		if (only_if_absent && node_exists(h, t, path)) {
			xs_transaction_end(h, t, true);
			return 0;
		}
		for (size_t i = 0; i < VNET_NFIELDS && ok; i++) {
			const char *v = *vnet_raw_field(&r, i);
			path_of(path, sizeof(path), raw->key, vnet_field_names[i]);
			if (v)
				ok = xs_write(h, t, path, v, (unsigned)strlen(v));
			else
				ok = xs_rm(h, t, path) || errno == ENOENT;
		}
		if (!ok)
			return abandon(h, t);
		int rc = commit(h, t, &tries);
		if (rc <= 0)
			return rc;
	}
}

int vnet_xs_set_status(struct xs_handle *h, const char *key, const char *state, const char *error)
{
	char path[256];
	int tries = 0;

	for (;;) {
		xs_transaction_t t = xs_transaction_start(h);
		bool ok = true;

		if (t == XBT_NULL)
			return -1;
		path_of(path, sizeof(path), key, NULL);
		if (!node_exists(h, t, path)) {
			xs_transaction_end(h, t, true);
			return 0;
		}
		path_of(path, sizeof(path), key, VNET_KEY_STATE);
		ok = xs_write(h, t, path, state, (unsigned)strlen(state));
		path_of(path, sizeof(path), key, VNET_KEY_ERROR);
		if (ok && error)
			ok = xs_write(h, t, path, error, (unsigned)strlen(error));
		else if (ok)
			ok = xs_rm(h, t, path) || errno == ENOENT;
		if (!ok)
			return abandon(h, t);
		int rc = commit(h, t, &tries);
		if (rc <= 0)
			return rc;
	}
}

int vnet_xs_read_many(struct xs_handle *h, char *const *keys, unsigned n, struct vnet_xs_def *defs)
{
	int tries = 0;

	for (;;) {
		xs_transaction_t t = xs_transaction_start(h);
		unsigned i;
		int rc = 0;

		if (t == XBT_NULL)
			return -1;
		memset(defs, 0, n * sizeof(*defs));
		for (i = 0; i < n && rc == 0; i++)
			rc = read_once(h, t, keys[i], &defs[i]);
		rc = rc < 0 ? abandon(h, t) : commit(h, t, &tries);
		if (rc == 0)
			return 0;
		for (i = 0; i < n; i++)
			vnet_xs_def_free(&defs[i]);
		if (rc < 0)
			return -1;
	}
}

int vnet_xs_set_status_many(struct xs_handle *h, const struct vnet_xs_status *v, unsigned n)
{
	char path[256];
	int tries = 0;

	for (;;) {
		xs_transaction_t t = xs_transaction_start(h);
		bool ok = true;
		int rc;

		if (t == XBT_NULL)
			return -1;
		for (unsigned i = 0; i < n && ok; i++) {
			path_of(path, sizeof(path), v[i].key, NULL);
			if (!node_exists(h, t, path))
				continue;
			path_of(path, sizeof(path), v[i].key, VNET_KEY_STATE);
			ok = xs_write(h, t, path, v[i].state, (unsigned)strlen(v[i].state));
			path_of(path, sizeof(path), v[i].key, VNET_KEY_ERROR);
			if (ok && v[i].error)
				ok = xs_write(h, t, path, v[i].error, (unsigned)strlen(v[i].error));
			else if (ok && !v[i].no_error_key)
				ok = xs_rm(h, t, path) || errno == ENOENT;
		}
		if (!ok)
			return abandon(h, t);
		rc = commit(h, t, &tries);
		if (rc <= 0)
			return rc;
	}
}

char **vnet_xs_list(struct xs_handle *h, unsigned *n)
{
	return xs_directory(h, XBT_NULL, VNET_XS_ROOT, n);
}
