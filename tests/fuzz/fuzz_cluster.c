/* libFuzzer target: the cluster state machine (issue 10).
 *
 * The input is a program: each step is a message from one of many origins
 * (HELLO, ANNOUNCE, WITHDRAW, REQUEST; signed with the cluster key, sent
 * by UDP from a 192.0.2.x address, by multicast or unicast, now and then
 * a replay of an earlier recording), a jump of the daemon's clock (so hold
 * times and tombstones expire), a local vif joining or leaving, or a vnet
 * going up or down here.  The daemon is real (fuzz_env.h) and reads each
 * message from its socket; after every step the invariants are checked:
 *  - bounded memory: hosts <= max_hosts, vnets per host <= max_vnets_per_host,
 *    MAC entries per origin <= max_macs_per_host, and no MAC entry that no
 *    bound counts (only our own MACs and their tombstones are ours);
 *  - no FDB entry (as the data plane holds it) without a live origin, and
 *    none the MAC table does not explain;
 *  - per (vnet, MAC), the sequence number never goes back (RFC 1982);
 *  - no MAC of a vnet that was never up here is kept. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cluster_seq.h"
#include "fuzz_env.h"
#include "mactab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant broke: say which (on the real stderr, fd 2) and crash. */
#define FAIL(...) do { dprintf(2, "fuzz_cluster: " __VA_ARGS__); dprintf(2, "\n"); __builtin_trap(); } while (0)

#define NVNETS   8      /* ids 0x10..0x17; the first four are carried here */
#define NCARRIED 4
#define NORIGINS 40     /* 192.0.2.2 .. 192.0.2.41: more than max_hosts */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t u32(struct input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | byte(in);
	return v;
}

static struct vnet_id vnet(uint8_t b)
{
	struct vnet_id id = { { 0 } };

	id.b[15] = (uint8_t)(0x10 + b % NVNETS);
	return id;
}

static void mac(uint8_t b, uint8_t out[6])
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(out, base, 6);
	out[5] = b;
}

/* ---- what the harness remembers between steps (within one input) ---- */

struct seen {
	uint32_t seq;
	bool was;              /* in the table at the last check */
	bool now;              /* and at this one */
	bool remote;           /* another host's, not withdrawn: may be in the FDB */
	struct proto_addr host;
};

static struct seen seen[NVNETS * 256];
static uint64_t counter[256];      /* per origin byte: the last counter sent */
static uint8_t last_msg[PROTO_MAX_LEN];
static size_t last_len;
static bool ever_local[NVNETS * 256]; /* (vnet, mac) we made local in this run */
static bool up[NVNETS];
static bool ever_up[NVNETS];        /* up here at some time in this run */

static size_t slot(const struct vnet_id *v, const uint8_t m[6])
{
	return (size_t)(v->b[15] - 0x10) * 256 + m[5];
}

/* ---- the invariants ---- */

struct tally {
	struct fenv *e;
	size_t hosts;
	struct proto_addr addr[FENV_MAX_HOSTS + 1];
	size_t macs[FENV_MAX_HOSTS + 1];
};

static void on_host(void *arg, const struct cluster_host_info *h)
{
	struct tally *t = arg;

	if (!h->known)
		return;
	if (t->hosts == FENV_MAX_HOSTS || h->nvnets > FENV_MAX_VNETS)
		FAIL("more than %d hosts, or %zu vnets on one", FENV_MAX_HOSTS, h->nvnets);
	t->addr[t->hosts++] = *h->addr;
}

static int host_ix(const struct tally *t, const struct proto_addr *a)
{
	for (size_t i = 0; i < t->hosts; i++)
		if (proto_addr_equal(&t->addr[i], a))
			return (int)i;
	return -1;
}

