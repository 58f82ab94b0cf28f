/* Peer list persistence. */
#include "peers.h"
#include "durable.h"
#include "vnet_err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool host_name_valid(const char *s)
{
	size_t len = strlen(s), label = 0;
	bool all_numeric = true;

	if (len == 0 || len > PEER_ADDR_MAX || s[len - 1] == '.' || s[0] == '.')
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (!isdigit((unsigned char)c))
			all_numeric = false;
		label++;
	}
	/* "10.0.0.256" is a broken IP address, not a name. */
	return !all_numeric;
}

bool peer_addr_valid(const char *addr)
{
	unsigned char bin[16];

	return inet_pton(AF_INET, addr, bin) == 1 || inet_pton(AF_INET6, addr, bin) == 1 ||
	       host_name_valid(addr);
}

/* One spelling per peer, so "::1" and "0::1" are the same entry. */
static int canonical(const char *addr, char out[PEER_ADDR_MAX + 1])
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, addr, bin) == 1)
		return inet_ntop(AF_INET, bin, out, PEER_ADDR_MAX + 1) ? 0 : -1;
	if (inet_pton(AF_INET6, addr, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, PEER_ADDR_MAX + 1) ? 0 : -1;
	if (!host_name_valid(addr))
		return -1;
	size_t i;
	for (i = 0; addr[i]; i++)
		out[i] = (char)tolower((unsigned char)addr[i]);
	out[i] = '\0';
	return 0;
}

static ssize_t find(const struct peers *p, const char *canon)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].addr, canon) == 0)
			return (ssize_t)i;
	return -1;
}

/* The whole list, durably (a crash leaves the old list or the new one). */
static int save(const struct peers *p, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return vnet_err(err, errlen, "%s: %s", p->path, strerror(errno));
	fputs("# xenvnetd peers (vn peer-add): ADDRESS PORT\n", f);
	for (size_t i = 0; i < p->n; i++)
		fprintf(f, "%s %u\n", p->v[i].addr, p->v[i].port);
	if (fclose(f) != 0) {
		free(text);
		return vnet_err(err, errlen, "%s: out of memory", p->path);
	}
	rc = durable_write(p->path, text, len, 0644);
	free(text);
	if (rc < 0)
		return vnet_err(err, errlen, "%s: %s", p->path, strerror(errno));
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);

	if (!isdigit((unsigned char)*s) || *end || errno || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int append(struct peers *p, const char *canon, uint16_t port)
{
	struct peer *v = realloc(p->v, (p->n + 1) * sizeof(*v));

	if (!v)
		return -1;
	p->v = v;
	snprintf(v[p->n].addr, sizeof(v[p->n].addr), "%s", canon);
	v[p->n].port = port;
	p->n++;
	return 0;
}

int peers_load(struct peers *p, const char *state_dir, char *err, size_t errlen)
{
	char line[512], canon[PEER_ADDR_MAX + 1];
	unsigned lineno = 0;
	FILE *f;

	memset(p, 0, sizeof(*p));
	if (asprintf(&p->path, "%s/%s", state_dir, PEERS_FILE) < 0) {
		p->path = NULL;
		return vnet_err(err, errlen, "out of memory");
	}
	f = fopen(p->path, "re");
	if (!f)
		return errno == ENOENT ? 0 : vnet_err(err, errlen, "%s: %s", p->path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char addr[sizeof(line)], port_s[sizeof(line)], extra;
		uint16_t port;
		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			goto bad_line;
		line[strcspn(line, "\r\n")] = '\0';
		const char *s = line + strspn(line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (sscanf(s, "%s %s %c", addr, port_s, &extra) != 2 || parse_port(port_s, &port) < 0 ||
		    canonical(addr, canon) < 0)
			goto bad_line;
		if (find(p, canon) >= 0)
			continue;
		if (p->n >= PEERS_MAX || append(p, canon, port) < 0) {
			fclose(f);
			free(p->v);
			p->v = NULL;
			p->n = 0;
			return vnet_err(err, errlen, "%s: more than %d peers", p->path, PEERS_MAX);
		}
	}
	fclose(f);
	return 0;
bad_line:
	fclose(f);
	free(p->v);
	p->v = NULL;
	p->n = 0;
	return vnet_err(err, errlen, "%s:%u: expected ADDRESS PORT", p->path, lineno);
}

int peers_add(struct peers *p, const char *addr, uint16_t port, char *err, size_t errlen)
{
	char canon[PEER_ADDR_MAX + 1];
	ssize_t i;

	if (!addr || strlen(addr) > PEER_ADDR_MAX || canonical(addr, canon) < 0)
		return vnet_err(err, errlen, "'%.64s' is neither an IP address nor a host name", addr ? addr : "");
	if (port == 0)
		return vnet_err(err, errlen, "port 0 is not allowed");
	i = find(p, canon);
	if (i >= 0) {
		uint16_t old = p->v[i].port;
		if (old == port)
			return 1;
		p->v[i].port = port;
		if (save(p, err, errlen) < 0) {
			p->v[i].port = old;
			return -1;
		}
		return 1;
	}
	if (p->n >= PEERS_MAX)
		return vnet_err(err, errlen, "already %d peers", PEERS_MAX);
	if (append(p, canon, port) < 0)
		return vnet_err(err, errlen, "out of memory");
	if (save(p, err, errlen) < 0) {
		p->n--;
		return -1;
	}
	return 0;
}

int peers_del(struct peers *p, const char *addr, char *err, size_t errlen)
{
	char canon[PEER_ADDR_MAX + 1];
	ssize_t i;

	if (!addr || strlen(addr) > PEER_ADDR_MAX || canonical(addr, canon) < 0)
		return 1;
	i = find(p, canon);
	if (i < 0)
		return 1;
	struct peer gone = p->v[i];
	memmove(&p->v[i], &p->v[i + 1], (p->n - (size_t)i - 1) * sizeof(*p->v));
	p->n--;
	if (save(p, err, errlen) < 0) {
		memmove(&p->v[i + 1], &p->v[i], (p->n - (size_t)i) * sizeof(*p->v));
		p->v[i] = gone;
		p->n++;
		return -1;
	}
	return 0;
}

void peers_free(struct peers *p)
{
	free(p->v);
	free(p->path);
	memset(p, 0, sizeof(*p));
}
