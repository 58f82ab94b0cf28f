/* /vnet definitions in xenstore. */
#include "vn_xs.h"
#include "vn.h"
#include "vn_bridge.h"
#include "vnet_xs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRIES 8   /* transactions that keep colliding give up */

struct xs_handle *vn_xs_open(void)
{
	struct xs_handle *h = xs_open(0);

	if (!h) {
		const char *path = getenv("XENSTORED_PATH");
		vn_err("cannot reach xenstore%s%s: %s", path ? " at " : "", path ? path : "",
		       strerror(errno));
	}
	return h;
}

static int xs_failed(const char *what)
{
	vn_err("xenstore: %s: %s", what, strerror(errno));
	return VN_EFAIL;
}

static int add_row(struct vn_rows *rows, const char *key, const struct vnet_xs_def *d)
{
	struct vnet_raw raw;
	struct vnet_def def;
	char why[160], s[VNET_ID_STRLEN];
	struct vn_record *r = vn_rows_add(rows, "vnet");
	int rc = 0;

	if (!r)
		return -1;
	vnet_xs_def_raw(d, key, &raw);
	bool valid = vnet_def_from_raw(&raw, &def, why, sizeof(why)) == 0;
	if (valid && d->unknown) {
		snprintf(why, sizeof(why), "unknown key '%.64s'", d->unknown);
		valid = false;
	}
	if (valid) {
		vnet_id_format(&def.id, s);
		rc |= vn_record_set(r, "id", s);
		vnet_id_format_long(&def.id, s);
		rc |= vn_record_set(r, "long-id", s);
		rc |= vn_record_set(r, "bridge", def.bridge);
		rc |= vn_record_set(r, "vnetif", def.vnetif);
		rc |= vn_record_set(r, "security", vnet_security_name(def.security));
		if (def.mtu)
			rc |= vn_record_setf(r, "mtu", "%u", def.mtu);
		rc |= vn_record_setf(r, "vni", "%u", (unsigned)def.vni);
	} else {
		/* Show what is there, as it is written. */
		rc |= vn_record_set(r, "id", key);
		for (int i = 0; i < VNET_NFIELDS; i++)
			if (d->field[i])
				rc |= vn_record_set(r, vnet_field_names[i], d->field[i]);
	}
	rc |= vn_record_set(r, "key", key);
	rc |= vn_record_set(r, "valid", valid ? "true" : "false");
	if (d->state)
		rc |= vn_record_set(r, "state", d->state);
	if (!valid)
		rc |= vn_record_set(r, "error", why);
	else if (d->error)
		rc |= vn_record_set(r, "error", d->error);
	return rc;
}

int vn_xs_list(struct xs_handle *h, struct vn_rows *rows)
{
	unsigned n = 0;
	char **keys = vnet_xs_list(h, &n);

	if (!keys && errno != ENOENT)
		return xs_failed("listing " VNET_XS_ROOT);
	for (unsigned i = 0; i < n; i++) {
		struct vnet_xs_def d;
		if (vnet_xs_read(h, keys[i], &d) < 0) {
			free(keys);
			return xs_failed("reading a definition");
		}
		/* Gone between the listing and the read: not an error. */
		int rc = d.exists ? add_row(rows, keys[i], &d) : 0;
		vnet_xs_def_free(&d);
		if (rc < 0) {
			free(keys);
			vn_err("out of memory");
			return VN_EFAIL;
		}
	}
	free(keys);
	return VN_OK;
}

static char *read_field(struct xs_handle *h, xs_transaction_t t, const char *key, const char *leaf)
{
	char path[128];
	unsigned len;

	snprintf(path, sizeof(path), VNET_XS_ROOT "/%s/%s", key, leaf);
	return xs_read(h, t, path, &len);
}

struct scan {
	char key[VNET_ID_STRLEN + 64];          /* the id's key as written */
	char bridge[VNET_NAME_MAX + 1];         /* its bridge ("" if none) */
	char vnetif[VNET_NAME_MAX + 1];         /* its vnetif, the default if unset */
	char clash[192];                        /* why a new def cannot coexist */
};

/* A new vnet may not share a bridge, a vnetif or a VNI with another one. */
static void check_clash(const char *key, const struct vnet_def *other, const struct vnet_def *want,
			char *clash, size_t len)
{
	const char *names[] = { other->bridge, other->vnetif };

	for (int i = 0; i < 2; i++)
		if (strcmp(names[i], want->bridge) == 0 || strcmp(names[i], want->vnetif) == 0) {
			snprintf(clash, len, "vnet %s already uses the name '%s' for its %s", key,
				 names[i], i ? "vnetif" : "bridge");
			return;
		}
	if (other->vni == want->vni)
		snprintf(clash, len, "vni: vnet %s already uses VNI %u", key, (unsigned)other->vni);
}

/* Within t: the key of id (any spelling), and a clash with another vnet.
 * Returns 1 found, 0 not, -1 xenstore error. */
