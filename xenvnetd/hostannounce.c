#include "hostannounce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

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

/* One packet socket for every announcement, opened at the first and kept
 * until exit: closing an AF_PACKET socket waits for an RCU grace period
 * (synchronize_net, ~10-30 ms), which per send stalled the loop for
 * seconds when a thousand vifs connected at once.  Protocol 0: it sends
 * only and never has anything queued to read.  Non-blocking: a frame that
 * finds the device queue full is dropped (each is sent three times). */
static int pkt_fd = -1;

static void packet_socket_close(void)
{
	if (pkt_fd >= 0)
		close(pkt_fd);
	pkt_fd = -1;
}

/* Errors that are the device's, not the socket's. */
static bool device_error(int e)
{
	return e == ENXIO || e == ENODEV || e == ENETDOWN || e == EAGAIN || e == EWOULDBLOCK ||
	       e == ENOBUFS || e == EMSGSIZE;
}

/* 0 when sent, else -errno.  A socket that fails for any other reason is
 * replaced, and the frame tried once more on the new one. */
static int send_frame(int ifindex, const uint8_t *frame, size_t n)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };

	for (int attempt = 0; attempt < 2; attempt++) {
		if (pkt_fd < 0)
			pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (pkt_fd < 0)
			return -errno;
		if (sendto(pkt_fd, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll)) == (ssize_t)n)
			return 0;
		if (device_error(errno))
			return -errno;
		log_warn("announcement socket: %s; opening a new one", strerror(errno));
		packet_socket_close();
	}
	return -EIO;
}

int host_announce(int ifindex, const uint8_t mac[6], const char *ips)
{
	uint8_t frame[128];
	int sent = 0, rc;
	size_t n = frame_rarp(frame, mac);

	if ((rc = send_frame(ifindex, frame, n)) == -ENXIO || rc == -ENODEV)
		return -1;
	sent += rc == 0;
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
			sent += send_frame(ifindex, frame, n) == 0;
		}
		free(copy);
	}
	return sent;
}

/* When to send, in ms after the announcement (QEMU repeats its RARP too). */
static const unsigned resend_ms[] = { 10, 50, 150 };
#define NSENDS (sizeof(resend_ms) / sizeof(resend_ms[0]))

struct job {
	struct timer t;
	struct loop *loop;
	char bridge[IFNAMSIZ], dev[IFNAMSIZ];
	int bridge_ifindex, port;
	uint8_t mac[6];
	char *ips;
	host_announce_retry retry; /* NULL once done */
	void *ctx;
	unsigned sent;
	struct job *prev, *next;
};

static struct job *jobs;

static void job_free(struct job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	loop_timer_cancel(j->loop, &j->t);
	free(j->ips);
	free(j);
}

static void job_fire(void *arg)
{
	struct job *j = arg;

	if (j->retry && j->retry(j->ctx, j->bridge, j->dev, j->port, j->mac))
		j->retry = NULL;
	if (host_announce(j->bridge_ifindex, j->mac, j->ips) < 0) {
		/* The bridge was replaced (a new ifindex) or is gone: no job. */
		j->bridge_ifindex = (int)if_nametoindex(j->bridge);
		if (!j->bridge_ifindex || host_announce(j->bridge_ifindex, j->mac, j->ips) < 0) {
			job_free(j);
			return;
		}
	}
	if (++j->sent == NSENDS) {
		job_free(j);
		return;
	}
	loop_timer_arm(j->loop, &j->t, resend_ms[j->sent] - resend_ms[j->sent - 1]);
}

void host_announce_schedule(struct loop *l, const char *bridge, const char *dev, int port, const uint8_t mac[6],
			    const char *ips, host_announce_retry retry, void *ctx)
{
	int ifindex = (int)if_nametoindex(bridge);
	struct job *j;

	if (!ifindex || !port)
		return; /* nothing to send from, or for */
	if (!(j = calloc(1, sizeof(*j))))
		return;
	j->loop = l;
	snprintf(j->bridge, sizeof(j->bridge), "%s", bridge);
	snprintf(j->dev, sizeof(j->dev), "%s", dev);
	j->bridge_ifindex = ifindex;
	j->port = port;
	j->retry = retry;
	j->ctx = ctx;
	memcpy(j->mac, mac, 6);
	j->ips = ips && *ips ? strdup(ips) : NULL;
	timer_init(&j->t, job_fire, j);
	j->next = jobs;
	if (jobs)
		jobs->prev = j;
	jobs = j;
	loop_timer_arm(l, &j->t, resend_ms[0]);
}

void host_announce_cancel(const char *dev)
{
	for (struct job *j = jobs, *next; j; j = next) {
		next = j->next;
		if (strcmp(j->dev, dev) == 0)
			job_free(j);
	}
}

void host_announce_stop(void)
{
	while (jobs)
		job_free(jobs);
	packet_socket_close();
}
