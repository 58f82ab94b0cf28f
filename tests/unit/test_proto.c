/* The control wire format: round trips, limits, the documented example,
 * authentication of every signed byte, hostile and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

/* The key of the worked example in docs/control-wire.md: bytes 00..1f. */
static struct auth_key key;
static struct auth_key other_key;

static int setup(void **state)
{
	uint8_t k[32];
	char err[128];

	(void)state;
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)i;
	if (auth_key_set(&key, k, sizeof(k), err, sizeof(err)) != 0)
		return -1;
	k[31] ^= 1;
	return auth_key_set(&other_key, k, sizeof(k), err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	auth_key_free(&key);
	auth_key_free(&other_key);
	return 0;
}

static struct proto_addr v4(const char *s)
{
	struct proto_addr a;
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, s, &in), 1);
	proto_addr_from_in(&a, &in);
	return a;
}

static struct proto_addr v6(const char *s)
{
	struct proto_addr a;
	struct in6_addr in6;

	assert_int_equal(inet_pton(AF_INET6, s, &in6), 1);
	proto_addr_from_in6(&a, &in6);
	return a;
}

static struct vnet_id vnet(uint32_t n)
{
	struct vnet_id id = { { 0 } };

	id.b[12] = (uint8_t)(n >> 24);
	id.b[13] = (uint8_t)(n >> 16);
	id.b[14] = (uint8_t)(n >> 8);
	id.b[15] = (uint8_t)n;
	return id;
}

/* A HELLO vnet: id n on VNI n (24 bits), MTU 1450. */
static struct proto_vnet pvnet(uint32_t n)
{
	return (struct proto_vnet){ .id = vnet(n), .vni = n & 0xffffff, .mtu = 1450 };
}

static void assert_same_vnet(const struct proto_vnet *a, const struct proto_vnet *b)
{
	assert_memory_equal(&a->id, &b->id, 16);
	assert_int_equal(a->vni, b->vni);
	assert_int_equal(a->mtu, b->mtu);
}

static struct proto_entry entry(uint32_t i, const struct proto_addr *host)
{
	struct proto_entry e;

	memset(&e, 0, sizeof(e));
	e.vnet = vnet(0x97 + i);
	e.mac[0] = 0x00;
	e.mac[1] = 0x16;
	e.mac[2] = 0x3e;
	e.mac[3] = (uint8_t)(i >> 16);
	e.mac[4] = (uint8_t)(i >> 8);
	e.mac[5] = (uint8_t)i;
	e.seq = 0x01020304u + i;
	if (host)
		e.host = *host;
	return e;
}

/* Decode buf into fresh arrays of the maximum size. */
struct decoded {
	struct proto_msg m;
	struct proto_vnet vnets[PROTO_MAX_VNETS];
	struct proto_entry entries[PROTO_MAX_ENTRIES];
};

static int decode(const uint8_t *buf, size_t len, const struct auth_key *k, struct decoded *d)
{
	return proto_decode(buf, len, k, &d->m, d->vnets, PROTO_MAX_VNETS, d->entries, PROTO_MAX_ENTRIES);
}

static void assert_same(const struct proto_msg *a, const struct proto_msg *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->hops, b->hops);
	assert_int_equal(a->flags, b->flags);
	assert_memory_equal(&a->origin, &b->origin, 16);
	assert_true(a->counter == b->counter);
	assert_true(a->time_us == b->time_us);
	if (a->type == PROTO_HELLO) {
		assert_int_equal(a->hold_s, b->hold_s);
		assert_int_equal(a->part, b->part);
		assert_int_equal(a->parts, b->parts);
		assert_int_equal(a->nvnets, b->nvnets);
		assert_true(a->esp_gen == b->esp_gen);
		assert_int_equal(a->has_esp_offset, b->has_esp_offset);
		assert_int_equal(a->esp_offset, b->esp_offset);
		assert_int_equal(a->has_key_id, b->has_key_id);
		assert_int_equal(a->key_id, b->key_id);
		for (size_t i = 0; i < a->nvnets; i++)
			assert_same_vnet(&a->vnets[i], &b->vnets[i]);
		assert_int_equal(b->nentries, 0);
		return;
	}
	assert_int_equal(b->nvnets, 0);
	assert_int_equal(b->hold_s, 0);
	assert_int_equal(a->nentries, b->nentries);
	for (size_t i = 0; i < a->nentries; i++) {
		const struct proto_entry *x = &a->entries[i], *y = &b->entries[i];
		assert_memory_equal(&x->vnet, &y->vnet, 16);
		assert_memory_equal(x->mac, y->mac, 6);
		assert_int_equal(x->seq, y->seq);
		if (a->type == PROTO_ANNOUNCE)
			assert_memory_equal(&x->host, &y->host, 16);
		else
			assert_true(proto_addr_equal(&y->host, &(struct proto_addr){ { 0 } }));
	}
}

