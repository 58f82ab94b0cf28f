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
	snprintf(c->key_file, sizeof(c->key_file), "%s", XENVNETD_DEFAULT_KEY_FILE);
	c->control_port = XENVNETD_DEFAULT_CTL_PORT;
	c->ttl = 1;
	c->hello_ms = 1000;
	c->hold_s = 3;
	c->refresh_s = 30;
	c->flap_moves = 5;
	c->flap_s = 180;
	c->metrics_interval_s = 15;
	c->max_hosts = XENVNETD_DEFAULT_MAX_HOSTS;
	c->max_vnets_per_host = XENVNETD_DEFAULT_MAX_VNETS_PER_HOST;
	c->max_macs_per_host = XENVNETD_DEFAULT_MAX_MACS_PER_HOST;
	c->esp_rekey_s = XENVNETD_DEFAULT_ESP_REKEY_S;
}

/* A whole decimal number in [lo, hi]. */
static int set_uint(unsigned *dst, unsigned lo, unsigned hi, const char *key, const char *value,
		    char *err, size_t errlen)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(value, &end, 10);
	if (errno || *end || !*value || *value == '-' || v < lo || v > hi)
		return vnet_err(err, errlen, "%s: '%s' is not a number from %u to %u", key, value, lo, hi);
	*dst = (unsigned)v;
	return 0;
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
	if (strcmp(key, "key_file") == 0)
		return set_str(c->key_file, sizeof(c->key_file), key, value, err, errlen);
	if (strcmp(key, "port") == 0 || strcmp(key, "control_port") == 0) {
		unsigned p;
		if (set_uint(&p, 1, 65535, key, value, err, errlen) < 0)
			return -1;
		*(key[0] == 'p' ? &c->port : &c->control_port) = (uint16_t)p;
		return 0;
	}
	if (strcmp(key, "esp_rekey_s") == 0)
		return set_uint(&c->esp_rekey_s, 2, 86400 * 30, key, value, err, errlen);
	if (strcmp(key, "ttl") == 0)
		return set_uint(&c->ttl, 1, 255, key, value, err, errlen);
	if (strcmp(key, "hello_ms") == 0)
		return set_uint(&c->hello_ms, 50, 60000, key, value, err, errlen);
	if (strcmp(key, "hold_s") == 0)
		return set_uint(&c->hold_s, 1, 3600, key, value, err, errlen);
	if (strcmp(key, "refresh_s") == 0)
		return set_uint(&c->refresh_s, 1, 86400, key, value, err, errlen);
	if (strcmp(key, "flap_moves") == 0)
		return set_uint(&c->flap_moves, 1, 1000, key, value, err, errlen);
	if (strcmp(key, "flap_s") == 0)
		return set_uint(&c->flap_s, 1, 86400, key, value, err, errlen);
	if (strcmp(key, "metrics_file") == 0)
		return set_str(c->metrics_file, sizeof(c->metrics_file), key, value, err, errlen);
	if (strcmp(key, "metrics_interval_s") == 0)
		return set_uint(&c->metrics_interval_s, 1, 3600, key, value, err, errlen);
	if (strcmp(key, "max_hosts") == 0)
		return set_uint(&c->max_hosts, 1, 1u << 20, key, value, err, errlen);
	if (strcmp(key, "max_vnets_per_host") == 0)
		return set_uint(&c->max_vnets_per_host, 1, 1u << 20, key, value, err, errlen);
	if (strcmp(key, "max_macs_per_host") == 0)
		return set_uint(&c->max_macs_per_host, 1, 1u << 24, key, value, err, errlen);
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
