/* The /vnet/<key>/... contract: what a definition may say, and the checks
 * the daemon and the vn tool share.  See xenstore-schema/SCHEMA.md. */
#ifndef XENVNET_VNET_SCHEMA_H
#define XENVNET_VNET_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vnet_id.h"

#define VNET_XS_ROOT "/vnet"
#define VNET_NAME_MAX 14         /* longest bridge/vnetif name we accept */
#define VNET_VNI_MAX 0xffffffu   /* VXLAN network identifiers are 24 bits */
/* VNIs 1..VNET_VNI_PLAIN_MAX are ids that map to themselves, or explicit vni
 * keys; VNET_VNI_HASH_MIN..VNET_VNI_MAX are hashes of the larger ids only,
 * so a hashed VNI never takes a plain id's (SCHEMA.md). */
#define VNET_VNI_PLAIN_MAX 0x7fffffu
#define VNET_VNI_HASH_MIN  0x800000u
#define VNET_MTU_MIN 68
#define VNET_MTU_MAX 65535

enum vnet_security { VNET_SEC_NONE, VNET_SEC_AUTH, VNET_SEC_CONF };

/* Keys an admin (or vn) writes under /vnet/<key>/. */
#define VNET_KEY_BRIDGE   "bridge"
#define VNET_KEY_VNETIF   "vnetif"
#define VNET_KEY_SECURITY "security"
#define VNET_KEY_MTU      "mtu"
#define VNET_KEY_VNI      "vni"
/* Keys only the daemon writes. */
#define VNET_KEY_STATE    "state"
#define VNET_KEY_ERROR    "error"

/* The raw strings of one definition as read from xenstore or SXP; NULL
 * where the key is absent. */
struct vnet_raw {
	const char *key;      /* the id as written: path component or SXP (id ...) */
	const char *bridge;
	const char *vnetif;
	const char *security;
	const char *mtu;
	const char *vni;
};

/* The definition keys in their fixed order, for code that walks them all. */
#define VNET_NFIELDS 5
extern const char *const vnet_field_names[VNET_NFIELDS];
/* The slot in @raw of field i (0 <= i < VNET_NFIELDS). */
const char **vnet_raw_field(struct vnet_raw *raw, size_t i);
/* Index of a field name, or -1 when it is not a definition key. */
int vnet_field_index(const char *name);

/* A validated definition, all defaults filled in. */
struct vnet_def {
	struct vnet_id id;
	char bridge[VNET_NAME_MAX + 1];
	char vnetif[VNET_NAME_MAX + 1];
	enum vnet_security security;
	unsigned mtu;          /* 0: not set, derive from the underlay */
	uint32_t vni;
	bool vni_explicit;     /* vni came from the vni key */
};

/* Validate @raw into @def.  Returns 0, or -1 with a human-readable reason
 * in err naming the field at fault. */
int vnet_def_from_raw(const struct vnet_raw *raw, struct vnet_def *def, char *err, size_t errlen);

/* An interface name we accept: 1..14 of [A-Za-z0-9_.-], not "." or "..". */
bool vnet_name_valid(const char *name);

const char *vnet_security_name(enum vnet_security s);
int vnet_security_parse(const char *s, enum vnet_security *out);

/* The default vnet interface name for an id: "vnif<hex>" when it fits,
 * else "vnif" + 10 hex digits of the id's hash. */
void vnet_default_vnetif(const struct vnet_id *id, char out[VNET_NAME_MAX + 1]);

/* The VNI an id maps to when no vni key is given: the id itself when it
 * is at most VNET_VNI_PLAIN_MAX, else a hash of it from VNET_VNI_HASH_MIN
 * up, a range no plain id and no vni key can reach. */
uint32_t vnet_default_vni(const struct vnet_id *id);

#endif
