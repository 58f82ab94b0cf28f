/* Replay windows: duplicates, reordering, the window's edge, freshness,
 * the bounded origin table, the receive decision, and loop-free flooding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "unit_addr.h"

#define NOW 1767225600000000u           /* 2026-01-01, in microseconds */
#define SEC 1000000u

#define host unit_addr

static enum replay_verdict check(struct replay *r, uint32_t origin, uint64_t counter)
{
	struct proto_addr a = host(origin);

	return replay_check(r, &a, counter, NOW, NOW);
}

static void duplicate(void **state)
{
	struct replay *r = replay_new(256, 60, 0);

	(void)state;
	assert_int_equal(check(r, 1, 1000), REPLAY_OK);
	assert_int_equal(check(r, 1, 1000), REPLAY_DUP);
	assert_int_equal(check(r, 2, 1000), REPLAY_OK);     /* per origin */
	assert_int_equal(check(r, 1, 1001), REPLAY_OK);
	assert_int_equal(check(r, 1, 1001), REPLAY_DUP);
	assert_int_equal(check(r, 1, 1000), REPLAY_DUP);
	assert_int_equal(replay_origins(r), 2);
	replay_free(r);
}

static void reorder_within_window(void **state)
{
	struct replay *r = replay_new(256, 60, 0);
	uint64_t top = 5000;

	(void)state;
	assert_int_equal(check(r, 1, top), REPLAY_OK);
	/* Every counter of the window below the top, in reverse, once. */
	for (uint64_t c = top - 1; c > top - 256; c--)
		assert_int_equal(check(r, 1, c), REPLAY_OK);
	for (uint64_t c = top; c > top - 256; c--)
		assert_int_equal(check(r, 1, c), REPLAY_DUP);
	assert_int_equal(check(r, 1, top - 256), REPLAY_OLD);
	assert_int_equal(check(r, 1, 0), REPLAY_OLD);
	replay_free(r);
}

static void too_old_and_jumps(void **state)
{
	struct replay *r = replay_new(300, 60, 0);         /* rounds up to 320 */

	(void)state;
	assert_int_equal(check(r, 1, 1u << 20), REPLAY_OK);
	assert_int_equal(check(r, 1, (1u << 20) - 319), REPLAY_OK);
	assert_int_equal(check(r, 1, (1u << 20) - 320), REPLAY_OLD);
	/* A jump past the whole window (a restart of the origin) clears it. */
	assert_int_equal(check(r, 1, 1u << 30), REPLAY_OK);
	assert_int_equal(check(r, 1, (1u << 30) - 1), REPLAY_OK);
	assert_int_equal(check(r, 1, 1u << 20), REPLAY_OLD);
	/* Extremes of the counter space. */
	assert_int_equal(check(r, 2, 0), REPLAY_OK);
	assert_int_equal(check(r, 2, UINT64_MAX), REPLAY_OK);
	assert_int_equal(check(r, 2, UINT64_MAX - 1), REPLAY_OK);
	assert_int_equal(check(r, 2, UINT64_MAX), REPLAY_DUP);
	assert_int_equal(check(r, 2, 0), REPLAY_OLD);
	replay_free(r);
}

/* Against a model that remembers every accepted counter: the verdicts must
 * agree exactly, across word boundaries and the ring's wrap. */
static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void against_model(void **state)
{
	enum { N = 200000 };
	static const unsigned windows[] = { 256, 320, 1024, 4096 };
	uint64_t *seen = malloc(N * sizeof(*seen));

	(void)state;
	assert_non_null(seen);
	srand(4);
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		struct replay *r = replay_new(windows[w], 60, 0);
		uint64_t top = 0, base = 1u << 16;
		size_t nseen = 0;
		bool any = false;

		for (int i = 0; i < N; i++) {
			/* Mostly near the top, sometimes jumps ahead or far back. */
			int k = rand() % 100;
			uint64_t c = k < 90 ? base + (uint64_t)(rand() % (int)(windows[w] + 130)) :
				     k < 97 ? base + windows[w] + (uint64_t)(rand() % 5000) :
					      base - (uint64_t)(rand() % 65536);
			if (k < 2)
				base += (uint64_t)(rand() % 200);
			enum replay_verdict want;
			if (!any || c > top)
				want = REPLAY_OK;
			else if (top - c >= windows[w] / 64 * 64 + (windows[w] % 64 ? 64 : 0))
				want = REPLAY_OLD;
			else
				want = bsearch(&c, seen, nseen, sizeof(*seen), cmp64) ? REPLAY_DUP : REPLAY_OK;
			enum replay_verdict got = check(r, 9, c);
			if (got != want)
				fail_msg("window %u step %d counter %llu top %llu: got %d want %d", windows[w], i,
					 (unsigned long long)c, (unsigned long long)top, got, want);
			if (want == REPLAY_OK) {
				if (!any || c > top)
					top = c;
				any = true;
				/* Keep the model sorted: insertion near the end. */
				size_t j = nseen++;
				while (j > 0 && seen[j - 1] > c) {
					seen[j] = seen[j - 1];
					j--;
				}
				seen[j] = c;
			}
			if (nseen == N)
				break;
		}
		replay_free(r);
	}
	free(seen);
}

