/* The daemon the fuzz targets drive: its real parts (loop, kernel access,
 * reconciler, cluster, vifs, runtime state for the control socket), set up
 * as main.c does, in a network namespace of the fuzzer's own whose
 * loopback carries the underlay address 192.0.2.1 and answers for all of
 * 192.0.2.0/24 (so a datagram can come from any host of the lab's range).
 *
 * Only the data plane is the harness's: a recording implementation of
 * dataplane_ops (the kernel FDB as the cluster programmed it), which is
 * what the invariants are checked against. */
#ifndef FUZZ_ENV_H
#define FUZZ_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "cluster_keyring.h"
#include "config.h"
#include "loop.h"
#include "runtime.h"

/* Small bounds, so that the fuzzer reaches them. */
#define FENV_MAX_HOSTS 8
#define FENV_MAX_VNETS 4
#define FENV_MAX_MACS  16

/* One FDB entry as the data plane holds it. */
struct fenv_fdb {
	int tunnel;
	uint8_t mac[6];
	struct dp_host host;
};

struct fenv {
	struct loop *loop;
	struct kern kern;
	struct config cfg;
	struct reconciler *rec;
	struct peers peers;
	struct vifs *vifs;
	struct cluster *cluster;
	struct runtime rt;
	struct keyring keys;       /* the current key only: no change under way */
	struct proto_addr self;  /* 192.0.2.1 */
	/* the recording data plane */
	struct fenv_fdb *fdb;
	size_t nfdb, fdbcap;
};

/* The daemon, made once per process (traps when it cannot be). */
struct fenv *fenv_get(void);

/* Run the loop until nothing is left to read and no timer is due. */
void fenv_settle(struct fenv *e);

/* Sign m (origin, counter, time as given) with the cluster key and send it
 * to the daemon's control port from 192.0.2.@src (to the discovery group
 * when @multicast); then let the daemon read it.  Returns its length, or
 * -1 when it does not encode. */
ssize_t fenv_send(struct fenv *e, struct proto_msg *m, uint8_t src, bool multicast);
/* The same bytes again (a recording replayed). */
void fenv_resend(struct fenv *e, const uint8_t *buf, size_t len, uint8_t src, bool multicast);

/* The tunnel device went: its FDB entries with it (as in the kernel). */
void fenv_device_gone(struct fenv *e, int tunnel);

/* 192.0.2.n */
struct proto_addr fenv_addr(uint8_t n);
uint64_t fenv_realtime_us(void);

#endif