static size_t roundtrip(const struct proto_msg *m, uint8_t *buf)
{
	struct decoded d;
	ssize_t n = proto_encode(m, &key, buf, PROTO_MAX_LEN);

	assert_true(n > 0);
	assert_int_equal((size_t)n, proto_msg_len(m->type, m->type == PROTO_HELLO ? m->nvnets + !!m->esp_gen +
										  m->has_esp_offset + m->has_key_id :
										  m->nentries));
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_OK);
	assert_same(m, &d.m);
	return (size_t)n;
}

static void roundtrip_all_types(void **state)
{
	uint8_t buf[PROTO_MAX_LEN];
	struct proto_addr h4 = v4("198.51.100.7"), h6 = v6("2001:db8::1:2");
	struct proto_entry e[3] = { entry(1, &h4), entry(2, &h6), entry(3, &h4) };
	struct proto_vnet vn[3] = { pvnet(2), pvnet(0x97),
				    { .id = { { 0xfe, 0xdc, [15] = 1 } }, .vni = 0xffffff, .mtu = 65535 } };
	struct proto_msg m = {
		.hops = 3, .flags = 0, .counter = 0x0123456789abcdefu, .time_us = 1767225600000000u,
	};

	(void)state;
	for (int o = 0; o < 2; o++) {
		m.origin = o ? h6 : h4;
		m.type = PROTO_HELLO;
		m.vnets = vn;
		m.nvnets = 3;
		m.hold_s = 90;
		m.part = 1;
		m.parts = 2;
		roundtrip(&m, buf);
		m.nvnets = 0;                   /* a host with no vnets */
		m.part = 0;
		m.parts = 1;
		roundtrip(&m, buf);
		m.vnets = NULL;
		m.hold_s = 0;
		m.part = m.parts = 0;
		m.entries = e;
		m.nentries = 3;
		for (uint8_t t = PROTO_ANNOUNCE; t <= PROTO_REQUEST; t++) {
			m.type = t;
			roundtrip(&m, buf);
		}
	}
}

/* The host address and HELLO fields are not on the wire for types that do
 * not carry them: the encoder ignores them. */
static void fields_not_carried(void **state)
{
	uint8_t a[PROTO_MAX_LEN], b[PROTO_MAX_LEN];
	struct proto_addr h = v4("192.0.2.9");
	struct proto_entry e = entry(1, &h), e0 = entry(1, NULL);
	struct proto_msg m = { .type = PROTO_WITHDRAW, .origin = h, .counter = 5, .nentries = 1,
			       .entries = &e, .hold_s = 7, .part = 3, .parts = 1 };
	struct proto_msg m0 = { .type = PROTO_WITHDRAW, .origin = h, .counter = 5, .nentries = 1,
				.entries = &e0 };

	(void)state;
	ssize_t n = proto_encode(&m, &key, a, sizeof(a));
	assert_int_equal(n, proto_encode(&m0, &key, b, sizeof(b)));
	assert_memory_equal(a, b, (size_t)n);
}

/* The ESP SA generation rides in HELLO as one more element, vnet id 1,
 * which a parser without it drops as invalid: the vnets stand. */
static void esp_generation(void **state)
{
	static struct proto_vnet vn[PROTO_MAX_VNETS];
	uint8_t buf[PROTO_MAX_LEN];
	struct decoded d;
	struct proto_msg m = { .type = PROTO_HELLO, .hops = 1, .origin = v4("192.0.2.3"), .counter = 9,
			       .hold_s = 30, .parts = 1, .vnets = vn, .nvnets = 2,
			       .esp_gen = 0xfedcba9876543210u };
	static const uint8_t elem[24] = { [15] = 1, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };
	ssize_t n;

	(void)state;
	for (size_t i = 0; i < PROTO_MAX_VNETS; i++)
		vn[i] = pvnet((uint32_t)(i + 2));
	n = (ssize_t)roundtrip(&m, buf);
	assert_int_equal(buf[PROTO_OFF_COUNT + 1], 3);
	assert_memory_equal(buf + n - PROTO_MAC_LEN - 24, elem, 24);
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_OK);
	assert_int_equal(d.m.nbad, 0);
	/* it takes a vnet's place */
	m.nvnets = PROTO_MAX_VNETS - 1;
	roundtrip(&m, buf);
	m.nvnets = PROTO_MAX_VNETS;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	/* none: no element (an older sender), decoded as 0 */
	m.esp_gen = 0;
	n = proto_encode(&m, &key, buf, sizeof(buf));
	assert_int_equal((size_t)n, proto_msg_len(PROTO_HELLO, PROTO_MAX_VNETS));
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_OK);
	assert_true(d.m.esp_gen == 0);
	/* other types carry none */
	struct proto_entry e = entry(1, NULL);
	struct proto_msg w = { .type = PROTO_WITHDRAW, .origin = m.origin, .counter = 10, .nentries = 1,
			       .entries = &e, .esp_gen = 5 };
	n = proto_encode(&w, &key, buf, sizeof(buf));
	assert_int_equal((size_t)n, proto_msg_len(PROTO_WITHDRAW, 1));
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_OK);
	assert_true(d.m.esp_gen == 0);
}

/* The key epoch offset rides as one more element, vnet id 0 and "xvof",
 * after the generation's; a parser without it drops it as invalid. */
