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
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <linux/neighbour.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "kern.h"
#include "log.h"
#include "loop.h"

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

/* One packet socket for every announcement (the announcer thread's),
 * opened at the first and kept until exit: closing an AF_PACKET socket waits for an RCU grace period
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

/* ---- the announcer thread ----
 * Everything a connecting vif needs from the kernel runs here, off the
 * event loop: ETHTOOL and every rtnetlink request take the kernel's RTNL
 * lock, which other work (links made and plugged by the hundred, say)
 * holds for long stretches; two such calls per vif stalled the loop for
 * seconds when a thousand vifs connected at once.
 *
 * A job goes through four stages, each a FIFO in scheduling order (so
 * each queue's head is its next due job): point the bridge at once, then
 * send 10, 50 and 150 ms after the MAC's announcement (QEMU repeats its
 * RARP too). */
static const unsigned stage_ms[] = { 0, 10, 50, 150 };
#define NSTAGES (sizeof(stage_ms) / sizeof(stage_ms[0]))

struct job {
	char bridge[IFNAMSIZ], dev[IFNAMSIZ], vnetif[IFNAMSIZ];
	uint8_t mac[6];
	char *ips;
	uint64_t t0;           /* scheduled at (loop_now_ms) */
	int port;              /* the vif's ifindex, once it has a device */
	int bridge_ifindex;
	bool tried, pointed, cancelled;
	bool pin_only;         /* host_announce_pin: stage 0 alone, no ready() */
	uint8_t tag[HOST_ANNOUNCE_TAG_MAX];
	size_t taglen;
	struct job *next;
};

/* A job past its first stage, for the loop to hear of (ready()). */
struct ready_ent {
	char dev[IFNAMSIZ];
	uint8_t tag[HOST_ANNOUNCE_TAG_MAX];
	size_t taglen;
	struct ready_ent *next;
};

static struct {
	bool running, stop;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head[NSTAGES], *tail[NSTAGES];
	struct job *busy;      /* the job being worked on, in no queue */
	struct kern k;         /* its own rtnetlink socket (.sk only) */
	struct ready_ent *ready, **ready_tail; /* for the loop, in order */
	int efd;               /* eventfd: ready entries queued */
	struct loop *loop;
	host_announce_ready ready_cb;
	void *ctx;
	bool pin_sticky;       /* set before the thread starts */
} w = { .mu = PTHREAD_MUTEX_INITIALIZER, .efd = -1, .pin_sticky = true };

static void job_free(struct job *j)
{
	free(j->ips);
	free(j);
}

static void push(unsigned stage, struct job *j)
{
	j->next = NULL;
	if (w.tail[stage])
		w.tail[stage]->next = j;
	else
		w.head[stage] = j;
	w.tail[stage] = j;
}

static struct job *pop(unsigned stage)
{
	struct job *j = w.head[stage];

	if ((w.head[stage] = j->next) == NULL)
		w.tail[stage] = NULL;
	return j;
}

/* The bridge here may still hold a just-migrated guest's MAC on the tunnel
 * port (learned while the guest lived elsewhere) or on an old vif: pin it
 * to the new vif, for good (no frame from elsewhere moves it).  Asking for the link state first (ETHTOOL_GLINK)
 * makes the kernel act on a pending carrier change now, so the port
 * forwards (see kern_link_carrier_sync).  A port that is not forwarding
 * yet takes no learned entry (EPERM): then, the first time, at least
 * forget the tunnel's, so frames flood to the vif; the next stage tries
 * again. */
static bool point_bridge(struct job *j)
{
	bool first = !j->tried;
	struct kern_fdb stale = { .flags = NTF_MASTER };

	j->tried = true;
	kern_link_carrier_sync(j->dev);
	if (kern_bridge_fdb_pin(&w.k, j->port, j->mac, w.pin_sticky) == 0)
		return true;
	if (first && j->vnetif[0] && (stale.ifindex = (int)if_nametoindex(j->vnetif))) {
		memcpy(stale.mac, j->mac, 6);
		kern_fdb_delete(&w.k, &stale); /* none there is fine */
	}
	return false;
}

/* A pin-only job's vif is a port of its own bridge: a pin through
 * NTF_MASTER lands in whatever bridge holds the port. */
static bool port_of_bridge(const struct job *j)
{
	struct rtnl_link *l = NULL;
	bool ok = rtnl_link_get_kernel(w.k.sk, j->port, NULL, &l) == 0 &&
		  rtnl_link_get_master(l) == j->bridge_ifindex;

	rtnl_link_put(l);
	return ok;
}

