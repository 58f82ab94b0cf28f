/* The control protocol's UDP socket: one socket per daemon, joined to the
 * discovery multicast group on the underlay, also used for unicast to
 * peers and hosts. */
#ifndef XENVNETD_CLUSTER_NET_H
#define XENVNETD_CLUSTER_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kern.h"
#include "proto.h"

struct cnet {
	int fd;
	int family;
	uint16_t port;
	struct sockaddr_storage group;  /* where multicast goes */
	socklen_t group_len;
};

/* Open, bind to port, join group (text; "" = the family's default) on the
 * underlay.  Returns 0 or -1 with a reason. */
int cnet_open(struct cnet *n, const struct kern_underlay *u, uint16_t port, const char *group,
	      unsigned ttl, char *err, size_t errlen);
void cnet_close(struct cnet *n);

/* One received datagram: who sent it, and whether to the group. */
struct cnet_rx {
	struct proto_addr src;
	bool multicast;
	size_t len;
};

/* Receive one datagram into buf; 0 ok, 1 nothing waiting, -1 error. */
int cnet_recv(struct cnet *n, uint8_t *buf, size_t cap, struct cnet_rx *rx);

int cnet_send_group(struct cnet *n, const void *buf, size_t len);
int cnet_send_to(struct cnet *n, const struct proto_addr *to, uint16_t port, const void *buf, size_t len);

/* Parse an IP literal into a proto_addr (IPv4 mapped); -1 if not one. */
int cnet_parse_addr(const char *text, struct proto_addr *out);

#endif
