/* A small reader for the SXP (s-expression) files of the original Xen
 * tools: lists in (), bare atoms, "double" or 'single' quoted strings with
 * backslash escapes, and # or ; comments to the end of the line.
 *
 * The reader never recurses while parsing: an explicit stack bounded by
 * SXP_MAX_DEPTH holds the open lists, so hostile nesting fails cleanly. */
#ifndef XENVNET_SXP_H
#define XENVNET_SXP_H

#include <stddef.h>

#define SXP_MAX_DEPTH 32      /* a vnet file needs 2 */
#define SXP_MAX_ATOM  1024    /* longest atom or string, in bytes */
#define SXP_MAX_NODES 65536   /* bounds memory for huge inputs */

enum sxp_kind { SXP_LIST, SXP_ATOM };

/* 1-based; columns count bytes. */
struct sxp_pos {
	unsigned line, col;
};

struct sxp_node {
	enum sxp_kind kind;
	struct sxp_pos pos;      /* where the atom or the '(' starts */
	char *atom;              /* SXP_ATOM: the text, unquoted, NUL-terminated */
	struct sxp_node *child;  /* SXP_LIST: first element, NULL for () */
	struct sxp_node *next;   /* next element of the enclosing list */
};

struct sxp_error {
	struct sxp_pos pos;
	char msg[192];
};

/* Parse all top-level forms of buf[0..len).  On success *out is the first
 * form (NULL for empty input) and the rest follow through ->next.  On
 * failure returns -1, *out is NULL and err says where and why. */
int sxp_parse(const char *buf, size_t len, struct sxp_node **out, struct sxp_error *err);

/* Free a chain of forms as returned by sxp_parse. */
void sxp_free(struct sxp_node *n);

#endif