static void esp_offset(void **state)
{
	static struct proto_vnet vn[PROTO_MAX_VNETS];
	uint8_t buf[PROTO_MAX_LEN];
	struct decoded d;
	struct proto_msg m = { .type = PROTO_HELLO, .origin = v4("192.0.2.3"), .counter = 9, .hold_s = 30,
			       .parts = 1, .vnets = vn, .nvnets = 2, .esp_gen = 0x1122334455667788u,
			       .has_esp_offset = true, .esp_offset = 0x01020304u };
	static const uint8_t elem[24] = { [16] = 1, 2, 3, 4, 'x', 'v', 'o', 'f' };
	ssize_t n;

	(void)state;
	for (size_t i = 0; i < PROTO_MAX_VNETS; i++)
		vn[i] = pvnet((uint32_t)(i + 2));
	n = (ssize_t)roundtrip(&m, buf);
	assert_int_equal(buf[PROTO_OFF_COUNT + 1], 4);
	assert_memory_equal(buf + n - PROTO_MAC_LEN - 24, elem, 24);
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_OK);
	assert_int_equal(d.m.nbad, 0);
	assert_true(d.m.esp_gen == 0x1122334455667788u);
	/* offset 0 is an offset, said as such */
	m.esp_offset = 0;
	roundtrip(&m, buf);
	/* both take a vnet's place */
	m.nvnets = PROTO_MAX_VNETS - 2;
	roundtrip(&m, buf);
	m.nvnets = PROTO_MAX_VNETS - 1;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	/* alone, without a generation */
	m.esp_gen = 0;
	roundtrip(&m, buf);
	/* none announced: has_esp_offset stays false */
	m.has_esp_offset = false;
	m.nvnets = 2;
	n = (ssize_t)roundtrip(&m, buf);
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_OK);
	assert_false(d.m.has_esp_offset);
}

/* The cluster key's id rides as one more element, vnet id 0 and "xvki",
 * after the offset's; a parser without it drops it as invalid. */
static void key_id(void **state)
{
	static struct proto_vnet vn[PROTO_MAX_VNETS];
	uint8_t buf[PROTO_MAX_LEN];
	struct decoded d;
	struct proto_msg m = { .type = PROTO_HELLO, .origin = v4("192.0.2.3"), .counter = 9, .hold_s = 30,
			       .parts = 1, .vnets = vn, .nvnets = 2, .esp_gen = 7, .has_esp_offset = true,
			       .esp_offset = 3, .has_key_id = true, .key_id = 0xa1b2c3d4u };
	static const uint8_t elem[24] = { [16] = 0xa1, 0xb2, 0xc3, 0xd4, 'x', 'v', 'k', 'i' };
	ssize_t n;

	(void)state;
	for (size_t i = 0; i < PROTO_MAX_VNETS; i++)
		vn[i] = pvnet((uint32_t)(i + 2));
	n = (ssize_t)roundtrip(&m, buf);
	assert_int_equal(buf[PROTO_OFF_COUNT + 1], 5);
	assert_memory_equal(buf + n - PROTO_MAC_LEN - 24, elem, 24);
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_OK);
	assert_int_equal(d.m.nbad, 0);
	assert_int_equal(d.m.nvnets, 2);
	assert_int_equal(d.m.esp_offset, 3);
	/* all three take a vnet's place */
	m.nvnets = PROTO_MAX_VNETS - 3;
	roundtrip(&m, buf);
	m.nvnets = PROTO_MAX_VNETS - 2;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	/* alone, as a host without ESP sends it */
	m.esp_gen = 0;
	m.has_esp_offset = false;
	m.esp_offset = 0;
	m.nvnets = 1;
	roundtrip(&m, buf);
	/* a vnet 0 element with another tag is an invalid element, dropped */
	n = proto_encode(&m, &key, buf, sizeof(buf));
	assert_true(n > 0);
	buf[n - PROTO_MAC_LEN - 1] = 'x';
	assert_int_equal(proto_sign(buf, (size_t)n, &key), 0);
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_OK);
	assert_false(d.m.has_key_id);
	assert_int_equal(d.m.nbad, 1);
	assert_int_equal(d.m.nvnets, 1);
}

