#include "xs.h"
#include "log.h"
#include "xs_probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_MS        1000
#define HANG_MS         3000  /* unanswered this long: treat the store as gone */
#define BACKOFF_MIN_MS  50
#define BACKOFF_MAX_MS  5000

/* Connecting: the probe connection is open and asked; libxenstore is
 * opened only once it is answered (a hung xenstored would block xs_watch).
 * Connected: c->h is set; the probe asks every PROBE_MS.  Dead: failed or
 * hung; closed and reopened when the retry timer fires, which for a hung
 * store is when the probe gets its answer. */
struct xsconn {
	struct loop *loop;
	const struct xsconn_ops *ops;
	void *arg;
	struct xs_handle *h;
	int fd;
	struct xs_probe *p;
	uint64_t asked_ms;    /* when the outstanding probe was sent */
	bool dead;            /* failed or hung; closed when the retry timer fires */
	bool hung;            /* dead because unanswered (not closed by xenstored) */
	bool said_silent;     /* logged that a new connection goes unanswered */
	unsigned backoff_ms;
	struct timer probe;
	struct timer retry;
};

static void connect_now(void *arg);
static void probe_tick(void *arg);

struct xsconn *xsconn_new(struct loop *l, const struct xsconn_ops *ops, void *arg)
{
	struct xsconn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->loop = l;
	c->ops = ops;
	c->arg = arg;
	c->fd = -1;
	c->backoff_ms = BACKOFF_MIN_MS;
	timer_init(&c->retry, connect_now, c);
	timer_init(&c->probe, probe_tick, c);
	return c;
}

static void drop(struct xsconn *c)
{
	loop_timer_cancel(c->loop, &c->probe);
	if (c->p) {
		loop_del_fd(c->loop, xs_probe_fd(c->p));
		xs_probe_close(c->p);
		c->p = NULL;
	}
	if (c->h) {
		loop_del_fd(c->loop, c->fd);
		xs_close(c->h);
		c->h = NULL;
		c->fd = -1;
	}
}

void xsconn_free(struct xsconn *c)
{
	if (!c)
		return;
	drop(c);
	loop_timer_cancel(c->loop, &c->retry);
	free(c);
}

struct xs_handle *xsconn_handle(const struct xsconn *c)
{
	return c->dead ? NULL : c->h;
}

/* Errors that mean the request was answered: the store is alive. */
static bool answered(int err)
{
	return err == ENOENT || err == EACCES || err == EEXIST || err == EAGAIN ||
	       err == EINVAL || err == E2BIG || err == ENOSPC || err == EISDIR ||
	       err == EDQUOT || err == EPERM;
}

bool xsconn_failed(struct xsconn *c, int err)
{
	if (answered(err) || c->dead || !c->h)
		return false;
	log_warn("xenstore connection lost (%s); reconnecting", strerror(err));
	c->dead = true;
	loop_timer_arm(c->loop, &c->retry, 0);
	return true;
}

static void retry_later(struct xsconn *c)
{
	drop(c);
	loop_timer_arm(c->loop, &c->retry, c->backoff_ms);
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

/* At most this long on watch events per loop turn: a burst of vifs queues
 * thousands, and the rest of the loop (the control socket, HELLOs) must
 * not wait for them all.  What is left keeps the fd readable. */
#define WATCH_BUDGET_MS 10

static void on_readable(void *arg, uint32_t events)
{
	struct xsconn *c = arg;
	uint64_t end = loop_now_ms() + WATCH_BUDGET_MS;
	char **vec;

	(void)events;
	while (xsconn_handle(c) && (vec = xs_check_watch(c->h)) != NULL) {
		c->ops->watch(c->arg, vec[XS_WATCH_PATH], vec[XS_WATCH_TOKEN]);
		free(vec);
		if (loop_now_ms() >= end)
			break;
	}
}

/* The probe was answered on a fresh connection: open libxenstore. */
static void open_store(struct xsconn *c)
{
	c->h = xs_open(0);
	if (!c->h) {
		log_debug("xenstore not reachable (%s); retry in %u ms", strerror(errno), c->backoff_ms);
		retry_later(c);
		return;
	}
	c->fd = xs_fileno(c->h);
	if (c->fd < 0 || loop_add_fd(c->loop, c->fd, on_readable, c) < 0) {
		log_err("xenstore: cannot watch its fd: %s", strerror(errno));
		xs_close(c->h);
		c->h = NULL;
		c->fd = -1;
		c->backoff_ms = BACKOFF_MAX_MS;
		retry_later(c);
		return;
	}
	c->backoff_ms = BACKOFF_MIN_MS;
	log_info("connected to xenstore");
	c->ops->connected(c->arg, c->h);
}

/* The probe's connection closed or broke: xenstored is gone. */
static void probe_gone(struct xsconn *c)
{
	if (!c->h) {
		retry_later(c); /* closed before its first answer */
	} else if (!xsconn_failed(c, EPIPE)) {
		/* Already dead (hung, say): reconnect, which tells the owner
		 * and backs off while the store is away. */
		loop_timer_arm(c->loop, &c->retry, 0);
	}
}

static void on_probe(void *arg, uint32_t events)
{
	struct xsconn *c = arg;
	int r = xs_probe_read(c->p);

	(void)events;
	if (r < 0) {
		probe_gone(c);
		return;
	}
	if (r == 0)
		return;
	if (!c->h) {
		c->said_silent = false;
		open_store(c);
	} else if (c->hung) {
		log_info("xenstore answers again; reconnecting");
		loop_timer_arm(c->loop, &c->retry, 0);
	}
}

static void ask(struct xsconn *c)
{
	if (!xs_probe_waiting(c->p)) {
		if (xs_probe_ask(c->p) < 0) {
			probe_gone(c);
			return;
		}
		c->asked_ms = loop_now_ms();
	}
	loop_timer_arm(c->loop, &c->probe, PROBE_MS);
}

static void probe_tick(void *arg)
{
	struct xsconn *c = arg;
	uint64_t waited = loop_now_ms() - c->asked_ms;

	if (!c->p)
		return;
	if (xs_probe_waiting(c->p) && waited >= HANG_MS) {
		if (c->h && !c->dead) {
			/* libxenstore would block in the next call: stop making
			 * them (the control protocol and the FDB go on). */
			log_warn("xenstore has not answered for %llu ms; not using it until it does",
				 (unsigned long long)waited);
			c->dead = c->hung = true;
		} else if (!c->h && !c->said_silent) {
			log_warn("xenstore accepts connections but does not answer; waiting");
			c->said_silent = true;
		}
	}
	ask(c);
}

static void connect_now(void *arg)
{
	struct xsconn *c = arg;
	bool was_dead = c->dead && c->h;

	drop(c);
	c->dead = c->hung = false;
	if (was_dead)
		c->ops->lost(c->arg);
	c->p = xs_probe_open();
	if (!c->p) {
		log_debug("xenstore not reachable (%s); retry in %u ms", strerror(errno), c->backoff_ms);
		retry_later(c);
		return;
	}
	if (loop_add_fd(c->loop, xs_probe_fd(c->p), on_probe, c) < 0) {
		log_err("xenstore: cannot watch the probe's fd: %s", strerror(errno));
		xs_probe_close(c->p);
		c->p = NULL;
		c->backoff_ms = BACKOFF_MAX_MS;
		retry_later(c);
		return;
	}
	ask(c);
}

void xsconn_start(struct xsconn *c)
{
	connect_now(c);
}
