/* Commands answered by the daemon: vnifs, vifs, bridges, peers, peer-add,
 * peer-delete, hosts, varp, varp-flush, status. */
#include "vn.h"
#include "vn_commands.h"
#include "vn_ctl.h"
#include "vn_output.h"
#include "vnet_id.h"
#include "../xenvnetd/ctl_proto.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

int vn_no_options(int argc, char **argv, int maxargs)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	int ch;

	optind = 0;
	while ((ch = vn_getopt(argv[0], argc, argv, ":", none)) != -1)
		return VN_EUSAGE;
	if (argc - optind > maxargs)
		return vn_usage_error(argv[0], maxargs ? "too many operands" : "takes no operands");
	return VN_OK;
}

/* The port shape, shared by vnifs and vifs. */
static const struct vn_col port_json[] = {
	{ NULL, "vnet", VN_COL_STR },
	{ NULL, "bridge", VN_COL_STR },
	{ NULL, "name", VN_COL_STR },
	{ NULL, "kind", VN_COL_STR },
	{ NULL, "mac", VN_COL_STR },
	{ NULL, "state", VN_COL_STR },
	{ NULL, "mtu", VN_COL_NUM },
	{ NULL, "domid", VN_COL_NUM },
	{ NULL, "rx-packets", VN_COL_NUM },
	{ NULL, "rx-bytes", VN_COL_NUM },
	{ NULL, "tx-packets", VN_COL_NUM },
	{ NULL, "tx-bytes", VN_COL_NUM },
};

/* Keep the port records of one kind. */
static void keep_kind(struct vn_rows *rows, const char *kind)
{
	size_t out = 0;

	for (size_t i = 0; i < rows->n; i++) {
		const char *k = vn_record_get(&rows->v[i], "kind");
		if (strcmp(rows->v[i].type, "port") == 0 && k && strcmp(k, kind) == 0) {
			rows->v[out++] = rows->v[i];
		} else {
			vn_record_clear(&rows->v[i]);
		}
	}
	rows->n = out;
}

static int list_ports(const struct vn_opts *o, int argc, char **argv, const char *kind,
		      const struct vn_col *human, size_t nhuman)
{
	struct vn_reply rep;
	int rc = vn_no_options(argc, argv, 0);

	if (rc != VN_OK)
		return rc;
	rc = vn_ctl_call(o, CTL_VERB_PORTS, NULL, &rep);
	if (rc == VN_OK) {
		keep_kind(&rep.rows, kind);
		if (o->json)
			vn_print_rows(stdout, &rep.rows, port_json, NCOLS(port_json), true);
		else
			vn_print_rows(stdout, &rep.rows, human, nhuman, false);
	}
	vn_reply_free(&rep);
	return rc;
}

int vn_cmd_vnifs(const struct vn_opts *o, int argc, char **argv)
{
	static const struct vn_col cols[] = {
		{ "VNET", "vnet", VN_COL_STR },
		{ "VNIF", "name", VN_COL_STR },
		{ "BRIDGE", "bridge", VN_COL_STR },
		{ "STATE", "state", VN_COL_STR },
		{ "MTU", "mtu", VN_COL_NUM },
		{ "RX-PACKETS", "rx-packets", VN_COL_NUM },
		{ "RX-BYTES", "rx-bytes", VN_COL_NUM },
		{ "TX-PACKETS", "tx-packets", VN_COL_NUM },
		{ "TX-BYTES", "tx-bytes", VN_COL_NUM },
	};
	return list_ports(o, argc, argv, "vnif", cols, NCOLS(cols));
}

int vn_cmd_vifs(const struct vn_opts *o, int argc, char **argv)
{
	static const struct vn_col cols[] = {
		{ "VNET", "vnet", VN_COL_STR },
		{ "VIF", "name", VN_COL_STR },
		{ "DOMID", "domid", VN_COL_NUM },
		{ "MAC", "mac", VN_COL_STR },
		{ "BRIDGE", "bridge", VN_COL_STR },
		{ "STATE", "state", VN_COL_STR },
	};
	return list_ports(o, argc, argv, "vif", cols, NCOLS(cols));
}

