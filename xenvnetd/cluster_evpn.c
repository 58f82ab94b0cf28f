#include "cluster_evpn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

int cluster_evpn_emit(struct ctl_reply *r, const struct config *cfg, const struct kern_underlay *u)
{
	char rid[INET6_ADDRSTRLEN] = "", asn[16];

	if (u && !inet_ntop(u->family, &u->addr, rid, sizeof(rid)))
		rid[0] = '\0';
	snprintf(asn, sizeof(asn), "%u", cfg->evpn_asn);
	const char *const kv[] = {
		"control", cfg->control == CONTROL_EVPN ? "evpn" : "own",
		"router-id", rid, "asn", asn, "neighbors", cfg->evpn_neighbors, NULL,
	};
	return ctl_emit_record(r, "evpn", kv);
}

/* ---- bridge entries that go ----
 * Raw rtnetlink, its own socket: the neighbour group is busy (every FDB
 * change of every bridge), and the link events' socket must not overrun
 * for it. */
static struct {
	int fd;
	struct loop *loop;
	cluster_evpn_fdb_gone_cb cb;
	void *arg;
} fw = { .fd = -1 };

/* One RTM_DELNEIGH of a bridge's own table (NDA_MASTER: the bridge; the
 * tunnel's NTF_SELF entries have none). */
static void fdb_message(const struct nlmsghdr *h)
{
	const struct ndmsg *nd = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*nd));
	const uint8_t *mac = NULL;
	uint32_t master = 0;

	if (h->nlmsg_type != RTM_DELNEIGH || len < 0 || nd->ndm_family != AF_BRIDGE)
		return;
	for (const struct rtattr *a = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6)
			mac = RTA_DATA(a);
		else if (a->rta_type == NDA_MASTER && RTA_PAYLOAD(a) >= sizeof(master))
			memcpy(&master, RTA_DATA(a), sizeof(master));
	}
	if (mac && master)
		fw.cb(fw.arg, (int)master, mac);
}

static void on_fdb(void *arg, uint32_t events)
{
	static uint8_t buf[64 * 1024];
	ssize_t n;

	(void)arg;
	(void)events;
	while ((n = recv(fw.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
			fdb_message(h);
	/* Lost notifications are not looked for again: a member whose entry
	 * went then is pinned at its next connect, or learned from its
	 * frames. */
	if (n < 0 && errno == ENOBUFS)
		log_warn("evpn: bridge entry notifications lost (a burst)");
}

int cluster_evpn_watch_start(struct loop *l, cluster_evpn_fdb_gone_cb cb, void *arg, char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int group = RTNLGRP_NEIGH, size = 4 << 20;

	if (fw.fd >= 0)
		return 0;
	fw.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fw.fd < 0 || bind(fw.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fw.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		snprintf(err, errlen, "evpn: rtnetlink neighbour group: %s", strerror(errno));
		goto fail;
	}
	(void)setsockopt(fw.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)); /* a smaller one does too */
	fw.loop = l;
	fw.cb = cb;
	fw.arg = arg;
	if (loop_add_fd(l, fw.fd, on_fdb, NULL) < 0) {
		snprintf(err, errlen, "evpn: rtnetlink neighbour group: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fw.fd >= 0)
		close(fw.fd);
	fw.fd = -1;
	return -1;
}

void cluster_evpn_watch_stop(void)
{
	if (fw.fd < 0)
		return;
	loop_del_fd(fw.loop, fw.fd);
	close(fw.fd);
	fw.fd = -1;
}
