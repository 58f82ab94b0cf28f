/* Key=value rows. */
#include "vn_record.h"
#include "vnet_grow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vn_record *vn_rows_add(struct vn_rows *rows, const char *type)
{
	/* Doubling: a varp table can have many thousand rows. */
	struct vn_record *v = vnet_grow(rows->v, &rows->cap, rows->n, sizeof(*v), 16);
	if (!v)
		return NULL;
	rows->v = v;
	struct vn_record *r = &rows->v[rows->n];
	memset(r, 0, sizeof(*r));
	if (!(r->type = strdup(type)))
		return NULL;
	rows->n++;
	return r;
}

int vn_record_set(struct vn_record *r, const char *key, const char *val)
{
	char *v = strdup(val);

	if (!v)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->f[i].key, key) == 0) {
			free(r->f[i].val);
			r->f[i].val = v;
			return 0;
		}
	}
	struct vn_field *f = realloc(r->f, (r->n + 1) * sizeof(*f));
	char *k = strdup(key);
	if (!f || !k) {
		if (f)
			r->f = f;
		free(k);
		free(v);
		return -1;
	}
	r->f = f;
	f[r->n].key = k;
	f[r->n].val = v;
	r->n++;
	return 0;
}

int vn_record_setf(struct vn_record *r, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return vn_record_set(r, key, buf);
}

const char *vn_record_get(const struct vn_record *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].key, key) == 0)
			return r->f[i].val;
	return NULL;
}

void vn_record_clear(struct vn_record *r)
{
	for (size_t j = 0; j < r->n; j++) {
		free(r->f[j].key);
		free(r->f[j].val);
	}
	free(r->f);
	free(r->type);
	memset(r, 0, sizeof(*r));
}

void vn_rows_free(struct vn_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		vn_record_clear(&rows->v[i]);
	free(rows->v);
	rows->v = NULL;
	rows->n = rows->cap = 0;
}

const struct vn_record *vn_rows_first(const struct vn_rows *rows, const char *type)
{
	for (size_t i = 0; i < rows->n; i++)
		if (strcmp(rows->v[i].type, type) == 0)
			return &rows->v[i];
	return NULL;
}
