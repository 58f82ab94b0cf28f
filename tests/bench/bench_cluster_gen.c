/* bench_cluster_gen: a control-protocol message generator holding the
 * cluster key (a key holder: trusted to authenticate, not to tell the
 * truth).  Sends signed 1-entry ANNOUNCEs, as fast as it can: entry i
 * names MAC MAC_BASE + i (02:00:00:00:00:00 by default; i added to the
 * last four bytes) in vnet BASE + i % NVNETS, seq SEQ, behind its origin.
 * The origin is SRC, or with -O N origin i % N of 2001:db8::1 .. N
 * (made-up hosts, one key holder speaking for many).  Counters start at
 * CLOCK_REALTIME in microseconds and grow by one per message; time_us is
 * taken per message, so every message is fresh and new to the receiver's
 * replay window.  With -H HOLD, every origin also sends a HELLO (hold
 * HOLD, vnets BASE .. BASE + min(NVNETS, 55) - 1, each on its default VNI
 * and MTU -M MTU, 1450 by default: what the receivers must agree with)
 * first and then every second, which keeps its announcements alive at the
 * receiver (they expire with their origin).  With -A ADDR, entries name
 * ADDR as their host instead of their origin (claims about another host,
 * the receiver say).
 *
 *   bench_cluster_gen -k KEYFILE -s SRC -d DST [-p PORT] -n NMACS -v NVNETS
 *                     -b BASE_HEX [-r ROUNDS | -t SECONDS] [-B BATCH]
 *                     [-m MAC_BASE] [-S SEQ] [-O NORIGINS] [-H HOLD]
 *                     [-M MTU] [-F FLAGS] [-A ADDR] [-w RECORD_FILE]
 *   bench_cluster_gen -s SRC -d DST [-p PORT] -R RECORD_FILE
 *
 * Sends ROUNDS passes over the NMACS entries (default 1), or passes until
 * SECONDS have gone.  DST may be a multicast group (sent out of SRC's
 * device, TTL 1).  -F sets the header's flags byte (outside the MAC).
 * -w writes every datagram sent to a file; -R sends such a file's
 * datagrams again, byte for byte (a replay).  Prints "sent=N secs=S
 * rate=R" (datagrams the kernel took; the receiver may drop some).
 * Run by tests/bench/bench_cluster.sh and lab tests of issue 10; with no
 * arguments it says so and exits 0 (scripts/run-bench.sh runs every
 * binary here). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "proto.h"
#include "vifs.h"
#include "vnet_schema.h"

#define MAX_BATCH 256

struct gen {
	struct auth_key key;
	unsigned nvnets, norigins, hold;
	unsigned mtu;             /* in HELLOs: the receivers' vnet MTU, or they see a mismatch */
	unsigned long nmacs, base;
	uint32_t seq;
	uint8_t flags;
	uint8_t mac[6];
	struct proto_addr src;
	struct proto_addr behind; /* -A: the host entries name; zero: their origin */
	bool claim;
	uint64_t counter;
	FILE *record;
};

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void vnet_of(struct vnet_id *id, uint64_t v)
{
	memset(id, 0, sizeof(*id));
	for (int b = 15; b >= 8; b--, v >>= 8)
		id->b[b] = (uint8_t)v;
}

static struct proto_addr origin_of(const struct gen *g, uint64_t k)
{
	struct proto_addr a = { { 0x20, 0x01, 0x0d, 0xb8 } };
	uint64_t n;

	if (!g->norigins)
		return g->src;
	n = k % g->norigins + 1;
	a.b[13] = (uint8_t)(n >> 16);
	a.b[14] = (uint8_t)(n >> 8);
	a.b[15] = (uint8_t)n;
	return a;
}

/* Sign message m (counter, time and flags filled here) into buf. */
static ssize_t sign(struct gen *g, struct proto_msg *m, uint8_t *buf)
{
	ssize_t len;

	m->hops = PROTO_HOPS_DEFAULT;
	m->counter = g->counter++;
	m->time_us = realtime_us();
	len = proto_encode(m, &g->key, buf, PROTO_MAX_LEN);
	if (len < 0) {
		fprintf(stderr, "encode: %s\n", proto_err_name((int)len));
		exit(1);
	}
	buf[PROTO_OFF_FLAGS] = g->flags;
	if (g->record) {
		uint16_t l = htons((uint16_t)len);
		fwrite(&l, 2, 1, g->record);
		fwrite(buf, 1, (size_t)len, g->record);
	}
	return len;
}

