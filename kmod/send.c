// SPDX-License-Identifier: GPL-2.0
/*
 * vnet send path: look the destination MAC up, then wrap the frame in
 * the vnet header and UDP once per remote (head-end replication for the
 * all-zero entry), with the kernel's UDP tunnel offloads.
 */
#include <net/dst_cache.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip_tunnels.h>
#include <net/ip6_tunnel.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>

#include "vnet.h"

static const u8 vnet_flood_mac[ETH_ALEN];

static void vnet_push_hdr(struct vnet_dev *vnet, struct sk_buff *skb)
{
	struct vnethdr *vh = __skb_push(skb, sizeof(*vh));

	vh->version = VNET_VERSION;
	vh->flags = 0;
	vh->proto = htons(VNET_PROTO_TEB);
	memcpy(vh->id, vnet->cfg.id, VNET_ID_LEN);
	skb_set_inner_protocol(skb, htons(ETH_P_TEB));
}

/* Our own frame-too-big answer (see vnet_pmtu) as if it had come in on
 * the device: the bridge takes it back to the sender.
 */
static void vnet_loop_back(struct vnet_dev *vnet, struct sk_buff *skb)
{
	struct net_device *dev = vnet->dev;
	unsigned int len;

	skb->encapsulation = 0;
	skb_gso_reset(skb);	/* it was a TCP super-frame maybe, now ICMP */
	skb->protocol = eth_type_trans(skb, dev);
	len = skb->len;
	if (netif_rx(skb) == NET_RX_SUCCESS)
		dev_sw_netstats_rx_add(dev, len);
	else
		dev_core_stats_rx_dropped_inc(dev);
}

/* The device's MTU is the underlay's, so a frame may not fit the path
 * once wrapped in @over bytes.  A bridged device answers one with DF (or
 * any IPv6 one) by "fragmentation needed" / "packet too big" with the
 * path's MTU, sent to the guest from the address it wrote to, as the
 * kernel's own UDP tunnels do; other frames go out and the outer IPv4
 * header is fragmented.  1: @skb became that answer, and is consumed.
 */
static int vnet_pmtu(struct vnet_dev *vnet, struct sk_buff *skb,
		     struct dst_entry *dst, unsigned int over)
{
	int err = skb_tunnel_check_pmtu(skb, dst, over,
					netif_is_any_bridge_port(vnet->dev));

	if (err <= 0)
		return err;
	atomic_long_inc(&vnet->tx_too_big);
	vnet_loop_back(vnet, skb);
	return 1;
}

static u8 vnet_ttl(struct vnet_dev *vnet, const struct vnet_rdst *rd)
{
	if (vnet->cfg.ttl)
		return vnet->cfg.ttl;
	return vnet_addr_multicast(&rd->ip) ? 1 : 0;
}

static int vnet_xmit4(struct vnet_dev *vnet, struct vnet_sock *vs,
		      struct sk_buff *skb, struct vnet_rdst *rd, __be16 sport,
		      u8 tos)
{
	struct net_device *dev = vnet->dev;
	__be32 saddr = vnet->cfg.local.sin.sin_addr.s_addr;
	struct rtable *rt;
	u8 ttl;
	int err;

	rt = dst_cache_get_ip4(&rd->dst_cache, &saddr);
	if (!rt) {
		struct flowi4 fl4 = {
			.flowi4_oif = vnet->cfg.link,
			.flowi4_tos = RT_TOS(tos),
			.flowi4_proto = IPPROTO_UDP,
			.daddr = rd->ip.sin.sin_addr.s_addr,
			.saddr = saddr,
			.fl4_dport = vnet->cfg.port,
			.fl4_sport = sport,
		};

		rt = ip_route_output_key(vnet->net, &fl4);
		if (IS_ERR(rt))
			return PTR_ERR(rt);
		if (rt->dst.dev == dev) {
			ip_rt_put(rt);
			return -ELOOP;
		}
		saddr = fl4.saddr;
		dst_cache_set_ip4(&rd->dst_cache, &rt->dst, saddr);
	}
	err = vnet_pmtu(vnet, skb, &rt->dst, VNET_OVERHEAD4);
	if (err) {
		ip_rt_put(rt);
		return min(err, 0);
	}
	err = skb_cow_head(skb, LL_RESERVED_SPACE(rt->dst.dev) +
			   rt->dst.header_len + sizeof(struct iphdr) + VNET_HLEN);
	if (!err)
		err = udp_tunnel_handle_offloads(skb, false);
	if (err) {
		ip_rt_put(rt);
		return err;
	}
	vnet_push_hdr(vnet, skb);
	ttl = vnet_ttl(vnet, rd) ?: ip4_dst_hoplimit(&rt->dst);
	udp_tunnel_xmit_skb(rt, vs->sock->sk, skb, saddr,
			    rd->ip.sin.sin_addr.s_addr, tos, ttl, 0, sport,
			    vnet->cfg.port, !net_eq(vnet->net, dev_net(dev)),
			    true);
	return 0;
}

