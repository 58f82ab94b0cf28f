#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct fd_slot {
	loop_fd_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	bool stop;
	struct fd_slot *slots; /* indexed by fd */
	int nslots;
	struct timer **heap;   /* armed timers, a binary min-heap on (due, seq) */
	unsigned nheap, heapcap;
	uint64_t seq;
};

/* Added to the monotonic clock: loop_clock_forward(). */
static uint64_t forward_ms;

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + forward_ms;
}

void loop_clock_forward(uint64_t ms)
{
	forward_ms += ms;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l->slots);
	free(l->heap);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, loop_fd_cb cb, void *arg)
{
	if (fd >= l->nslots) {
		int n = fd + 16;
		struct fd_slot *s = realloc(l->slots, (size_t)n * sizeof(*s));
		if (!s)
			return -1;
		memset(s + l->nslots, 0, (size_t)(n - l->nslots) * sizeof(*s));
		l->slots = s;
		l->nslots = n;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	l->slots[fd] = (struct fd_slot){ cb, arg };
	return 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->nslots)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->slots[fd] = (struct fd_slot){ 0 };
}

void timer_init(struct timer *t, void (*cb)(void *arg), void *arg)
{
	memset(t, 0, sizeof(*t));
	t->cb = cb;
	t->arg = arg;
}

static bool before(const struct timer *a, const struct timer *b)
{
	return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void place(struct loop *l, unsigned i, struct timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

/* Move the timer at slot i up or down until the heap order holds again. */
static void sift(struct loop *l, unsigned i)
{
	struct timer *t = l->heap[i];

	while (i > 0 && before(t, l->heap[(i - 1) / 2])) {
		place(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		unsigned c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!before(l->heap[c], t))
			break;
		place(l, i, l->heap[c]);
		i = c;
	}
	place(l, i, t);
}

void loop_timer_arm(struct loop *l, struct timer *t, unsigned ms)
{
	t->due_ms = loop_now_ms() + ms;
	t->seq = l->seq++;
	if (t->armed) {
		sift(l, t->idx);
		return;
	}
	if (l->nheap == l->heapcap) {
		unsigned cap = l->heapcap ? 2 * l->heapcap : 16;
		struct timer **h = realloc(l->heap, cap * sizeof(*h));
		if (!h)
			return; /* out of memory: the timer stays unarmed */
		l->heap = h;
		l->heapcap = cap;
	}
	t->armed = true;
	place(l, l->nheap++, t);
	sift(l, t->idx);
}

void loop_timer_cancel(struct loop *l, struct timer *t)
{
	unsigned i = t->idx;

	if (!t->armed || i >= l->nheap || l->heap[i] != t)
		return;
	t->armed = false;
	struct timer *last = l->heap[--l->nheap];
	if (last != t) {
		place(l, i, last);
		sift(l, i);
	}
}

/* A turn whose callbacks took longer than this held the loop: input that
 * arrived meanwhile (a peer's HELLO, say) is read before the timers run,
 * so a timer never judges silence that was only ours. */
#define LOOP_STALL_MS 50

/* Milliseconds until the next timer is due, or -1 when none is armed. */
static int next_timeout(struct loop *l)
{
	uint64_t now = loop_now_ms();

	if (!l->nheap)
		return -1;
	uint64_t due = l->heap[0]->due_ms;
	return due <= now ? 0 : due - now > INT32_MAX ? INT32_MAX : (int)(due - now);
}

/* Fire one due timer at a time: a callback may arm or cancel any timer.
 * Only those due when the round began fire, so a callback that re-arms
 * its timer with 0 ms cannot starve the file descriptors. */
static void run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();
	uint64_t seq = l->seq;

	while (l->nheap && !l->stop) {
		struct timer *t = l->heap[0];
		if (t->due_ms > now || t->seq >= seq)
			return;
		loop_timer_cancel(l, t);
		t->cb(t->arg);
		if (loop_now_ms() - now >= LOOP_STALL_MS)
			return; /* held the loop: read the input first (see below) */
	}
}

/* Wait (at most @timeout ms, -1: no limit) and run the ready fds'
 * callbacks.  Returns the ms they took, or -1 if epoll itself failed. */
static int64_t dispatch(struct loop *l, int timeout)
{
	struct epoll_event evs[32];
	int n = epoll_wait(l->epfd, evs, 32, timeout);
	uint64_t t = loop_now_ms();

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n && !l->stop; i++) {
		int fd = evs[i].data.fd;
		/* A callback may have removed this fd earlier in the batch. */
		if (fd < l->nslots && l->slots[fd].cb)
			l->slots[fd].cb(l->slots[fd].arg, evs[i].events);
	}
	return (int64_t)(loop_now_ms() - t);
}

int loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop) {
		int64_t took = dispatch(l, next_timeout(l));
		if (took >= LOOP_STALL_MS && !l->stop)
			took = dispatch(l, 0);
		if (took < 0)
			return -1;
		run_timers(l);
	}
	return 0;
}

int loop_run_once(struct loop *l)
{
	l->stop = false;
	if (dispatch(l, 0) < 0)
		return -1;
	run_timers(l);
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
