/* The MAC table: where each (vnet, MAC) lives — behind this host (a local
 * vif) or behind another host's tunnel endpoint — with its mobility
 * sequence number (RFC 7432 7.7).  A hash table sized for 100k+ entries. */
#ifndef XENVNETD_MACTAB_H
#define XENVNETD_MACTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto.h"
#include "vnet_id.h"

struct mac_entry {
	struct vnet_id vnet;
	uint8_t mac[6];
	bool local;            /* behind one of our vifs */
	bool installed;        /* the kernel FDB points at host (written, not refused) */
	bool refused;          /* the kernel refused it: to be retried */
	bool withdrawn;        /* a tombstone: remembers seq against stale news */
	uint32_t seq;
	struct proto_addr host;
	uint64_t since_ms;     /* when host/seq last changed (tombstone age) */
	uint64_t window_ms;    /* start of the current move-counting window */
	uint16_t moves;        /* moves seen in that window */
	struct mac_entry *next;
};

struct mactab {
	struct mac_entry **buckets;
	size_t nbuckets;       /* a power of two */
	size_t n;
};

int mactab_init(struct mactab *t);
void mactab_free(struct mactab *t);

struct mac_entry *mactab_find(struct mactab *t, const struct vnet_id *vnet, const uint8_t mac[6]);
/* Find, or add a zeroed entry for (vnet, mac); NULL when out of memory. */
struct mac_entry *mactab_get(struct mactab *t, const struct vnet_id *vnet, const uint8_t mac[6]);
void mactab_del(struct mactab *t, struct mac_entry *e);

/* Count a move of e at now (ms); true for the move that makes more than
 * limit within window_s seconds (the MAC flaps; once per window). */
bool mactab_count_move(struct mac_entry *e, uint64_t now, unsigned window_s, unsigned limit);

/* Visit every entry; cb may delete the entry it is given (and only it). */
void mactab_foreach(struct mactab *t, void (*cb)(void *arg, struct mac_entry *e), void *arg);

#endif
