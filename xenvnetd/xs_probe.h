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
 * deadline, see xs.h).  Reads go on it too (xs_probe_read_key): answered
 * in order through the loop, they never block it on a busy store. */
#ifndef XENVNETD_XS_PROBE_H
#define XENVNETD_XS_PROBE_H

#include <stdbool.h>
#include <stddef.h>

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

/* Read @path, without a transaction: fn(arg, value, 0) with the value
 * (NUL-terminated) when it comes, fn(arg, NULL, errno) when xenstored
 * refuses (ENOENT: no such key), fn(arg, NULL, ECANCELED) when the
 * connection is closed first.  Reads are answered in order, between the
 * watch events.  0, or -1 when the request could not be sent (the
 * connection is gone, or its buffer full: keep what is in flight small). */
typedef void xs_probe_answer_fn(void *arg, const char *value, int err);
int xs_probe_read_key(struct xs_probe *p, const char *path, xs_probe_answer_fn *fn, void *arg);
/* How many reads are waiting for their answers. */
size_t xs_probe_reads(const struct xs_probe *p);

/* Called from an event or answer callback: xs_probe_read returns 0 after this
 * message, leaving the rest in the socket (still readable) for later. */
void xs_probe_pause(struct xs_probe *p);

/* Read what has arrived, passing on watch events: 1 when it completed an
 * answer, 0 when not yet, -1 when the connection is gone (EOF, error,
 * nonsense). */
int xs_probe_read(struct xs_probe *p);

#endif
