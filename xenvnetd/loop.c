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
	struct timer *timers;  /* armed timers, unsorted: there are only a few */
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
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

void loop_timer_arm(struct loop *l, struct timer *t, unsigned ms)
{
	t->due_ms = loop_now_ms() + ms;
	if (!t->armed) {
		t->armed = true;
		t->next = l->timers;
		l->timers = t;
	}
}

void loop_timer_cancel(struct loop *l, struct timer *t)
{
	for (struct timer **p = &l->timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			t->armed = false;
			return;
		}
	}
}

/* Milliseconds until the next timer is due, or -1 when none is armed. */
static int next_timeout(struct loop *l)
{
	uint64_t now = loop_now_ms();
	int best = -1;

	for (struct timer *t = l->timers; t; t = t->next) {
		int in = t->due_ms <= now ? 0 : (int)(t->due_ms - now);
		if (best < 0 || in < best)
			best = in;
	}
	return best;
}

/* Fire one due timer at a time: a callback may arm or cancel any timer. */
static void run_timers(struct loop *l)
{
	for (;;) {
		uint64_t now = loop_now_ms();
		struct timer *due = NULL;

		for (struct timer *t = l->timers; t; t = t->next)
			if (t->due_ms <= now)
				due = t;
		if (!due || l->stop)
			return;
		loop_timer_cancel(l, due);
		due->cb(due->arg);
	}
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[32];

	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 32, next_timeout(l));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			int fd = evs[i].data.fd;
			/* A callback may have removed this fd earlier in the batch. */
			if (fd < l->nslots && l->slots[fd].cb)
				l->slots[fd].cb(l->slots[fd].arg, evs[i].events);
		}
		run_timers(l);
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
