/* Table and JSON output. */
#include "vn_output.h"
#include "vnet_escape.h"

#include <stdlib.h>
#include <string.h>

#define GAP 2   /* spaces between columns */

/* Correct UTF-8 passes through; control characters (C0, DEL, C1) are
 * \u escapes; a byte that is not part of well-formed UTF-8 becomes U+FFFD,
 * so the output is always valid JSON text (RFC 8259 wants UTF-8). */
void vn_json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = *p >= 0x80 ? vnet_utf8_len((const char *)p) : 1;
		if (n == 0) {
			fputs("\\ufffd", out);
			n = 1;
		} else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			fprintf(out, "\\u%04x", p[1]);
		} else if (n > 1) {
			fwrite(p, 1, n, out);
		} else if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p);
		} else if (*p == '\n') {
			fputs("\\n", out);
		} else if (*p == '\t') {
			fputs("\\t", out);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p);
		} else {
			fputc(*p, out);
		}
		p += n;
	}
	fputc('"', out);
}

static bool is_number(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	return strspn(s, "0123456789") == n;
}

void vn_json_number(FILE *out, const char *s)
{
	fputs(is_number(s) ? s : "null", out);
}

static void json_key(FILE *out, const char *key)
{
	fprintf(out, "\"%s\":", key);
}

static void json_list(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('[', out);
	if (*s) {
		char *copy = strdup(s), *save = NULL;
		bool first = true;
		for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
		     t = strtok_r(NULL, ",", &save)) {
			if (!first)
				fputc(',', out);
			vn_json_string(out, t);
			first = false;
		}
		free(copy);
	}
	fputc(']', out);
}

static void print_json(FILE *out, const struct vn_rows *rows, const struct vn_col *cols, size_t ncols)
{
	if (rows->n == 0) {
		fputs("[]\n", out);
		return;
	}
	fputs("[\n", out);
	for (size_t i = 0; i < rows->n; i++) {
		fputs("  {", out);
		vn_json_fields(out, &rows->v[i], cols, ncols);
		fputs(i + 1 < rows->n ? "},\n" : "}\n", out);
	}
	fputs("]\n", out);
}

void vn_json_fields(FILE *out, const struct vn_record *r, const struct vn_col *cols, size_t ncols)
{
	for (size_t c = 0; c < ncols; c++) {
		const char *v = vn_record_get(r, cols[c].key);
		if (c)
			fputc(',', out);
		json_key(out, cols[c].key);
		switch (cols[c].type) {
		case VN_COL_NUM:
			vn_json_number(out, v);
			break;
		case VN_COL_LIST:
			json_list(out, v);
			break;
		case VN_COL_BOOL:
			fputs(v && strcmp(v, "true") == 0 ? "true" : "false", out);
			break;
		default:
			vn_json_string(out, v);
		}
	}
}

static const char *cell(const struct vn_record *r, const struct vn_col *col)
{
	const char *v = vn_record_get(r, col->key);

	return v && *v ? v : "-";
}

/* A table cell as it reaches the terminal: escaped (vnet_escape). */
static char *cell_text(const char *s)
{
	size_t n = vnet_escape(NULL, 0, s) + 1;
	char *t = malloc(n);

	if (t)
		vnet_escape(t, n, s);
	return t;
}

void vn_put_text(FILE *out, const char *s)
{
	char *t = cell_text(s ? s : "?");

	fputs(t ? t : "?", out);
	free(t);
}

/* s in a column of width w: left or right aligned, counted in characters. */
static void put_cell(FILE *out, const char *s, size_t w, bool right, bool last)
{
	size_t pad = w > vnet_text_width(s) ? w - vnet_text_width(s) : 0;

	if (right)
		fprintf(out, "%*s", (int)pad, "");
	fputs(s, out);
	if (!right && !last)
		fprintf(out, "%*s", (int)pad, ""); /* no trailing blanks */
	if (!last)
		fprintf(out, "%*s", GAP, "");
}

static void print_table(FILE *out, const struct vn_rows *rows, const struct vn_col *cols, size_t ncols)
{
	size_t width[32] = { 0 }, last = 0;

	/* The header even for no rows: an empty table, not a silent command. */
	if (ncols > 32)
		ncols = 32;
	for (size_t c = 0; c < ncols; c++) {
		if (!cols[c].head)
			continue;
		last = c;
		width[c] = strlen(cols[c].head);
		for (size_t i = 0; i < rows->n; i++) {
			char *t = cell_text(cell(&rows->v[i], &cols[c]));
			size_t w = t ? vnet_text_width(t) : 0;
			if (w > width[c])
				width[c] = w;
			free(t);
		}
	}
	for (size_t i = 0; i <= rows->n; i++) {
		for (size_t c = 0; c < ncols; c++) {
			if (!cols[c].head)
				continue;
			char *t = cell_text(i == 0 ? cols[c].head : cell(&rows->v[i - 1], &cols[c]));
			put_cell(out, t ? t : "?", width[c], cols[c].type == VN_COL_NUM, c == last);
			free(t);
		}
		fputc('\n', out);
	}
}

void vn_print_rows(FILE *out, const struct vn_rows *rows, const struct vn_col *cols,
		   size_t ncols, bool json)
{
	if (json)
		print_json(out, rows, cols, ncols);
	else
		print_table(out, rows, cols, ncols);
}
