/* Links of kind "vnet" (kmod/, vnet.ko) over raw rtnetlink: libnl has no
 * helper for the kind, so its IFLA_VNET_* attributes are built and read
 * here.  Used by dp_vnet.c and by the module's tests (kmod/tests/vnetlink). */
#ifndef XENVNETD_DP_VNET_LINK_H
#define XENVNETD_DP_VNET_LINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <netlink/netlink.h>

#include "vnet_id.h"

struct vnet_link {
	struct vnet_id id;
	uint16_t port;          /* host order */
	int family;             /* of the underlay: AF_INET or AF_INET6 */
	struct in6_addr local;  /* IPv4 in the first 4 bytes */
	bool has_group;
	struct in6_addr group;
	uint32_t link;          /* underlay ifindex, 0: any */
	uint8_t ttl;            /* 0: the route's (1 to the group) */
	bool learning;
};

/* Create @name as @v says, in device group @devgroup (0: leave), with
 * @mtu (0: the module's), enslaved to @master (0: none) and up when @up.
 * 0 or -NLE_*. */
int vnet_link_create(struct nl_sock *sk, const char *name, const struct vnet_link *v, uint32_t devgroup,
		     unsigned mtu, int master, bool up);

/* Read @name: 1 and @v filled when it is a vnet link, 0 when it is a link
 * of another kind, -NLE_OBJ_NOTFOUND when there is none, else -NLE_*. */
int vnet_link_read(const char *name, struct vnet_link *v);

bool vnet_link_equal(const struct vnet_link *a, const struct vnet_link *b);

#endif
