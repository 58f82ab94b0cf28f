/* vif backends in xenstore (/local/domain/0/backend/vif/<domid>/<devid>/)
 * and the vnet membership they imply.
 *
 * A vif whose `bridge` is an up vnet's bridge is a member of that vnet.
 * Membership is keyed on (vnet, MAC), never on the domid: a migrated
 * domain has a new domid but the same MAC and devid. */
#ifndef XENVNETD_VIFS_H
#define XENVNETD_VIFS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>
#include "vnet_id.h"
#include "xs.h"

#define VIFS_XS_ROOT "/local/domain/0/backend/vif"
#define XENBUS_CONNECTED 4

struct vif {
	unsigned domid, devid;
	uint8_t mac[6];
	bool mac_ok;              /* a unicast MAC: may be a member */
	const char *mac_err;      /* else why not ("multicast or broadcast", ...) */
	char mac_text[32];        /* the `mac` key as written (cut short) */
	char bridge[IFNAMSIZ];
	char dev[IFNAMSIZ];       /* vifname, or vif<domid>.<devid> */
	bool dev_bad;             /* dev is not this backend's netback vif ... */
	char dev_why[96];         /* ... because of this */
	char ip[256];             /* the `ip` key: the guest's addresses, if known */
	int lock;                 /* the `xenvnet-lock` key: 1, 0, or -1 when absent */
	bool locked;              /* vifs_ops.lock told to lock it */
	bool lock_dirty;          /* what its lock depends on changed */
	bool emu;                 /* an HVM guest's emulated NIC, dev + "-emu", exists */
	char port[IFNAMSIZ];      /* the device the guest's frames come from: dev,
				   * or the -emu tap while netback is not connected */
	int port_master;          /* port's bridge when last heard of (rtnetlink) */
	int plug_master;          /* dev's bridge, the same, before it is announced */
	int state;                /* xenbus state of the backend */
	bool online;
	/* membership, decided against the vnets that are up */
	bool member;
	struct vnet_id vnet;
	bool announced;           /* told the cluster (connected member) */
	bool primed;              /* asked where its MAC is before connecting */
};

/* What the membership changes are reported to. */
struct vifs_ops {
	/* The vnet whose bridge is @bridge, if it is up. */
	bool (*vnet_of_bridge)(void *arg, const char *bridge, struct vnet_id *id);
	/* A member reached Connected (present) or stopped being one (!present). */
	void (*member)(void *arg, const struct vif *v, bool present);
	/* A member exists but is not connected yet (a migration target). */
	void (*prime)(void *arg, const struct vif *v);
	/* A member's device should be a port of its vnet's bridge (it may have
	 * been cut off when the bridge was recreated). */
	void (*attach)(void *arg, const struct vif *v);
	/* A connected member's device joined a bridge after it was announced
	 * (the hotplug script was late): pin its MAC there. */
	void (*pin)(void *arg, const struct vif *v);
	/* A member not connected yet (a migration target, paused) has its
	 * device in a bridge now (the hotplug script plugged it). */
	void (*plugged)(void *arg, const struct vif *v);
	/* Lock (or no longer lock) a member's devices to its MAC and `ip`. */
	void (*lock)(void *arg, const struct vif *v, bool on);
};

struct vifs;

struct vifs *vifs_new(const struct vifs_ops *ops, void *arg);
void vifs_free(struct vifs *s);

/* Add the watch (token "vif") and read every vif.  -1: xenstore failed. */
int vifs_connected(struct vifs *s, struct xs_handle *h);
/* A watch event under VIFS_XS_ROOT.  -1: xenstore failed.  With
 * vifs_set_xs, a vif's own keys are read without blocking (xs_keys.h):
 * its membership changes when the answers come. */
int vifs_watch(struct vifs *s, struct xs_handle *h, const char *path);
/* Read vifs on @c's probe connection from now on (0, or -1: no memory).
 * Free @c before the vifs. */
int vifs_set_xs(struct vifs *s, struct xsconn *c);
/* Vnets came up or went: decide membership again for every vif, and
 * plug members back into bridges that were recreated. */
void vifs_recheck(struct vifs *s);

/* Lock vifs whose backend has no `xenvnet-lock` key (the config's
 * lock_vifs); changes apply to every vif at once. */
void vifs_set_lock_default(struct vifs *s, bool on);

/* A link appeared, changed or went (rtnetlink; @master its bridge): an
 * HVM guest's -emu tap decides which device is the member's, a
 * member's device that joins a bridge gets its MAC pinned there, and one
 * that joins before its guest connects is reported (vifs_ops.plugged). */
void vifs_link(struct vifs *s, const char *name, int master, bool deleted);

/* Vifs whose `mac` is there but unfit (unparsable, multicast, zero). */
size_t vifs_bad_macs(const struct vifs *s);

void vifs_foreach(struct vifs *s, void (*cb)(void *arg, const struct vif *v), void *arg);

/* "aa:00:00:01:02:03" -> bytes; -1 when malformed. */
int mac_parse(const char *s, uint8_t mac[6]);

#endif