/* One row per vnet bridge the daemon runs, with its ports. */
int vn_cmd_bridges(const struct vn_opts *o, int argc, char **argv)
{
	static const struct vn_col cols[] = {
		{ "BRIDGE", "bridge", VN_COL_STR },
		{ "VNET", "vnet", VN_COL_STR },
		{ "PORTS", "ports", VN_COL_LIST },
	};
	struct vn_reply vnets, ports;
	struct vn_rows out = { 0 };
	int rc = vn_no_options(argc, argv, 0);

	if (rc != VN_OK)
		return rc;
	rc = vn_ctl_call(o, CTL_VERB_VNETS, NULL, &vnets);
	if (rc != VN_OK) {
		vn_reply_free(&vnets);
		return rc;
	}
	rc = vn_ctl_call(o, CTL_VERB_PORTS, NULL, &ports);
	for (size_t i = 0; rc == VN_OK && i < vnets.rows.n; i++) {
		const char *bridge = vn_record_get(&vnets.rows.v[i], "bridge");
		const char *id = vn_record_get(&vnets.rows.v[i], "id");
		struct vn_record *r;
		char list[4096] = "";
		size_t len = 0;

		if (!bridge || !id || !(r = vn_rows_add(&out, "bridge"))) {
			continue;
		}
		for (size_t j = 0; j < ports.rows.n; j++) {
			const char *b = vn_record_get(&ports.rows.v[j], "bridge");
			const char *name = vn_record_get(&ports.rows.v[j], "name");
			if (!b || !name || strcmp(b, bridge) != 0)
				continue;
			int n = snprintf(list + len, sizeof(list) - len, "%s%s", len ? "," : "", name);
			if (n > 0 && (size_t)n < sizeof(list) - len)
				len += (size_t)n;
		}
		vn_record_set(r, "bridge", bridge);
		vn_record_set(r, "vnet", id);
		vn_record_set(r, "ports", list);
	}
	if (rc == VN_OK)
		vn_print_rows(stdout, &out, cols, NCOLS(cols), o->json);
	vn_rows_free(&out);
	vn_reply_free(&vnets);
	vn_reply_free(&ports);
	return rc;
}

/* A listing without operands: one request, its records as rows. */
static int list_rows(const struct vn_opts *o, int argc, char **argv, const char *verb,
		     const struct vn_col *cols, size_t ncols)
{
	struct vn_reply rep;
	int rc = vn_no_options(argc, argv, 0);

	if (rc != VN_OK)
		return rc;
	rc = vn_ctl_call(o, verb, NULL, &rep);
	if (rc == VN_OK)
		vn_print_rows(stdout, &rep.rows, cols, ncols, o->json);
	vn_reply_free(&rep);
	return rc;
}

int vn_cmd_peers(const struct vn_opts *o, int argc, char **argv)
{
	static const struct vn_col cols[] = {
		{ "ADDRESS", "addr", VN_COL_STR },
		{ "PORT", "port", VN_COL_NUM },
		{ "STATE", "state", VN_COL_STR },
		{ "RESOLVED", "resolved", VN_COL_STR },
		{ "ERROR", "error", VN_COL_STR },
	};
	return list_rows(o, argc, argv, CTL_VERB_PEERS, cols, NCOLS(cols));
}

int vn_cmd_hosts(const struct vn_opts *o, int argc, char **argv)
{
	static const struct vn_col cols[] = {
		{ "ADDRESS", "addr", VN_COL_STR },
		{ "FOUND", "found", VN_COL_STR },
		{ "LAST-HEARD", "last-heard", VN_COL_NUM },
		{ "BAD-MAC", "bad-mac", VN_COL_NUM },
		{ "REPLAYED", "replayed", VN_COL_NUM },
		{ "KEY", "key", VN_COL_STR },
		{ "ESP", "esp", VN_COL_STR },
		{ "EPOCH", "esp-epoch", VN_COL_NUM },
		{ "OFFSET", "esp-offset", VN_COL_NUM },
		{ NULL, "nvnets", VN_COL_NUM },
		{ "VNETS", "vnets", VN_COL_LIST },
	};
	return list_rows(o, argc, argv, CTL_VERB_HOSTS, cols, NCOLS(cols));
}

/* An IP literal or a host name's syntax; said why when not.  Whether a
 * name resolves is the daemon's business (vn peers shows it): resolving
 * here would hang vn as long as DNS does. */
static bool peer_address_ok(const char *addr)
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, addr, bin) == 1 || inet_pton(AF_INET6, addr, bin) == 1)
		return true;
	if (strlen(addr) > CTL_ADDR_MAX || strspn(addr, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(addr)) {
		vn_err("peer: '%.64s' is neither an IP address nor a host name", addr);
		return false;
	}
	return true;
}

