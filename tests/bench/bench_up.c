/* bench_up: how long from writing /vnet/<id>/bridge to the vnet's tunnel
 * interface being up.
 *
 * For COUNT ids from START (hex), one at a time: note the time, write
 * /vnet/<id>/bridge = vnet<id> with libxenstore, then read rtnetlink link
 * events (RTMGRP_LINK) until an RTM_NEWLINK says the vnet interface
 * (vnet_default_vnetif(), the daemon's default name) has IFF_UP.  Run it in
 * the network namespace of a host whose xenvnetd is running, with
 * XENSTORED_PATH pointing at that host's xenstored.
 *
 * Prints every sample with -v, then one summary line:
 *   RESULT n=200 fail=0 p50_ms=1.234 p99_ms=5.678 max_ms=9.012
 * Exit status 0 when every vnet came up within the timeout. */
#include <errno.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "vnet_id.h"
#include "vnet_schema.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int link_events_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	int sz = 8 << 20;

	if (fd < 0)
		return -1;
	/* Each vnet makes several link events; do not drop them. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Ask the kernel directly (after an event overrun). */
static bool link_is_up(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up = false;

	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		up = (ifr.ifr_flags & IFF_UP) != 0;
	close(fd);
	return up;
}

/* True when @buf holds an RTM_NEWLINK for @name with IFF_UP. */
static bool batch_has_up(const char *buf, size_t len, const char *name)
{
	for (const struct nlmsghdr *nh = (const void *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		const struct ifinfomsg *ifi = NLMSG_DATA(nh);
		if (!(ifi->ifi_flags & IFF_UP))
			continue;
		int alen = (int)IFLA_PAYLOAD(nh);
		for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
			if (a->rta_type == IFLA_IFNAME && strncmp(RTA_DATA(a), name, RTA_PAYLOAD(a)) == 0)
				return true;
	}
	return false;
}

/* Wait until @name is up; its latency from @t0 in ms, or -1 on timeout. */
static double wait_up(int fd, const char *name, double t0, double timeout_ms)
{
	static char buf[1 << 16];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (batch_has_up(buf, (size_t)n, name))
				return now_ms() - t0;
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			if (link_is_up(name))
				return now_ms() - t0;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			perror("bench_up: netlink recv");
			return -1;
		}
		double left = t0 + timeout_ms - now_ms();
		if (left <= 0)
			return link_is_up(name) ? now_ms() - t0 : -1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		poll(&p, 1, (int)left + 1);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted @v. */
static double pct(const double *v, int n, double p)
{
	int r = (int)(p / 100.0 * n + 0.999999);

	if (r < 1)
		r = 1;
	return v[r - 1];
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_up [-n COUNT] [-s START_HEX] [-t TIMEOUT_MS] [-c] [-v]\n"
			"  -c  delete the vnets again afterwards\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int count = 200, fails = 0, c, ok = 0;
	unsigned long start = 0x100;
	double timeout = 5000;
	bool clean = false, verbose = false;

	while ((c = getopt(argc, argv, "n:s:t:cv")) != -1) {
		switch (c) {
		case 'n': count = atoi(optarg); break;
		case 's': start = strtoul(optarg, NULL, 16); break;
		case 't': timeout = atof(optarg); break;
		case 'c': clean = true; break;
		case 'v': verbose = true; break;
		default: usage();
		}
	}
	if (count < 1 || optind != argc)
		usage();

	struct xs_handle *xs = xs_open(0);
	if (!xs) {
		perror("bench_up: xs_open (is XENSTORED_PATH set?)");
		return 1;
	}
	int fd = link_events_open();
	if (fd < 0) {
		perror("bench_up: rtnetlink");
		return 1;
	}
	double *lat = calloc((size_t)count, sizeof(*lat));
	if (!lat)
		return 1;

	for (int i = 0; i < count; i++) {
		char key[VNET_ID_STRLEN], path[96], bridge[VNET_NAME_MAX + 1];
		char vnetif[VNET_NAME_MAX + 1], err[128];
		struct vnet_id id;

		snprintf(key, sizeof(key), "%lx", start + (unsigned long)i);
		if (vnet_id_parse(key, &id, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_up: %s\n", err);
			return 2;
		}
		vnet_default_vnetif(&id, vnetif);
		snprintf(bridge, sizeof(bridge), "vnet%.10s", key);
		snprintf(path, sizeof(path), VNET_XS_ROOT "/%s/" VNET_KEY_BRIDGE, key);
		if (link_is_up(vnetif)) {
			fprintf(stderr, "bench_up: %s is up before its vnet is defined\n", vnetif);
			return 1;
		}

		double t0 = now_ms();
		if (!xs_write(xs, XBT_NULL, path, bridge, strlen(bridge))) {
			perror("bench_up: xs_write");
			return 1;
		}
		double ms = wait_up(fd, vnetif, t0, timeout);
		if (ms < 0) {
			fprintf(stderr, "bench_up: %s not up after %.0f ms\n", vnetif, timeout);
			fails++;
			continue;
		}
		lat[ok++] = ms;
		if (verbose)
			printf("%s %.3f ms\n", vnetif, ms);
	}

	if (clean)
		for (int i = 0; i < count; i++) {
			char path[64];
			snprintf(path, sizeof(path), VNET_XS_ROOT "/%lx", start + (unsigned long)i);
			xs_rm(xs, XBT_NULL, path);
		}

	if (ok)
		qsort(lat, (size_t)ok, sizeof(*lat), cmp_double);
	printf("RESULT n=%d fail=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", count, fails,
	       ok ? pct(lat, ok, 50) : -1.0, ok ? pct(lat, ok, 99) : -1.0, ok ? lat[ok - 1] : -1.0);
	free(lat);
	close(fd);
	xs_close(xs);
	return fails ? 1 : 0;
}
