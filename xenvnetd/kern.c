#include "kern.h"
#include "dp_linksnap.h"
#include "vnet_err.h"

#include <errno.h>
#include <stddef.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "log.h"
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/neighbour.h>
#include <linux/neighbour.h>
#include <netlink/route/rtnl.h>
#include <stdio.h>
#include <string.h>

#define KERN_QUEUE_MAX (64 * 1024)
#define KERN_FDB_MSG_MAX 72 /* header 16, ndmsg 12, lladdr 12, dst 20, ifindex 8 */

int kern_open(struct kern *k, char *err, size_t errlen)
{
	int rc;

	memset(k, 0, sizeof(*k));
	k->sk = nl_socket_alloc();
	k->ev = nl_socket_alloc();
	k->batch = nl_socket_alloc();
	k->q = malloc(KERN_QUEUE_MAX);
	if (!k->sk || !k->ev || !k->batch || !k->q)
		goto nomem;
	if ((rc = nl_connect(k->sk, NETLINK_ROUTE)) < 0 ||
	    (rc = nl_connect(k->ev, NETLINK_ROUTE)) < 0 ||
	    (rc = nl_connect(k->batch, NETLINK_ROUTE)) < 0) {
		kern_close(k);
		return vnet_err(err, errlen, "rtnetlink: %s", nl_geterror(rc));
	}
	nl_socket_disable_seq_check(k->ev);
	nl_socket_set_nonblocking(k->batch);
	nl_socket_set_buffer_size(k->batch, 1 << 20, 1 << 20);
	nl_socket_set_nonblocking(k->ev);
	nl_socket_set_buffer_size(k->ev, 4 << 20, 0);
	/* SO_RCVBUF stops at net.core.rmem_max (208 KB by default): creating
	 * vnets by the thousand overran it, and each overrun costs a rescan
	 * of every link and vnet.  Root may exceed it. */
	int evbuf = 4 << 20;
	(void)setsockopt(nl_socket_get_fd(k->ev), SOL_SOCKET, SO_RCVBUFFORCE, &evbuf, sizeof(evbuf));
	rc = nl_socket_add_memberships(k->ev, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0);
	if (rc < 0) {
		kern_close(k);
		return vnet_err(err, errlen, "rtnetlink groups: %s", nl_geterror(rc));
	}
	return 0;
nomem:
	kern_close(k);
	return vnet_err(err, errlen, "out of memory");
}

void kern_close(struct kern *k)
{
	kern_snapshot_drop(k);
	nl_socket_free(k->sk);
	nl_socket_free(k->ev);
	nl_socket_free(k->batch);
	free(k->q);
	k->sk = k->ev = k->batch = NULL;
	k->q = NULL;
}

static void put_attr(uint8_t *p, size_t *off, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	memcpy(p + *off, &a, sizeof(a));
	memcpy(p + *off + NLA_HDRLEN, data, len);
	*off += NLA_ALIGN(NLA_HDRLEN + len);
}

int kern_fdb_queue(struct kern *k, enum kern_fdb_op op, int ifindex, const uint8_t mac[6], int family,
		   const struct in6_addr *dst)
{
	return kern_fdb_queue_via(k, op, ifindex, mac, family, dst, 0);
}

