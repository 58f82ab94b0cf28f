/* The host-to-host control protocol on the wire (docs/control-wire.md):
 * which MACs live behind which host, and which vnets each host carries.
 *
 * One UDP datagram (port PROTO_PORT) is one message:
 *   48-byte header | body (count entries or vnet ids) | 32-byte HMAC-SHA-256
 * all in network byte order.  The MAC covers every byte except hops, flags
 * (bytes 4-5, changed by forwarders) and itself.
 *
 * Pure functions, no sockets, no clocks: the caller supplies the times. */
#ifndef XENVNETD_PROTO_H
#define XENVNETD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "auth.h"
#include "vnet_id.h"

#define PROTO_PORT        1799    /* next to the VXLAN data port 1798 */
#define PROTO_VERSION     2       /* 2: HELLO entries carry VNI and MTU */
#define PROTO_MAGIC0      0x58    /* 'X' */
#define PROTO_MAGIC1      0x56    /* 'V' */
#define PROTO_MAX_LEN     1400    /* one UDP payload, any underlay MTU >= 1500 */
#define PROTO_HDR_LEN     48
#define PROTO_MAC_LEN     AUTH_MAC_LEN
#define PROTO_HOPS_DEFAULT 4      /* originator + at most 3 forwarders */

/* Header offsets (docs/control-wire.md has the table). */
#define PROTO_OFF_HOPS    4
#define PROTO_OFF_FLAGS   5
#define PROTO_OFF_LENGTH  6
#define PROTO_OFF_COUNTER 8
#define PROTO_OFF_TIME    16
#define PROTO_OFF_ORIGIN  24
#define PROTO_OFF_COUNT   40
#define PROTO_OFF_HOLD    42
#define PROTO_OFF_PART    44
#define PROTO_OFF_PARTS   45
#define PROTO_OFF_RSVD    46

enum proto_type {
	PROTO_HELLO    = 1,       /* the origin's vnets and hold time */
	PROTO_ANNOUNCE = 2,       /* these MACs are behind these hosts */
	PROTO_WITHDRAW = 3,       /* these MACs are gone from the origin */
	PROTO_REQUEST  = 4,       /* who has these MACs? */
};

/* Flags: not covered by the MAC, so only hints (a forwarder sets RELAYED).
 * Unknown bits are ignored and forwarded unchanged. */
#define PROTO_F_RELAYED   0x01

/* Entry sizes on the wire. */
#define PROTO_VNET_LEN     24     /* vnet 16, VNI 4, MTU 2, reserved 2 */
#define PROTO_ENTRY_LEN    26     /* vnet 16, MAC 6, seq 4 */
#define PROTO_ANNOUNCE_LEN 42     /* the same, then host address 16 */

/* How many fit in one PROTO_MAX_LEN message (HELLO: elements, the
 * generation and offset elements included when they are sent). */
#define PROTO_MAX_VNETS    55
#define PROTO_MAX_ENTRIES  50     /* WITHDRAW, REQUEST */
#define PROTO_MAX_ANNOUNCE 31     /* ANNOUNCE */

/* Results of proto_decode (and of proto_encode, as its negative length). */
enum proto_err {
	PROTO_OK        = 0,
	PROTO_E_SHORT   = -1,     /* shorter than header + MAC, or than its length field */
	PROTO_E_LONG    = -2,     /* longer than PROTO_MAX_LEN, or than its length field */
	PROTO_E_MAGIC   = -3,     /* not this protocol */
	PROTO_E_VERSION = -4,     /* a version we do not speak */
	PROTO_E_TYPE    = -5,     /* unknown message type */
	PROTO_E_MAC     = -6,     /* MAC does not verify (wrong key, forged, corrupted) */
	PROTO_E_FORMAT  = -7,     /* inconsistent count or part, invalid field value */
	PROTO_E_SPACE   = -8,     /* caller's arrays or buffer too small */
	PROTO_E_CRYPTO  = -9,     /* libcrypto failed */
};

/* A host's underlay address: IPv6, or IPv4 as ::ffff:a.b.c.d. */
struct proto_addr {
	uint8_t b[16];
};

struct proto_entry {
	struct vnet_id vnet;
	uint8_t mac[6];           /* unicast, not all zero */
	uint32_t seq;             /* per (vnet, MAC) mobility sequence, RFC 7432 7.7 */
	struct proto_addr host;   /* ANNOUNCE only: the VTEP to send to; else zero */
};

/* One vnet a HELLO says its origin carries, and how: hosts that disagree
 * on a vnet's VNI or MTU, or give one VNI to two vnets, must not bridge
 * (cluster_vni.h). */
struct proto_vnet {
	struct vnet_id id;        /* not 0 nor 1 */
	uint32_t vni;             /* 1..0xffffff */
	uint16_t mtu;             /* the vnet's MTU on the origin, >= 68 */
};

