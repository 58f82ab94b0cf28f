/* Control socket client: connect, one request, read to EOF, decode. */
#include "vn_ctl.h"
#include "../xenvnetd/ctl_proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_to(const char *path, bool quiet)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = VN_CTL_TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		if (!quiet)
			vn_err("control socket path '%s' is too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		if (!quiet)
			vn_err("socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		if (quiet)
			return -1;
		if (e == ENOENT || e == ECONNREFUSED)
			vn_err("xenvnetd is not running (nothing listens on %s)", path);
		else if (e == EACCES || e == EPERM)
			vn_err("%s: permission denied (the control socket is for root)", path);
		else
			vn_err("cannot reach xenvnetd at %s: %s", path, strerror(e));
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until EOF; the daemon closes after its reply. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		if (n == cap) {
			if (cap > CTL_REPLY_MAX)
				break;
			char *b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (got == 0) {
			*len = n;
			return buf;
		}
		n += (size_t)got;
	}
	free(buf);
	return NULL;
}

static int exit_for(const char *code)
{
	static const char *const input[] = { "bad-request", "not-found", "exists" };

	for (size_t i = 0; i < sizeof(input) / sizeof(input[0]); i++)
		if (strcmp(code, input[i]) == 0)
			return VN_EUSAGE;
	return VN_EFAIL;
}

static int call(const struct vn_opts *o, const char *verb, const char *const *kv,
		struct vn_reply *rep, bool quiet)
{
	const char *path = vn_socket_path(o);
	char req[CTL_REQ_MAX + 1], why[256];
	size_t len;
	char *buf;
	int fd, n;

	memset(rep, 0, sizeof(*rep));
	n = vn_request_encode(req, sizeof(req), verb, kv, why, sizeof(why));
	if (n < 0) {
		if (!quiet)
			vn_err("%s", why);
		return VN_EUSAGE;
	}
	if ((fd = connect_to(path, quiet)) < 0)
		return VN_EFAIL;
	if (send_all(fd, req, (size_t)n) < 0) {
		if (!quiet)
			vn_err("%s: sending the request failed: %s", path, strerror(errno));
		close(fd);
		return VN_EFAIL;
	}
	shutdown(fd, SHUT_WR);
	buf = read_all(fd, &len);
	int e = errno;
	close(fd);
	if (!buf) {
		if (!quiet)
			vn_err("%s: no complete reply from xenvnetd: %s", path,
			       e == EAGAIN ? "timed out" : strerror(e));
		return VN_EFAIL;
	}
	int rc = vn_reply_decode(buf, len, rep, why, sizeof(why));
	free(buf);
	if (rc < 0) {
		if (!quiet)
			vn_err("%s: malformed reply from xenvnetd: %s", path, why);
		return VN_EFAIL;
	}
	if (!rep->ok) {
		if (!quiet)
			vn_err("xenvnetd: %s (%s)", rep->message, rep->code);
		return exit_for(rep->code);
	}
	return VN_OK;
}

int vn_ctl_call(const struct vn_opts *o, const char *verb, const char *const *kv,
		struct vn_reply *rep)
{
	return call(o, verb, kv, rep, false);
}

int vn_ctl_stream(const struct vn_opts *o, const char *verb)
{
	const char *path = vn_socket_path(o);
	char req[CTL_REQ_MAX + 1], why[256];
	struct timeval forever = { 0 };
	int n = vn_request_encode(req, sizeof(req), verb, NULL, why, sizeof(why));
	int fd = n < 0 ? -1 : connect_to(path, false);

	if (fd < 0)
		return -1;
	if (send_all(fd, req, (size_t)n) < 0) {
		vn_err("%s: sending the request failed: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &forever, sizeof(forever));
	return fd;
}

bool vn_ctl_dataplane(const struct vn_opts *o, char *buf, size_t size)
{
	struct vn_reply rep;
	const char *dp = NULL;

	if (call(o, CTL_VERB_STATUS, NULL, &rep, true) == VN_OK)
		for (size_t i = 0; i < rep.rows.n && !dp; i++)
			if (strcmp(rep.rows.v[i].type, "status") == 0)
				dp = vn_record_get(&rep.rows.v[i], "dataplane");
	if (dp)
		snprintf(buf, size, "%s", dp);
	vn_reply_free(&rep);
	return dp != NULL;
}

bool vn_ctl_alive(const struct vn_opts *o)
{
	struct vn_reply rep;
	int rc = call(o, CTL_VERB_STATUS, NULL, &rep, true);

	vn_reply_free(&rep);
	return rc == VN_OK;
}
