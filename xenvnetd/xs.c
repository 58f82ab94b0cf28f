#include "xs.h"
#include "log.h"
#include "xs_probe.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#define PROBE_MS        1000
#define HANG_MS         3000  /* unanswered this long: treat the store as gone */
#define CALL_MS         2000  /* one libxenstore call waits at most this long */
#define BACKOFF_MIN_MS  50
#define BACKOFF_MAX_MS  5000
#define UNREACH_MS      5000  /* warn when without xenstore this long */
#define UNREACH_EVERY_MS 60000 /* and again this often */
#define MAX_WATCHES     4

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
	int sock;             /* libxenstore's socket, -1 when unknown */
	dev_t sock_dev;       /* to tell when libxenstore closed it */
	ino_t sock_ino;
	struct xs_probe *p;
	char *watch[MAX_WATCHES][2]; /* path, token */
	unsigned nwatch;
	uint64_t lost_ms;     /* when the handle went (0: have one) */
	uint64_t asked_ms;    /* when the outstanding probe was sent */
	uint64_t heard_ms;    /* when the last watch event came */
	uint64_t turn_end_ms; /* this loop turn's budget for watch events */
	bool dead;            /* failed or hung; closed when the retry timer fires */
	bool hung;            /* dead because unanswered (not closed by xenstored) */
	bool said_silent;     /* logged that a new connection goes unanswered */
	unsigned backoff_ms;
	struct timer probe;
	struct timer retry;
	struct timer unreach;
};

static void connect_now(void *arg);
static void probe_tick(void *arg);
static void unreach_tick(void *arg);

struct xsconn *xsconn_new(struct loop *l, const struct xsconn_ops *ops, void *arg)
{
	struct xsconn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->loop = l;
	c->ops = ops;
	c->arg = arg;
	c->sock = -1;
	c->backoff_ms = BACKOFF_MIN_MS;
	timer_init(&c->retry, connect_now, c);
	timer_init(&c->probe, probe_tick, c);
	timer_init(&c->unreach, unreach_tick, c);
	return c;
}

int xsconn_watch(struct xsconn *c, const char *path, const char *token)
{
	char **w = c->watch[c->nwatch];

	if (c->nwatch == MAX_WATCHES) {
		errno = E2BIG;
		return -1;
	}
	w[0] = strdup(path);
	w[1] = strdup(token);
	if (!w[0] || !w[1]) {
		free(w[0]);
		free(w[1]);
		w[0] = w[1] = NULL;
		errno = ENOMEM;
		return -1;
	}
	c->nwatch++;
	return 0;
}

static void drop(struct xsconn *c)
{
	loop_timer_cancel(c->loop, &c->probe);
	if (c->p) {
		struct xs_probe *p = c->p;
		/* Closing cancels its reads, whose owners must find no probe. */
		c->p = NULL;
		loop_del_fd(c->loop, xs_probe_fd(p));
		xs_probe_close(p);
	}
	if (c->h) {
		xs_close(c->h);
		c->h = NULL;
		c->sock = -1;
	}
}

void xsconn_free(struct xsconn *c)
{
	if (!c)
		return;
	drop(c);
	loop_timer_cancel(c->loop, &c->retry);
	loop_timer_cancel(c->loop, &c->unreach);
	for (unsigned i = 0; i < c->nwatch; i++) {
		free(c->watch[i][0]);
		free(c->watch[i][1]);
	}
	free(c);
}

struct xs_handle *xsconn_handle(const struct xsconn *c)
{
	return c->dead ? NULL : c->h;
}

const char *xsconn_state(const struct xsconn *c)
{
	return xsconn_handle(c) ? "connected" : "lost";
}

/* Without a handle from now on: say so if it lasts. */
static void withdrawn(struct xsconn *c)
{
	if (c->lost_ms)
		return;
	c->lost_ms = loop_now_ms();
	loop_timer_arm(c->loop, &c->unreach, UNREACH_MS);
}

static void unreach_tick(void *arg)
{
	struct xsconn *c = arg;

	if (!c->lost_ms)
		return;
	log_warn("xenstore unreachable for %llu s: definitions and vifs wait for it, "
		 "the FDB and the control socket go on",
		 (unsigned long long)(loop_now_ms() - c->lost_ms) / 1000u);
	loop_timer_arm(c->loop, &c->unreach, UNREACH_EVERY_MS);
}

/* libxenstore closes its socket when a call timed out (or broke): the fd
 * is gone, or is something else now. */
