/* Control messages: encoding, signing, verification, decoding. */
#include "proto.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

_Static_assert(PROTO_HDR_LEN + PROTO_MAX_VNETS * PROTO_VNET_LEN + PROTO_MAC_LEN <= PROTO_MAX_LEN &&
	       PROTO_HDR_LEN + (PROTO_MAX_VNETS + 1) * PROTO_VNET_LEN + PROTO_MAC_LEN > PROTO_MAX_LEN,
	       "PROTO_MAX_VNETS");
_Static_assert(PROTO_HDR_LEN + PROTO_MAX_ENTRIES * PROTO_ENTRY_LEN + PROTO_MAC_LEN <= PROTO_MAX_LEN &&
	       PROTO_HDR_LEN + (PROTO_MAX_ENTRIES + 1) * PROTO_ENTRY_LEN + PROTO_MAC_LEN > PROTO_MAX_LEN,
	       "PROTO_MAX_ENTRIES");
_Static_assert(PROTO_HDR_LEN + PROTO_MAX_ANNOUNCE * PROTO_ANNOUNCE_LEN + PROTO_MAC_LEN <= PROTO_MAX_LEN &&
	       PROTO_HDR_LEN + (PROTO_MAX_ANNOUNCE + 1) * PROTO_ANNOUNCE_LEN + PROTO_MAC_LEN > PROTO_MAX_LEN,
	       "PROTO_MAX_ANNOUNCE");

/* Big-endian helpers: the wire is never read through casts, so alignment
 * and host byte order do not matter. */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Size on the wire of one body element; 0 for an unknown type. */
static size_t elem_len(uint8_t type)
{
	switch (type) {
	case PROTO_HELLO:    return PROTO_VNET_LEN;
	case PROTO_ANNOUNCE: return PROTO_ANNOUNCE_LEN;
	case PROTO_WITHDRAW:
	case PROTO_REQUEST:  return PROTO_ENTRY_LEN;
	default:             return 0;
	}
}

size_t proto_msg_len(uint8_t type, size_t n)
{
	size_t e = elem_len(type);

	/* n is bounded by the caller's memory; still, refuse to wrap. */
	if (e == 0 || n > (SIZE_MAX - PROTO_HDR_LEN - PROTO_MAC_LEN) / e)
		return 0;
	return PROTO_HDR_LEN + n * e + PROTO_MAC_LEN;
}

size_t proto_fit(uint8_t type, size_t cap)
{
	size_t e = elem_len(type);

	if (cap > PROTO_MAX_LEN)
		cap = PROTO_MAX_LEN;
	if (e == 0 || cap < PROTO_HDR_LEN + PROTO_MAC_LEN)
		return 0;
	return (cap - PROTO_HDR_LEN - PROTO_MAC_LEN) / e;
}

/* The ids the schema gives no vnet: 0 is invalid, 1 reserved. */
static bool vnet_ok(const struct vnet_id *v)
{
	for (int i = 0; i < 15; i++)
		if (v->b[i])
			return true;
	return v->b[15] > 1;
}

