#include "config.h"
#include "vnet_err.h"

#include <arpa/inet.h>
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
	snprintf(c->dataplane, sizeof(c->dataplane), "auto");
	c->hold_s = 3;
	c->refresh_s = 30;
	c->flap_moves = 5;
	c->flap_s = 180;
	c->metrics_interval_s = 15;
	c->max_hosts = XENVNETD_DEFAULT_MAX_HOSTS;
	c->max_vnets_per_host = XENVNETD_DEFAULT_MAX_VNETS_PER_HOST;
	c->max_macs_per_host = XENVNETD_DEFAULT_MAX_MACS_PER_HOST;
	c->max_vni_entries = XENVNETD_DEFAULT_MAX_VNI_ENTRIES;
	c->evpn_asn = XENVNETD_DEFAULT_EVPN_ASN;
	c->lock_vifs = true;
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

/* Space-separated IP literals: they go into bgpd's config verbatim. */
static int set_evpn_neighbors(struct config *c, const char *value, char *err, size_t errlen)
{
	char copy[sizeof(c->evpn_neighbors)], *save = NULL;

	if (set_str(copy, sizeof(copy), "evpn_neighbors", value, err, errlen) < 0)
		return -1;
	for (char *t = strtok_r(copy, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		struct in6_addr a;
		if (inet_pton(AF_INET, t, &a) != 1 && inet_pton(AF_INET6, t, &a) != 1)
			return vnet_err(err, errlen, "evpn_neighbors: '%s' is not an IP address", t);
	}
	return set_str(c->evpn_neighbors, sizeof(c->evpn_neighbors), "evpn_neighbors", value, err, errlen);
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	if (strcmp(key, "underlay") == 0)
		return set_str(c->underlay, sizeof(c->underlay), key, value, err, errlen);
	if (strcmp(key, "dataplane") == 0) {
		if (strcmp(value, "auto") && strcmp(value, "vxlan") && strcmp(value, "vnet"))
			return vnet_err(err, errlen, "dataplane: '%s' is not auto, vxlan or vnet", value);
		return set_str(c->dataplane, sizeof(c->dataplane), key, value, err, errlen);
	}
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
	if (strcmp(key, "max_vni_entries") == 0)
		return set_uint(&c->max_vni_entries, 1, 1u << 24, key, value, err, errlen);
	if (strcmp(key, "control") == 0) {
		if (strcmp(value, "own") && strcmp(value, "evpn"))
			return vnet_err(err, errlen, "control: '%s' is neither own nor evpn", value);
		c->control = value[0] == 'e' ? CONTROL_EVPN : CONTROL_OWN;
		return 0;
	}
	if (strcmp(key, "evpn_asn") == 0)
		return set_uint(&c->evpn_asn, 1, 4294967295u, key, value, err, errlen);
	if (strcmp(key, "evpn_neighbors") == 0)
		return set_evpn_neighbors(c, value, err, errlen);
	if (strcmp(key, "lock_vifs") == 0) {
		bool yes = !strcmp(value, "yes") || !strcmp(value, "1") || !strcmp(value, "on");
		if (!yes && strcmp(value, "no") && strcmp(value, "0") && strcmp(value, "off"))
			return vnet_err(err, errlen, "%s: '%s' is not yes or no", key, value);
		c->lock_vifs = yes;
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