static bool sock_closed(const struct xsconn *c)
{
	struct stat st;

	if (c->sock < 0)
		return false;
	return fstat(c->sock, &st) < 0 || st.st_dev != c->sock_dev || st.st_ino != c->sock_ino;
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
	if (c->dead || !c->h)
		return false;
	if (sock_closed(c))
		log_warn("xenstore did not answer within %u ms (%s); reconnecting", CALL_MS, strerror(err));
	else if (answered(err))
		return false;
	else
		log_warn("xenstore connection lost (%s); reconnecting", strerror(err));
	c->dead = true;
	withdrawn(c);
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

/* Watch events come on the probe's connection. */
static void on_event(void *arg, const char *path, const char *token)
{
	struct xsconn *c = arg;

	/* Events are queued before the answer: a store sending them lives. */
	c->heard_ms = loop_now_ms();
	if (!path)
		log_err("xenstore refused a watch: %s", token);
	else if (xsconn_handle(c))
		c->ops->watch(c->arg, path, token);
	if (loop_now_ms() >= c->turn_end_ms && c->p)
		xs_probe_pause(c->p);
}

/* An answer to xsconn_read: the owner's, then the turn's budget. */
struct read_req {
	struct xsconn *c;
	xs_probe_answer_fn *fn;
	void *arg;
};

static void on_answer(void *arg, const char *value, int err)
{
	struct read_req q = *(struct read_req *)arg;

	free(arg);
	if (err != ECANCELED)
		q.c->heard_ms = loop_now_ms();
	q.fn(q.arg, value, err);
	if (err != ECANCELED && q.c->p && loop_now_ms() >= q.c->turn_end_ms)
		xs_probe_pause(q.c->p);
}

int xsconn_read(struct xsconn *c, const char *path, xs_probe_answer_fn *fn, void *arg)
{
	struct read_req *q;

	if (!xsconn_handle(c) || !c->p) {
		errno = ENOTCONN;
		return -1;
	}
	if (!(q = malloc(sizeof(*q))))
		return -1;
	*q = (struct read_req){ c, fn, arg };
	if (xs_probe_read_key(c->p, path, on_answer, q) < 0) {
		int e = errno;
		free(q);
		errno = e ? e : EIO;
		return -1;
	}
	return 0;
}

/* libxenstore keeps its socket to itself (xs_fileno is the pipe its
 * reader thread fills): it is our one other connection to the store the
 * probe talks to.  Its fd, or -1 with errno. */
static int store_socket(int probe_fd)
{
	struct sockaddr_un want, sa;
	socklen_t wlen = sizeof(want), len;
	int found = -1, n = 0;
	struct dirent *de;
	DIR *d;

	if (getpeername(probe_fd, (struct sockaddr *)&want, &wlen) < 0)
		return -1;
	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);
		len = sizeof(sa);
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd == probe_fd || fd == dirfd(d))
			continue;
		if (getpeername(fd, (struct sockaddr *)&sa, &len) == 0 && len == wlen &&
		    memcmp(&sa, &want, len) == 0) {
			found = fd;
			n++;
		}
	}
	closedir(d);
	if (n != 1)
		errno = n ? EEXIST : ENOENT;
	return n == 1 ? found : -1;
}

/* Bound every call on the handle: reads and writes on its socket give up
 * after CALL_MS.  0, or -1 with errno. */
static int bound_calls(struct xsconn *c)
{
	struct timeval tv = { .tv_sec = CALL_MS / 1000, .tv_usec = (CALL_MS % 1000) * 1000 };
	struct stat st;
	int fd = store_socket(xs_probe_fd(c->p));

	if (fd < 0 && errno == ENOTSOCK) {
		/* The xenbus device has no timeouts: the probe alone (3 s)
		 * stops further calls after a hang. */
		log_warn("xenstore through the xenbus device: a call may block while it hangs");
		return 0;
	}
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 || fstat(fd, &st) < 0)
		return -1;
	c->sock = fd;
	c->sock_dev = st.st_dev;
	c->sock_ino = st.st_ino;
	return 0;
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
	if (bound_calls(c) < 0) {
		log_err("xenstore: cannot bound libxenstore's calls: %s", strerror(errno));
		c->backoff_ms = BACKOFF_MAX_MS;
		retry_later(c);
		return;
	}
	c->backoff_ms = BACKOFF_MIN_MS;
	c->lost_ms = 0;
	loop_timer_cancel(c->loop, &c->unreach);
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
	int r;

	c->turn_end_ms = loop_now_ms() + WATCH_BUDGET_MS;
	r = xs_probe_read(c->p);

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
	uint64_t since = c->heard_ms > c->asked_ms ? c->heard_ms : c->asked_ms;
	uint64_t waited = loop_now_ms() - since;

	if (!c->p)
		return;
	if (xs_probe_waiting(c->p) && waited >= HANG_MS) {
		if (c->h && !c->dead) {
			/* libxenstore would block in the next call: stop making
			 * them (the control protocol and the FDB go on). */
			log_warn("xenstore has not answered for %llu ms; not using it until it does",
				 (unsigned long long)waited);
			c->dead = c->hung = true;
			withdrawn(c);
		} else if (!c->h && !c->said_silent) {
			log_warn("xenstore accepts connections but does not answer; waiting");
			c->said_silent = true;
		}
	}
	ask(c);
}

/* Open the probe's connection and place the watches on it: xenstored
 * answers in order, so they are in place when the first question is
 * answered and ops->connected runs. */
static int open_probe(struct xsconn *c)
{
	c->p = xs_probe_open();
	if (!c->p)
		return -1;
	xs_probe_on_event(c->p, on_event, c);
	for (unsigned i = 0; i < c->nwatch; i++)
		if (xs_probe_watch(c->p, c->watch[i][0], c->watch[i][1]) < 0)
			return -1;
	return 0;
}

static void connect_now(void *arg)
{
	struct xsconn *c = arg;
	bool was_dead = c->dead && c->h;

	drop(c);
	withdrawn(c);
	c->dead = c->hung = false;
	if (was_dead)
		c->ops->lost(c->arg);
	if (open_probe(c) < 0) {
		int e = errno;
		xs_probe_close(c->p);
		c->p = NULL;
		errno = e;
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
