/* The event loop's timers, run by the real loop (epoll): firing order,
 * cancel, re-arm, thousands of timers, changes made from inside a
 * callback, a timer that keeps re-arming itself next to a ready fd, and
 * input that arrives while a callback holds the loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define MAXLOG 8192

struct rec {
	struct loop *l;
	int log[MAXLOG];       /* ids in firing order */
	uint64_t due[MAXLOG];  /* and their due times */
	int n;
};

struct tmr {
	struct timer t;
	struct rec *r;
	int id;
	int fired;
	struct tmr *victim;     /* cancel this one when fired */
	unsigned rearm_ms;     /* re-arm self once, this much later (0: no) */
	bool stop;             /* stop the loop when fired */
};

static void fired(void *arg)
{
	struct tmr *m = arg;
	struct rec *r = m->r;

	assert_false(m->t.armed);
	m->fired++;
	if (r->n < MAXLOG) {
		r->log[r->n] = m->id;
		r->due[r->n++] = m->t.due_ms;
	}
	if (m->victim)
		loop_timer_cancel(r->l, &m->victim->t);
	if (m->rearm_ms) {
		loop_timer_arm(r->l, &m->t, m->rearm_ms);
		m->rearm_ms = 0;
	}
	if (m->stop)
		loop_stop(r->l);
}

static void setup_tm(struct tmr *m, struct rec *r, int id)
{
	memset(m, 0, sizeof(*m));
	m->r = r;
	m->id = id;
	timer_init(&m->t, fired, m);
}

static struct rec *rec_new(void)
{
	struct rec *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->l = loop_new();
	assert_non_null(r->l);
	return r;
}

static void rec_free(struct rec *r)
{
	loop_free(r->l);
	free(r);
}

static void ordering(void **state)
{
	/* Far apart, so that a preempted test still arms them in this order. */
	static const unsigned ms[] = { 120, 0, 60, 30, 60, 15 };
	static const int want[] = { 1, 5, 3, 2, 4, 0 }; /* 60 twice: armed order */
	struct rec *r = rec_new();
	struct tmr m[6];

	(void)state;
	for (int i = 0; i < 6; i++) {
		setup_tm(&m[i], r, i);
		loop_timer_arm(r->l, &m[i].t, ms[i]);
	}
	m[0].stop = true;
	uint64_t t0 = loop_now_ms();
	assert_int_equal(loop_run(r->l), 0);
	assert_true(loop_now_ms() >= t0 + 120);
	assert_int_equal(r->n, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(r->log[i], want[i]);
		assert_int_equal(m[i].fired, 1);
	}
	rec_free(r);
}

static void cancel(void **state)
{
	struct rec *r = rec_new();
	struct tmr m[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		setup_tm(&m[i], r, i);
		loop_timer_arm(r->l, &m[i].t, 5u * (unsigned)i);
	}
	m[3].stop = true;
	loop_timer_cancel(r->l, &m[1].t);
	loop_timer_cancel(r->l, &m[1].t);      /* twice: nothing */
	loop_timer_cancel(r->l, &m[0].t);      /* the heap's top */
	assert_false(m[0].t.armed);
	assert_int_equal(loop_run(r->l), 0);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->log[0], 2);
	assert_int_equal(r->log[1], 3);
	assert_int_equal(m[0].fired + m[1].fired, 0);
	rec_free(r);
}

static void rearm(void **state)
{
	struct rec *r = rec_new();
	struct tmr a, b, stop;

	(void)state;
	setup_tm(&a, r, 1);
	setup_tm(&b, r, 2);
	setup_tm(&stop, r, 9);
	stop.stop = true;
	uint64_t t0 = loop_now_ms();
	loop_timer_arm(r->l, &a.t, 5);
	loop_timer_arm(r->l, &b.t, 20);
	loop_timer_arm(r->l, &a.t, 40);        /* moved after b: fires once, late */
	loop_timer_arm(r->l, &b.t, 10);        /* moved earlier */
	loop_timer_arm(r->l, &stop.t, 60);
	assert_int_equal(loop_run(r->l), 0);
	assert_int_equal(r->n, 3);
	assert_int_equal(r->log[0], 2);
	assert_int_equal(r->log[1], 1);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 1);
	assert_true(r->due[1] >= t0 + 40);
	rec_free(r);
}

