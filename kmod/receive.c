// SPDX-License-Identifier: GPL-2.0
/*
 * vnet receive path: the UDP sockets the devices share, the encap_rcv
 * hook that finds a device by the 128-bit id, and GRO.
 */
#include <linux/igmp.h>
#include <linux/slab.h>
#include <net/gro.h>
#include <net/ip.h>
#include <net/ip_tunnels.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/netns/generic.h>

#include "vnet.h"

static struct vnet_dev *vnet_find_id(struct vnet_sock *vs, const u8 *id)
{
	struct vnet_dev *vnet;

	hash_for_each_possible_rcu(vs->ids, vnet, id_node, vnet_id_hash(id))
		if (!memcmp(vnet->cfg.id, id, VNET_ID_LEN))
			return vnet;
	return NULL;
}

static bool vnet_hdr_ok(const struct vnethdr *vh)
{
	return vh->version == VNET_VERSION &&
	       vh->proto == htons(VNET_PROTO_TEB);
}

/* Called by UDP with skb->data at the UDP header; always consumes. */
static int vnet_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct vnet_sock *vs = rcu_dereference_sk_user_data(sk);
	struct vnet_dev *vnet;
	union vnet_addr saddr;
	struct vnethdr *vh;
	unsigned int len;

	if (!vs)
		goto drop;
	if (!pskb_may_pull(skb, VNET_HLEN + ETH_HLEN)) {
		atomic_long_inc(&vs->rx_bad_header);
		goto drop;
	}
	vh = (struct vnethdr *)(udp_hdr(skb) + 1);
	if (!vnet_hdr_ok(vh)) {
		atomic_long_inc(&vs->rx_bad_header);
		goto drop;
	}
	vnet = vnet_find_id(vs, vh->id);
	if (!vnet) {
		atomic_long_inc(&vs->rx_unknown_id);
		goto drop;
	}
	if (!(vnet->dev->flags & IFF_UP))
		goto drop_dev;

	memset(&saddr, 0, sizeof(saddr));
	if (sk->sk_family == AF_INET6) {
		saddr.sin6.sin6_family = AF_INET6;
		saddr.sin6.sin6_addr = ipv6_hdr(skb)->saddr;
	} else {
		saddr.sin.sin_family = AF_INET;
		saddr.sin.sin_addr.s_addr = ip_hdr(skb)->saddr;
	}

	if (__iptunnel_pull_header(skb, VNET_HLEN, htons(ETH_P_TEB), false,
				   !net_eq(vnet->net, dev_net(vnet->dev))))
		goto drop_dev;
	skb_reset_mac_header(skb);
	skb->protocol = eth_type_trans(skb, vnet->dev);
	skb_postpull_rcsum(skb, eth_hdr(skb), ETH_HLEN);
	/* our own frame back (a loop, or multicast echo) */
	if (ether_addr_equal(eth_hdr(skb)->h_source, vnet->dev->dev_addr))
		goto drop_dev;
	if (vnet->cfg.learning)
		vnet_fdb_learn(vnet, eth_hdr(skb)->h_source, &saddr);
	skb_reset_network_header(skb);

	len = skb->len;
	if (gro_cells_receive(&vnet->gro_cells, skb) == NET_RX_SUCCESS)
		dev_sw_netstats_rx_add(vnet->dev, len);
	else
		dev_core_stats_rx_dropped_inc(vnet->dev);
	return 0;

drop_dev:
	dev_core_stats_rx_dropped_inc(vnet->dev);
drop:
	kfree_skb(skb);
	return 0;
}

static struct sk_buff *vnet_gro_receive(struct sock *sk,
					struct list_head *head,
					struct sk_buff *skb)
{
	unsigned int off = skb_gro_offset(skb);
	struct sk_buff *pp = NULL, *p;
	const struct vnethdr *vh;
	int flush = 1;

	vh = skb_gro_header(skb, off + sizeof(*vh), off);
	if (!vh || !vnet_hdr_ok(vh))
		goto out;
	skb_gro_postpull_rcsum(skb, vh, sizeof(*vh));

	/* frames of another vnet never merge */
	list_for_each_entry(p, head, list) {
		if (!NAPI_GRO_CB(p)->same_flow)
			continue;
		if (memcmp(vh, p->data + off, sizeof(*vh)))
			NAPI_GRO_CB(p)->same_flow = 0;
	}
	skb_gro_pull(skb, sizeof(*vh));
	pp = call_gro_receive(eth_gro_receive, head, skb);
	flush = 0;
out:
	skb_gro_flush_final(skb, pp, flush);
	return pp;
}

static int vnet_gro_complete(struct sock *sk, struct sk_buff *skb, int nhoff)
{
	return eth_gro_complete(skb, nhoff + sizeof(struct vnethdr));
}