int kern_fdb_queue_via(struct kern *k, enum kern_fdb_op op, int ifindex, const uint8_t mac[6], int family,
		       const struct in6_addr *dst, int via)
{
	uint8_t *p;
	size_t off = NLMSG_HDRLEN;
	struct ndmsg nd = { .ndm_family = AF_BRIDGE, .ndm_ifindex = ifindex,
			    .ndm_state = NUD_NOARP | NUD_PERMANENT, .ndm_flags = NTF_SELF };
	struct nlmsghdr h = { .nlmsg_type = op == KERN_FDB_DELETE || op == KERN_FDB_FORGET ? RTM_DELNEIGH : RTM_NEWNEIGH,
			      .nlmsg_flags = NLM_F_REQUEST };

	if (k->qlen + KERN_FDB_MSG_MAX > KERN_QUEUE_MAX) {
		int rc = kern_fdb_flush(k);
		if (rc < 0)
			return rc;
	}
	if (op == KERN_FDB_FORGET) {
		nd.ndm_flags = NTF_MASTER;
		nd.ndm_state = 0;
	}
	if (op == KERN_FDB_REPLACE)
		h.nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	else if (op == KERN_FDB_APPEND)
		h.nlmsg_flags |= NLM_F_CREATE | NLM_F_APPEND;
	h.nlmsg_seq = ++k->qseq;
	p = k->q + k->qlen;
	memset(p, 0, KERN_FDB_MSG_MAX); /* attribute padding goes to the kernel too */
	memcpy(p + off, &nd, sizeof(nd));
	off += NLMSG_ALIGN(sizeof(nd));
	put_attr(p, &off, NDA_LLADDR, mac, 6);
	if (dst)
		put_attr(p, &off, NDA_DST, dst, family == AF_INET ? 4 : 16);
	if (via) {
		uint32_t v = (uint32_t)via;

		put_attr(p, &off, NDA_IFINDEX, &v, sizeof(v));
	}
	h.nlmsg_len = (uint32_t)off;
	memcpy(p, &h, sizeof(h));
	k->qlen += NLMSG_ALIGN(off);
	return 0;
}

int kern_link_carrier_sync(const char *name)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GLINK };
	struct ifreq ifr = { .ifr_data = (char *)&ev };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	return rc < 0 ? -1 : ev.data != 0;
}

int kern_bridge_fdb_pin(struct kern *k, int port, const uint8_t mac[6], bool sticky)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *ll = nl_addr_build(AF_LLC, mac, 6);
	int rc = -NLE_NOMEM;

	if (n && ll) {
		rtnl_neigh_set_family(n, AF_BRIDGE);
		rtnl_neigh_set_ifindex(n, port);
		/* Static alone is not enough: a frame from another port moves a
		 * static entry (br_fdb_update); sticky ones stay put.  Static
		 * also keeps a silent guest's entry from ageing out. */
		rtnl_neigh_set_flags(n, NTF_MASTER | (sticky ? NTF_STICKY : 0));
		rtnl_neigh_set_state(n, NUD_NOARP);
		rtnl_neigh_set_lladdr(n, ll);
		rc = rtnl_neigh_add(k->sk, n, NLM_F_CREATE | NLM_F_REPLACE);
	}
	nl_addr_put(ll);
	rtnl_neigh_put(n);
	return rc;
}

void kern_fdb_on_refused(struct kern *k, void (*cb)(void *arg, const struct kern_fdb_refusal *r), void *arg)
{
	k->refused = cb;
	k->refused_arg = arg;
}

static void tell_refused(struct kern *k, const struct kern_fdb_refusal *r)
{
	if (k->refused)
		k->refused(k->refused_arg, r);
	else if (k->batch_errors < 10) /* nobody asked: log the first few */
		log_warn("an FDB write failed: %s", r->lost ? "error reports lost" : strerror(r->error));
}

/* The write an error answers, from the request it echoes (we never set
 * NETLINK_CAP_ACK).  False when the echo is cut short. */
static bool parse_refusal(const struct nlmsghdr *h, struct kern_fdb_refusal *r)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	const struct nlmsghdr *req = &e->msg;
	size_t have = h->nlmsg_len - NLMSG_HDRLEN - offsetof(struct nlmsgerr, msg);
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ndmsg));

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || req->nlmsg_len > have || req->nlmsg_len < off)
		return false;
	const struct ndmsg *nd = (const void *)((const uint8_t *)req + NLMSG_HDRLEN);
	memset(r, 0, sizeof(*r));
	r->error = -e->error;
	r->ifindex = nd->ndm_ifindex;
	r->op = req->nlmsg_type == RTM_DELNEIGH ? KERN_FDB_DELETE
	      : req->nlmsg_flags & NLM_F_APPEND ? KERN_FDB_APPEND : KERN_FDB_REPLACE;
	while (off + NLA_HDRLEN <= req->nlmsg_len) {
		const struct nlattr *a = (const void *)((const uint8_t *)req + off);
		size_t alen = a->nla_len;
		if (alen < NLA_HDRLEN || off + alen > req->nlmsg_len)
			break;
		if (a->nla_type == NDA_LLADDR && alen == NLA_HDRLEN + 6)
			memcpy(r->mac, (const uint8_t *)a + NLA_HDRLEN, 6);
		else if (a->nla_type == NDA_DST && (alen == NLA_HDRLEN + 4 || alen == NLA_HDRLEN + 16)) {
			r->family = alen == NLA_HDRLEN + 4 ? AF_INET : AF_INET6;
			memcpy(&r->dst, (const uint8_t *)a + NLA_HDRLEN, alen - NLA_HDRLEN);
		}
		off += NLA_ALIGN(alen);
	}
	return true;
}

