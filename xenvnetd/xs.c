#include "xs.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_MS        1000
#define BACKOFF_MIN_MS  50
#define BACKOFF_MAX_MS  5000

struct xsconn {
	struct loop *loop;
	const struct xsconn_ops *ops;
	void *arg;
	struct xs_handle *h;
	int fd;
	bool dead;            /* failed; closed when the retry timer fires */
	unsigned backoff_ms;
	struct timer probe;
	struct timer retry;
};

static void connect_now(void *arg);

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
	return c;
}

static void drop(struct xsconn *c)
{
	if (!c->h)
		return;
	loop_del_fd(c->loop, c->fd);
	loop_timer_cancel(c->loop, &c->probe);
	xs_close(c->h);
	c->h = NULL;
	c->fd = -1;
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

static void on_readable(void *arg, uint32_t events)
{
	struct xsconn *c = arg;
	char **vec;

	(void)events;
	while (xsconn_handle(c) && (vec = xs_check_watch(c->h)) != NULL) {
		c->ops->watch(c->arg, vec[XS_WATCH_PATH], vec[XS_WATCH_TOKEN]);
		free(vec);
	}
}

static void probe(void *arg)
{
	struct xsconn *c = arg;
	unsigned n;
	char **dir;

	if (!xsconn_handle(c))
		return;
	dir = xs_directory(c->h, XBT_NULL, "/", &n);
	if (!dir) {
		xsconn_failed(c, errno ? errno : EIO);
		return;
	}
	free(dir);
	loop_timer_arm(c->loop, &c->probe, PROBE_MS);
}

static void connect_now(void *arg)
{
	struct xsconn *c = arg;
	bool was_dead = c->dead;

	if (c->h) {
		drop(c);
		c->dead = false;
		if (was_dead)
			c->ops->lost(c->arg);
	}
	c->h = xs_open(0);
	if (!c->h) {
		log_debug("xenstore not reachable (%s); retry in %u ms", strerror(errno), c->backoff_ms);
		loop_timer_arm(c->loop, &c->retry, c->backoff_ms);
		c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
		return;
	}
	c->backoff_ms = BACKOFF_MIN_MS;
	c->fd = xs_fileno(c->h);
	if (c->fd < 0 || loop_add_fd(c->loop, c->fd, on_readable, c) < 0) {
		log_err("xenstore: cannot watch its fd: %s", strerror(errno));
		xs_close(c->h);
		c->h = NULL;
		loop_timer_arm(c->loop, &c->retry, BACKOFF_MAX_MS);
		return;
	}
	timer_init(&c->probe, probe, c);
	loop_timer_arm(c->loop, &c->probe, PROBE_MS);
	log_info("connected to xenstore");
	c->ops->connected(c->arg, c->h);
}

void xsconn_start(struct xsconn *c)
{
	connect_now(c);
}