/* ANNOUNCE number k. */
static ssize_t announce(struct gen *g, uint64_t k, uint8_t *buf)
{
	struct proto_entry e = { .seq = g->seq };
	struct proto_msg m = { .type = PROTO_ANNOUNCE, .nentries = 1, .entries = &e };
	uint64_t mk = k % g->nmacs;
	uint32_t low = ((uint32_t)g->mac[2] << 24 | (uint32_t)g->mac[3] << 16 | (uint32_t)g->mac[4] << 8 | g->mac[5]) +
		       (uint32_t)mk;

	m.origin = origin_of(g, mk);
	e.host = g->claim ? g->behind : m.origin;
	vnet_of(&e.vnet, g->base + mk % g->nvnets);
	e.mac[0] = g->mac[0];
	e.mac[1] = g->mac[1];
	e.mac[2] = (uint8_t)(low >> 24);
	e.mac[3] = (uint8_t)(low >> 16);
	e.mac[4] = (uint8_t)(low >> 8);
	e.mac[5] = (uint8_t)low;
	return sign(g, &m, buf);
}

/* HELLO of origin j. */
static ssize_t hello(struct gen *g, uint64_t j, uint8_t *buf)
{
	struct proto_vnet v[PROTO_MAX_VNETS];
	struct proto_msg m = { .type = PROTO_HELLO, .hold_s = (uint16_t)g->hold, .parts = 1, .vnets = v };

	m.origin = origin_of(g, j);
	for (; m.nvnets < g->nvnets && m.nvnets < PROTO_MAX_VNETS; m.nvnets++) {
		struct proto_vnet *pv = &v[m.nvnets];
		vnet_of(&pv->id, g->base + m.nvnets);
		pv->vni = vnet_default_vni(&pv->id);
		pv->mtu = (uint16_t)g->mtu;
	}
	return sign(g, &m, buf);
}

static int send_batch(int fd, uint8_t (*bufs)[PROTO_MAX_LEN], const ssize_t *lens, unsigned n)
{
	struct iovec iov[MAX_BATCH];
	struct mmsghdr mm[MAX_BATCH];

	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){ bufs[i], (size_t)lens[i] };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	int r = sendmmsg(fd, mm, n, 0);
	if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED))
		return 0; /* counters are spent: the receiver sees a gap, which is fine */
	if (r < 0)
		perror("sendmmsg");
	return r;
}

