/* The daemon's half of the control protocol: decode requests, encode
 * replies.  The decoder faces whatever a client sends and is a fuzz target. */
#include "ctl_proto.h"
#include "vnet_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_TEXT_MAX 512   /* keeps every reply line under CTL_LINE_MAX */

static const char *const verb_names[CTL_NVERBS] = {
	[CTL_STATUS] = CTL_VERB_STATUS,
	[CTL_VNETS] = CTL_VERB_VNETS,
	[CTL_PORTS] = CTL_VERB_PORTS,
	[CTL_FDB] = CTL_VERB_FDB,
	[CTL_FDB_FLUSH] = CTL_VERB_FDB_FLUSH,
	[CTL_PEERS] = CTL_VERB_PEERS,
	[CTL_PEER_ADD] = CTL_VERB_PEER_ADD,
	[CTL_PEER_DEL] = CTL_VERB_PEER_DEL,
	[CTL_HOSTS] = CTL_VERB_HOSTS,
	[CTL_DIAG] = CTL_VERB_DIAG,
	[CTL_MONITOR] = CTL_VERB_MONITOR,
	[CTL_METRICS] = CTL_VERB_METRICS,
	[CTL_KEY_ROTATE] = CTL_VERB_KEY_ROTATE,
};

static const char *const err_names[CTL_NERRS] = {
	[CTL_E_BAD_REQUEST] = "bad-request",
	[CTL_E_UNSUPPORTED] = "unsupported",
	[CTL_E_DENIED] = "denied",
	[CTL_E_NOT_FOUND] = "not-found",
	[CTL_E_EXISTS] = "exists",
	[CTL_E_FAILED] = "failed",
	[CTL_E_TOO_LARGE] = "too-large",
};

const char *ctl_verb_name(enum ctl_verb v)
{
	return (unsigned)v < CTL_NVERBS ? verb_names[v] : "?";
}

const char *ctl_err_name(enum ctl_err e)
{
	return (unsigned)e < CTL_NERRS ? err_names[e] : "failed";
}

/* ---------------------------------------------------------------- requests */

/* Which keys each verb takes. */
enum { ARG_VNET = 1, ARG_ADDR = 2, ARG_PORT = 4, ARG_DOMID = 8, ARG_MAC = 16 };
static const unsigned verb_args[CTL_NVERBS] = {
	[CTL_FDB] = ARG_VNET,
	[CTL_FDB_FLUSH] = ARG_VNET,
	[CTL_PEER_ADD] = ARG_ADDR | ARG_PORT,
	[CTL_PEER_DEL] = ARG_ADDR,
	[CTL_DIAG] = ARG_DOMID | ARG_MAC,
};
static const unsigned verb_required[CTL_NVERBS] = {
	[CTL_PEER_ADD] = ARG_ADDR,
	[CTL_PEER_DEL] = ARG_ADDR,
};

static bool value_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '%' || c == '-';
}

static bool key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* A decimal number from min to 65535. */
static int parse_u16(const char *s, unsigned long min, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < min || v > 65535)
		return -1;
	*out = v;
	return 0;
}

static int apply_arg(struct ctl_request *req, const char *key, const char *val,
		     unsigned *seen, char *err, size_t errlen)
{
	unsigned which;
	char why[96];

	if (strcmp(key, "vnet") == 0)
		which = ARG_VNET;
	else if (strcmp(key, "addr") == 0)
		which = ARG_ADDR;
	else if (strcmp(key, "port") == 0)
		which = ARG_PORT;
	else if (strcmp(key, "domid") == 0)
		which = ARG_DOMID;
	else if (strcmp(key, "mac") == 0)
		which = ARG_MAC;
	else
		return vnet_err(err, errlen, "unknown argument '%s'", key);
	if (!(verb_args[req->verb] & which))
		return vnet_err(err, errlen, "%s takes no argument '%s'", ctl_verb_name(req->verb), key);
	if (*seen & which)
		return vnet_err(err, errlen, "argument '%s' given twice", key);
	*seen |= which;

	switch (which) {
	case ARG_VNET:
		if (vnet_id_parse(val, &req->vnet, why, sizeof(why)) < 0)
			return vnet_err(err, errlen, "vnet: %s", why);
		req->has_vnet = true;
		return 0;
	case ARG_ADDR:
		if (strlen(val) > CTL_ADDR_MAX)
			return vnet_err(err, errlen, "addr is longer than %d bytes", CTL_ADDR_MAX);
		strcpy(req->addr, val);
		return 0;
	case ARG_DOMID: {
		unsigned long v;
		if (parse_u16(val, 0, &v) < 0)
			return vnet_err(err, errlen, "domid '%s' is not a number from 0 to 65535", val);
		req->domid = (unsigned)v;
		req->has_domid = true;
		return 0;
	}
	case ARG_MAC:
		strcpy(req->mac, val);
		return 0;
	default: {
		unsigned long v;
		if (parse_u16(val, 1, &v) < 0)
			return vnet_err(err, errlen, "port '%s' is not a number from 1 to 65535", val);
		req->port = (uint16_t)v;
		return 0;
	}
	}
}

