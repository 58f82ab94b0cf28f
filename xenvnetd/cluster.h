/* The cluster: what this host tells the others and learns from them over
 * the control protocol (proto.h) — which MACs live behind which host, and
 * which hosts carry which vnets — and how that becomes kernel FDB entries.
 *
 * Discovery is by multicast on the underlay; configured peers extend it
 * across subnets that do not carry multicast.  Messages heard by multicast
 * are relayed to the peers and vice versa; replay_accept() lets every host
 * relay each message at most once, so any peer mesh is loop-free. */
#ifndef XENVNETD_CLUSTER_H
#define XENVNETD_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include "auth.h"
#include "dataplane.h"
#include "kern.h"
#include "loop.h"
#include "mactab.h"
#include "peers.h"
#include "proto.h"
#include "reconcile.h"

struct cluster_params {
	uint16_t port;        /* control port (UDP) */
	const char *group;    /* discovery group; "" for the family's default */
	unsigned ttl;         /* multicast TTL / hop limit */
	unsigned hello_ms;    /* HELLO interval */
	unsigned hold_s;      /* a host unheard for this long is gone */
	unsigned refresh_s;   /* re-announce every local MAC this often */
	unsigned flap_moves;  /* more moves than this ... */
	unsigned flap_s;      /* ... within this window is a flapping MAC */
	/* Bounds on what other hosts make us keep (xenvnetd.conf(5)). */
	unsigned max_hosts;
	unsigned max_vnets_per_host;
	unsigned max_macs_per_host;
	unsigned max_vni_entries;
};

struct cluster_host_info {
	const struct proto_addr *addr;
	bool known;           /* sent a HELLO we accepted (else only dropped messages) */
	bool multicast;       /* heard directly by multicast (else through peers) */
	const struct vnet_id *vnets; /* the vnets it carries now */
	size_t nvnets;
	uint64_t age_ms;      /* since its last HELLO, or its last dropped message */
	uint64_t bad_mac;     /* messages from it that failed authentication */
	uint64_t replayed;    /* and that were replays */
	const char *key;      /* the cluster key its HELLOs announce: "current",
			       * "previous" (during a key change), "other", "none" */
};

struct cluster;

struct cluster *cluster_new(struct loop *l, struct kern *k, const struct dataplane_ops *dp,
			    struct reconciler *rec, struct peers *peers);
void cluster_free(struct cluster *c);

/* Start speaking the protocol on the reconciler's underlay with the keys
 * of @keys (a current one at least), which must stay valid while running;
 * the cluster ends a key change in it (keyring_drop_prev) once every host
 * holds the new key.  Returns 0 or -1 with a reason. */
struct keyring;
int cluster_start(struct cluster *c, struct keyring *keys, const struct cluster_params *p,
		  char *err, size_t errlen);
void cluster_stop(struct cluster *c);
/* A key change is under way: the previous key is still kept. */
bool cluster_key_changing(const struct cluster *c);
bool cluster_running(const struct cluster *c);

/* The underlay changed: re-open the socket on the new one. */
void cluster_underlay_changed(struct cluster *c);
/* A vif became a connected member of a vnet (present) or stopped being one. */
void cluster_member(struct cluster *c, const struct vnet_id *vnet, const uint8_t mac[6], bool present);
/* A vif was created but is not connected yet (a migration target): ask
 * who has its MAC now, so that our announcement will outrank theirs. */
void cluster_prime(struct cluster *c, const struct vnet_id *vnet, const uint8_t mac[6]);
/* A vnet came up or got a new tunnel device (its FDB is to be filled),
 * or went down (tunnel 0). */
void cluster_vnet_changed(struct cluster *c, const struct vnet_id *vnet, int tunnel);
/* The vnet is carried under ESP: its floods go to every host carrying it
 * (head-end replication), never to the multicast group.  Before
 * cluster_vnet_changed(). */
void cluster_vnet_secured(struct cluster *c, const struct vnet_id *vnet, bool secured);
/* ESP SAs are kept with every host heard (cluster_esp.h). */
struct cesp;
void cluster_set_esp(struct cluster *c, struct cesp *esp);
/* Send our HELLO now (the key epoch offset changed: vn key-rotate). */
void cluster_hello_now(struct cluster *c);
/* The peer list changed (names that failed are asked again at once). */
void cluster_peers_changed(struct cluster *c);
/* Where peer name stands in the resolver (enum cdns_state; *addr set when
 * resolved, *err to the last failure or NULL), or -1 while the protocol
 * is off or has no socket (nothing is resolved then). */
int cluster_peer_state(const struct cluster *c, const char *name, struct proto_addr *addr, const char **err);

void cluster_foreach_mac(struct cluster *c, void (*cb)(void *arg, const struct mac_entry *e), void *arg);
/* Every host heard from: the known ones, then (bounded) the addresses that
 * sent only messages we dropped. */
void cluster_foreach_host(struct cluster *c, void (*cb)(void *arg, const struct cluster_host_info *h), void *arg);
const struct proto_stats *cluster_stats(const struct cluster *c);
uint64_t cluster_moves(const struct cluster *c);
uint64_t cluster_flaps(const struct cluster *c);
/* FDB writes the kernel refused (each is retried: cluster_fdb.h). */
uint64_t cluster_fdb_refused(const struct cluster *c);
/* Entries left out of our own messages: not a valid unicast MAC. */
uint64_t cluster_bad_out(const struct cluster *c);
/* Hosts, vnets and MAC entries refused by the bounds (cluster_params). */
uint64_t cluster_dropped(const struct cluster *c);

#endif
