/* Links of kind "vnet" over raw rtnetlink (see dp_vnet_link.h). */
#include "dp_vnet_link.h"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "../kmod/vnet_uapi.h"

static int addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static int put_data(struct nl_msg *msg, const struct vnet_link *v)
{
	bool v6 = v->family == AF_INET6;

	if (nla_put(msg, IFLA_VNET_ID, VNET_ID_LEN, v->id.b) < 0 ||
	    nla_put_u16(msg, IFLA_VNET_PORT, htons(v->port)) < 0 ||
	    nla_put(msg, v6 ? IFLA_VNET_LOCAL6 : IFLA_VNET_LOCAL, addr_len(v->family), &v->local) < 0 ||
	    (v->has_group &&
	     nla_put(msg, v6 ? IFLA_VNET_GROUP6 : IFLA_VNET_GROUP, addr_len(v->family), &v->group) < 0) ||
	    (v->link && nla_put_u32(msg, IFLA_VNET_LINK, v->link) < 0) ||
	    nla_put_u8(msg, IFLA_VNET_TTL, v->ttl) < 0 ||
	    nla_put_u8(msg, IFLA_VNET_LEARNING, v->learning) < 0)
		return -NLE_NOMEM;
	return 0;
}

int vnet_link_create(struct nl_sock *sk, const char *name, const struct vnet_link *v, uint32_t devgroup,
		     unsigned mtu, int master, bool up)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = up ? IFF_UP : 0, .ifi_change = IFF_UP };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info, *data;

	if (!msg)
		return -NLE_NOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 || nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    (devgroup && nla_put_u32(msg, IFLA_GROUP, devgroup) < 0) || (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0) ||
	    (master && nla_put_u32(msg, IFLA_MASTER, (uint32_t)master) < 0) ||
	    !(info = nla_nest_start(msg, IFLA_LINKINFO)) || nla_put_string(msg, IFLA_INFO_KIND, "vnet") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) || put_data(msg, v) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	return nl_send_sync(sk, msg);
}

struct read_ctx {
	struct vnet_link *v;
	int found; /* 1 vnet, 0 another kind, -1 no answer */
};

static void get_addr(struct nlattr *a, int family, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (a && nla_len(a) == addr_len(family))
		memcpy(out, nla_data(a), (size_t)addr_len(family));
}

static int parse_link(struct nl_msg *msg, void *arg)
{
	struct read_ctx *c = arg;
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *d[IFLA_VNET_MAX + 1];
	struct vnet_link *v = c->v;

	c->found = 0;
	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_LINKINFO] ||
	    nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 || !info[IFLA_INFO_KIND] ||
	    strcmp(nla_get_string(info[IFLA_INFO_KIND]), "vnet") != 0 || !info[IFLA_INFO_DATA] ||
	    nla_parse_nested(d, IFLA_VNET_MAX, info[IFLA_INFO_DATA], NULL) < 0 || !d[IFLA_VNET_ID] ||
	    nla_len(d[IFLA_VNET_ID]) != VNET_ID_LEN)
		return NL_OK;
	memset(v, 0, sizeof(*v));
	memcpy(v->id.b, nla_data(d[IFLA_VNET_ID]), VNET_ID_LEN);
	v->port = d[IFLA_VNET_PORT] ? ntohs(nla_get_u16(d[IFLA_VNET_PORT])) : VNET_DEFAULT_PORT;
	v->family = d[IFLA_VNET_LOCAL6] || d[IFLA_VNET_GROUP6] ? AF_INET6 : AF_INET;
	get_addr(d[v->family == AF_INET6 ? IFLA_VNET_LOCAL6 : IFLA_VNET_LOCAL], v->family, &v->local);
	v->has_group = d[IFLA_VNET_GROUP] || d[IFLA_VNET_GROUP6];
	get_addr(d[v->family == AF_INET6 ? IFLA_VNET_GROUP6 : IFLA_VNET_GROUP], v->family, &v->group);
	v->link = d[IFLA_VNET_LINK] ? nla_get_u32(d[IFLA_VNET_LINK]) : 0;
	v->ttl = d[IFLA_VNET_TTL] ? nla_get_u8(d[IFLA_VNET_TTL]) : 0;
	v->learning = d[IFLA_VNET_LEARNING] ? nla_get_u8(d[IFLA_VNET_LEARNING]) : 1;
	c->found = 1;
	return NL_OK;
}

int vnet_link_read(const char *name, struct vnet_link *v)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct read_ctx c = { v, -1 };
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	int rc;

	if (!sk)
		return -NLE_NOMEM;
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc == 0 && !(msg = nlmsg_alloc_simple(RTM_GETLINK, 0)))
		rc = -NLE_NOMEM;
	if (rc == 0 && (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
			nla_put_string(msg, IFLA_IFNAME, name) < 0))
		rc = -NLE_NOMEM;
	if (rc == 0)
		rc = nl_send_auto(sk, msg);
	if (rc >= 0)
		rc = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, parse_link, &c);
	if (rc >= 0)
		rc = nl_recvmsgs_default(sk);
	nlmsg_free(msg);
	nl_socket_free(sk);
	if (rc == -NLE_NODEV)
		rc = -NLE_OBJ_NOTFOUND;
	if (rc < 0)
		return rc;
	return c.found < 0 ? -NLE_OBJ_NOTFOUND : c.found;
}

bool vnet_link_equal(const struct vnet_link *a, const struct vnet_link *b)
{
	size_t n = (size_t)addr_len(a->family);

	return vnet_id_equal(&a->id, &b->id) && a->port == b->port && a->family == b->family &&
	       memcmp(&a->local, &b->local, n) == 0 && a->has_group == b->has_group &&
	       (!a->has_group || memcmp(&a->group, &b->group, n) == 0) && a->link == b->link && a->ttl == b->ttl &&
	       a->learning == b->learning;
}
