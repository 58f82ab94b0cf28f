#include "hostannounce.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ETH_P_RARP_ 0x8035
#define RARP_REQUEST_REVERSE 3

static size_t eth_header(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = (uint8_t)(type >> 8);
	buf[13] = (uint8_t)type;
	return 14;
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ARP/RARP body for Ethernet + IPv4. */
static size_t arp_body(uint8_t *p, uint16_t op, const uint8_t mac[6], const uint8_t ip[4])
{
	static const uint8_t head[6] = { 0x00, 0x01, 0x08, 0x00, 6, 4 };

	memcpy(p, head, 6);
	p[6] = (uint8_t)(op >> 8);
	p[7] = (uint8_t)op;
	memcpy(p + 8, mac, 6);   /* sender hardware */
	memcpy(p + 14, ip, 4);   /* sender protocol */
	memcpy(p + 18, mac, 6);  /* target hardware */
	memcpy(p + 24, ip, 4);   /* target protocol */
	return 28;
}

/* Pad to the 60-byte Ethernet minimum. */
static size_t pad(uint8_t *buf, size_t len)
{
	if (len < 60) {
		memset(buf + len, 0, 60 - len);
		len = 60;
	}
	return len;
}

size_t frame_rarp(uint8_t *buf, const uint8_t mac[6])
{
	static const uint8_t zero[4];
	size_t n = eth_header(buf, bcast, mac, ETH_P_RARP_);

	n += arp_body(buf + n, RARP_REQUEST_REVERSE, mac, zero);
	return pad(buf, n);
}

size_t frame_garp(uint8_t *buf, const uint8_t mac[6], const uint8_t ip[4])
{
	size_t n = eth_header(buf, bcast, mac, ETH_P_ARP);

	n += arp_body(buf + n, 1 /* request */, mac, ip);
	return pad(buf, n);
}

static uint16_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

size_t frame_unsolicited_na(uint8_t *buf, const uint8_t mac[6], const uint8_t ip6[16])
{
	/* To all nodes, from the address itself (RFC 4861 7.2.6). */
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t *ip = buf + 14, *icmp = ip + 40;
	size_t icmp_len = 32; /* header 4, flags 4, target 16, option 8 */
	size_t n = eth_header(buf, all_nodes_mac, mac, ETH_P_IPV6);

	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = 0;
	ip[5] = (uint8_t)icmp_len;
	ip[6] = 58;    /* ICMPv6 */
	ip[7] = 255;   /* hop limit, as ND requires */
	memcpy(ip + 8, ip6, 16);
	memcpy(ip + 24, all_nodes, 16);
	memset(icmp, 0, icmp_len);
	icmp[0] = 136; /* neighbour advertisement */
	icmp[4] = 0x20; /* override */
	memcpy(icmp + 8, ip6, 16);
	icmp[24] = 2;  /* target link-layer address option */
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);

	/* Checksum over the pseudo header and the message. */
	uint8_t pseudo[40] = { 0 };
	memcpy(pseudo, ip + 8, 32);
	pseudo[35] = (uint8_t)icmp_len;
	pseudo[39] = 58;
	uint32_t sum = csum_add(0, pseudo, sizeof(pseudo));
	sum = csum_add(sum, icmp, icmp_len);
	uint16_t c = (uint16_t)~sum;
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	return n + 40 + icmp_len;
}

int host_announce(const char *bridge, const uint8_t mac[6], const char *ips)
{
	int ifindex = (int)if_nametoindex(bridge);
	int fd, sent = 0;
	uint8_t frame[128];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };

	if (!ifindex || (fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	size_t n = frame_rarp(frame, mac);
	sent += sendto(fd, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll)) == (ssize_t)n;
	if (ips) {
		char *copy = strdup(ips), *save = NULL;
		for (char *tok = copy ? strtok_r(copy, " \t,", &save) : NULL; tok; tok = strtok_r(NULL, " \t,", &save)) {
			uint8_t a[16];
			char *slash = strchr(tok, '/');
			if (slash)
				*slash = '\0'; /* "10.0.0.1/24" */
			if (inet_pton(AF_INET, tok, a) == 1)
				n = frame_garp(frame, mac, a);
			else if (inet_pton(AF_INET6, tok, a) == 1)
				n = frame_unsolicited_na(frame, mac, a);
			else
				continue;
			sent += sendto(fd, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll)) == (ssize_t)n;
		}
		free(copy);
	}
	close(fd);
	return sent;
}

/* When to send, in ms after the announcement (QEMU repeats its RARP too). */
static const unsigned resend_ms[] = { 10, 50, 150 };
#define NSENDS (sizeof(resend_ms) / sizeof(resend_ms[0]))

struct job {
	struct timer t;
	struct loop *loop;
	char bridge[IFNAMSIZ], dev[IFNAMSIZ];
	uint8_t mac[6];
	char *ips;
	host_announce_prep prep;
	void *ctx;
	unsigned sent;
	struct job *next;
};

static struct job *jobs;

static void job_free(struct job *j)
{
	for (struct job **p = &jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			break;
		}
	}
	free(j->ips);
	free(j);
}

static void job_fire(void *arg)
{
	struct job *j = arg;

	if (j->prep)
		j->prep(j->ctx, j->bridge, j->dev, j->mac);
	host_announce(j->bridge, j->mac, j->ips);
	if (++j->sent == NSENDS) {
		job_free(j);
		return;
	}
	loop_timer_arm(j->loop, &j->t, resend_ms[j->sent] - resend_ms[j->sent - 1]);
}

void host_announce_schedule(struct loop *l, const char *bridge, const char *dev, const uint8_t mac[6],
			    const char *ips, host_announce_prep prep, void *ctx)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return;
	j->loop = l;
	snprintf(j->bridge, sizeof(j->bridge), "%s", bridge);
	snprintf(j->dev, sizeof(j->dev), "%s", dev);
	j->prep = prep;
	j->ctx = ctx;
	memcpy(j->mac, mac, 6);
	j->ips = ips && *ips ? strdup(ips) : NULL;
	timer_init(&j->t, job_fire, j);
	j->next = jobs;
	jobs = j;
	loop_timer_arm(l, &j->t, resend_ms[0]);
}

void host_announce_cancel_all(struct loop *l)
{
	while (jobs) {
		loop_timer_cancel(l, &jobs->t);
		job_free(jobs);
	}
}