static void on_mac(void *arg, const struct mac_entry *me)
{
	struct tally *t = arg;
	bool ours = proto_addr_equal(&me->host, &t->e->self);
	struct seen *s;

	/* Only the MACs of our vnets, in the space the harness uses. */
	if (me->vnet.b[15] < 0x10 || me->vnet.b[15] >= 0x10 + NVNETS || me->mac[0] != 0x02)
		FAIL("a MAC entry nobody named");
	s = &seen[slot(&me->vnet, me->mac)];
	if (s->was && !seq_at_least(me->seq, s->seq))
		FAIL("vnet %x mac %02x: seq went back from %u to %u", me->vnet.b[15], me->mac[5], s->seq, me->seq);
	s->now = true;
	s->seq = me->seq;
	s->remote = !me->local && !me->withdrawn && !ours;
	s->host = me->host;
	if (me->local)
		return;
	if (ours) {
		/* Our tombstones: of MACs that were ours, nothing else. */
		if (!me->withdrawn || !ever_local[slot(&me->vnet, me->mac)])
			FAIL("vnet %x mac %02x: an entry for us (withdrawn %d) of a MAC never ours",
			     me->vnet.b[15], me->mac[5], me->withdrawn);
		return;
	}
	int i = host_ix(t, &me->host);
	if (!ever_up[me->vnet.b[15] - 0x10])
		FAIL("vnet %x mac %02x: kept, but the vnet was never up here", me->vnet.b[15], me->mac[5]);
	if (i < 0 || ++t->macs[i] > FENV_MAX_MACS)
		FAIL("vnet %x mac %02x: %s", me->vnet.b[15], me->mac[5],
		     i < 0 ? "an entry of a host not known" : "more MACs than max_macs_per_host");
}

static void check(struct fenv *e)
{
	struct tally t = { .e = e };

	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
		seen[i].now = false;
	cluster_foreach_host(e->cluster, on_host, &t);
	cluster_foreach_mac(e->cluster, on_mac, &t);
	for (size_t i = 0; i < e->nfdb; i++) {
		const struct fenv_fdb *f = &e->fdb[i];
		struct proto_addr a = { { 0 } };
		if (f->host.family != AF_INET)
			FAIL("an FDB entry to a host of another family");
		proto_addr_from_in(&a, (const struct in_addr *)&f->host.addr);
		if (host_ix(&t, &a) < 0 || f->tunnel < 100 || f->tunnel >= 100 + NCARRIED ||
		    !up[f->tunnel - 100])
			FAIL("mac %02x: an FDB entry without a live origin, or on a device not up", f->mac[5]);
		struct vnet_id id = vnet((uint8_t)(f->tunnel - 100));
		const struct seen *s = &seen[slot(&id, f->mac)];
		if (!s->now || !s->remote || !proto_addr_equal(&s->host, &a))
			FAIL("mac %02x: an FDB entry the table does not explain", f->mac[5]);
	}
	/* The entries missing from the table now are gone: their next
	 * number may start anywhere. */
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
		seen[i].was = seen[i].now;
}

/* ---- the steps ---- */

static struct proto_addr entry_host(struct input *in, const struct proto_addr *origin)
{
	uint8_t b = byte(in);

	switch (b % 4) {
	case 0: case 1: return *origin;
	case 2: return fenv_addr(1); /* us */
	default: return fenv_addr((uint8_t)(2 + b % NORIGINS)); /* a third host */
	}
}

static void message(struct fenv *e, struct input *in, uint8_t op)
{
	static struct proto_vnet vnets[PROTO_MAX_VNETS];
	static struct proto_entry entries[PROTO_MAX_ENTRIES];
	uint8_t o = (uint8_t)(2 + byte(in) % NORIGINS), how = byte(in);
	uint8_t src = how & 1 ? (uint8_t)(2 + byte(in) % NORIGINS) : o; /* relayed by another */
	struct proto_msg m = { .type = (uint8_t)(1 + op % 4), .hops = PROTO_HOPS_DEFAULT,
			       .origin = fenv_addr(o) };
	size_t n = byte(in) % 8;

	if (how & 4) { /* the recording of the last message, again */
		if (last_len)
			fenv_resend(e, last_msg, last_len, src, how & 2);
		return;
	}
	/* Counters mostly move on; now and then one from the past. */
	counter[o] = how & 8 ? counter[o] - byte(in) % 70 : counter[o] + 1 + byte(in) % 4;
	m.counter = counter[o];
	m.time_us = fenv_realtime_us() - (how & 16 ? (uint64_t)byte(in) * 1000000u : 0);
	if (m.type == PROTO_HELLO) {
		m.hold_s = how & 32 ? 0 : (uint16_t)(byte(in) % 8 ? 3 + byte(in) % 10 : byte(in) << 8);
		m.part = 0;
		m.parts = 1;
		for (size_t i = 0; i < n; i++) {
			uint8_t b = byte(in);
			vnets[i] = (struct proto_vnet){ .id = vnet(b), .vni = 0x100 + (b & 0x1f), .mtu = 1450 };
		}
		m.vnets = vnets;
		m.nvnets = n;
	} else {
		for (size_t i = 0; i < n; i++) {
			entries[i] = (struct proto_entry){ .vnet = vnet(byte(in)) };
			mac(byte(in), entries[i].mac);
			entries[i].seq = byte(in) & 1 ? u32(in) : byte(in);
			if (m.type == PROTO_ANNOUNCE)
				entries[i].host = entry_host(in, &m.origin);
			if (m.type == PROTO_REQUEST)
				entries[i].seq = 0;
		}
		m.entries = entries;
		m.nentries = n;
	}
	uint8_t buf[PROTO_MAX_LEN];
	ssize_t len = proto_encode(&m, &e->keys.cur, buf, sizeof(buf));
	if (len <= 0)
		return;
	memcpy(last_msg, buf, (size_t)len);
	last_len = (size_t)len;
	fenv_resend(e, buf, (size_t)len, src, how & 2);
}

