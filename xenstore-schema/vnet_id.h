/* vnet identifiers: 128-bit ids in short ("97") and long
 * ("0000:0000:0000:0000:0000:0000:0000:0097") form, and their xenstore keys. */
#ifndef XENVNET_VNET_ID_H
#define XENVNET_VNET_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Big-endian: b[0] is the most significant byte of the first field. */
struct vnet_id {
	uint8_t b[16];
};

/* Longest formatted id: 8 fields of 4 digits, 7 separators, NUL. */
#define VNET_ID_STRLEN 40

/* Parse an id: one hex number of up to 32 digits (short form), or exactly
 * 8 fields of 1-4 hex digits separated by ':' (long form) or by '-' (the
 * form used in xenstore paths).  Case and leading zeros do not matter.
 * Returns 0, or -1 with a reason in err.  Ids 0 and 1 are rejected here:
 * 0 is invalid, 1 is reserved. */
int vnet_id_parse(const char *s, struct vnet_id *id, char *err, size_t errlen);

/* True when the first 7 fields are zero, so the short form names it. */
bool vnet_id_is_short(const struct vnet_id *id);

/* Short form when it has one ("97"), else long form with ':'. */
void vnet_id_format(const struct vnet_id *id, char out[VNET_ID_STRLEN]);
/* Always the long form with ':'. */
void vnet_id_format_long(const struct vnet_id *id, char out[VNET_ID_STRLEN]);
/* The canonical xenstore key: short form, or long form with '-'. */
void vnet_id_format_key(const struct vnet_id *id, char out[VNET_ID_STRLEN]);

bool vnet_id_equal(const struct vnet_id *a, const struct vnet_id *b);

/* The value of one hex digit (either case), or -1. */
int vnet_hex_digit(int c);

/* Deterministic 64-bit hash of the id (FNV-1a); the same on every host. */
uint64_t vnet_id_hash(const struct vnet_id *id);

#endif
