/* Reading a few keys of a xenstore directory without blocking the loop
 * (see xs_keys.h). */
#include "xs_keys.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Directories read at once: their requests (a few dozen bytes per key)
 * stay far below the socket's buffer, and the probe's own question is
 * not queued behind thousands of reads. */
#define SLOTS 32
#define KEYS_MAX 8

struct dirread;

struct keyref {
	struct dirread *r;
	unsigned i;
};

struct dirread {
	struct xs_keys *q;
	char dir[160];
	char *val[KEYS_MAX];
	struct keyref ref[KEYS_MAX];
	unsigned got;          /* answers (or cancellations) so far */
	int failed;            /* an errno xenstored answered with, or 0 */
	bool started, again, cancelled;
	struct dirread *next;
};

struct xs_keys {
	struct xsconn *c;
	const char *const *names;
	unsigned n;
	xs_keys_done *done;
	void *arg;
	struct dirread *head, **tail; /* in arrival order */
	size_t started;        /* reads under way (at most SLOTS) */
};

struct xs_keys *xs_keys_new(struct xsconn *c, const char *const *names, size_t n, xs_keys_done *done, void *arg)
{
	struct xs_keys *q;

	if (n > KEYS_MAX || !(q = calloc(1, sizeof(*q))))
		return NULL;
	q->c = c;
	q->names = names;
	q->n = (unsigned)n;
	q->done = done;
	q->arg = arg;
	q->tail = &q->head;
	return q;
}

static void clear_vals(struct xs_keys *q, struct dirread *r)
{
	for (unsigned i = 0; i < q->n; i++) {
		free(r->val[i]);
		r->val[i] = NULL;
	}
}

static void unlink_read(struct xs_keys *q, struct dirread *r)
{
	for (struct dirread **p = &q->head; *p; p = &(*p)->next) {
		if (*p != r)
			continue;
		*p = r->next;
		if (q->tail == &r->next)
			q->tail = p;
		break;
	}
	q->started -= r->started;
	clear_vals(q, r);
	free(r);
}

static void finish(struct dirread *r);

static void on_answer(void *arg, const char *value, int err)
{
	struct keyref *k = arg;
	struct dirread *r = k->r;

	if (!err && !(r->val[k->i] = strdup(value)))
		err = ENOMEM;
	if (err == ECANCELED)
		r->cancelled = true;
	else if (err && err != ENOENT && !r->failed)
		r->failed = err;
	if (++r->got == r->q->n)
		finish(r);
}

static void start(struct xs_keys *q, struct dirread *r)
{
	char path[sizeof(r->dir) + 64];
	unsigned i;

	if (!r->started)
		q->started++;
	r->started = true;
	r->again = r->cancelled = false;
	r->failed = 0;
	r->got = 0;
	clear_vals(q, r);
	for (i = 0; i < q->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, q->names[i]);
		if (xsconn_read(q->c, path, on_answer, &r->ref[i]) < 0)
			break;
	}
	if (i < q->n) {
		/* Not connected, or the request did not go: what was sent is
		 * cancelled with the connection, which reads everything again. */
		xsconn_failed(q->c, errno);
		r->cancelled = true;
		r->got += q->n - i;
		if (r->got == q->n)
			finish(r);
	}
}

/* Start waiting reads while there are free slots. */
static void fill_slots(struct xs_keys *q)
{
	for (struct dirread *r = q->head; r && q->started < SLOTS; r = r->next)
		if (!r->started) {
			start(q, r);
			return fill_slots(q); /* start may have unlinked anything */
		}
}

/* Forget the reads not started: the reconnection reads every directory. */
static void drop_waiting(struct xs_keys *q)
{
	struct dirread *r = q->head;

	while (r) {
		struct dirread *next = r->next;
		if (!r->started)
			unlink_read(q, r);
		r = next;
	}
}

static void finish(struct dirread *r)
{
	struct xs_keys *q = r->q;

	if (r->cancelled || r->failed) {
		int e = r->failed;
		unlink_read(q, r);
		drop_waiting(q);
		if (e)
			xsconn_failed(q->c, e);
		return;
	}
	q->done(q->arg, r->dir, r->val);
	if (r->again) {
		start(q, r);
		return;
	}
	unlink_read(q, r);
	fill_slots(q);
}

void xs_keys_read(struct xs_keys *q, const char *dir)
{
	struct dirread *r;

	for (r = q->head; r; r = r->next) {
		if (strcmp(r->dir, dir) == 0) {
			r->again |= r->started; /* a waiting one reads it all anyway */
			return;
		}
	}
	if (strlen(dir) >= sizeof(r->dir) || !(r = calloc(1, sizeof(*r)))) {
		xsconn_failed(q->c, ENOMEM);
		return;
	}
	r->q = q;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	for (unsigned i = 0; i < q->n; i++)
		r->ref[i] = (struct keyref){ r, i };
	*q->tail = r;
	q->tail = &r->next;
	if (q->started < SLOTS)
		start(q, r);
}

void xs_keys_free(struct xs_keys *q)
{
	if (!q)
		return;
	while (q->head)
		unlink_read(q, q->head);
	free(q);
}
