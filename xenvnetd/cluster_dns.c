#include "cluster_dns.h"
#include "cluster_net.h"
#include "log.h"
#include "peers.h"

#include <ares.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

struct entry {
	struct cdns *d;
	char name[PEER_ADDR_MAX + 1];
	int family;
	enum cdns_state state;
	struct proto_addr addr;      /* valid when state is RESOLVED */
	char err[128];               /* the last failure, "" after a success */
	uint64_t due_ms;             /* query again then */
	unsigned retry_s;            /* the next backoff after a failure */
	bool inflight, used, warned;
	bool orphan;                 /* no longer wanted: freed when its answer comes */
	struct entry *next;
};

struct cdns {
	struct loop *loop;
	void (*changed)(void *arg);
	void *arg;
	ares_channel ch;             /* valid when ch_ok; else retried at the next query */
	char servers[128];           /* cdns_use_servers(), or "" for resolv.conf's */
	bool ch_ok;
	int epfd;                    /* c-ares's sockets, registered with the loop as one fd */
	bool dropping;               /* answers arriving now are cancellations */
	struct entry *v;
	struct timer ares_timer;     /* c-ares's own timeouts */
	struct timer due_timer;      /* refreshes and retries */
	struct timer notify_timer;   /* changed(), from the loop */
};

const char *cdns_state_name(enum cdns_state s)
{
	switch (s) {
	case CDNS_RESOLVING: return "resolving";
	case CDNS_RESOLVED: return "resolved";
	case CDNS_UNRESOLVABLE: return "unresolvable";
	}
	return "?";
}

static void notify(struct cdns *d)
{
	loop_timer_arm(d->loop, &d->notify_timer, 0);
}

static void on_notify(void *arg)
{
	struct cdns *d = arg;

	d->changed(d->arg);
}

/* c-ares says which of its sockets it wants to hear about. */
static void sock_state(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct cdns *d = arg;
	struct epoll_event ev = { .events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u),
				  .data.fd = fd };

	if (!readable && !writable) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void arm_ares_timer(struct cdns *d)
{
	struct timeval tv, *t = d->ch_ok ? ares_timeout(d->ch, NULL, &tv) : NULL;

	if (t)
		loop_timer_arm(d->loop, &d->ares_timer, (unsigned)(t->tv_sec * 1000 + t->tv_usec / 1000 + 1));
	else
		loop_timer_cancel(d->loop, &d->ares_timer);
}

static void arm_due_timer(struct cdns *d)
{
	uint64_t now = loop_now_ms(), next = UINT64_MAX;

	for (struct entry *e = d->v; e; e = e->next)
		if (!e->inflight && !e->orphan && e->due_ms < next)
			next = e->due_ms;
	if (next == UINT64_MAX)
		loop_timer_cancel(d->loop, &d->due_timer);
	else
		loop_timer_arm(d->loop, &d->due_timer, next > now ? (unsigned)(next - now) : 0);
}

static void unlink_entry(struct cdns *d, struct entry *gone)
{
	for (struct entry **p = &d->v; *p; p = &(*p)->next)
		if (*p == gone) {
			*p = gone->next;
			free(gone);
			return;
		}
}

static void failed(struct entry *e, const char *why)
{
	snprintf(e->err, sizeof(e->err), "%s", why);
	if (e->warned)
		log_debug("peer %s: still cannot resolve it (%s); next try in %u s", e->name, why, e->retry_s);
	e->due_ms = loop_now_ms() + e->retry_s * 1000u;
	e->retry_s = e->retry_s * 2 > CDNS_TTL_MAX_S ? CDNS_TTL_MAX_S : e->retry_s * 2;
	if (e->state == CDNS_RESOLVED) {
		if (!e->warned) {
			char a[PROTO_ADDR_STRLEN];
			proto_addr_format(&e->addr, a);
			log_warn("peer %s: cannot resolve it again (%s); keeping %s", e->name, why, a);
		}
	} else {
		if (!e->warned)
			log_warn("peer %s: cannot resolve it (%s); skipped, retried in the background",
				 e->name, why);
		if (e->state != CDNS_UNRESOLVABLE)
			notify(e->d);
		e->state = CDNS_UNRESOLVABLE;
	}
	e->warned = true;
}

