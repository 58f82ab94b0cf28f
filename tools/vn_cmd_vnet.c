/* vnet-create, vnet-delete, vnets: the definitions in xenstore. */
#include "vn.h"
#include "vn_commands.h"
#include "vn_ctl.h"
#include "vn_output.h"
#include "vn_xs.h"
#include "vnet_sxp.h"
#include "../xenvnetd/ctl_proto.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SXP_FILE_MAX (1u << 20)   /* a vnet file is a few hundred bytes */

/* ------------------------------------------------------------ vnet-create */

/* The whole file (or stdin for "-"); NULL after saying why. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f) {
		vn_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *b = cap > SXP_FILE_MAX ? NULL : realloc(buf, cap * 2);
			if (!b) {
				vn_err("%s: larger than %u bytes", path, SXP_FILE_MAX);
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				vn_err("%s: %s", path, strerror(errno));
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (buf && n > SXP_FILE_MAX) {
		vn_err("%s: larger than %u bytes", path, SXP_FILE_MAX);
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/* An argument is an id when it parses as one; "./97" names a file. */
static bool looks_like_id(const char *s)
{
	return *s && strspn(s, "0123456789abcdefABCDEF:-") == strlen(s) && strcmp(s, "-") != 0;
}

static int create_from_file(const char *path)
{
	struct vnet_sxp v;
	struct sxp_error err;
	size_t len;
	char *buf = slurp(path, &len);
	int rc;

	if (!buf)
		return VN_EUSAGE;
	if (vnet_sxp_read(buf, len, &v, &err) < 0) {
		vn_err("%s:%u:%u: %s", strcmp(path, "-") == 0 ? "<stdin>" : path, err.pos.line,
		       err.pos.col, err.msg);
		rc = VN_EUSAGE;
	} else {
		struct xs_handle *h = vn_xs_open();
		rc = h ? vn_xs_create(h, &v.raw, &v.def) : VN_EFAIL;
		if (h)
			xs_close(h);
	}
	vnet_sxp_free(&v);
	free(buf);
	return rc;
}

static int create_from_options(const char *id_arg, struct vnet_raw *raw)
{
	struct vnet_id id;
	struct vnet_def def;
	char why[160], bridge[VNET_NAME_MAX + 2];

	if (vnet_id_parse(id_arg, &id, why, sizeof(why)) < 0) {
		vn_err("id: %s", why);
		return VN_EUSAGE;
	}
	raw->key = id_arg;
	if (!raw->bridge) {
		char s[VNET_ID_STRLEN];
		vnet_id_format(&id, s);
		if (!vnet_id_is_short(&id) || snprintf(bridge, sizeof(bridge), "vnet%s", s) > VNET_NAME_MAX) {
			vn_err("bridge: vnet %s has no short default bridge name; give one with -b", s);
			return VN_EUSAGE;
		}
		raw->bridge = bridge;
	}
	if (vnet_def_from_raw(raw, &def, why, sizeof(why)) < 0) {
		vn_err("%s", why);
		return VN_EUSAGE;
	}
	struct xs_handle *h = vn_xs_open();
	if (!h)
		return VN_EFAIL;
	int rc = vn_xs_create(h, raw, &def);
	xs_close(h);
	return rc;
}

int vn_cmd_vnet_create(const struct vn_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "security", required_argument, NULL, 's' },
		{ "bridge", required_argument, NULL, 'b' },
		{ "vnetif", required_argument, NULL, 'v' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "vni", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct vnet_raw raw = { 0 };
	bool any = false;
	int ch;

	(void)o;
	optind = 0;
	while ((ch = vn_getopt("vnet-create", argc, argv, ":s:b:v:m:n:", longopts)) != -1) {
		switch (ch) {
		case 's': raw.security = optarg; break;
		case 'b': raw.bridge = optarg; break;
		case 'v': raw.vnetif = optarg; break;
		case 'm': raw.mtu = optarg; break;
		case 'n': raw.vni = optarg; break;
		default: return VN_EUSAGE;
		}
		any = true;
	}
	if (argc - optind != 1)
		return vn_usage_error("vnet-create", "needs exactly one FILE or ID");
	const char *arg = argv[optind];
	struct stat st;
	bool is_file = stat(arg, &st) == 0 && !looks_like_id(arg);
	if (strcmp(arg, "-") == 0 || is_file || !looks_like_id(arg)) {
		if (any)
			return vn_usage_error("vnet-create", "options -s -b -v -m -n go with an ID, not a file");
		return create_from_file(arg);
	}
	return create_from_options(arg, &raw);
}

/* ------------------------------------------------------------ vnet-delete */

int vn_cmd_vnet_delete(const struct vn_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bridge", no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	char why[160];
	bool force = false;
	struct vnet_id id;
	int ch;

	(void)o;
	optind = 0;
	while ((ch = vn_getopt("vnet-delete", argc, argv, ":b", longopts)) != -1) {
		if (ch != 'b')
			return VN_EUSAGE;
		force = true;
	}
	if (argc - optind != 1)
		return vn_usage_error("vnet-delete", "needs exactly one ID");
	if (vnet_id_parse(argv[optind], &id, why, sizeof(why)) < 0) {
		vn_err("id: %s", why);
		return VN_EUSAGE;
	}
	struct xs_handle *h = vn_xs_open();
	if (!h)
		return VN_EFAIL;
	/* The daemon sees the definition go and removes the bridge and
	 * tunnel it made for it; -b only lifts the attached-ports check. */
	int rc = vn_xs_delete(h, &id, force);
	xs_close(h);
	return rc;
}

