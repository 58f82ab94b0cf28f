/* The xenstore liveness probe against a listening unix socket that plays
 * xenstored: the question on the wire, answers in pieces, answers to
 * other questions, a silent store, a closed one, nonsense; the watches it
 * carries (the request, events, a refusal); reads (answered in order,
 * refused, out of order, cancelled by closing). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#include "xs_probe.h"

struct store {
	char dir[64];
	char path[96];
	int lfd;   /* listening */
	int fd;    /* the probe's connection, accepted */
	struct xs_probe *p;
};

static int setup(void **state)
{
	struct store *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	assert_non_null(s);
	snprintf(s->dir, sizeof(s->dir), "/tmp/xs-probe.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/socket", s->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	setenv("XENSTORED_PATH", s->path, 1);
	s->p = xs_probe_open();
	assert_non_null(s->p);
	s->fd = accept(s->lfd, NULL, NULL);
	assert_true(s->fd >= 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct store *s = *state;

	xs_probe_close(s->p);
	if (s->fd >= 0)
		close(s->fd);
	close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
	unsetenv("XENSTORED_PATH");
	free(s);
	return 0;
}

/* Read the probe's question; returns its req_id. */
static uint32_t question(struct store *s)
{
	struct xsd_sockmsg h;
	char body[8];

	assert_int_equal(read(s->fd, &h, sizeof(h)), sizeof(h));
	assert_int_equal(h.type, XS_DIRECTORY);
	assert_int_equal(h.tx_id, 0);
	assert_int_equal(h.len, 2);
	assert_int_equal(read(s->fd, body, h.len), 2);
	assert_memory_equal(body, "/", 2);
	return h.req_id;
}

static void answer(struct store *s, uint32_t type, uint32_t req_id, const char *body, size_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .len = (uint32_t)len };

	assert_int_equal(write(s->fd, &h, sizeof(h)), sizeof(h));
	if (len)
		assert_int_equal(write(s->fd, body, len), (ssize_t)len);
}

static void asks_and_is_answered(void **state)
{
	struct store *s = *state;
	uint32_t id;

	assert_false(xs_probe_waiting(s->p));
	assert_int_equal(xs_probe_read(s->p), 0); /* nothing yet: not gone */
	assert_int_equal(xs_probe_ask(s->p), 0);
	assert_true(xs_probe_waiting(s->p));
	assert_int_equal(xs_probe_ask(s->p), 0);  /* one question at a time */
	id = question(s);
	assert_int_equal(xs_probe_read(s->p), 0);
	answer(s, XS_DIRECTORY, id, "local\0tool\0vnet\0", 16);
	assert_int_equal(xs_probe_read(s->p), 1);
	assert_false(xs_probe_waiting(s->p));
	/* The next question has a new id; an error answer counts too. */
	assert_int_equal(xs_probe_ask(s->p), 0);
	assert_int_not_equal(question(s), id);
	answer(s, XS_ERROR, id + 1, "EACCES", 7);
	assert_int_equal(xs_probe_read(s->p), 1);
}

static void answer_in_pieces(void **state)
{
	struct store *s = *state;
	struct xsd_sockmsg h = { .type = XS_DIRECTORY, .len = 5 };
	const char *bytes = (const char *)&h;

	assert_int_equal(xs_probe_ask(s->p), 0);
	h.req_id = question(s);
	for (size_t i = 0; i < sizeof(h); i += 5) {
		size_t n = sizeof(h) - i < 5 ? sizeof(h) - i : 5;
		assert_int_equal(write(s->fd, bytes + i, n), (ssize_t)n);
		assert_int_equal(xs_probe_read(s->p), 0);
	}
	assert_int_equal(write(s->fd, "a\0b", 3), 3);
	assert_int_equal(xs_probe_read(s->p), 0);
	assert_int_equal(write(s->fd, "\0\0", 2), 2);
	assert_int_equal(xs_probe_read(s->p), 1);
}

static void other_answers_do_not_count(void **state)
{
	struct store *s = *state;
	uint32_t id;

	assert_int_equal(xs_probe_ask(s->p), 0);
	id = question(s);
	answer(s, XS_DIRECTORY, id + 7, "x", 2); /* not our question */
	assert_int_equal(xs_probe_read(s->p), 0);
	assert_true(xs_probe_waiting(s->p));
	answer(s, XS_DIRECTORY, id, "", 0);
	assert_int_equal(xs_probe_read(s->p), 1);
}

static void a_silent_store_stays_waiting(void **state)
{
	struct store *s = *state;

	assert_int_equal(xs_probe_ask(s->p), 0);
	question(s);
	for (int i = 0; i < 3; i++)
		assert_int_equal(xs_probe_read(s->p), 0);
	assert_true(xs_probe_waiting(s->p));
}

static void a_closed_store_is_gone(void **state)
{
	struct store *s = *state;

	assert_int_equal(xs_probe_ask(s->p), 0);
	question(s);
	close(s->fd);
	s->fd = -1;
	assert_int_equal(xs_probe_read(s->p), -1);
}

static void nonsense_is_gone(void **state)
{
	struct store *s = *state;
	uint32_t id;

	assert_int_equal(xs_probe_ask(s->p), 0);
	id = question(s);
	answer(s, XS_DIRECTORY, id, NULL, 0);
	assert_int_equal(xs_probe_read(s->p), 1);
	/* A length no directory of "/" has. */
	struct xsd_sockmsg h = { .type = XS_DIRECTORY, .req_id = id, .len = 1u << 30 };
	assert_int_equal(write(s->fd, &h, sizeof(h)), sizeof(h));
	assert_int_equal(xs_probe_read(s->p), -1);
}

/* What the event callback saw. */
struct seen {
	unsigned n;
	char path[64], token[64]; /* the last one; path "" for a refusal */
};

static void record(void *arg, const char *path, const char *token)
{
	struct seen *w = arg;

	w->n++;
	snprintf(w->path, sizeof(w->path), "%s", path ? path : "");
	snprintf(w->token, sizeof(w->token), "%s", token);
}

/* Read the probe's watch request; returns its req_id. */
static uint32_t watch_request(struct store *s, const char *path, const char *token)
{
	struct xsd_sockmsg h;
	char body[64], want[64];
	size_t plen = strlen(path) + 1, len = plen + strlen(token) + 1;

	memcpy(want, path, plen);
	memcpy(want + plen, token, strlen(token) + 1);
	assert_int_equal(read(s->fd, &h, sizeof(h)), sizeof(h));
	assert_int_equal(h.type, XS_WATCH);
	assert_int_equal(h.tx_id, 0);
	assert_int_equal(h.len, len);
	assert_int_equal(read(s->fd, body, h.len), (ssize_t)len);
	assert_memory_equal(body, want, len);
	return h.req_id;
}

/* Events to w, a watch placed, then a question; their req_ids. */
static void watch_and_ask(struct store *s, struct seen *w, const char *path, const char *token,
			  uint32_t *wid, uint32_t *id)
{
	xs_probe_on_event(s->p, record, w);
	assert_int_equal(xs_probe_watch(s->p, path, token), 0);
	*wid = watch_request(s, path, token);
	assert_int_equal(xs_probe_ask(s->p), 0);
	*id = question(s);
	assert_int_not_equal(*wid, *id);
}

static void watches_and_their_events(void **state)
{
	struct store *s = *state;
	struct seen w = { 0 };
	uint32_t wid, id;

	watch_and_ask(s, &w, "/vnet", "vnet", &wid, &id);
	/* In order: the watch's OK, its first event, an event, the answer. */
	answer(s, XS_WATCH, wid, "OK", 3);
	answer(s, XS_WATCH_EVENT, 0, "/vnet\0vnet", 11);
	assert_int_equal(xs_probe_read(s->p), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.path, "/vnet");
	assert_string_equal(w.token, "vnet");
	assert_true(xs_probe_waiting(s->p));
	answer(s, XS_WATCH_EVENT, 0, "/vnet/97/bridge\0vnet", 21);
	answer(s, XS_DIRECTORY, id, "vnet", 5);
	assert_int_equal(xs_probe_read(s->p), 1);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.path, "/vnet/97/bridge");
	/* An event without a token is nonsense: not passed on. */
	answer(s, XS_WATCH_EVENT, 0, "/vnet", 6);
	assert_int_equal(xs_probe_read(s->p), 0);
	assert_int_equal(w.n, 2);
}

