/* (vnet ...) forms -> struct vnet_raw, checked by the schema's own code. */
#include "vnet_sxp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const field_names[VNET_SXP_NFIELDS] = {
	[VNET_SXP_ID] = "id",
	[VNET_SXP_BRIDGE] = "bridge",
	[VNET_SXP_VNETIF] = "vnetif",
	[VNET_SXP_SECURITY] = "security",
	[VNET_SXP_MTU] = "mtu",
	[VNET_SXP_VNI] = "vni",
};

const char *vnet_sxp_field_name(enum vnet_sxp_field f)
{
	return (unsigned)f < VNET_SXP_NFIELDS ? field_names[f] : "?";
}

static int fail(struct sxp_error *err, struct sxp_pos at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct sxp_error *err, struct sxp_pos at, const char *fmt, ...)
{
	va_list ap;

	err->pos = at;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int field_index(const char *name)
{
	for (int i = 0; i < VNET_SXP_NFIELDS; i++)
		if (strcmp(name, field_names[i]) == 0)
			return i;
	return -1;
}

static const char **raw_slot(struct vnet_raw *raw, enum vnet_sxp_field f)
{
	switch (f) {
	case VNET_SXP_ID: return &raw->key;
	case VNET_SXP_BRIDGE: return &raw->bridge;
	case VNET_SXP_VNETIF: return &raw->vnetif;
	case VNET_SXP_SECURITY: return &raw->security;
	case VNET_SXP_MTU: return &raw->mtu;
	default: return &raw->vni;
	}
}

static bool present(const struct sxp_pos *p)
{
	return p->line != 0;
}

/* The schema's messages start with the field they blame ("mtu '9' is ...");
 * point at that field's value when the file gave it. */
static struct sxp_pos blame(const struct vnet_sxp *v, const char *msg)
{
	for (int i = 0; i < VNET_SXP_NFIELDS; i++) {
		size_t n = strlen(field_names[i]);
		if (strncmp(msg, field_names[i], n) == 0 && (msg[n] == ' ' || msg[n] == ':') &&
		    present(&v->at[i]))
			return v->at[i];
	}
	return v->form;
}

static int read_field(struct vnet_sxp *v, const struct sxp_node *f, struct sxp_error *err)
{
	const struct sxp_node *name = f->child, *val;
	int idx;

	if (f->kind != SXP_LIST)
		return fail(err, f->pos, "expected a field such as (bridge NAME), found '%.40s'", f->atom);
	if (!name)
		return fail(err, f->pos, "empty field ()");
	if (name->kind != SXP_ATOM)
		return fail(err, name->pos, "a field must start with its name, not a list");
	idx = field_index(name->atom);
	if (idx < 0)
		return fail(err, name->pos,
			    "unknown field '%.40s' (known: id, bridge, vnetif, security, mtu, vni)",
			    name->atom);
	if (present(&v->at[idx]))
		return fail(err, name->pos, "duplicate field '%s' (first given at %u:%u)",
			    field_names[idx], v->name_at[idx].line, v->name_at[idx].col);
	val = name->next;
	if (!val)
		return fail(err, f->pos, "field '%s' has no value", field_names[idx]);
	if (val->kind != SXP_ATOM)
		return fail(err, val->pos, "field '%s' takes a single word, not a list", field_names[idx]);
	if (val->next)
		return fail(err, val->next->pos, "field '%s' takes exactly one value", field_names[idx]);
	v->at[idx] = val->pos;
	v->name_at[idx] = name->pos;
	*raw_slot(&v->raw, (enum vnet_sxp_field)idx) = val->atom;
	return 0;
}

int vnet_sxp_read(const char *buf, size_t len, struct vnet_sxp *v, struct sxp_error *err)
{
	const struct sxp_node *top;
	char why[160];

	memset(v, 0, sizeof(*v));
	if (sxp_parse(buf, len, &v->tree, err) < 0)
		return -1;
	top = v->tree;
	if (!top)
		return fail(err, (struct sxp_pos){ 1, 1 }, "no (vnet ...) form");
	if (top->kind != SXP_LIST || !top->child || top->child->kind != SXP_ATOM ||
	    strcmp(top->child->atom, "vnet") != 0)
		return fail(err, top->pos, "expected (vnet (id ID) (bridge NAME) ...)");
	if (top->next)
		return fail(err, top->next->pos, "a file defines one vnet; unexpected text after (vnet ...)");
	v->form = top->pos;
	for (const struct sxp_node *f = top->child->next; f; f = f->next)
		if (read_field(v, f, err) < 0)
			return -1;
	if (!v->raw.key)
		return fail(err, v->form, "missing field (id ID)");
	if (!v->raw.bridge)
		return fail(err, v->form, "missing field (bridge NAME)");
	if (vnet_def_from_raw(&v->raw, &v->def, why, sizeof(why)) < 0)
		return fail(err, blame(v, why), "%s", why);
	return 0;
}

void vnet_sxp_free(struct vnet_sxp *v)
{
	sxp_free(v->tree);
	v->tree = NULL;
}
