/* The peers' resolver (cluster_dns.c, c-ares on the daemon's loop) against
 * a DNS server on a loopback UDP socket, served by the same loop: IP
 * literals never reach it, answers are cached, failures reported and
 * retried, a failed refresh keeps the address, a reload asks again,
 * forgotten names go, a silent server never blocks the loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster_dns.h"
#include "log.h"

enum reply { ANSWER, NXDOMAIN, SILENT };

struct fix {
	struct loop *l;
	struct cdns *d;
	int fd;                 /* the DNS server */
	unsigned queries;       /* questions it got */
	enum reply good;        /* how it answers good.test (the rest: NXDOMAIN, silent.test: never) */
	uint8_t good_addr[4];
	unsigned changed;       /* changed() calls */
	struct timer deadline;
};

static void on_changed(void *arg)
{
	struct fix *f = arg;

	f->changed++;
	loop_stop(f->l);
}

static void on_deadline(void *arg)
{
	struct fix *f = arg;

	loop_stop(f->l);
}

/* Run the loop until changed() fires or ms pass; true when it fired. */
static bool wait_changed(struct fix *f, unsigned ms)
{
	unsigned before = f->changed;

	loop_timer_arm(f->l, &f->deadline, ms);
	loop_run(f->l);
	loop_timer_cancel(f->l, &f->deadline);
	return f->changed != before;
}

/* The question's name, dotted. */
static void qname(const uint8_t *q, size_t len, size_t *end, char *out, size_t cap)
{
	size_t i = 12, o = 0;

	while (i < len && q[i]) {
		size_t n = q[i++];
		if (o && o < cap - 1)
			out[o++] = '.';
		for (size_t k = 0; k < n && i < len; k++, i++)
			if (o < cap - 1)
				out[o++] = (char)q[i];
	}
	out[o] = '\0';
	*end = i + 1 + 4; /* the root label, type, class */
}

static void on_query(void *arg, uint32_t events)
{
	struct fix *f = arg;
	uint8_t q[512], r[600];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	char name[256];
	size_t end;

	(void)events;
	ssize_t n = recvfrom(f->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	if (n < 12)
		return;
	f->queries++;
	qname(q, (size_t)n, &end, name, sizeof(name));
	enum reply how = strcmp(name, "silent.test") == 0 ? SILENT : strcmp(name, "good.test") == 0 ? f->good : NXDOMAIN;
	if (how == SILENT || end > (size_t)n)
		return;
	memcpy(r, q, end);
	r[2] = 0x80 | (q[2] & 0x01);             /* QR, RD as asked */
	r[3] = 0x80 | (how == NXDOMAIN ? 3 : 0);  /* RA, rcode */
	r[6] = 0;
	r[7] = how == ANSWER ? 1 : 0;             /* ANCOUNT */
	memset(r + 8, 0, 4);                      /* NSCOUNT, ARCOUNT */
	size_t len = end;
	if (how == ANSWER) {
		static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4 }; /* A IN 3600 */
		memcpy(r + len, rr, sizeof(rr));
		memcpy(r + len + sizeof(rr), f->good_addr, 4);
		len += sizeof(rr) + 4;
	}
	sendto(f->fd, r, len, 0, (struct sockaddr *)&from, fl);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	char csv[64];

	assert_non_null(f);
	f->l = loop_new();
	assert_non_null(f->l);
	timer_init(&f->deadline, on_deadline, f);
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&sa, &sl), 0);
	assert_int_equal(loop_add_fd(f->l, f->fd, on_query, f), 0);
	f->d = cdns_new(f->l, on_changed, f);
	assert_non_null(f->d);
	snprintf(csv, sizeof(csv), "127.0.0.1:%u", ntohs(sa.sin_port));
	assert_int_equal(cdns_use_servers(f->d, csv), 0);
	memcpy(f->good_addr, (uint8_t[]){ 192, 0, 2, 7 }, 4);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	cdns_free(f->d);
	loop_del_fd(f->l, f->fd);
	close(f->fd);
	loop_free(f->l);
	free(f);
	return 0;
}

static void assert_addr(const struct proto_addr *a, const char *want)
{
	char text[PROTO_ADDR_STRLEN];

	proto_addr_format(a, text);
	assert_string_equal(text, want);
}

static void literals_never_ask(void **state)
{
	struct fix *f = *state;
	struct proto_addr a;
	const char *err = "x";

	assert_int_equal(cdns_lookup(f->d, "192.0.2.1", AF_INET, &a, &err), CDNS_RESOLVED);
	assert_null(err);
	assert_addr(&a, "192.0.2.1");
	assert_int_equal(cdns_lookup(f->d, "2001:db8::1", AF_INET6, &a, &err), CDNS_RESOLVED);
	assert_addr(&a, "2001:db8::1");
	assert_int_equal(cdns_peek(f->d, "192.0.2.1", AF_INET, &a, &err), CDNS_RESOLVED);
	assert_false(wait_changed(f, 100));
	assert_int_equal(f->queries, 0);
}