int ctl_request_decode(const char *buf, size_t len, struct ctl_request *req,
		       char *err, size_t errlen)
{
	char line[CTL_REQ_MAX];
	char *tok, *save = NULL;
	unsigned seen = 0;
	int i;

	memset(req, 0, sizeof(*req));
	if (len > CTL_REQ_MAX)
		return vnet_err(err, errlen, "request longer than %d bytes", CTL_REQ_MAX);
	if (len == 0 || buf[len - 1] != '\n')
		return vnet_err(err, errlen, "request does not end with a newline");
	for (size_t k = 0; k + 1 < len; k++) {
		unsigned char c = (unsigned char)buf[k];
		if (c == ' ' && (k == 0 || buf[k - 1] == ' ' || k + 2 == len))
			return vnet_err(err, errlen, "stray space at byte %zu", k);
		if (c != ' ' && c != '=' && c != '/' && !value_char(c))
			return vnet_err(err, errlen, "byte 0x%02x at %zu is not allowed", c, k);
	}
	memcpy(line, buf, len - 1);
	line[len - 1] = '\0';

	tok = strtok_r(line, " ", &save);
	if (!tok || strcmp(tok, CTL_MAGIC) != 0)
		return vnet_err(err, errlen, "request does not start with %s", CTL_MAGIC);
	tok = strtok_r(NULL, " ", &save);
	if (!tok)
		return vnet_err(err, errlen, "request has no verb");
	for (i = 0; i < CTL_NVERBS; i++)
		if (strcmp(tok, verb_names[i]) == 0)
			break;
	if (i == CTL_NVERBS)
		return vnet_err(err, errlen, "unknown verb '%.32s'", tok);
	req->verb = (enum ctl_verb)i;
	req->port = CTL_DEFAULT_PORT;

	while ((tok = strtok_r(NULL, " ", &save))) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok)
			return vnet_err(err, errlen, "argument '%.32s' is not key=value", tok);
		*eq = '\0';
		const char *val = eq + 1;
		for (const char *k = tok; *k; k++)
			if (!key_char((unsigned char)*k))
				return vnet_err(err, errlen, "argument name '%.32s' is not allowed", tok);
		bool val_ok = *val && strlen(val) <= CTL_VALUE_MAX;
		for (const char *v = val; *v && val_ok; v++)
			val_ok = value_char((unsigned char)*v);
		if (!val_ok)
			return vnet_err(err, errlen, "argument '%.32s' has a bad value", tok);
		if (apply_arg(req, tok, val, &seen, err, errlen) < 0)
			return -1;
	}
	if ((verb_required[req->verb] & seen) != verb_required[req->verb])
		return vnet_err(err, errlen, "%s needs addr=ADDRESS", ctl_verb_name(req->verb));
	if (req->verb == CTL_DIAG && (seen & (ARG_DOMID | ARG_MAC)) != ARG_DOMID && (seen & (ARG_DOMID | ARG_MAC)) != ARG_MAC)
		return vnet_err(err, errlen, "diag needs domid=N or mac=MAC (one of them)");
	if (req->verb != CTL_PEER_ADD)
		req->port = 0;
	return 0;
}

/* ----------------------------------------------------------------- replies */

static const char header_ok[] = CTL_MAGIC " ok\n";

void ctl_reply_init(struct ctl_reply *r)
{
	memset(r, 0, sizeof(*r));
}

void ctl_reply_free(struct ctl_reply *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

static int put(struct ctl_reply *r, const char *s, size_t n)
{
	if (r->failed || r->overflow)
		return -1;
	if (r->len + n > CTL_REPLY_MAX) {
		r->overflow = true;
		return -1;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;
		while (cap < r->len + n + 1)
			cap *= 2;
		char *b = realloc(r->buf, cap);
		if (!b) {
			r->overflow = true;
			return -1;
		}
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return 0;
}

static int puts_(struct ctl_reply *r, const char *s)
{
	return put(r, s, strlen(s));
}

/* Bytes that pass unescaped in reply values; everything else is %XX. */
static bool plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '/' || c == ',' || c == '+' ||
	       c == '@' || c == '-';
}

static int begin(struct ctl_reply *r, const char *type)
{
	if (r->len == 0 && puts_(r, header_ok) < 0)
		return -1;
	return puts_(r, type);
}

static int field_str(struct ctl_reply *r, const char *key, const char *val, size_t max)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3] = { '%', 0, 0 };

	if (!val)
		return 0;
	if (puts_(r, " ") < 0 || puts_(r, key) < 0 || puts_(r, "=") < 0)
		return -1;
	for (size_t i = 0; val[i] && i < max; i++) {
		unsigned char c = (unsigned char)val[i];
		if (plain_char(c)) {
			if (put(r, (const char *)&val[i], 1) < 0)
				return -1;
		} else {
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			if (put(r, esc, 3) < 0)
				return -1;
		}
	}
	return 0;
}

