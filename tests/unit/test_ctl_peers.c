/* The peer list behind `vn peer-add`: validation, canonical spelling,
 * persistence, and rollback when the state directory fails us. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peers.h"

static void addresses(void **state)
{
	(void)state;
	static const char *const good[] = { "192.0.2.1", "::1", "2001:db8::17", "host-b", "a.example.org",
					    "xn--bcher-kva.example", "h1" };
	static const char *const bad[] = { "", "10.0.0.256", "1.2.3", "-a", "a-", "a..b", ".a", "a.",
					   "a b", "a;b", "a/b", "$(x)", "fe80::1%eth0", "::g" };
	char longname[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!peer_addr_valid(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (peer_addr_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	memset(longname, 'a', sizeof(longname));
	longname[63] = '\0';
	assert_true(peer_addr_valid(longname));
	longname[63] = 'a';
	longname[64] = '\0';
	assert_false(peer_addr_valid(longname));       /* label over 63 */
	for (int i = 0; i < 299; i++)
		longname[i] = i % 10 == 9 ? '.' : 'a';
	longname[299] = '\0';
	assert_false(peer_addr_valid(longname));       /* name over 253 */
}

struct dir {
	char path[64];
};

static int mkdir_setup(void **state)
{
	struct dir *d = malloc(sizeof(*d));
	snprintf(d->path, sizeof(d->path), "/tmp/test_peers.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	*state = d;
	return 0;
}

static int mkdir_teardown(void **state)
{
	struct dir *d = *state;
	char p[128];
	snprintf(p, sizeof(p), "%s/peers", d->path);
	unlink(p);
	rmdir(d->path);
	free(d);
	return 0;
}

static void write_file(const char *dir, const char *text)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/peers", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void add_del_persist(void **state)
{
	struct dir *d = *state;
	struct peers p, q;
	char err[256], tmp[128];

	assert_int_equal(peers_load(&p, d->path, err, sizeof(err)), 0);    /* no file yet */
	assert_int_equal(p.n, 0);
	assert_int_equal(peers_add(&p, "0:0::1", 1798, err, sizeof(err)), 0);
	assert_int_equal(peers_add(&p, "::1", 1798, err, sizeof(err)), 1);   /* same peer */
	assert_int_equal(peers_add(&p, "::1", 4789, err, sizeof(err)), 1);   /* port changed */
	assert_int_equal(peers_add(&p, "Host-B", 1798, err, sizeof(err)), 0);
	assert_int_equal(peers_add(&p, "a b", 1798, err, sizeof(err)), -1);
	assert_int_equal(peers_add(&p, "h", 0, err, sizeof(err)), -1);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0].addr, "::1");
	assert_int_equal(p.v[0].port, 4789);
	assert_string_equal(p.v[1].addr, "host-b");
	snprintf(tmp, sizeof(tmp), "%s/peers.tmp", d->path);
	assert_int_equal(access(tmp, F_OK), -1);                    /* renamed away */

	assert_int_equal(peers_load(&q, d->path, err, sizeof(err)), 0);
	assert_int_equal(q.n, 2);
	assert_int_equal(q.v[0].port, 4789);
	peers_free(&q);

	assert_int_equal(peers_del(&p, "HOST-B", err, sizeof(err)), 0);
	assert_int_equal(peers_del(&p, "host-b", err, sizeof(err)), 1);
	assert_int_equal(peers_del(&p, "not valid!", err, sizeof(err)), 1);
	assert_int_equal(peers_load(&q, d->path, err, sizeof(err)), 0);
	assert_int_equal(q.n, 1);
	peers_free(&q);
	peers_free(&p);
}

static void load_file(void **state)
{
	struct dir *d = *state;
	struct peers p;
	char err[256];

	write_file(d->path, "# comment\n\n  192.0.2.1 1798\n192.0.2.1 99\n\t::2 4789  \n");
	assert_int_equal(peers_load(&p, d->path, err, sizeof(err)), 0);
	assert_int_equal(p.n, 2);                      /* the duplicate is dropped */
	assert_int_equal(p.v[0].port, 1798);
	peers_free(&p);

	static const char *const bad[] = { "192.0.2.1\n", "192.0.2.1 0\n", "192.0.2.1 1798 x\n",
					   "a;b 1798\n", "192.0.2.1 65536\n", "192.0.2.1 -1\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "# ok\n%s", bad[i]);
		write_file(d->path, text);
		assert_int_equal(peers_load(&p, d->path, err, sizeof(err)), -1);
		if (!strstr(err, "peers:2:"))
			fail_msg("'%s': %s", bad[i], err);
		assert_int_equal(p.n, 0);
		peers_free(&p);
	}
}

static void save_failure_rolls_back(void **state)
{
	(void)state;
	struct peers p;
	char err[256];

	/* A state directory that does not exist: loading finds nothing,
	 * saving fails, and the list stays as it was. */
	assert_int_equal(peers_load(&p, "/nonexistent/xenvnet", err, sizeof(err)), 0);
	assert_int_equal(peers_add(&p, "192.0.2.1", 1798, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/xenvnet/peers"));
	assert_int_equal(p.n, 0);
	peers_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses),
		cmocka_unit_test_setup_teardown(add_del_persist, mkdir_setup, mkdir_teardown),
		cmocka_unit_test_setup_teardown(load_file, mkdir_setup, mkdir_teardown),
		cmocka_unit_test(save_failure_rolls_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
