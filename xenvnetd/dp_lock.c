/* Vif locking through nftables' bridge family (see dp_lock.h). */
#include "dp_lock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_lock_nft.h"
#include "log.h"
#include "vnet_grow.h"

#define T "bridge " DP_LOCK_TABLE
#define RETRY_MS 2000
#define MAX_ADDRS 32
#define MAX_BATCH 128   /* ports per incremental write: bounds one write's time */

struct port {
	char dev[IFNAMSIZ];
	uint8_t mac[6];
	char *ips;
	bool want;       /* locked, as far as we know of the vif */
	bool installed;  /* its chain is in the kernel */
	bool dirty;      /* want or the rules changed since written */
	bool batched;    /* in the write under way ... */
	bool batch_want; /* ... as wanted then */
	bool redo;       /* changed while that write was under way */
};

struct dp_lock {
	struct loop *loop;
	struct timer timer;
	struct dp_nft *nft;  /* the writer thread */
	bool full;           /* the write under way replaces the table */
	uint64_t write_t0;
	struct port *v;
	size_t n, cap;
	bool synced;     /* the table in the kernel is ours, as written */
	uint64_t last_end_ms, last_cost_ms; /* the last write: when it ended, what it took */
	char last_err[256];
};

/* A growing text buffer; on failure it stays NULL and the write is off. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->failed = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

/* nft takes interface names in quotes and chain names bare: only names
 * made of these, starting with a letter (netback's vif<d>.<n>[-emu]). */
static bool name_ok(const char *dev)
{
	if (!((*dev >= 'a' && *dev <= 'z') || (*dev >= 'A' && *dev <= 'Z')))
		return false;
	for (const char *p = dev; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
			return false;
	return true;
}

/* The addresses of an `ip` key, canonical and without duplicates. */
static size_t parse_addrs(const char *ips, int family, char out[][INET6_ADDRSTRLEN], size_t max)
{
	char *copy = ips ? strdup(ips) : NULL, *save = NULL;
	size_t n = 0;

	for (char *tok = copy ? strtok_r(copy, " \t,", &save) : NULL; tok && n < max;
	     tok = strtok_r(NULL, " \t,", &save)) {
		uint8_t a[16];
		char *slash = strchr(tok, '/');
		bool dup = false;
		if (slash)
			*slash = '\0';
		if (inet_pton(family, tok, a) != 1 || !inet_ntop(family, a, out[n], INET6_ADDRSTRLEN))
			continue;
		for (size_t i = 0; i < n && !dup; i++)
			dup = strcmp(out[i], out[n]) == 0;
		n += !dup;
	}
	free(copy);
	return n;
}

static void sb_rules(struct sbuf *b, const char *c, const uint8_t mac[6], const char *ips)
{
	char v4[MAX_ADDRS][INET6_ADDRSTRLEN], v6[MAX_ADDRS][INET6_ADDRSTRLEN], m[18];
	size_t n4 = parse_addrs(ips, AF_INET, v4, MAX_ADDRS), n6 = parse_addrs(ips, AF_INET6, v6, MAX_ADDRS);

	snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	sb_add(b, "add rule " T " %s ether saddr != %s drop\n", c, m);
	if (!n4 && !n6)
		return; /* no `ip` key: the MAC alone */
	sb_add(b, "add rule " T " %s ether type arp arp saddr ether != %s drop\n", c, m);
	/* An ARP probe (RFC 5227) comes from 0.0.0.0. */
	sb_add(b, "add rule " T " %s ether type arp arp saddr ip != { 0.0.0.0", c);
	for (size_t i = 0; i < n4; i++)
		sb_add(b, ", %s", v4[i]);
	sb_add(b, " } drop\n");
	/* DHCP asks from 0.0.0.0. */
	sb_add(b, "add rule " T " %s ether type ip ip saddr 0.0.0.0 udp sport 68 udp dport 67 accept\n", c);
	if (n4) {
		sb_add(b, "add rule " T " %s ether type ip ip saddr != { %s", c, v4[0]);
		for (size_t i = 1; i < n4; i++)
			sb_add(b, ", %s", v4[i]);
		sb_add(b, " } drop\n");
	} else {
		sb_add(b, "add rule " T " %s ether type ip drop\n", c);
	}
	/* DAD comes from ::, link-local addresses are the guest's own choice. */
	sb_add(b, "add rule " T " %s ether type ip6 ip6 saddr != { ::, fe80::/10", c);
	for (size_t i = 0; i < n6; i++)
		sb_add(b, ", %s", v6[i]);
	sb_add(b, " } drop\n");
	/* A neighbour advertisement's target (nft 1.0.6 has no name for it:
	 * the 16 bytes after the ICMPv6 header's 8) must be the guest's too. */
	sb_add(b, "add rule " T " %s ether type ip6 icmpv6 type nd-neighbor-advert @th,64,16 & 0xffc0 == 0xfe80 accept\n", c);
	for (size_t i = 0; i < n6; i++) {
		uint8_t a[16];
		inet_pton(AF_INET6, v6[i], a);
		sb_add(b, "add rule " T " %s ether type ip6 icmpv6 type nd-neighbor-advert @th,64,128 0x", c);
		for (int j = 0; j < 16; j++)
			sb_add(b, "%02x", a[j]);
		sb_add(b, " accept\n");
	}
	sb_add(b, "add rule " T " %s ether type ip6 icmpv6 type nd-neighbor-advert drop\n", c);
	/* Nothing else: a VLAN tag or another ethertype would carry
	 * addresses past these checks. */
	sb_add(b, "add rule " T " %s ether type { arp, ip, ip6 } accept\n", c);
	sb_add(b, "add rule " T " %s drop\n", c);
}

size_t dp_lock_rules(char *buf, size_t size, const char *chain, const uint8_t mac[6], const char *ips)
{
	struct sbuf b = { 0 };
	size_t n = 0;

	sb_rules(&b, chain, mac, ips);
	if (!b.failed && b.len < size) {
		memcpy(buf, b.s, b.len + 1);
		n = b.len;
	}
	free(b.s);
	return n;
}

static void sb_port(struct sbuf *b, const struct port *p, bool chain_exists)
{
	if (chain_exists) {
		sb_add(b, "flush chain " T " %s\n", p->dev);
	} else {
		sb_add(b, "add chain " T " %s\n", p->dev);
	}
	sb_rules(b, p->dev, p->mac, p->ips);
	if (!chain_exists)
		sb_add(b, "add element " T " vifs { \"%s\" : jump %s }\n", p->dev, p->dev);
}

/* The whole table, replacing whatever is there, in one transaction. */
static void sb_full(struct dp_lock *lk, struct sbuf *b)
{
	sb_add(b, "add table " T "\ndelete table " T "\nadd table " T "\n"
		  "add map " T " vifs { type ifname : verdict; }\n"
		  "add chain " T " in { type filter hook prerouting priority -300; policy accept; }\n"
		  "add rule " T " in iifname vmap @vifs\n");
	for (size_t i = 0; i < lk->n; i++) {
		lk->v[i].batched = true;
		lk->v[i].batch_want = lk->v[i].want;
		if (lk->v[i].want)
			sb_port(b, &lk->v[i], false);
	}
}

static void sb_changes(struct dp_lock *lk, struct sbuf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < lk->n && n < MAX_BATCH; i++) {
		struct port *p = &lk->v[i];
		if (!p->dirty)
			continue;
		p->batched = true;
		p->batch_want = p->want;
		n++;
		if (p->want)
			sb_port(b, p, p->installed);
		else if (p->installed)
			sb_add(b, "delete element " T " vifs { \"%s\" }\ndelete chain " T " %s\n", p->dev, p->dev);
	}
}

