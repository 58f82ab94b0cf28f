/* The control protocol's codecs: the daemon's request decoder and reply
 * encoder against vn's request encoder and reply decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "vn_reply.h"

static void decode_ok(const char *line, struct ctl_request *q)
{
	char err[160];
	if (ctl_request_decode(line, strlen(line), q, err, sizeof(err)) != 0)
		fail_msg("'%s' rejected: %s", line, err);
}

static void decode_bad(const char *line, size_t len, const char *word)
{
	struct ctl_request q;
	char err[160] = "";
	assert_int_equal(ctl_request_decode(line, len, &q, err, sizeof(err)), -1);
	if (!strstr(err, word))
		fail_msg("'%.*s': error '%s' lacks '%s'", (int)len, line, err, word);
}

static void requests_accepted(void **state)
{
	(void)state;
	struct ctl_request q;

	decode_ok("XVNCTL/1 status\n", &q);
	assert_int_equal(q.verb, CTL_STATUS);
	decode_ok("XVNCTL/1 fdb\n", &q);
	assert_false(q.has_vnet);
	decode_ok("XVNCTL/1 fdb vnet=0000-0000-0000-0000-0000-0000-0000-0097\n", &q);
	assert_true(q.has_vnet);
	assert_int_equal(q.vnet.b[15], 0x97);
	decode_ok("XVNCTL/1 peer-add addr=fe80::1%eth0 port=4789\n", &q);
	assert_string_equal(q.addr, "fe80::1%eth0");
	assert_int_equal(q.port, 4789);
	decode_ok("XVNCTL/1 peer-add addr=10.0.0.2\n", &q);
	assert_int_equal(q.port, CTL_DEFAULT_PORT);
	decode_ok("XVNCTL/1 peer-del addr=10.0.0.2\n", &q);
	assert_int_equal(q.port, 0);
	decode_ok("XVNCTL/1 diag domid=0\n", &q);
	assert_true(q.has_domid);
	assert_int_equal(q.domid, 0);
	decode_ok("XVNCTL/1 diag mac=00:16:3e:00:00:01\n", &q);
	assert_false(q.has_domid);
	assert_string_equal(q.mac, "00:16:3e:00:00:01");
}

static void requests_refused(void **state)
{
	(void)state;
	char big[CTL_REQ_MAX + 2];

	decode_bad("", 0, "newline");
	decode_bad("XVNCTL/1 status", 15, "newline");
	decode_bad("\n", 1, "start with");
	decode_bad("XVNCTL/1\n", 9, "no verb");
	decode_bad("XVNCTL/1  status\n", 17, "stray space");
	decode_bad(" XVNCTL/1 status\n", 17, "stray space");
	decode_bad("XVNCTL/1 status \n", 17, "stray space");
	decode_bad("XVNCTL/1 status\r\n", 17, "0x0d");
	decode_bad("XVNCTL/1 sta\0tus\n", 17, "0x00");
	decode_bad("XVNCTL/1 STATUS\n", 16, "unknown verb");
	decode_bad("XVNCTL/1 status vnet=97\n", 24, "takes no argument");
	decode_bad("XVNCTL/1 fdb colour=red\n", 24, "unknown argument");
	decode_bad("XVNCTL/1 fdb vnet\n", 18, "key=value");
	decode_bad("XVNCTL/1 fdb =97\n", 17, "key=value");
	decode_bad("XVNCTL/1 fdb vnet=\n", 19, "bad value");
	decode_bad("XVNCTL/1 fdb vnet=9=7\n", 22, "bad value");
	decode_bad("XVNCTL/1 fdb vnet=a/b\n", 22, "bad value");
	decode_bad("XVNCTL/1 fdb vnet=1:2:3:4:5:6:7:8:9\n", 36, "vnet:");
	decode_bad("XVNCTL/1 fdb vnet=97 vnet=97\n", 29, "twice");
	decode_bad("XVNCTL/1 peer-add port=1\n", 25, "needs addr");
	decode_bad("XVNCTL/1 peer-add addr=a port=0\n", 32, "port");
	decode_bad("XVNCTL/1 peer-add addr=a port=65536\n", 36, "port");
	decode_bad("XVNCTL/1 peer-add addr=a port=01798x\n", 37, "port");
	decode_bad("XVNCTL/1 status\n\n", 17, "0x0a");
	decode_bad("XVNCTL/1 diag\n", 14, "domid=N or mac=MAC");
	decode_bad("XVNCTL/1 diag domid=1 mac=a\n", 28, "domid=N or mac=MAC");
	decode_bad("XVNCTL/1 diag domid=65536\n", 26, "domid");
	decode_bad("XVNCTL/1 diag domid=-1\n", 23, "domid");
	decode_bad("XVNCTL/1 status domid=1\n", 24, "takes no argument");
	memset(big, 'a', sizeof(big));
	decode_bad(big, sizeof(big), "longer than");
}

static void vn_requests_decode(void **state)
{
	(void)state;
	char line[CTL_REQ_MAX + 1], err[160];
	struct ctl_request q;

	const char *kv[] = { "addr", "192.0.2.1", "port", NULL, "vnet", NULL, NULL };
	int n = vn_request_encode(line, sizeof(line), CTL_VERB_PEER_DEL, kv, err, sizeof(err));
	assert_true(n > 0);
	assert_string_equal(line, "XVNCTL/1 peer-del addr=192.0.2.1\n");
	assert_int_equal(ctl_request_decode(line, (size_t)n, &q, err, sizeof(err)), 0);
	assert_int_equal(q.verb, CTL_PEER_DEL);

	for (int v = 0; v < CTL_NVERBS; v++) {
		const char *by_vnet[] = { "vnet", "97", NULL }, *by_addr[] = { "addr", "h", NULL };
		const char *by_domid[] = { "domid", "1", NULL };
		const char **use = v == CTL_FDB ? by_vnet : v == CTL_PEER_ADD || v == CTL_PEER_DEL ? by_addr
			: v == CTL_DIAG ? by_domid : NULL;
		n = vn_request_encode(line, sizeof(line), ctl_verb_name((enum ctl_verb)v), use, err, sizeof(err));
		assert_true(n > 0);
		if (ctl_request_decode(line, (size_t)n, &q, err, sizeof(err)) != 0)
			fail_msg("%s: %s", line, err);
		assert_int_equal(q.verb, v);
	}

	const char *evil[] = { "addr", "a b\nXVNCTL/1 status", NULL };
	assert_int_equal(vn_request_encode(line, sizeof(line), "peer-add", evil, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not allowed"));
}

static void decode_reply_ok(const char *text, struct vn_reply *rep)
{
	char err[160];
	if (vn_reply_decode(text, strlen(text), rep, err, sizeof(err)) != 0)
		fail_msg("reply rejected: %s\n%s", err, text);
}

static void emit_all_then_decode(void **state)
{
	(void)state;
	struct ctl_reply r;
	struct vn_reply rep;
	struct vnet_id id;
	size_t len;
	static const uint8_t mac[6] = { 0, 0x16, 0x3e, 1, 2, 3 };

	vnet_id_parse("97", &id, NULL, 0);
	ctl_reply_init(&r);
	struct ctl_vnet v = { id, "vnet97", "vnif97", 151, 0, NULL, NULL, 1 };
	struct ctl_port p = { .vnet = id, .bridge = "vnet97", .name = "vif 1", .kind = CTL_PORT_OTHER,
			      .mac = mac, .domid = 0 };
	struct ctl_fdb f = { .vnet = id, .mac = { 1, 2, 3, 4, 5, 6 }, .dev = "vif3.0", .state = CTL_FDB_LOCAL };
	struct ctl_peer pe = { "peer.example", 1798, "unresolvable", NULL, "Timeout while contacting DNS servers" };
	assert_int_equal(ctl_emit_vnet(&r, &v), 0);
	assert_int_equal(ctl_emit_port(&r, &p), 0);
	assert_int_equal(ctl_emit_fdb(&r, &f), 0);
	assert_int_equal(ctl_emit_peer(&r, &pe), 0);
	assert_int_equal(ctl_emit_flushed(&r, 3), 0);
	assert_int_equal(ctl_emit_check(&r, &(struct ctl_check){ "mtu", CTL_CHECK_FAIL, "MTU 1400, vnet 97 MTU 1450" }), 0);
	const char *out = ctl_reply_finish(&r, &len);
	assert_string_equal(out,
		"XVNCTL/1 ok\n"
		"vnet id=97 key=97 bridge=vnet97 vnetif=vnif97 vni=151 state=pending ports=1\n"
		"port vnet=97 bridge=vnet97 name=vif%201 kind=other mac=00:16:3e:01:02:03 state=down domid=0\n"
		"fdb vnet=97 mac=01:02:03:04:05:06 dev=vif3.0 state=local\n"
		"peer addr=peer.example port=1798 state=unresolvable error=Timeout%20while%20contacting%20DNS%20servers\n"
		"flushed count=3\n"
		"check name=mtu result=fail detail=MTU%201400,%20vnet%2097%20MTU%201450\n"
		"end\n");
	decode_reply_ok(out, &rep);
	assert_true(rep.ok);
	assert_int_equal(rep.rows.n, 6);
	assert_string_equal(vn_record_get(&rep.rows.v[5], "detail"), "MTU 1400, vnet 97 MTU 1450");
	assert_string_equal(rep.rows.v[1].type, "port");
	assert_string_equal(vn_record_get(&rep.rows.v[1], "name"), "vif 1");
	assert_string_equal(vn_record_get(&rep.rows.v[3], "error"), "Timeout while contacting DNS servers");
	assert_null(vn_record_get(&rep.rows.v[3], "resolved"));
	vn_reply_free(&rep);
	ctl_reply_free(&r);
}

static void empty_and_error_replies(void **state)
{
	(void)state;
	struct ctl_reply r;
	struct vn_reply rep;
	size_t len;

	ctl_reply_init(&r);
	assert_string_equal(ctl_reply_finish(&r, &len), "XVNCTL/1 ok\nend\n");
	ctl_reply_free(&r);

	ctl_reply_init(&r);
	struct ctl_peer pe = { .addr = "a", .port = 1 };
	ctl_emit_peer(&r, &pe);
	ctl_reply_fail(&r, CTL_E_NOT_FOUND, "no peer %s\n\x1b[2J", "x");
	assert_int_equal(ctl_emit_peer(&r, &pe), -1);       /* ignored after a failure */
	const char *out = ctl_reply_finish(&r, &len);
	assert_string_equal(out, "XVNCTL/1 error not-found no peer x??[2J\n");
	decode_reply_ok(out, &rep);
	assert_false(rep.ok);
	assert_string_equal(rep.code, "not-found");
	assert_string_equal(rep.message, "no peer x??[2J");
	vn_reply_free(&rep);
	ctl_reply_free(&r);
}

