/* Messages and the shared option lookups. */
#include "vn.h"
#include "../xenvnetd/ctl_proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void vn_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void vn_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vn: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *vn_socket_path(const struct vn_opts *o)
{
	const char *env = getenv("VN_SOCKET");

	if (o->socket)
		return o->socket;
	return env && *env ? env : CTL_DEFAULT_SOCKET;
}
