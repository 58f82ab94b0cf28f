#include "log.h"
#include "vnet_escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAX 1024    /* longest message before escaping */

static bool use_stderr;
static bool to_journal;
static bool debug_on;

/* systemd connects stderr to journald and names that stream in
 * JOURNAL_STREAM ("DEV:INODE"); a redirected stderr is not the journal. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	return fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, bool to_stderr, bool verbose)
{
	use_stderr = to_stderr;
	to_journal = to_stderr && stderr_is_journal();
	debug_on = verbose;
	if (!use_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(int prio, const char *fmt, ...)
{
	static const char *const tag[] = { "emerg", "alert", "crit", "error",
					   "warning", "notice", "info", "debug" };
	char raw[LOG_MAX], msg[4 * LOG_MAX];
	va_list ap;

	if (prio == LOG_DEBUG && !debug_on)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	vnet_escape(msg, sizeof(msg), raw);
	if (to_journal) {
		fprintf(stderr, "<%d>%s\n", prio & 7, msg);
	} else if (use_stderr) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "%ld.%03ld %s: %s\n", (long)ts.tv_sec, ts.tv_nsec / 1000000L,
			tag[prio & 7], msg);
	} else {
		syslog(prio, "%s", msg);
	}
}