static struct vnet_sock *vnet_sock_create(struct net *net, __be16 port,
					  sa_family_t family)
{
	struct udp_tunnel_sock_cfg tcfg = { };
	struct udp_port_cfg ucfg = { };
	struct vnet_sock *vs;
	struct socket *sock;
	int err;

	vs = kzalloc(sizeof(*vs), GFP_KERNEL);
	if (!vs)
		return ERR_PTR(-ENOMEM);
	ucfg.family = family;
	ucfg.local_udp_port = port;
	if (family == AF_INET6) {
		ucfg.ipv6_v6only = 1;
		ucfg.use_udp6_rx_checksums = 1;
	}
	err = udp_sock_create(net, &ucfg, &sock);
	if (err < 0) {
		kfree(vs);
		return ERR_PTR(err);
	}
	vs->sock = sock;
	hash_init(vs->ids);
	refcount_set(&vs->refcnt, 1);

	tcfg.sk_user_data = vs;
	tcfg.encap_type = 1;
	tcfg.encap_rcv = vnet_rcv;
	tcfg.gro_receive = vnet_gro_receive;
	tcfg.gro_complete = vnet_gro_complete;
	setup_udp_tunnel_sock(net, sock, &tcfg);
	return vs;
}

static struct vnet_sock *vnet_sock_find(struct vnet_net *vn, __be16 port,
					sa_family_t family)
{
	struct vnet_sock *vs;

	hlist_for_each_entry(vs, &vn->socks, node)
		if (vs->sock->sk->sk_family == family &&
		    inet_sk(vs->sock->sk)->inet_sport == port)
			return vs;
	return NULL;
}

/* Another running device already holds the membership. */
static bool vnet_group_shared(struct vnet_net *vn, struct vnet_dev *vnet,
			      struct vnet_sock *vs)
{
	struct vnet_dev *o;

	list_for_each_entry(o, &vn->devs, next)
		if (o != vnet && rtnl_dereference(o->vs) == vs &&
		    o->cfg.link == vnet->cfg.link &&
		    vnet_addr_equal(&o->cfg.group, &vnet->cfg.group))
			return true;
	return false;
}

static int vnet_group_op(struct vnet_dev *vnet, struct sock *sk, bool join)
{
	const union vnet_addr *g = &vnet->cfg.group;
	int err;

	lock_sock(sk);
	if (g->sa.sa_family == AF_INET) {
		struct ip_mreqn mreq = {
			.imr_multiaddr.s_addr = g->sin.sin_addr.s_addr,
			.imr_ifindex = vnet->cfg.link,
		};

		err = join ? ip_mc_join_group(sk, &mreq) :
			     ip_mc_leave_group(sk, &mreq);
	} else if (join) {
		err = ipv6_stub->ipv6_sock_mc_join(sk, vnet->cfg.link,
						   &g->sin6.sin6_addr);
	} else {
		err = ipv6_stub->ipv6_sock_mc_drop(sk, vnet->cfg.link,
						   &g->sin6.sin6_addr);
	}
	release_sock(sk);
	return err == -EADDRINUSE ? 0 : err;
}

/* ndo_open, under RTNL: take the socket for our port and family, be
 * found by id on it, and join the group.
 */
int vnet_sock_attach(struct vnet_dev *vnet)
{
	struct vnet_net *vn = net_generic(vnet->net, vnet_net_id);
	sa_family_t family = vnet->cfg.local.sa.sa_family;
	struct vnet_sock *vs;
	int err;

	vs = vnet_sock_find(vn, vnet->cfg.port, family);
	if (vs) {
		refcount_inc(&vs->refcnt);
	} else {
		vs = vnet_sock_create(vnet->net, vnet->cfg.port, family);
		if (IS_ERR(vs))
			return PTR_ERR(vs);
		hlist_add_head(&vs->node, &vn->socks);
	}
	if (vnet->cfg.group.sa.sa_family != AF_UNSPEC &&
	    !vnet_group_shared(vn, vnet, vs)) {
		err = vnet_group_op(vnet, vs->sock->sk, true);
		if (err) {
			rcu_assign_pointer(vnet->vs, vs);
			vnet_sock_detach(vnet);
			return err;
		}
	}
	spin_lock_bh(&vn->ids_lock);
	hash_add_rcu(vs->ids, &vnet->id_node, vnet_id_hash(vnet->cfg.id));
	spin_unlock_bh(&vn->ids_lock);
	rcu_assign_pointer(vnet->vs, vs);
	return 0;
}

/* ndo_stop, under RTNL. */
void vnet_sock_detach(struct vnet_dev *vnet)
{
	struct vnet_net *vn = net_generic(vnet->net, vnet_net_id);
	struct vnet_sock *vs = rtnl_dereference(vnet->vs);

	if (!vs)
		return;
	if (vnet->cfg.group.sa.sa_family != AF_UNSPEC &&
	    !vnet_group_shared(vn, vnet, vs))
		vnet_group_op(vnet, vs->sock->sk, false);
	spin_lock_bh(&vn->ids_lock);
	if (!hlist_unhashed(&vnet->id_node))
		hash_del_rcu(&vnet->id_node);
	spin_unlock_bh(&vn->ids_lock);
	RCU_INIT_POINTER(vnet->vs, NULL);
	if (!refcount_dec_and_test(&vs->refcnt))
		return;
	hlist_del(&vs->node);
	synchronize_net();
	udp_tunnel_sock_release(vs->sock);
	kfree_rcu(vs, rcu);
}
