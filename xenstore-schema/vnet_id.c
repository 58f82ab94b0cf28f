/* vnet id parsing and formatting. */
#include "vnet_id.h"
#include "vnet_err.h"

#include <stdio.h>
#include <string.h>

int vnet_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Shift one hex digit into the low end of the 128-bit id; false on overflow. */
static bool push_digit(struct vnet_id *id, int d)
{
	if (id->b[0] & 0xf0)
		return false;
	for (int i = 0; i < 15; i++)
		id->b[i] = (uint8_t)((id->b[i] << 4) | (id->b[i + 1] >> 4));
	id->b[15] = (uint8_t)((id->b[15] << 4) | d);
	return true;
}

static int parse_short(const char *s, struct vnet_id *id, char *err, size_t errlen)
{
	size_t n = 0;

	for (const char *p = s; *p; p++, n++) {
		int d = vnet_hex_digit(*p);
		if (d < 0)
			return vnet_err(err, errlen, "id '%.40s' is not a hex number", s);
		if (!push_digit(id, d))
			return vnet_err(err, errlen, "id '%.40s...' is wider than 128 bits", s);
	}
	if (n == 0)
		return vnet_err(err, errlen, "id is empty");
	return 0;
}

static int parse_long(const char *s, char sep, struct vnet_id *id, char *err, size_t errlen)
{
	const char *p = s;

	for (int field = 0; field < 8; field++) {
		unsigned v = 0;
		int digits = 0;

		for (; *p && *p != sep; p++, digits++) {
			int d = vnet_hex_digit(*p);
			if (d < 0)
				return vnet_err(err, errlen, "id '%.60s' has a non-hex character", s);
			if (digits == 4)
				return vnet_err(err, errlen, "id '%.60s' has a field of more than 4 digits", s);
			v = (v << 4) | (unsigned)d;
		}
		if (digits == 0)
			return vnet_err(err, errlen, "id '%.60s' has an empty field", s);
		id->b[field * 2] = (uint8_t)(v >> 8);
		id->b[field * 2 + 1] = (uint8_t)v;
		if (field < 7) {
			if (*p != sep)
				return vnet_err(err, errlen, "id '%.60s' has fewer than 8 fields", s);
			p++;
		}
	}
	if (*p)
		return vnet_err(err, errlen, "id '%.60s' has more than 8 fields", s);
	return 0;
}

int vnet_id_parse(const char *s, struct vnet_id *id, char *err, size_t errlen)
{
	struct vnet_id v = { { 0 } };
	int rc;

	if (!s)
		return vnet_err(err, errlen, "id is missing");
	if (strchr(s, ':') && strchr(s, '-'))
		return vnet_err(err, errlen, "id '%.60s' mixes ':' and '-' separators", s);
	if (strchr(s, ':'))
		rc = parse_long(s, ':', &v, err, errlen);
	else if (strchr(s, '-'))
		rc = parse_long(s, '-', &v, err, errlen);
	else
		rc = parse_short(s, &v, err, errlen);
	if (rc < 0)
		return rc;

	static const struct vnet_id zero, one = { .b[15] = 1 };
	if (vnet_id_equal(&v, &zero))
		return vnet_err(err, errlen, "id 0 is invalid");
	if (vnet_id_equal(&v, &one))
		return vnet_err(err, errlen, "id 1 is reserved");
	*id = v;
	return 0;
}

bool vnet_id_is_short(const struct vnet_id *id)
{
	for (int i = 0; i < 14; i++)
		if (id->b[i])
			return false;
	return true;
}

static void format_fields(const struct vnet_id *id, char sep, char out[VNET_ID_STRLEN])
{
	char *p = out;

	for (int f = 0; f < 8; f++) {
		unsigned v = (unsigned)id->b[f * 2] << 8 | id->b[f * 2 + 1];
		if (f)
			*p++ = sep;
		p += snprintf(p, (size_t)(out + VNET_ID_STRLEN - p), "%04x", v);
	}
}

void vnet_id_format_long(const struct vnet_id *id, char out[VNET_ID_STRLEN])
{
	format_fields(id, ':', out);
}

void vnet_id_format(const struct vnet_id *id, char out[VNET_ID_STRLEN])
{
	if (vnet_id_is_short(id))
		snprintf(out, VNET_ID_STRLEN, "%x", (unsigned)id->b[14] << 8 | id->b[15]);
	else
		format_fields(id, ':', out);
}

void vnet_id_format_key(const struct vnet_id *id, char out[VNET_ID_STRLEN])
{
	if (vnet_id_is_short(id))
		vnet_id_format(id, out);
	else
		format_fields(id, '-', out);
}

bool vnet_id_equal(const struct vnet_id *a, const struct vnet_id *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

uint64_t vnet_id_hash(const struct vnet_id *id)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(id->b); i++) {
		h ^= id->b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