/* Every datagram of a record file again, as it was (-R). */
static int replay_file(int fd, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[1][PROTO_MAX_LEN];
	uint16_t l;
	ssize_t len;
	unsigned long sent = 0;

	if (!f) {
		perror(path);
		return 1;
	}
	while (fread(&l, 2, 1, f) == 1) {
		len = ntohs(l);
		if (len > PROTO_MAX_LEN || fread(buf[0], 1, (size_t)len, f) != (size_t)len)
			break;
		if (send_batch(fd, buf, &len, 1) < 0)
			return 1;
		sent++;
	}
	fclose(f);
	printf("sent=%lu (replayed)\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	const char *keyfile = NULL, *src = NULL, *dst = NULL, *rec = NULL, *replay = NULL;
	unsigned port = PROTO_PORT, batch = 64;
	unsigned long rounds = 1;
	double seconds = 0;
	struct gen g = { .seq = 1, .mac = { 0x02 }, .mtu = 1450 };
	struct in_addr s4, d4;
	char err[256];
	int c;

	if (argc == 1) {
		printf("bench_cluster_gen: a helper of tests/bench/bench_cluster.sh (needs a lab); nothing to do alone\n");
		return 0;
	}
	while ((c = getopt(argc, argv, "k:s:d:p:n:v:b:r:t:B:m:S:O:H:F:w:R:M:A:")) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 's': src = optarg; break;
		case 'd': dst = optarg; break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'n': g.nmacs = strtoul(optarg, NULL, 10); break;
		case 'v': g.nvnets = (unsigned)atoi(optarg); break;
		case 'b': g.base = strtoul(optarg, NULL, 16); break;
		case 'r': rounds = strtoul(optarg, NULL, 10); break;
		case 't': seconds = atof(optarg); break;
		case 'B': batch = (unsigned)atoi(optarg); break;
		case 'm':
			if (mac_parse(optarg, g.mac) < 0)
				return 2;
			break;
		case 'S': g.seq = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'O': g.norigins = (unsigned)atoi(optarg); break;
		case 'H': g.hold = (unsigned)atoi(optarg); break;
		case 'F': g.flags = (uint8_t)strtoul(optarg, NULL, 16); break;
		case 'w': rec = optarg; break;
		case 'R': replay = optarg; break;
		case 'M': g.mtu = (unsigned)atoi(optarg); break;
		case 'A': {
			struct in_addr a;
			if (inet_pton(AF_INET, optarg, &a) != 1)
				return 2;
			proto_addr_from_in(&g.behind, &a);
			g.claim = true;
			break;
		}
		default: return 2;
		}
	}
	if (!src || !dst || inet_pton(AF_INET, src, &s4) != 1 || inet_pton(AF_INET, dst, &d4) != 1 ||
	    (!replay && (!keyfile || !g.nmacs || !g.nvnets || !g.base || batch < 1 || batch > MAX_BATCH))) {
		fprintf(stderr, "usage: bench_cluster_gen -k KEYFILE -s SRC -d DST [-p PORT] -n NMACS -v NVNETS "
				"-b BASE_HEX [-r ROUNDS | -t SECONDS] [-B BATCH] [-m MAC] [-S SEQ] [-O NORIGINS] "
				"[-H HOLD] [-M MTU] [-F FLAGS] [-A ADDR] [-w FILE]\n       bench_cluster_gen -s SRC -d DST [-p PORT] -R FILE\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr = s4 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = d4 };
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    (IN_MULTICAST(ntohl(d4.s_addr)) && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &s4, sizeof(s4)) < 0) ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("socket");
		return 1;
	}
	if (replay)
		return replay_file(fd, replay);
	if (auth_load_key(keyfile, &g.key, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_cluster_gen: %s\n", err);
		return 1;
	}
	if (rec && !(g.record = fopen(rec, "wb"))) {
		perror(rec);
		return 1;
	}
	proto_addr_from_in(&g.src, &s4);

	static uint8_t bufs[MAX_BATCH][PROTO_MAX_LEN];
	ssize_t lens[MAX_BATCH];
	uint64_t sent = 0, total = seconds > 0 ? UINT64_MAX : rounds * g.nmacs;
	uint64_t norig = g.norigins ? g.norigins : 1, next_hello = 0;
	double t0 = mono_s(), t = 0, hello_at = t0;

	g.counter = realtime_us();
	for (uint64_t i = 0; i < total;) {
		unsigned n = 0;
		if (g.hold && mono_s() >= hello_at) {
			/* Every origin's HELLO, a batch at a time. */
			for (; n < batch && next_hello < norig; n++, next_hello++)
				lens[n] = hello(&g, next_hello, bufs[n]);
			if (next_hello == norig) {
				next_hello = 0;
				hello_at = mono_s() + 1;
			}
		} else {
			for (; n < batch && i + n < total; n++)
				lens[n] = announce(&g, i + n, bufs[n]);
			i += n;
		}
		int r = send_batch(fd, bufs, lens, n);
		if (r < 0)
			return 1;
		sent += (unsigned)r;
		if (seconds > 0 && (t = mono_s() - t0) >= seconds)
			break;
	}
	t = mono_s() - t0;
	printf("sent=%llu secs=%.3f rate=%.0f\n", (unsigned long long)sent, t, (double)sent / t);
	if (g.record)
		fclose(g.record);
	auth_key_free(&g.key);
	close(fd);
	return 0;
}