static void max_batch(void **state)
{
	static struct proto_entry e[PROTO_MAX_ENTRIES + 1];
	static struct proto_vnet vn[PROTO_MAX_VNETS + 1];
	uint8_t buf[PROTO_MAX_LEN + 64];
	struct proto_addr h = v6("2001:db8::77");
	struct proto_msg m = { .hops = 1, .origin = h, .counter = 1, .time_us = 2, .parts = 1 };
	struct {
		uint8_t type;
		size_t max;
	} t[] = { { PROTO_HELLO, PROTO_MAX_VNETS }, { PROTO_ANNOUNCE, PROTO_MAX_ANNOUNCE },
		  { PROTO_WITHDRAW, PROTO_MAX_ENTRIES }, { PROTO_REQUEST, PROTO_MAX_ENTRIES } };

	(void)state;
	for (size_t i = 0; i <= PROTO_MAX_ENTRIES; i++)
		e[i] = entry((uint32_t)i, &h);
	for (size_t i = 0; i <= PROTO_MAX_VNETS; i++)
		vn[i] = pvnet((uint32_t)(i + 2));
	m.entries = e;
	m.vnets = vn;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		m.type = t[i].type;
		assert_int_equal(proto_fit(m.type, PROTO_MAX_LEN), t[i].max);
		assert_int_equal(proto_fit(m.type, 65536), t[i].max);   /* never past 1400 */
		assert_true(proto_msg_len(m.type, t[i].max) <= PROTO_MAX_LEN);
		assert_true(proto_msg_len(m.type, t[i].max + 1) > PROTO_MAX_LEN);
		m.nvnets = m.nentries = t[i].max;
		roundtrip(&m, buf);
		m.nvnets = m.nentries = t[i].max + 1;
		assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	}
	/* Smaller budgets, e.g. a datagram shared with something else. */
	assert_int_equal(proto_fit(PROTO_ANNOUNCE, 80 + 42), 1);
	assert_int_equal(proto_fit(PROTO_ANNOUNCE, 80 + 41), 0);
	assert_int_equal(proto_fit(PROTO_HELLO, 79), 0);
	assert_int_equal(proto_fit(0, 1400), 0);
	assert_int_equal(proto_msg_len(PROTO_HELLO, 0), 80);
	assert_int_equal(proto_msg_len(9, 1), 0);
	assert_int_equal(proto_msg_len(PROTO_ANNOUNCE, SIZE_MAX / 2), 0);
}

/* docs/control-wire.md, "Worked example": keep the two in step. */
static const uint8_t example[] = {
	0x58, 0x56, 0x02, 0x02, 0x04, 0x00, 0x00, 0x7a, 0x00, 0x06, 0x47, 0x47, 0x6f, 0x8c, 0x9c, 0x07,
	0x00, 0x06, 0x47, 0x48, 0x46, 0x20, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xff, 0xff, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x97,
	0x00, 0x16, 0x3e, 0x12, 0x34, 0x56, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xc0, 0x00, 0x02, 0x01, 0xbd, 0xfb, 0xa1, 0xba, 0x95, 0xc9,
	0x9a, 0x3e, 0xde, 0xcb, 0x5b, 0xb2, 0x74, 0x73, 0xa1, 0xa8, 0x5e, 0x5e, 0xa5, 0x0c, 0x67, 0x04,
	0x53, 0xd6, 0xe5, 0xaa, 0x92, 0x03, 0x81, 0xff, 0x80, 0xfa,
};

static struct proto_msg example_msg(struct proto_entry *e)
{
	struct proto_addr h = v4("192.0.2.1");
	static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };

	memset(e, 0, sizeof(*e));
	e->vnet.b[15] = 0x97;
	memcpy(e->mac, mac, 6);
	e->seq = 1;
	e->host = h;
	return (struct proto_msg){ .type = PROTO_ANNOUNCE, .hops = PROTO_HOPS_DEFAULT, .origin = h,
				   .counter = 1767222000000007u, .time_us = 1767225600000000u,
				   .nentries = 1, .entries = e };
}

static void worked_example(void **state)
{
	uint8_t buf[PROTO_MAX_LEN];
	struct proto_entry e;
	struct proto_msg m = example_msg(&e);
	struct decoded d;

	(void)state;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), sizeof(example));
	assert_memory_equal(buf, example, sizeof(example));
	assert_int_equal(decode(example, sizeof(example), &key, &d), PROTO_OK);
	assert_same(&m, &d.m);
}

static void wrong_key(void **state)
{
	struct decoded d;

	(void)state;
	assert_int_equal(decode(example, sizeof(example), &other_key, &d), PROTO_E_MAC);
}

/* Every bit outside hops and flags is protected: a flip is refused, by
 * the header checks where they look, else by the MAC. */
static void every_bit_signed(void **state)
{
	uint8_t buf[sizeof(example)];
	struct decoded d;

	(void)state;
	for (size_t i = 0; i < sizeof(example); i++) {
		if (i == PROTO_OFF_HOPS || i == PROTO_OFF_FLAGS)
			continue;
		for (int bit = 0; bit < 8; bit++) {
			memcpy(buf, example, sizeof(buf));
			buf[i] ^= (uint8_t)(1 << bit);
			int rc = decode(buf, sizeof(buf), &key, &d);
			bool checked_early = i < 4 || i == PROTO_OFF_LENGTH || i == PROTO_OFF_LENGTH + 1 ||
					     i == PROTO_OFF_COUNT || i == PROTO_OFF_COUNT + 1;
			if (checked_early)
				assert_true(rc < 0 && rc != PROTO_E_MAC);
			else if (rc != PROTO_E_MAC)
				fail_msg("byte %zu bit %d: %s", i, bit, proto_err_name(rc));
		}
	}
}

