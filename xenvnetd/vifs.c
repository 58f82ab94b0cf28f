#include "vifs.h"
#include "ctl_monitor.h"
#include "log.h"
#include "proto.h"
#include "xs_keys.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct vifs {
	const struct vifs_ops *ops;
	void *arg;
	struct xs_keys *keys;     /* the loop's reads (vifs_set_xs) */
	bool lock_default;
	struct vif *v;
	size_t n, cap;
};

int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* Why a backend's `mac` cannot be a vnet member's, or NULL when it can.
 * The cluster points other hosts' FDBs at it: it must be unicast and not
 * all zero (the kernel and the wire refuse anything else). */
static const char *mac_check(const char *text, uint8_t mac[6])
{
	memset(mac, 0, 6);
	if (!text)
		return "missing";
	if (mac_parse(text, mac) < 0) {
		memset(mac, 0, 6);
		return "not a MAC address";
	}
	if (mac[0] & 1)
		return "multicast or broadcast";
	if (!proto_mac_ok(mac))
		return "all zero";
	return NULL;
}

/* The kernel driver of network device @dev ("" when it has none or does
 * not exist). */
static void dev_driver(const char *dev, char *out, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	out[0] = '\0';
	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (char *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		snprintf(out, len, "%.*s", (int)sizeof(info.driver), info.driver);
	close(fd);
}

/* Whether @dev cannot be the device of backend (domid, devid): true with
 * the reason in @why.  The
 * daemon plugs members into guest bridges, so a `vifname` naming another
 * device (the underlay NIC, say) must never be taken: only netback's
 * own name for it, vif<domid>.<devid> (the emulated NIC of an HVM guest
 * is that name plus "-emu"), or a renamed device whose driver is
 * netback's ("vif").  The lab's veths carry the netback names. */
static bool dev_check(const char *dev, unsigned domid, unsigned devid, char *why, size_t len)
{
	char own[IFNAMSIZ], driver[64];

	snprintf(own, sizeof(own), "vif%u.%u", domid, devid);
	if (strcmp(dev, own) == 0)
		return false;
	if (strncmp(dev, own, strlen(own)) == 0 && strcmp(dev + strlen(own), "-emu") == 0)
		return false;
	dev_driver(dev, driver, sizeof(driver));
	if (strcmp(driver, "vif") == 0)
		return false;
	snprintf(why, len, "not netback's device for it (%s; driver '%s')", own, driver[0] ? driver : "none");
	return true;
}

struct vifs *vifs_new(const struct vifs_ops *ops, void *arg)
{
	struct vifs *s = calloc(1, sizeof(*s));

	if (s) {
		s->ops = ops;
		s->arg = arg;
		s->lock_default = true;
	}
	return s;
}

void vifs_free(struct vifs *s)
{
	if (s) {
		xs_keys_free(s->keys);
		free(s->v);
		free(s);
	}
}

static struct vif *find(struct vifs *s, unsigned domid, unsigned devid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].domid == domid && s->v[i].devid == devid)
			return &s->v[i];
	return NULL;
}

/* `vn monitor`: a vif joined or left its vnet. */
static void publish_member(const struct vif *v, bool present)
{
	char id[VNET_ID_STRLEN], mac[18], dom[16];

	vnet_id_format(&v->vnet, id);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1], v->mac[2],
		 v->mac[3], v->mac[4], v->mac[5]);
	snprintf(dom, sizeof(dom), "%u", v->domid);
	ctl_monitor_publish("vif", (const char *const[]){ "action", present ? "join" : "leave",
		"vnet", id, "name", v->dev, "domid", dom, "mac", mac, NULL });
}

/* The HVM guest's emulated NIC: its tap, named after the vif. */
static bool emu_name(const char *dev, char out[IFNAMSIZ])
{
	return (size_t)snprintf(out, IFNAMSIZ, "%s-emu", dev) < IFNAMSIZ;
}

static bool emu_exists(const char *dev)
{
	char name[IFNAMSIZ];

	return emu_name(dev, name) && if_nametoindex(name) != 0;
}

/* Tell the owner when a vif starts or stops being a connected member.  A
 * guest whose netback is not connected but whose -emu tap exists (an HVM
 * guest on its emulated NIC) is a member through the tap. */