bool proto_mac_ok(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

/* An address a host can have: not ::, not multicast (ff00::/8), and for
 * IPv4 not 0.0.0.0/8 and not 224.0.0.0/3 (multicast, class E, broadcast). */
static bool addr_ok(const struct proto_addr *a)
{
	static const struct proto_addr zero;

	if (memcmp(a, &zero, sizeof(zero)) == 0 || a->b[0] == 0xff)
		return false;
	if (proto_addr_to_in(a, NULL))
		return a->b[12] != 0 && a->b[12] < 224;
	return true;
}

/* The two spans the MAC covers: everything but hops, flags and the MAC. */
static void mac_spans(const uint8_t *buf, size_t len, struct auth_span s[2])
{
	s[0] = (struct auth_span){ buf, PROTO_OFF_HOPS };
	s[1] = (struct auth_span){ buf + PROTO_OFF_LENGTH, len - PROTO_OFF_LENGTH - PROTO_MAC_LEN };
}

int proto_sign(uint8_t *buf, size_t len, const struct auth_key *k)
{
	struct auth_span s[2];

	if (len < PROTO_HDR_LEN + PROTO_MAC_LEN)
		return -1;
	mac_spans(buf, len, s);
	return auth_mac(k, s, 2, buf + len - PROTO_MAC_LEN);
}

static void put_entry(uint8_t *p, uint8_t type, const struct proto_entry *e)
{
	memcpy(p, e->vnet.b, 16);
	memcpy(p + 16, e->mac, 6);
	put32(p + 22, e->seq);
	if (type == PROTO_ANNOUNCE)
		memcpy(p + 26, e->host.b, 16);
}

bool proto_vnet_ok(const struct proto_vnet *v)
{
	return vnet_ok(&v->id) && v->vni >= 1 && v->vni <= 0xffffff && v->mtu >= 68;
}

static void put_vnet(uint8_t *p, const struct proto_vnet *v)
{
	memcpy(p, v->id.b, 16);
	put32(p + 16, v->vni);
	put16(p + 20, v->mtu);
	put16(p + 22, 0); /* reserved: sent as zero, ignored */
}

/* The generation element: vnet id 1 (reserved: never a vnet), then the
 * 8-byte generation where a vnet element has VNI, MTU and reserved. */
static void put_gen(uint8_t *p, uint64_t gen)
{
	memset(p, 0, 16);
	p[15] = 1;
	put64(p + 16, gen);
}

static bool is_gen(const uint8_t *p)
{
	static const uint8_t one[16] = { [15] = 1 };

	return memcmp(p, one, 16) == 0;
}

/* The key epoch offset and key id elements: vnet id 0 (invalid: receivers
 * that do not know them drop them), the value, then "xvof" or "xvki" (a
 * vnet 0 without either stays an invalid element). */
#define OFFSET_MAGIC 0x78766f66u
#define KEY_ID_MAGIC 0x78766b69u
static void put_tagged(uint8_t *p, uint32_t v, uint32_t magic)
{
	memset(p, 0, 16);
	put32(p + 16, v);
	put32(p + 20, magic);
}

static bool is_tagged(const uint8_t *p, uint32_t magic)
{
	static const uint8_t zero[16];

	return memcmp(p, zero, 16) == 0 && get32(p + 20) == magic;
}

static void get_vnet(const uint8_t *p, struct proto_vnet *v)
{
	memcpy(v->id.b, p, 16);
	v->vni = get32(p + 16);
	v->mtu = get16(p + 20);
}

bool proto_entry_ok(uint8_t type, const struct proto_entry *e)
{
	return vnet_ok(&e->vnet) && proto_mac_ok(e->mac) && (type != PROTO_ANNOUNCE || addr_ok(&e->host));
}

ssize_t proto_encode(const struct proto_msg *m, const struct auth_key *k, uint8_t *buf, size_t cap)
{
	size_t e = elem_len(m->type);
	bool hello = m->type == PROTO_HELLO, gen = hello && m->esp_gen, off = hello && m->has_esp_offset;
	bool kid = hello && m->has_key_id;
	size_t n = hello ? m->nvnets : m->nentries, extra = (size_t)gen + off + kid;

	if (e == 0)
		return PROTO_E_TYPE;
	if (n + extra > proto_fit(m->type, PROTO_MAX_LEN) || !addr_ok(&m->origin) ||
	    (n > 0 && !(hello ? (const void *)m->vnets : (const void *)m->entries)) ||
	    (hello && (m->parts == 0 || m->part >= m->parts)))
		return PROTO_E_FORMAT;
	for (size_t i = 0; i < n; i++)
		if (hello ? !proto_vnet_ok(&m->vnets[i]) : !proto_entry_ok(m->type, &m->entries[i]))
			return PROTO_E_FORMAT;
	size_t len = proto_msg_len(m->type, n + extra);
	if (len > cap)
		return PROTO_E_SPACE;

	memset(buf, 0, PROTO_HDR_LEN);
	buf[0] = PROTO_MAGIC0;
	buf[1] = PROTO_MAGIC1;
	buf[2] = PROTO_VERSION;
	buf[3] = m->type;
	buf[PROTO_OFF_HOPS] = m->hops;
	buf[PROTO_OFF_FLAGS] = m->flags;
	put16(buf + PROTO_OFF_LENGTH, (uint16_t)len);
	put64(buf + PROTO_OFF_COUNTER, m->counter);
	put64(buf + PROTO_OFF_TIME, m->time_us);
	memcpy(buf + PROTO_OFF_ORIGIN, m->origin.b, 16);
	put16(buf + PROTO_OFF_COUNT, (uint16_t)(n + extra));
	if (hello) {
		put16(buf + PROTO_OFF_HOLD, m->hold_s);
		buf[PROTO_OFF_PART] = m->part;
		buf[PROTO_OFF_PARTS] = m->parts;
	}
	uint8_t *p = buf + PROTO_HDR_LEN;
	for (size_t i = 0; i < n; i++, p += e) {
		if (hello)
			put_vnet(p, &m->vnets[i]);
		else
			put_entry(p, m->type, &m->entries[i]);
	}
	if (gen) {
		put_gen(p, m->esp_gen);
		p += e;
	}
	if (off) {
		put_tagged(p, m->esp_offset, OFFSET_MAGIC);
		p += e;
	}
	if (kid)
		put_tagged(p, m->key_id, KEY_ID_MAGIC);
	if (proto_sign(buf, len, k) != 0)
		return PROTO_E_CRYPTO;
	return (ssize_t)len;
}

/* Everything that can be checked without the key, cheapest first, so junk
 * costs no HMAC.  On success *n is the element count. */
static int check_header(const uint8_t *buf, size_t len, size_t *n)
{
	if (len < 2 || buf[0] != PROTO_MAGIC0 || buf[1] != PROTO_MAGIC1)
		return len < 2 ? PROTO_E_SHORT : PROTO_E_MAGIC;
	if (len < 3)
		return PROTO_E_SHORT;
	if (buf[2] != PROTO_VERSION)
		return PROTO_E_VERSION;
	if (len < PROTO_HDR_LEN + PROTO_MAC_LEN)
		return PROTO_E_SHORT;
	if (len > PROTO_MAX_LEN)
		return PROTO_E_LONG;
	size_t wlen = get16(buf + PROTO_OFF_LENGTH);
	if (len < wlen)
		return PROTO_E_SHORT;
	if (len > wlen)
		return PROTO_E_LONG;
	size_t e = elem_len(buf[3]);
	if (e == 0)
		return PROTO_E_TYPE;
	/* count * e cannot overflow: both are small (count <= 65535, e <= 42). */
	*n = get16(buf + PROTO_OFF_COUNT);
	if (PROTO_HDR_LEN + *n * e + PROTO_MAC_LEN != len)
		return PROTO_E_FORMAT;
	return PROTO_OK;
}

/* An invalid element (a bad MAC, vnet 0 or 1, a bad host) is dropped and
 * counted in m->nbad; the others stand: the message is authentic, and one
 * bad element must not cost the receiver the good ones beside it. */
static int parse_body(const uint8_t *buf, size_t n, struct proto_msg *m,
		      struct proto_vnet *vnets, size_t max_vnets,
		      struct proto_entry *entries, size_t max_entries)
{
	const uint8_t *p = buf + PROTO_HDR_LEN;
	size_t e = elem_len(m->type), kept = 0;

	if (m->type == PROTO_HELLO) {
		if (n > max_vnets)
			return PROTO_E_SPACE;
		size_t gens = 0;

		for (size_t i = 0; i < n; i++, p += e) {
			if (is_gen(p)) {
				m->esp_gen = get64(p + 16);
				gens++;
				continue;
			}
			if (is_tagged(p, OFFSET_MAGIC)) {
				m->has_esp_offset = true;
				m->esp_offset = get32(p + 16);
				gens++;
				continue;
			}
			if (is_tagged(p, KEY_ID_MAGIC)) {
				m->has_key_id = true;
				m->key_id = get32(p + 16);
				gens++;
				continue;
			}
			get_vnet(p, &vnets[kept]);
			kept += proto_vnet_ok(&vnets[kept]);
		}
		m->vnets = vnets;
		m->nvnets = kept;
		m->nbad = n - kept - gens;
		return PROTO_OK;
	}
	if (n > max_entries)
		return PROTO_E_SPACE;
	for (size_t i = 0; i < n; i++, p += e) {
		struct proto_entry *en = &entries[kept];

		memset(en, 0, sizeof(*en));
		memcpy(en->vnet.b, p, 16);
		memcpy(en->mac, p + 16, 6);
		en->seq = get32(p + 22);
		if (m->type == PROTO_ANNOUNCE)
			memcpy(en->host.b, p + 26, 16);
		kept += proto_entry_ok(m->type, en);
	}
	m->entries = entries;
	m->nentries = kept;
	m->nbad = n - kept;
	return PROTO_OK;
}

int proto_decode(const uint8_t *buf, size_t len, const struct auth_key *k, struct proto_msg *m,
		 struct proto_vnet *vnets, size_t max_vnets,
		 struct proto_entry *entries, size_t max_entries)
{
	struct auth_span s[2];
	size_t n = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = check_header(buf, len, &n)) != PROTO_OK)
		return rc;
	/* Nothing past the header is looked at before the MAC verifies. */
	mac_spans(buf, len, s);
	if (auth_verify(k, s, 2, buf + len - PROTO_MAC_LEN) != 0)
		return PROTO_E_MAC;

	m->type = buf[3];
	m->hops = buf[PROTO_OFF_HOPS];
	m->flags = buf[PROTO_OFF_FLAGS];
	m->counter = get64(buf + PROTO_OFF_COUNTER);
	m->time_us = get64(buf + PROTO_OFF_TIME);
	memcpy(m->origin.b, buf + PROTO_OFF_ORIGIN, 16);
	if (!addr_ok(&m->origin))
		return PROTO_E_FORMAT;
	if (m->type == PROTO_HELLO) {
		m->hold_s = get16(buf + PROTO_OFF_HOLD);
		m->part = buf[PROTO_OFF_PART];
		m->parts = buf[PROTO_OFF_PARTS];
		if (m->parts == 0 || m->part >= m->parts)
			return PROTO_E_FORMAT;
	}
	return parse_body(buf, n, m, vnets, max_vnets, entries, max_entries);
}