static void hops_and_flags_unsigned(void **state)
{
	uint8_t buf[sizeof(example)];
	struct decoded d;

	(void)state;
	memcpy(buf, example, sizeof(buf));
	for (int v = 0; v < 256; v++) {
		buf[PROTO_OFF_HOPS] = (uint8_t)v;
		buf[PROTO_OFF_FLAGS] = (uint8_t)(255 - v);
		assert_int_equal(decode(buf, sizeof(buf), &key, &d), PROTO_OK);
		assert_int_equal(d.m.hops, v);
		assert_int_equal(d.m.flags, 255 - v);
	}
}

static void forward_hops(void **state)
{
	uint8_t buf[sizeof(example)];
	struct decoded d;

	(void)state;
	memcpy(buf, example, sizeof(buf));
	assert_int_equal(buf[PROTO_OFF_HOPS], 4);
	assert_int_equal(proto_forward_hops(buf, sizeof(buf)), 3);
	assert_int_equal(decode(buf, sizeof(buf), &key, &d), PROTO_OK);
	assert_int_equal(d.m.hops, 3);
	assert_int_equal(d.m.flags, PROTO_F_RELAYED);
	assert_int_equal(proto_forward_hops(buf, sizeof(buf)), 2);
	assert_int_equal(proto_forward_hops(buf, sizeof(buf)), 1);
	/* Arrived with 1: delivered, never forwarded; the buffer is untouched. */
	assert_int_equal(proto_forward_hops(buf, sizeof(buf)), -1);
	assert_int_equal(buf[PROTO_OFF_HOPS], 1);
	buf[PROTO_OFF_HOPS] = 0;
	assert_int_equal(proto_forward_hops(buf, sizeof(buf)), -1);
	assert_int_equal(decode(buf, sizeof(buf), &key, &d), PROTO_OK);
	/* Unknown flag bits travel unchanged. */
	buf[PROTO_OFF_HOPS] = 9;
	buf[PROTO_OFF_FLAGS] = 0x80;
	assert_int_equal(proto_forward_hops(buf, sizeof(buf)), 8);
	assert_int_equal(buf[PROTO_OFF_FLAGS], 0x81);
	/* Not a message: -1, untouched. */
	assert_int_equal(proto_forward_hops(buf, sizeof(buf) - 1), -1);
	assert_int_equal(buf[PROTO_OFF_HOPS], 8);
	assert_int_equal(proto_forward_hops(buf, 3), -1);
	buf[2] = PROTO_VERSION + 1;
	assert_int_equal(proto_forward_hops(buf, sizeof(buf)), -1);
	assert_int_equal(buf[PROTO_OFF_HOPS], 8);
}

static void truncated_and_oversized(void **state)
{
	uint8_t buf[PROTO_MAX_LEN + 2];
	struct decoded d;

	(void)state;
	memcpy(buf, example, sizeof(example));
	for (size_t len = 0; len < sizeof(example); len++) {
		int rc = decode(buf, len, &key, &d);
		if (rc != PROTO_E_SHORT)
			fail_msg("length %zu: %s", len, proto_err_name(rc));
	}
	memset(buf + sizeof(example), 0, sizeof(buf) - sizeof(example));
	assert_int_equal(decode(buf, sizeof(example) + 1, &key, &d), PROTO_E_LONG);
	assert_int_equal(decode(buf, PROTO_MAX_LEN + 1, &key, &d), PROTO_E_LONG);
	assert_int_equal(decode(NULL, 0, &key, &d), PROTO_E_SHORT);
}

static void version_type_magic(void **state)
{
	uint8_t buf[sizeof(example)];
	struct decoded d;

	(void)state;
	static const uint8_t types[] = { 0, 5, 0x42, 0xff };
	for (size_t i = 0; i < sizeof(types); i++) {
		memcpy(buf, example, sizeof(buf));
		buf[3] = types[i];
		assert_int_equal(proto_sign(buf, sizeof(buf), &key), 0);
		assert_int_equal(decode(buf, sizeof(buf), &key, &d), PROTO_E_TYPE);
	}
	for (int v = 0; v < 256; v++) {
		if (v == PROTO_VERSION)
			continue;
		memcpy(buf, example, sizeof(buf));
		buf[2] = (uint8_t)v;
		assert_int_equal(proto_sign(buf, sizeof(buf), &key), 0);
		assert_int_equal(decode(buf, sizeof(buf), &key, &d), PROTO_E_VERSION);
		/* A newer version may be any size: the version decides first. */
		assert_int_equal(decode(buf, 3, &key, &d), PROTO_E_VERSION);
	}
	memcpy(buf, example, sizeof(buf));
	buf[1] = 'W';
	assert_int_equal(decode(buf, sizeof(buf), &key, &d), PROTO_E_MAGIC);
	assert_int_equal(decode(buf, 2, &key, &d), PROTO_E_MAGIC);
}

/* Signed by a key holder, but not what the format allows: a bad header
 * field makes the message malformed; a bad entry is dropped alone (the
 * example has one entry, so nothing is left of it). */
