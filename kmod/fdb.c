// SPDX-License-Identifier: GPL-2.0
/*
 * vnet forwarding database: MAC -> remote hosts, read under RCU on the
 * fast path, written under fdb_lock.  The all-zero MAC holds the hosts
 * that get broadcast and unknown frames (head-end replication); the
 * multicast group, when set, is one of them.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <net/netlink.h>
#include <net/rtnetlink.h>

#include "vnet.h"

static u64 fdb_key(const u8 *mac)
{
	return ether_addr_to_u64(mac);
}

struct vnet_fdb *vnet_fdb_find(struct vnet_dev *vnet, const u8 *mac)
{
	struct vnet_fdb *f;

	hash_for_each_possible_rcu(vnet->fdb, f, node, fdb_key(mac))
		if (ether_addr_equal(f->mac, mac))
			return f;
	return NULL;
}

static void rdst_free_rcu(struct rcu_head *head)
{
	struct vnet_rdst *rd = container_of(head, struct vnet_rdst, rcu);

	dst_cache_destroy(&rd->dst_cache);
	kfree(rd);
}

static void fdb_free_rcu(struct rcu_head *head)
{
	struct vnet_fdb *f = container_of(head, struct vnet_fdb, rcu);
	struct vnet_rdst *rd, *tmp;

	list_for_each_entry_safe(rd, tmp, &f->remotes, list) {
		dst_cache_destroy(&rd->dst_cache);
		kfree(rd);
	}
	kfree(f);
}

/* Caller holds fdb_lock. */
static void fdb_destroy(struct vnet_dev *vnet, struct vnet_fdb *f)
{
	hash_del_rcu(&f->node);
	vnet->fdb_count--;
	call_rcu(&f->rcu, fdb_free_rcu);
}

static struct vnet_rdst *rdst_find(struct vnet_fdb *f,
				   const union vnet_addr *ip)
{
	struct vnet_rdst *rd;

	list_for_each_entry_rcu(rd, &f->remotes, list)
		if (vnet_addr_equal(&rd->ip, ip))
			return rd;
	return NULL;
}

static struct vnet_rdst *rdst_new(const union vnet_addr *ip)
{
	struct vnet_rdst *rd = kzalloc(sizeof(*rd), GFP_ATOMIC);

	if (!rd)
		return NULL;
	if (dst_cache_init(&rd->dst_cache, GFP_ATOMIC)) {
		kfree(rd);
		return NULL;
	}
	rd->ip = *ip;
	return rd;
}

/* Caller holds fdb_lock.  Makes @ip the entry's only remote. */
static int rdst_replace(struct vnet_fdb *f, const union vnet_addr *ip)
{
	struct vnet_rdst *rd, *tmp, *old = NULL;

	list_for_each_entry_safe(rd, tmp, &f->remotes, list) {
		if (!old && vnet_addr_equal(&rd->ip, ip)) {
			old = rd;
			continue;
		}
		list_del_rcu(&rd->list);
		call_rcu(&rd->rcu, rdst_free_rcu);
	}
	if (old)
		return 0;
	rd = rdst_new(ip);
	if (!rd)
		return -ENOMEM;
	list_add_rcu(&rd->list, &f->remotes);
	return 0;
}

static struct vnet_fdb *fdb_create(struct vnet_dev *vnet, const u8 *mac,
				   const union vnet_addr *ip, u16 state)
{
	struct vnet_fdb *f = kzalloc(sizeof(*f), GFP_ATOMIC);
	struct vnet_rdst *rd;

	if (!f)
		return NULL;
	rd = rdst_new(ip);
	if (!rd) {
		kfree(f);
		return NULL;
	}
	INIT_LIST_HEAD(&f->remotes);
	list_add(&rd->list, &f->remotes);
	ether_addr_copy(f->mac, mac);
	f->state = state;
	f->updated = jiffies;
	f->used = jiffies;
	hash_add_rcu(vnet->fdb, &f->node, fdb_key(mac));
	vnet->fdb_count++;
	return f;
}

/* Add or change an entry with rtnetlink's NLM_F_* semantics. */
int vnet_fdb_update(struct vnet_dev *vnet, const u8 *mac,
		    const union vnet_addr *ip, u16 state, u16 nlflags)
{
	struct vnet_fdb *f;
	int err = 0;

	spin_lock_bh(&vnet->fdb_lock);
	f = vnet_fdb_find(vnet, mac);
	if (!f) {
		if (!(nlflags & NLM_F_CREATE))
			err = -ENOENT;
		else if (!fdb_create(vnet, mac, ip, state))
			err = -ENOMEM;
		goto out;
	}
	if (nlflags & NLM_F_EXCL) {
		err = -EEXIST;
		goto out;
	}
	if (nlflags & NLM_F_REPLACE) {
		err = rdst_replace(f, ip);
	} else if (nlflags & NLM_F_APPEND) {
		/* several destinations only where a frame is flooded */
		if (!is_multicast_ether_addr(mac) && !is_zero_ether_addr(mac)) {
			err = -EOPNOTSUPP;
		} else if (!rdst_find(f, ip)) {
			struct vnet_rdst *rd = rdst_new(ip);

			if (rd)
				list_add_tail_rcu(&rd->list, &f->remotes);
			else
				err = -ENOMEM;
		}
	} else if (!rdst_find(f, ip)) {
		err = -EEXIST;
	}
	if (!err) {
		WRITE_ONCE(f->state, state);
		WRITE_ONCE(f->updated, jiffies);
	}
out:
	spin_unlock_bh(&vnet->fdb_lock);
	return err;
}