static int field(struct ctl_reply *r, const char *key, const char *val)
{
	return field_str(r, key, val, 256);
}

static int field_u64(struct ctl_reply *r, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	return field(r, key, num);
}

static int field_id(struct ctl_reply *r, const char *key, const struct vnet_id *id)
{
	char s[VNET_ID_STRLEN];

	vnet_id_format(id, s);
	return field(r, key, s);
}

static int field_mac(struct ctl_reply *r, const char *key, const uint8_t *mac)
{
	char s[18];

	if (!mac)
		return 0;
	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return field(r, key, s);
}

static int end(struct ctl_reply *r, int rc)
{
	return rc < 0 ? -1 : puts_(r, "\n");
}

int ctl_emit_status(struct ctl_reply *r, const struct ctl_status *s)
{
	int rc = begin(r, "status");
	rc |= field(r, "version", s->version);
	rc |= field(r, "dataplane", s->dataplane);
	rc |= field(r, "underlay", s->underlay);
	rc |= field_u64(r, "port", s->port);
	rc |= field_u64(r, "vnets", s->vnets);
	rc |= field_u64(r, "vnets-up", s->vnets_up);
	rc |= field_u64(r, "vnets-error", s->vnets_error);
	rc |= field_u64(r, "peers", s->peers);
	rc |= field(r, "xenstore", s->xenstore);
	rc |= field_u64(r, "uptime", s->uptime_s);
	return end(r, rc);
}

int ctl_emit_counter(struct ctl_reply *r, const char *name, uint64_t value)
{
	int rc = begin(r, "counter");
	rc |= field(r, "name", name);
	rc |= field_u64(r, "value", value);
	return end(r, rc);
}

int ctl_emit_vnet(struct ctl_reply *r, const struct ctl_vnet *v)
{
	char key[VNET_ID_STRLEN];
	int rc = begin(r, "vnet");

	vnet_id_format_key(&v->id, key);
	rc |= field_id(r, "id", &v->id);
	rc |= field(r, "key", key);
	rc |= field(r, "bridge", v->bridge);
	rc |= field(r, "vnetif", v->vnetif);
	rc |= field_u64(r, "vni", v->vni);
	if (v->mtu)
		rc |= field_u64(r, "mtu", v->mtu);
	rc |= field(r, "state", v->state ? v->state : "pending");
	rc |= field_str(r, "error", v->error, ERROR_TEXT_MAX);
	rc |= field_u64(r, "ports", v->ports);
	return end(r, rc);
}

static const char *port_kind_name(enum ctl_port_kind k)
{
	return k == CTL_PORT_VIF ? "vif" : k == CTL_PORT_VNIF ? "vnif" : "other";
}

int ctl_emit_port(struct ctl_reply *r, const struct ctl_port *p)
{
	int rc = begin(r, "port");
	rc |= field_id(r, "vnet", &p->vnet);
	rc |= field(r, "bridge", p->bridge);
	rc |= field(r, "name", p->name);
	rc |= field(r, "kind", port_kind_name(p->kind));
	rc |= field_mac(r, "mac", p->mac);
	rc |= field(r, "state", p->up ? "up" : "down");
	if (p->mtu)
		rc |= field_u64(r, "mtu", p->mtu);
	if (p->domid >= 0)
		rc |= field_u64(r, "domid", (uint64_t)p->domid);
	if (p->has_stats) {
		rc |= field_u64(r, "rx-packets", p->rx_packets);
		rc |= field_u64(r, "rx-bytes", p->rx_bytes);
		rc |= field_u64(r, "tx-packets", p->tx_packets);
		rc |= field_u64(r, "tx-bytes", p->tx_bytes);
		rc |= field_u64(r, "rx-errors", p->rx_errors);
		rc |= field_u64(r, "rx-dropped", p->rx_dropped);
		rc |= field_u64(r, "tx-errors", p->tx_errors);
		rc |= field_u64(r, "tx-dropped", p->tx_dropped);
	}
	return end(r, rc);
}

static const char *fdb_state_name(enum ctl_fdb_state s)
{
	return s == CTL_FDB_LEARNED ? "learned" : s == CTL_FDB_STATIC ? "static" : "local";
}