static void invalid_fields(void **state)
{
	uint8_t buf[sizeof(example)];
	struct decoded d;
	struct {
		size_t off;
		uint8_t val;
		int want;         /* PROTO_OK: the entry is dropped, counted in nbad */
	} bad[] = {
		{ PROTO_OFF_COUNT + 1, 2, PROTO_E_FORMAT },         /* count vs length */
		{ PROTO_OFF_COUNT, 1, PROTO_E_FORMAT },
		{ PROTO_OFF_ORIGIN + 12, 0, PROTO_E_FORMAT },       /* origin 0.0.2.1 ... */
		{ PROTO_OFF_ORIGIN + 12, 224, PROTO_E_FORMAT },     /* ... multicast ... */
		{ PROTO_OFF_ORIGIN + 12, 255, PROTO_E_FORMAT },     /* ... class E */
		{ PROTO_OFF_ORIGIN, 0xff, PROTO_E_FORMAT },         /* ... IPv6 multicast */
		{ PROTO_HDR_LEN + 15, 0, PROTO_OK },                /* vnet 0 */
		{ PROTO_HDR_LEN + 15, 1, PROTO_OK },                /* vnet 1 (reserved) */
		{ PROTO_HDR_LEN + 16, 0x01, PROTO_OK },             /* group MAC */
		{ PROTO_HDR_LEN + 16 + 6 + 4 + 12, 239, PROTO_OK }, /* multicast host */
		{ PROTO_HDR_LEN + 16 + 6 + 4 + 12, 0, PROTO_OK },   /* host 0.0.2.1 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(buf, example, sizeof(buf));
		buf[bad[i].off] = bad[i].val;
		assert_int_equal(proto_sign(buf, sizeof(buf), &key), 0);
		if (decode(buf, sizeof(buf), &key, &d) != bad[i].want)
			fail_msg("case %zu", i);
		if (bad[i].want == PROTO_OK && (d.m.nentries != 0 || d.m.nbad != 1))
			fail_msg("case %zu: %zu entries, %zu bad", i, d.m.nentries, d.m.nbad);
	}
	/* ::ff:c000:201 is an address a host can have. */
	memcpy(buf, example, sizeof(buf));
	buf[PROTO_OFF_ORIGIN + 10] = 0;
	assert_int_equal(proto_sign(buf, sizeof(buf), &key), 0);
	assert_int_equal(decode(buf, sizeof(buf), &key, &d), PROTO_OK);
	assert_int_equal(d.m.nentries, 1);
	assert_int_equal(d.m.nbad, 0);
	/* All-zero MAC address and host: dropped too. */
	memcpy(buf, example, sizeof(buf));
	memset(buf + PROTO_HDR_LEN + 16, 0, 6);
	assert_int_equal(proto_sign(buf, sizeof(buf), &key), 0);
	assert_int_equal(decode(buf, sizeof(buf), &key, &d), PROTO_OK);
	assert_int_equal(d.m.nentries, 0);
	assert_int_equal(d.m.nbad, 1);
	memcpy(buf, example, sizeof(buf));
	memset(buf + PROTO_HDR_LEN + 26, 0, 16);
	assert_int_equal(proto_sign(buf, sizeof(buf), &key), 0);
	assert_int_equal(decode(buf, sizeof(buf), &key, &d), PROTO_OK);
	assert_int_equal(d.m.nbad, 1);
	/* HELLO parts. */
	struct proto_vnet vn = pvnet(7);
	struct proto_msg m = { .type = PROTO_HELLO, .origin = v4("10.1.2.3"), .nvnets = 1, .vnets = &vn,
			       .part = 0, .parts = 1 };
	ssize_t n = proto_encode(&m, &key, buf, sizeof(buf));
	assert_true(n > 0);
	buf[PROTO_OFF_PARTS] = 0;
	assert_int_equal(proto_sign(buf, (size_t)n, &key), 0);
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_E_FORMAT);
	buf[PROTO_OFF_PARTS] = 2;
	buf[PROTO_OFF_PART] = 2;
	assert_int_equal(proto_sign(buf, (size_t)n, &key), 0);
	assert_int_equal(decode(buf, (size_t)n, &key, &d), PROTO_E_FORMAT);
}

/* Overwrite entry i of an encoded message of this type with a bad MAC. */
static void spoil_mac(uint8_t *buf, uint8_t type, size_t i, const uint8_t mac[6])
{
	size_t e = type == PROTO_ANNOUNCE ? PROTO_ANNOUNCE_LEN : PROTO_ENTRY_LEN;

	memcpy(buf + PROTO_HDR_LEN + i * e + 16, mac, 6);
}

/* A full batch with bad entries among good ones (a sender that does not
 * filter, or a newer rule): every good entry survives, in order, and the
 * bad ones are counted. */
