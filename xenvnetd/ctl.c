/* The control socket: listen, check the peer, answer one request, close. */
#include "ctl.h"
#include "ctl_metrics.h"
#include "ctl_monitor.h"
#include "peers.h"
#include "vnet_err.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct ctl {
	int fd;
	char *path;
	dev_t dev;      /* identify our socket file, so close never removes */
	ino_t ino;      /* one a newer daemon put in its place */
	const struct ctl_ops *ops;
	void *arg;
};

static void say(const struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct ctl *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!c->ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->ops->log(c->arg, msg);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- dispatch */

void ctl_dispatch(const struct ctl_ops *ops, void *arg, const char *buf, size_t len,
		  struct ctl_reply *r)
{
	struct ctl_request q;
	char why[160];

	if (ctl_request_decode(buf, len, &q, why, sizeof(why)) < 0) {
		ctl_reply_fail(r, len > CTL_REQ_MAX ? CTL_E_TOO_LARGE : CTL_E_BAD_REQUEST, "%s", why);
		return;
	}
	const struct vnet_id *vnet = q.has_vnet ? &q.vnet : NULL;

#define CALL(fn, ...) do { \
		if (!ops->fn) \
			ctl_reply_fail(r, CTL_E_UNSUPPORTED, "%s is not supported by this daemon", \
				       ctl_verb_name(q.verb)); \
		else \
			ops->fn(__VA_ARGS__); \
	} while (0)

	switch (q.verb) {
	case CTL_STATUS:     CALL(status, arg, r); break;
	case CTL_VNETS:      CALL(list_vnets, arg, r); break;
	case CTL_PORTS:      CALL(list_ports, arg, r); break;
	case CTL_FDB:        CALL(list_fdb, arg, vnet, r); break;
	case CTL_FDB_FLUSH:  CALL(fdb_flush, arg, vnet, r); break;
	case CTL_PEERS:      CALL(list_peers, arg, r); break;
	case CTL_PEER_ADD:
		if (!peer_addr_valid(q.addr))
			ctl_reply_fail(r, CTL_E_BAD_REQUEST,
				       "addr '%s' is neither an IP address nor a host name", q.addr);
		else
			CALL(peer_add, arg, q.addr, q.port, r);
		break;
	case CTL_PEER_DEL:   CALL(peer_del, arg, q.addr, r); break;
	case CTL_HOSTS:      CALL(list_hosts, arg, r); break;
	case CTL_DIAG:       CALL(diag, arg, q.has_domid ? (int)q.domid : -1, q.mac, r); break;
	case CTL_MONITOR:    r->subscribe = true; break;   /* serve() hands the fd over */
	case CTL_METRICS:    ctl_metrics_reply(ops, arg, r); break;
	case CTL_KEY_ROTATE: CALL(key_rotate, arg, r); break;
	default:
		ctl_reply_fail(r, CTL_E_BAD_REQUEST, "unknown verb");
		break;
	}
#undef CALL
}

/* ------------------------------------------------------------- one client */

/* Read up to and including the first LF, within the deadline.  Returns the
 * byte count, or -1 on timeout or error. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
	int64_t deadline = now_ms() + CTL_READ_TIMEOUT_MS;
	size_t n = 0;

	while (n < cap) {
		ssize_t got = read(fd, buf + n, cap - n);
		if (got > 0) {
			n += (size_t)got;
			if (memchr(buf, '\n', n))
				return (ssize_t)n;
			continue;
		}
		if (got == 0)
			return (ssize_t)n;     /* EOF: the decoder says what is missing */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -1;
	}
	return (ssize_t)n;
}

static int write_all(int fd, const char *buf, size_t len)
{
	int64_t deadline = now_ms() + CTL_WRITE_TIMEOUT_MS;

	while (len > 0) {
		ssize_t put = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (put > 0) {
			buf += put;
			len -= (size_t)put;
			continue;
		}
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

static void serve(struct ctl *c, int fd)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct ctl_reply r;
	/* One byte over the limit tells "too large" from "just fits". */
	char buf[CTL_REQ_MAX + 1];

	ctl_reply_init(&r);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		say(c, "control socket: refused uid %ld", clen == sizeof(cred) ? (long)cred.uid : -1L);
		ctl_reply_fail(&r, CTL_E_DENIED, "the control socket is for root only");
	} else {
		ssize_t n = read_request(fd, buf, sizeof(buf));
		if (n < 0) {
			say(c, "control socket: no request within %d ms", CTL_READ_TIMEOUT_MS);
			ctl_reply_fail(&r, CTL_E_BAD_REQUEST, "no request line within %d ms",
				       CTL_READ_TIMEOUT_MS);
		} else {
			ctl_dispatch(c->ops, c->arg, buf, (size_t)n, &r);
			if (r.subscribe && !r.failed) {
				if (ctl_monitor_add(fd) == 0) {
					ctl_reply_free(&r);
					return;   /* ctl_monitor owns fd now */
				}
				ctl_reply_fail(&r, CTL_E_FAILED, "no room for another monitor (at most %d)",
					       CTL_MONITOR_MAX);
			}
			if (r.failed && r.buf && strstr(r.buf, " bad-request "))
				say(c, "control socket: %.*s", (int)strcspn(r.buf, "\n"), r.buf);
		}
	}
	size_t len;
	const char *out = ctl_reply_finish(&r, &len);
	if (out && write_all(fd, out, len) < 0)
		say(c, "control socket: client did not take its reply");
	ctl_reply_free(&r);
	close(fd);
}

void ctl_on_readable(struct ctl *c)
{
	for (int i = 0; i < CTL_ACCEPT_BURST; i++) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				say(c, "control socket: accept: %s", strerror(errno));
			return;
		}
		serve(c, fd);
	}
}

/* ------------------------------------------------------------- listening */

/* Is someone answering on path?  Used to tell a stale socket from a live one. */
static bool socket_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
		(errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return alive;
}

/* Outside systemd nobody made the socket's directory (RuntimeDirectory=). */
static void make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0755); /* bind says why when this did not help */
	}
}

struct ctl *ctl_open(const char *path, const struct ctl_ops *ops, void *arg,
		     char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	struct ctl *c;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		vnet_err(err, errlen, "control socket path '%s' is too long", path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			vnet_err(err, errlen, "%s exists and is not a socket", path);
			return NULL;
		}
		if (socket_alive(&sa)) {
			vnet_err(err, errlen, "%s: another daemon is listening there", path);
			return NULL;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			vnet_err(err, errlen, "%s: cannot remove stale socket: %s", path, strerror(errno));
			return NULL;
		}
	}

	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		vnet_err(err, errlen, "out of memory");
		return NULL;
	}
	c->ops = ops;
	c->arg = arg;
	make_parent_dir(path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		vnet_err(err, errlen, "socket: %s", strerror(errno));
		goto bad;
	}
	/* No window in which the socket file is open to others. */
	mode_t old = umask(0177);
	int rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		vnet_err(err, errlen, "%s: bind: %s", path, strerror(errno));
		goto bad;
	}
	if (chmod(path, 0600) < 0 || lstat(path, &st) < 0 || listen(c->fd, 16) < 0) {
		vnet_err(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		goto bad;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	return c;
bad:
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c);
	return NULL;
}

int ctl_fd(const struct ctl *c)
{
	return c->fd;
}

void ctl_close(struct ctl *c)
{
	struct stat st;

	if (!c)
		return;
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	close(c->fd);
	free(c->path);
	free(c);
}
