/* vnetlink: create and show vnet.ko links, for the module's tests (iproute2
 * has no parser for the vnet kind).  Uses the daemon's own netlink code.
 *
 *   vnetlink add NAME id ID [port N] [local ADDR] [group ADDR] [dev IFNAME]
 *                [ttl N] [learning on|off] [mtu N] [up]
 *   vnetlink show NAME
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/netlink.h>

#include "../../xenvnetd/dp_vnet_link.h"

static int usage(void)
{
	fputs("usage: vnetlink add NAME id ID [port N] [local ADDR] [group ADDR] [dev IFNAME]\n"
	      "                    [ttl N] [learning on|off] [mtu N] [up]\n"
	      "       vnetlink show NAME\n", stderr);
	return 2;
}

static int parse_addr(const char *s, struct vnet_link *v, struct in6_addr *out)
{
	int family = strchr(s, ':') ? AF_INET6 : AF_INET;

	if (v->family && v->family != family) {
		fprintf(stderr, "vnetlink: %s: IPv4 and IPv6 mixed\n", s);
		return -1;
	}
	v->family = family;
	if (inet_pton(family, s, out) != 1) {
		fprintf(stderr, "vnetlink: %s: not an address\n", s);
		return -1;
	}
	return 0;
}

static int add(int argc, char **argv)
{
	struct vnet_link v = { .port = 1798, .learning = true };
	unsigned mtu = 0;
	bool up = false, has_id = false;
	char err[128];
	int i, rc;

	for (i = 3; i < argc; i++) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(k, "up") == 0) {
			up = true;
			continue;
		}
		if (!val)
			return usage();
		i++;
		if (strcmp(k, "id") == 0) {
			if (vnet_id_parse(val, &v.id, err, sizeof(err)) < 0) {
				fprintf(stderr, "vnetlink: id %s: %s\n", val, err);
				return 1;
			}
			has_id = true;
		} else if (strcmp(k, "port") == 0) {
			v.port = (uint16_t)atoi(val);
		} else if (strcmp(k, "local") == 0) {
			if (parse_addr(val, &v, &v.local) < 0)
				return 1;
		} else if (strcmp(k, "group") == 0) {
			if (parse_addr(val, &v, &v.group) < 0)
				return 1;
			v.has_group = true;
		} else if (strcmp(k, "dev") == 0) {
			if (!(v.link = if_nametoindex(val))) {
				fprintf(stderr, "vnetlink: no device %s\n", val);
				return 1;
			}
		} else if (strcmp(k, "ttl") == 0) {
			v.ttl = (uint8_t)atoi(val);
		} else if (strcmp(k, "learning") == 0) {
			v.learning = strcmp(val, "off") != 0;
		} else if (strcmp(k, "mtu") == 0) {
			mtu = (unsigned)atoi(val);
		} else {
			return usage();
		}
	}
	if (!has_id)
		return usage();
	if (!v.family)
		v.family = AF_INET;
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0) {
		fputs("vnetlink: cannot open rtnetlink\n", stderr);
		nl_socket_free(sk);
		return 1;
	}
	rc = vnet_link_create(sk, argv[2], &v, 0, mtu, 0, up);
	nl_socket_free(sk);
	if (rc < 0) {
		fprintf(stderr, "vnetlink: add %s: %s\n", argv[2], nl_geterror(rc));
		return 1;
	}
	return 0;
}

static int show(const char *name)
{
	struct vnet_link v;
	char id[VNET_ID_STRLEN], a[INET6_ADDRSTRLEN];
	int rc = vnet_link_read(name, &v);

	if (rc <= 0) {
		fprintf(stderr, "vnetlink: %s: %s\n", name, rc == 0 ? "not a vnet link" : nl_geterror(rc));
		return 1;
	}
	vnet_id_format_long(&v.id, id);
	printf("id %s port %u", id, v.port);
	printf(" local %s", inet_ntop(v.family, &v.local, a, sizeof(a)));
	if (v.has_group)
		printf(" group %s", inet_ntop(v.family, &v.group, a, sizeof(a)));
	printf(" link %u ttl %u learning %s\n", v.link, v.ttl, v.learning ? "on" : "off");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return show(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "add") == 0)
		return add(argc, argv);
	return usage();
}