int proto_forward_hops(uint8_t *buf, size_t len)
{
	size_t n;

	if (check_header(buf, len, &n) != PROTO_OK || buf[PROTO_OFF_HOPS] <= 1)
		return -1;
	buf[PROTO_OFF_HOPS]--;
	buf[PROTO_OFF_FLAGS] |= PROTO_F_RELAYED;
	return buf[PROTO_OFF_HOPS];
}

const char *proto_type_name(uint8_t type)
{
	switch (type) {
	case PROTO_HELLO:    return "hello";
	case PROTO_ANNOUNCE: return "announce";
	case PROTO_WITHDRAW: return "withdraw";
	case PROTO_REQUEST:  return "request";
	default:             return "unknown";
	}
}

const char *proto_err_name(int err)
{
	switch (err) {
	case PROTO_OK:        return "ok";
	case PROTO_E_SHORT:   return "truncated";
	case PROTO_E_LONG:    return "too long";
	case PROTO_E_MAGIC:   return "bad magic";
	case PROTO_E_VERSION: return "unknown version";
	case PROTO_E_TYPE:    return "unknown type";
	case PROTO_E_MAC:     return "bad MAC";
	case PROTO_E_FORMAT:  return "malformed";
	case PROTO_E_SPACE:   return "no space";
	case PROTO_E_CRYPTO:  return "libcrypto failure";
	default:              return "?";
	}
}