static void a_refused_watch_is_told(void **state)
{
	struct store *s = *state;
	struct seen w = { 0 };
	uint32_t wid, id;

	watch_and_ask(s, &w, "/local/domain/0/backend/vif", "vif", &wid, &id);
	answer(s, XS_ERROR, wid, "EACCES", 7);
	assert_int_equal(xs_probe_read(s->p), 0); /* not the question's answer */
	assert_int_equal(w.n, 1);
	assert_string_equal(w.path, "");
	assert_string_equal(w.token, "EACCES");
	answer(s, XS_DIRECTORY, id, "", 0);
	assert_int_equal(xs_probe_read(s->p), 1);
}

/* What the answer callback saw, in order. */
struct answers {
	unsigned n;
	char val[4][32]; /* "" for none */
	int err[4];
};

static void got_answer(void *arg, const char *value, int err)
{
	struct answers *a = arg;

	if (a->n < 4) {
		snprintf(a->val[a->n], sizeof(a->val[0]), "%s", value ? value : "");
		a->err[a->n] = err;
	}
	a->n++;
}

/* Read the probe's read request for @path; returns its req_id. */
static uint32_t read_request(struct store *s, const char *path)
{
	struct xsd_sockmsg h;
	char body[64];

	assert_int_equal(read(s->fd, &h, sizeof(h)), sizeof(h));
	assert_int_equal(h.type, XS_READ);
	assert_int_equal(h.tx_id, 0);
	assert_int_equal(h.len, strlen(path) + 1);
	assert_int_equal(read(s->fd, body, h.len), (ssize_t)h.len);
	assert_string_equal(body, path);
	return h.req_id;
}