static void decide(struct vifs *s, struct vif *v, bool gone)
{
	struct vnet_id id;
	bool member = !gone && v->mac_ok && !v->dev_bad && v->bridge[0] && s->ops->vnet_of_bridge(s->arg, v->bridge, &id);
	bool via_emu = v->emu && v->state != XENBUS_CONNECTED;
	bool announce = member && v->online && (v->state == XENBUS_CONNECTED || via_emu);
	bool lock = member && (v->lock >= 0 ? v->lock == 1 : s->lock_default);
	char port[IFNAMSIZ];

	if (!via_emu || !emu_name(v->dev, port))
		snprintf(port, sizeof(port), "%s", v->dev);
	if (v->announced && (!announce || !vnet_id_equal(&id, &v->vnet))) {
		s->ops->member(s->arg, v, false);
		publish_member(v, false);
		v->announced = false;
	}
	v->member = member;
	if (member)
		v->vnet = id;
	if (member && !announce && !v->announced && !v->primed) {
		s->ops->prime(s->arg, v);
		v->primed = true;
	}
	if (announce && !v->announced) {
		snprintf(v->port, sizeof(v->port), "%s", port);
		s->ops->member(s->arg, v, true);
		publish_member(v, true);
		v->announced = true;
	} else if (announce && strcmp(v->port, port) != 0) {
		/* The guest's frames come from another device now (its PV
		 * driver took over from the emulated NIC): pin there.  No
		 * withdrawal: the MAC stays here. */
		snprintf(v->port, sizeof(v->port), "%s", port);
		s->ops->member(s->arg, v, true);
	}
	if (lock != v->locked || (lock && v->lock_dirty))
		s->ops->lock(s->arg, v, lock);
	v->locked = lock;
	v->lock_dirty = false;
}

static void remove_at(struct vifs *s, struct vif *v)
{
	decide(s, v, true);
	if (v->locked)
		s->ops->lock(s->arg, v, false);
	*v = s->v[--s->n];
}

/* A backend's keys, in this order (xs_keys_done's vals). */
enum { K_MAC, K_BRIDGE, K_STATE, K_ONLINE, K_NAME, K_IP, K_LOCK, NKEYS };
static const char *const vif_keys[NKEYS] = { "mac", "bridge", "state", "online", "vifname", "ip", "xenvnet-lock" };

/* A vif from its keys' values (NULL: absent): 0, or 1 when it does not
 * exist. */
static int fill_vif(struct vif *v, unsigned domid, unsigned devid, char *const k[NKEYS])
{
	if (!k[K_MAC] && !k[K_BRIDGE] && !k[K_STATE] && !k[K_ONLINE])
		return 1;
	memset(v, 0, sizeof(*v));
	v->domid = domid;
	v->devid = devid;
	v->mac_err = mac_check(k[K_MAC], v->mac);
	v->mac_ok = !v->mac_err;
	snprintf(v->mac_text, sizeof(v->mac_text), "%s", k[K_MAC] ? k[K_MAC] : "");
	snprintf(v->bridge, sizeof(v->bridge), "%s", k[K_BRIDGE] ? k[K_BRIDGE] : "");
	v->state = k[K_STATE] ? atoi(k[K_STATE]) : 0;
	v->online = k[K_ONLINE] && strcmp(k[K_ONLINE], "1") == 0;
	if (k[K_NAME] && *k[K_NAME])
		snprintf(v->dev, sizeof(v->dev), "%s", k[K_NAME]);
	else
		snprintf(v->dev, sizeof(v->dev), "vif%u.%u", domid, devid);
	v->dev_bad = dev_check(v->dev, domid, devid, v->dev_why, sizeof(v->dev_why));
	snprintf(v->ip, sizeof(v->ip), "%s", k[K_IP] ? k[K_IP] : "");
	v->lock = !k[K_LOCK] ? -1 : strcmp(k[K_LOCK], "0") == 0 ? 0 : 1; /* anything but 0 locks */
	v->emu = !v->dev_bad && emu_exists(v->dev);
	return 0;
}

