#include "xs_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

/* Answers to a directory listing of "/" are small; a bigger length is
 * nonsense (or not xenstore). */
#define ANSWER_MAX 65536
/* Watch requests have ids of their own, apart from the questions'. */
#define WATCH_ID 0x80000000u
/* So do reads (xs_probe_read_key). */
#define READ_ID 0x40000000u

/* A read waiting for its answer; xenstored answers in order. */
struct pending_read {
	uint32_t req_id;
	xs_probe_answer_fn *fn;
	void *arg;
};

struct xs_probe {
	int fd;
	uint32_t req_id, watch_id;
	bool waiting;
	bool paused;              /* xs_probe_pause(): stop after this message */
	xs_probe_event_fn *event;
	void *event_arg;
	uint32_t read_id;
	struct pending_read *reads; /* a ring, oldest at head */
	size_t rhead, nreads, rcap;
	struct xsd_sockmsg hdr;   /* the answer being read */
	size_t got;               /* bytes of it so far: header, then body */
	char body[ANSWER_MAX + 1];
};

/* Where libxenstore looks: XENSTORED_PATH, else XENSTORED_RUNDIR/socket. */
static int open_socket(void)
{
	const char *path = getenv("XENSTORED_PATH"), *dir = getenv("XENSTORED_RUNDIR");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (path)
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	else
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/socket", dir ? dir : "/var/run/xenstored");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

struct xs_probe *xs_probe_open(void)
{
	struct xs_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->fd = open_socket();
	/* xenstored in a stub domain: through the kernel's xenbus device. */
	if (p->fd < 0 && !getenv("XENSTORED_PATH")) {
		p->fd = open("/dev/xen/xenbus", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (p->fd < 0)
			p->fd = open("/proc/xen/xenbus", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	}
	if (p->fd < 0) {
		int e = errno;
		free(p);
		errno = e;
		return NULL;
	}
	return p;
}

void xs_probe_close(struct xs_probe *p)
{
	if (!p)
		return;
	close(p->fd);
	/* Their answers never come: the owners forget them. */
	while (p->nreads) {
		struct pending_read r = p->reads[p->rhead];
		p->rhead = (p->rhead + 1) % p->rcap;
		p->nreads--;
		r.fn(r.arg, NULL, ECANCELED);
	}
	free(p->reads);
	free(p);
}

int xs_probe_fd(const struct xs_probe *p)
{
	return p->fd;
}

bool xs_probe_waiting(const struct xs_probe *p)
{
	return p->waiting;
}

void xs_probe_on_event(struct xs_probe *p, xs_probe_event_fn *fn, void *arg)
{
	p->event = fn;
	p->event_arg = arg;
}

/* One small request into a socket buffer that holds it: all or nothing
 * (a part of one would leave the stream torn: the connection is gone). */
static int request(struct xs_probe *p, uint32_t type, uint32_t req_id,
		   const char *a, size_t alen, const char *b, size_t blen)
{
	struct {
		struct xsd_sockmsg h;
		char body[XENSTORE_PAYLOAD_MAX];
	} q = { .h = { .type = type, .req_id = req_id, .len = (uint32_t)(alen + blen) } };
	ssize_t n;

	if (alen + blen > sizeof(q.body)) {
		errno = E2BIG;
		return -1;
	}
	memcpy(q.body, a, alen);
	if (blen)
		memcpy(q.body + alen, b, blen);
	n = send(p->fd, &q, sizeof(q.h) + q.h.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && errno == ENOTSOCK)
		n = write(p->fd, &q, sizeof(q.h) + q.h.len); /* the xenbus device */
	return n == (ssize_t)(sizeof(q.h) + q.h.len) ? 0 : -1;
}

int xs_probe_ask(struct xs_probe *p)
{
	if (p->waiting)
		return 0;
	if (request(p, XS_DIRECTORY, ++p->req_id & ~(WATCH_ID | READ_ID), "/", 2, NULL, 0) < 0)
		return -1;
	p->waiting = true;
	return 0;
}

int xs_probe_watch(struct xs_probe *p, const char *path, const char *token)
{
	return request(p, XS_WATCH, WATCH_ID | ++p->watch_id,
		       path, strlen(path) + 1, token, strlen(token) + 1);
}

int xs_probe_read_key(struct xs_probe *p, const char *path, xs_probe_answer_fn *fn, void *arg)
{
	uint32_t id = READ_ID | (++p->read_id & (READ_ID - 1));

	if (p->nreads == p->rcap) {
		size_t cap = p->rcap ? 2 * p->rcap : 64;
		struct pending_read *r = malloc(cap * sizeof(*r));
		if (!r)
			return -1;
		for (size_t i = 0; i < p->nreads; i++)
			r[i] = p->reads[(p->rhead + i) % p->rcap];
		free(p->reads);
		p->reads = r;
		p->rhead = 0;
		p->rcap = cap;
	}
	if (request(p, XS_READ, id, path, strlen(path) + 1, NULL, 0) < 0)
		return -1;
	p->reads[(p->rhead + p->nreads++) % p->rcap] = (struct pending_read){ id, fn, arg };
	return 0;
}

size_t xs_probe_reads(const struct xs_probe *p)
{
	return p->nreads;
}

/* xenstored's name for an error ("ENOENT") as an errno. */
static int wire_errno(const char *name)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (strcmp(name, xsd_errors[i].errstring) == 0)
			return xsd_errors[i].errnum;
	return EIO;
}

/* The answer to the oldest read: 0, or -1 when it is not (nonsense). */
static int answer(struct xs_probe *p)
{
	const struct xsd_sockmsg *h = &p->hdr;
	struct pending_read r;

	if (!p->nreads || p->reads[p->rhead].req_id != h->req_id)
		return -1;
	r = p->reads[p->rhead];
	p->rhead = (p->rhead + 1) % p->rcap;
	p->nreads--;
	if (h->type == XS_ERROR)
		r.fn(r.arg, NULL, wire_errno(p->body));
	else
		r.fn(r.arg, p->body, 0);
	return 0;
}

/* A whole message has arrived: 1 when it answers the question, -1 when
 * it is nonsense. */
static int complete(struct xs_probe *p)
{
	const struct xsd_sockmsg *h = &p->hdr;

	p->body[h->len] = '\0';
	if (!(h->req_id & WATCH_ID) && (h->req_id & READ_ID) && h->type != XS_WATCH_EVENT)
		return answer(p);
	if (h->type == XS_WATCH_EVENT) {
		size_t plen = strnlen(p->body, h->len);
		if (p->event && plen + 1 < h->len)
			p->event(p->event_arg, p->body, p->body + plen + 1);
		return 0;
	}
	if ((h->req_id & WATCH_ID) && h->type == XS_ERROR) {
		if (p->event)
			p->event(p->event_arg, NULL, p->body);
		return 0;
	}
	if (p->waiting && h->req_id == (p->req_id & ~(WATCH_ID | READ_ID))) {
		p->waiting = false;
		return 1;
	}
	return 0;
}

void xs_probe_pause(struct xs_probe *p)
{
	p->paused = true;
}

int xs_probe_read(struct xs_probe *p)
{
	const size_t hl = sizeof(p->hdr);

	for (;;) {
		ssize_t n;

		if (p->got < hl)
			n = read(p->fd, (char *)&p->hdr + p->got, hl - p->got);
		else
			n = read(p->fd, p->body + (p->got - hl), hl + p->hdr.len - p->got);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		p->got += (size_t)n;
		if (p->got == hl && p->hdr.len > ANSWER_MAX)
			return -1;
		if (p->got >= hl && p->got == hl + p->hdr.len) {
			p->got = 0;
			int rc = complete(p);
			if (rc)
				return rc;
			if (p->paused) {
				p->paused = false;
				return 0;
			}
		}
	}
}
