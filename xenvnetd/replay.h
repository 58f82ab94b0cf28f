/* Replay and duplicate suppression for control messages
 * (docs/control-wire.md, "Replay protection").
 *
 * A message is identified by (origin, counter).  Per origin we keep the
 * highest counter accepted and a sliding bitmap of the window_bits counters
 * below it, so reordering within the window is accepted, each counter is
 * accepted at most once, and anything below the window is refused.  A
 * separate freshness check on the message's send time bounds what can be
 * replayed to a host that has forgotten the origin (restart, eviction).
 *
 * Because each (origin, counter) is accepted at most once per host, each
 * host forwards each message at most once: that is what makes forwarding
 * loop-free (the hop limit only bounds the path length). */
#ifndef XENVNETD_REPLAY_H
#define XENVNETD_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define REPLAY_WINDOW_DEFAULT  1024    /* counters; at least 256 */
#define REPLAY_SKEW_DEFAULT    60      /* seconds */
#define REPLAY_ORIGINS_DEFAULT 10000

enum replay_verdict {
	REPLAY_OK,      /* new: accepted and recorded */
	REPLAY_DUP,     /* within the window, already accepted */
	REPLAY_OLD,     /* below the window */
	REPLAY_STALE,   /* send time more than max_skew_s from now */
};

struct replay;

/* window_bits is rounded up to a multiple of 64 (at least 256, at most
 * 65536); max_origins 0 means REPLAY_ORIGINS_DEFAULT.  When the table is
 * full, the origin accepted least recently is forgotten.  NULL when out of
 * memory. */
struct replay *replay_new(unsigned window_bits, unsigned max_skew_s, size_t max_origins);
void replay_free(struct replay *r);

/* Check (origin, counter) sent at sent_us against the window, at now_us
 * (both CLOCK_REALTIME microseconds), and record it when REPLAY_OK.  Call it
 * only for messages whose MAC verified: it moves the window. */
enum replay_verdict replay_check(struct replay *r, const struct proto_addr *origin,
				 uint64_t counter, uint64_t sent_us, uint64_t now_us);

/* Forget an origin (its hold time expired, or it left) at now_us.  Its top
 * counter outlives it for the freshness window (max_skew_s): until then
 * only counters above that top are accepted, so no recording of its old
 * messages revives it.  After that its next fresh message starts a new
 * window: this is also how a host whose clock went back across a restart
 * is heard again. */
void replay_forget(struct replay *r, const struct proto_addr *origin, uint64_t now_us);

/* Origins currently remembered (forgotten ones still in their freshness
 * window included). */
size_t replay_origins(const struct replay *r);

/* The receive decision for one datagram, in the only safe order: decode
 * result (MAC verified), then our own messages, then replay_check.  rc is
 * what proto_decode returned into m.  Counts the message in exactly one
 * field of st.  Returns 0 when m is to be applied and forwarded, -1 when it
 * is to be dropped. */
int replay_accept(struct replay *r, const struct proto_addr *self, int rc,
		  const struct proto_msg *m, uint64_t now_us, struct proto_stats *st);

#endif