/* Read one vif's keys into @v; 0, 1 when it does not exist, -1 on failure. */
static int read_vif(struct xs_handle *h, unsigned domid, unsigned devid, struct vif *v)
{
	char dir[128], path[192];
	xs_transaction_t t;
	char *k[NKEYS];
	int rc;

	snprintf(dir, sizeof(dir), VIFS_XS_ROOT "/%u/%u", domid, devid);
	for (int tries = 0; tries < 8; tries++) {
		unsigned len;
		int err = 0;
		if ((t = xs_transaction_start(h)) == XBT_NULL)
			return -1;
		for (int i = 0; i < NKEYS; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, vif_keys[i]);
			if (!(k[i] = xs_read(h, t, path, &len)))
				err = errno;
		}
		bool ended = xs_transaction_end(h, t, false);
		int end_err = errno;
		rc = !ended ? -1 : fill_vif(v, domid, devid, k);
		if (rc == 1 && err != ENOENT)
			rc = -1;
		for (int i = 0; i < NKEYS; i++)
			free(k[i]);
		if (ended || end_err != EAGAIN) {
			errno = ended ? err : end_err;
			return rc;
		}
	}
	errno = EAGAIN;
	return -1;
}

/* What was read of a vif (rc 1: it is gone) replaces what we knew. */
static void apply(struct vifs *s, unsigned domid, unsigned devid, int rc, struct vif *fresh_in)
{
	struct vif fresh = *fresh_in, *v = find(s, domid, devid);

	if (rc == 1) {
		if (v)
			remove_at(s, v);
		return;
	}
	/* Once per bad value, not on every watch event of the vif. */
	if (fresh.mac_err && fresh.mac_text[0] && (!v || strcmp(v->mac_text, fresh.mac_text) != 0))
		log_err("vif %s (domain %u): mac '%s' is %s: not a vnet member until it is a unicast MAC",
			fresh.dev, domid, fresh.mac_text, fresh.mac_err);
	if (fresh.dev_bad && (!v || strcmp(v->dev, fresh.dev) != 0 || !v->dev_bad))
		log_err("vif %s (domain %u): vifname '%s' is %s: never attached to a bridge, not a vnet member",
			fresh.dev, domid, fresh.dev, fresh.dev_why);
	if (!v) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 32;
			struct vif *nv = realloc(s->v, cap * sizeof(*nv));
			if (!nv)
				return;
			s->v = nv;
			s->cap = cap;
		}
		v = &s->v[s->n++];
		memset(v, 0, sizeof(*v));
	}
	/* A vif whose MAC changed is a new member: withdraw the old one. */
	if (v->announced && memcmp(v->mac, fresh.mac, 6) != 0)
		decide(s, v, true);
	/* Its locks are on the old device names. */
	if (v->locked && strcmp(v->dev, fresh.dev) != 0) {
		s->ops->lock(s->arg, v, false);
		v->locked = false;
	}
	fresh.lock_dirty = memcmp(v->mac, fresh.mac, 6) != 0 || strcmp(v->ip, fresh.ip) != 0 ||
			   v->emu != fresh.emu;
	fresh.locked = v->locked;
	memcpy(fresh.port, v->port, sizeof(fresh.port));
	fresh.port_master = v->port_master;
	fresh.plug_master = v->plug_master;
	fresh.member = v->member;
	fresh.vnet = v->vnet;
	fresh.announced = v->announced;
	fresh.primed = v->primed;
	*v = fresh;
	decide(s, v, false);
}

static int load(struct vifs *s, struct xs_handle *h, unsigned domid, unsigned devid)
{
	struct vif fresh;
	int rc = read_vif(h, domid, devid, &fresh);

	if (rc < 0)
		return -1;
	apply(s, domid, devid, rc, &fresh);
	return 0;
}

/* The answers to xs_keys_read (the loop's reads, vifs_watch). */
static void keys_read(void *arg, const char *dir, char *const *vals)
{
	struct vifs *s = arg;
	unsigned domid, devid;
	struct vif fresh;

	if (sscanf(dir, VIFS_XS_ROOT "/%u/%u", &domid, &devid) == 2)
		apply(s, domid, devid, fill_vif(&fresh, domid, devid, vals), &fresh);
}

int vifs_set_xs(struct vifs *s, struct xsconn *c)
{
	s->keys = xs_keys_new(c, vif_keys, NKEYS, keys_read, s);
	return s->keys ? 0 : -1;
}


/* Read every vif of domain @dom (a directory name below VIFS_XS_ROOT). */
static int load_domain(struct vifs *s, struct xs_handle *h, const char *dom)
{
	char path[128];
	unsigned nv;
	int rc = 0;

	snprintf(path, sizeof(path), VIFS_XS_ROOT "/%s", dom);
	char **devs = xs_directory(h, XBT_NULL, path, &nv);
	if (!devs && errno != ENOENT)
		return -1;
	for (unsigned j = 0; devs && j < nv && rc == 0; j++)
		rc = load(s, h, (unsigned)strtoul(dom, NULL, 10), (unsigned)strtoul(devs[j], NULL, 10));
	free(devs);
	return rc;
}

