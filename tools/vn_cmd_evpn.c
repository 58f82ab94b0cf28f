/* control = evpn: `vn evpn` (what FRR's zebra and bgpd say about each
 * vnet's VNI, read from their JSON through vtysh) and `vn frr-config`
 * (a bgpd config for this host, from the daemon's status).  vn never
 * writes FRR's configuration: it prints, the admin decides. */
#include "vn.h"
#include "vn_commands.h"
#include "vn_ctl.h"
#include "vn_output.h"
#include "../xenvnetd/ctl_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
#define VTYSH_OUT_MAX (64u << 20)

/* The daemon's `evpn` status record; NULL after saying why. */
static const struct vn_record *evpn_record(const struct vn_opts *o, struct vn_reply *rep, int *rc)
{
	const struct vn_record *e;

	*rc = vn_ctl_call(o, CTL_VERB_STATUS, NULL, rep);
	if (*rc != VN_OK)
		return NULL;
	if (!(e = vn_rows_first(&rep->rows, "evpn"))) {
		vn_err("the daemon does not report its control mode (older than xenvnet with EVPN support?)");
		*rc = VN_EFAIL;
	}
	return e;
}

static const char *get(const struct vn_record *r, const char *k)
{
	const char *v = vn_record_get(r, k);
	return v ? v : "";
}

int vn_cmd_frr_config(const struct vn_opts *o, int argc, char **argv)
{
	struct vn_reply rep;
	int rc = vn_no_options(argc, argv, 0);
	const struct vn_record *e;

	if (rc != VN_OK)
		return rc;
	if (!(e = evpn_record(o, &rep, &rc)))
		goto out;
	const char *rid = get(e, "router-id"), *asn = get(e, "asn");
	char *nbrs = strdup(get(e, "neighbors")), *save = NULL;
	if (!nbrs) {
		rc = VN_EFAIL;
		goto out;
	}
	if (!*rid || !*nbrs || !*asn) {
		vn_err("frr-config: %s", !*rid ? "the underlay has no address yet: no router-id"
					: "evpn_neighbors is empty in xenvnetd.conf: name the route reflectors");
		free(nbrs);
		rc = VN_EFAIL;
		goto out;
	}
	if (strcmp(get(e, "control"), "evpn") != 0)
		vn_warn("the daemon runs control = own: set control = evpn in xenvnetd.conf and restart it");
	printf("! bgpd + zebra for xenvnet, control = evpn (vn frr-config): paste into\n"
	       "! /etc/frr/frr.conf (bgpd=yes in /etc/frr/daemons), or use it as a start.\n"
	       "! router-id: this host's underlay address; neighbours: evpn_neighbors.\n"
	       "! zebra: reach a reflector in another subnet through a default route too\n"
	       "ip nht resolve-via-default\n"
	       "! bgpd\n"
	       "router bgp %s\n"
	       " bgp router-id %s\n"
	       " no bgp default ipv4-unicast\n"
	       " ! a dead host's MACs are withdrawn within 9 s (BFD does it faster)\n"
	       " timers bgp 3 9\n", asn, rid);
	for (char *n = strtok_r(nbrs, " \t,", &save); n; n = strtok_r(NULL, " \t,", &save))
		printf(" neighbor %s remote-as internal\n", n);
	printf(" !\n address-family l2vpn evpn\n");
	save = NULL;
	strcpy(nbrs, get(e, "neighbors"));
	for (char *n = strtok_r(nbrs, " \t,", &save); n; n = strtok_r(NULL, " \t,", &save))
		printf("  neighbor %s activate\n", n);
	printf("  advertise-all-vni\n exit-address-family\nexit\n");
	free(nbrs);
out:
	vn_reply_free(&rep);
	return rc;
}

/* ---- vn evpn ---- */

/* Run vtysh -c CMD (with --vty_socket $VN_VTYSH_SOCKET when set) and
 * parse its output as JSON.  NULL with a reason in why. */
