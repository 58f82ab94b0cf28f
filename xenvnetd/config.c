#include "config.h"
#include "vnet_err.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = XENVNETD_DEFAULT_PORT;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", XENVNETD_DEFAULT_STATE_DIR);
	snprintf(c->ctl_socket, sizeof(c->ctl_socket), "%s", XENVNETD_DEFAULT_CTL);
}

static int set_str(char *dst, size_t size, const char *key, const char *value, char *err, size_t errlen)
{
	if (strlen(value) >= size)
		return vnet_err(err, errlen, "%s: value is longer than %zu characters", key, size - 1);
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	if (strcmp(key, "underlay") == 0)
		return set_str(c->underlay, sizeof(c->underlay), key, value, err, errlen);
	if (strcmp(key, "group") == 0)
		return set_str(c->group, sizeof(c->group), key, value, err, errlen);
	if (strcmp(key, "state_dir") == 0)
		return set_str(c->state_dir, sizeof(c->state_dir), key, value, err, errlen);
	if (strcmp(key, "ctl_socket") == 0)
		return set_str(c->ctl_socket, sizeof(c->ctl_socket), key, value, err, errlen);
	if (strcmp(key, "port") == 0) {
		char *end;
		errno = 0;
		unsigned long p = strtoul(value, &end, 10);
		if (errno || *end || !*value || p == 0 || p > 65535)
			return vnet_err(err, errlen, "port: '%s' is not a port number", value);
		c->port = (uint16_t)p;
		return 0;
	}
	return vnet_err(err, errlen, "unknown option '%s'", key);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load(struct config *c, const char *path, bool must_exist, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[512], why[256];
	int lineno = 0, rc = 0;

	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return vnet_err(err, errlen, "%s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = vnet_err(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
			break;
		}
		*eq = '\0';
		if (config_set(c, trim(s), trim(eq + 1), why, sizeof(why)) < 0) {
			rc = vnet_err(err, errlen, "%s:%d: %s", path, lineno, why);
			break;
		}
	}
	fclose(f);
	return rc;
}
