// SPDX-License-Identifier: GPL-2.0
/*
 * vnet network device: setup, open/stop, statistics and the per-device
 * counters in /sys/class/net/DEV/vnet/.
 */
#include <linux/if_arp.h>
#include <net/netns/generic.h>

#include "vnet.h"

static int vnet_init(struct net_device *dev)
{
	struct vnet_dev *vnet = netdev_priv(dev);
	int err;

	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		return -ENOMEM;
	err = gro_cells_init(&vnet->gro_cells, dev);
	if (err) {
		free_percpu(dev->tstats);
		return err;
	}
	return 0;
}

static void vnet_uninit(struct net_device *dev)
{
	struct vnet_dev *vnet = netdev_priv(dev);

	vnet_fdb_flush(vnet, true);
	gro_cells_destroy(&vnet->gro_cells);
	free_percpu(dev->tstats);
}

static int vnet_open(struct net_device *dev)
{
	struct vnet_dev *vnet = netdev_priv(dev);
	int err;

	err = vnet_sock_attach(vnet);
	if (err)
		return err;
	mod_timer(&vnet->gc_timer, jiffies + VNET_GC_PERIOD);
	return 0;
}

static int vnet_stop(struct net_device *dev)
{
	struct vnet_dev *vnet = netdev_priv(dev);

	vnet_sock_detach(vnet);
	del_timer_sync(&vnet->gc_timer);
	vnet_fdb_flush(vnet, false);
	return 0;
}

static const struct net_device_ops vnet_netdev_ops = {
	.ndo_init		= vnet_init,
	.ndo_uninit		= vnet_uninit,
	.ndo_open		= vnet_open,
	.ndo_stop		= vnet_stop,
	.ndo_start_xmit		= vnet_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_fdb_add		= vnet_fdb_add,
	.ndo_fdb_del		= vnet_fdb_del,
	.ndo_fdb_dump		= vnet_fdb_dump,
};

static const struct device_type vnet_type = {
	.name = "vnet",
};

/* Counters of the socket are shared by the devices on its port: a
 * frame with an unknown id or a bad header belongs to no device.
 */
static unsigned long vnet_sock_counter(struct vnet_dev *vnet, size_t off)
{
	struct vnet_sock *vs;
	unsigned long v = 0;

	rcu_read_lock();
	vs = rcu_dereference(vnet->vs);
	if (vs)
		v = atomic_long_read((atomic_long_t *)((char *)vs + off));
	rcu_read_unlock();
	return v;
}

static ssize_t rx_unknown_id_show(struct device *d,
				  struct device_attribute *attr, char *buf)
{
	struct vnet_dev *vnet = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%lu\n", vnet_sock_counter(vnet,
			  offsetof(struct vnet_sock, rx_unknown_id)));
}
static DEVICE_ATTR_RO(rx_unknown_id);

static ssize_t rx_bad_header_show(struct device *d,
				  struct device_attribute *attr, char *buf)
{
	struct vnet_dev *vnet = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%lu\n", vnet_sock_counter(vnet,
			  offsetof(struct vnet_sock, rx_bad_header)));
}
static DEVICE_ATTR_RO(rx_bad_header);

static ssize_t tx_no_fdb_show(struct device *d,
			      struct device_attribute *attr, char *buf)
{
	struct vnet_dev *vnet = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%lu\n", atomic_long_read(&vnet->tx_no_fdb));
}
static DEVICE_ATTR_RO(tx_no_fdb);

static ssize_t tx_too_big_show(struct device *d,
			       struct device_attribute *attr, char *buf)
{
	struct vnet_dev *vnet = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%lu\n", atomic_long_read(&vnet->tx_too_big));
}
static DEVICE_ATTR_RO(tx_too_big);

static ssize_t id_show(struct device *d, struct device_attribute *attr,
		       char *buf)
{
	struct vnet_dev *vnet = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%16phN\n", vnet->cfg.id);
}
static DEVICE_ATTR_RO(id);

