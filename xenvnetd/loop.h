/* The daemon's single event loop: file descriptors (epoll) and timers. */
#ifndef XENVNETD_LOOP_H
#define XENVNETD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

typedef void (*loop_fd_cb)(void *arg, uint32_t events);

/* A timer is embedded in its owner; the loop keeps a pointer to it in a
 * binary min-heap (on due time) while armed: arm, cancel and fire are
 * O(log n), so a timer per announce job scales to thousands. */
struct timer {
	void (*cb)(void *arg);
	void *arg;
	uint64_t due_ms;
	uint64_t seq;   /* arm order: equal due times fire first armed, first */
	bool armed;
	unsigned idx;   /* its slot in the heap while armed */
};

struct loop *loop_new(void);
void loop_free(struct loop *l);

int loop_add_fd(struct loop *l, int fd, loop_fd_cb cb, void *arg);
void loop_del_fd(struct loop *l, int fd);

void timer_init(struct timer *t, void (*cb)(void *arg), void *arg);
void loop_timer_arm(struct loop *l, struct timer *t, unsigned ms);
/* Arming an armed timer moves it; cancelling one not armed does nothing. */
void loop_timer_cancel(struct loop *l, struct timer *t);

/* Run until loop_stop(); returns 0, or -1 if epoll itself failed. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* One turn without waiting: the ready fds, then the due timers.  For the
 * fuzzer, which drives the daemon's parts message by message. */
int loop_run_once(struct loop *l);

uint64_t loop_now_ms(void);
/* Move the monotonic clock forward (never back): the fuzzer lets hold
 * times and tombstones expire without waiting for them. */
void loop_clock_forward(uint64_t ms);

#endif
