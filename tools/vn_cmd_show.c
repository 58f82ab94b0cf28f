/* vn vnet-show ID: one vnet in full.  The definition and its state come
 * from xenstore (like vn vnets), the rest from the daemon's ports, fdb and
 * hosts requests; domain names from /local/domain/<domid>/name. */
#include "vn.h"
#include "vn_commands.h"
#include "vn_ctl.h"
#include "vn_output.h"
#include "vn_xs.h"
#include "vnet_id.h"
#include "../xenvnetd/ctl_proto.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct vn_col def_cols[] = {
	{ NULL, "id", VN_COL_STR },
	{ NULL, "long-id", VN_COL_STR },
	{ NULL, "key", VN_COL_STR },
	{ NULL, "bridge", VN_COL_STR },
	{ NULL, "vnetif", VN_COL_STR },
	{ NULL, "security", VN_COL_STR },
	{ NULL, "vni", VN_COL_NUM },
	{ NULL, "mtu", VN_COL_NUM },
	{ NULL, "state", VN_COL_STR },
	{ NULL, "error", VN_COL_STR },
};
static const struct vn_col port_cols[] = {
	{ "PORT", "name", VN_COL_STR },
	{ "KIND", "kind", VN_COL_STR },
	{ "DOMID", "domid", VN_COL_NUM },
	{ "DOMAIN", "domain", VN_COL_STR },
	{ "MAC", "mac", VN_COL_STR },
	{ "STATE", "state", VN_COL_STR },
	{ "MTU", "mtu", VN_COL_NUM },
};
static const struct vn_col vnif_cols[] = {
	{ NULL, "name", VN_COL_STR },
	{ NULL, "state", VN_COL_STR },
	{ NULL, "mtu", VN_COL_NUM },
	{ NULL, "rx-packets", VN_COL_NUM },
	{ NULL, "rx-bytes", VN_COL_NUM },
	{ NULL, "rx-errors", VN_COL_NUM },
	{ NULL, "rx-dropped", VN_COL_NUM },
	{ NULL, "tx-packets", VN_COL_NUM },
	{ NULL, "tx-bytes", VN_COL_NUM },
	{ NULL, "tx-errors", VN_COL_NUM },
	{ NULL, "tx-dropped", VN_COL_NUM },
};
static const struct vn_col host_cols[] = {
	{ "ADDRESS", "addr", VN_COL_STR },
	{ "FOUND", "found", VN_COL_STR },
	{ "LAST-HEARD", "last-heard", VN_COL_NUM },
};
static const struct vn_col mac_cols[] = {
	{ "MAC", "mac", VN_COL_STR },
	{ "HOST", "remote", VN_COL_STR },
	{ "DEV", "dev", VN_COL_STR },
	{ "STATE", "state", VN_COL_STR },
	{ "AGE", "age", VN_COL_NUM },
};

struct show {
	struct vn_record *def;
	struct vn_rows defs, ports, hosts;
	struct vn_reply rports, rfdb, rhosts;
	const struct vn_record *vnif;
};

