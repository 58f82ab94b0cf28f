#include "dp_linksnap.h"
#include "kern.h"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/route/link/vxlan.h>
#include <stdlib.h>
#include <string.h>

/* What kern and dp_vxlan read of a link, and no more. */
struct snap_link {
	char name[IFNAMSIZ];      /* "" : a free slot */
	bool ask;                 /* changed since the dump (or not in it) */
	int ifindex, master;
	unsigned mtu, flags, group;
	char alias[KERN_MARK_MAX];
	bool vxlan;
	uint32_t vni, lower;
	uint16_t port;            /* host order */
	uint8_t learning;         /* IFLA_VXLAN_LEARNING */
	int family;               /* of group and local; 0: neither */
	bool has_group, has_local;
	uint8_t group_addr[16], local_addr[16];
};

struct linksnap {
	struct snap_link *slot;   /* open addressing, at most 3/4 full */
	size_t cap, n;
	struct snap_link *dumped; /* while dumping */
	size_t ndumped, dumped_cap;
	bool lost;                /* a link of the dump not kept: useless */
};

static size_t slot_of(const struct linksnap *s, const char *name)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	size_t i = h & (s->cap - 1);
	while (s->slot[i].name[0] && strcmp(s->slot[i].name, name) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void parse_vxlan(struct snap_link *l, const struct rtattr *data)
{
	int len = (int)RTA_PAYLOAD(data);

	for (const struct rtattr *a = RTA_DATA(data); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		const void *d = RTA_DATA(a);
		size_t n = RTA_PAYLOAD(a);
		switch (a->rta_type) {
		case IFLA_VXLAN_ID: if (n >= 4) memcpy(&l->vni, d, 4); break;
		case IFLA_VXLAN_LINK: if (n >= 4) memcpy(&l->lower, d, 4); break;
		case IFLA_VXLAN_LEARNING: if (n >= 1) l->learning = *(const uint8_t *)d; break;
		case IFLA_VXLAN_PORT: if (n >= 2) { uint16_t p; memcpy(&p, d, 2); l->port = ntohs(p); } break;
		case IFLA_VXLAN_GROUP:
		case IFLA_VXLAN_GROUP6:
		case IFLA_VXLAN_LOCAL:
		case IFLA_VXLAN_LOCAL6: {
			bool v6 = a->rta_type == IFLA_VXLAN_GROUP6 || a->rta_type == IFLA_VXLAN_LOCAL6;
			bool group = a->rta_type == IFLA_VXLAN_GROUP || a->rta_type == IFLA_VXLAN_GROUP6;
			if (n != (v6 ? 16u : 4u))
				break;
			memcpy(group ? l->group_addr : l->local_addr, d, n);
			*(group ? &l->has_group : &l->has_local) = true;
			l->family = v6 ? AF_INET6 : AF_INET;
			break;
		}
		}
	}
}

static void parse_linkinfo(struct snap_link *l, const struct rtattr *info)
{
	int len = (int)RTA_PAYLOAD(info);
	const struct rtattr *data = NULL;

	for (const struct rtattr *a = RTA_DATA(info); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_INFO_KIND)
			l->vxlan = RTA_PAYLOAD(a) >= 5 && memcmp(RTA_DATA(a), "vxlan", 5) == 0;
		else if (a->rta_type == IFLA_INFO_DATA)
			data = a;
	}
	if (l->vxlan && data)
		parse_vxlan(l, data);
}

static void dumped_link(void *arg, const struct nlmsghdr *h)
{
	struct linksnap *s = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	struct snap_link *l;

	if (h->nlmsg_type != RTM_NEWLINK || len < 0)
		return;
	if (s->ndumped == s->dumped_cap) {
		size_t cap = s->dumped_cap ? 2 * s->dumped_cap : 256;
		struct snap_link *v = realloc(s->dumped, cap * sizeof(*v));
		if (!v) {
			s->lost = true;
			return;
		}
		s->dumped = v;
		s->dumped_cap = cap;
	}
	l = &s->dumped[s->ndumped];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		const void *d = RTA_DATA(a);
		size_t n = RTA_PAYLOAD(a);
		switch (a->rta_type) {
		case IFLA_IFNAME: snprintf(l->name, sizeof(l->name), "%.*s", (int)n, (const char *)d); break;
		case IFLA_IFALIAS: snprintf(l->alias, sizeof(l->alias), "%.*s", (int)n, (const char *)d); break;
		case IFLA_MASTER: if (n >= 4) memcpy(&l->master, d, 4); break;
		case IFLA_MTU: if (n >= 4) memcpy(&l->mtu, d, 4); break;
		case IFLA_GROUP: if (n >= 4) memcpy(&l->group, d, 4); break;
		case IFLA_LINKINFO: parse_linkinfo(l, a); break;
		}
	}
	if (l->name[0])
		s->ndumped++;
}