static void port_free(struct port *p)
{
	free(p->ips);
	p->ips = NULL;
}

/* After a write (@ok: it went in): what is in the kernel now; ports no
 * longer wanted go.  True when changes are left for another write. */
static bool written(struct dp_lock *lk, bool ok)
{
	size_t j = 0;
	bool more = false;

	for (size_t i = 0; i < lk->n; i++) {
		struct port *p = &lk->v[i];
		if (p->batched && ok) {
			p->dirty = p->redo;
			p->installed = p->batch_want;
		}
		p->batched = p->redo = false;
		more |= p->dirty;
		if (p->want || p->dirty || p->installed)
			lk->v[j++] = *p;
		else
			port_free(p);
	}
	lk->n = j;
	return more;
}

static void arm(struct dp_lock *lk)
{
	uint64_t now = loop_now_ms(), next = lk->last_end_ms + 3 * lk->last_cost_ms;

	if (!lk->timer.armed)
		loop_timer_arm(lk->loop, &lk->timer, next > now ? (unsigned)(next - now) : 0);
}

/* libnftables exit()s the whole daemon when it cannot open its netlink
 * socket (a kernel without nfnetlink, seen on emulated Xen hosts): try one
 * first, and keep the daemon running with the vifs unlocked until it works. */
static bool nft_kernel_ok(struct dp_lock *lk)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	char msg[sizeof(lk->last_err)];

	if (fd >= 0) {
		close(fd);
		return true;
	}
	snprintf(msg, sizeof(msg), "no nftables in the kernel (netlink netfilter: %s)", strerror(errno));
	if (strcmp(lk->last_err, msg) != 0) {
		snprintf(lk->last_err, sizeof(lk->last_err), "%s", msg);
		log_err("vif locks: %s: vifs are not locked; retrying", msg);
	}
	return false;
}

static void write_done(void *arg, int rc, const char *err);