/* Thousands of timers, a third cancelled: the rest fire once each, in
 * order of due time (and of arming, on equal times). */
static void many(void **state)
{
	enum { N = 6000 };
	struct rec *r = rec_new();
	struct tmr *m = calloc(N + 1, sizeof(*m));
	unsigned seed = 12345;

	(void)state;
	assert_non_null(m);
	for (int i = 0; i < N; i++) {
		setup_tm(&m[i], r, i);
		seed = seed * 1103515245u + 12345u;
		loop_timer_arm(r->l, &m[i].t, (seed >> 16) % 50);
	}
	for (int i = 0; i < N; i += 3)
		loop_timer_cancel(r->l, &m[i].t);
	for (int i = 1; i < N; i += 3) /* and some moved */
		loop_timer_arm(r->l, &m[i].t, (unsigned)(i % 30));
	setup_tm(&m[N], r, N);
	m[N].stop = true;
	loop_timer_arm(r->l, &m[N].t, 100);
	assert_int_equal(loop_run(r->l), 0);
	assert_int_equal(r->n, N - N / 3 + 1);
	for (int i = 1; i < r->n; i++)
		assert_true(r->due[i - 1] <= r->due[i]);
	for (int i = 0; i < N; i++)
		assert_int_equal(m[i].fired, i % 3 ? 1 : 0);
	free(m);
	rec_free(r);
}

/* A callback cancels a timer due at the same moment and one due later,
 * and re-arms itself. */
static void cancel_from_callback(void **state)
{
	struct rec *r = rec_new();
	struct tmr a, same, later, keep, stop;

	(void)state;
	setup_tm(&a, r, 1);
	setup_tm(&same, r, 2);
	setup_tm(&later, r, 3);
	setup_tm(&keep, r, 4);
	setup_tm(&stop, r, 9);
	loop_timer_arm(r->l, &a.t, 10);
	loop_timer_arm(r->l, &same.t, 10);
	loop_timer_arm(r->l, &later.t, 15);
	loop_timer_arm(r->l, &keep.t, 20);
	loop_timer_arm(r->l, &stop.t, 50);
	stop.stop = true;
	a.victim = &same;
	a.rearm_ms = 1;
	assert_int_equal(loop_run(r->l), 0);
	/* a ran twice (it re-armed itself; cancelling "same" again is a no-op). */
	assert_int_equal(same.fired, 0);
	assert_int_equal(a.fired, 2);
	assert_int_equal(keep.fired, 1);
	assert_int_equal(later.fired, 1);
	rec_free(r);

	r = rec_new();
	setup_tm(&a, r, 1);
	setup_tm(&later, r, 3);
	setup_tm(&stop, r, 9);
	a.victim = &later;
	stop.stop = true;
	loop_timer_arm(r->l, &a.t, 0);
	loop_timer_arm(r->l, &later.t, 5);
	loop_timer_arm(r->l, &stop.t, 20);
	assert_int_equal(loop_run(r->l), 0);
	assert_int_equal(later.fired, 0);
	assert_int_equal(r->n, 2);
	rec_free(r);
}

/* A timer that re-arms itself at 0 ms every time it fires does not keep
 * the loop from reading a ready file descriptor. */
struct spin {
	struct timer t;
	struct loop *l;
	int wfd;
	int runs;
	bool fd_seen;
};

