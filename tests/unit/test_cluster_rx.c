/* The cluster's receive path, driven as fuzz_cluster drives it
 * (tests/fuzz/fuzz_env.h: the real daemon in a network namespace of its
 * own, signed messages sent from 192.0.2.x, a recording data plane):
 * regressions of what the fuzzer found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz_env.h"
#include "mactab.h"

static uint64_t counter = 1;

static struct vnet_id vnet97(void)
{
	struct vnet_id id = { { 0 } };

	id.b[15] = 0x97;
	return id;
}

/* An ANNOUNCE from 192.0.2.@from of MACs 02:00:00:00:@hi:00.. on vnet
 * @vnet, each behind 192.0.2.@behind. */
static void announce_on(struct fenv *e, uint8_t vnet, uint8_t from, uint8_t behind, uint8_t hi, size_t n,
			uint32_t seq)
{
	struct proto_entry v[PROTO_MAX_ANNOUNCE];
	struct proto_msg m = { .type = PROTO_ANNOUNCE, .origin = fenv_addr(from), .counter = ++counter,
			       .time_us = fenv_realtime_us(), .entries = v, .nentries = n };

	for (size_t i = 0; i < n; i++) {
		v[i] = (struct proto_entry){ .vnet = { .b[15] = vnet }, .seq = seq, .host = fenv_addr(behind),
					     .mac = { 0x02, 0, 0, 0, hi, (uint8_t)i } };
	}
	assert_true(fenv_send(e, &m, from, true) > 0);
}

static void announce(struct fenv *e, uint8_t from, uint8_t behind, uint8_t hi, size_t n, uint32_t seq)
{
	announce_on(e, 0x97, from, behind, hi, n, seq);
}

static void hello(struct fenv *e, uint8_t from)
{
	struct proto_vnet v = { .id = vnet97(), .vni = 151, .mtu = 1450 };
	struct proto_msg m = { .type = PROTO_HELLO, .origin = fenv_addr(from), .counter = ++counter,
			       .time_us = fenv_realtime_us(), .hold_s = 3, .parts = 1, .vnets = &v,
			       .nvnets = 1 };

	assert_true(fenv_send(e, &m, from, true) > 0);
}

static void count(void *arg, const struct mac_entry *me)
{
	(void)me;
	++*(size_t *)arg;
}

static size_t macs(struct fenv *e)
{
	size_t n = 0;

	cluster_foreach_mac(e->cluster, count, &n);
	return n;
}

static int setup(void **state)
{
	struct vnet_id id = vnet97();

	setenv("FUZZ_LOG", "1", 0); /* cmocka reports on stderr: keep it */
	struct fenv *e = fenv_get();

	cluster_vnet_changed(e->cluster, &id, 100);
	hello(e, 2);
	hello(e, 3);
	*state = e;
	return 0;
}

/* Both hosts leave, the vnet goes: nothing is left for the next test. */
static int teardown(void **state)
{
	struct fenv *e = *state;
	struct vnet_id id = vnet97();

	cluster_vnet_changed(e->cluster, &id, 0);
	fenv_device_gone(e, 100);
	loop_clock_forward(3600 * 1000);
	fenv_settle(e);
	loop_clock_forward(1000);
	fenv_settle(e);
	return macs(e) == 0 && e->nfdb == 0 ? 0 : -1;
}

/* A key holder names us as the host of MACs we never had: we withdraw
 * them, and keep nothing (an entry "behind us" counts against no host's
 * max_macs_per_host: 31 per message, without end, used to be kept for a
 * minute each). */
static void claims_about_us_keep_nothing(void **state)
{
	struct fenv *e = *state;

	for (uint8_t hi = 0; hi < 8; hi++)
		announce(e, 2, 1, hi, PROTO_MAX_ANNOUNCE, 7);
	assert_int_equal(macs(e), 0);
	assert_int_equal(e->nfdb, 0);
	assert_int_equal(cluster_stats(e->cluster)->ok >= 10, true);
}

static void first(void *arg, const struct mac_entry *me)
{
	*(struct mac_entry *)arg = *me;
}

/* A claim about us does not take another host's MAC from it: the entry
 * and the FDB entry stay 192.0.2.3's (the old code turned the entry into
 * a tombstone of ours, counted against nobody, and left the FDB entry
 * pointing at 192.0.2.3). */
static void claim_about_us_leaves_others_alone(void **state)
{
	struct fenv *e = *state;
	struct proto_addr a, h3 = fenv_addr(3);
	struct mac_entry me;

	announce(e, 3, 3, 0x40, 1, 5);
	announce(e, 2, 1, 0x40, 1, 6);
	assert_int_equal(macs(e), 1);
	cluster_foreach_mac(e->cluster, first, &me);
	assert_false(me.withdrawn);
	assert_true(proto_addr_equal(&me.host, &h3));
	assert_int_equal(me.seq, 5);
	assert_int_equal(e->nfdb, 1);
	proto_addr_from_in(&a, (const struct in_addr *)&e->fdb[0].host.addr);
	assert_true(proto_addr_equal(&a, &h3));
}

/* MACs of a vnet not up here are not kept at all (they used to be, in
 * the table, until their origin went). */
static void vnets_not_carried_keep_nothing(void **state)
{
	struct fenv *e = *state;
	uint64_t ok = cluster_stats(e->cluster)->ok;

	announce_on(e, 0x98, 2, 2, 0x50, PROTO_MAX_ANNOUNCE, 1);
	assert_int_equal(cluster_stats(e->cluster)->ok, ok + 1);
	assert_int_equal(macs(e), 0);
	announce(e, 2, 2, 0x50, 1, 1); /* and vnet 97, up here, is */
	assert_int_equal(macs(e), 1);
	assert_int_equal(e->nfdb, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(claims_about_us_keep_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(claim_about_us_leaves_others_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(vnets_not_carried_keep_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