/* The underlay's address, for the vif hook (hotplug/vif-post.d). */
static ssize_t local_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct vnet_dev *vnet = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%pISc\n", &vnet->cfg.local.sa);
}
static DEVICE_ATTR_RO(local);

static struct attribute *vnet_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_local.attr,
	&dev_attr_rx_unknown_id.attr,
	&dev_attr_rx_bad_header.attr,
	&dev_attr_tx_no_fdb.attr,
	&dev_attr_tx_too_big.attr,
	NULL,
};

static const struct attribute_group vnet_attr_group = {
	.name = "vnet",
	.attrs = vnet_attrs,
};

void vnet_setup(struct net_device *dev)
{
	struct vnet_dev *vnet = netdev_priv(dev);

	ether_setup(dev);
	dev->needs_free_netdev = true;
	SET_NETDEV_DEVTYPE(dev, &vnet_type);
	dev->netdev_ops = &vnet_netdev_ops;
	dev->features |= NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM |
			 NETIF_F_GSO_SOFTWARE;
#ifdef NETIF_F_LLTX
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;	/* 6.12: no longer a feature bit */
#endif
	dev->hw_features |= NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM |
			    NETIF_F_GSO_SOFTWARE;
	netif_keep_dst(dev);
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_NO_QUEUE | IFF_LIVE_ADDR_CHANGE;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	dev->sysfs_groups[0] = &vnet_attr_group;
	eth_hw_addr_random(dev);

	memset(vnet, 0, sizeof(*vnet));
	vnet->dev = dev;
	INIT_LIST_HEAD(&vnet->next);
	INIT_HLIST_NODE(&vnet->id_node);
	vnet_fdb_init(vnet);
}

/* Another device already answers to this id on this port and family. */
static bool vnet_id_taken(struct vnet_net *vn, const struct vnet_cfg *cfg)
{
	struct vnet_dev *o;

	list_for_each_entry(o, &vn->devs, next)
		if (o->cfg.port == cfg->port &&
		    o->cfg.local.sa.sa_family == cfg->local.sa.sa_family &&
		    !memcmp(o->cfg.id, cfg->id, VNET_ID_LEN))
			return true;
	return false;
}

/* Under RTNL, before register_netdevice(): take @cfg, take the
 * underlay's MTU (unless @keep_mtu: frames too big once wrapped are
 * answered or fragmented, see send.c) and add the group as the flood
 * destination.
 */
int vnet_configure(struct net_device *dev, const struct vnet_cfg *cfg,
		   bool keep_mtu, struct netlink_ext_ack *extack)
{
	struct vnet_dev *vnet = netdev_priv(dev);
	struct vnet_net *vn = net_generic(vnet->net, vnet_net_id);
	unsigned int over = cfg->local.sa.sa_family == AF_INET6 ?
			    VNET_OVERHEAD6 : VNET_OVERHEAD4;
	unsigned int lower_mtu = ETH_DATA_LEN;
	int err;

	if (vnet_id_taken(vn, cfg)) {
		NL_SET_ERR_MSG(extack, "a vnet device with this id, port and family exists");
		return -EEXIST;
	}
	if (cfg->link) {
		struct net_device *lower = __dev_get_by_index(vnet->net,
							       cfg->link);

		if (!lower) {
			NL_SET_ERR_MSG(extack, "no such underlay device");
			return -ENODEV;
		}
		lower_mtu = lower->mtu;
	}
	vnet->cfg = *cfg;
	dev->needed_headroom = over - ETH_HLEN + LL_MAX_HEADER;
	if (!keep_mtu)
		dev->mtu = lower_mtu;
	if (cfg->group.sa.sa_family != AF_UNSPEC) {
		static const u8 zero[ETH_ALEN];

		err = vnet_fdb_update(vnet, zero, &cfg->group,
				      NUD_NOARP | NUD_PERMANENT,
				      NLM_F_CREATE | NLM_F_EXCL);
		if (err)
			return err;
	}
	return 0;
}
