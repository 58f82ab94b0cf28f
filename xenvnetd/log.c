#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static bool use_stderr;
static bool debug_on;

void log_init(const char *ident, bool to_stderr, bool verbose)
{
	use_stderr = to_stderr;
	debug_on = verbose;
	if (!use_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !debug_on)
		return;
	va_start(ap, fmt);
	if (use_stderr) {
		static const char *const tag[] = { "emerg", "alert", "crit", "error",
						   "warning", "notice", "info", "debug" };
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "%ld.%03ld %s: ", (long)ts.tv_sec, ts.tv_nsec / 1000000L, tag[prio & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}
