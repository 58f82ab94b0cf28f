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

struct xs_probe {
	int fd;
	uint32_t req_id;
	bool waiting;
	struct xsd_sockmsg hdr;   /* the answer being read */
	size_t got;               /* bytes of it so far: header, then body */
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

int xs_probe_ask(struct xs_probe *p)
{
	struct {
		struct xsd_sockmsg h;
		char path[2];
	} q = { .h = { .type = XS_DIRECTORY, .len = 2 }, .path = "/" };
	ssize_t n;

	if (p->waiting)
		return 0;
	q.h.req_id = ++p->req_id;
	/* 18 bytes into an empty socket buffer: all or nothing. */
	n = send(p->fd, &q, sizeof(q.h) + q.h.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && errno == ENOTSOCK)
		n = write(p->fd, &q, sizeof(q.h) + q.h.len); /* the xenbus device */
	if (n != (ssize_t)(sizeof(q.h) + q.h.len))
		return -1;
	p->waiting = true;
	p->got = 0;
	return 0;
}

int xs_probe_read(struct xs_probe *p)
{
	char body[512];

	for (;;) {
		size_t want;
		ssize_t n;

		if (p->got < sizeof(p->hdr)) {
			want = sizeof(p->hdr) - p->got;
			n = read(p->fd, (char *)&p->hdr + p->got, want);
		} else {
			want = sizeof(p->hdr) + p->hdr.len - p->got;
			n = read(p->fd, body, want < sizeof(body) ? want : sizeof(body));
		}
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		p->got += (size_t)n;
		if (p->got == sizeof(p->hdr) && p->hdr.len > ANSWER_MAX)
			return -1;
		if (p->got >= sizeof(p->hdr) && p->got == sizeof(p->hdr) + p->hdr.len) {
			bool ours = p->waiting && p->hdr.req_id == p->req_id;
			p->got = 0;
			if (ours) {
				p->waiting = false;
				return 1;
			}
		}
	}
}
