/* ctl_monitor on the real loop and real sockets: a subscriber gets the
 * header and each event record; one that never reads costs a bounded
 * queue, gets "overflow" last and then EOF; publishing never waits; a
 * closed subscriber frees its slot; at most CTL_MONITOR_MAX at a time.
 * Also ctl_metrics on a fixed ops table: the exact text, label escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_metrics.h"
#include "ctl_monitor.h"
#include "loop.h"

static void stop_loop(void *arg)
{
	loop_stop(arg);
}

/* Run the loop for about ms. */
static void spin(struct loop *l, unsigned ms)
{
	struct timer t;

	timer_init(&t, stop_loop, l);
	loop_timer_arm(l, &t, ms);
	loop_run(l);
}

/* Everything readable on fd now, appended to buf; returns false at EOF. */
static bool drain(int fd, char **buf, size_t *len)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n == 0)
			return false;
		if (n < 0)
			return true;
		*buf = realloc(*buf, *len + (size_t)n + 1);
		memcpy(*buf + *len, chunk, (size_t)n);
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
}

static void publish_vnet(const char *id, const char *reason)
{
	ctl_monitor_publish("vnet", (const char *const[]){ "vnet", id, "state", "error",
		"bridge", NULL, "reason", reason, NULL });
}

static void events_reach_a_subscriber(void **state)
{
	struct loop *l = loop_new();
	int sv[2];
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	ctl_monitor_init(l);
	publish_vnet("1", "nobody listens");   /* no subscriber: nothing happens */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ctl_monitor_add(sv[0]), 0);
	publish_vnet("97", "a b=c%");
	assert_true(drain(sv[1], &buf, &len));
	assert_string_equal(buf, "XVNCTL/1 ok\nvnet vnet=97 state=error reason=a%20b%3Dc%25\n");
	/* The subscriber hangs up: its slot is free again. */
	close(sv[1]);
	spin(l, 20);
	publish_vnet("98", "x");
	int fds[CTL_MONITOR_MAX][2];
	for (int i = 0; i < CTL_MONITOR_MAX; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]), 0);
		assert_int_equal(ctl_monitor_add(fds[i][0]), 0);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ctl_monitor_add(sv[0]), -1);   /* full: the caller keeps it */
	close(sv[0]);
	close(sv[1]);
	ctl_monitor_stop();
	for (int i = 0; i < CTL_MONITOR_MAX; i++)
		close(fds[i][1]);
	free(buf);
	loop_free(l);
}

static void a_stuck_subscriber_is_dropped(void **state)
{
	struct loop *l = loop_new();
	int stuck[2], live[2];
	char *sbuf = NULL, *lbuf = NULL, reason[200];
	size_t slen = 0, llen = 0;
	int sent = 0;

	(void)state;
	ctl_monitor_init(l);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, stuck), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, live), 0);
	fcntl(stuck[0], F_SETFL, O_NONBLOCK);   /* as ctl.c accepts them */
	fcntl(live[0], F_SETFL, O_NONBLOCK);
	assert_int_equal(ctl_monitor_add(stuck[0]), 0);
	assert_int_equal(ctl_monitor_add(live[0]), 0);
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	/* More than the kernel (~170 records) and the queue (~70) hold; never
	 * blocks.  Few enough to read the stuck one within its linger time. */
	for (; sent < 400; sent++) {
		char id[16];
		snprintf(id, sizeof(id), "%d", sent);
		publish_vnet(id, reason);
		assert_true(drain(live[1], &lbuf, &llen));   /* the live one keeps up */
	}
	/* Now read the stuck one: what was queued, "overflow" last, then EOF. */
	bool open = true;
	for (int i = 0; i < 500 && open; i++) {
		open = drain(stuck[1], &sbuf, &slen);
		spin(l, 10);
	}
	assert_false(open);
	assert_true(slen > 0 && slen < 400 * 200);
	assert_true(slen >= 9 && strcmp(sbuf + slen - 9, "overflow\n") == 0);
	assert_null(strstr(lbuf, "overflow"));
	assert_non_null(strstr(lbuf, "vnet vnet=399 "));
	ctl_monitor_stop();
	close(stuck[1]);
	close(live[1]);
	free(sbuf);
	free(lbuf);
	loop_free(l);
}

/* ---- metrics from a fixed ops table ---- */

static void fake_status(void *arg, struct ctl_reply *r)
{
	struct ctl_status s = { .version = "1.2", .dataplane = "vxlan", .port = 1798, .vnets = 2,
				.vnets_up = 1, .vnets_error = 1, .peers = 0, .xenstore = "lost",
				.uptime_s = 7 };
	(void)arg;
	ctl_emit_status(r, &s);
	ctl_emit_counter(r, "hosts", 3);
	ctl_emit_counter(r, "msgs-ok", 42);
}

static void fake_vnets(void *arg, struct ctl_reply *r)
{
	struct ctl_vnet v = { .bridge = "br\"x\\y\nz", .vnetif = "vnif97", .vni = 151,
			      .state = "error", .error = "taken", .ports = 0 };
	(void)arg;
	vnet_id_parse("97", &v.id, NULL, 0);
	ctl_emit_vnet(r, &v);
}

static const struct ctl_ops fake_ops = { .status = fake_status, .list_vnets = fake_vnets };

static void metrics_text(void **state)
{
	char *t;

	(void)state;
	t = ctl_metrics_render(&fake_ops, NULL);
	assert_non_null(t);
	assert_non_null(strstr(t, "# HELP xenvnet_info "));
	assert_non_null(strstr(t, "\n# TYPE xenvnet_info gauge\n"
				  "xenvnet_info{version=\"1.2\",dataplane=\"vxlan\",underlay=\"\"} 1\n"));
	assert_non_null(strstr(t, "\nxenvnet_uptime_seconds 7\n"));
	assert_non_null(strstr(t, "\nxenvnet_xenstore_connected 0\n"));
	assert_non_null(strstr(t, "\n# TYPE xenvnet_hosts gauge\nxenvnet_hosts 3\n"));
	assert_non_null(strstr(t, "\n# TYPE xenvnet_msgs_ok_total counter\nxenvnet_msgs_ok_total 42\n"));
	/* ", \ and newline escaped the Prometheus way. */
	assert_non_null(strstr(t, "\nxenvnet_vnet_up{id=\"97\",bridge=\"br\\\"x\\\\y\\nz\"} 0\n"));
	/* No hosts op: the family is there, empty. */
	assert_non_null(strstr(t, "# TYPE xenvnet_host_vnets gauge\n"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_reach_a_subscriber),
		cmocka_unit_test(a_stuck_subscriber_is_dropped),
		cmocka_unit_test(metrics_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