int kern_fdb_flush(struct kern *k)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	ssize_t n;

	if (!k->qlen)
		return 0;
	n = sendto(nl_socket_get_fd(k->batch), k->q, k->qlen, 0, (struct sockaddr *)&to, sizeof(to));
	k->qlen = 0;
	if (n < 0) {
		int err = errno;
		struct kern_fdb_refusal r = { .lost = true, .error = err };
		log_err("FDB writes lost: %s", strerror(err));
		tell_refused(k, &r);
		return -err;
	}
	/* The kernel has handled the batch: its errors are waiting. */
	kern_batch_read_errors(k);
	return 0;
}

int kern_batch_fd(const struct kern *k)
{
	return nl_socket_get_fd(k->batch);
}

void kern_batch_read_errors(struct kern *k)
{
	uint8_t buf[16384];
	ssize_t n;

	while ((n = recv(nl_socket_get_fd(k->batch), buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			if (errno == ENOBUFS) { /* the kernel dropped some: say so */
				struct kern_fdb_refusal r = { .lost = true, .error = ENOBUFS };
				tell_refused(k, &r);
				k->batch_errors++;
				continue;
			}
			break; /* EAGAIN: drained */
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct kern_fdb_refusal r;
			if (h->nlmsg_type != NLMSG_ERROR || ((struct nlmsgerr *)NLMSG_DATA(h))->error == 0)
				continue;
			if (!parse_refusal(h, &r))
				r = (struct kern_fdb_refusal){ .lost = true, .error = EBADMSG };
			tell_refused(k, &r);
			k->batch_errors++;
		}
	}
}

int kern_event_fd(const struct kern *k)
{
	return nl_socket_get_fd(k->ev);
}

void kern_mark(const char *key, char *buf, size_t size)
{
	snprintf(buf, size, KERN_MARK_PREFIX "%s", key);
}

const char *kern_link_owner(struct rtnl_link *link)
{
	const char *alias = rtnl_link_get_ifalias(link);

	if (!alias || strncmp(alias, KERN_MARK_PREFIX, strlen(KERN_MARK_PREFIX)) != 0)
		return NULL;
	return alias + strlen(KERN_MARK_PREFIX);
}

bool kern_link_half_made(struct rtnl_link *link)
{
	const char *alias = rtnl_link_get_ifalias(link);

	return rtnl_link_get_group(link) == KERN_GROUP && (!alias || !*alias);
}

int kern_link_label(struct kern *k, struct rtnl_link *link, const char *key)
{
	struct rtnl_link *change = rtnl_link_alloc();
	char mark[KERN_MARK_MAX];
	int rc;

	if (!change)
		return -NLE_NOMEM;
	kern_mark(key, mark, sizeof(mark));
	rtnl_link_set_ifalias(change, mark);
	kern_link_changed(k, rtnl_link_get_name(link));
	rc = rtnl_link_change(k->sk, link, change, 0);
	rtnl_link_put(change);
	return rc;
}

int kern_link_label_name(struct kern *k, const char *name, const char *key)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	char mark[KERN_MARK_MAX];

	if (!msg)
		return -NLE_NOMEM;
	kern_link_changed(k, name);
	kern_mark(key, mark, sizeof(mark));
	/* ifindex 0: the kernel finds the link by IFLA_IFNAME. */
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0 || nla_put_string(msg, IFLA_IFALIAS, mark) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	return nl_send_sync(k->sk, msg);
}

/* One link notification, read straight from the message: libnl would
 * build a whole link object per event, and a burst of vnets makes tens of
 * thousands of them. */