/* A frame from @mac came from @ip: remember it, unless the entry is static. */
void vnet_fdb_learn(struct vnet_dev *vnet, const u8 *mac,
		    const union vnet_addr *ip)
{
	struct vnet_fdb *f = vnet_fdb_find(vnet, mac);
	struct vnet_rdst *rd;

	if (!is_valid_ether_addr(mac))
		return;
	if (f) {
		if (READ_ONCE(f->state) & (NUD_PERMANENT | NUD_NOARP))
			return;
		rd = list_first_or_null_rcu(&f->remotes, struct vnet_rdst, list);
		if (rd && vnet_addr_equal(&rd->ip, ip)) {
			vnet_touch(&f->updated);
			return;
		}
		net_dbg_ratelimited("%s: %pM moved to %pISc\n",
				    vnet->dev->name, mac, &ip->sa);
		vnet_fdb_update(vnet, mac, ip, NUD_REACHABLE, NLM_F_REPLACE);
		return;
	}
	vnet_fdb_update(vnet, mac, ip, NUD_REACHABLE,
			NLM_F_CREATE | NLM_F_EXCL);
}

/* Drop learned entries, or (@all) every entry. */
void vnet_fdb_flush(struct vnet_dev *vnet, bool all)
{
	struct hlist_node *tmp;
	struct vnet_fdb *f;
	int bkt;

	spin_lock_bh(&vnet->fdb_lock);
	hash_for_each_safe(vnet->fdb, bkt, tmp, f, node)
		if (all || !(f->state & (NUD_PERMANENT | NUD_NOARP)))
			fdb_destroy(vnet, f);
	spin_unlock_bh(&vnet->fdb_lock);
}

static void vnet_fdb_gc(struct timer_list *t)
{
	struct vnet_dev *vnet = from_timer(vnet, t, gc_timer);
	struct hlist_node *tmp;
	struct vnet_fdb *f;
	int bkt;

	spin_lock(&vnet->fdb_lock);
	hash_for_each_safe(vnet->fdb, bkt, tmp, f, node) {
		if (f->state & (NUD_PERMANENT | NUD_NOARP))
			continue;
		if (time_after(jiffies, READ_ONCE(f->updated) + VNET_AGEING))
			fdb_destroy(vnet, f);
	}
	spin_unlock(&vnet->fdb_lock);
	mod_timer(&vnet->gc_timer, jiffies + VNET_GC_PERIOD);
}

void vnet_fdb_init(struct vnet_dev *vnet)
{
	spin_lock_init(&vnet->fdb_lock);
	hash_init(vnet->fdb);
	timer_setup(&vnet->gc_timer, vnet_fdb_gc, TIMER_DEFERRABLE);
}

static int nla_to_addr(struct vnet_dev *vnet, struct nlattr *nla,
		       union vnet_addr *ip, struct netlink_ext_ack *extack)
{
	memset(ip, 0, sizeof(*ip));
	if (!nla) {
		NL_SET_ERR_MSG(extack, "vnet FDB entries need a dst");
		return -EINVAL;
	}
	if (nla_len(nla) == sizeof(__be32)) {
		ip->sin.sin_family = AF_INET;
		ip->sin.sin_addr.s_addr = nla_get_in_addr(nla);
	} else if (nla_len(nla) == sizeof(struct in6_addr)) {
		ip->sin6.sin6_family = AF_INET6;
		ip->sin6.sin6_addr = nla_get_in6_addr(nla);
	} else {
		NL_SET_ERR_MSG(extack, "dst is neither IPv4 nor IPv6");
		return -EAFNOSUPPORT;
	}
	if (ip->sa.sa_family != vnet->cfg.local.sa.sa_family) {
		NL_SET_ERR_MSG(extack, "dst is not of the underlay's family");
		return -EAFNOSUPPORT;
	}
	return 0;
}

static int fdb_check_attrs(struct nlattr *tb[], u16 vid,
			   struct netlink_ext_ack *extack)
{
	if (vid) {
		NL_SET_ERR_MSG(extack, "vnet FDB entries have no VLAN");
		return -EINVAL;
	}
	if (tb[NDA_PORT] || tb[NDA_VNI] || tb[NDA_IFINDEX] || tb[NDA_SRC_VNI]) {
		NL_SET_ERR_MSG(extack, "vnet FDB entries take a dst only");
		return -EOPNOTSUPP;
	}
	return 0;
}

