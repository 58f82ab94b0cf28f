/* The hosts the cluster heard from, bounded: at most `max` hosts, each
 * with at most `max_vnets` vnets, kept sorted by address (binary search,
 * not a linear scan per message).  Only authentic messages reach it, but
 * a key holder can name any number of origins: the bounds hold anyway. */
#ifndef XENVNETD_CLUSTER_HOSTS_H
#define XENVNETD_CLUSTER_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto.h"
#include "vnet_id.h"

/* A hold time from the wire is clamped to this range (seconds). */
#define HOSTS_HOLD_MIN_S 3
#define HOSTS_HOLD_MAX_S 300

struct host_vnet {
	struct vnet_id id;
	uint64_t expires_ms;
	bool flooded;          /* head-end replication entry installed */
};

struct host {
	struct proto_addr addr;
	uint64_t last_ms;      /* last HELLO (or first message) */
	unsigned hold_s;
	uint64_t direct_until_ms; /* multicast reaches it until then */
	bool hello_seen;       /* sent a HELLO (else only announcements so far) */
	bool has_key_id;       /* its HELLO announced its cluster key's id: */
	uint32_t key_id;
	size_t nmacs;          /* MAC entries attributed to it */
	struct host_vnet *vnets;
	size_t nvnets, cap;
};

struct hosts {
	struct host *v;        /* sorted by addr */
	size_t n, cap;
	size_t max;            /* at most this many hosts */
	size_t max_vnets;      /* per host */
};

void hosts_init(struct hosts *t, size_t max, size_t max_vnets);
void hosts_free(struct hosts *t);

struct host *hosts_find(struct hosts *t, const struct proto_addr *a);
/* Add a host not in the table (zeroed but for addr).  NULL when the table
 * is full or out of memory.  Pointers into the table are invalidated. */
struct host *hosts_add(struct hosts *t, const struct proto_addr *a);
/* Remove h (and free its vnets).  Pointers after it are invalidated. */
void hosts_del(struct hosts *t, struct host *h);

/* Note that h carries vnet id until expires: 1 when new to h, 0 when it
 * was known, -1 when refused (h already has max_vnets, or no memory). */
int hosts_touch_vnet(struct hosts *t, struct host *h, const struct vnet_id *id, uint64_t expires);

/* A hold time from the wire, clamped (0, "leaving", is left alone). */
unsigned hosts_hold(unsigned hold_s);

#endif
