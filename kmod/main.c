// SPDX-License-Identifier: GPL-2.0
/*
 * vnet: virtual Ethernet networks over UDP, named by 128-bit ids.
 * Module entry: per-namespace state, the link kind and test interfaces.
 */
#include <linux/module.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

#include "vnet.h"

unsigned int vnet_net_id;

static bool test_ifaces;
module_param(test_ifaces, bool, 0444);
MODULE_PARM_DESC(test_ifaces,
		 "Create vnif0002-vnif0004 (ids 2-4, group 224.10.0.1) at load");

static __net_init int vnet_init_net(struct net *net)
{
	struct vnet_net *vn = net_generic(net, vnet_net_id);

	INIT_LIST_HEAD(&vn->devs);
	INIT_HLIST_HEAD(&vn->socks);
	spin_lock_init(&vn->ids_lock);
	return 0;
}

/* Devices whose socket lives in a dying namespace go with it. */
static void __net_exit vnet_exit_batch_net(struct list_head *net_list)
{
	struct vnet_dev *vnet, *tmp;
	struct net *net;
	LIST_HEAD(list);

	rtnl_lock();
	list_for_each_entry(net, net_list, exit_list) {
		struct vnet_net *vn = net_generic(net, vnet_net_id);

		list_for_each_entry_safe(vnet, tmp, &vn->devs, next)
			vnet_link_ops.dellink(vnet->dev, &list);
	}
	unregister_netdevice_many(&list);
	rtnl_unlock();
}

static struct pernet_operations vnet_net_ops = {
	.init = vnet_init_net,
	.exit_batch = vnet_exit_batch_net,
	.id = &vnet_net_id,
	.size = sizeof(struct vnet_net),
};

/* What the original vnet module offered for its self-test. */
static void vnet_create_test_ifaces(void)
{
	struct vnet_cfg cfg;
	int i, err;

	rtnl_lock();
	for (i = 2; i <= 4; i++) {
		struct net_device *dev;
		char name[IFNAMSIZ];

		snprintf(name, sizeof(name), "vnif%04x", i);
		dev = alloc_netdev(sizeof(struct vnet_dev), name, NET_NAME_USER,
				   vnet_setup);
		if (!dev)
			break;
		dev->rtnl_link_ops = &vnet_link_ops;
		vnet_cfg_default(&cfg);
		cfg.id[VNET_ID_LEN - 1] = i;
		cfg.group.sin.sin_family = AF_INET;
		cfg.group.sin.sin_addr.s_addr = htonl(0xe00a0001);
		err = vnet_register(&init_net, dev, &cfg, false, NULL);
		if (err) {
			pr_warn("vnet: cannot create %s: %d\n", name, err);
			free_netdev(dev);
		}
	}
	rtnl_unlock();
}

static int __init vnet_module_init(void)
{
	int err;

	err = register_pernet_subsys(&vnet_net_ops);
	if (err)
		return err;
	err = rtnl_link_register(&vnet_link_ops);
	if (err) {
		unregister_pernet_subsys(&vnet_net_ops);
		return err;
	}
	if (test_ifaces)
		vnet_create_test_ifaces();
	return 0;
}

static void __exit vnet_module_exit(void)
{
	rtnl_link_unregister(&vnet_link_ops);
	unregister_pernet_subsys(&vnet_net_ops);
	/* FDB entries and sockets are freed by RCU callbacks in this module */
	rcu_barrier();
}

module_init(vnet_module_init);
module_exit(vnet_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Virtual Ethernet networks over UDP with 128-bit ids");
MODULE_AUTHOR("xenvnet authors");
MODULE_ALIAS_RTNL_LINK("vnet");