static void reads_are_answered_in_order(void **state)
{
	struct store *s = *state;
	struct answers a = { 0 };
	struct seen w = { 0 };
	uint32_t r1, r2, id;

	xs_probe_on_event(s->p, record, &w);
	assert_int_equal(xs_probe_read_key(s->p, "/a/mac", got_answer, &a), 0);
	assert_int_equal(xs_probe_read_key(s->p, "/a/ip", got_answer, &a), 0);
	assert_int_equal(xs_probe_ask(s->p), 0);
	r1 = read_request(s, "/a/mac");
	r2 = read_request(s, "/a/ip");
	id = question(s);
	assert_int_not_equal(r1, r2);
	assert_int_not_equal(r1, id);
	assert_int_equal(xs_probe_reads(s->p), 2);
	/* A value, an event in between, a refusal, then the question's answer. */
	answer(s, XS_READ, r1, "00:16:3e:00:00:01", 17);
	answer(s, XS_WATCH_EVENT, 0, "/a/ip\0vif", 10);
	answer(s, XS_ERROR, r2, "ENOENT", 7);
	answer(s, XS_DIRECTORY, id, "", 0);
	assert_int_equal(xs_probe_read(s->p), 1);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.val[0], "00:16:3e:00:00:01"); /* NUL-terminated */
	assert_int_equal(a.err[0], 0);
	assert_int_equal(a.err[1], ENOENT);
	assert_int_equal(w.n, 1);
	assert_int_equal(xs_probe_reads(s->p), 0);
}

static void an_answer_to_no_read_is_nonsense(void **state)
{
	struct store *s = *state;
	struct answers a = { 0 };
	uint32_t r;

	assert_int_equal(xs_probe_read_key(s->p, "/a/mac", got_answer, &a), 0);
	r = read_request(s, "/a/mac");
	answer(s, XS_READ, r + 1, "x", 1); /* out of order */
	assert_int_equal(xs_probe_read(s->p), -1);
	assert_int_equal(a.n, 0);
}

static void closing_cancels_the_reads(void **state)
{
	struct store *s = *state;
	struct answers a = { 0 };

	for (int i = 0; i < 3; i++)
		assert_int_equal(xs_probe_read_key(s->p, "/a/state", got_answer, &a), 0);
	xs_probe_close(s->p);
	s->p = NULL;
	assert_int_equal(a.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(a.err[i], ECANCELED);
}

static void no_store_no_probe(void **state)
{
	(void)state;
	setenv("XENSTORED_PATH", "/nonexistent/xenvnet/socket", 1);
	assert_null(xs_probe_open());
	unsetenv("XENSTORED_PATH");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(asks_and_is_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(answer_in_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(other_answers_do_not_count, setup, teardown),
		cmocka_unit_test_setup_teardown(a_silent_store_stays_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(a_closed_store_is_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(nonsense_is_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(watches_and_their_events, setup, teardown),
		cmocka_unit_test_setup_teardown(a_refused_watch_is_told, setup, teardown),
		cmocka_unit_test_setup_teardown(reads_are_answered_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(an_answer_to_no_read_is_nonsense, setup, teardown),
		cmocka_unit_test_setup_teardown(closing_cancels_the_reads, setup, teardown),
		cmocka_unit_test(no_store_no_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
