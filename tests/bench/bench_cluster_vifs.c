/* bench_cluster_vifs LABDIR NHOSTS NVIFS GAP_MS BRIDGE: connect NVIFS vifs,
 * one after the other, spread over hosts 1..NHOSTS of a lab (host N's
 * xenstored socket is LABDIR/hN/xs/socket).  For each vif: write its backend
 * keys with state 2 (InitWait) in one transaction, wait GAP_MS/2, then take
 * CLOCK_REALTIME and write state 4 (Connected); wait GAP_MS/2.  Prints one
 * line per vif: "MAC HOST T_BEFORE_US T_AFTER_US" (the clock just before and
 * just after the state=4 write returned). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int put(struct xs_handle *h, xs_transaction_t t, const char *dir, const char *key, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_write(h, t, path, val, (unsigned)strlen(val)) ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct xs_handle *xs[65] = { 0 };
	unsigned nhosts, nvifs, gap;

	if (argc == 1) {
		printf("bench_cluster_vifs: a helper of tests/bench/bench_cluster.sh (needs a lab); nothing to do alone\n");
		return 0;
	}
	if (argc != 6 || (nhosts = (unsigned)atoi(argv[2])) < 1 || nhosts > 64) {
		fprintf(stderr, "usage: bench_cluster_vifs LABDIR NHOSTS(1-64) NVIFS GAP_MS BRIDGE\n");
		return 2;
	}
	nvifs = (unsigned)atoi(argv[3]);
	gap = (unsigned)atoi(argv[4]);
	for (unsigned n = 1; n <= nhosts; n++) {
		char sock[512];
		snprintf(sock, sizeof(sock), "%s/h%u/xs/socket", argv[1], n);
		setenv("XENSTORED_PATH", sock, 1); /* read by xs_open */
		if (!(xs[n] = xs_open(0))) {
			perror(sock);
			return 1;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned i = 0; i < nvifs; i++) {
		unsigned host = 1 + i % nhosts, domid = 100 + i;
		char dir[128], mac[18];
		xs_transaction_t t;

		snprintf(dir, sizeof(dir), "/local/domain/0/backend/vif/%u/0", domid);
		snprintf(mac, sizeof(mac), "00:16:3e:b0:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
		for (;;) {
			if ((t = xs_transaction_start(xs[host])) == XBT_NULL)
				return perror("transaction"), 1;
			if (put(xs[host], t, dir, "mac", mac) || put(xs[host], t, dir, "bridge", argv[5]) ||
			    put(xs[host], t, dir, "online", "1") || put(xs[host], t, dir, "state", "2") ||
			    put(xs[host], t, dir, "handle", "0") || put(xs[host], t, dir, "type", "vif"))
				return perror("write"), 1;
			if (xs_transaction_end(xs[host], t, false))
				break;
		}
		sleep_ms(gap / 2);
		char path[160];
		snprintf(path, sizeof(path), "%s/state", dir);
		uint64_t t0 = realtime_us();
		if (!xs_write(xs[host], XBT_NULL, path, "4", 1))
			return perror(path), 1;
		uint64_t t1 = realtime_us();
		printf("%s %u %llu %llu\n", mac, host, (unsigned long long)t0, (unsigned long long)t1);
		sleep_ms(gap - gap / 2);
	}
	for (unsigned n = 1; n <= nhosts; n++)
		xs_close(xs[n]);
	return 0;
}
