/* vn monitor: the daemon's events as they happen; vn metrics: its
 * counters in the Prometheus text format. */
#include "vn.h"
#include "vn_commands.h"
#include "vn_ctl.h"
#include "vn_output.h"
#include "../xenvnetd/ctl_proto.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every event has these JSON members after "event", in this order (vn(8));
 * the ones its type does not carry are null. */
static const struct vn_col event_cols[] = {
	{ NULL, "vnet", VN_COL_STR }, { NULL, "bridge", VN_COL_STR },
	{ NULL, "state", VN_COL_STR }, { NULL, "action", VN_COL_STR },
	{ NULL, "name", VN_COL_STR }, { NULL, "domid", VN_COL_NUM },
	{ NULL, "mac", VN_COL_STR }, { NULL, "from", VN_COL_STR },
	{ NULL, "to", VN_COL_STR }, { NULL, "seq", VN_COL_NUM },
	{ NULL, "addr", VN_COL_STR }, { NULL, "found", VN_COL_STR },
	{ NULL, "reason", VN_COL_STR },
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_event(const struct vn_record *r, bool json)
{
	if (json) {
		fputs("{\"event\":", stdout);
		vn_json_string(stdout, r->type);
		for (size_t i = 0; i < sizeof(event_cols) / sizeof(event_cols[0]); i++) {
			const char *v = vn_record_get(r, event_cols[i].key);
			printf(",\"%s\":", event_cols[i].key);
			if (event_cols[i].type == VN_COL_NUM)
				vn_json_number(stdout, v);
			else
				vn_json_string(stdout, v);
		}
		fputs("}\n", stdout);
	} else {
		vn_put_text(stdout, r->type);
		for (size_t i = 0; i < r->n; i++) {
			printf(" %s ", r->f[i].key);
			vn_put_text(stdout, r->f[i].val);
		}
		putchar('\n');
	}
	fflush(stdout);
}

/* One line of the stream (no LF).  Returns -1 to go on, else an exit code. */
static int take_line(const char *line, bool first, bool json)
{
	static const char ok[] = CTL_MAGIC " ok";
	char buf[2 * CTL_LINE_MAX + 32], why[256];   /* the decoder checks the length */
	struct vn_reply rep;
	int rc = -1;

	/* The header, or a record wrapped as a whole reply: one decoder for both. */
	if (first)
		snprintf(buf, sizeof(buf), "%s\n%s", line, strcmp(line, ok) ? "" : "end\n");
	else
		snprintf(buf, sizeof(buf), "%s\n%s\nend\n", ok, line);
	if (vn_reply_decode(buf, strlen(buf), &rep, why, sizeof(why)) < 0) {
		vn_err("malformed event from xenvnetd: %s", why);
		rc = VN_EFAIL;
	} else if (!rep.ok) {
		vn_err("xenvnetd: %s (%s)", rep.message, rep.code);
		rc = VN_EFAIL;
	} else if (rep.rows.n == 1 && strcmp(rep.rows.v[0].type, "overflow") == 0) {
		vn_err("xenvnetd dropped this monitor: it fell behind");
		rc = VN_EFAIL;
	} else if (rep.rows.n == 1) {
		print_event(&rep.rows.v[0], json);
	}
	vn_reply_free(&rep);
	return rc;
}

int vn_cmd_monitor(const struct vn_opts *o, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART: read returns */
	char buf[2 * CTL_LINE_MAX];
	size_t len = 0;
	bool first = true;
	int fd, rc = -1;

	(void)argv;
	if (argc > 1)
		return vn_usage_error("monitor", "takes no arguments");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((fd = vn_ctl_stream(o, CTL_VERB_MONITOR)) < 0)
		return VN_EFAIL;
	while (rc < 0 && !stop) {
		char *nl;
		while (rc < 0 && (nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			rc = take_line(buf, first, o->json);
			first = false;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (rc >= 0)
			break;
		if (len == sizeof(buf)) {
			vn_err("malformed event from xenvnetd: line too long");
			rc = VN_EFAIL;
			break;
		}
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vn_err("xenvnetd closed the connection%s%s", n < 0 ? ": " : " (it stopped?)",
			       n < 0 ? strerror(errno) : "");
			rc = VN_EFAIL;
		}
		len += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	return rc < 0 ? VN_OK : rc;   /* stopped by a signal: 0 */
}

int vn_cmd_metrics(const struct vn_opts *o, int argc, char **argv)
{
	struct vn_reply rep;
	int rc;

	(void)argv;
	if (argc > 1)
		return vn_usage_error("metrics", "takes no arguments");
	if ((rc = vn_ctl_call(o, CTL_VERB_METRICS, NULL, &rep)) == VN_OK) {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		for (size_t i = 0; m && i < rep.rows.n; i++) {
			const char *t = vn_record_get(&rep.rows.v[i], "text");
			if (strcmp(rep.rows.v[i].type, "metric") == 0 && t)
				fprintf(m, "%s\n", t);
		}
		if (!m || fclose(m) != 0) {
			vn_err("out of memory");
			rc = VN_EFAIL;
		} else if (o->json) {
			fputs("{\"metrics\":", stdout);   /* the whole text, one string */
			vn_json_string(stdout, text);
			fputs("}\n", stdout);
		} else {
			fputs(text, stdout);
		}
		free(text);
	}
	vn_reply_free(&rep);
	return rc;
}
