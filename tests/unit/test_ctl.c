/* The control socket end to end: ctl.c serving a fake daemon (ops table)
 * over a real unix socket, talked to by hand and by vn's own client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "peers.h"
#include "vn.h"
#include "vn_ctl.h"
#include "vn_reply.h"

/* ---- a fake daemon ---- */

struct fake {
	struct peers peers;
	unsigned fdb_entries;      /* how many fdb records list_fdb emits */
	int flushed_vnet_short;    /* last fdb_flush filter (last byte), -1 for all */
	char logged[256];
};

static void fake_status(void *arg, struct ctl_reply *r)
{
	(void)arg;
	struct ctl_status s = { .version = "0.1.0", .dataplane = "vxlan", .underlay = "eth0",
				.port = 1798, .vnets = 2, .vnets_up = 1, .vnets_error = 1,
				.peers = 0, .uptime_s = 42 };
	ctl_emit_status(r, &s);
	ctl_emit_counter(r, "reconciles", 7);
}

static struct vnet_id id_of(const char *s)
{
	struct vnet_id id;
	assert_int_equal(vnet_id_parse(s, &id, NULL, 0), 0);
	return id;
}

static void fake_vnets(void *arg, struct ctl_reply *r)
{
	(void)arg;
	struct ctl_vnet a = { id_of("97"), "vnet97", "vnif97", 151, 1450, "up", NULL, 2 };
	struct ctl_vnet b = { id_of("1:0:0:0:0:0:0:2"), "vnbig", "vnif1", 70000, 0, "error",
			      "bridge 'vnbig': File exists (=100% sure)\n", 0 };
	ctl_emit_vnet(r, &a);
	ctl_emit_vnet(r, &b);
}

static void fake_ports(void *arg, struct ctl_reply *r)
{
	(void)arg;
	static const uint8_t mac[6] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct ctl_port vif = { .vnet = id_of("97"), .bridge = "vnet97", .name = "vif3.0",
				.kind = CTL_PORT_VIF, .mac = mac, .up = true, .mtu = 1450, .domid = 3 };
	struct ctl_port vnif = { .vnet = id_of("97"), .bridge = "vnet97", .name = "vnif97",
				 .kind = CTL_PORT_VNIF, .up = true, .domid = -1, .has_stats = true,
				 .rx_packets = 10, .rx_bytes = 1000, .tx_packets = 20, .tx_bytes = 2000 };
	ctl_emit_port(r, &vif);
	ctl_emit_port(r, &vnif);
}

static void fake_fdb(void *arg, const struct vnet_id *vnet, struct ctl_reply *r)
{
	struct fake *f = arg;
	for (unsigned i = 0; i < f->fdb_entries; i++) {
		struct ctl_fdb e = { .vnet = vnet ? *vnet : id_of("97"),
				     .mac = { 0, 0x16, 0x3e, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i },
				     .remote = "192.0.2.7", .state = CTL_FDB_LEARNED, .has_age = true, .age_s = i };
		if (ctl_emit_fdb(r, &e) < 0)
			return;
	}
}

static void fake_flush(void *arg, const struct vnet_id *vnet, struct ctl_reply *r)
{
	struct fake *f = arg;
	f->flushed_vnet_short = vnet ? vnet->b[15] : -1;
	ctl_emit_flushed(r, 5);
}

static void fake_peers(void *arg, struct ctl_reply *r)
{
	struct fake *f = arg;
	for (size_t i = 0; i < f->peers.n; i++) {
		struct ctl_peer p = { f->peers.v[i].addr, f->peers.v[i].port, "resolved", f->peers.v[i].addr,
				      NULL };
		ctl_emit_peer(r, &p);
	}
}

static void fake_peer_add(void *arg, const char *addr, uint16_t port, struct ctl_reply *r)
{
	struct fake *f = arg;
	char err[256];
	if (peers_add(&f->peers, addr, port, err, sizeof(err)) < 0)
		ctl_reply_fail(r, CTL_E_FAILED, "%s", err);
}

static void fake_peer_del(void *arg, const char *addr, struct ctl_reply *r)
{
	struct fake *f = arg;
	char err[256];
	int rc = peers_del(&f->peers, addr, err, sizeof(err));
	if (rc < 0)
		ctl_reply_fail(r, CTL_E_FAILED, "%s", err);
	else if (rc == 1)
		ctl_reply_fail(r, CTL_E_NOT_FOUND, "no peer %s", addr);
}