int vn_cmd_peer_add(const struct vn_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *port = NULL;
	struct vn_reply rep;
	int ch;

	optind = 0;
	while ((ch = vn_getopt("peer-add", argc, argv, ":p:", longopts)) != -1) {
		if (ch != 'p')
			return VN_EUSAGE;
		port = optarg;
	}
	if (argc - optind != 1)
		return vn_usage_error("peer-add", "needs exactly one ADDR");
	if (port) {
		char *end;
		long v = strtol(port, &end, 10);
		if (*port < '0' || *port > '9' || *end || v < 1 || v > 65535)
			return vn_usage_error("peer-add", "port '%s' is not a number from 1 to 65535", port);
	}
	if (!peer_address_ok(argv[optind]))
		return VN_EUSAGE;
	const char *kv[] = { "addr", argv[optind], "port", port, NULL };
	int rc = vn_ctl_call(o, CTL_VERB_PEER_ADD, kv, &rep);
	vn_reply_free(&rep);
	return rc;
}

int vn_cmd_peer_delete(const struct vn_opts *o, int argc, char **argv)
{
	struct vn_reply rep;
	int rc = vn_no_options(argc, argv, 1);

	if (rc != VN_OK)
		return rc;
	if (argc - optind != 1)
		return vn_usage_error(argv[0], "needs exactly one ADDR");
	const char *kv[] = { "addr", argv[optind], NULL };
	rc = vn_ctl_call(o, CTL_VERB_PEER_DEL, kv, &rep);
	vn_reply_free(&rep);
	return rc;
}

/* The optional ID operand of varp and varp-flush, as a key for the wire. */
static int vnet_filter(int argc, char **argv, char key[VNET_ID_STRLEN], const char **out)
{
	struct vnet_id id;
	char why[160];
	int rc = vn_no_options(argc, argv, 1);

	*out = NULL;
	if (rc != VN_OK || optind == argc)
		return rc;
	if (vnet_id_parse(argv[optind], &id, why, sizeof(why)) < 0) {
		vn_err("id: %s", why);
		return VN_EUSAGE;
	}
	vnet_id_format_key(&id, key);
	*out = key;
	return VN_OK;
}

int vn_cmd_varp(const struct vn_opts *o, int argc, char **argv)
{
	static const struct vn_col cols[] = {
		{ "VNET", "vnet", VN_COL_STR },
		{ "MAC", "mac", VN_COL_STR },
		{ "HOST", "remote", VN_COL_STR },
		{ "DEV", "dev", VN_COL_STR },
		{ "STATE", "state", VN_COL_STR },
		{ "AGE", "age", VN_COL_NUM },
	};
	char key[VNET_ID_STRLEN];
	const char *vnet;
	struct vn_reply rep;
	int rc = vnet_filter(argc, argv, key, &vnet);

	if (rc != VN_OK)
		return rc;
	const char *kv[] = { "vnet", vnet, NULL };
	rc = vn_ctl_call(o, CTL_VERB_FDB, kv, &rep);
	if (rc == VN_OK)
		vn_print_rows(stdout, &rep.rows, cols, NCOLS(cols), o->json);
	vn_reply_free(&rep);
	return rc;
}

int vn_cmd_varp_flush(const struct vn_opts *o, int argc, char **argv)
{
	char key[VNET_ID_STRLEN];
	const char *vnet;
	struct vn_reply rep;
	int rc = vnet_filter(argc, argv, key, &vnet);

	if (rc != VN_OK)
		return rc;
	const char *kv[] = { "vnet", vnet, NULL };
	rc = vn_ctl_call(o, CTL_VERB_FDB_FLUSH, kv, &rep);
	if (rc == VN_OK) {
		const char *count = rep.rows.n ? vn_record_get(&rep.rows.v[0], "count") : NULL;
		if (o->json) {
			fputs("{\"flushed\":", stdout);
			vn_json_number(stdout, count);
			fputs("}\n", stdout);
		} else {
			vn_put_text(stdout, count);
			printf(" learned entries flushed\n");
		}
	}
	vn_reply_free(&rep);
	return rc;
}

static const char *get_or(const struct vn_record *r, const char *key, const char *dflt)
{
	const char *v = r ? vn_record_get(r, key) : NULL;
	return v ? v : dflt;
}

