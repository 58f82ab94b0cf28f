/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vnet: Ethernet over UDP with 128-bit network ids.  Internal definitions
 * shared by the files of the module, one per concern.
 */
#ifndef _VNET_H
#define _VNET_H

#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/hashtable.h>
#include <linux/in6.h>
#include <linux/jhash.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <net/dst_cache.h>
#include <net/gro_cells.h>
#include <net/udp_tunnel.h>

#include "vnet_uapi.h"

#define VNET_HLEN	(sizeof(struct udphdr) + sizeof(struct vnethdr))
#define VNET_OVERHEAD4	(ETH_HLEN + sizeof(struct iphdr) + VNET_HLEN)
#define VNET_OVERHEAD6	(ETH_HLEN + sizeof(struct ipv6hdr) + VNET_HLEN)
#define VNET_ID_HASH_BITS	8
#define VNET_FDB_HASH_BITS	8
#define VNET_AGEING		(300 * HZ)
#define VNET_GC_PERIOD		(10 * HZ)

union vnet_addr {
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr sa;
};

struct vnet_cfg {
	u8 id[VNET_ID_LEN];
	__be16 port;
	union vnet_addr local;	/* its family is the underlay's */
	union vnet_addr group;	/* AF_UNSPEC when there is none */
	int link;		/* underlay ifindex, 0 for any */
	u8 ttl;
	bool learning;
};

/* One UDP socket per (netns, port, family), shared by the devices on it. */
struct vnet_sock {
	struct hlist_node node;		/* in vnet_net.socks, under RTNL */
	struct socket *sock;
	DECLARE_HASHTABLE(ids, VNET_ID_HASH_BITS);	/* vnet_dev by id */
	refcount_t refcnt;
	atomic_long_t rx_unknown_id;
	atomic_long_t rx_bad_header;
	struct rcu_head rcu;
};

/* A destination of an FDB entry. */
struct vnet_rdst {
	struct list_head list;
	union vnet_addr ip;
	struct dst_cache dst_cache;
	struct rcu_head rcu;
};

struct vnet_fdb {
	struct hlist_node node;
	struct list_head remotes;	/* vnet_rdst; several only for 00:00:00:00:00:00 */
	unsigned long updated;
	unsigned long used;
	u16 state;			/* NUD_* */
	u8 mac[ETH_ALEN];
	struct rcu_head rcu;
};

struct vnet_dev {
	struct net_device *dev;
	struct net *net;		/* where the underlay socket lives */
	struct list_head next;		/* in vnet_net.devs */
	struct hlist_node id_node;	/* in vnet_sock.ids */
	struct vnet_sock __rcu *vs;
	struct vnet_cfg cfg;
	struct gro_cells gro_cells;

	spinlock_t fdb_lock;		/* writers of fdb */
	DECLARE_HASHTABLE(fdb, VNET_FDB_HASH_BITS);
	unsigned int fdb_count;
	struct timer_list gc_timer;

	atomic_long_t tx_no_fdb;
	atomic_long_t tx_too_big;	/* answered: does not fit the path */
};

struct vnet_net {
	struct list_head devs;		/* under RTNL */
	struct hlist_head socks;	/* under RTNL */
	spinlock_t ids_lock;		/* writers of every vnet_sock.ids */
};

extern unsigned int vnet_net_id;
extern struct rtnl_link_ops vnet_link_ops;

static inline bool vnet_addr_any(const union vnet_addr *a)
{
	if (a->sa.sa_family == AF_INET6)
		return ipv6_addr_any(&a->sin6.sin6_addr);
	return a->sin.sin_addr.s_addr == htonl(INADDR_ANY);
}

static inline bool vnet_addr_multicast(const union vnet_addr *a)
{
	if (a->sa.sa_family == AF_INET6)
		return ipv6_addr_is_multicast(&a->sin6.sin6_addr);
	return ipv4_is_multicast(a->sin.sin_addr.s_addr);
}

static inline bool vnet_addr_equal(const union vnet_addr *a, const union vnet_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return ipv6_addr_equal(&a->sin6.sin6_addr, &b->sin6.sin6_addr);
	return a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
}

/* Set a timestamp to now, without dirtying its cache line when it is. */
static inline void vnet_touch(unsigned long *t)
{
	unsigned long now = jiffies;

	if (READ_ONCE(*t) != now)
		WRITE_ONCE(*t, now);
}

static inline u32 vnet_id_hash(const u8 *id)
{
	return jhash(id, VNET_ID_LEN, 0);
}

/* device.c */
void vnet_setup(struct net_device *dev);
int vnet_configure(struct net_device *dev, const struct vnet_cfg *cfg,
		   bool keep_mtu, struct netlink_ext_ack *extack);

/* netlink.c */
void vnet_cfg_default(struct vnet_cfg *cfg);
int vnet_register(struct net *net, struct net_device *dev,
		  const struct vnet_cfg *cfg, bool keep_mtu,
		  struct netlink_ext_ack *extack);

/* receive.c */
int vnet_sock_attach(struct vnet_dev *vnet);
void vnet_sock_detach(struct vnet_dev *vnet);

/* send.c */
netdev_tx_t vnet_xmit(struct sk_buff *skb, struct net_device *dev);

/* fdb.c */
void vnet_fdb_init(struct vnet_dev *vnet);
void vnet_fdb_flush(struct vnet_dev *vnet, bool all);
struct vnet_fdb *vnet_fdb_find(struct vnet_dev *vnet, const u8 *mac);
int vnet_fdb_update(struct vnet_dev *vnet, const u8 *mac,
		    const union vnet_addr *ip, u16 state, u16 nlflags);
void vnet_fdb_learn(struct vnet_dev *vnet, const u8 *mac,
		    const union vnet_addr *ip);
int vnet_fdb_add(struct ndmsg *ndm, struct nlattr *tb[],
		 struct net_device *dev, const unsigned char *addr, u16 vid,
		 u16 flags, struct netlink_ext_ack *extack);
int vnet_fdb_del(struct ndmsg *ndm, struct nlattr *tb[],
		 struct net_device *dev, const unsigned char *addr, u16 vid,
		 struct netlink_ext_ack *extack);
int vnet_fdb_dump(struct sk_buff *skb, struct netlink_callback *cb,
		  struct net_device *dev, struct net_device *filter_dev,
		  int *idx);

#endif /* _VNET_H */