static void fake_log(void *arg, const char *msg)
{
	struct fake *f = arg;
	snprintf(f->logged, sizeof(f->logged), "%s", msg);
}

static const struct ctl_ops fake_ops = {
	.status = fake_status,
	.list_vnets = fake_vnets,
	.list_ports = fake_ports,
	.list_fdb = fake_fdb,
	.fdb_flush = fake_flush,
	.list_peers = fake_peers,
	.peer_add = fake_peer_add,
	.peer_del = fake_peer_del,
	.log = fake_log,
};

/* ---- fixture: a temp dir with the socket and the peers file ---- */

struct fix {
	char dir[64];
	char sock[128];
	struct fake fake;
	struct ctl *ctl;
	struct vn_opts opts;
	pthread_t thread;
	volatile int stop;
};

static int setup(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	char err[256];

	snprintf(x->dir, sizeof(x->dir), "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->sock, sizeof(x->sock), "%s/ctl.sock", x->dir);
	assert_int_equal(peers_load(&x->fake.peers, x->dir, err, sizeof(err)), 0);
	x->fake.fdb_entries = 3;
	x->ctl = ctl_open(x->sock, &fake_ops, &x->fake, err, sizeof(err));
	if (!x->ctl)
		fail_msg("ctl_open: %s", err);
	x->opts.socket = x->sock;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fix *x = *state;
	char path[192];

	ctl_close(x->ctl);
	peers_free(&x->fake.peers);
	snprintf(path, sizeof(path), "%s/peers", x->dir);
	unlink(path);
	rmdir(x->dir);
	free(x);
	return 0;
}

/* Serve in a thread so vn's blocking client can be used as is. */
static void *serve_thread(void *arg)
{
	struct fix *x = arg;
	while (!x->stop) {
		struct pollfd p = { .fd = ctl_fd(x->ctl), .events = POLLIN };
		if (poll(&p, 1, 20) > 0)
			ctl_on_readable(x->ctl);
	}
	return NULL;
}

static void start(struct fix *x)
{
	x->stop = 0;
	assert_int_equal(pthread_create(&x->thread, NULL, serve_thread, x), 0);
}

static void stop(struct fix *x)
{
	x->stop = 1;
	pthread_join(x->thread, NULL);
}

/* By hand, single-threaded: connect, send, let ctl serve, read it all. */
static char *raw_call(struct fix *x, const char *req, size_t len, bool close_write)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	static char buf[1 << 16];
	size_t n = 0;

	strcpy(sa.sun_path, x->sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (len)
		assert_int_equal(write(fd, req, len), (ssize_t)len);
	if (close_write)
		shutdown(fd, SHUT_WR);
	ctl_on_readable(x->ctl);
	for (ssize_t got; (got = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0;)
		n += (size_t)got;
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* ---- tests ---- */

static void status_by_hand(void **state)
{
	struct fix *x = *state;
	const char *req = "XVNCTL/1 status\n";
	char *out = raw_call(x, req, strlen(req), true);
	assert_string_equal(out,
		"XVNCTL/1 ok\n"
		"status version=0.1.0 dataplane=vxlan underlay=eth0 port=1798 vnets=2 vnets-up=1 "
		"vnets-error=1 peers=0 uptime=42\n"
		"counter name=reconciles value=7\n"
		"end\n");
}

static void bad_requests_by_hand(void **state)
{
	struct fix *x = *state;
	static const struct { const char *req; const char *want; } cases[] = {
		{ "XVNCTL/1 status", "XVNCTL/1 error bad-request request does not end with a newline\n" },
		{ "XVNCTL/2 status\n", "XVNCTL/1 error bad-request request does not start with XVNCTL/1\n" },
		{ "XVNCTL/1 reboot\n", "XVNCTL/1 error bad-request unknown verb 'reboot'\n" },
		{ "XVNCTL/1 peer-add addr=-bad-\n", "XVNCTL/1 error bad-request addr '-bad-' is neither an IP address nor a host name\n" },
		{ "XVNCTL/1 fdb vnet=97 vnet=98\n", "XVNCTL/1 error bad-request argument 'vnet' given twice\n" },
		{ "XVNCTL/1 status\nXVNCTL/1 status\n", "XVNCTL/1 error bad-request byte 0x0a at 15 is not allowed\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(raw_call(x, cases[i].req, strlen(cases[i].req), true), cases[i].want);
	assert_non_null(strstr(x->fake.logged, "bad-request"));
}

static void missing_op_is_unsupported(void **state)
{
	(void)state;
	static const struct ctl_ops bare = { .status = fake_status };
	struct ctl_reply r;
	struct vn_reply rep;
	size_t len;
	char err[128];
	const char *req = "XVNCTL/1 peers\n";

	ctl_reply_init(&r);
	ctl_dispatch(&bare, NULL, req, strlen(req), &r);
	const char *out = ctl_reply_finish(&r, &len);
	assert_string_equal(out, "XVNCTL/1 error unsupported peers is not supported by this daemon\n");
	assert_int_equal(vn_reply_decode(out, len, &rep, err, sizeof(err)), 0);
	assert_string_equal(rep.code, "unsupported");
	vn_reply_free(&rep);
	ctl_reply_free(&r);
}

static void oversized_request(void **state)
{
	struct fix *x = *state;
	char req[CTL_REQ_MAX + 100];
	memset(req, 'a', sizeof(req));
	char *out = raw_call(x, req, sizeof(req), true);
	assert_non_null(strstr(out, "XVNCTL/1 error too-large"));
}

static void silent_client_times_out(void **state)
{
	struct fix *x = *state;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	char *out = raw_call(x, NULL, 0, false);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_non_null(strstr(out, "no request line"));
	assert_true(ms >= CTL_READ_TIMEOUT_MS - 10 && ms < CTL_READ_TIMEOUT_MS + 500);
}

static void socket_is_private(void **state)
{
	struct fix *x = *state;
	struct stat st;

	assert_int_equal(stat(x->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void vn_client_round_trip(void **state)
{
	struct fix *x = *state;
	struct vn_reply rep;

	start(x);
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_VNETS, NULL, &rep), VN_OK);
	assert_int_equal(rep.rows.n, 2);
	assert_string_equal(vn_record_get(&rep.rows.v[0], "id"), "97");
	assert_string_equal(vn_record_get(&rep.rows.v[0], "mtu"), "1450");
	assert_string_equal(vn_record_get(&rep.rows.v[1], "id"), "0001:0000:0000:0000:0000:0000:0000:0002");
	assert_string_equal(vn_record_get(&rep.rows.v[1], "key"), "0001-0000-0000-0000-0000-0000-0000-0002");
	assert_null(vn_record_get(&rep.rows.v[1], "mtu"));
	vn_reply_free(&rep);

	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_PORTS, NULL, &rep), VN_OK);
	assert_int_equal(rep.rows.n, 2);
	assert_string_equal(vn_record_get(&rep.rows.v[0], "mac"), "fe:ff:ff:ff:ff:ff");
	assert_string_equal(vn_record_get(&rep.rows.v[0], "domid"), "3");
	assert_null(vn_record_get(&rep.rows.v[1], "domid"));
	assert_string_equal(vn_record_get(&rep.rows.v[1], "tx-bytes"), "2000");
	vn_reply_free(&rep);

	const char *kv[] = { "vnet", "0-0-0-0-0-0-0-42", NULL };
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_FDB_FLUSH, kv, &rep), VN_OK);
	assert_string_equal(vn_record_get(&rep.rows.v[0], "count"), "5");
	assert_int_equal(x->fake.flushed_vnet_short, 0x42);
	vn_reply_free(&rep);

	/* The daemon's refusals map to exit codes: bad input 2, else 1. */
	const char *bad_vnet[] = { "vnet", "1:2:3:4:5:6:7:8:9", NULL };
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_FDB, bad_vnet, &rep), VN_EUSAGE);
	assert_string_equal(rep.code, "bad-request");
	vn_reply_free(&rep);
	stop(x);
}

