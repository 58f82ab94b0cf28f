/* Escaping of untrusted text (values from xenstore, the network or a file)
 * before it reaches a log record or a terminal.  Shared by the daemon's log
 * and vn's tables. */
#ifndef XENVNET_VNET_ESCAPE_H
#define XENVNET_VNET_ESCAPE_H

#include <stddef.h>

/* Copy s into out with every byte that could split a log record or drive a
 * terminal written as \xNN: control characters (newline and ESC included),
 * DEL, the C1 controls U+0080..U+009F and bytes that are not well-formed
 * UTF-8.  A backslash becomes \\ so that the result reads back
 * unambiguously; correct UTF-8 passes through.  out is always terminated
 * (when outlen > 0), cut only between whole escapes or characters.
 * Returns the length the whole result needs, like snprintf. */
size_t vnet_escape(char *out, size_t outlen, const char *s);

/* Length of the well-formed UTF-8 sequence of two to four bytes at s, or 0
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).  Stops
 * at the terminator. */
size_t vnet_utf8_len(const char *s);

/* Columns the escaped text takes on a terminal: one per character (wide
 * characters are not told apart). */
size_t vnet_text_width(const char *escaped);

#endif