static void flush(void *arg)
{
	struct dp_lock *lk = arg;
	struct sbuf b = { 0 };
	char why[128];

	if (dp_nft_busy(lk->nft))
		return; /* write_done() arms the timer again */
	if (!nft_kernel_ok(lk)) {
		loop_timer_arm(lk->loop, &lk->timer, RETRY_MS);
		return;
	}
	lk->full = !lk->synced;
	if (lk->full)
		sb_full(lk, &b);
	else
		sb_changes(lk, &b);
	if (b.failed) {
		written(lk, false);
		free(b.s);
		loop_timer_arm(lk->loop, &lk->timer, RETRY_MS);
		return;
	}
	if (!b.s) { /* nothing to write (ports that never were in) */
		if (written(lk, true))
			arm(lk);
		return;
	}
	lk->write_t0 = loop_now_ms();
	if (dp_nft_write(lk->nft, b.s, why, sizeof(why)) < 0) {
		written(lk, false);
		log_err("vif locks: nftables writer: %s; retrying", why);
		loop_timer_arm(lk->loop, &lk->timer, RETRY_MS);
	}
}

/* On the loop, when the writer thread is done with the batch. */
static void write_done(void *arg, int rc, const char *err)
{
	struct dp_lock *lk = arg;

	lk->last_end_ms = loop_now_ms();
	lk->last_cost_ms = lk->last_end_ms - lk->write_t0;
	if (rc == 0) {
		if (lk->full) {
			size_t locked = 0;
			for (size_t i = 0; i < lk->n; i++)
				locked += lk->v[i].want;
			log_info("vif locks: table " T " written, %zu ports locked", locked);
		}
		lk->synced = true;
		lk->last_err[0] = '\0';
		if (written(lk, true))
			arm(lk);
	} else {
		written(lk, false);
		/* Someone changed our table, or the kernel refused: write it
		 * whole again (the rules in force stay until then). */
		if (strncmp(lk->last_err, err, sizeof(lk->last_err) - 1) != 0) {
			snprintf(lk->last_err, sizeof(lk->last_err), "%s", err);
			log_err("vif locks: nftables refused the %s: %s", lk->full ? "table" : "changes",
				*err ? err : "(no reason given)");
		}
		lk->synced = false;
		loop_timer_arm(lk->loop, &lk->timer, RETRY_MS);
	}
}

struct dp_lock *dp_lock_new(struct loop *l)
{
	struct dp_lock *lk = calloc(1, sizeof(*lk));

	if (!lk)
		return NULL;
	lk->loop = l;
	timer_init(&lk->timer, flush, lk);
	if (!(lk->nft = dp_nft_new(l, write_done, lk))) {
		free(lk);
		return NULL;
	}
	return lk;
}

void dp_lock_free(struct dp_lock *lk)
{
	if (!lk)
		return;
	loop_timer_cancel(lk->loop, &lk->timer);
	for (size_t i = 0; i < lk->n; i++)
		port_free(&lk->v[i]);
	free(lk->v);
	dp_nft_free(lk->nft); /* a write under way finishes first */
	free(lk);
}

static struct port *find(struct dp_lock *lk, const char *dev)
{
	for (size_t i = 0; i < lk->n; i++)
		if (strcmp(lk->v[i].dev, dev) == 0)
			return &lk->v[i];
	return NULL;
}

/* Write on the next loop turn, but spend at most about a quarter of the
 * loop's time in nftables: a write costs the kernel and libnftables time
 * that grows with the table (tens of ms at a few thousand ports), and a
 * burst of vifs must not turn into a write per loop turn. */
static void changed(struct dp_lock *lk, struct port *p)
{
	p->dirty = true;
	p->redo |= p->batched;
	arm(lk);
}

int dp_lock_set(struct dp_lock *lk, const char *dev, const uint8_t mac[6], const char *ips)
{
	struct port *p = find(lk, dev);
	const char *want_ips = ips ? ips : "";

	if (!name_ok(dev) || strlen(dev) >= IFNAMSIZ) {
		log_err("vif %s: a name nftables cannot take: not locked", dev);
		return -1;
	}
	if (p && p->want && memcmp(p->mac, mac, 6) == 0 && strcmp(p->ips, want_ips) == 0)
		return 0;
	if (!p) {
		struct port *v = vnet_grow(lk->v, &lk->cap, lk->n, sizeof(*v), 16);
		if (!v)
			return -1;
		lk->v = v;
		p = &lk->v[lk->n++];
		memset(p, 0, sizeof(*p));
		snprintf(p->dev, sizeof(p->dev), "%s", dev);
	}
	char *copy = strdup(want_ips);
	if (!copy)
		return -1;
	free(p->ips);
	p->ips = copy;
	memcpy(p->mac, mac, 6);
	p->want = true;
	changed(lk, p);
	return 0;
}

void dp_lock_sync(struct dp_lock *lk)
{
	/* Once in sync, a new read of xenstore (a reconnect) only changes
	 * ports, each through dp_lock_set/clear: no rewrite of the table. */
	if (!lk->synced && !lk->timer.armed)
		loop_timer_arm(lk->loop, &lk->timer, 0);
}

void dp_lock_clear(struct dp_lock *lk, const char *dev)
{
	struct port *p = find(lk, dev);

	if (p && p->want) {
		p->want = false;
		changed(lk, p);
	}
}
