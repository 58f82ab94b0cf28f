/* bench_cluster_neigh DEV: print "REALTIME_US MAC DST" each time a static
 * (permanent) bridge FDB entry appears or changes on DEV in this network
 * namespace, as the kernel reports it on rtnetlink (RTNLGRP_NEIGH).  Used by
 * tests/bench/bench_cluster.sh to timestamp when a host's kernel FDB holds a
 * MAC, against the CLOCK_REALTIME of the xenstore write that connected the
 * vif (one clock for every namespace on one machine).  Prints "ready" once
 * subscribed; runs until killed. */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void one(const struct nlmsghdr *h, unsigned ifindex, uint64_t t)
{
	const struct ndmsg *nd = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*nd));
	const uint8_t *mac = NULL;
	char dst[INET6_ADDRSTRLEN] = "-";

	/* Ours are static; zebra's (control = evpn) are extern_learn. */
	if (len < 0 || nd->ndm_family != AF_BRIDGE || (unsigned)nd->ndm_ifindex != ifindex ||
	    !((nd->ndm_state & (NUD_PERMANENT | NUD_NOARP)) || (nd->ndm_flags & NTF_EXT_LEARNED)))
		return;
	for (const struct rtattr *a = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6)
			mac = RTA_DATA(a);
		else if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 4)
			inet_ntop(AF_INET, RTA_DATA(a), dst, sizeof(dst));
		else if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 16)
			inet_ntop(AF_INET6, RTA_DATA(a), dst, sizeof(dst));
	}
	if (!mac || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return; /* flood entries */
	printf("%llu %02x:%02x:%02x:%02x:%02x:%02x %s\n", (unsigned long long)t, mac[0], mac[1], mac[2],
	       mac[3], mac[4], mac[5], dst);
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_NEIGH };
	static char buf[1 << 16];
	unsigned ifindex;
	int fd, big = 4 << 20;

	if (argc == 1) {
		printf("bench_cluster_neigh: a helper of tests/bench/bench_cluster.sh (needs a lab); nothing to do alone\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: bench_cluster_neigh DEV\n");
		return 2;
	}
	if (!(ifindex = if_nametoindex(argv[1]))) {
		perror(argv[1]);
		return 1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		uint64_t t = realtime_us();
		if (n < 0) {
			perror("recv");
			return 1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_NEWNEIGH)
				one(h, ifindex, t);
	}
}
