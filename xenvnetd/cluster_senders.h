/* Per-sender counts of control messages that were dropped for failing
 * authentication (bad MAC) or as replays, by the UDP source they came
 * from, so that `vn hosts` can show who sends them and the log can name
 * the sender of a wrong cluster key.  Bounded: the least recently heard
 * sender makes room for a new one. */
#ifndef XENVNETD_CLUSTER_SENDERS_H
#define XENVNETD_CLUSTER_SENDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto.h"

#define SENDERS_MAX        256     /* addresses remembered */
#define SENDERS_WARN_MS    60000   /* one warning per sender this often */
#define SENDERS_WARN_BURST 8       /* warnings per SENDERS_WARN_MS, all senders */

struct sender {
	struct proto_addr addr;
	uint64_t bad_mac, replayed;
	uint64_t last_ms;          /* last dropped message */
	uint64_t warned_ms;        /* last warning; 0: never */
};

struct senders {
	struct sender v[SENDERS_MAX];
	size_t n;
	uint64_t window_ms;        /* start of the global warning window */
	unsigned warnings;         /* warnings in that window */
};

enum sender_fault { SENDER_BAD_MAC, SENDER_REPLAYED };

/* Count one dropped message from addr at now_ms.  For a bad MAC, returns
 * true when a warning is due (rate-limited per sender and overall). */
bool senders_count(struct senders *s, const struct proto_addr *addr, enum sender_fault f,
		   uint64_t now_ms);

/* The entry for addr, or NULL. */
const struct sender *senders_find(const struct senders *s, const struct proto_addr *addr);

#endif