static void resolved(struct entry *e, const struct proto_addr *a, int ttl)
{
	char text[PROTO_ADDR_STRLEN];

	if (e->state != CDNS_RESOLVED || !proto_addr_equal(&e->addr, a)) {
		proto_addr_format(a, text);
		if (e->warned || e->state == CDNS_RESOLVED)
			log_info("peer %s: resolved to %s", e->name, text);
		else
			log_debug("peer %s: resolved to %s", e->name, text);
		notify(e->d);
	}
	e->state = CDNS_RESOLVED;
	e->addr = *a;
	e->err[0] = '\0';
	e->warned = false;
	e->retry_s = CDNS_RETRY_MIN_S;
	ttl = ttl < CDNS_TTL_MIN_S ? CDNS_TTL_MIN_S : ttl > CDNS_TTL_MAX_S ? CDNS_TTL_MAX_S : ttl;
	e->due_ms = loop_now_ms() + (uint64_t)ttl * 1000u;
}

static void on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct entry *e = arg;
	struct cdns *d = e->d;
	const struct ares_addrinfo_node *n = res ? res->nodes : NULL;

	(void)timeouts;
	e->inflight = false;
	if (d->dropping || e->orphan) {
		ares_freeaddrinfo(res);
		if (e->orphan && !d->dropping)
			unlink_entry(d, e);
		return;
	}
	while (n && n->ai_family != AF_INET && n->ai_family != AF_INET6)
		n = n->ai_next;
	if (status == ARES_SUCCESS && n) {
		struct proto_addr a;
		if (n->ai_family == AF_INET)
			proto_addr_from_in(&a, &((const struct sockaddr_in *)n->ai_addr)->sin_addr);
		else
			proto_addr_from_in6(&a, &((const struct sockaddr_in6 *)n->ai_addr)->sin6_addr);
		resolved(e, &a, n->ai_ttl);
	} else {
		failed(e, status == ARES_SUCCESS ? "no address" : ares_strerror(status));
	}
	ares_freeaddrinfo(res);
	arm_due_timer(d);
}

static int channel_open(struct cdns *d)
{
	/* Bounded tries (c-ares's default is 4, from 5 s up: 75 s): a name
	 * that fails is retried in the background anyway. */
	struct ares_options o = { .sock_state_cb = sock_state, .sock_state_cb_data = d,
				  .timeout = CDNS_TIMEOUT_MS, .tries = CDNS_TRIES };
	int rc = ares_init_options(&d->ch, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);

	if (rc == ARES_SUCCESS && d->servers[0] && (rc = ares_set_servers_ports_csv(d->ch, d->servers)) != ARES_SUCCESS)
		ares_destroy(d->ch);
	d->ch_ok = rc == ARES_SUCCESS;
	if (!d->ch_ok)
		log_warn("resolver: %s", ares_strerror(rc));
	return d->ch_ok ? 0 : -1;
}

static void query(struct entry *e)
{
	struct cdns *d = e->d;
	struct ares_addrinfo_hints h = { .ai_family = e->family, .ai_socktype = SOCK_DGRAM };

	if (e->inflight)
		return;
	if (!d->ch_ok && channel_open(d) < 0) {
		failed(e, "resolver not available");
		return;
	}
	e->inflight = true;
	/* May answer at once (hosts file): on_answer then runs in here. */
	ares_getaddrinfo(d->ch, e->name, NULL, &h, on_answer, e);
	arm_ares_timer(d);
}

static void on_due(void *arg)
{
	struct cdns *d = arg;
	uint64_t now = loop_now_ms();

	for (struct entry *e = d->v; e; e = e->next)
		if (!e->inflight && !e->orphan && e->due_ms <= now)
			query(e);
	arm_due_timer(d);
}

static void on_ares_timer(void *arg)
{
	struct cdns *d = arg;

	if (d->ch_ok)
		ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_ares_timer(d);
}

static void on_sockets(void *arg, uint32_t events)
{
	struct cdns *d = arg;
	struct epoll_event ev[16];
	int n = epoll_wait(d->epfd, ev, 16, 0);

	(void)events;
	for (int i = 0; i < n && d->ch_ok; i++) {
		bool rd = ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP), wr = ev[i].events & EPOLLOUT;
		ares_process_fd(d->ch, rd ? ev[i].data.fd : ARES_SOCKET_BAD,
				wr ? ev[i].data.fd : ARES_SOCKET_BAD);
	}
	arm_ares_timer(d);
}

