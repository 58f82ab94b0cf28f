/* The xenstore connection: watches, a liveness probe, reconnection.
 *
 * libxenstore gives no sign when xenstored dies (poll on its fd never
 * wakes) and blocks for good when it hangs, so a probe on a connection of
 * its own (xs_probe.h) asks every second without blocking, and carries
 * the watches.  libxenstore is used for requests only, never for watches:
 * its reader thread (started by xs_watch) waits for replies on a condition
 * variable with no deadline.  Without that thread a request reads its own
 * reply, and a receive/send timeout on libxenstore's socket bounds it:
 * a silent store makes the call fail within CALL_MS (libxenstore then
 * closes its socket), and the connection counts as lost.
 *
 * When the store is gone, has not answered the probe for 3 s, or a call
 * timed out, the handle is withdrawn (xsconn_handle() is NULL: the daemon
 * goes on without xenstore); it is re-opened once the store answers
 * again, with backoff, and the owner is told to reconcile everything.
 * libxenstore is only ever opened on a store that has just answered. */
#ifndef XENVNETD_XS_H
#define XENVNETD_XS_H

#include <xenstore.h>
#include "loop.h"
#include "xs_probe.h"

struct xsconn_ops {
	void (*connected)(void *arg, struct xs_handle *h); /* add watches, rescan */
	void (*watch)(void *arg, const char *path, const char *token);
	void (*lost)(void *arg);
};

struct xsconn;

struct xsconn *xsconn_new(struct loop *l, const struct xsconn_ops *ops, void *arg);
void xsconn_free(struct xsconn *c);

/* Watch path on every connection, events to ops->watch (placed before
 * ops->connected runs).  Call before xsconn_start; 0, or -1 (ENOMEM,
 * E2BIG: too many). */
int xsconn_watch(struct xsconn *c, const char *path, const char *token);

/* Connect now; on failure keep retrying in the background. */
void xsconn_start(struct xsconn *c);

/* The live handle, or NULL while disconnected. */
struct xs_handle *xsconn_handle(const struct xsconn *c);
/* "connected" or "lost", for vn status. */
const char *xsconn_state(const struct xsconn *c);

/* Read @path on the probe's connection, without blocking: fn(arg, value,
 * 0) on the loop when xenstored answers, fn(arg, NULL, errno) when it
 * refuses, fn(arg, NULL, ECANCELED) when the connection goes first (see
 * xs_probe_read_key; keep what is in flight small).  -1 with errno when
 * not connected or the request could not be sent. */
int xsconn_read(struct xsconn *c, const char *path, xs_probe_answer_fn *fn, void *arg);

/* A request failed with errno err: if that means the connection is gone
 * (or the call timed out: libxenstore closed its socket), drop it and
 * reconnect (deferred, so the caller's handle stays valid until it
 * returns).  Returns true when the connection was dropped. */
bool xsconn_failed(struct xsconn *c, int err);

#endif