static int scan(struct xs_handle *h, xs_transaction_t t, const struct vnet_id *id,
		const struct vnet_def *want, struct scan *out)
{
	unsigned n = 0;
	char **keys = xs_directory(h, t, VNET_XS_ROOT, &n);
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (!keys)
		return errno == ENOENT ? 0 : -1;
	for (unsigned i = 0; i < n; i++) {
		struct vnet_raw raw = { .key = keys[i] };
		struct vnet_def def;
		struct vnet_id other;
		char *val[VNET_NFIELDS] = { 0 };

		if (vnet_id_parse(keys[i], &other, NULL, 0) < 0)
			continue;   /* not a vnet key; the daemon reports it */
		for (size_t f = 0; f < VNET_NFIELDS; f++)
			*vnet_raw_field(&raw, f) = val[f] = read_field(h, t, keys[i], vnet_field_names[f]);
		bool valid = vnet_def_from_raw(&raw, &def, NULL, 0) == 0;
		if (vnet_id_equal(&other, id)) {
			snprintf(out->key, sizeof(out->key), "%s", keys[i]);
			snprintf(out->bridge, sizeof(out->bridge), "%s", raw.bridge ? raw.bridge : "");
			if (valid)
				snprintf(out->vnetif, sizeof(out->vnetif), "%s", def.vnetif);
			found = 1;
		} else if (want && valid && !out->clash[0]) {
			check_clash(keys[i], &def, want, out->clash, sizeof(out->clash));
		}
		for (size_t f = 0; f < VNET_NFIELDS; f++)
			free(val[f]);
	}
	free(keys);
	return found;
}

/* End t; 0 committed, 1 collided (run again), -1 failed. */
static int commit(struct xs_handle *h, xs_transaction_t t, int *tries)
{
	if (xs_transaction_end(h, t, false))
		return 0;
	return errno == EAGAIN && ++*tries < MAX_TRIES ? 1 : -1;
}

int vn_xs_create(struct xs_handle *h, const struct vnet_raw *raw, const struct vnet_def *def)
{
	char key[VNET_ID_STRLEN], path[128];
	struct vnet_raw r = *raw;
	struct scan s;
	int tries = 0;

	vnet_id_format_key(&def->id, key);
	for (;;) {
		xs_transaction_t t = xs_transaction_start(h);
		if (t == XBT_NULL)
			return xs_failed("starting a transaction");
		int found = scan(h, t, &def->id, def, &s);
		if (found != 0 || s.clash[0]) {
			int e = errno;
			xs_transaction_end(h, t, true);
			if (found < 0) {
				errno = e;
				return xs_failed("listing " VNET_XS_ROOT);
			}
			if (found)
				vn_err("id: vnet %s already exists (as " VNET_XS_ROOT "/%s)", key, s.key);
			else
				vn_err("%s", s.clash);
			return VN_EUSAGE;
		}
		bool ok = true;
		for (size_t i = 0; i < VNET_NFIELDS && ok; i++) {
			const char *v = *vnet_raw_field(&r, i);
			if (!v)
				continue;
			snprintf(path, sizeof(path), VNET_XS_ROOT "/%s/%s", key, vnet_field_names[i]);
			ok = xs_write(h, t, path, v, (unsigned)strlen(v));
		}
		if (!ok) {
			int e = errno;
			xs_transaction_end(h, t, true);
			errno = e;
			return xs_failed("writing the definition");
		}
		int rc = commit(h, t, &tries);
		if (rc < 0)
			return xs_failed("committing the definition");
		if (rc == 0)
			return VN_OK;
	}
}

int vn_xs_delete(struct xs_handle *h, const struct vnet_id *id, bool force)
{
	char path[128], ports[512];
	struct scan s;
	int tries = 0;

	for (;;) {
		xs_transaction_t t = xs_transaction_start(h);
		if (t == XBT_NULL)
			return xs_failed("starting a transaction");
		int found = scan(h, t, id, NULL, &s);
		if (found <= 0) {
			int e = errno;
			xs_transaction_end(h, t, true);
			if (found < 0) {
				errno = e;
				return xs_failed("listing " VNET_XS_ROOT);
			}
			char name[VNET_ID_STRLEN];
			vnet_id_format(id, name);
			vn_err("id: no vnet %s", name);
			return VN_EUSAGE;
		}
		int nports = force ? 0 : vn_bridge_ports(s.bridge, s.key, s.vnetif, ports, sizeof(ports));
		if (nports > 0) {
			xs_transaction_end(h, t, true);
			const char *them = nports > 1 ? "them" : "it";
			vn_err("vnet %s: bridge %s still has %d port%s attached (%s); nothing was deleted. "
			       "Detach %s, or use -b to delete anyway and cut %s off",
			       s.key, s.bridge, nports, nports > 1 ? "s" : "", ports, them, them);
			return VN_EFAIL;
		}
		snprintf(path, sizeof(path), VNET_XS_ROOT "/%s", s.key);
		if (!xs_rm(h, t, path)) {
			int e = errno;
			xs_transaction_end(h, t, true);
			errno = e;
			return xs_failed("removing the definition");
		}
		int rc = commit(h, t, &tries);
		if (rc < 0)
			return xs_failed("committing the removal");
		if (rc == 0)
			return VN_OK;
	}
}
