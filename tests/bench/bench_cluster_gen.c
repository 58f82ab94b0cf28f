/* bench_cluster_gen: a control-protocol load generator holding the cluster
 * key.  Sends signed 1-entry ANNOUNCEs by unicast, as fast as it can:
 * entry i names MAC 02:00:ii:ii:ii:ii in vnet BASE + i % NVNETS, seq 1,
 * behind SRC (which is also the origin).  Counters start at CLOCK_REALTIME
 * in microseconds and grow by one per message; time_us is taken per
 * message, so every message is fresh and new to the receiver's replay
 * window.  No HELLO is sent: the daemon applies ANNOUNCEs from any origin,
 * and without HELLOs it never expires the origin's MACs while it measures.
 *
 *   bench_cluster_gen -k KEYFILE -s SRC -d DST [-p PORT] -n NMACS -v NVNETS
 *                     -b BASE_HEX [-r ROUNDS | -t SECONDS] [-B BATCH]
 *
 * Sends ROUNDS passes over the NMACS entries (default 1), or passes until
 * SECONDS have gone.  Prints "sent=N secs=S rate=R" (datagrams the kernel
 * took; the receiver may drop some at its socket).
 * Run by tests/bench/bench_cluster.sh; with no arguments it says so and
 * exits 0 (scripts/run-bench.sh runs every binary here). */
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

#define MAX_BATCH 256

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

int main(int argc, char **argv)
{
	const char *keyfile = NULL, *src = NULL, *dst = NULL;
	unsigned port = PROTO_PORT, nvnets = 0, batch = 64;
	unsigned long nmacs = 0, rounds = 1, base = 0;
	double seconds = 0;
	struct auth_key key = { 0 };
	struct in_addr s4, d4;
	char err[256];
	int c;

	if (argc == 1) {
		printf("bench_cluster_gen: a helper of tests/bench/bench_cluster.sh (needs a lab); nothing to do alone\n");
		return 0;
	}
	while ((c = getopt(argc, argv, "k:s:d:p:n:v:b:r:t:B:")) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 's': src = optarg; break;
		case 'd': dst = optarg; break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'n': nmacs = strtoul(optarg, NULL, 10); break;
		case 'v': nvnets = (unsigned)atoi(optarg); break;
		case 'b': base = strtoul(optarg, NULL, 16); break;
		case 'r': rounds = strtoul(optarg, NULL, 10); break;
		case 't': seconds = atof(optarg); break;
		case 'B': batch = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (!keyfile || !src || !dst || !nmacs || !nvnets || !base || batch < 1 || batch > MAX_BATCH ||
	    inet_pton(AF_INET, src, &s4) != 1 || inet_pton(AF_INET, dst, &d4) != 1) {
		fprintf(stderr, "usage: bench_cluster_gen -k KEYFILE -s SRC -d DST [-p PORT] -n NMACS -v NVNETS "
				"-b BASE_HEX [-r ROUNDS | -t SECONDS] [-B BATCH]\n");
		return 2;
	}
	if (auth_load_key(keyfile, &key, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_cluster_gen: %s\n", err);
		return 1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr = s4 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = d4 };
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("socket");
		return 1;
	}

	static uint8_t bufs[MAX_BATCH][PROTO_MAX_LEN];
	struct iovec iov[MAX_BATCH];
	struct mmsghdr mm[MAX_BATCH];
	struct proto_entry e = { .seq = 1 };
	struct proto_msg m = { .type = PROTO_ANNOUNCE, .hops = PROTO_HOPS_DEFAULT, .nentries = 1, .entries = &e };
	uint64_t counter = realtime_us(), sent = 0, total = seconds > 0 ? UINT64_MAX : rounds * nmacs;
	double t0 = mono_s(), t = 0;

	proto_addr_from_in(&m.origin, &s4);
	e.host = m.origin;
	e.mac[0] = 0x02;
	for (uint64_t i = 0; i < total;) {
		unsigned n = 0;
		for (; n < batch && i + n < total; n++) {
			uint64_t k = (i + n) % nmacs, v = base + k % nvnets;
			memset(&e.vnet, 0, sizeof(e.vnet));
			for (int b = 15; b >= 8; b--, v >>= 8)
				e.vnet.b[b] = (uint8_t)v;
			e.mac[2] = (uint8_t)(k >> 24);
			e.mac[3] = (uint8_t)(k >> 16);
			e.mac[4] = (uint8_t)(k >> 8);
			e.mac[5] = (uint8_t)k;
			m.counter = counter++;
			m.time_us = realtime_us();
			ssize_t len = proto_encode(&m, &key, bufs[n], sizeof(bufs[n]));
			if (len < 0) {
				fprintf(stderr, "encode: %s\n", proto_err_name((int)len));
				return 1;
			}
			iov[n] = (struct iovec){ bufs[n], (size_t)len };
			mm[n] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[n], .msg_iovlen = 1 } };
		}
		int r = sendmmsg(fd, mm, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
				continue; /* counters are spent: the receiver sees a gap, which is fine */
			perror("sendmmsg");
			return 1;
		}
		sent += (unsigned)r;
		i += n;
		if (seconds > 0 && (i & 1023) < n && (t = mono_s() - t0) >= seconds)
			break;
	}
	t = mono_s() - t0;
	printf("sent=%llu secs=%.3f rate=%.0f\n", (unsigned long long)sent, t, (double)sent / t);
	auth_key_free(&key);
	close(fd);
	return 0;
}