static void link_event(const struct nlmsghdr *h, kern_event_cb cb, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	char name[IFNAMSIZ] = "", alias[KERN_MARK_MAX] = "";
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi)), master = 0;

	if (len < 0)
		return;
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		char *dst = a->rta_type == IFLA_IFNAME ? name : a->rta_type == IFLA_IFALIAS ? alias : NULL;
		size_t size = a->rta_type == IFLA_IFNAME ? sizeof(name) : sizeof(alias);
		if (dst)
			snprintf(dst, size, "%.*s", (int)RTA_PAYLOAD(a), (const char *)RTA_DATA(a));
		if (a->rta_type == IFLA_MASTER && RTA_PAYLOAD(a) >= sizeof(uint32_t))
			memcpy(&master, RTA_DATA(a), sizeof(master));
	}
	if (!*name)
		return;
	struct kern_event ev = {
		.name = name,
		.owner = strncmp(alias, KERN_MARK_PREFIX, strlen(KERN_MARK_PREFIX)) == 0
			 ? alias + strlen(KERN_MARK_PREFIX) : NULL,
		.ifindex = ifi->ifi_index,
		.master = master,
		.deleted = h->nlmsg_type == RTM_DELLINK,
	};
	cb(arg, &ev);
}

void kern_read_events(struct kern *k, kern_event_cb cb, void *arg)
{
	static uint8_t buf[64 * 1024];
	ssize_t n;

	while ((n = recv(nl_socket_get_fd(k->ev), buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) {
				link_event(h, cb, arg);
			} else if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
				const struct ifaddrmsg *ifa = NLMSG_DATA(h);
				struct kern_event ev = { .ifindex = (int)ifa->ifa_index,
							 .deleted = h->nlmsg_type == RTM_DELADDR };
				cb(arg, &ev);
			}
		}
	}
	/* The kernel drops notifications when our buffer fills: resync. */
	if (n < 0 && errno == ENOBUFS) {
		struct kern_event ev = { .overrun = true };
		cb(arg, &ev);
	}
}

int kern_snapshot_take(struct kern *k)
{
	kern_snapshot_drop(k);
	k->snap = linksnap_take();
	return k->snap ? 0 : -1;
}

void kern_snapshot_drop(struct kern *k)
{
	linksnap_free(k->snap);
	k->snap = NULL;
}

void kern_link_changed(struct kern *k, const char *name)
{
	if (k->snap && linksnap_changed(k->snap, name) < 0)
		kern_snapshot_drop(k);
}

struct rtnl_link *kern_link_get(struct kern *k, const char *name)
{
	struct rtnl_link *link = NULL;

	if (k->snap && linksnap_get(k->snap, name, &link))
		return link;
	if (rtnl_link_get_kernel(k->sk, 0, name, &link) < 0)
		return NULL;
	return link;
}

/* Parsed straight from the messages: at thousands of links, libnl's
 * caches (an object per link, per address) cost more than the kernel's
 * answer. */
int kern_dump(uint16_t type, const void *req, size_t reqlen, void (*cb)(void *arg, const struct nlmsghdr *h),
	      void *arg)
{
	static uint8_t buf[64 * 1024];
	struct {
		struct nlmsghdr h;
		uint8_t body[32];
	} msg = { .h = { .nlmsg_len = (uint32_t)NLMSG_LENGTH(reqlen), .nlmsg_type = type,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 } };
	int one = 1, rc;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -nl_syserr2nlerr(errno);
	setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one)); /* older kernels: filtered below */
	memcpy(msg.body, req, reqlen);
	if (send(fd, &msg, msg.h.nlmsg_len, 0) < 0) {
		rc = -nl_syserr2nlerr(errno);
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -nl_syserr2nlerr(errno) : -NLE_FAILURE;
			goto out;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				rc = e->error ? -nl_syserr2nlerr(-e->error) : 0;
				goto out;
			}
			cb(arg, h);
		}
	}
out:
	close(fd);
	return rc;
}

struct addr_pick {
	int ifindex;
	int found;            /* 0 none, 1 IPv6, 2 IPv4 */
	int family;
	struct in6_addr addr;
};