static void overflow_becomes_too_large(void **state)
{
	(void)state;
	struct ctl_reply r;
	size_t len;
	struct ctl_peer pe = { .addr = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", .port = 65535,
			       .state = "resolved", .resolved = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff" };
	int rc = 0;

	ctl_reply_init(&r);
	while (rc == 0)
		rc = ctl_emit_peer(&r, &pe);
	const char *out = ctl_reply_finish(&r, &len);
	assert_non_null(strstr(out, "XVNCTL/1 error too-large"));
	assert_true(len < 100);
	ctl_reply_free(&r);
}

static void replies_refused(void **state)
{
	(void)state;
	static const struct { const char *text; const char *word; } cases[] = {
		{ "", "empty" },
		{ "XVNCTL/1 ok\n", "no 'end'" },
		{ "XVNCTL/1 ok\nend", "cut short" },
		{ "XVNCTL/1 ok\nend\nmore\n", "after 'end'" },
		{ "XVNCTL/2 ok\nend\n", "does not start" },
		{ "XVNCTL/1 ok\npeer addr=a addr=b\nend\n", "twice" },
		{ "XVNCTL/1 ok\npeer addr=%4\nend\n", "escape" },
		{ "XVNCTL/1 ok\npeer addr=%zz\nend\n", "escape" },
		{ "XVNCTL/1 ok\npeer addr=a=b\nend\n", "'='" },
		{ "XVNCTL/1 ok\npeer  addr=a\nend\n", "stray space" },
		{ "XVNCTL/1 ok\npeer addr=a \nend\n", "stray space" },
		{ "XVNCTL/1 ok\nPeer addr=a\nend\n", "record type" },
		{ "XVNCTL/1 ok\npeer Addr=a\nend\n", "bad field" },
		{ "XVNCTL/1 ok\npeer =a\nend\n", "bad field" },
		{ "XVNCTL/1 ok\npeer addr\nend\n", "bad field" },
		{ "XVNCTL/1 ok\npeer addr=\x1b\nend\n", "0x1b" },
		{ "XVNCTL/1 ok\r\nend\n", "0x0d" },
		{ "XVNCTL/1 error\n", "does not start" },
		{ "XVNCTL/1 error x\n", "malformed" },
		{ "XVNCTL/1 error Bad x\n", "malformed" },
		{ "XVNCTL/1 error failed x\nend\n", "after the error" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vn_reply rep;
		char err[160] = "";
		int rc = vn_reply_decode(cases[i].text, strlen(cases[i].text), &rep, err, sizeof(err));
		vn_reply_free(&rep);
		if (rc != -1 || !strstr(err, cases[i].word))
			fail_msg("case %zu: rc %d, error '%s', wanted '%s'", i, rc, err, cases[i].word);
	}
	/* A NUL inside the bytes. */
	struct vn_reply rep;
	char err[160];
	assert_int_equal(vn_reply_decode("XVNCTL/1 ok\n\0nd\n", 17, &rep, err, sizeof(err)), -1);
	vn_reply_free(&rep);
	/* A line over the limit. */
	size_t n = CTL_LINE_MAX + 64;
	char *big = malloc(n + 32);
	int h = sprintf(big, "XVNCTL/1 ok\np a=");
	memset(big + h, 'x', n);
	strcpy(big + h + n, "\nend\n");
	assert_int_equal(vn_reply_decode(big, strlen(big), &rep, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	vn_reply_free(&rep);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests_accepted),
		cmocka_unit_test(requests_refused),
		cmocka_unit_test(vn_requests_decode),
		cmocka_unit_test(emit_all_then_decode),
		cmocka_unit_test(empty_and_error_replies),
		cmocka_unit_test(overflow_becomes_too_large),
		cmocka_unit_test(replies_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