static void odd_bytes_in_values(void **state)
{
	struct fix *x = *state;
	struct vn_reply rep;

	start(x);
	/* '=', '%' and spaces come through whole; the newline, a control
	 * byte, is escaped on the wire and shown as '?'. */
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_VNETS, NULL, &rep), VN_OK);
	assert_string_equal(vn_record_get(&rep.rows.v[1], "error"),
			    "bridge 'vnbig': File exists (=100% sure)?");
	vn_reply_free(&rep);
	stop(x);
}

static void big_reply(void **state)
{
	struct fix *x = *state;
	struct vn_reply rep;

	x->fake.fdb_entries = 50000;      /* ~4 MB: many socket buffers */
	start(x);
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_FDB, NULL, &rep), VN_OK);
	assert_int_equal(rep.rows.n, 50000);
	assert_string_equal(vn_record_get(&rep.rows.v[49999], "mac"), "00:16:3e:00:c3:4f");
	vn_reply_free(&rep);
	x->fake.fdb_entries = 400000;     /* over CTL_REPLY_MAX */
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_FDB, NULL, &rep), VN_EFAIL);
	assert_string_equal(rep.code, "too-large");
	vn_reply_free(&rep);
	stop(x);
}

static void peers_persist(void **state)
{
	struct fix *x = *state;
	struct vn_reply rep;
	char path[192], text[512], err[256];

	start(x);
	const char *a[] = { "addr", "192.0.2.1", NULL };
	const char *b[] = { "addr", "0:0::2", "port", "4789", NULL };
	const char *c[] = { "addr", "host-b.example", NULL };
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_PEER_ADD, a, &rep), VN_OK);
	vn_reply_free(&rep);
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_PEER_ADD, b, &rep), VN_OK);
	vn_reply_free(&rep);
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_PEER_ADD, c, &rep), VN_OK);
	vn_reply_free(&rep);
	const char *d[] = { "addr", "192.0.2.99", NULL };
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_PEER_DEL, d, &rep), VN_EUSAGE);
	assert_string_equal(rep.code, "not-found");
	vn_reply_free(&rep);
	const char *e[] = { "addr", "host-b.example", NULL };
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_PEER_DEL, e, &rep), VN_OK);
	vn_reply_free(&rep);
	assert_int_equal(vn_ctl_call(&x->opts, CTL_VERB_PEERS, NULL, &rep), VN_OK);
	assert_int_equal(rep.rows.n, 2);
	assert_string_equal(vn_record_get(&rep.rows.v[1], "addr"), "::2");
	assert_string_equal(vn_record_get(&rep.rows.v[1], "port"), "4789");
	assert_string_equal(vn_record_get(&rep.rows.v[1], "state"), "resolved");
	assert_string_equal(vn_record_get(&rep.rows.v[1], "resolved"), "::2");
	assert_null(vn_record_get(&rep.rows.v[1], "error"));
	vn_reply_free(&rep);
	stop(x);

	snprintf(path, sizeof(path), "%s/peers", x->dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(strstr(text, "\n192.0.2.1 1799\n::2 4789\n")); /* default: the control port */

	struct peers again;
	assert_int_equal(peers_load(&again, x->dir, err, sizeof(err)), 0);
	assert_int_equal(again.n, 2);
	assert_string_equal(again.v[0].addr, "192.0.2.1");
	peers_free(&again);
}