/* The first global address of the link, IPv4 preferred. */
static void pick_address(void *arg, const struct nlmsghdr *h)
{
	struct addr_pick *p = arg;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const void *local = NULL, *address = NULL;
	unsigned flags = ifa->ifa_flags;
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa));

	if (h->nlmsg_type != RTM_NEWADDR || len < 0 || (int)ifa->ifa_index != p->ifindex ||
	    ifa->ifa_scope != RT_SCOPE_UNIVERSE || p->found == 2 ||
	    (ifa->ifa_family != AF_INET && (ifa->ifa_family != AF_INET6 || p->found)))
		return;
	for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFA_LOCAL)
			local = RTA_DATA(a);
		else if (a->rta_type == IFA_ADDRESS)
			address = RTA_DATA(a);
		else if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD(a) >= 4)
			memcpy(&flags, RTA_DATA(a), 4);
	}
	if (!local)
		local = address; /* IPv6 has no IFA_LOCAL (but on point-to-point) */
	if (!local || (ifa->ifa_family == AF_INET6 && (flags & IFA_F_TENTATIVE)))
		return;
	memset(&p->addr, 0, sizeof(p->addr));
	memcpy(&p->addr, local, ifa->ifa_family == AF_INET ? 4 : 16);
	p->family = ifa->ifa_family;
	p->found = ifa->ifa_family == AF_INET ? 2 : 1;
}

static int link_address(int ifindex, int *family, struct in6_addr *out)
{
	struct addr_pick p = { .ifindex = ifindex };
	static const int families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < 2 && p.found < 2; i++) {
		struct ifaddrmsg req = { .ifa_family = (uint8_t)families[i], .ifa_index = (uint32_t)ifindex };
		kern_dump(RTM_GETADDR, &req, sizeof(req), pick_address, &p);
	}
	if (!p.found)
		return -1;
	*family = p.family;
	*out = p.addr;
	return 0;
}

/* The device named, or the first up device with a global address. */
static int underlay_candidate(struct rtnl_link *l, const char *name, struct kern_underlay *u)
{
	if (!*name) {
		unsigned flags = rtnl_link_get_flags(l);
		if ((flags & IFF_LOOPBACK) || !(flags & IFF_UP) || kern_link_owner(l))
			return -1;
	}
	if (link_address(rtnl_link_get_ifindex(l), &u->family, &u->addr) < 0)
		return -1;
	u->ifindex = rtnl_link_get_ifindex(l);
	u->mtu = rtnl_link_get_mtu(l);
	snprintf(u->name, sizeof(u->name), "%s", rtnl_link_get_name(l));
	return 0;
}

int kern_find_underlay(struct kern *k, const char *name, struct kern_underlay *u, char *err, size_t errlen)
{
	struct nl_cache *links = NULL;
	struct rtnl_link *l;

	memset(u, 0, sizeof(*u));
	if (*name) { /* one link, not all: thousands of vnets make thousands of links */
		if (!(l = kern_link_get(k, name)))
			return vnet_err(err, errlen, "underlay device %s does not exist", name);
		int rc = underlay_candidate(l, name, u);
		rtnl_link_put(l);
		return rc < 0 ? vnet_err(err, errlen, "underlay %s has no global address yet", name) : 0;
	}
	if (rtnl_link_alloc_cache(k->sk, AF_UNSPEC, &links) < 0)
		return vnet_err(err, errlen, "cannot read links from the kernel");
	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		if (underlay_candidate((struct rtnl_link *)o, name, u) == 0) {
			nl_cache_free(links);
			return 0;
		}
	}
	nl_cache_free(links);
	memset(u, 0, sizeof(*u));
	return vnet_err(err, errlen, "no underlay: no device is up with a global address");
}

int kern_bridge_create(struct kern *k, const char *name, unsigned mtu)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info, *data;

	if (!msg)
		return -NLE_NOMEM;
	/* libnl has no setters for the bridge's own options: build it by hand. */
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    nla_put_u32(msg, IFLA_GROUP, KERN_GROUP) < 0 ||
	    nla_put_u32(msg, IFLA_MTU, mtu) < 0 ||
	    !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put_u32(msg, IFLA_BR_STP_STATE, 0) < 0 ||
	    nla_put_u32(msg, IFLA_BR_FORWARD_DELAY, 0) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	kern_link_changed(k, name);
	return nl_send_sync(k->sk, msg);
}