/* ids in a comma list (a host's vnets). */
static bool in_list(const char *list, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void copy_record(struct vn_rows *to, const struct vn_record *r)
{
	struct vn_record *c = vn_rows_add(to, r->type);

	for (size_t i = 0; c && i < r->n; i++)
		vn_record_set(c, r->f[i].key, r->f[i].val);
}

/* The daemon's view: this vnet's ports (with domain names), its vnif, the
 * hosts carrying it, its MACs. */
static int runtime_view(const struct vn_opts *o, struct xs_handle *h, const char *id, const char *key,
			struct show *s)
{
	const char *fdb_kv[] = { "vnet", key, NULL };
	const char *state = vn_record_get(s->def, "state");
	int rc = vn_ctl_call(o, CTL_VERB_PORTS, NULL, &s->rports);

	/* The daemon has a MAC table only for a vnet that is up. */
	if (rc == VN_OK && state && strcmp(state, "up") == 0)
		rc = vn_ctl_call(o, CTL_VERB_FDB, fdb_kv, &s->rfdb);
	if (rc == VN_OK)
		rc = vn_ctl_call(o, CTL_VERB_HOSTS, NULL, &s->rhosts);
	if (rc != VN_OK)
		return rc;
	for (size_t i = 0; i < s->rports.rows.n; i++) {
		const struct vn_record *p = &s->rports.rows.v[i];
		const char *vnet = vn_record_get(p, "vnet"), *kind = vn_record_get(p, "kind");
		const char *domid = vn_record_get(p, "domid");
		if (strcmp(p->type, "port") != 0 || !vnet || strcmp(vnet, id) != 0)
			continue;
		if (kind && strcmp(kind, "vnif") == 0)
			s->vnif = p;
		copy_record(&s->ports, p);
		if (domid && s->ports.n && strspn(domid, "0123456789") == strlen(domid)) {
			char path[64];
			unsigned int len;
			snprintf(path, sizeof(path), "/local/domain/%s/name", domid);
			char *name = xs_read(h, XBT_NULL, path, &len);
			if (name)
				vn_record_set(&s->ports.v[s->ports.n - 1], "domain", name);
			free(name);
		}
	}
	for (size_t i = 0; i < s->rhosts.rows.n; i++) {
		const struct vn_record *r = &s->rhosts.rows.v[i];
		if (strcmp(r->type, "host") == 0 && in_list(vn_record_get(r, "vnets"), id))
			copy_record(&s->hosts, r);
	}
	return VN_OK;
}

static void print_json(struct show *s)
{
	fputc('{', stdout);
	vn_json_fields(stdout, s->def, def_cols, NCOLS(def_cols));
	fputs(",\"ports\":", stdout);
	vn_print_rows(stdout, &s->ports, port_cols, NCOLS(port_cols), true);
	fputs(",\"vnif\":", stdout);
	if (s->vnif) {
		fputc('{', stdout);
		vn_json_fields(stdout, s->vnif, vnif_cols, NCOLS(vnif_cols));
		fputc('}', stdout);
	} else {
		fputs("null", stdout);
	}
	fputs(",\"hosts\":", stdout);
	vn_print_rows(stdout, &s->hosts, host_cols, NCOLS(host_cols), true);
	fputs(",\"macs\":", stdout);
	vn_print_rows(stdout, &s->rfdb.rows, mac_cols, NCOLS(mac_cols), true);
	fputs("}\n", stdout);
}

static const char *get(const struct vn_record *r, const char *key)
{
	const char *v = r ? vn_record_get(r, key) : NULL;
	return v && *v ? v : "-";
}

static void print_text(struct show *s)
{
	static const char *const labels[] = { "vnet", "long id", "key", "bridge", "vnetif", "security",
					      "vni", "mtu", "state", "error" };

	for (size_t i = 0; i < NCOLS(def_cols); i++) {
		if (strcmp(def_cols[i].key, "error") == 0 && !vn_record_get(s->def, "error"))
			continue;
		printf("%-10s", labels[i]);
		vn_put_text(stdout, get(s->def, def_cols[i].key));
		putchar('\n');
	}
	printf("vnif      ");
	if (s->vnif) {
		static const char *const k[] = { "rx-packets", "rx-bytes", "rx-errors", "rx-dropped",
						 "tx-packets", "tx-bytes", "tx-errors", "tx-dropped" };
		static const char *const unit[] = { " packets ", " bytes ", " errors ", " dropped; tx ",
						    " packets ", " bytes ", " errors ", " dropped\n" };
		vn_put_text(stdout, get(s->vnif, "name"));
		printf(": rx ");
		for (size_t i = 0; i < NCOLS(k); i++) {
			vn_put_text(stdout, get(s->vnif, k[i]));
			fputs(unit[i], stdout);
		}
	} else {
		printf("-\n");
	}
	printf("\nports:\n");
	vn_print_rows(stdout, &s->ports, port_cols, NCOLS(port_cols), false);
	printf("\nhosts carrying it:\n");
	vn_print_rows(stdout, &s->hosts, host_cols, NCOLS(host_cols), false);
	printf("\nMACs:\n");
	vn_print_rows(stdout, &s->rfdb.rows, mac_cols, NCOLS(mac_cols), false);
}

int vn_cmd_vnet_show(const struct vn_opts *o, int argc, char **argv)
{
	struct show s = { 0 };
	struct vnet_id id;
	char why[160], want[VNET_ID_STRLEN], shortid[VNET_ID_STRLEN], key[VNET_ID_STRLEN];
	int rc = vn_no_options(argc, argv, 1);

	if (rc != VN_OK)
		return rc;
	if (argc - optind != 1)
		return vn_usage_error(argv[0], "needs exactly one ID");
	if (vnet_id_parse(argv[optind], &id, why, sizeof(why)) < 0) {
		vn_err("id: %s", why);
		return VN_EUSAGE;
	}
	vnet_id_format_long(&id, want);
	vnet_id_format(&id, shortid);
	vnet_id_format_key(&id, key);
	struct xs_handle *h = vn_xs_open();
	if (!h)
		return VN_EFAIL;
	rc = vn_xs_list(h, &s.defs);
	for (size_t i = 0; rc == VN_OK && i < s.defs.n && !s.def; i++) {
		const char *lid = vn_record_get(&s.defs.v[i], "long-id");
		if (lid && strcmp(lid, want) == 0)
			s.def = &s.defs.v[i];
	}
	if (rc == VN_OK && !s.def) {
		vn_err("vnet-show: no vnet %s", shortid);
		rc = VN_EUSAGE;
	}
	if (rc == VN_OK)
		rc = runtime_view(o, h, shortid, key, &s);
	xs_close(h);
	if (rc == VN_OK) {
		/* The MTU in use (the vnif's) over the one asked for. */
		if (s.vnif && vn_record_get(s.vnif, "mtu"))
			vn_record_set(s.def, "mtu", vn_record_get(s.vnif, "mtu"));
		if (o->json)
			print_json(&s);
		else
			print_text(&s);
	}
	vn_rows_free(&s.defs);
	vn_rows_free(&s.ports);
	vn_rows_free(&s.hosts);
	vn_reply_free(&s.rports);
	vn_reply_free(&s.rfdb);
	vn_reply_free(&s.rhosts);
	return rc;
}