static json_object *vtysh_json(const char *cmd, char *why, size_t whylen)
{
	const char *sock = getenv("VN_VTYSH_SOCKET");
	const char *vtysh = getenv("VN_VTYSH");
	int out[2];
	pid_t pid;

	if (!vtysh || !*vtysh)
		vtysh = "vtysh";
	if (pipe2(out, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return NULL;
	}
	if ((pid = fork()) < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(out[1], 2); /* its complaint is our reason */
		if (sock && *sock)
			execlp(vtysh, vtysh, "--vty_socket", sock, "-c", cmd, (char *)NULL);
		else
			execlp(vtysh, vtysh, "-c", cmd, (char *)NULL);
		printf("cannot run %s: %s\n", vtysh, strerror(errno));
		_exit(127);
	}
	close(out[1]);
	size_t len = 0, cap = 0;
	char *buf = NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb = cap < VTYSH_OUT_MAX ? realloc(buf, cap ? cap * 2 : 65536) : NULL;
			if (!nb)
				break;
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		ssize_t n = read(out[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(out[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	json_object *j = NULL;
	if (buf && len == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		j = json_object_new_object(); /* zebra without EVPN says nothing */
	} else if (buf) {
		buf[len] = '\0';
		j = json_tokener_parse(buf);
		if (!j) {
			/* vtysh's first line says why: "Exiting: failed to connect
			 * to any daemons.", "% Unknown command", ... */
			size_t l = strcspn(buf, "\n");
			snprintf(why, whylen, "%.*s", (int)(l > 200 ? 200 : l), len ? buf : "no output");
		}
	} else {
		snprintf(why, whylen, "out of memory");
	}
	free(buf);
	return j;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v = member(o, key);
	return v ? json_object_get_string(v) : NULL;
}

/* What FRR says, all read before anything is printed. */
struct frr_view {
	json_object *vnis;     /* zebra: show evpn vni detail json (array) */
	json_object *vteps;    /* zebra: show evpn vni json (per VNI: numRemoteVteps) */
	json_object *macs;     /* zebra: show evpn mac vni all json */
	json_object *bgp;      /* bgpd: show bgp l2vpn evpn vni json */
};

static void frr_view_free(struct frr_view *v)
{
	json_object_put(v->vnis);
	json_object_put(v->vteps);
	json_object_put(v->macs);
	json_object_put(v->bgp);
}

static int frr_read(struct frr_view *v)
{
	char why[256];

	if (!(v->vteps = vtysh_json("show evpn vni json", why, sizeof(why)))) {
		vn_err("evpn: FRR's zebra does not answer (%s): is FRR running (zebra and bgpd)? "
		       "See vn frr-config", why);
		return VN_EFAIL;
	}
	if (!(v->bgp = vtysh_json("show bgp l2vpn evpn vni json", why, sizeof(why)))) {
		vn_err("evpn: FRR's bgpd does not answer (%s): is bgpd running and configured "
		       "for EVPN? See vn frr-config", why);
		return VN_EFAIL;
	}
	const char *all = str_of(v->bgp, "advertiseAllVnis");
	if (!all || strcmp(all, "Enabled") != 0) {
		vn_err("evpn: FRR's bgpd does not advertise the VNIs: no 'address-family l2vpn evpn' "
		       "with 'advertise-all-vni' in its configuration (see vn frr-config)");
		return VN_EFAIL;
	}
	if (!(v->vnis = vtysh_json("show evpn vni detail json", why, sizeof(why))) ||
	    !(v->macs = vtysh_json("show evpn mac vni all json", why, sizeof(why)))) {
		vn_err("evpn: FRR's zebra: %s", why);
		return VN_EFAIL;
	}
	return VN_OK;
}

/* The remote VTEPs of one VNI, comma-separated, from zebra's detail: FRR
 * 8.4 lists them under "numRemoteVteps" (an array of addresses), other
 * versions under "remoteVteps". */
static void remote_vteps(const struct frr_view *v, const char *vni, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; json_object_is_type(v->vnis, json_type_array) && i < json_object_array_length(v->vnis); i++) {
		json_object *d = json_object_array_get_idx(v->vnis, i);
		json_object *r = member(d, "remoteVteps");
		const char *id = str_of(d, "vni");
		if (!json_object_is_type(r, json_type_array))
			r = member(d, "numRemoteVteps");
		if (!id || strcmp(id, vni) != 0 || !json_object_is_type(r, json_type_array))
			continue;
		for (size_t k = 0; k < json_object_array_length(r); k++) {
			json_object *t = json_object_array_get_idx(r, k);
			const char *ip = json_object_is_type(t, json_type_string) ? json_object_get_string(t)
										 : str_of(t, "ip");
			if (ip && len + strlen(ip) + 2 < cap)
				len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "," : "", ip);
		}
	}
}

static const struct vn_col vnet_cols[] = {
	{ "VNET", "vnet", VN_COL_STR },
	{ "VNI", "vni", VN_COL_NUM },
	{ "VNETIF", "vnetif", VN_COL_STR },
	{ "ADVERTISED", "advertised", VN_COL_BOOL },
	{ "MACS", "macs", VN_COL_NUM },
	{ "REMOTE-VTEPS", "remote-vteps", VN_COL_LIST },
};

static const struct vn_col mac_cols[] = {
	{ "VNET", "vnet", VN_COL_STR },
	{ "MAC", "mac", VN_COL_STR },
	{ "ORIGIN", "origin", VN_COL_STR },
	{ "AT", "at", VN_COL_STR },
	{ "SEQ", "seq", VN_COL_NUM },
	{ "DUPLICATE", "duplicate", VN_COL_BOOL },
	{ NULL, "local-seq", VN_COL_NUM },
	{ NULL, "remote-seq", VN_COL_NUM },
};

/* One vnet (a `vnet` record of the daemon) into the two tables. */
static void add_vnet(const struct frr_view *v, const struct vn_record *d, struct vn_rows *vr, struct vn_rows *mr)
{
	const char *vni = get(d, "vni"), *id = get(d, "id");
	json_object *z = member(v->vteps, vni), *b = member(v->bgp, vni);
	json_object *macs = member(member(v->macs, vni), "macs");
	const char *ink = str_of(b, "inKernel");
	char vteps[1024];
	struct vn_record *r = vn_rows_add(vr, "evpn-vnet");

	if (!r)
		return;
	remote_vteps(v, vni, vteps, sizeof(vteps));
	vn_record_set(r, "vnet", id);
	vn_record_set(r, "vni", vni);
	vn_record_set(r, "vnetif", get(d, "vnetif"));
	vn_record_set(r, "advertised", z && b && ink && strcmp(ink, "True") == 0 ? "true" : "false");
	vn_record_setf(r, "macs", "%d", macs ? json_object_object_length(macs) : 0);
	if (*vteps)
		vn_record_set(r, "remote-vteps", vteps);
	else
		vn_record_set(r, "remote-vteps", "");
	if (!macs)
		return;
	json_object_object_foreach(macs, mac, m) {
		const char *type = str_of(m, "type"), *ls = str_of(m, "localSequence"),
			   *rs = str_of(m, "remoteSequence"), *dup = str_of(m, "isDuplicate");
		bool remote = type && strcmp(type, "remote") == 0;
		struct vn_record *x = vn_rows_add(mr, "evpn-mac");
		if (!x)
			return;
		vn_record_set(x, "vnet", id);
		vn_record_set(x, "mac", mac);
		vn_record_set(x, "origin", type ? type : "?");
		vn_record_set(x, "at", remote ? str_of(m, "remoteVtep") : str_of(m, "intf"));
		vn_record_set(x, "seq", remote ? rs : ls);
		vn_record_set(x, "local-seq", ls);
		vn_record_set(x, "remote-seq", rs);
		vn_record_set(x, "duplicate", dup && strcmp(dup, "true") == 0 ? "true" : "false");
	}
}

int vn_cmd_evpn(const struct vn_opts *o, int argc, char **argv)
{
	struct vn_reply st, vn;
	struct vn_rows vr = { 0 }, mr = { 0 };
	struct frr_view v = { 0 };
	const struct vn_record *e;
	int rc = vn_no_options(argc, argv, 0);

	if (rc != VN_OK)
		return rc;
	memset(&vn, 0, sizeof(vn));
	if (!(e = evpn_record(o, &st, &rc)))
		goto out;
	if (strcmp(get(e, "control"), "evpn") != 0) {
		vn_err("evpn: the daemon runs control = own (its own protocol): FRR does not carry "
		       "these vnets' MACs; see xenvnetd.conf(5), control");
		rc = VN_EFAIL;
		goto out;
	}
	if ((rc = frr_read(&v)) != VN_OK || (rc = vn_ctl_call(o, CTL_VERB_VNETS, NULL, &vn)) != VN_OK)
		goto out;
	for (size_t i = 0; i < vn.rows.n; i++)
		if (strcmp(vn.rows.v[i].type, "vnet") == 0)
			add_vnet(&v, &vn.rows.v[i], &vr, &mr);
	if (o->json) {
		fputs("{\"vnets\":", stdout);
		vn_print_rows(stdout, &vr, vnet_cols, NCOLS(vnet_cols), true);
		fputs(",\"macs\":", stdout);
		vn_print_rows(stdout, &mr, mac_cols, NCOLS(mac_cols), true);
		fputs("}\n", stdout);
	} else {
		vn_print_rows(stdout, &vr, vnet_cols, NCOLS(vnet_cols), false);
		putchar('\n');
		vn_print_rows(stdout, &mr, mac_cols, NCOLS(mac_cols), false);
	}
out:
	frr_view_free(&v);
	vn_rows_free(&vr);
	vn_rows_free(&mr);
	vn_reply_free(&vn);
	vn_reply_free(&st);
	return rc;
}
