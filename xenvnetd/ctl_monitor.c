/* Event subscribers on the control socket: bounded queues, sends that
 * never wait, and a drop for whoever falls behind. */
#include "ctl_monitor.h"
#include "ctl_proto.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char overflow_rec[] = "overflow\n";

struct sub {
	int fd;                /* -1: free slot */
	char *buf;             /* queued bytes, not yet taken by the kernel */
	size_t len;
	bool closing;          /* overflowed: send what is queued, then close */
	uint64_t deadline_ms;  /* closing: close by then whatever happens */
};

static struct {
	struct loop *loop;
	struct timer retry;
	struct sub subs[CTL_MONITOR_MAX];
} mon;

static void drop(struct sub *s)
{
	loop_del_fd(mon.loop, s->fd);
	close(s->fd);
	free(s->buf);
	*s = (struct sub){ .fd = -1 };
}

/* Hand the kernel what it takes now.  Returns false when s was dropped. */
static bool flush(struct sub *s)
{
	while (s->len > 0) {
		ssize_t n = send(s->fd, s->buf, s->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			drop(s);   /* the subscriber went away */
			return false;
		}
		memmove(s->buf, s->buf + n, s->len - (size_t)n);
		s->len -= (size_t)n;
	}
	if (s->closing && (s->len == 0 || loop_now_ms() >= s->deadline_ms)) {
		drop(s);
		return false;
	}
	return true;
}

static void flush_all(void)
{
	bool pending = false;

	for (int i = 0; i < CTL_MONITOR_MAX; i++) {
		struct sub *s = &mon.subs[i];
		if (s->fd >= 0 && flush(s) && (s->len || s->closing))
			pending = true;
	}
	if (pending && !mon.retry.armed)
		loop_timer_arm(mon.loop, &mon.retry, CTL_MONITOR_RETRY_MS);
}

static void on_retry(void *arg)
{
	(void)arg;
	flush_all();
}

/* A subscriber only listens: whatever it sends is discarded; EOF or an
 * error means it is gone. */
static void on_readable(void *arg, uint32_t events)
{
	struct sub *s = arg;
	char junk[256];
	ssize_t n;

	(void)events;
	while ((n = read(s->fd, junk, sizeof(junk))) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		drop(s);
}

void ctl_monitor_init(struct loop *l)
{
	mon.loop = l;
	timer_init(&mon.retry, on_retry, NULL);
	for (int i = 0; i < CTL_MONITOR_MAX; i++)
		mon.subs[i] = (struct sub){ .fd = -1 };
}

void ctl_monitor_stop(void)
{
	if (!mon.loop)
		return;
	for (int i = 0; i < CTL_MONITOR_MAX; i++)
		if (mon.subs[i].fd >= 0)
			drop(&mon.subs[i]);
	loop_timer_cancel(mon.loop, &mon.retry);
	mon.loop = NULL;
}

int ctl_monitor_add(int fd)
{
	if (!mon.loop)
		return -1;
	for (int i = 0; i < CTL_MONITOR_MAX; i++) {
		struct sub *s = &mon.subs[i];
		if (s->fd >= 0)
			continue;
		s->buf = malloc(CTL_MONITOR_QUEUE_MAX + sizeof(overflow_rec));
		if (!s->buf || loop_add_fd(mon.loop, fd, on_readable, s) < 0) {
			free(s->buf);
			s->buf = NULL;
			return -1;
		}
		s->fd = fd;
		s->closing = false;
		/* The reply header goes first, through the queue like any event. */
		s->len = strlen(CTL_MAGIC " ok\n");
		memcpy(s->buf, CTL_MAGIC " ok\n", s->len);
		flush_all();
		return 0;
	}
	return -1;
}

static void queue(struct sub *s, const char *rec, size_t n)
{
	if (s->closing)
		return;
	if (s->len + n > CTL_MONITOR_QUEUE_MAX) {
		/* Room for this line was kept in the buffer. */
		memcpy(s->buf + s->len, overflow_rec, sizeof(overflow_rec) - 1);
		s->len += sizeof(overflow_rec) - 1;
		s->closing = true;
		s->deadline_ms = loop_now_ms() + CTL_MONITOR_LINGER_MS;
		log_warn("control socket: monitor subscriber fell %zu bytes behind; dropped", s->len);
		return;
	}
	memcpy(s->buf + s->len, rec, n);
	s->len += n;
}

void ctl_monitor_publish(const char *type, const char *const *kv)
{
	static const char header[] = CTL_MAGIC " ok\n";
	struct ctl_reply r;
	bool any = false;

	if (!mon.loop)
		return;
	for (int i = 0; i < CTL_MONITOR_MAX && !any; i++)
		any = mon.subs[i].fd >= 0;
	if (!any)
		return;
	ctl_reply_init(&r);
	/* A reply's first record follows its header: the event is what is after. */
	if (ctl_emit_record(&r, type, kv) == 0 && r.len > sizeof(header) - 1) {
		for (int i = 0; i < CTL_MONITOR_MAX; i++)
			if (mon.subs[i].fd >= 0)
				queue(&mon.subs[i], r.buf + sizeof(header) - 1, r.len - (sizeof(header) - 1));
		flush_all();
	}
	ctl_reply_free(&r);
}