int vnet_fdb_add(struct ndmsg *ndm, struct nlattr *tb[],
		 struct net_device *dev, const unsigned char *addr, u16 vid,
		 u16 flags, struct netlink_ext_ack *extack)
{
	struct vnet_dev *vnet = netdev_priv(dev);
	union vnet_addr ip;
	int err;

	err = fdb_check_attrs(tb, vid, extack);
	if (err)
		return err;
	err = nla_to_addr(vnet, tb[NDA_DST], &ip, extack);
	if (err)
		return err;
	if (vnet_addr_any(&ip)) {
		NL_SET_ERR_MSG(extack, "dst may not be the any address");
		return -EINVAL;
	}
	return vnet_fdb_update(vnet, addr, &ip, ndm->ndm_state, flags);
}

int vnet_fdb_del(struct ndmsg *ndm, struct nlattr *tb[],
		 struct net_device *dev, const unsigned char *addr, u16 vid,
		 struct netlink_ext_ack *extack)
{
	struct vnet_dev *vnet = netdev_priv(dev);
	struct vnet_rdst *rd = NULL;
	union vnet_addr ip;
	struct vnet_fdb *f;
	int err;

	err = fdb_check_attrs(tb, vid, extack);
	if (err)
		return err;
	if (tb[NDA_DST]) {
		err = nla_to_addr(vnet, tb[NDA_DST], &ip, extack);
		if (err)
			return err;
	}
	spin_lock_bh(&vnet->fdb_lock);
	f = vnet_fdb_find(vnet, addr);
	if (f && tb[NDA_DST])
		rd = rdst_find(f, &ip);
	if (!f || (tb[NDA_DST] && !rd)) {
		err = -ENOENT;
	} else if (rd && !list_is_singular(&f->remotes)) {
		list_del_rcu(&rd->list);
		call_rcu(&rd->rcu, rdst_free_rcu);
	} else {
		fdb_destroy(vnet, f);
	}
	spin_unlock_bh(&vnet->fdb_lock);
	return err;
}

static int fdb_fill(struct sk_buff *skb, struct vnet_dev *vnet,
		    const struct vnet_fdb *f, const struct vnet_rdst *rd,
		    u32 portid, u32 seq)
{
	unsigned long now = jiffies;
	struct nda_cacheinfo ci;
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int err;

	nlh = nlmsg_put(skb, portid, seq, RTM_NEWNEIGH, sizeof(*ndm),
			NLM_F_MULTI);
	if (!nlh)
		return -EMSGSIZE;
	ndm = nlmsg_data(nlh);
	memset(ndm, 0, sizeof(*ndm));
	ndm->ndm_family = AF_BRIDGE;
	ndm->ndm_state = READ_ONCE(f->state);
	ndm->ndm_ifindex = vnet->dev->ifindex;
	ndm->ndm_flags = NTF_SELF;
	ndm->ndm_type = RTN_UNICAST;

	ci.ndm_used = jiffies_to_clock_t(now - READ_ONCE(f->used));
	ci.ndm_confirmed = 0;
	ci.ndm_updated = jiffies_to_clock_t(now - READ_ONCE(f->updated));
	ci.ndm_refcnt = 0;

	if (nla_put(skb, NDA_LLADDR, ETH_ALEN, f->mac))
		goto nla_failure;
	if (rd->ip.sa.sa_family == AF_INET6)
		err = nla_put_in6_addr(skb, NDA_DST, &rd->ip.sin6.sin6_addr);
	else
		err = nla_put_in_addr(skb, NDA_DST, rd->ip.sin.sin_addr.s_addr);
	if (err || nla_put(skb, NDA_CACHEINFO, sizeof(ci), &ci))
		goto nla_failure;
	nlmsg_end(skb, nlh);
	return 0;

nla_failure:
	nlmsg_cancel(skb, nlh);
	return -EMSGSIZE;
}

int vnet_fdb_dump(struct sk_buff *skb, struct netlink_callback *cb,
		  struct net_device *dev, struct net_device *filter_dev,
		  int *idx)
{
	struct vnet_dev *vnet = netdev_priv(dev);
	struct vnet_rdst *rd;
	struct vnet_fdb *f;
	int bkt, err = 0;

	rcu_read_lock();
	hash_for_each_rcu(vnet->fdb, bkt, f, node) {
		list_for_each_entry_rcu(rd, &f->remotes, list) {
			if (*idx >= cb->args[2]) {
				err = fdb_fill(skb, vnet, f, rd,
					       NETLINK_CB(cb->skb).portid,
					       cb->nlh->nlmsg_seq);
				if (err)
					goto out;
			}
			*idx += 1;
		}
	}
out:
	rcu_read_unlock();
	return err;
}
