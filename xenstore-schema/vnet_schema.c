/* Validation of /vnet/<key>/ definitions, shared by xenvnetd and vn. */
#include "vnet_schema.h"
#include "vnet_err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const security_names[] = {
	[VNET_SEC_NONE] = "none",
	[VNET_SEC_AUTH] = "auth",
	[VNET_SEC_CONF] = "conf",
};

const char *vnet_security_name(enum vnet_security s)
{
	return (unsigned)s < sizeof(security_names) / sizeof(security_names[0]) ? security_names[s] : "?";
}

int vnet_security_parse(const char *s, enum vnet_security *out)
{
	for (unsigned i = 0; i < sizeof(security_names) / sizeof(security_names[0]); i++) {
		if (strcmp(s, security_names[i]) == 0) {
			*out = (enum vnet_security)i;
			return 0;
		}
	}
	return -1;
}

const char *const vnet_field_names[VNET_NFIELDS] = {
	VNET_KEY_BRIDGE, VNET_KEY_VNETIF, VNET_KEY_SECURITY, VNET_KEY_MTU, VNET_KEY_VNI,
};

const char **vnet_raw_field(struct vnet_raw *raw, size_t i)
{
	const char **slots[VNET_NFIELDS] = { &raw->bridge, &raw->vnetif, &raw->security, &raw->mtu, &raw->vni };
	return slots[i];
}

int vnet_field_index(const char *name)
{
	for (int i = 0; i < VNET_NFIELDS; i++)
		if (strcmp(name, vnet_field_names[i]) == 0)
			return i;
	return -1;
}

bool vnet_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > VNET_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

/* The id's value when it fits in 64 bits. */
static bool id_fits_u64(const struct vnet_id *id, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 8; i++)
		if (id->b[i])
			return false;
	for (int i = 8; i < 16; i++)
		*v = *v << 8 | id->b[i];
	return true;
}

void vnet_default_vnetif(const struct vnet_id *id, char out[VNET_NAME_MAX + 1])
{
	uint64_t v;

	/* "vnif" + 10 hex digits is the longest name that fits. */
	if (id_fits_u64(id, &v) && v <= 0xffffffffffull)
		snprintf(out, VNET_NAME_MAX + 1, "vnif%llx", (unsigned long long)v);
	else
		snprintf(out, VNET_NAME_MAX + 1, "vnif%010llx",
			 (unsigned long long)(vnet_id_hash(id) & 0xffffffffffull));
}

uint32_t vnet_default_vni(const struct vnet_id *id)
{
	uint64_t v;

	if (id_fits_u64(id, &v) && v <= VNET_VNI_PLAIN_MAX)
		return (uint32_t)v;
	/* Its own half of the space: two hashed VNIs may still meet (then
	 * the reconciler and the cluster check refuse the second), but never
	 * a plain id's or an explicit vni key's. */
	return (uint32_t)(VNET_VNI_HASH_MIN + vnet_id_hash(id) % (VNET_VNI_MAX - VNET_VNI_HASH_MIN + 1));
}

/* A decimal number in [lo, hi] with nothing else around it. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int check_name(const char *field, const char *val, char *err, size_t errlen)
{
	if (strlen(val) > VNET_NAME_MAX)
		return vnet_err(err, errlen, "%s '%.40s' is longer than 14 characters", field, val);
	if (!vnet_name_valid(val))
		return vnet_err(err, errlen, "%s '%.40s' may only use the characters A-Z a-z 0-9 _ . -",
			    field, val);
	return 0;
}

int vnet_def_from_raw(const struct vnet_raw *raw, struct vnet_def *def, char *err, size_t errlen)
{
	char why[128];
	unsigned long n;

	memset(def, 0, sizeof(*def));
	if (vnet_id_parse(raw->key, &def->id, why, sizeof(why)) < 0)
		return vnet_err(err, errlen, "%s", why);

	if (!raw->bridge)
		return vnet_err(err, errlen, "bridge key is missing");
	if (check_name("bridge", raw->bridge, err, errlen) < 0)
		return -1;
	strcpy(def->bridge, raw->bridge);

	if (raw->vnetif) {
		if (check_name("vnetif", raw->vnetif, err, errlen) < 0)
			return -1;
		strcpy(def->vnetif, raw->vnetif);
	} else {
		vnet_default_vnetif(&def->id, def->vnetif);
	}
	if (strcmp(def->vnetif, def->bridge) == 0)
		return vnet_err(err, errlen, "vnetif '%s' is the same name as the bridge", def->vnetif);

	def->security = VNET_SEC_NONE;
	if (raw->security && vnet_security_parse(raw->security, &def->security) < 0)
		return vnet_err(err, errlen, "security '%.40s' is unknown (none, auth or conf)",
				raw->security);

	if (raw->mtu) {
		if (parse_uint(raw->mtu, VNET_MTU_MIN, VNET_MTU_MAX, &n) < 0)
			return vnet_err(err, errlen, "mtu '%.40s' is not a number from 68 to 65535", raw->mtu);
		def->mtu = (unsigned)n;
	}

	if (raw->vni) {
		if (parse_uint(raw->vni, 1, VNET_VNI_PLAIN_MAX, &n) < 0)
			return vnet_err(err, errlen, "vni '%.40s' is not a number from 1 to 8388607 "
					"(8388608 and up are hashed ids' VNIs)", raw->vni);
		def->vni = (uint32_t)n;
		def->vni_explicit = true;
	} else {
		def->vni = vnet_default_vni(&def->id);
	}
	return 0;
}
