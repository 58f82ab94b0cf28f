/* Printing rows: aligned columns for people (like iproute2), or JSON with
 * a fixed shape for scripts (vn(8), JSON OUTPUT). */
#ifndef XENVNET_VN_OUTPUT_H
#define XENVNET_VN_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "vn_record.h"

enum vn_col_type {
	VN_COL_STR,    /* JSON string, null when absent */
	VN_COL_NUM,    /* JSON number, null when absent or not a number */
	VN_COL_LIST,   /* comma-separated in the record; JSON array of strings, null when absent */
	VN_COL_BOOL,   /* "true"/"false" in the record; JSON boolean */
};

struct vn_col {
	const char *head;   /* table header; NULL: JSON only */
	const char *key;    /* record key, and the JSON key (hyphens, like the wire) */
	enum vn_col_type type;
};

/* Print rows as a table (the header alone when there are none) or as a JSON
 * array of objects, one member per column in the given order. */
void vn_print_rows(FILE *out, const struct vn_rows *rows, const struct vn_col *cols,
		   size_t ncols, bool json);

/* One record's members, "key":value,... (no braces), as the columns say. */
void vn_json_fields(FILE *out, const struct vn_record *r, const struct vn_col *cols, size_t ncols);

/* Untrusted text for a terminal, escaped (vnet_escape); NULL prints "?". */
void vn_put_text(FILE *out, const char *s);

/* JSON pieces for outputs that are not tables. */
void vn_json_string(FILE *out, const char *s);   /* "..." or null */
void vn_json_number(FILE *out, const char *s);   /* digits, or null */

#endif
