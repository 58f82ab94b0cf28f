#include "vnet_escape.h"

#include <stdbool.h>
#include <stdint.h>

size_t vnet_utf8_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Append the n bytes of piece when they fit whole (leaving room for the
 * terminator); once one does not, nothing more is written. */
static void put(char *out, size_t outlen, size_t *len, bool *full, const char *piece, size_t n)
{
	if (!*full && *len + n < outlen) {
		for (size_t i = 0; i < n; i++)
			out[*len + i] = piece[i];
	} else {
		*full = true;
	}
	*len += n;
}

size_t vnet_escape(char *out, size_t outlen, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0, done = 0;
	bool full = outlen == 0;

	while (*p) {
		size_t n = *p >= 0x80 ? vnet_utf8_len((const char *)p) : 1;
		/* U+0080..U+009F are C1 controls: a terminal may act on them. */
		bool c1 = n == 2 && p[0] == 0xc2 && p[1] < 0xa0;

		if (n == 1 && *p >= 0x20 && *p < 0x7f && *p != '\\') {
			put(out, outlen, &len, &full, (const char *)p, 1);
		} else if (n == 1 && *p == '\\') {
			put(out, outlen, &len, &full, "\\\\", 2);
		} else if (n >= 2 && !c1) {
			put(out, outlen, &len, &full, (const char *)p, n);
		} else {
			if (n == 0)
				n = 1;
			for (size_t i = 0; i < n; i++) {
				char e[4] = { '\\', 'x', hex[p[i] >> 4], hex[p[i] & 15] };
				put(out, outlen, &len, &full, e, 4);
			}
		}
		p += n;
		if (!full)
			done = len;
	}
	if (outlen)
		out[done] = '\0';
	return len;
}

size_t vnet_text_width(const char *escaped)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)escaped; *p; p++)
		if ((*p & 0xc0) != 0x80)
			w++;
	return w;
}