static void local(struct fenv *e, struct input *in)
{
	uint8_t what = byte(in), b = byte(in), mb = byte(in);
	struct vnet_id id = vnet(b);
	uint8_t m[6];

	mac(mb, m);
	switch (what % 4) {
	case 0: /* a vnet comes up here, or goes */
		id = vnet(b % NCARRIED);
		up[b % NCARRIED] = !up[b % NCARRIED];
		ever_up[b % NCARRIED] = true;
		cluster_vnet_changed(e->cluster, &id, up[b % NCARRIED] ? 100 + b % NCARRIED : 0);
		if (!up[b % NCARRIED]) /* its device went, and every entry with it */
			fenv_device_gone(e, 100 + b % NCARRIED);
		break;
	case 1: case 2: /* a vif of ours joins (only on a vnet up here, as vifs.c does) */
		if (up[b % NCARRIED]) {
			id = vnet(b % NCARRIED);
			ever_local[slot(&id, m)] = true;
			cluster_member(e->cluster, &id, m, true);
		}
		break;
	default:
		cluster_member(e->cluster, &id, m, false);
		break;
	}
	fenv_settle(e);
}

struct locals {
	struct mac_entry v[NVNETS * 256];
	size_t n;
};

static void visit_local(void *arg, const struct mac_entry *me)
{
	struct locals *l = arg;

	if (me->local && l->n < NVNETS * 256)
		l->v[l->n++] = *me;
}

static void count(void *arg, const struct mac_entry *me)
{
	(void)me;
	++*(size_t *)arg;
}

static void count_host(void *arg, const struct cluster_host_info *h)
{
	*(size_t *)arg += h->known;
}

static void reset(struct fenv *e)
{
	static struct locals locals;
	size_t n = 0;

	/* Every input starts from a cluster that knows nobody and has no MAC:
	 * our vifs leave, our vnets go down, the hosts fall silent and the
	 * tombstones age out (so that a crash replays alone). */
	locals.n = 0;
	cluster_foreach_mac(e->cluster, visit_local, &locals);
	for (size_t i = 0; i < locals.n; i++)
		cluster_member(e->cluster, &locals.v[i].vnet, locals.v[i].mac, false);
	for (int i = 0; i < NCARRIED; i++) {
		struct vnet_id id = vnet((uint8_t)i);
		if (up[i]) {
			cluster_vnet_changed(e->cluster, &id, 0);
			fenv_device_gone(e, 100 + i);
		}
		up[i] = false;
	}
	loop_clock_forward(24u * 3600 * 1000);
	fenv_settle(e);
	loop_clock_forward(1000);
	fenv_settle(e);
	cluster_foreach_mac(e->cluster, count, &n);
	cluster_foreach_host(e->cluster, count_host, &n);
	if (n || e->nfdb)
		FAIL("%zu hosts and MACs, %zu FDB entries outlived their hold time", n, e->nfdb);
	memset(seen, 0, sizeof(seen));
	memset(ever_local, 0, sizeof(ever_local));
	memset(ever_up, 0, sizeof(ever_up));
	last_len = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fenv *e = fenv_get();
	struct input in = { data, size };

	reset(e);
	for (int steps = 0; in.n && steps < 256; steps++) {
		uint8_t op = byte(&in);
		switch (op % 8) {
		case 0: case 1: case 2: case 3:
			message(e, &in, op);
			break;
		case 4: case 5:
			local(e, &in);
			break;
		case 6: /* time passes: 1 ms to about 9 hours */
			loop_clock_forward(1ull << (byte(&in) % 25));
			fenv_settle(e);
			break;
		default:
			message(e, &in, PROTO_ANNOUNCE - 1); /* the most interesting one, twice as often */
			break;
		}
		check(e);
	}
	return 0;
}