int kern_link_settle(struct kern *k, struct rtnl_link *link, unsigned mtu, int master)
{
	struct rtnl_link *change = rtnl_link_alloc();
	bool needed = false;
	int rc = 0;

	if (!change)
		return -NLE_NOMEM;
	if (mtu && rtnl_link_get_mtu(link) != mtu) {
		rtnl_link_set_mtu(change, mtu);
		needed = true;
	}
	if (master && rtnl_link_get_master(link) != master) {
		rtnl_link_set_master(change, master);
		needed = true;
	}
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		rtnl_link_set_flags(change, IFF_UP);
		needed = true;
	}
	if (needed) {
		kern_link_changed(k, rtnl_link_get_name(link));
		rc = rtnl_link_change(k->sk, link, change, 0);
	}
	rtnl_link_put(change);
	return rc;
}

int kern_link_attach(struct kern *k, const char *name, const char *bridge)
{
	struct rtnl_link *dev = kern_link_get(k, name), *br = kern_link_get(k, bridge);
	int rc = 0;

	if (dev && br && rtnl_link_get_master(dev) != rtnl_link_get_ifindex(br)) {
		rc = kern_link_settle(k, dev, rtnl_link_get_mtu(br), rtnl_link_get_ifindex(br));
		if (rc == 0)
			rc = 1;
	}
	if (dev)
		rtnl_link_put(dev);
	if (br)
		rtnl_link_put(br);
	return rc;
}

int kern_link_delete(struct kern *k, const char *name)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int rc;

	if (!link)
		return -NLE_NOMEM;
	rtnl_link_set_name(link, name);
	kern_link_changed(k, name);
	rc = rtnl_link_delete(k->sk, link);
	rtnl_link_put(link);
	return rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND ? 0 : rc;
}

struct links_ctx {
	void (*cb)(void *arg, const struct kern_link_info *l);
	void *arg;
};

static void parsed_link_info(void *arg, const struct nlmsghdr *h)
{
	struct links_ctx *c = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	char name[IFNAMSIZ] = "", alias[KERN_MARK_MAX] = "";
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	struct kern_link_info info = { .ifindex = ifi->ifi_index, .up = ifi->ifi_flags & IFF_UP };
	struct rtnl_link_stats64 st;

	if (h->nlmsg_type != RTM_NEWLINK || len < 0)
		return;
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		const void *d = RTA_DATA(a);
		size_t n = RTA_PAYLOAD(a);
		switch (a->rta_type) {
		case IFLA_IFNAME: snprintf(name, sizeof(name), "%.*s", (int)n, (const char *)d); break;
		case IFLA_IFALIAS: snprintf(alias, sizeof(alias), "%.*s", (int)n, (const char *)d); break;
		case IFLA_MASTER: if (n >= 4) memcpy(&info.master, d, 4); break;
		case IFLA_MTU: if (n >= 4) memcpy(&info.mtu, d, 4); break;
		case IFLA_ADDRESS: if (n == 6) info.mac = d; break;
		case IFLA_STATS64:
			if (n >= sizeof(st)) {
				memcpy(&st, d, sizeof(st));
				info.rx_packets = st.rx_packets;
				info.rx_bytes = st.rx_bytes;
				info.tx_packets = st.tx_packets;
				info.tx_bytes = st.tx_bytes;
				info.rx_errors = st.rx_errors;
				info.rx_dropped = st.rx_dropped;
				info.tx_errors = st.tx_errors;
				info.tx_dropped = st.tx_dropped;
			}
			break;
		}
	}
	info.name = name;
	if (strncmp(alias, KERN_MARK_PREFIX, strlen(KERN_MARK_PREFIX)) == 0)
		info.owner = alias + strlen(KERN_MARK_PREFIX);
	c->cb(c->arg, &info);
}

