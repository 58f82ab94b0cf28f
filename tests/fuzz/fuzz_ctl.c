/* libFuzzer target: both decoders of the control protocol, and the
 * daemon's real request handlers behind the first.
 *
 * The bytes go to the daemon's request path (decode, dispatch into
 * runtime_ctl_ops, encode) with the daemon's real runtime state
 * (fuzz_env.h: reconciler, kernel access in a namespace of its own, vifs,
 * peers in a state directory of its own, and a cluster that knows a host
 * with a few MACs on an up vnet), and vn's reply decoder must read
 * whatever the daemon answers.  The same bytes go to vn's reply decoder
 * as they are. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "fuzz_env.h"
#include "vn_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What list requests have to show: vnet 97 up here, host 192.0.2.2
 * carrying it with four MACs.  Its HELLO says hold 300 s: the loop never
 * turns between requests, so it stays. */
static void populate(struct fenv *e)
{
	struct vnet_id id = { { 0 } };
	struct proto_vnet v = { .vni = 151, .mtu = 1450 };
	struct proto_entry en[4];
	struct proto_msg hello = { .type = PROTO_HELLO, .origin = fenv_addr(2), .counter = 1,
				   .time_us = fenv_realtime_us(), .hold_s = 300, .parts = 1,
				   .vnets = &v, .nvnets = 1 };
	struct proto_msg ann = { .type = PROTO_ANNOUNCE, .origin = fenv_addr(2), .counter = 2,
				 .time_us = fenv_realtime_us(), .entries = en, .nentries = 4 };

	id.b[15] = 0x97;
	v.id = id;
	cluster_vnet_changed(e->cluster, &id, 100);
	for (uint8_t i = 0; i < 4; i++)
		en[i] = (struct proto_entry){ .vnet = id, .seq = 1, .host = fenv_addr(2),
					      .mac = { 0x02, 0, 0, 0, 0x97, i } };
	if (fenv_send(e, &hello, 2, true) < 0 || fenv_send(e, &ann, 2, true) < 0 || e->nfdb != 4)
		__builtin_trap();
}

/* A peer added by one input is gone before the next (each input alone). */
static void forget_peers(struct fenv *e)
{
	char err[256];

	while (e->peers.n) {
		char addr[PEER_ADDR_MAX + 1];
		snprintf(addr, sizeof(addr), "%s", e->peers.v[e->peers.n - 1].addr);
		if (peers_del(&e->peers, addr, err, sizeof(err)) != 0)
			__builtin_trap();
	}
	cluster_peers_changed(e->cluster);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fenv *e;
	struct ctl_reply r;
	struct vn_reply rep;
	size_t len;
	char err[256];

	if (!e) {
		e = fenv_get();
		populate(e);
	}
	ctl_reply_init(&r);
	ctl_dispatch(&runtime_ctl_ops, &e->rt, (const char *)data, size, &r);
	const char *out = ctl_reply_finish(&r, &len);
	/* Whatever the daemon answers, vn must be able to read it. */
	if (out && vn_reply_decode(out, len, &rep, err, sizeof(err)) != 0) {
		dprintf(2, "fuzz_ctl: vn cannot read the answer: %s\n", err); /* (stderr: the log) */
		__builtin_trap();
	}
	vn_reply_free(&rep);
	ctl_reply_free(&r);
	if (e->peers.n)
		forget_peers(e);

	vn_reply_decode((const char *)data, size, &rep, err, sizeof(err));
	vn_reply_free(&rep);
	return 0;
}
