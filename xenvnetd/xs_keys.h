/* Reading a few keys of a xenstore directory without blocking the loop.
 *
 * libxenstore's calls wait for their answers, and xenstored, one thread,
 * answers nothing while it commits a big transaction (hundreds of ms for
 * a burst of vifs written at once): every such call held the whole loop.
 * These reads go on the probe's connection instead (xsconn_read), are
 * pipelined, and their answers come back through the loop.  Without a
 * transaction: a write between two of a directory's reads fires a watch
 * event, which reads the directory once more. */
#ifndef XENVNETD_XS_KEYS_H
#define XENVNETD_XS_KEYS_H

#include <stddef.h>
#include "xs.h"

/* Every key of @dir answered: vals[i] is names[i]'s value, NULL when
 * absent.  The values are freed after the call. */
typedef void xs_keys_done(void *arg, const char *dir, char *const *vals);

struct xs_keys;

/* @names: the keys to read in each directory (kept, not copied). */
struct xs_keys *xs_keys_new(struct xsconn *c, const char *const *names, size_t n, xs_keys_done *done, void *arg);
void xs_keys_free(struct xs_keys *q);

/* Read @dir's keys; done() later.  An event for a directory whose read
 * is under way reads it once more after it; the first reads of many
 * directories wait for a slot (a few dozen at a time).  A connection
 * lost meanwhile drops them all (the reconnection reads everything);
 * a refusal other than "no such key" is xsconn_failed. */
void xs_keys_read(struct xs_keys *q, const char *dir);

#endif
