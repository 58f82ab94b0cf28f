// SPDX-License-Identifier: GPL-2.0
/*
 * vnet rtnetlink: link kind "vnet" and its IFLA_VNET_* attributes.
 */
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

#include "vnet.h"

static const struct nla_policy vnet_policy[IFLA_VNET_MAX + 1] = {
	[IFLA_VNET_ID]		= NLA_POLICY_EXACT_LEN(VNET_ID_LEN),
	[IFLA_VNET_PORT]	= { .type = NLA_BE16 },
	[IFLA_VNET_LOCAL]	= NLA_POLICY_EXACT_LEN(sizeof(__be32)),
	[IFLA_VNET_LOCAL6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[IFLA_VNET_GROUP]	= NLA_POLICY_EXACT_LEN(sizeof(__be32)),
	[IFLA_VNET_GROUP6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[IFLA_VNET_LINK]	= { .type = NLA_U32 },
	[IFLA_VNET_TTL]		= { .type = NLA_U8 },
	[IFLA_VNET_LEARNING]	= { .type = NLA_U8 },
};

void vnet_cfg_default(struct vnet_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = htons(VNET_DEFAULT_PORT);
	cfg->local.sa.sa_family = AF_INET;
	cfg->learning = true;
}

static int vnet_validate(struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN ||
		    !is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS]))) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
					    "invalid Ethernet address");
			return -EADDRNOTAVAIL;
		}
	}
	if (!data || !data[IFLA_VNET_ID]) {
		NL_SET_ERR_MSG(extack, "a vnet link needs an id");
		return -EINVAL;
	}
	if ((data[IFLA_VNET_LOCAL] || data[IFLA_VNET_GROUP]) &&
	    (data[IFLA_VNET_LOCAL6] || data[IFLA_VNET_GROUP6])) {
		NL_SET_ERR_MSG(extack, "IPv4 and IPv6 addresses mixed");
		return -EINVAL;
	}
	if (data[IFLA_VNET_PORT] && !nla_get_be16(data[IFLA_VNET_PORT])) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_VNET_PORT],
				    "port 0 is not a port");
		return -EINVAL;
	}
	return 0;
}

static int vnet_parse(struct nlattr *data[], struct vnet_cfg *cfg,
		      struct netlink_ext_ack *extack)
{
	vnet_cfg_default(cfg);
	nla_memcpy(cfg->id, data[IFLA_VNET_ID], VNET_ID_LEN);
	if (data[IFLA_VNET_PORT])
		cfg->port = nla_get_be16(data[IFLA_VNET_PORT]);
	if (data[IFLA_VNET_LOCAL6] || data[IFLA_VNET_GROUP6]) {
		if (!IS_ENABLED(CONFIG_IPV6)) {
			NL_SET_ERR_MSG(extack, "no IPv6 in this kernel");
			return -EPFNOSUPPORT;
		}
		cfg->local.sa.sa_family = AF_INET6;
	}
	if (data[IFLA_VNET_LOCAL])
		cfg->local.sin.sin_addr.s_addr =
			nla_get_in_addr(data[IFLA_VNET_LOCAL]);
	if (data[IFLA_VNET_LOCAL6])
		cfg->local.sin6.sin6_addr =
			nla_get_in6_addr(data[IFLA_VNET_LOCAL6]);
	if (data[IFLA_VNET_GROUP]) {
		cfg->group.sin.sin_family = AF_INET;
		cfg->group.sin.sin_addr.s_addr =
			nla_get_in_addr(data[IFLA_VNET_GROUP]);
	}
	if (data[IFLA_VNET_GROUP6]) {
		cfg->group.sin6.sin6_family = AF_INET6;
		cfg->group.sin6.sin6_addr =
			nla_get_in6_addr(data[IFLA_VNET_GROUP6]);
	}
	if (cfg->group.sa.sa_family != AF_UNSPEC &&
	    !vnet_addr_multicast(&cfg->group)) {
		NL_SET_ERR_MSG(extack, "the group is not a multicast address");
		return -EINVAL;
	}
	if (vnet_addr_multicast(&cfg->local)) {
		NL_SET_ERR_MSG(extack, "the local address is a multicast one");
		return -EINVAL;
	}
	if (data[IFLA_VNET_LINK])
		cfg->link = nla_get_u32(data[IFLA_VNET_LINK]);
	if (data[IFLA_VNET_TTL])
		cfg->ttl = nla_get_u8(data[IFLA_VNET_TTL]);
	if (data[IFLA_VNET_LEARNING])
		cfg->learning = !!nla_get_u8(data[IFLA_VNET_LEARNING]);
	return 0;
}