static void spin_fired(void *arg)
{
	struct spin *s = arg;

	if (++s->runs == 1)
		assert_int_equal(write(s->wfd, "x", 1), 1);
	if (s->runs > 100000) {
		loop_stop(s->l); /* the fd was starved */
		return;
	}
	loop_timer_arm(s->l, &s->t, 0);
}

static void fd_ready(void *arg, uint32_t events)
{
	struct spin *s = arg;

	(void)events;
	s->fd_seen = true;
	loop_stop(s->l);
}

static void no_starvation(void **state)
{
	struct spin s = { .l = loop_new() };
	int p[2];

	(void)state;
	assert_non_null(s.l);
	assert_int_equal(pipe(p), 0);
	timer_init(&s.t, spin_fired, &s);
	loop_timer_arm(s.l, &s.t, 0);
	s.wfd = p[1];
	assert_int_equal(loop_add_fd(s.l, p[0], fd_ready, &s), 0);
	assert_int_equal(loop_run(s.l), 0);
	assert_true(s.fd_seen);
	assert_true(s.runs < 100);
	loop_del_fd(s.l, p[0]);
	close(p[0]);
	close(p[1]);
	loop_free(s.l);
}

/* A callback that holds the loop (120 ms) while input arrives: that input
 * is read before a timer that came due meanwhile runs. */
struct stall {
	struct loop *l;
	int a[2], b[2];         /* a: starts the stall; b: what arrives meanwhile */
	struct timer hold, judge;
	bool b_read, judged_after_b;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static void stall_and_send(struct stall *s)
{
	sleep_ms(120);
	assert_int_equal(write(s->b[1], "b", 1), 1);
}

static void on_a(void *arg, uint32_t events)
{
	struct stall *s = arg;
	char c;

	(void)events;
	assert_int_equal(read(s->a[0], &c, 1), 1);
	stall_and_send(s);
}

static void on_b(void *arg, uint32_t events)
{
	struct stall *s = arg;
	char c;

	(void)events;
	assert_int_equal(read(s->b[0], &c, 1), 1);
	s->b_read = true;
}

static void hold_fired(void *arg)
{
	stall_and_send(arg);
}

static void judge_fired(void *arg)
{
	struct stall *s = arg;

	s->judged_after_b = s->b_read;
	loop_stop(s->l);
}

static void stall_setup(struct stall *s)
{
	memset(s, 0, sizeof(*s));
	s->l = loop_new();
	assert_non_null(s->l);
	assert_int_equal(pipe(s->a), 0);
	assert_int_equal(pipe(s->b), 0);
	assert_int_equal(loop_add_fd(s->l, s->a[0], on_a, s), 0);
	assert_int_equal(loop_add_fd(s->l, s->b[0], on_b, s), 0);
	timer_init(&s->hold, hold_fired, s);
	timer_init(&s->judge, judge_fired, s);
}

static void stall_done(struct stall *s)
{
	assert_int_equal(loop_run(s->l), 0);
	assert_true(s->judged_after_b);
	for (int i = 0; i < 2; i++) {
		close(s->a[i]);
		close(s->b[i]);
	}
	loop_free(s->l);
}

static void stall_in_fd_callback(void **state)
{
	struct stall s;

	(void)state;
	stall_setup(&s);
	assert_int_equal(write(s.a[1], "a", 1), 1);
	loop_timer_arm(s.l, &s.judge, 20); /* due during the stall */
	stall_done(&s);
}

static void stall_in_timer(void **state)
{
	struct stall s;

	(void)state;
	stall_setup(&s);
	loop_timer_arm(s.l, &s.hold, 0);
	loop_timer_arm(s.l, &s.judge, 20);
	stall_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ordering),
		cmocka_unit_test(cancel),
		cmocka_unit_test(rearm),
		cmocka_unit_test(many),
		cmocka_unit_test(cancel_from_callback),
		cmocka_unit_test(no_starvation),
		cmocka_unit_test(stall_in_fd_callback),
		cmocka_unit_test(stall_in_timer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
