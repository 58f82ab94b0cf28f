/* SXP reader: iterative, bounded, positions on every node and error. */
#include "sxp.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const char *p, *end;
	struct sxp_pos pos;
	size_t nodes;
	struct sxp_error *err;
};

static int fail(struct reader *r, struct sxp_pos at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct reader *r, struct sxp_pos at, const char *fmt, ...)
{
	va_list ap;

	r->err->pos = at;
	va_start(ap, fmt);
	vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void advance(struct reader *r)
{
	if (*r->p == '\n') {
		r->pos.line++;
		r->pos.col = 1;
	} else {
		r->pos.col++;
	}
	r->p++;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Ends a bare atom. */
static bool is_delim(unsigned char c)
{
	return is_space(c) || c == '(' || c == ')' || c == '"' || c == '\'';
}

static int check_byte(struct reader *r, unsigned char c)
{
	if (c == 0)
		return fail(r, r->pos, "NUL byte");
	if (is_control(c) && !is_space(c))
		return fail(r, r->pos, "control character 0x%02x", c);
	return 0;
}

static struct sxp_node *new_node(struct reader *r, enum sxp_kind kind, struct sxp_pos at)
{
	if (r->nodes >= SXP_MAX_NODES) {
		fail(r, at, "more than %d elements", SXP_MAX_NODES);
		return NULL;
	}
	struct sxp_node *n = calloc(1, sizeof(*n));
	if (!n) {
		fail(r, at, "out of memory");
		return NULL;
	}
	r->nodes++;
	n->kind = kind;
	n->pos = at;
	return n;
}

static void skip_comment(struct reader *r)
{
	/* Stop at NUL too: the main loop then rejects it with its position. */
	while (r->p < r->end && *r->p != '\n' && *r->p != '\0')
		advance(r);
}

static int escape_value(char c, char *out)
{
	switch (c) {
	case '\\': *out = '\\'; return 0;
	case '"':  *out = '"'; return 0;
	case '\'': *out = '\''; return 0;
	case 'n':  *out = '\n'; return 0;
	case 't':  *out = '\t'; return 0;
	case 'r':  *out = '\r'; return 0;
	default:   return -1;
	}
}

/* A quoted string starting at r->p; the text goes to buf. */
static int read_string(struct reader *r, char *buf, size_t *len)
{
	struct sxp_pos open = r->pos;
	char quote = *r->p;
	size_t n = 0;

	advance(r);
	for (;;) {
		if (r->p >= r->end)
			return fail(r, open, "string is never closed");
		unsigned char c = (unsigned char)*r->p;
		if (c == (unsigned char)quote) {
			advance(r);
			break;
		}
		if (c == '\n')
			return fail(r, open, "string is not closed before the end of the line");
		if (c != '\t' && check_byte(r, c) < 0)
			return -1;
		char out = (char)c;
		if (c == '\\') {
			struct sxp_pos esc = r->pos;
			advance(r);
			if (r->p >= r->end)
				return fail(r, open, "string is never closed");
			if (escape_value(*r->p, &out) < 0) {
				if (check_byte(r, (unsigned char)*r->p) < 0)
					return -1;
				return fail(r, esc, "unknown escape '\\%c'", *r->p);
			}
		}
		if (n >= SXP_MAX_ATOM)
			return fail(r, open, "string longer than %d bytes", SXP_MAX_ATOM);
		buf[n++] = out;
		advance(r);
	}
	*len = n;
	return 0;
}

static int read_atom(struct reader *r, char *buf, size_t *len)
{
	struct sxp_pos start = r->pos;
	size_t n = 0;

	while (r->p < r->end && !is_delim((unsigned char)*r->p)) {
		if (check_byte(r, (unsigned char)*r->p) < 0)
			return -1;
		if (n >= SXP_MAX_ATOM)
			return fail(r, start, "atom longer than %d bytes", SXP_MAX_ATOM);
		buf[n++] = *r->p;
		advance(r);
	}
	*len = n;
	return 0;
}

static struct sxp_node *make_atom(struct reader *r, struct sxp_pos at, const char *buf, size_t len)
{
	struct sxp_node *n = new_node(r, SXP_ATOM, at);
	if (!n)
		return NULL;
	n->atom = malloc(len + 1);
	if (!n->atom) {
		free(n);
		fail(r, at, "out of memory");
		return NULL;
	}
	memcpy(n->atom, buf, len);
	n->atom[len] = '\0';
	return n;
}

int sxp_parse(const char *buf, size_t len, struct sxp_node **out, struct sxp_error *err)
{
	struct reader r = { buf, buf + len, { 1, 1 }, 0, err };
	struct sxp_node *head = NULL;
	/* tails[d] is where the next element at depth d is linked. */
	struct sxp_node **tails[SXP_MAX_DEPTH + 1];
	struct sxp_node *open[SXP_MAX_DEPTH + 1];
	char text[SXP_MAX_ATOM];
	unsigned depth = 0;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	tails[0] = &head;
	while (r.p < r.end) {
		unsigned char c = (unsigned char)*r.p;
		struct sxp_pos at = r.pos;
		struct sxp_node *n;
		size_t n_text = 0;

		if (is_space(c)) {
			advance(&r);
			continue;
		}
		if (c == '#' || c == ';') {
			skip_comment(&r);
			continue;
		}
		if (c == ')') {
			if (depth == 0) {
				fail(&r, at, "unbalanced ')': no list is open");
				goto bad;
			}
			depth--;
			advance(&r);
			continue;
		}
		if (c == '(') {
			if (depth == SXP_MAX_DEPTH) {
				fail(&r, at, "lists nested deeper than %d", SXP_MAX_DEPTH);
				goto bad;
			}
			if (!(n = new_node(&r, SXP_LIST, at)))
				goto bad;
			*tails[depth] = n;
			tails[depth] = &n->next;
			depth++;
			tails[depth] = &n->child;
			open[depth] = n;
			advance(&r);
			continue;
		}
		if (check_byte(&r, c) < 0)
			goto bad;
		if (c == '"' || c == '\'') {
			if (read_string(&r, text, &n_text) < 0)
				goto bad;
		} else if (read_atom(&r, text, &n_text) < 0) {
			goto bad;
		}
		if (!(n = make_atom(&r, at, text, n_text)))
			goto bad;
		*tails[depth] = n;
		tails[depth] = &n->next;
	}
	if (depth > 0) {
		fail(&r, open[depth]->pos, "'(' is never closed");
		goto bad;
	}
	*out = head;
	return 0;
bad:
	sxp_free(head);
	return -1;
}

void sxp_free(struct sxp_node *n)
{
	/* Splice each list's elements into the sibling chain: no recursion. */
	while (n) {
		if (n->child) {
			struct sxp_node *last = n->child;
			while (last->next)
				last = last->next;
			last->next = n->next;
			n->next = n->child;
			n->child = NULL;
		}
		struct sxp_node *next = n->next;
		free(n->atom);
		free(n);
		n = next;
	}
}