static void bad_entries_dropped(void **state)
{
	static const uint8_t group[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6] = { 0 };
	static const uint8_t types[] = { PROTO_ANNOUNCE, PROTO_WITHDRAW, PROTO_REQUEST };
	struct proto_addr h = v4("192.0.2.1");
	struct proto_entry e[PROTO_MAX_ENTRIES];
	uint8_t buf[PROTO_MAX_LEN];
	struct decoded d;

	(void)state;
	for (size_t t = 0; t < sizeof(types); t++) {
		size_t n = proto_fit(types[t], PROTO_MAX_LEN);
		for (size_t i = 0; i < n; i++) {
			e[i] = entry((uint32_t)i + 1, types[t] == PROTO_ANNOUNCE ? &h : NULL);
			if (types[t] == PROTO_REQUEST)
				e[i].seq = 0;
		}
		struct proto_msg m = { .type = types[t], .origin = h, .nentries = n, .entries = e };
		ssize_t len = proto_encode(&m, &key, buf, sizeof(buf));
		assert_true(len > 0);
		spoil_mac(buf, types[t], 0, group);
		spoil_mac(buf, types[t], 5, zero);
		spoil_mac(buf, types[t], n - 1, bcast);
		assert_int_equal(proto_sign(buf, (size_t)len, &key), 0);
		assert_int_equal(decode(buf, (size_t)len, &key, &d), PROTO_OK);
		assert_int_equal(d.m.nbad, 3);
		assert_int_equal(d.m.nentries, n - 3);
		for (size_t i = 1, j = 0; i < n - 1; i++) {
			if (i == 5)
				continue;
			assert_memory_equal(d.entries[j].mac, e[i].mac, 6);
			assert_int_equal(d.entries[j].seq, e[i].seq);
			assert_memory_equal(&d.entries[j].vnet, &e[i].vnet, 16);
			j++;
		}
	}
	/* HELLO: a vnet 0, a VNI 0, a VNI past 24 bits and a tiny MTU among
	 * good ones. */
	struct proto_vnet vn[6] = { pvnet(7), pvnet(8), pvnet(9), pvnet(10), pvnet(11), pvnet(12) };
	struct proto_msg m = { .type = PROTO_HELLO, .origin = h, .nvnets = 6, .vnets = vn, .parts = 1 };
	ssize_t len = proto_encode(&m, &key, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(len, PROTO_HDR_LEN + 6 * 24 + PROTO_MAC_LEN);
	uint8_t *body = buf + PROTO_HDR_LEN;
	/* The layout of docs/control-wire.md: id 16, VNI 4, MTU 2, reserved 2. */
	assert_int_equal(body[15], 7);
	assert_int_equal(body[19], 7);
	assert_int_equal(body[20] << 8 | body[21], 1450);
	memset(body + PROTO_VNET_LEN, 0, 16);                   /* vnet 0 */
	memset(body + 2 * PROTO_VNET_LEN + 16, 0, 4);           /* VNI 0 */
	body[3 * PROTO_VNET_LEN + 16] = 1;                       /* VNI 0x1000000 + 10 */
	body[4 * PROTO_VNET_LEN + 20] = 0;                       /* MTU 67 */
	body[4 * PROTO_VNET_LEN + 21] = 67;
	body[5 * PROTO_VNET_LEN + 22] = 0xab;                    /* reserved: ignored */
	assert_int_equal(proto_sign(buf, (size_t)len, &key), 0);
	assert_int_equal(decode(buf, (size_t)len, &key, &d), PROTO_OK);
	assert_int_equal(d.m.nvnets, 2);
	assert_int_equal(d.m.nbad, 4);
	assert_same_vnet(&d.vnets[0], &vn[0]);
	assert_same_vnet(&d.vnets[1], &vn[5]);
}

/* What a HELLO vnet may say: the encoder refuses the rest. */
static void vnet_rules(void **state)
{
	struct proto_vnet v = pvnet(0x97);
	struct proto_addr h = v4("192.0.2.1");
	uint8_t buf[PROTO_MAX_LEN];
	struct proto_msg m = { .type = PROTO_HELLO, .origin = h, .nvnets = 1, .vnets = &v, .parts = 1 };

	(void)state;
	assert_true(proto_vnet_ok(&v));
	assert_true(proto_encode(&m, &key, buf, sizeof(buf)) > 0);
	v.vni = 0;
	assert_false(proto_vnet_ok(&v));
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	v.vni = 0x1000000;
	assert_false(proto_vnet_ok(&v));
	v.vni = 0xffffff;
	assert_true(proto_vnet_ok(&v));
	v.mtu = 67;
	assert_false(proto_vnet_ok(&v));
	v.mtu = 68;
	assert_true(proto_vnet_ok(&v));
	v.id = vnet(1);
	assert_false(proto_vnet_ok(&v));
}

/* What a sender may put in a batch: the filter cluster.c applies. */
static void entry_rules(void **state)
{
	struct proto_addr h = v4("192.0.2.1");
	struct proto_entry e = entry(1, &h);
	static const uint8_t macs_bad[][6] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 },
		{ 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 }, { 0 },
	};

	(void)state;
	assert_true(proto_entry_ok(PROTO_ANNOUNCE, &e));
	assert_true(proto_mac_ok(e.mac));
	e.mac[0] = 0x02; /* locally administered unicast is fine */
	assert_true(proto_mac_ok(e.mac));
	for (size_t i = 0; i < sizeof(macs_bad) / sizeof(macs_bad[0]); i++) {
		assert_false(proto_mac_ok(macs_bad[i]));
		memcpy(e.mac, macs_bad[i], 6);
		assert_false(proto_entry_ok(PROTO_WITHDRAW, &e));
	}
	e = entry(1, NULL);
	assert_true(proto_entry_ok(PROTO_REQUEST, &e));
	assert_false(proto_entry_ok(PROTO_ANNOUNCE, &e)); /* no host */
	e.vnet = vnet(1);
	assert_false(proto_entry_ok(PROTO_REQUEST, &e));
}

