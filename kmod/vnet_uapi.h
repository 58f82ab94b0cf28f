/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vnet link attributes and wire header, shared by the module and by
 * user space (xenvnetd).  docs/vnet-wire.md specifies the header.
 */
#ifndef _UAPI_VNET_H
#define _UAPI_VNET_H

#include <linux/types.h>

#define VNET_DEFAULT_PORT	1798
#define VNET_ID_LEN		16
#define VNET_VERSION		1
#define VNET_PROTO_TEB		0x6558	/* an Ethernet frame follows */

/* IFLA_INFO_DATA of link kind "vnet" */
enum {
	IFLA_VNET_UNSPEC,
	IFLA_VNET_ID,		/* 16 bytes, the 128-bit id, big endian */
	IFLA_VNET_PORT,		/* __be16 UDP port, default 1798 */
	IFLA_VNET_LOCAL,	/* __be32 local IPv4 address */
	IFLA_VNET_LOCAL6,	/* struct in6_addr local IPv6 address */
	IFLA_VNET_GROUP,	/* __be32 IPv4 multicast group */
	IFLA_VNET_GROUP6,	/* struct in6_addr IPv6 multicast group */
	IFLA_VNET_LINK,		/* __u32 ifindex of the underlay device */
	IFLA_VNET_TTL,		/* __u8, 0: the route's default (1 to a group) */
	IFLA_VNET_LEARNING,	/* __u8, 1: learn senders' MACs (default) */
	__IFLA_VNET_MAX
};

#define IFLA_VNET_MAX	(__IFLA_VNET_MAX - 1)

/* The header after the UDP header, 20 bytes */
struct vnethdr {
	__u8	version;	/* VNET_VERSION */
	__u8	flags;		/* none defined: sent as 0, ignored */
	__be16	proto;		/* VNET_PROTO_TEB */
	__u8	id[VNET_ID_LEN];
};

#endif /* _UAPI_VNET_H */
