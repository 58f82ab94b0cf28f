/* The tunnels' multicast group on the underlay (see dp_group.h). */
#include "dp_group.h"
#include "vnet_err.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/msg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const uint8_t all_zero_mac[6];

int dp_group_entry(struct kern *k, int tunnel, int family, const void *group, int via)
{
	struct ndmsg nd = { .ndm_family = AF_BRIDGE, .ndm_ifindex = tunnel,
			    .ndm_state = NUD_NOARP | NUD_PERMANENT, .ndm_flags = NTF_SELF };
	struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND);
	int rc = -NLE_NOMEM;

	if (m && nlmsg_append(m, &nd, sizeof(nd), NLMSG_ALIGNTO) == 0 &&
	    nla_put(m, NDA_LLADDR, 6, all_zero_mac) == 0 &&
	    nla_put(m, NDA_DST, family == AF_INET ? 4 : 16, group) == 0 &&
	    nla_put_u32(m, NDA_IFINDEX, (uint32_t)via) == 0)
		rc = nl_send_sync(k->sk, m); /* frees m */
	else
		nlmsg_free(m);
	return rc;
}

int dp_group_entry_queue(struct kern *k, int tunnel, int family, const void *group, int via)
{
	return kern_fdb_queue_via(k, KERN_FDB_APPEND, tunnel, all_zero_mac, family, group, via);
}

/* One membership for the daemon: the group is the same for every vnet. */
static struct {
	int fd;
	int ifindex;
	int family;
	uint8_t group[16];
} mb = { .fd = -1 };

void dp_group_leave(void)
{
	if (mb.fd >= 0)
		close(mb.fd);
	mb.fd = -1;
}

int dp_group_join(const struct kern_underlay *u, const void *group, char *err, size_t errlen)
{
	size_t len = u->family == AF_INET ? 4 : 16;
	int rc;

	if (mb.fd >= 0 && mb.ifindex == u->ifindex && mb.family == u->family && !memcmp(mb.group, group, len))
		return 0;
	dp_group_leave(); /* closing the socket leaves the old group */
	mb.fd = socket(u->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (mb.fd < 0)
		return vnet_err(err, errlen, "multicast socket: %s", strerror(errno));
	if (u->family == AF_INET) {
		struct ip_mreqn mr = { .imr_ifindex = u->ifindex };

		memcpy(&mr.imr_multiaddr, group, 4);
		memcpy(&mr.imr_address, &u->addr, 4);
		rc = setsockopt(mb.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	} else {
		struct ipv6_mreq mr = { .ipv6mr_interface = (unsigned)u->ifindex };

		memcpy(&mr.ipv6mr_multiaddr, group, 16);
		rc = setsockopt(mb.fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
	}
	if (rc < 0) {
		rc = errno;
		dp_group_leave();
		return vnet_err(err, errlen, "joining the tunnels' multicast group on %s: %s", u->name, strerror(rc));
	}
	mb.ifindex = u->ifindex;
	mb.family = u->family;
	memcpy(mb.group, group, len);
	return 0;
}