struct proto_msg {
	uint8_t type;             /* enum proto_type */
	uint8_t hops;             /* forwarding budget, not covered by the MAC */
	uint8_t flags;            /* PROTO_F_*, not covered by the MAC */
	struct proto_addr origin; /* the host that wrote the message */
	uint64_t counter;         /* per-origin message counter (replay window) */
	uint64_t time_us;         /* origin's CLOCK_REALTIME at sending (freshness) */
	/* HELLO only (zero in the others): */
	uint16_t hold_s;          /* forget the origin's vnets this long after it */
	uint8_t part, parts;      /* this is part `part` (0-based) of `parts` */
	size_t nvnets;
	struct proto_vnet *vnets;
	/* the origin's ESP SA generation (docs/esp-keys.md); 0: none.  On
	 * the wire an extra element with vnet id 1, which parsers that do
	 * not know it drop as invalid (and count) while keeping the rest. */
	uint64_t esp_gen;
	/* the origin's key epoch offset (vn key-rotate), when has_esp_offset;
	 * on the wire an element with vnet id 0, dropped the same way */
	bool has_esp_offset;
	uint32_t esp_offset;
	/* the id of the origin's current cluster key (auth_key_id), when
	 * has_key_id; on the wire an element with vnet id 0, like the offset */
	bool has_key_id;
	uint32_t key_id;
	/* ANNOUNCE, WITHDRAW, REQUEST only: */
	size_t nentries;
	struct proto_entry *entries;
	/* proto_decode only: invalid elements dropped (not in vnets/entries) */
	size_t nbad;
};

/* Counters of received messages: each one counts in exactly one (see
 * replay_accept). */
struct proto_stats {
	uint64_t ok;              /* accepted: applied and forwarded */
	uint64_t bad_mac;         /* MAC did not verify */
	uint64_t replayed;        /* counter older than the replay window */
	uint64_t dup;             /* counter already seen: normal with relays */
	uint64_t stale;           /* time too far from ours */
	uint64_t malformed;       /* not a well-formed message of ours */
	uint64_t version;         /* unknown protocol version */
	uint64_t own;             /* our own message come back */
	/* Not a message count: invalid elements dropped from accepted
	 * messages (the rest of each message was applied). */
	uint64_t bad_entries;
};

/* Bytes of a message of this type with n entries (or vnets); 0 for an
 * unknown type. */
size_t proto_msg_len(uint8_t type, size_t n);

/* How many entries (or vnets) of this type fit in cap bytes (at most
 * PROTO_MAX_LEN are used); 0 for an unknown type or a tiny cap. */
size_t proto_fit(uint8_t type, size_t cap);

/* An Ethernet address a bridge can hold as a unicast FDB entry: not
 * multicast or broadcast (bit 0 of byte 0 clear), not all zero. */
bool proto_mac_ok(const uint8_t mac[6]);

/* An entry of this type that may go on the wire: vnet not 0 nor 1, a MAC
 * proto_mac_ok() takes, and for ANNOUNCE a host address a host can have.
 * Senders leave the others out of a batch (proto_encode refuses them). */
bool proto_entry_ok(uint8_t type, const struct proto_entry *e);
/* A HELLO vnet that may go on the wire: id not 0 nor 1, VNI 1..0xffffff,
 * MTU at least 68. */
bool proto_vnet_ok(const struct proto_vnet *v);

/* Encode m and sign it with k into buf.  Returns the length, or a negative
 * PROTO_E_* code: E_TYPE, E_FORMAT (an invalid field, or more entries than
 * fit in PROTO_MAX_LEN), E_SPACE (cap too small), E_CRYPTO.  Fields the type
 * does not carry are ignored. */
ssize_t proto_encode(const struct proto_msg *m, const struct auth_key *k, uint8_t *buf, size_t cap);

/* Write the MAC of the len-byte message at buf into its last PROTO_MAC_LEN
 * bytes (proto_encode does this; tests and the fuzzer use it to sign bytes
 * they made).  Returns 0, or -1 when len is too short or libcrypto failed. */
int proto_sign(uint8_t *buf, size_t len, const struct auth_key *k);

/* Check the header, verify the MAC, then parse into m, whose vnets or
 * entries point into the caller's arrays (either may be NULL with max 0).
 * Invalid elements are left out of m and counted in m->nbad: the others
 * stand.  Survives any bytes.  Returns PROTO_OK or a negative PROTO_E_* code; m is
 * only meaningful on PROTO_OK.  No replay check: see replay_accept. */
int proto_decode(const uint8_t *buf, size_t len, const struct auth_key *k, struct proto_msg *m,
		 struct proto_vnet *vnets, size_t max_vnets,
		 struct proto_entry *entries, size_t max_entries);

/* For forwarding a received, accepted message: decrement its hop count in
 * place and set PROTO_F_RELAYED, leaving the MAC valid.  Returns the new
 * hop count (>= 1), or -1 when the message must not be forwarded (hops 0 or
 * 1 on arrival) or buf is not a message of ours (it is then unchanged). */
int proto_forward_hops(uint8_t *buf, size_t len);

/* Short name of a message type or result code, for logs. */
const char *proto_type_name(uint8_t type);
const char *proto_err_name(int err);

/* Count a proto_decode failure in st (the one counter it maps to). */
void proto_stats_count_err(struct proto_stats *st, int err);

/* Underlay addresses. */
void proto_addr_from_in(struct proto_addr *a, const struct in_addr *in);
void proto_addr_from_in6(struct proto_addr *a, const struct in6_addr *in6);
/* True for ::ffff:a.b.c.d; then *in (when non-NULL) is a.b.c.d. */
bool proto_addr_to_in(const struct proto_addr *a, struct in_addr *in);
bool proto_addr_equal(const struct proto_addr *a, const struct proto_addr *b);
/* "192.0.2.1" for a mapped IPv4 address, else the IPv6 text form. */
#define PROTO_ADDR_STRLEN 46
void proto_addr_format(const struct proto_addr *a, char out[PROTO_ADDR_STRLEN]);

#endif