int ctl_emit_fdb(struct ctl_reply *r, const struct ctl_fdb *f)
{
	int rc = begin(r, "fdb");
	rc |= field_id(r, "vnet", &f->vnet);
	rc |= field_mac(r, "mac", f->mac);
	rc |= field(r, "remote", f->remote);
	rc |= field(r, "dev", f->dev);
	rc |= field(r, "state", fdb_state_name(f->state));
	if (f->has_age)
		rc |= field_u64(r, "age", f->age_s);
	return end(r, rc);
}

int ctl_emit_peer(struct ctl_reply *r, const struct ctl_peer *p)
{
	int rc = begin(r, "peer");
	rc |= field(r, "addr", p->addr);
	rc |= field_u64(r, "port", p->port);
	rc |= field(r, "state", p->state);
	rc |= field(r, "resolved", p->resolved);
	rc |= field(r, "error", p->error);
	return end(r, rc);
}

#define HOST_VNETS_MAX 3000   /* bytes of ids in one host line */

int ctl_emit_host(struct ctl_reply *r, const struct ctl_host *h)
{
	char *ids = malloc(HOST_VNETS_MAX + VNET_ID_STRLEN + 1);
	size_t len = 0;
	int rc = begin(r, "host");

	rc |= field(r, "addr", h->addr);
	rc |= field(r, "found", h->found);
	rc |= field_u64(r, "last-heard", h->last_heard_s);
	if (!ids)
		rc = -1;
	else {
		ids[0] = '\0';
		for (size_t i = 0; i < h->nvnets && len < HOST_VNETS_MAX; i++) {
			if (len)
				ids[len++] = ',';
			vnet_id_format(&h->vnets[i], ids + len);
			len += strlen(ids + len);
		}
		rc |= field_str(r, "vnets", ids, len + 1);
		free(ids);
	}
	rc |= field_u64(r, "nvnets", h->nvnets);
	rc |= field_u64(r, "bad-mac", h->bad_mac);
	rc |= field_u64(r, "replayed", h->replayed);
	if (h->key)
		rc |= field(r, "key", h->key);
	if (h->esp)
		rc |= field(r, "esp", h->esp);
	if (h->has_esp_epoch)
		rc |= field_u64(r, "esp-epoch", h->esp_epoch);
	if (h->has_esp_offset)
		rc |= field_u64(r, "esp-offset", h->esp_offset);
	return end(r, rc);
}

int ctl_emit_check(struct ctl_reply *r, const struct ctl_check *c)
{
	static const char *const results[] = { "ok", "fail", "skip" };
	int rc = begin(r, "check");

	rc |= field(r, "name", c->name);
	rc |= field(r, "result", results[c->result]);
	rc |= field_str(r, "detail", c->detail, ERROR_TEXT_MAX);
	return end(r, rc);
}

int ctl_emit_record(struct ctl_reply *r, const char *type, const char *const *kv)
{
	int rc = begin(r, type);

	for (size_t i = 0; kv && kv[i]; i += 2)
		rc |= field_str(r, kv[i], kv[i + 1], ERROR_TEXT_MAX);
	return end(r, rc);
}

int ctl_emit_flushed(struct ctl_reply *r, unsigned long count)
{
	int rc = begin(r, "flushed");
	rc |= field_u64(r, "count", count);
	return end(r, rc);
}

int ctl_reply_vfail(struct ctl_reply *r, enum ctl_err code, const char *fmt, va_list ap)
{
	char text[ERROR_TEXT_MAX + 1];
	char line[ERROR_TEXT_MAX + 64];

	if (r->failed)
		return -1;
	vsnprintf(text, sizeof(text), fmt, ap);
	/* The text ends the line: keep it printable and on one line. */
	for (char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	int n = snprintf(line, sizeof(line), "%s error %s %s\n", CTL_MAGIC, ctl_err_name(code),
			 text[0] ? text : "-");
	r->len = 0;
	r->overflow = false;
	put(r, line, (size_t)n);
	r->failed = true;
	return -1;
}

int ctl_reply_fail(struct ctl_reply *r, enum ctl_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_reply_vfail(r, code, fmt, ap);
	va_end(ap);
	return -1;
}

const char *ctl_reply_finish(struct ctl_reply *r, size_t *len)
{
	if (!r->failed && !r->overflow) {
		if (r->len == 0)
			puts_(r, header_ok);
		puts_(r, "end\n");
	}
	if (r->overflow && !r->failed)
		ctl_reply_fail(r, CTL_E_TOO_LARGE, "reply larger than %u bytes", CTL_REPLY_MAX);
	*len = r->len;
	return r->buf;
}