int kern_links_foreach(struct kern *k, void (*cb)(void *arg, const struct kern_link_info *l), void *arg)
{
	struct ifinfomsg req = { .ifi_family = AF_UNSPEC };
	struct links_ctx c = { cb, arg };

	(void)k;
	return kern_dump(RTM_GETLINK, &req, sizeof(req), parsed_link_info, &c);
}

struct fdb_dump {
	void (*cb)(void *arg, const struct kern_fdb *f);
	void *arg;
};

/* One RTM_NEWNEIGH of the dump.  Read raw: libnl's neighbour object has
 * no getter for NDA_CACHEINFO, the entry's age. */
static int fdb_dump_one(struct nl_msg *msg, void *arg)
{
	struct fdb_dump *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[NDA_MAX + 1];
	struct ndmsg *nd = nlmsg_data(h);
	struct kern_fdb f = { 0 };

	if (h->nlmsg_type != RTM_NEWNEIGH || nlmsg_parse(h, sizeof(*nd), tb, NDA_MAX, NULL) < 0 ||
	    nd->ndm_family != AF_BRIDGE || !tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6)
		return NL_OK;
	f.ifindex = nd->ndm_ifindex;
	f.state = nd->ndm_state;
	f.flags = nd->ndm_flags;
	if (tb[NDA_MASTER] && nla_len(tb[NDA_MASTER]) >= 4)
		f.master = (int)nla_get_u32(tb[NDA_MASTER]);
	memcpy(f.mac, nla_data(tb[NDA_LLADDR]), 6);
	if (tb[NDA_DST] && (nla_len(tb[NDA_DST]) == 4 || nla_len(tb[NDA_DST]) == 16)) {
		f.has_dst = true;
		f.family = nla_len(tb[NDA_DST]) == 4 ? AF_INET : AF_INET6;
		memcpy(&f.dst, nla_data(tb[NDA_DST]), (size_t)nla_len(tb[NDA_DST]));
	}
	if (tb[NDA_VLAN] && nla_len(tb[NDA_VLAN]) >= 2)
		f.vlan = nla_get_u16(tb[NDA_VLAN]);
	if (tb[NDA_CACHEINFO] && nla_len(tb[NDA_CACHEINFO]) >= (int)sizeof(struct nda_cacheinfo)) {
		const struct nda_cacheinfo *ci = nla_data(tb[NDA_CACHEINFO]);
		long hz = sysconf(_SC_CLK_TCK);
		f.has_age = true;
		f.age_s = (unsigned)(ci->ndm_updated / (uint32_t)(hz > 0 ? hz : 100));
	}
	d->cb(d->arg, &f);
	return NL_OK;
}

int kern_fdb_foreach(struct kern *k, void (*cb)(void *arg, const struct kern_fdb *f), void *arg)
{
	struct fdb_dump d = { cb, arg };
	struct ndmsg nd = { .ndm_family = AF_BRIDGE };
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	(void)k;
	if (!sk)
		return -NLE_NOMEM;
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc == 0)
		rc = nl_send_simple(sk, RTM_GETNEIGH, NLM_F_DUMP, &nd, sizeof(nd));
	if (rc >= 0)
		rc = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, fdb_dump_one, &d);
	if (rc >= 0)
		rc = nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	return rc < 0 ? rc : 0;
}

int kern_fdb_delete(struct kern *k, const struct kern_fdb *f)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *ll, *dst = NULL;
	int rc;

	if (!n)
		return -NLE_NOMEM;
	ll = nl_addr_build(AF_LLC, f->mac, 6);
	if (f->has_dst)
		dst = nl_addr_build(f->family, &f->dst, f->family == AF_INET ? 4 : 16);
	if (dst) /* before the family: see fdb_entry() in dp_vxlan.c */
		rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_family(n, AF_BRIDGE);
	rtnl_neigh_set_ifindex(n, f->ifindex);
	rtnl_neigh_set_flags(n, f->flags & (NTF_SELF | NTF_MASTER));
	if (ll)
		rtnl_neigh_set_lladdr(n, ll);
	rc = rtnl_neigh_delete(k->sk, n, 0);
	nl_addr_put(ll);
	nl_addr_put(dst);
	rtnl_neigh_put(n);
	return rc;
}