/* ------------------------------------------------------------------ vnets */

static int by_id(const void *a, const void *b)
{
	const struct vn_record *x = a, *y = b;
	const char *lx = vn_record_get(x, "long-id"), *ly = vn_record_get(y, "long-id");

	/* Valid ones first, in id order (long ids sort as numbers); then the rest by key. */
	if (lx && ly)
		return strcmp(lx, ly);
	if (lx || ly)
		return lx ? -1 : 1;
	return strcmp(vn_record_get(x, "key"), vn_record_get(y, "key"));
}

/* Add a "ports" list to each vnet row from the daemon's port records. */
static int attach_ports(const struct vn_opts *o, struct vn_rows *vnets)
{
	struct vn_reply rep;
	int rc = vn_ctl_call(o, CTL_VERB_PORTS, NULL, &rep);

	if (rc != VN_OK) {
		vn_reply_free(&rep);
		return rc;
	}
	for (size_t i = 0; i < vnets->n; i++) {
		const char *id = vn_record_get(&vnets->v[i], "id");
		char list[4096] = "";
		size_t len = 0;
		for (size_t j = 0; j < rep.rows.n; j++) {
			const struct vn_record *p = &rep.rows.v[j];
			const char *vnet = vn_record_get(p, "vnet"), *name = vn_record_get(p, "name");
			if (strcmp(p->type, "port") || !vnet || !name || !id || strcmp(vnet, id))
				continue;
			int n = snprintf(list + len, sizeof(list) - len, "%s%s", len ? "," : "", name);
			if (n > 0 && (size_t)n < sizeof(list) - len)
				len += (size_t)n;
		}
		vn_record_set(&vnets->v[i], "ports", list);
	}
	vn_reply_free(&rep);
	return VN_OK;
}

int vn_cmd_vnets(const struct vn_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "long", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	/* The JSON shape is every column, in this order, whatever -a and -l say. */
	const struct vn_col cols[] = {
		{ "VNET", "id", VN_COL_STR },
		{ NULL, "long-id", VN_COL_STR },
		{ NULL, "key", VN_COL_STR },
		{ "BRIDGE", "bridge", VN_COL_STR },
		{ "VNETIF", "vnetif", VN_COL_STR },
		{ "SECURITY", "security", VN_COL_STR },
		{ "VNI", "vni", VN_COL_NUM },
		{ NULL, "mtu", VN_COL_NUM },
		{ "STATE", "state", VN_COL_STR },
		{ NULL, "error", VN_COL_STR },
		{ NULL, "valid", VN_COL_BOOL },
		{ NULL, "ports", VN_COL_LIST },
		{ "DATAPLANE", "dataplane", VN_COL_STR },
	};
	enum { C_ID, C_LONG, C_KEY, C_BRIDGE, C_VNETIF, C_SEC, C_VNI, C_MTU, C_STATE, C_ERROR, C_VALID, C_PORTS, C_DP };
	char dataplane[16];
	struct vn_col human[sizeof(cols) / sizeof(cols[0])];
	bool all = false, lng = false;
	struct vn_rows rows = { 0 };
	int ch, rc;

	optind = 0;
	while ((ch = vn_getopt(argv[0], argc, argv, ":al", longopts)) != -1) {
		if (ch == 'a')
			all = true;
		else if (ch == 'l')
			lng = true;
		else
			return VN_EUSAGE;
	}
	if (optind != argc)
		return vn_usage_error(argv[0], "takes no operands");

	struct xs_handle *h = vn_xs_open();
	if (!h)
		return VN_EFAIL;
	rc = vn_xs_list(h, &rows);
	xs_close(h);
	if (rc != VN_OK)
		goto out;
	qsort(rows.v, rows.n, sizeof(rows.v[0]), by_id);
	/* what carries the vnets on this host: the daemon's data plane */
	bool have_dp = vn_ctl_dataplane(o, dataplane, sizeof(dataplane));
	for (size_t i = 0; i < rows.n; i++) {
		struct vn_record *r = &rows.v[i];
		const char *lid = vn_record_get(r, "long-id");
		/* -l shows what is written for ids that do not parse. */
		vn_record_set(r, "shown-long-id", lid ? lid : vn_record_get(r, "key"));
		if (have_dp)
			vn_record_set(r, "dataplane", dataplane);
		if (strcmp(vn_record_get(r, "valid"), "true") != 0)
			vn_record_set(r, "state", "invalid");
	}

	/* Definitions print even when the daemon is down; -a then fails after. */
	int ports_rc = all ? attach_ports(o, &rows) : VN_OK;

	memcpy(human, cols, sizeof(cols));
	if (lng) {
		human[C_ID].key = "shown-long-id";
		human[C_MTU].head = "MTU";
		human[C_ERROR].head = "ERROR";
	}
	if (all && ports_rc == VN_OK)
		human[C_PORTS].head = "PORTS";
	vn_print_rows(stdout, &rows, o->json ? cols : human, sizeof(cols) / sizeof(cols[0]), o->json);
	if (ports_rc != VN_OK) {
		vn_err("definitions listed, ports not: see above");
		rc = ports_rc;
	}
	/* An invalid definition is not vn's failure: the listing says why. */
out:
	vn_rows_free(&rows);
	return rc;
}
