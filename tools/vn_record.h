/* Rows of key=value fields: what vn gets from the daemon, what it builds
 * from xenstore, and what vn_output prints. */
#ifndef XENVNET_VN_RECORD_H
#define XENVNET_VN_RECORD_H

#include <stddef.h>

struct vn_field {
	char *key, *val;
};

struct vn_record {
	char *type;
	struct vn_field *f;
	size_t n;
};

struct vn_rows {
	struct vn_record *v;
	size_t n, cap;
};

/* Append an empty record of this type; NULL when out of memory. */
struct vn_record *vn_rows_add(struct vn_rows *rows, const char *type);
/* Set key to val (copied), replacing an earlier value; -1 when out of memory. */
int vn_record_set(struct vn_record *r, const char *key, const char *val);
int vn_record_setf(struct vn_record *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The value of key, or NULL. */
const char *vn_record_get(const struct vn_record *r, const char *key);
/* Free one record's contents (the slot itself belongs to its rows). */
void vn_record_clear(struct vn_record *r);
/* The first record of @type, or NULL. */
const struct vn_record *vn_rows_first(const struct vn_rows *rows, const char *type);
void vn_rows_free(struct vn_rows *rows);

#endif
