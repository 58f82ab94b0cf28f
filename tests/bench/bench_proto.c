/* Micro-benchmark of the control wire layer, one core:
 *   - verify + decode of a typical 1-entry ANNOUNCE (the receive hot path),
 *     and of a full 31-entry one (what batching buys, in entries/s),
 *   - the same plus the replay check (all a receiver does before applying),
 *   - encode + sign,
 *   - three ways to run HMAC-SHA-256 over the same bytes, to justify the one
 *     auth.c uses: re-initialising one keyed context, duplicating a keyed
 *     context per message, and the one-shot EVP_Q_mac.
 * Prints "name | value | unit".  Each case runs for about BENCH_SECONDS. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "proto.h"
#include "replay.h"

#define BENCH_SECONDS 1.0
#define T0 1767225600000000u

static struct auth_key key;
static uint8_t msg[PROTO_MAX_LEN], big[PROTO_MAX_LEN];
static size_t msg_len, big_len;
static volatile uint64_t sink;   /* keeps the work from being optimised away */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run fn in batches until BENCH_SECONDS have passed; print the rate, and
 * the rate of entries when a message carries more than one. */
static void run_n(const char *name, void (*fn)(uint64_t i), unsigned entries)
{
	uint64_t n = 0;
	double t0 = now_s(), t;

	do {
		for (int k = 0; k < 1000; k++)
			fn(n++);
	} while ((t = now_s() - t0) < BENCH_SECONDS);
	printf("%s | %.0f | msg/s\n", name, (double)n / t);
	printf("%s_latency | %.0f | ns\n", name, t / (double)n * 1e9);
	if (entries > 1)
		printf("%s_entries | %.0f | entries/s\n", name, (double)n * entries / t);
}

static void run(const char *name, void (*fn)(uint64_t i))
{
	run_n(name, fn, 1);
}

static struct proto_msg announce(struct proto_entry *e)
{
	struct in_addr in = { .s_addr = htonl(0xc0000201) };   /* 192.0.2.1 */
	static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };

	memset(e, 0, sizeof(*e));
	e->vnet.b[15] = 0x97;
	memcpy(e->mac, mac, 6);
	e->seq = 1;
	proto_addr_from_in(&e->host, &in);
	return (struct proto_msg){ .type = PROTO_ANNOUNCE, .hops = PROTO_HOPS_DEFAULT, .origin = e->host,
				   .counter = T0, .time_us = T0, .nentries = 1, .entries = e };
}

static void bench_decode(uint64_t i)
{
	struct proto_msg m;
	struct proto_entry e[PROTO_MAX_ENTRIES];

	(void)i;
	if (proto_decode(msg, msg_len, &key, &m, NULL, 0, e, PROTO_MAX_ENTRIES) != PROTO_OK)
		abort();
	sink += m.entries[0].seq;
}

static void bench_decode_big(uint64_t i)
{
	struct proto_msg m;
	struct proto_entry e[PROTO_MAX_ENTRIES];

	(void)i;
	if (proto_decode(big, big_len, &key, &m, NULL, 0, e, PROTO_MAX_ENTRIES) != PROTO_OK)
		abort();
	sink += m.entries[PROTO_MAX_ANNOUNCE - 1].seq;
}

/* The receive path with a fresh counter each time, as from a busy peer. */
static struct replay *table;

static void bench_receive(uint64_t i)
{
	struct proto_msg m;
	struct proto_entry e[PROTO_MAX_ENTRIES];
	struct proto_stats st = { 0 };
	static const struct proto_addr self = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };

	int rc = proto_decode(msg, msg_len, &key, &m, NULL, 0, e, PROTO_MAX_ENTRIES);
	m.counter += i;                         /* as if each message had its own */
	if (replay_accept(table, &self, rc, &m, T0, &st) != 0)
		abort();
	sink += st.ok;
}

static void bench_encode(uint64_t i)
{
	struct proto_entry e;
	struct proto_msg m = announce(&e);
	uint8_t out[PROTO_MAX_LEN];

	m.counter += i;
	if (proto_encode(&m, &key, out, sizeof(out)) <= 0)
		abort();
	sink += out[msg_len - 1];
}

/* HMAC strategies over the bytes a receiver authenticates. */
static EVP_MAC *hmac;
static EVP_MAC_CTX *keyed;
static OSSL_PARAM params[2];

static void hmac_update(EVP_MAC_CTX *c)
{
	size_t outl;
	uint8_t out[32];

	if (!EVP_MAC_update(c, msg, PROTO_OFF_HOPS) ||
	    !EVP_MAC_update(c, msg + PROTO_OFF_LENGTH, msg_len - PROTO_OFF_LENGTH - PROTO_MAC_LEN) ||
	    !EVP_MAC_final(c, out, &outl, sizeof(out)))
		abort();
	sink += out[0];
}

static void bench_reinit(uint64_t i)
{
	(void)i;
	if (!EVP_MAC_init(keyed, NULL, 0, NULL))
		abort();
	hmac_update(keyed);
}

static void bench_dup(uint64_t i)
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(keyed);

	(void)i;
	if (!c)
		abort();
	hmac_update(c);
	EVP_MAC_CTX_free(c);
}

static void bench_oneshot(uint64_t i)
{
	uint8_t out[32];
	size_t outl;

	(void)i;
	/* One span only: EVP_Q_mac takes one buffer. */
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key.secret, key.len, msg,
		       msg_len - PROTO_MAC_LEN, out, sizeof(out), &outl))
		abort();
	sink += out[0];
}

int main(void)
{
	uint8_t secret[32];
	struct proto_entry e;
	char err[128];

	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)i;
	if (auth_key_set(&key, secret, sizeof(secret), err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_proto: %s\n", err);
		return 1;
	}
	struct proto_msg m = announce(&e);
	ssize_t n = proto_encode(&m, &key, msg, sizeof(msg));
	if (n <= 0)
		return 1;
	msg_len = (size_t)n;
	struct proto_entry es[PROTO_MAX_ANNOUNCE];
	for (int i = 0; i < PROTO_MAX_ANNOUNCE; i++) {
		es[i] = e;
		es[i].mac[5] = (uint8_t)i;
	}
	m.entries = es;
	m.nentries = PROTO_MAX_ANNOUNCE;
	n = proto_encode(&m, &key, big, sizeof(big));
	if (n <= 0)
		return 1;
	big_len = (size_t)n;
	table = replay_new(REPLAY_WINDOW_DEFAULT, REPLAY_SKEW_DEFAULT, 0);

	char digest[] = "SHA256";
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	keyed = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	if (!table || !keyed || !EVP_MAC_init(keyed, secret, sizeof(secret), params))
		return 1;

	printf("announce_1_entry_size | %zu | bytes\n", msg_len);
	run("verify_decode_announce", bench_decode);
	run_n("verify_decode_announce_31", bench_decode_big, PROTO_MAX_ANNOUNCE);
	run("verify_decode_replay_announce", bench_receive);
	run("encode_sign_announce", bench_encode);
	run("hmac_reinit_keyed_ctx", bench_reinit);
	run("hmac_dup_keyed_ctx", bench_dup);
	run("hmac_evp_q_mac_oneshot", bench_oneshot);

	EVP_MAC_CTX_free(keyed);
	EVP_MAC_free(hmac);
	replay_free(table);
	auth_key_free(&key);
	return 0;
}