void proto_stats_count_err(struct proto_stats *st, int err)
{
	switch (err) {
	case PROTO_OK:
		break;
	case PROTO_E_VERSION:
		st->version++;
		break;
	case PROTO_E_MAC:
	case PROTO_E_CRYPTO:    /* could not be verified: same outcome */
		st->bad_mac++;
		break;
	default:
		st->malformed++;
		break;
	}
}

void proto_addr_from_in(struct proto_addr *a, const struct in_addr *in)
{
	memset(a->b, 0, 10);
	a->b[10] = a->b[11] = 0xff;
	memcpy(a->b + 12, &in->s_addr, 4);
}

void proto_addr_from_in6(struct proto_addr *a, const struct in6_addr *in6)
{
	memcpy(a->b, in6->s6_addr, 16);
}

bool proto_addr_to_in(const struct proto_addr *a, struct in_addr *in)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (memcmp(a->b, prefix, 12) != 0)
		return false;
	if (in)
		memcpy(&in->s_addr, a->b + 12, 4);
	return true;
}

bool proto_addr_equal(const struct proto_addr *a, const struct proto_addr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

void proto_addr_format(const struct proto_addr *a, char out[PROTO_ADDR_STRLEN])
{
	struct in_addr in;

	if (proto_addr_to_in(a, &in))
		inet_ntop(AF_INET, &in, out, PROTO_ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a->b, out, PROTO_ADDR_STRLEN);
}
