/* libFuzzer target: the host-to-host control message decoder.
 *
 * The bytes go through the receive path three ways:
 *  1. as they are (header checks, MAC verification: nearly always refused);
 *  2. re-signed with the fuzzing key, so the parser behind the MAC is
 *     reached; whatever it accepts must re-encode to the same bytes, and
 *     goes on to the replay table;
 *  3. through proto_forward_hops, which may change bytes 4-5 only.
 * Seeds (tests/fuzz/corpus/proto/) are signed with the same key: bytes 00..1f,
 * the key of the worked example in docs/control-wire.md. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct auth_key key;
static struct replay *table;

static void init(void)
{
	uint8_t k[32];

	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)i;
	if (auth_key_set(&key, k, sizeof(k), NULL, 0) != 0)
		__builtin_trap();
	/* Small, so eviction happens. */
	table = replay_new(256, 60, 64);
	if (!table)
		__builtin_trap();
}

static int decode(const uint8_t *buf, size_t len, struct proto_msg *m)
{
	static struct proto_vnet vnets[PROTO_MAX_VNETS];
	static struct proto_entry entries[PROTO_MAX_ENTRIES];

	return proto_decode(buf, len, &key, m, vnets, PROTO_MAX_VNETS, entries, PROTO_MAX_ENTRIES);
}

/* What was accepted must encode back to the same bytes, except the fields
 * receivers ignore (sent as zero). */
static void reencode(const uint8_t *buf, size_t len, const struct proto_msg *m)
{
	uint8_t want[PROTO_MAX_LEN], got[PROTO_MAX_LEN];

	memcpy(want, buf, len);
	if (m->type != PROTO_HELLO)
		memset(want + PROTO_OFF_HOLD, 0, 4);
	memset(want + PROTO_OFF_RSVD, 0, 2);
	for (size_t i = 0; m->type == PROTO_HELLO && i < m->nvnets; i++)
		memset(want + PROTO_HDR_LEN + i * PROTO_VNET_LEN + 22, 0, 2); /* reserved */
	ssize_t n = proto_encode(m, &key, got, sizeof(got));
	if (n != (ssize_t)len || memcmp(got, want, len - PROTO_MAC_LEN) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[PROTO_MAX_LEN];
	struct proto_stats st = { 0 };
	struct proto_msg m;

	if (!table)
		init();

	int rc = decode(data, size, &m);
	if (rc > 0 || rc < PROTO_E_CRYPTO)
		__builtin_trap();

	if (size <= sizeof(buf)) {
		memcpy(buf, data, size);
		if (proto_sign(buf, size, &key) == 0) {
			rc = decode(buf, size, &m);
			if (rc == PROTO_E_MAC)
				__builtin_trap();       /* we just signed it */
			/* Invalid elements are dropped (nbad): what is left must
			 * be valid, and without any dropped the same bytes. */
			if (rc == PROTO_OK && m.nbad == 0)
				reencode(buf, size, &m);
			for (size_t i = 0; rc == PROTO_OK && i < m.nentries; i++)
				if (!proto_entry_ok(m.type, &m.entries[i]))
					__builtin_trap();
			for (size_t i = 0; rc == PROTO_OK && i < m.nvnets; i++)
				if (!proto_vnet_ok(&m.vnets[i]))
					__builtin_trap();
			/* The sender's clock for freshness, the fuzzer's counter. */
			replay_accept(table, NULL, rc, &m, m.time_us, &st);
			if (st.ok + st.dup + st.replayed + st.stale + st.malformed + st.version +
			    st.bad_mac + st.own != 1)
				__builtin_trap();
		}

		memcpy(buf, data, size);
		int h = proto_forward_hops(buf, size);
		if (h >= 0 && (h != data[PROTO_OFF_HOPS] - 1 || !(buf[PROTO_OFF_FLAGS] & PROTO_F_RELAYED)))
			__builtin_trap();
		for (size_t i = 0; i < size; i++)
			if (buf[i] != data[i] && (h < 0 || (i != PROTO_OFF_HOPS && i != PROTO_OFF_FLAGS)))
				__builtin_trap();
	}
	return 0;
}