struct cdns *cdns_new(struct loop *l, void (*changed)(void *arg), void *arg)
{
	struct cdns *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->loop = l;
	d->changed = changed;
	d->arg = arg;
	timer_init(&d->ares_timer, on_ares_timer, d);
	timer_init(&d->due_timer, on_due, d);
	timer_init(&d->notify_timer, on_notify, d);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0 || ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		if (d->epfd >= 0)
			close(d->epfd);
		free(d);
		return NULL;
	}
	if (loop_add_fd(l, d->epfd, on_sockets, d) < 0) {
		close(d->epfd);
		ares_library_cleanup();
		free(d);
		return NULL;
	}
	channel_open(d); /* on failure, retried at the first query */
	return d;
}

/* Cancel every query under way; their answers come back as cancellations. */
static void channel_close(struct cdns *d)
{
	if (!d->ch_ok)
		return;
	d->dropping = true;
	ares_destroy(d->ch);
	d->dropping = false;
	d->ch_ok = false;
	for (struct entry **p = &d->v; *p;) {
		struct entry *e = *p;
		e->inflight = false;
		if (e->orphan) {
			*p = e->next;
			free(e);
		} else {
			p = &e->next;
		}
	}
	loop_timer_cancel(d->loop, &d->ares_timer);
}

void cdns_free(struct cdns *d)
{
	if (!d)
		return;
	channel_close(d);
	loop_timer_cancel(d->loop, &d->due_timer);
	loop_timer_cancel(d->loop, &d->notify_timer);
	loop_del_fd(d->loop, d->epfd);
	close(d->epfd);
	while (d->v) {
		struct entry *e = d->v;
		d->v = e->next;
		free(e);
	}
	ares_library_cleanup();
	free(d);
}

static struct entry *find(const struct cdns *d, const char *name, int family)
{
	for (struct entry *e = d->v; e; e = e->next)
		if (!e->orphan && e->family == family && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static enum cdns_state report(const struct entry *e, struct proto_addr *out, const char **err)
{
	if (err)
		*err = e->err[0] ? e->err : NULL;
	if (e->state == CDNS_RESOLVED)
		*out = e->addr;
	return e->state;
}

enum cdns_state cdns_peek(const struct cdns *d, const char *name, int family, struct proto_addr *out,
			  const char **err)
{
	const struct entry *e;

	if (err)
		*err = NULL;
	if (cnet_parse_addr(name, out) == 0)
		return CDNS_RESOLVED;
	e = find(d, name, family);
	return e ? report(e, out, err) : CDNS_RESOLVING;
}

enum cdns_state cdns_lookup(struct cdns *d, const char *name, int family, struct proto_addr *out,
			    const char **err)
{
	struct entry *e;

	if (cnet_parse_addr(name, out) == 0) {
		if (err)
			*err = NULL;
		return CDNS_RESOLVED;
	}
	e = find(d, name, family);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			if (err)
				*err = "out of memory";
			return CDNS_UNRESOLVABLE;
		}
		e->d = d;
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->family = family;
		e->state = CDNS_RESOLVING;
		e->retry_s = CDNS_RETRY_MIN_S;
		e->next = d->v;
		d->v = e;
		query(e);
		arm_due_timer(d);
	}
	e->used = true;
	return report(e, out, err);
}

void cdns_sweep_begin(struct cdns *d)
{
	for (struct entry *e = d->v; e; e = e->next)
		e->used = false;
}

void cdns_sweep_end(struct cdns *d)
{
	for (struct entry **p = &d->v; *p;) {
		struct entry *e = *p;
		if (e->used || e->orphan) {
			p = &e->next;
		} else if (e->inflight) {
			e->orphan = true; /* c-ares still holds it */
			p = &e->next;
		} else {
			*p = e->next;
			free(e);
		}
	}
	arm_due_timer(d);
}

void cdns_retry_failed(struct cdns *d)
{
	for (struct entry *e = d->v; e; e = e->next)
		if (!e->orphan && e->err[0])
			e->due_ms = 0;
	arm_due_timer(d);
}

int cdns_use_servers(struct cdns *d, const char *csv)
{
	snprintf(d->servers, sizeof(d->servers), "%s", csv);
	channel_close(d);
	return channel_open(d);
}

void cdns_reload(struct cdns *d)
{
	channel_close(d);
	channel_open(d);
	for (struct entry *e = d->v; e; e = e->next)
		e->due_ms = 0;
	arm_due_timer(d);
}
