/* Control protocol, client side. */
#include "vn_reply.h"
#include "../xenvnetd/ctl_proto.h"
#include "vnet_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORDS 1000000

static bool request_value_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '%' || c == '-';
}

int vn_request_encode(char *buf, size_t cap, const char *verb, const char *const *kv,
		      char *err, size_t errlen)
{
	size_t len;
	int n = snprintf(buf, cap, "%s %s", CTL_MAGIC, verb);

	if (n < 0 || (size_t)n >= cap)
		return vnet_err(err, errlen, "request too long");
	len = (size_t)n;
	for (; kv && kv[0]; kv += 2) {
		const char *v = kv[1];
		if (!v)
			continue;
		if (!*v || strlen(v) > CTL_VALUE_MAX)
			return vnet_err(err, errlen, "%s: value must be 1 to %d bytes", kv[0], CTL_VALUE_MAX);
		for (const char *p = v; *p; p++)
			if (!request_value_char((unsigned char)*p))
				return vnet_err(err, errlen, "%s '%.64s': character '%c' is not allowed",
					    kv[0], v, *p);
		n = snprintf(buf + len, cap - len, " %s=%s", kv[0], v);
		if (n < 0 || (size_t)n >= cap - len)
			return vnet_err(err, errlen, "request too long");
		len += (size_t)n;
	}
	if (len + 2 > cap || len + 1 > CTL_REQ_MAX)
		return vnet_err(err, errlen, "request too long");
	buf[len++] = '\n';
	buf[len] = '\0';
	return (int)len;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool name_valid(const char *s, size_t n)
{
	if (n == 0 || n > 32 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

/* Undo %XX in place.  Escaped control bytes (a newline in an error text)
 * become '?': nothing read from the socket can steer the terminal.  Bytes
 * above 0x7f stay (UTF-8 text); the printers escape what is not UTF-8. */
static int unescape(char *s, char *err, size_t errlen)
{
	char *out = s;

	for (char *p = s; *p; p++) {
		char c = *p;
		if (c == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
			if (hi < 0 || lo < 0)
				return vnet_err(err, errlen, "bad %%-escape in a value");
			c = (char)(hi << 4 | lo);
			if ((unsigned char)c < 0x20 || (unsigned char)c == 0x7f)
				c = '?';
			p += 2;
		} else if (c == '=') {
			return vnet_err(err, errlen, "'=' inside a value");
		}
		*out++ = c;
	}
	*out = '\0';
	return 0;
}

/* One record line (NUL-terminated, no LF) into rows. */
static int decode_record(char *line, struct vn_rows *rows, char *err, size_t errlen)
{
	char *save = NULL;
	char *type = strtok_r(line, " ", &save);
	struct vn_record *r;

	if (!type || !name_valid(type, strlen(type)))
		return vnet_err(err, errlen, "bad record type");
	if (rows->n >= MAX_RECORDS)
		return vnet_err(err, errlen, "more than %d records", MAX_RECORDS);
	if (!(r = vn_rows_add(rows, type)))
		return vnet_err(err, errlen, "out of memory");
	for (char *tok; (tok = strtok_r(NULL, " ", &save));) {
		char *eq = strchr(tok, '=');
		if (!eq || !name_valid(tok, (size_t)(eq - tok)))
			return vnet_err(err, errlen, "bad field in %s record", r->type);
		*eq = '\0';
		if (unescape(eq + 1, err, errlen) < 0)
			return -1;
		if (vn_record_get(r, tok))
			return vnet_err(err, errlen, "field '%s' twice in %s record", tok, r->type);
		if (vn_record_set(r, tok, eq + 1) < 0)
			return vnet_err(err, errlen, "out of memory");
	}
	return 0;
}

static int decode_error(const char *line, struct vn_reply *rep, char *err, size_t errlen)
{
	const char *code = line, *sp = strchr(line, ' ');

	if (!sp || !name_valid(code, (size_t)(sp - code)) || !sp[1])
		return vnet_err(err, errlen, "malformed error line");
	snprintf(rep->code, sizeof(rep->code), "%.*s", (int)(sp - code), code);
	snprintf(rep->message, sizeof(rep->message), "%s", sp + 1);
	rep->ok = false;
	return 0;
}

int vn_reply_decode(const char *buf, size_t len, struct vn_reply *rep, char *err, size_t errlen)
{
	static const char ok_line[] = CTL_MAGIC " ok";
	static const char err_prefix[] = CTL_MAGIC " error ";
	char line[CTL_LINE_MAX];
	size_t pos = 0, lineno = 0;
	bool ended = false;

	memset(rep, 0, sizeof(*rep));
	if (len > CTL_REPLY_MAX)
		return vnet_err(err, errlen, "reply larger than %u bytes", CTL_REPLY_MAX);
	if (len == 0)
		return vnet_err(err, errlen, "empty reply");
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		lineno++;
		if (!nl)
			return vnet_err(err, errlen, "reply line %zu is cut short", lineno);
		if (ended)
			return vnet_err(err, errlen, "data after 'end'");
		if (n + 1 > CTL_LINE_MAX)
			return vnet_err(err, errlen, "reply line %zu is too long", lineno);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[pos + i];
			if (c < 0x20 || c >= 0x7f)
				return vnet_err(err, errlen, "reply line %zu has byte 0x%02x", lineno, c);
			if (c == ' ' && (i == 0 || i + 1 == n || buf[pos + i - 1] == ' ') && lineno > 1)
				return vnet_err(err, errlen, "reply line %zu has a stray space", lineno);
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + 1;

		if (lineno == 1) {
			if (strcmp(line, ok_line) == 0) {
				rep->ok = true;
				continue;
			}
			if (strncmp(line, err_prefix, sizeof(err_prefix) - 1) == 0) {
				if (decode_error(line + sizeof(err_prefix) - 1, rep, err, errlen) < 0)
					return -1;
				if (pos != len)
					return vnet_err(err, errlen, "data after the error line");
				return 0;
			}
			return vnet_err(err, errlen, "reply does not start with '%s'", CTL_MAGIC);
		}
		if (strcmp(line, "end") == 0) {
			ended = true;
			continue;
		}
		if (decode_record(line, &rep->rows, err, errlen) < 0)
			return -1;
	}
	if (!ended)
		return vnet_err(err, errlen, "reply is cut short (no 'end')");
	return 0;
}

void vn_reply_free(struct vn_reply *rep)
{
	vn_rows_free(&rep->rows);
}
