/* Prometheus text from the daemon's own replies; the textfile writer. */
#include "ctl_metrics.h"
#include "config.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELDS 24

/* One decoded record of a reply, pointing into a copy of its bytes. */
struct rec {
	const char *type;
	const char *key[MAX_FIELDS], *val[MAX_FIELDS];
	int n;
};

struct recs {
	struct rec *v;
	size_t n;
	char *text;
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Undo the %XX of our own encoder in place. */
static void unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*o++ = (char)(hexval(p[1]) << 4 | hexval(p[2]));
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/* Run one op and split its reply into records.  -1: it failed. */
static int load(void (*op)(void *, struct ctl_reply *), void *arg, struct recs *rs)
{
	struct ctl_reply r;
	size_t len;
	char *save = NULL;

	memset(rs, 0, sizeof(*rs));
	if (!op)
		return 0;
	ctl_reply_init(&r);
	op(arg, &r);
	const char *out = ctl_reply_finish(&r, &len);
	if (!out || r.failed || !(rs->text = strdup(out))) {
		ctl_reply_free(&r);
		return -1;
	}
	ctl_reply_free(&r);
	for (char *line = strtok_r(rs->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, CTL_MAGIC " ", sizeof(CTL_MAGIC)) == 0 || strcmp(line, "end") == 0)
			continue;
		struct rec *v = realloc(rs->v, (rs->n + 1) * sizeof(*v));
		if (!v)
			return -1;
		rs->v = v;
		struct rec *rec = &rs->v[rs->n++];
		char *fs = NULL;
		rec->n = 0;
		rec->type = strtok_r(line, " ", &fs);
		for (char *f; (f = strtok_r(NULL, " ", &fs)) && rec->n < MAX_FIELDS;) {
			char *eq = strchr(f, '=');
			if (!eq)
				continue;
			*eq = '\0';
			unescape(eq + 1);
			rec->key[rec->n] = f;
			rec->val[rec->n++] = eq + 1;
		}
	}
	return 0;
}

static void recs_free(struct recs *rs)
{
	free(rs->v);
	free(rs->text);
}

static const char *get(const struct rec *r, const char *key)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->key[i], key) == 0)
			return r->val[i];
	return NULL;
}

static void family(FILE *o, const char *name, const char *type, const char *help)
{
	fprintf(o, "# HELP xenvnet_%s %s\n# TYPE xenvnet_%s %s\n", name, help, name, type);
}

/* A label value: \, " and newline escaped; other control bytes are '?'. */
static void label(FILE *o, const char *name, const char *val, bool first)
{
	fprintf(o, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = val ? val : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(o, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", o);
		else
			fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, o);
	}
	fputc('"', o);
}

/* A number from a record; a missing one is 0. */
static const char *num(const char *s)
{
	return s && *s ? s : "0";
}

static void status_metrics(FILE *o, const struct recs *st)
{
	static const struct { const char *key, *name, *help; } gauges[] = {
		{ "uptime", "uptime_seconds", "Seconds since xenvnetd started." },
		{ "vnets", "vnets", "Vnets defined." },
		{ "vnets-up", "vnets_up", "Vnets up." },
		{ "vnets-error", "vnets_error", "Vnets in error." },
		{ "peers", "peers", "Configured peers." },
	};
	/* Counters that are levels, not running totals. */
	static const char *const levels[] = { "control-protocol", "key-changing", "hosts",
					      "hosts-multicast", "macs-local", "macs-remote", "macs-refused",
					      "esp-active", "esp-epoch", "esp-offset", "esp-hosts",
					      "esp-hosts-ok" };

	for (size_t i = 0; i < st->n; i++) {
		const struct rec *r = &st->v[i];
		if (strcmp(r->type, "status") != 0)
			continue;
		family(o, "info", "gauge", "Version, data plane and underlay of xenvnetd (always 1).");
		fputs("xenvnet_info{", o);
		label(o, "version", get(r, "version"), true);
		label(o, "dataplane", get(r, "dataplane"), false);
		label(o, "underlay", get(r, "underlay"), false);
		fputs("} 1\n", o);
		for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
			family(o, gauges[g].name, "gauge", gauges[g].help);
			fprintf(o, "xenvnet_%s %s\n", gauges[g].name, num(get(r, gauges[g].key)));
		}
		family(o, "xenstore_connected", "gauge", "1 while xenstore answers, 0 when it is lost.");
		fprintf(o, "xenvnet_xenstore_connected %d\n",
			strcmp(get(r, "xenstore") ? get(r, "xenstore") : "", "connected") == 0);
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct rec *r = &st->v[i];
		const char *name = get(r, "name");
		char metric[80];
		bool level = false;

		if (strcmp(r->type, "counter") != 0 || !name)
			continue;
		for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++)
			level |= strcmp(name, levels[l]) == 0;
		snprintf(metric, sizeof(metric), "%s%s", name, level ? "" : "_total");
		for (char *p = metric; *p; p++)
			if (*p == '-')
				*p = '_';
		fprintf(o, "# HELP xenvnet_%s The %s counter of vn status.\n", metric, name);
		fprintf(o, "# TYPE xenvnet_%s %s\n", metric, level ? "gauge" : "counter");
		fprintf(o, "xenvnet_%s %s\n", metric, num(get(r, "value")));
	}
}

