/* Mobility sequence numbers compared in 32-bit serial number arithmetic
 * (RFC 1982, SERIAL_BITS = 32), as docs/control-wire.md promises: a
 * number wraps from 0xffffffff to 0 and stays above its predecessor, so
 * no single announcement (seq 0xffffffff, say) outranks every later one.
 *
 * RFC 1982 leaves s1 vs s2 undefined when they are exactly 2^31 apart;
 * we call neither newer there (seq_newer is false both ways), so such a
 * claim is treated as stale rather than as a move. */
#ifndef XENVNETD_CLUSTER_SEQ_H
#define XENVNETD_CLUSTER_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* True when a is newer than b (RFC 1982 section 3.2, s1 > s2). */
static inline bool seq_newer(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	return d != 0 && d < 0x80000000u;
}

/* a is b or newer; exactly 2^31 apart is neither (so stale news). */
static inline bool seq_at_least(uint32_t a, uint32_t b)
{
	return a == b || seq_newer(a, b);
}

/* The successor of a, as announced by a host that outranks it. */
static inline uint32_t seq_next(uint32_t a)
{
	return a + 1u; /* wraps by design: serial arithmetic orders it */
}

#endif
