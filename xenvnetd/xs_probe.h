/* A liveness probe for xenstored on a connection of its own.
 *
 * libxenstore blocks until it is answered: a hung (not dead) xenstored
 * would freeze the daemon in the first call it makes, and with it the
 * control protocol and every FDB update.  The probe speaks the xenstore
 * wire protocol itself, non-blocking: one small request at a time, and the
 * connection (xenstored's socket, else the xenbus device) tells when the
 * store answers, when it has not answered for a while, and when it is
 * gone.  The daemon's watches live on this connection too, so that
 * libxenstore never starts its reader thread (whose waits have no
 * deadline, see xs.h). */
#ifndef XENVNETD_XS_PROBE_H
#define XENVNETD_XS_PROBE_H

#include <stdbool.h>

struct xs_probe;

/* Connect as xs_open(0) would (XENSTORED_PATH, the default socket, the
 * xenbus device), non-blocking.  NULL with errno set on failure. */
struct xs_probe *xs_probe_open(void);
void xs_probe_close(struct xs_probe *p);
int xs_probe_fd(const struct xs_probe *p);

/* Ask (a directory listing of "/") unless a question is outstanding.
 * 0, or -1 when the connection is gone. */
int xs_probe_ask(struct xs_probe *p);
/* A question is waiting for its answer. */
bool xs_probe_waiting(const struct xs_probe *p);

/* Place a watch (sent at once, answered in order before the next
 * question's answer).  0, or -1 when the connection is gone. */
int xs_probe_watch(struct xs_probe *p, const char *path, const char *token);

/* Where watch events go: fn(arg, path, token) for each event, and
 * fn(arg, NULL, error) when xenstored refused a watch. */
typedef void xs_probe_event_fn(void *arg, const char *path, const char *token);
void xs_probe_on_event(struct xs_probe *p, xs_probe_event_fn *fn, void *arg);

/* Called from an event callback: xs_probe_read returns 0 after this
 * message, leaving the rest in the socket (still readable) for later. */
void xs_probe_pause(struct xs_probe *p);

/* Read what has arrived, passing on watch events: 1 when it completed an
 * answer, 0 when not yet, -1 when the connection is gone (EOF, error,
 * nonsense). */
int xs_probe_read(struct xs_probe *p);

#endif