static void stale(void **state)
{
	struct replay *r = replay_new(256, 60, 0);
	struct proto_addr a = host(1);

	(void)state;
	assert_int_equal(replay_check(r, &a, 1, NOW - 61 * SEC, NOW), REPLAY_STALE);
	assert_int_equal(replay_check(r, &a, 1, NOW + 61 * SEC, NOW), REPLAY_STALE);
	assert_int_equal(replay_check(r, &a, 1, 0, NOW), REPLAY_STALE);
	assert_int_equal(replay_check(r, &a, 1, UINT64_MAX, NOW), REPLAY_STALE);
	assert_int_equal(replay_origins(r), 0);         /* stale creates nothing */
	assert_int_equal(replay_check(r, &a, 1, NOW - 60 * SEC, NOW), REPLAY_OK);
	assert_int_equal(replay_check(r, &a, 2, NOW + 60 * SEC, NOW), REPLAY_OK);
	/* Staleness is decided first: even a duplicate is reported stale. */
	assert_int_equal(replay_check(r, &a, 2, NOW + 61 * SEC, NOW), REPLAY_STALE);
	replay_free(r);
}

static void origin_table_bound(void **state)
{
	struct replay *r = replay_new(256, 60, 4);

	(void)state;
	for (uint32_t o = 1; o <= 4; o++)
		assert_int_equal(check(r, o, 100), REPLAY_OK);
	assert_int_equal(check(r, 1, 101), REPLAY_OK);      /* 1 is now the most recent */
	assert_int_equal(check(r, 5, 100), REPLAY_OK);      /* evicts 2, the least recent */
	assert_int_equal(replay_origins(r), 4);
	assert_int_equal(check(r, 1, 100), REPLAY_DUP);
	assert_int_equal(check(r, 3, 100), REPLAY_DUP);
	/* Only acceptance refreshes an origin: 3 is now the least recent. */
	assert_int_equal(check(r, 2, 100), REPLAY_OK);      /* forgotten: new again (evicts 3) */
	assert_int_equal(check(r, 5, 100), REPLAY_DUP);
	assert_int_equal(check(r, 4, 100), REPLAY_DUP);
	assert_int_equal(check(r, 3, 100), REPLAY_OK);
	assert_int_equal(replay_origins(r), 4);
	replay_free(r);

	/* The default bound, 10000 origins. */
	r = replay_new(256, 60, 0);
	for (uint32_t o = 0; o < REPLAY_ORIGINS_DEFAULT + 500; o++)
		assert_int_equal(check(r, o, 7), REPLAY_OK);
	assert_int_equal(replay_origins(r), REPLAY_ORIGINS_DEFAULT);
	assert_int_equal(check(r, REPLAY_ORIGINS_DEFAULT + 499, 7), REPLAY_DUP);
	assert_int_equal(check(r, 500, 7), REPLAY_DUP);     /* the oldest kept */
	assert_int_equal(check(r, 499, 7), REPLAY_OK);      /* evicted */
	replay_free(r);
}

static void forget(void **state)
{
	struct replay *r = replay_new(256, 60, 3);
	struct proto_addr a = host(1);

	(void)state;
	assert_int_equal(check(r, 1, 50), REPLAY_OK);
	assert_int_equal(check(r, 2, 50), REPLAY_OK);
	replay_forget(r, &(struct proto_addr){ { 0 } }, NOW);   /* unknown: nothing */
	replay_forget(r, &a, NOW);
	assert_int_equal(replay_origins(r), 2);
	/* A host whose clock went back across a restart is heard again, once
	 * the freshness window has passed since it was forgotten. */
	assert_int_equal(replay_check(r, &a, 10, NOW + 61 * SEC, NOW + 61 * SEC), REPLAY_OK);
	assert_int_equal(check(r, 2, 50), REPLAY_DUP);
	/* Freed slots are reused, the bound still holds. */
	for (uint32_t o = 10; o < 20; o++) {
		assert_int_equal(check(r, o, 1), REPLAY_OK);
		struct proto_addr b = host(o - 1);
		if (o % 2)
			replay_forget(r, &b, NOW);
	}
	assert_true(replay_origins(r) <= 3);
	replay_free(r);
	replay_free(NULL);
}

/* issue 10: after a host is forgotten, a recording of its messages is not
 * accepted again within the freshness window; its new messages are. */
