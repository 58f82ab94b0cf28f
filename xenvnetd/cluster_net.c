#include "cluster_net.h"
#include "config.h"
#include "vnet_err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int cnet_parse_addr(const char *text, struct proto_addr *out)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, text, &a4) == 1) {
		proto_addr_from_in(out, &a4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6) == 1) {
		proto_addr_from_in6(out, &a6);
		return 0;
	}
	return -1;
}

static int join4(struct cnet *n, const struct kern_underlay *u, const char *text, unsigned ttl,
		 char *err, size_t errlen)
{
	struct sockaddr_in *g = (struct sockaddr_in *)&n->group;
	struct ip_mreqn mr = { .imr_ifindex = u->ifindex };
	int off = 0, on = 1, t = (int)ttl;

	g->sin_family = AF_INET;
	g->sin_port = htons(n->port);
	if (inet_pton(AF_INET, text, &g->sin_addr) != 1 || !IN_MULTICAST(ntohl(g->sin_addr.s_addr)))
		return vnet_err(err, errlen, "group %s is not an IPv4 multicast address", text);
	n->group_len = sizeof(*g);
	mr.imr_multiaddr = g->sin_addr;
	memcpy(&mr.imr_address, &u->addr, 4);
	if (setsockopt(n->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0 ||
	    setsockopt(n->fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0 ||
	    setsockopt(n->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off)) < 0 ||
	    setsockopt(n->fd, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof(t)) < 0 ||
	    setsockopt(n->fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0)
		return vnet_err(err, errlen, "joining %s on %s: %s", text, u->name, strerror(errno));
	return 0;
}

static int join6(struct cnet *n, const struct kern_underlay *u, const char *text, unsigned ttl,
		 char *err, size_t errlen)
{
	struct sockaddr_in6 *g = (struct sockaddr_in6 *)&n->group;
	struct ipv6_mreq mr = { .ipv6mr_interface = (unsigned)u->ifindex };
	int off = 0, on = 1, t = (int)ttl, idx = u->ifindex;

	g->sin6_family = AF_INET6;
	g->sin6_port = htons(n->port);
	if (inet_pton(AF_INET6, text, &g->sin6_addr) != 1 || !IN6_IS_ADDR_MULTICAST(&g->sin6_addr))
		return vnet_err(err, errlen, "group %s is not an IPv6 multicast address", text);
	n->group_len = sizeof(*g);
	mr.ipv6mr_multiaddr = g->sin6_addr;
	if (setsockopt(n->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) < 0 ||
	    setsockopt(n->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof(idx)) < 0 ||
	    setsockopt(n->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) < 0 ||
	    setsockopt(n->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &t, sizeof(t)) < 0 ||
	    setsockopt(n->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0)
		return vnet_err(err, errlen, "joining %s on %s: %s", text, u->name, strerror(errno));
	return 0;
}

int cnet_open(struct cnet *n, const struct kern_underlay *u, uint16_t port, const char *group,
	      unsigned ttl, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int on = 1, rc;
	const char *text = *group ? group : u->family == AF_INET ? XENVNETD_DEFAULT_GROUP : XENVNETD_DEFAULT_GROUP6;

	memset(n, 0, sizeof(*n));
	n->family = u->family;
	n->port = port;
	n->fd = socket(u->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		return vnet_err(err, errlen, "control socket: %s", strerror(errno));
	if (u->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		setsockopt(n->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		sl = sizeof(*s);
	}
	setsockopt(n->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* Bursts of announcements (a host joining with thousands of MACs)
	 * must queue, not drop: root may exceed net.core.rmem_max. */
	int rcvbuf = 4 << 20;
	if (setsockopt(n->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(n->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(n->fd, (struct sockaddr *)&ss, sl) < 0) {
		rc = vnet_err(err, errlen, "control socket: bind to port %u: %s", port, strerror(errno));
		goto fail;
	}
	rc = u->family == AF_INET ? join4(n, u, text, ttl, err, errlen) : join6(n, u, text, ttl, err, errlen);
	if (rc == 0)
		return 0;
fail:
	cnet_close(n);
	return rc;
}

void cnet_close(struct cnet *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

int cnet_recv(struct cnet *n, uint8_t *buf, size_t cap, struct cnet_rx *rx)
{
	struct sockaddr_storage from;
	char ctrl[128];
	struct iovec iov = { buf, cap };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
	ssize_t got = recvmsg(n->fd, &mh, 0);

	if (got < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
	memset(rx, 0, sizeof(*rx));
	rx->len = (size_t)got;
	if (from.ss_family == AF_INET)
		proto_addr_from_in(&rx->src, &((struct sockaddr_in *)&from)->sin_addr);
	else
		proto_addr_from_in6(&rx->src, &((struct sockaddr_in6 *)&from)->sin6_addr);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			rx->multicast = IN_MULTICAST(ntohl(pi.ipi_addr.s_addr));
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			rx->multicast = IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr);
		}
	}
	return 0;
}

int cnet_send_group(struct cnet *n, const void *buf, size_t len)
{
	return sendto(n->fd, buf, len, 0, (struct sockaddr *)&n->group, n->group_len) < 0 ? -1 : 0;
}

int cnet_send_to(struct cnet *n, const struct proto_addr *to, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	struct in_addr a4;

	if (proto_addr_to_in(to, &a4)) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		if (n->family != AF_INET)
			return -1;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		s->sin_addr = a4;
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		if (n->family != AF_INET6)
			return -1;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, to->b, 16);
		sl = sizeof(*s);
	}
	return sendto(n->fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0 ? -1 : 0;
}
