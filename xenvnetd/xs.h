/* The xenstore connection: watches, a liveness probe, reconnection.
 *
 * libxenstore gives no sign when xenstored dies (poll on its fd never
 * wakes) and blocks for good when it hangs, so a probe on a connection of
 * its own (xs_probe.h) asks every second without blocking.  When the
 * store is gone, or has not answered for 3 s, the handle is withdrawn
 * (xsconn_handle() is NULL: the daemon goes on without xenstore); it is
 * re-opened once the store answers again, with backoff, and the owner is
 * told to re-register its watches and reconcile everything.  libxenstore
 * is only ever opened on a store that has just answered. */
#ifndef XENVNETD_XS_H
#define XENVNETD_XS_H

#include <xenstore.h>
#include "loop.h"

struct xsconn_ops {
	void (*connected)(void *arg, struct xs_handle *h); /* add watches, rescan */
	void (*watch)(void *arg, const char *path, const char *token);
	void (*lost)(void *arg);
};

struct xsconn;

struct xsconn *xsconn_new(struct loop *l, const struct xsconn_ops *ops, void *arg);
void xsconn_free(struct xsconn *c);

/* Connect now; on failure keep retrying in the background. */
void xsconn_start(struct xsconn *c);

/* The live handle, or NULL while disconnected. */
struct xs_handle *xsconn_handle(const struct xsconn *c);

/* A request failed with errno err: if that means the connection is gone,
 * drop it and reconnect (deferred, so the caller's handle stays valid
 * until it returns).  Returns true when the connection was dropped. */
bool xsconn_failed(struct xsconn *c, int err);

#endif