/* "label:      value", the value escaped: it comes from the daemon. */
static void status_line(const char *label, const char *fmt, const char *const *vals, size_t n)
{
	printf("%-13s", label);
	for (size_t i = 0; *fmt; fmt++) {
		if (*fmt == '@' && i < n)
			vn_put_text(stdout, vals[i++]);
		else
			putchar(*fmt);
	}
	putchar('\n');
}

int vn_cmd_status(const struct vn_opts *o, int argc, char **argv)
{
	static const char *const num_keys[] = { "port", "vnets", "vnets-up", "vnets-error", "peers", "uptime" };
	struct vn_reply rep;
	int rc = vn_no_options(argc, argv, 0);

	if (rc != VN_OK)
		return rc;
	rc = vn_ctl_call(o, CTL_VERB_STATUS, NULL, &rep);
	if (rc != VN_OK) {
		vn_reply_free(&rep);
		return rc;
	}
	const struct vn_record *s = vn_rows_first(&rep.rows, "status");
	if (o->json) {
		fputs("{\"version\":", stdout);
		vn_json_string(stdout, get_or(s, "version", NULL));
		fputs(",\"dataplane\":", stdout);
		vn_json_string(stdout, get_or(s, "dataplane", NULL));
		fputs(",\"underlay\":", stdout);
		vn_json_string(stdout, get_or(s, "underlay", NULL));
		fputs(",\"xenstore\":", stdout);
		vn_json_string(stdout, get_or(s, "xenstore", NULL));
		for (size_t i = 0; i < NCOLS(num_keys); i++) {
			printf(",\"%s\":", num_keys[i]);
			vn_json_number(stdout, get_or(s, num_keys[i], NULL));
		}
		fputs(",\"counters\":{", stdout);
		bool first = true;
		for (size_t i = 0; i < rep.rows.n; i++) {
			const struct vn_record *c = &rep.rows.v[i];
			const char *name = vn_record_get(c, "name");
			if (strcmp(c->type, "counter") != 0 || !name)
				continue;
			fputs(first ? "" : ",", stdout);
			vn_json_string(stdout, name);
			fputc(':', stdout);
			vn_json_number(stdout, vn_record_get(c, "value"));
			first = false;
		}
		fputs("}}\n", stdout);
	} else {
		const char *dp = get_or(s, "dataplane", "?");
		const char *v[4];
		v[0] = get_or(s, "version", "?");
		status_line("version:", "@", v, 1);
		v[0] = dp;
		v[1] = strcmp(dp, "vxlan") == 0 ? " (Linux bridge + in-kernel VXLAN)" : "";
		v[2] = get_or(s, "port", "?");
		status_line("data plane:", "@@, UDP port @", v, 3);
		v[0] = get_or(s, "underlay", "-");
		status_line("underlay:", "@", v, 1);
		v[0] = get_or(s, "vnets", "?");
		v[1] = get_or(s, "vnets-up", "?");
		v[2] = get_or(s, "vnets-error", "?");
		status_line("vnets:", "@ (@ up, @ in error)", v, 3);
		v[0] = get_or(s, "peers", "?");
		status_line("peers:", "@", v, 1);
		v[0] = get_or(s, "xenstore", "?");
		status_line("xenstore:", "@", v, 1);
		v[0] = get_or(s, "uptime", "?");
		status_line("uptime:", "@s", v, 1);
		/* Counters under their own heading, names aligned. */
		int width = 0;
		for (size_t i = 0; i < rep.rows.n; i++) {
			const struct vn_record *c = &rep.rows.v[i];
			int w = (int)strlen(get_or(c, "name", "?"));
			if (strcmp(c->type, "counter") == 0 && w > width)
				width = w;
		}
		if (width)
			printf("counters:\n");
		for (size_t i = 0; i < rep.rows.n; i++) {
			const struct vn_record *c = &rep.rows.v[i];
			if (strcmp(c->type, "counter") != 0)
				continue;
			/* Names are [a-z0-9-] (ctl_emit_counter), so the width holds. */
			printf("  ");
			vn_put_text(stdout, get_or(c, "name", "?"));
			printf("%*s  ", width - (int)strlen(get_or(c, "name", "?")), "");
			vn_put_text(stdout, get_or(c, "value", "?"));
			putchar('\n');
		}
	}
	vn_reply_free(&rep);
	return VN_OK;
}
