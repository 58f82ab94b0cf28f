/* The kernel FDB as the cluster programs it from its MAC table: static
 * entries for remote MACs, and the writes the kernel refused.
 *
 * Writes are queued (dataplane.h) and the kernel only says which failed
 * (kern.h): an entry counts as installed from its write until a refusal
 * comes back; then it is marked not installed, counted, logged
 * (rate-limited) and retried with backoff, 50 ms doubling to 5 s.  A
 * refresh of the same sequence number re-installs it too. */
#ifndef XENVNETD_CLUSTER_FDB_H
#define XENVNETD_CLUSTER_FDB_H

#include <stdbool.h>
#include <stdint.h>
#include "dataplane.h"
#include "kern.h"
#include "loop.h"
#include "mactab.h"
#include "proto.h"
#include "vnetmap.h"

struct cfdb_key {
	struct vnet_id vnet;
	uint8_t mac[6];
};

struct cfdb {
	struct loop *loop;
	struct kern *k;
	const struct dataplane_ops *dp;
	struct mactab *tab;
	const struct vnetmap *tunnels;
	const struct proto_addr *self;
	/* A head-end replication entry of @vnet to @host was refused (both
	 * NULL: refusals were lost, any may have been): mark it not there. */
	void (*flood_refused)(void *arg, const struct vnet_id *vnet, const struct proto_addr *host);
	void *arg;
	struct cfdb_key *retry;   /* refused entries, to install again */
	size_t nretry, cap;
	bool resync;              /* refusals were lost: install everything again */
	bool armed;
	bool retrying;            /* in a retry's flush: refusals are not news */
	unsigned backoff_ms;
	struct timer timer;
	uint64_t refused;         /* writes the kernel refused (entries and floods) */
	uint64_t log_until_ms;
	unsigned logged, quiet;
};

void cfdb_init(struct cfdb *f, struct loop *l, struct kern *k, const struct dataplane_ops *dp,
	       struct mactab *tab, const struct vnetmap *tunnels, const struct proto_addr *self,
	       void (*flood_refused)(void *arg, const struct vnet_id *vnet, const struct proto_addr *host),
	       void *arg);
void cfdb_free(struct cfdb *f);

/* Point e's MAC at e->host on its vnet's tunnel, or mark it not installed
 * when it must not be there (local, withdrawn, ours, no tunnel). */
void cfdb_install(struct cfdb *f, struct mac_entry *e);
void cfdb_uninstall(struct cfdb *f, struct mac_entry *e);
/* Send what is queued; refusals are taken note of on the way. */
void cfdb_flush(struct cfdb *f);

struct dp_host cfdb_dp_host(const struct proto_addr *a);

#endif