/* One stage of a job, unlocked.  False when the job is over. */
static bool job_step(struct job *j, unsigned stage)
{
	if (!j->port && !(j->port = (int)if_nametoindex(j->dev)))
		return true; /* no device (yet): nothing to do or send for it now */
	/* Pin-only: done once the device is there (a later stage retries
	 * until then); one that is no port of the bridge yet is pinned when
	 * it joins (vifs_link). */
	if (j->pin_only) {
		if (port_of_bridge(j) && kern_bridge_fdb_pin(&w.k, j->port, j->mac, w.pin_sticky) == 0)
			log_debug("vif %s: MAC pinned before its guest connects", j->dev);
		return false;
	}
	if (!j->pointed)
		j->pointed = point_bridge(j);
	if (stage == 0)
		return true;
	if (host_announce(j->bridge_ifindex, j->mac, j->ips) < 0) {
		/* The bridge was replaced (a new ifindex) or is gone. */
		j->bridge_ifindex = (int)if_nametoindex(j->bridge);
		return j->bridge_ifindex && host_announce(j->bridge_ifindex, j->mac, j->ips) >= 0;
	}
	return true;
}

/* Locked. */
static void queue_ready(const struct job *j)
{
	struct ready_ent *r = calloc(1, sizeof(*r));
	uint64_t one = 1;

	if (!r) {
		log_err("announcer: out of memory: %s's MAC is not announced", j->dev);
		return;
	}
	memcpy(r->dev, j->dev, sizeof(r->dev));
	memcpy(r->tag, j->tag, j->taglen);
	r->taglen = j->taglen;
	*w.ready_tail = r;
	w.ready_tail = &r->next;
	if (write(w.efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("announcer: eventfd: %s", strerror(errno));
}

/* At most this long per loop turn in ready(): a burst of vifs hands back
 * a thousand at once, each an announcement to build and send. */
#define READY_BUDGET_MS 10

/* On the loop: tell the owner of jobs past their first stage, oldest
 * first, for READY_BUDGET_MS; the rest on the next turn. */
static void on_ready(void *arg, uint32_t events)
{
	uint64_t n, end = loop_now_ms() + READY_BUDGET_MS;
	struct ready_ent *r;

	(void)arg;
	(void)events;
	if (read(w.efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("announcer: eventfd: %s", strerror(errno));
	for (;;) {
		pthread_mutex_lock(&w.mu);
		if ((r = w.ready) != NULL && loop_now_ms() >= end) {
			n = 1; /* keep the eventfd readable: another turn */
			if (write(w.efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
				log_warn("announcer: eventfd: %s", strerror(errno));
			r = NULL;
		} else if (r && !(w.ready = r->next)) {
			w.ready_tail = &w.ready;
		}
		pthread_mutex_unlock(&w.mu);
		if (!r)
			return;
		w.ready_cb(w.ctx, r->tag);
		free(r);
	}
}

static void *announcer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&w.mu);
	while (!w.stop) {
		unsigned stage = NSTAGES;
		uint64_t due = UINT64_MAX, now = loop_now_ms();

		for (unsigned i = 0; i < NSTAGES; i++) {
			if (w.head[i] && w.head[i]->t0 + stage_ms[i] < due) {
				due = w.head[i]->t0 + stage_ms[i];
				stage = i;
			}
		}
		if (stage == NSTAGES) {
			pthread_cond_wait(&w.cv, &w.mu);
			continue;
		}
		if (due > now) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)((due - now) / 1000);
			ts.tv_nsec += (long)((due - now) % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&w.cv, &w.mu, &ts);
			continue;
		}
		struct job *j = pop(stage);
		bool more = !j->cancelled;
		w.busy = j;
		pthread_mutex_unlock(&w.mu);
		if (more)
			more = job_step(j, stage);
		pthread_mutex_lock(&w.mu);
		w.busy = NULL;
		if (stage == 0 && !j->cancelled && !j->pin_only)
			queue_ready(j);
		if (more && !j->cancelled && stage + 1 < NSTAGES)
			push(stage + 1, j);
		else
			job_free(j);
	}
	pthread_mutex_unlock(&w.mu);
	return NULL;
}

int host_announce_start(struct loop *l, host_announce_ready ready, void *ctx, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	int rc;

	if (w.running)
		return 0;
	w.loop = l;
	w.ready_cb = ready;
	w.ctx = ctx;
	w.ready = NULL;
	w.ready_tail = &w.ready;
	w.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w.efd < 0 || loop_add_fd(l, w.efd, on_ready, NULL) < 0) {
		snprintf(err, errlen, "announcer: eventfd: %s", strerror(errno));
		goto fail;
	}
	if (!(w.k.sk = nl_socket_alloc()) || (rc = nl_connect(w.k.sk, NETLINK_ROUTE)) < 0) {
		snprintf(err, errlen, "announcer: rtnetlink: %s", w.k.sk ? nl_geterror(rc) : "out of memory");
		goto fail;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cv, &ca);
	pthread_condattr_destroy(&ca);
	w.stop = false;
	if ((rc = pthread_create(&w.thread, NULL, announcer, NULL)) != 0) {
		snprintf(err, errlen, "announcer: thread: %s", strerror(rc));
		pthread_cond_destroy(&w.cv);
		goto fail;
	}
	w.running = true;
	return 0;
fail:
	nl_socket_free(w.k.sk);
	w.k.sk = NULL;
	if (w.efd >= 0) {
		loop_del_fd(l, w.efd);
		close(w.efd);
	}
	w.efd = -1;
	return -1;
}

void host_announce_set_sticky(bool on)
{
	w.pin_sticky = on;
}

/* A job for @dev's MAC on @bridge (ifindex @ifindex); NULL when out of memory. */
static struct job *job_new(const char *bridge, int ifindex, const char *dev, const uint8_t mac[6])
{
	struct job *j = calloc(1, sizeof(*j));

	if (j) {
		snprintf(j->bridge, sizeof(j->bridge), "%s", bridge);
		snprintf(j->dev, sizeof(j->dev), "%s", dev);
		memcpy(j->mac, mac, 6);
		j->bridge_ifindex = ifindex;
	}
	return j;
}

/* Hand @j to the thread, due now. */
static void enqueue(struct job *j)
{
	j->t0 = loop_now_ms();
	pthread_mutex_lock(&w.mu);
	push(0, j);
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
}

void host_announce_schedule(const char *bridge, const char *dev, const char *vnetif, const uint8_t mac[6],
			    const char *ips, const void *tag, size_t taglen)
{
	struct job *j = NULL;
	int ifindex = (int)if_nametoindex(bridge); /* on the loop: cheap, no RTNL */

	if (w.running && ifindex && taglen <= HOST_ANNOUNCE_TAG_MAX)
		j = job_new(bridge, ifindex, dev, mac);
	if (!j) {
		/* Nothing to send from (a bridge without a device): nothing
		 * to wait for either. */
		if (w.ready_cb)
			w.ready_cb(w.ctx, tag);
		return;
	}
	snprintf(j->vnetif, sizeof(j->vnetif), "%s", vnetif ? vnetif : "");
	j->ips = ips && *ips ? strdup(ips) : NULL;
	memcpy(j->tag, tag, taglen);
	j->taglen = taglen;
	enqueue(j);
}

void host_announce_pin(const char *bridge, const char *dev, const uint8_t mac[6])
{
	int ifindex = (int)if_nametoindex(bridge);
	struct job *j = w.running && ifindex ? job_new(bridge, ifindex, dev, mac) : NULL;

	if (j) {
		j->pin_only = true;
		enqueue(j);
	}
}

void host_announce_cancel(const char *dev)
{
	if (!w.running)
		return;
	pthread_mutex_lock(&w.mu);
	for (unsigned i = 0; i < NSTAGES; i++)
		for (struct job *j = w.head[i]; j; j = j->next)
			if (strcmp(j->dev, dev) == 0)
				j->cancelled = true;
	if (w.busy && strcmp(w.busy->dev, dev) == 0)
		w.busy->cancelled = true;
	for (struct ready_ent **p = &w.ready; *p;) {
		struct ready_ent *r = *p;
		if (strcmp(r->dev, dev) == 0) {
			*p = r->next;
			free(r);
		} else {
			p = &r->next;
		}
	}
	w.ready_tail = &w.ready;
	while (*w.ready_tail)
		w.ready_tail = &(*w.ready_tail)->next;
	pthread_mutex_unlock(&w.mu);
}

void host_announce_stop(void)
{
	if (!w.running)
		return;
	pthread_mutex_lock(&w.mu);
	w.stop = true;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
	pthread_join(w.thread, NULL);
	for (unsigned i = 0; i < NSTAGES; i++)
		while (w.head[i])
			job_free(pop(i));
	while (w.ready) {
		struct ready_ent *r = w.ready;
		w.ready = r->next;
		free(r);
	}
	pthread_cond_destroy(&w.cv);
	nl_socket_free(w.k.sk);
	w.k.sk = NULL;
	loop_del_fd(w.loop, w.efd);
	close(w.efd);
	w.efd = -1;
	packet_socket_close();
	w.running = false;
}