/* Under RTNL: configure and register @dev, its socket in @net. */
int vnet_register(struct net *net, struct net_device *dev,
		  const struct vnet_cfg *cfg, bool keep_mtu,
		  struct netlink_ext_ack *extack)
{
	struct vnet_net *vn = net_generic(net, vnet_net_id);
	struct vnet_dev *vnet = netdev_priv(dev);
	int err;

	vnet->net = net;
	err = vnet_configure(dev, cfg, keep_mtu, extack);
	if (!err)
		err = register_netdevice(dev);
	if (err) {
		vnet_fdb_flush(vnet, true);
		return err;
	}
	list_add(&vnet->next, &vn->devs);
	return 0;
}

static int vnet_newlink(struct net *src_net, struct net_device *dev,
			struct nlattr *tb[], struct nlattr *data[],
			struct netlink_ext_ack *extack)
{
	struct vnet_cfg cfg;
	int err;

	err = vnet_parse(data, &cfg, extack);
	if (err)
		return err;
	return vnet_register(src_net, dev, &cfg, !!tb[IFLA_MTU], extack);
}

static int vnet_changelink(struct net_device *dev, struct nlattr *tb[],
			   struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	if (!data)
		return 0;
	NL_SET_ERR_MSG(extack, "vnet parameters are fixed: delete and add the link");
	return -EOPNOTSUPP;
}

static void vnet_dellink(struct net_device *dev, struct list_head *head)
{
	struct vnet_dev *vnet = netdev_priv(dev);

	list_del(&vnet->next);
	unregister_netdevice_queue(dev, head);
}

static size_t vnet_get_size(const struct net_device *dev)
{
	return nla_total_size(VNET_ID_LEN) +			/* ID */
	       nla_total_size(sizeof(__be16)) +			/* PORT */
	       nla_total_size(sizeof(struct in6_addr)) +	/* LOCAL(6) */
	       nla_total_size(sizeof(struct in6_addr)) +	/* GROUP(6) */
	       nla_total_size(sizeof(u32)) +			/* LINK */
	       nla_total_size(sizeof(u8)) +			/* TTL */
	       nla_total_size(sizeof(u8));			/* LEARNING */
}

static int vnet_put_addr(struct sk_buff *skb, int type4, int type6,
			 const union vnet_addr *a)
{
	if (a->sa.sa_family == AF_INET6)
		return nla_put_in6_addr(skb, type6, &a->sin6.sin6_addr);
	return nla_put_in_addr(skb, type4, a->sin.sin_addr.s_addr);
}

static int vnet_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	const struct vnet_dev *vnet = netdev_priv(dev);
	const struct vnet_cfg *cfg = &vnet->cfg;

	if (nla_put(skb, IFLA_VNET_ID, VNET_ID_LEN, cfg->id) ||
	    nla_put_be16(skb, IFLA_VNET_PORT, cfg->port) ||
	    vnet_put_addr(skb, IFLA_VNET_LOCAL, IFLA_VNET_LOCAL6, &cfg->local) ||
	    (cfg->group.sa.sa_family != AF_UNSPEC &&
	     vnet_put_addr(skb, IFLA_VNET_GROUP, IFLA_VNET_GROUP6,
			   &cfg->group)) ||
	    (cfg->link && nla_put_u32(skb, IFLA_VNET_LINK, cfg->link)) ||
	    nla_put_u8(skb, IFLA_VNET_TTL, cfg->ttl) ||
	    nla_put_u8(skb, IFLA_VNET_LEARNING, cfg->learning))
		return -EMSGSIZE;
	return 0;
}

static struct net *vnet_get_link_net(const struct net_device *dev)
{
	const struct vnet_dev *vnet = netdev_priv(dev);

	return vnet->net;
}

struct rtnl_link_ops vnet_link_ops __read_mostly = {
	.kind		= "vnet",
	.maxtype	= IFLA_VNET_MAX,
	.policy		= vnet_policy,
	.priv_size	= sizeof(struct vnet_dev),
	.setup		= vnet_setup,
	.validate	= vnet_validate,
	.newlink	= vnet_newlink,
	.changelink	= vnet_changelink,
	.dellink	= vnet_dellink,
	.get_size	= vnet_get_size,
	.fill_info	= vnet_fill_info,
	.get_link_net	= vnet_get_link_net,
};