/* Forget the vifs (of domain @domid, or all with -1) that a rescan did
 * not see. */
static void forget_unseen(struct vifs *s, long domid)
{
	for (size_t i = 0; i < s->n;) {
		if (s->v[i].state == -1 && (domid < 0 || s->v[i].domid == (unsigned)domid))
			remove_at(s, &s->v[i]);
		else
			i++;
	}
}

/* Read every vif below VIFS_XS_ROOT (forgetting ones that are gone). */
static int rescan(struct vifs *s, struct xs_handle *h)
{
	unsigned nd;
	char **doms = xs_directory(h, XBT_NULL, VIFS_XS_ROOT, &nd);

	if (!doms && errno != ENOENT)
		return -1;
	for (size_t i = 0; i < s->n; i++)
		s->v[i].state = -1; /* unseen so far */
	for (unsigned i = 0; doms && i < nd; i++) {
		if (load_domain(s, h, doms[i]) < 0) {
			free(doms);
			return -1;
		}
	}
	free(doms);
	forget_unseen(s, -1);
	return 0;
}

/* The same for one domain: a burst of new domains must not read every
 * vif again for each. */
static int rescan_domain(struct vifs *s, struct xs_handle *h, unsigned domid)
{
	char dom[16];

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].domid == domid)
			s->v[i].state = -1;
	snprintf(dom, sizeof(dom), "%u", domid);
	if (load_domain(s, h, dom) < 0)
		return -1;
	forget_unseen(s, domid);
	return 0;
}

int vifs_connected(struct vifs *s, struct xs_handle *h)
{
	return rescan(s, h);
}

int vifs_watch(struct vifs *s, struct xs_handle *h, const char *path)
{
	unsigned domid, devid;
	int used = 0;

	if (sscanf(path, VIFS_XS_ROOT "/%u/%u%n", &domid, &devid, &used) == 2 &&
	    (path[used] == '\0' || path[used] == '/')) {
		char dir[64];
		if (!s->keys)
			return load(s, h, domid, devid);
		snprintf(dir, sizeof(dir), VIFS_XS_ROOT "/%u/%u", domid, devid);
		xs_keys_read(s->keys, dir); /* without waiting for xenstored */
		return 0;
	}
	if (sscanf(path, VIFS_XS_ROOT "/%u%n", &domid, &used) == 1 && path[used] == '\0')
		return rescan_domain(s, h, domid); /* a domain came or went */
	/* The root went: read everything again. */
	return rescan(s, h);
}

void vifs_recheck(struct vifs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		decide(s, &s->v[i], false);
		if (s->v[i].member && s->v[i].online)
			s->ops->attach(s->arg, &s->v[i]);
	}
}

void vifs_set_lock_default(struct vifs *s, bool on)
{
	if (s->lock_default == on)
		return;
	s->lock_default = on;
	for (size_t i = 0; i < s->n; i++)
		decide(s, &s->v[i], false);
}

void vifs_link(struct vifs *s, const char *name, int master, bool deleted)
{
	size_t len = strlen(name);
	bool emu_tap = len > 4 && strcmp(name + len - 4, "-emu") == 0;

	for (size_t i = 0; i < s->n; i++) {
		struct vif *v = &s->v[i];
		if (v->announced && strcmp(v->port, name) == 0) {
			if (!deleted && master && master != v->port_master)
				s->ops->pin(s->arg, v);
			v->port_master = deleted ? 0 : master;
		} else if (!v->announced && v->member && strcmp(v->dev, name) == 0) {
			if (!deleted && master && master != v->plug_master)
				s->ops->plugged(s->arg, v);
			v->plug_master = deleted ? 0 : master;
		}
		if (!emu_tap || v->dev_bad || strncmp(v->dev, name, len - 4) != 0 || v->dev[len - 4])
			continue;
		bool emu = !deleted && emu_exists(v->dev);
		if (emu != v->emu) {
			v->emu = emu;
			v->lock_dirty = true;
			decide(s, v, false);
		}
	}
}

size_t vifs_bad_macs(const struct vifs *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].mac_err && s->v[i].mac_text[0];
	return n;
}

void vifs_foreach(struct vifs *s, void (*cb)(void *arg, const struct vif *v), void *arg)
{
	for (size_t i = 0; i < s->n; i++)
		cb(arg, &s->v[i]);
}
