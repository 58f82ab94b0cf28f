/* Reading and writing /vnet/<key>/ definitions in xenstore, each in one
 * transaction.  Shared by xenvnetd and vn. */
#ifndef XENVNET_VNET_XS_H
#define XENVNET_VNET_XS_H

#include <stdbool.h>
#include <xenstore.h>
#include "vnet_schema.h"

/* One definition as xenstore holds it (owned strings). */
struct vnet_xs_def {
	bool exists;                  /* /vnet/<key> is there at all */
	char *field[VNET_NFIELDS];    /* NULL where the key is absent */
	char *unknown;                /* first key that is not part of the schema */
	char *state, *error;          /* status written by the daemon */
};

/* Read /vnet/<key>.  Returns 0 (see d->exists), or -1 with errno set when
 * xenstore could not answer. */
int vnet_xs_read(struct xs_handle *h, const char *key, struct vnet_xs_def *d);
/* The same for n keys at once, in one transaction (three round trips a
 * vnet instead of five).  -1 leaves nothing to free in defs. */
int vnet_xs_read_many(struct xs_handle *h, char *const *keys, unsigned n, struct vnet_xs_def *defs);
void vnet_xs_def_free(struct vnet_xs_def *d);
/* Point raw's fields at d's strings. */
void vnet_xs_def_raw(const struct vnet_xs_def *d, const char *key, struct vnet_raw *raw);

/* Write a definition: every field of raw, removing the ones it lacks.
 * With only_if_absent, leave an existing /vnet/<key> alone.  Returns 0, or
 * -1 with errno set. */
int vnet_xs_write(struct xs_handle *h, const struct vnet_raw *raw, bool only_if_absent);

/* Set the daemon's status keys, only while /vnet/<key> exists (a status
 * must never resurrect a deleted vnet).  error NULL removes the key. */
int vnet_xs_set_status(struct xs_handle *h, const char *key, const char *state, const char *error);

/* The same for n vnets in one transaction.  no_error_key: the store is
 * known to hold no error key for it (saves removing one). */
struct vnet_xs_status {
	const char *key, *state, *error;
	bool no_error_key;
};
int vnet_xs_set_status_many(struct xs_handle *h, const struct vnet_xs_status *v, unsigned n);

/* The keys under /vnet (free with free()); NULL with errno (ENOENT: none). */
char **vnet_xs_list(struct xs_handle *h, unsigned *n);

#endif