#if IS_ENABLED(CONFIG_IPV6)
static int vnet_xmit6(struct vnet_dev *vnet, struct vnet_sock *vs,
		      struct sk_buff *skb, struct vnet_rdst *rd, __be16 sport,
		      u8 tos)
{
	struct net_device *dev = vnet->dev;
	struct in6_addr saddr = vnet->cfg.local.sin6.sin6_addr;
	struct dst_entry *ndst;
	u8 ttl;
	int err;

	ndst = dst_cache_get_ip6(&rd->dst_cache, &saddr);
	if (!ndst) {
		struct flowi6 fl6 = {
			.flowi6_oif = vnet->cfg.link,
			.flowi6_proto = IPPROTO_UDP,
			.daddr = rd->ip.sin6.sin6_addr,
			.saddr = saddr,
			.fl6_dport = vnet->cfg.port,
			.fl6_sport = sport,
		};

		ndst = ipv6_stub->ipv6_dst_lookup_flow(vnet->net, vs->sock->sk,
						       &fl6, NULL);
		if (IS_ERR(ndst))
			return PTR_ERR(ndst);
		if (ndst->dev == dev) {
			dst_release(ndst);
			return -ELOOP;
		}
		saddr = fl6.saddr;
		dst_cache_set_ip6(&rd->dst_cache, ndst, &saddr);
	}
	err = vnet_pmtu(vnet, skb, ndst, VNET_OVERHEAD6);
	if (err) {
		dst_release(ndst);
		return min(err, 0);
	}
	err = skb_cow_head(skb, LL_RESERVED_SPACE(ndst->dev) +
			   ndst->header_len + sizeof(struct ipv6hdr) + VNET_HLEN);
	if (!err)
		err = udp_tunnel_handle_offloads(skb, true);
	if (err) {
		dst_release(ndst);
		return err;
	}
	vnet_push_hdr(vnet, skb);
	ttl = vnet_ttl(vnet, rd) ?: ip6_dst_hoplimit(ndst);
	/* returns int before 6.12, void since; it always sends or frees */
	udp_tunnel6_xmit_skb(ndst, vs->sock->sk, skb, dev, &saddr,
			     &rd->ip.sin6.sin6_addr, tos, ttl, 0, sport,
			     vnet->cfg.port, false);
	return 0;
}
#endif

/* Sends or frees @skb. */
static void vnet_xmit_one(struct vnet_dev *vnet, struct sk_buff *skb,
			  struct vnet_rdst *rd)
{
	struct vnet_sock *vs = rcu_dereference(vnet->vs);
	struct net_device *dev = vnet->dev;
	__be16 sport;
	int err = -ENOTCONN;
	u8 tos;

	if (!vs)
		goto drop;
	sport = udp_flow_src_port(dev_net(dev), skb, 0, 0, true);
	tos = ip_tunnel_ecn_encap(0, ip_hdr(skb), skb);
	if (rd->ip.sa.sa_family == AF_INET)
		err = vnet_xmit4(vnet, vs, skb, rd, sport, tos);
#if IS_ENABLED(CONFIG_IPV6)
	else
		err = vnet_xmit6(vnet, vs, skb, rd, sport, tos);
#endif
	if (!err)
		return;
drop:
	net_dbg_ratelimited("%s: cannot send to %pISc: %d\n", dev->name,
			    &rd->ip.sa, err);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH)
		DEV_STATS_INC(dev, tx_carrier_errors);
	dev_core_stats_tx_dropped_inc(dev);
	kfree_skb(skb);
}

netdev_tx_t vnet_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct vnet_dev *vnet = netdev_priv(dev);
	struct vnet_rdst *rd, *last = NULL;
	struct vnet_fdb *f;

	rcu_read_lock();
	skb_reset_mac_header(skb);
	f = vnet_fdb_find(vnet, eth_hdr(skb)->h_dest);
	if (!f)
		f = vnet_fdb_find(vnet, vnet_flood_mac);
	if (f) {
		vnet_touch(&f->used);
		list_for_each_entry_rcu(rd, &f->remotes, list) {
			struct sk_buff *copy;

			if (last) {
				copy = skb_clone(skb, GFP_ATOMIC);
				if (copy)
					vnet_xmit_one(vnet, copy, last);
				else
					dev_core_stats_tx_dropped_inc(dev);
			}
			last = rd;
		}
	}
	if (last) {
		vnet_xmit_one(vnet, skb, last);
	} else {
		atomic_long_inc(&vnet->tx_no_fdb);
		dev_core_stats_tx_dropped_inc(dev);
		kfree_skb(skb);
	}
	rcu_read_unlock();
	return NETDEV_TX_OK;
}