static void forget_keeps_top(void **state)
{
	struct replay *r = replay_new(256, 60, 0);
	struct proto_addr a = host(1);

	(void)state;
	for (uint64_t c = 1000; c < 1020; c++)
		assert_int_equal(replay_check(r, &a, c, NOW, NOW), REPLAY_OK);
	replay_forget(r, &a, NOW + 1 * SEC);
	/* Replays of every recorded counter, up to 59 s after forgetting. */
	for (uint64_t c = 1000; c < 1020; c++) {
		assert_int_equal(replay_check(r, &a, c, NOW, NOW + 2 * SEC), REPLAY_OLD);
		assert_int_equal(replay_check(r, &a, c, NOW, NOW + 59 * SEC), REPLAY_OLD);
	}
	/* Later the recordings are stale anyway. */
	assert_int_equal(replay_check(r, &a, 1000, NOW, NOW + 62 * SEC), REPLAY_STALE);
	/* The host itself coming back (higher counters) is heard at once. */
	assert_int_equal(replay_check(r, &a, 1020, NOW + 3 * SEC, NOW + 3 * SEC), REPLAY_OK);
	assert_int_equal(replay_check(r, &a, 1019, NOW, NOW + 3 * SEC), REPLAY_DUP);
	replay_free(r);
}

static struct proto_msg msg(uint32_t origin, uint64_t counter, uint64_t time_us)
{
	return (struct proto_msg){ .type = PROTO_HELLO, .origin = host(origin), .counter = counter,
				   .time_us = time_us, .parts = 1 };
}

static void accept_counts_once(void **state)
{
	struct replay *r = replay_new(256, 60, 0);
	struct proto_stats st = { 0 };
	struct proto_addr self = host(0);
	struct proto_msg m = msg(1, 1000, NOW);

	(void)state;
	assert_int_equal(replay_accept(r, &self, PROTO_OK, &m, NOW, &st), 0);
	assert_int_equal(replay_accept(r, &self, PROTO_OK, &m, NOW, &st), -1);
	m = msg(1, 1, NOW);
	assert_int_equal(replay_accept(r, &self, PROTO_OK, &m, NOW, &st), -1);
	m = msg(1, 1001, NOW - 3600 * (uint64_t)SEC);
	assert_int_equal(replay_accept(r, &self, PROTO_OK, &m, NOW, &st), -1);
	m = msg(0, 1, NOW);
	assert_int_equal(replay_accept(r, &self, PROTO_OK, &m, NOW, &st), -1);
	assert_int_equal(replay_accept(r, &self, PROTO_E_MAC, &m, NOW, &st), -1);
	assert_int_equal(replay_accept(r, &self, PROTO_E_VERSION, &m, NOW, &st), -1);
	assert_int_equal(replay_accept(r, &self, PROTO_E_SHORT, &m, NOW, &st), -1);
	assert_int_equal(replay_accept(r, &self, PROTO_E_FORMAT, &m, NOW, &st), -1);
	assert_int_equal(st.ok, 1);
	assert_int_equal(st.dup, 1);
	assert_int_equal(st.replayed, 1);
	assert_int_equal(st.stale, 1);
	assert_int_equal(st.own, 1);
	assert_int_equal(st.bad_mac, 1);
	assert_int_equal(st.version, 1);
	assert_int_equal(st.malformed, 2);
	assert_int_equal(replay_origins(r), 1);         /* own never entered */
	/* Without an address of our own, nothing is "own". */
	assert_int_equal(replay_accept(r, NULL, PROTO_OK, &m, NOW, &st), 0);
	replay_free(r);
}

/* Hosts on a full mesh plus a ring, every host forwarding everything it
 * accepts to every neighbour (the worst case): each host accepts and
 * forwards each message exactly once, and the flood ends. */
static void flood_is_loop_free(void **state)
{
	enum { H = 12, HOPS = 255 };
	struct replay *r[H];
	struct {
		int to;
		uint8_t hops;
	} q[H * H * 2];
	size_t qh = 0, qt = 0;
	int accepted[H] = { 0 }, sent = 0;

	(void)state;
	for (int h = 0; h < H; h++)
		r[h] = replay_new(256, 60, 0);
	struct proto_msg m = msg(100, 77, NOW);   /* written by a host outside */
	q[qt].to = 0;
	q[qt++].hops = HOPS;
	while (qh < qt) {
		int h = q[qh].to;
		uint8_t hops = q[qh++].hops;
		if (replay_check(r[h], &m.origin, m.counter, m.time_us, NOW) != REPLAY_OK)
			continue;
		accepted[h]++;
		if (hops <= 1)
			continue;
		for (int n = 0; n < H; n++) {
			if (n == h)
				continue;
			assert_true(qt < sizeof(q) / sizeof(q[0]));
			q[qt].to = n;
			q[qt++].hops = (uint8_t)(hops - 1);
			sent++;
		}
	}
	for (int h = 0; h < H; h++) {
		assert_int_equal(accepted[h], 1);
		replay_free(r[h]);
	}
	assert_int_equal(sent, H * (H - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(duplicate),
		cmocka_unit_test(reorder_within_window),
		cmocka_unit_test(too_old_and_jumps),
		cmocka_unit_test(against_model),
		cmocka_unit_test(stale),
		cmocka_unit_test(origin_table_bound),
		cmocka_unit_test(forget),
		cmocka_unit_test(forget_keeps_top),
		cmocka_unit_test(accept_counts_once),
		cmocka_unit_test(flood_is_loop_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