static void stale_and_live_sockets(void **state)
{
	struct fix *x = *state;
	char err[256], path[192];

	/* Live: the fixture's daemon is listening. */
	assert_null(ctl_open(x->sock, &fake_ops, &x->fake, err, sizeof(err)));
	assert_non_null(strstr(err, "another daemon"));

	/* Stale: a socket file nobody listens on is replaced. */
	snprintf(path, sizeof(path), "%s/stale.sock", x->dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	struct ctl *c = ctl_open(path, &fake_ops, &x->fake, err, sizeof(err));
	if (!c)
		fail_msg("stale socket not replaced: %s", err);
	ctl_close(c);
	assert_int_equal(access(path, F_OK), -1);

	/* Not a socket: left alone. */
	snprintf(path, sizeof(path), "%s/file", x->dir);
	FILE *f = fopen(path, "w");
	fclose(f);
	assert_null(ctl_open(path, &fake_ops, &x->fake, err, sizeof(err)));
	assert_non_null(strstr(err, "not a socket"));
	unlink(path);
}

static void daemon_down(void **state)
{
	struct fix *x = *state;
	struct vn_opts o = { .socket = "/nonexistent/xenvnetd.sock" };
	struct vn_reply rep;

	(void)x;
	assert_int_equal(vn_ctl_call(&o, CTL_VERB_STATUS, NULL, &rep), VN_EFAIL);
	vn_reply_free(&rep);
	assert_false(vn_ctl_alive(&o));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(status_by_hand, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_requests_by_hand, setup, teardown),
		cmocka_unit_test(missing_op_is_unsupported),
		cmocka_unit_test_setup_teardown(oversized_request, setup, teardown),
		cmocka_unit_test_setup_teardown(silent_client_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(socket_is_private, setup, teardown),
		cmocka_unit_test_setup_teardown(vn_client_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(odd_bytes_in_values, setup, teardown),
		cmocka_unit_test_setup_teardown(big_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(peers_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_and_live_sockets, setup, teardown),
		cmocka_unit_test_setup_teardown(daemon_down, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