struct linksnap *linksnap_take(void)
{
	struct linksnap *s = calloc(1, sizeof(*s));
	struct ifinfomsg req = { .ifi_family = AF_UNSPEC };

	if (!s)
		return NULL;
	if (kern_dump(RTM_GETLINK, &req, sizeof(req), dumped_link, s) < 0 || s->lost)
		goto fail;
	/* Room for as many again: links created during the pass are noted. */
	for (s->cap = 64; s->cap < 4 * (s->ndumped + 64) / 3 * 2; s->cap *= 2)
		;
	if (!(s->slot = calloc(s->cap, sizeof(*s->slot))))
		goto fail;
	for (size_t i = 0; i < s->ndumped; i++) {
		struct snap_link *slot = &s->slot[slot_of(s, s->dumped[i].name)];
		if (!slot->name[0])
			s->n++;
		*slot = s->dumped[i];
	}
	free(s->dumped);
	s->dumped = NULL;
	return s;
fail:
	linksnap_free(s);
	return NULL;
}

void linksnap_free(struct linksnap *s)
{
	if (s) {
		free(s->slot);
		free(s->dumped);
		free(s);
	}
}

static struct nl_addr *addr_of(int family, const uint8_t *a)
{
	return nl_addr_build(family, a, family == AF_INET ? 4 : 16);
}

/* A libnl link object saying what the dump said. */
static struct rtnl_link *to_link(const struct snap_link *l)
{
	struct rtnl_link *o = l->vxlan ? rtnl_link_vxlan_alloc() : rtnl_link_alloc();

	if (!o)
		return NULL;
	rtnl_link_set_name(o, l->name);
	rtnl_link_set_ifindex(o, l->ifindex);
	rtnl_link_set_mtu(o, l->mtu);
	rtnl_link_set_master(o, l->master);
	rtnl_link_set_flags(o, l->flags);
	rtnl_link_set_group(o, l->group);
	if (l->alias[0])
		rtnl_link_set_ifalias(o, l->alias);
	if (l->vxlan) {
		struct nl_addr *g = l->has_group ? addr_of(l->family, l->group_addr) : NULL;
		struct nl_addr *lo = l->has_local ? addr_of(l->family, l->local_addr) : NULL;
		rtnl_link_vxlan_set_id(o, l->vni);
		rtnl_link_vxlan_set_port(o, l->port);
		rtnl_link_vxlan_set_link(o, l->lower);
		rtnl_link_vxlan_set_learning(o, l->learning);
		if (g)
			rtnl_link_vxlan_set_group(o, g);
		if (lo)
			rtnl_link_vxlan_set_local(o, lo);
		nl_addr_put(g);
		nl_addr_put(lo);
	}
	return o;
}

int linksnap_get(struct linksnap *s, const char *name, struct rtnl_link **out)
{
	const struct snap_link *l = &s->slot[slot_of(s, name)];

	*out = NULL;
	if (!l->name[0])
		return 1; /* not in the dump, not created since: absent */
	if (l->ask)
		return 0;
	*out = to_link(l);
	return *out ? 1 : 0;
}

int linksnap_changed(struct linksnap *s, const char *name)
{
	struct snap_link *l;

	if (strlen(name) >= IFNAMSIZ)
		return 0; /* no such link can exist */
	l = &s->slot[slot_of(s, name)];
	if (!l->name[0]) {
		if (4 * (s->n + 1) > 3 * s->cap)
			return -1;
		snprintf(l->name, sizeof(l->name), "%s", name);
		s->n++;
	}
	l->ask = true;
	return 0;
}
