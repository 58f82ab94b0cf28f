#include "kern.h"
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
#define KERN_FDB_MSG_MAX 64 /* header 16, ndmsg 12, lladdr 12, dst 20 */

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
	uint8_t *p;
	size_t off = NLMSG_HDRLEN;
	struct ndmsg nd = { .ndm_family = AF_BRIDGE, .ndm_ifindex = ifindex,
			    .ndm_state = NUD_NOARP | NUD_PERMANENT, .ndm_flags = NTF_SELF };
	struct nlmsghdr h = { .nlmsg_type = op == KERN_FDB_DELETE ? RTM_DELNEIGH : RTM_NEWNEIGH,
			      .nlmsg_flags = NLM_F_REQUEST };

	if (k->qlen + KERN_FDB_MSG_MAX > KERN_QUEUE_MAX) {
		int rc = kern_fdb_flush(k);
		if (rc < 0)
			return rc;
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

int kern_bridge_fdb_learn(struct kern *k, int port, const uint8_t mac[6])
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *ll = nl_addr_build(AF_LLC, mac, 6);
	int rc = -NLE_NOMEM;

	if (n && ll) {
		rtnl_neigh_set_family(n, AF_BRIDGE);
		rtnl_neigh_set_ifindex(n, port);
		rtnl_neigh_set_flags(n, NTF_MASTER);
		rtnl_neigh_set_state(n, NUD_REACHABLE); /* dynamic: ages like a learned one */
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
	rc = rtnl_link_change(k->sk, link, change, 0);
	rtnl_link_put(change);
	return rc;
}

struct event_ctx {
	kern_event_cb cb;
	void *arg;
};

static void parsed_link(struct nl_object *obj, void *arg)
{
	struct event_ctx *ctx = arg;
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct kern_event ev = {
		.name = rtnl_link_get_name(link),
		.owner = kern_link_owner(link),
		.ifindex = rtnl_link_get_ifindex(link),
		.deleted = nl_object_get_msgtype(obj) == RTM_DELLINK,
	};
	ctx->cb(ctx->arg, &ev);
}

static int on_event_msg(struct nl_msg *msg, void *arg)
{
	struct event_ctx *ctx = arg;
	int type = nlmsg_hdr(msg)->nlmsg_type;

	if (type == RTM_NEWLINK || type == RTM_DELLINK) {
		nl_msg_parse(msg, parsed_link, ctx);
	} else if (type == RTM_NEWADDR || type == RTM_DELADDR) {
		struct ifaddrmsg *ifa = nlmsg_data(nlmsg_hdr(msg));
		struct kern_event ev = { .ifindex = (int)ifa->ifa_index, .deleted = type == RTM_DELADDR };
		ctx->cb(ctx->arg, &ev);
	}
	return NL_OK;
}

void kern_read_events(struct kern *k, kern_event_cb cb, void *arg)
{
	struct event_ctx ctx = { cb, arg };
	int rc;

	nl_socket_modify_cb(k->ev, NL_CB_VALID, NL_CB_CUSTOM, on_event_msg, &ctx);
	while ((rc = nl_recvmsgs_default(k->ev)) >= 0)
		;
	/* The kernel drops notifications when our buffer fills: resync. */
	if (rc == -NLE_NOMEM || rc == -NLE_MSG_OVERFLOW) {
		struct kern_event ev = { .overrun = true };
		cb(arg, &ev);
	}
}

struct rtnl_link *kern_link_get(struct kern *k, const char *name)
{
	struct rtnl_link *link = NULL;

	if (rtnl_link_get_kernel(k->sk, 0, name, &link) < 0)
		return NULL;
	return link;
}

/* The first global address of the link, IPv4 preferred. */
static int link_address(struct nl_cache *addrs, int ifindex, int *family, struct in6_addr *out)
{
	int found = 0;

	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		int fam = rtnl_addr_get_family(a);

		if (rtnl_addr_get_ifindex(a) != ifindex || !local || rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE)
			continue;
		if (fam == AF_INET6 && (rtnl_addr_get_flags(a) & IFA_F_TENTATIVE))
			continue;
		if (fam == AF_INET || (fam == AF_INET6 && found == 0)) {
			memset(out, 0, sizeof(*out));
			memcpy(out, nl_addr_get_binary_addr(local), fam == AF_INET ? 4 : 16);
			*family = fam;
			found = fam == AF_INET ? 2 : 1;
			if (found == 2)
				break;
		}
	}
	return found ? 0 : -1;
}

int kern_find_underlay(struct kern *k, const char *name, struct kern_underlay *u, char *err, size_t errlen)
{
	struct nl_cache *links = NULL, *addrs = NULL;
	int rc = -1;

	memset(u, 0, sizeof(*u));
	if (rtnl_link_alloc_cache(k->sk, AF_UNSPEC, &links) < 0 ||
	    rtnl_addr_alloc_cache(k->sk, &addrs) < 0) {
		vnet_err(err, errlen, "cannot read links and addresses from the kernel");
		goto out;
	}
	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *n = rtnl_link_get_name(l);
		unsigned flags = rtnl_link_get_flags(l);

		if (*name ? strcmp(n, name) != 0
			  : (flags & IFF_LOOPBACK) || !(flags & IFF_UP) || kern_link_owner(l))
			continue;
		if (link_address(addrs, rtnl_link_get_ifindex(l), &u->family, &u->addr) < 0) {
			if (*name) {
				vnet_err(err, errlen, "underlay %s has no global address yet", name);
				goto out;
			}
			continue;
		}
		u->ifindex = rtnl_link_get_ifindex(l);
		u->mtu = rtnl_link_get_mtu(l);
		snprintf(u->name, sizeof(u->name), "%s", n);
		rc = 0;
		goto out;
	}
	if (*name)
		vnet_err(err, errlen, "underlay device %s does not exist", name);
	else
		vnet_err(err, errlen, "no underlay: no device is up with a global address");
out:
	nl_cache_free(links);
	nl_cache_free(addrs);
	return rc;
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
	if (needed)
		rc = rtnl_link_change(k->sk, link, change, 0);
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
	rc = rtnl_link_delete(k->sk, link);
	rtnl_link_put(link);
	return rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND ? 0 : rc;
}

int kern_links_foreach(struct kern *k, void (*cb)(void *arg, const struct kern_link_info *l), void *arg)
{
	struct nl_cache *links;
	int rc = rtnl_link_alloc_cache(k->sk, AF_UNSPEC, &links);

	if (rc < 0)
		return rc;
	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		struct nl_addr *ll = rtnl_link_get_addr(l);
		struct kern_link_info info = {
			.name = rtnl_link_get_name(l),
			.ifindex = rtnl_link_get_ifindex(l),
			.master = rtnl_link_get_master(l),
			.up = rtnl_link_get_flags(l) & IFF_UP,
			.mtu = rtnl_link_get_mtu(l),
			.mac = ll && nl_addr_get_len(ll) == 6 ? nl_addr_get_binary_addr(ll) : NULL,
			.owner = kern_link_owner(l),
			.rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS),
			.rx_bytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES),
			.tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS),
			.tx_bytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES),
			.rx_errors = rtnl_link_get_stat(l, RTNL_LINK_RX_ERRORS),
			.rx_dropped = rtnl_link_get_stat(l, RTNL_LINK_RX_DROPPED),
			.tx_errors = rtnl_link_get_stat(l, RTNL_LINK_TX_ERRORS),
			.tx_dropped = rtnl_link_get_stat(l, RTNL_LINK_TX_DROPPED),
		};
		cb(arg, &info);
	}
	nl_cache_free(links);
	return 0;
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