/* The encoder refuses what the decoder would refuse. */
static void encoder_refuses(void **state)
{
	uint8_t buf[PROTO_MAX_LEN];
	struct proto_addr h = v4("192.0.2.1"), zero = { { 0 } };
	struct proto_entry e = entry(1, &h);
	struct proto_vnet vn = pvnet(1);
	struct proto_msg m = { .type = PROTO_ANNOUNCE, .origin = h, .nentries = 1, .entries = &e };

	(void)state;
	assert_true(proto_encode(&m, &key, buf, sizeof(buf)) > 0);
	assert_int_equal(proto_encode(&m, &key, buf, 121), PROTO_E_SPACE);
	e.host = zero;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	e = entry(1, &h);
	e.mac[0] = 0xff;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	e = entry(1, &h);
	m.origin = zero;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	m.origin = h;
	m.entries = NULL;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	m.type = 0;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_TYPE);
	m = (struct proto_msg){ .type = PROTO_HELLO, .origin = h, .nvnets = 1, .vnets = &vn, .parts = 1 };
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	vn = pvnet(2);
	m.parts = 0;
	assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), PROTO_E_FORMAT);
	/* No key: a libcrypto-level failure, reported as such. */
	struct auth_key none = { .len = 0 };
	m.parts = 1;
	assert_int_equal(proto_encode(&m, &none, buf, sizeof(buf)), PROTO_E_CRYPTO);
	assert_int_equal(proto_decode(example, sizeof(example), &none, &(struct proto_msg){ 0 },
				      NULL, 0, NULL, 0), PROTO_E_MAC);
}

static void caller_space(void **state)
{
	struct proto_msg m;
	struct proto_entry e[1];

	(void)state;
	assert_int_equal(proto_decode(example, sizeof(example), &key, &m, NULL, 0, NULL, 0), PROTO_E_SPACE);
	assert_int_equal(proto_decode(example, sizeof(example), &key, &m, NULL, 0, e, 1), PROTO_OK);
	assert_int_equal(m.nentries, 1);
	assert_ptr_equal(m.entries, e);
}

static void addresses(void **state)
{
	char s[PROTO_ADDR_STRLEN];
	struct in_addr in;
	struct proto_addr a = v4("192.0.2.1"), b = v6("::ffff:192.0.2.1"), c = v6("2001:db8::1");

	(void)state;
	assert_true(proto_addr_equal(&a, &b));      /* the same address on the wire */
	assert_true(proto_addr_to_in(&a, &in));
	assert_int_equal(in.s_addr, htonl(0xc0000201));
	assert_false(proto_addr_to_in(&c, NULL));
	proto_addr_format(&a, s);
	assert_string_equal(s, "192.0.2.1");
	proto_addr_format(&c, s);
	assert_string_equal(s, "2001:db8::1");
	assert_false(proto_addr_equal(&a, &c));
}

static void names_and_stats(void **state)
{
	struct proto_stats st = { 0 };

	(void)state;
	assert_string_equal(proto_type_name(PROTO_ANNOUNCE), "announce");
	assert_string_equal(proto_type_name(77), "unknown");
	for (int rc = PROTO_OK; rc >= PROTO_E_CRYPTO; rc--) {
		assert_string_not_equal(proto_err_name(rc), "?");
		proto_stats_count_err(&st, rc);
	}
	assert_string_equal(proto_err_name(-100), "?");
	assert_int_equal(st.version, 1);
	assert_int_equal(st.bad_mac, 2);            /* E_MAC, E_CRYPTO */
	assert_int_equal(st.malformed, 6);
	assert_int_equal(st.ok + st.own + st.dup + st.replayed + st.stale, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip_all_types),
		cmocka_unit_test(fields_not_carried),
		cmocka_unit_test(esp_generation),
		cmocka_unit_test(esp_offset),
		cmocka_unit_test(key_id),
		cmocka_unit_test(max_batch),
		cmocka_unit_test(worked_example),
		cmocka_unit_test(wrong_key),
		cmocka_unit_test(every_bit_signed),
		cmocka_unit_test(hops_and_flags_unsigned),
		cmocka_unit_test(forward_hops),
		cmocka_unit_test(truncated_and_oversized),
		cmocka_unit_test(version_type_magic),
		cmocka_unit_test(invalid_fields),
		cmocka_unit_test(bad_entries_dropped),
		cmocka_unit_test(vnet_rules),
		cmocka_unit_test(entry_rules),
		cmocka_unit_test(encoder_refuses),
		cmocka_unit_test(caller_space),
		cmocka_unit_test(addresses),
		cmocka_unit_test(names_and_stats),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