static void a_name_resolves_once_and_is_cached(void **state)
{
	struct fix *f = *state;
	struct proto_addr a;
	const char *err;

	assert_int_equal(cdns_lookup(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVING);
	assert_int_equal(cdns_peek(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVING);
	assert_true(wait_changed(f, 5000));
	assert_int_equal(cdns_peek(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVED);
	assert_null(err);
	assert_addr(&a, "192.0.2.7");
	unsigned asked = f->queries;
	assert_int_equal(cdns_lookup(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVED);
	assert_false(wait_changed(f, 100));
	assert_int_equal(f->queries, asked); /* from the cache */
}

static void a_failure_is_reported_then_retried_on_demand(void **state)
{
	struct fix *f = *state;
	struct proto_addr a;
	const char *err;

	f->good = NXDOMAIN;
	assert_int_equal(cdns_lookup(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVING);
	assert_true(wait_changed(f, 5000));
	assert_int_equal(cdns_peek(f->d, "good.test", AF_INET, &a, &err), CDNS_UNRESOLVABLE);
	assert_non_null(err);
	/* Fixed DNS, and the peer list changed: asked again at once. */
	f->good = ANSWER;
	cdns_retry_failed(f->d);
	assert_true(wait_changed(f, 5000));
	assert_int_equal(cdns_peek(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVED);
	assert_null(err);
	assert_addr(&a, "192.0.2.7");
}

static void a_reload_asks_again_and_a_failed_refresh_keeps_the_address(void **state)
{
	struct fix *f = *state;
	struct proto_addr a;
	const char *err;

	cdns_lookup(f->d, "good.test", AF_INET, &a, &err);
	assert_true(wait_changed(f, 5000));
	/* The name moved. */
	f->good_addr[3] = 8;
	unsigned asked = f->queries;
	cdns_reload(f->d);
	assert_true(wait_changed(f, 5000));
	assert_true(f->queries > asked);
	assert_int_equal(cdns_peek(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVED);
	assert_addr(&a, "192.0.2.8");
	/* DNS breaks: the address stays in use, the failure is told. */
	f->good = NXDOMAIN;
	unsigned changes = f->changed;
	cdns_reload(f->d);
	for (int i = 0; i < 500 && cdns_peek(f->d, "good.test", AF_INET, &a, &err) == CDNS_RESOLVED && !err; i++)
		wait_changed(f, 10);
	assert_int_equal(cdns_peek(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVED);
	assert_addr(&a, "192.0.2.8");
	assert_non_null(err);
	assert_int_equal(f->changed, changes); /* nothing changed for the user of the address */
}

static void a_silent_server_never_blocks(void **state)
{
	struct fix *f = *state;
	struct proto_addr a;
	const char *err;

	assert_int_equal(cdns_lookup(f->d, "silent.test", AF_INET, &a, &err), CDNS_RESOLVING);
	assert_int_equal(cdns_lookup(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVING);
	/* good.test answers while silent.test hangs. */
	assert_true(wait_changed(f, 5000));
	assert_int_equal(cdns_peek(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVED);
	assert_int_equal(cdns_peek(f->d, "silent.test", AF_INET, &a, &err), CDNS_RESOLVING);
	/* teardown frees the resolver with the query under way (no leak) */
}

static void forgotten_names_go(void **state)
{
	struct fix *f = *state;
	struct proto_addr a;
	const char *err;

	cdns_lookup(f->d, "good.test", AF_INET, &a, &err);
	cdns_lookup(f->d, "silent.test", AF_INET, &a, &err);
	assert_true(wait_changed(f, 5000));
	cdns_sweep_begin(f->d);
	assert_int_equal(cdns_lookup(f->d, "silent.test", AF_INET, &a, &err), CDNS_RESOLVING);
	cdns_sweep_end(f->d);
	/* good.test is unknown again: asking starts over. */
	assert_int_equal(cdns_peek(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVING);
	assert_null(err);
	/* A name dropped while its query is under way, then wanted again. */
	cdns_sweep_begin(f->d);
	cdns_sweep_end(f->d);
	assert_int_equal(cdns_lookup(f->d, "silent.test", AF_INET, &a, &err), CDNS_RESOLVING);
	assert_int_equal(cdns_lookup(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVING);
	assert_true(wait_changed(f, 5000));
	assert_int_equal(cdns_peek(f->d, "good.test", AF_INET, &a, &err), CDNS_RESOLVED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(literals_never_ask, setup, teardown),
		cmocka_unit_test_setup_teardown(a_name_resolves_once_and_is_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failure_is_reported_then_retried_on_demand, setup, teardown),
		cmocka_unit_test_setup_teardown(a_reload_asks_again_and_a_failed_refresh_keeps_the_address, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_silent_server_never_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(forgotten_names_go, setup, teardown),
	};

	log_init("test_cluster_dns", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