static void vnet_metric(FILE *o, const struct recs *vs, const char *name, const char *help)
{
	family(o, name, "gauge", help);
	for (size_t i = 0; i < vs->n; i++) {
		const struct rec *r = &vs->v[i];
		if (strcmp(r->type, "vnet") != 0)
			continue;
		fprintf(o, "xenvnet_%s{", name);
		label(o, "id", get(r, "id"), true);
		label(o, "bridge", get(r, "bridge"), false);
		if (strcmp(name, "vnet_up") == 0)
			fprintf(o, "} %d\n", strcmp(num(get(r, "state")), "up") == 0);
		else
			fprintf(o, "} %s\n", num(get(r, "ports")));
	}
}

static void host_metric(FILE *o, const struct recs *hs, const char *name, const char *key,
			const char *type, const char *help)
{
	family(o, name, type, help);
	for (size_t i = 0; i < hs->n; i++) {
		const struct rec *r = &hs->v[i];
		if (strcmp(r->type, "host") != 0)
			continue;
		fprintf(o, "xenvnet_%s{", name);
		label(o, "addr", get(r, "addr"), true);
		label(o, "found", get(r, "found"), false);
		fprintf(o, "} %s\n", num(get(r, key)));
	}
}

char *ctl_metrics_render(const struct ctl_ops *ops, void *arg)
{
	struct recs st, vs, hs;
	char *text = NULL;
	size_t len;
	int bad = load(ops->status, arg, &st);

	bad |= load(ops->list_vnets, arg, &vs);
	bad |= load(ops->list_hosts, arg, &hs);
	FILE *o = bad ? NULL : open_memstream(&text, &len);
	if (o) {
		status_metrics(o, &st);
		vnet_metric(o, &vs, "vnet_up", "1 while the vnet is up, else 0 (pending or error).");
		vnet_metric(o, &vs, "vnet_ports", "Ports on the vnet's bridge, its vnif included.");
		host_metric(o, &hs, "host_last_heard_seconds", "last-heard", "gauge",
			    "Seconds since the host was last heard.");
		host_metric(o, &hs, "host_vnets", "nvnets", "gauge", "Vnets the host carries.");
		host_metric(o, &hs, "host_bad_mac_total", "bad-mac", "counter",
			    "Messages from the host that failed authentication.");
		host_metric(o, &hs, "host_replayed_total", "replayed", "counter",
			    "Messages from the host dropped as replays.");
		if (fclose(o) != 0) {
			free(text);
			text = NULL;
		}
	}
	recs_free(&st);
	recs_free(&vs);
	recs_free(&hs);
	return text;
}

void ctl_metrics_reply(const struct ctl_ops *ops, void *arg, struct ctl_reply *r)
{
	char *text = ctl_metrics_render(ops, arg), *save = NULL;

	if (!text) {
		ctl_reply_fail(r, CTL_E_FAILED, "cannot gather the metrics");
		return;
	}
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ctl_emit_record(r, "metric", (const char *const[]){ "text", line, NULL });
	free(text);
}

/* ---- the textfile writer ---- */

static struct {
	struct loop *loop;
	struct timer tick;
	const struct config *cfg;
	const struct ctl_ops *ops;
	void *arg;
	int last_errno;        /* log a failure once, not every interval */
} mf;

static int write_file(const char *path, const char *text)
{
	char tmp[sizeof(mf.cfg->metrics_file) + 16];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* 0644 whatever the umask (the unit's is 0077): node_exporter reads it. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	bool ok = fputs(text, f) >= 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static void on_tick(void *arg)
{
	(void)arg;
	loop_timer_arm(mf.loop, &mf.tick, mf.cfg->metrics_interval_s * 1000u);
	if (!mf.cfg->metrics_file[0])
		return;
	char *text = ctl_metrics_render(mf.ops, mf.arg);
	int e = !text ? ENOMEM : write_file(mf.cfg->metrics_file, text) < 0 ? errno : 0;
	if (e && e != mf.last_errno)
		log_warn("metrics_file %s: %s", mf.cfg->metrics_file, strerror(e));
	else if (!e && mf.last_errno)
		log_info("metrics_file %s: written again", mf.cfg->metrics_file);
	mf.last_errno = e;
	free(text);
}

void ctl_metrics_file_start(struct loop *l, const struct config *cfg,
			    const struct ctl_ops *ops, void *arg)
{
	mf.loop = l;
	mf.cfg = cfg;
	mf.ops = ops;
	mf.arg = arg;
	timer_init(&mf.tick, on_tick, NULL);
	on_tick(NULL);
}

void ctl_metrics_file_stop(void)
{
	if (mf.loop)
		loop_timer_cancel(mf.loop, &mf.tick);
	mf.loop = NULL;
}
