/* Kernel link programming over rtnetlink (libnl-route-3): the generic part
 * every data-plane kind shares — ownership marks, bridges, ports, events,
 * the underlay.  Kind-specific links (VXLAN, vnet.ko) live in dp_*.c. */
#ifndef XENVNETD_KERN_H
#define XENVNETD_KERN_H

#include <netinet/in.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netlink/route/link.h>

/* Every device the daemon creates carries the alias KERN_MARK_PREFIX<key>.
 * The kernel takes no alias in the message that creates a link, so a new
 * link is born in device group KERN_GROUP and labelled right after: a
 * link in that group without a label is ours, half made (we crashed in
 * between), and may be adopted by the vnet that wants its name. */
#define KERN_MARK_PREFIX "xenvnet:"
#define KERN_MARK_MAX 64
#define KERN_GROUP 0x78766e74u /* "xvnt" */

struct kern_fdb_refusal;

struct kern {
	struct linksnap *snap; /* see kern_snapshot_take() */
	struct nl_sock *sk;   /* requests */
	struct nl_sock *ev;   /* link and address notifications */
	struct nl_sock *batch; /* queued FDB writes, unacknowledged */
	uint8_t *q;           /* the queue: netlink messages back to back */
	size_t qlen;
	uint32_t qseq;
	uint64_t batch_errors;
	/* who is told which queued FDB writes the kernel refused */
	void (*refused)(void *arg, const struct kern_fdb_refusal *r);
	void *refused_arg;
};

struct kern_underlay {
	int ifindex;
	char name[IFNAMSIZ];
	int family;           /* AF_INET or AF_INET6 */
	struct in6_addr addr; /* IPv4 in the first 4 bytes when AF_INET */
	unsigned mtu;
};

/* A link or address change the daemon may care about. */
struct kern_event {
	const char *name;      /* link name; NULL for an address event */
	const char *owner;     /* vnet key from the mark, or NULL if not ours */
	int ifindex;
	int master;            /* the link's bridge (IFLA_MASTER), 0: none */
	bool deleted;
	bool overrun;          /* notifications were lost: rescan everything */
};

typedef void (*kern_event_cb)(void *arg, const struct kern_event *ev);

int kern_open(struct kern *k, char *err, size_t errlen);
void kern_close(struct kern *k);
int kern_event_fd(const struct kern *k);
void kern_read_events(struct kern *k, kern_event_cb cb, void *arg);

/* The device named (or, with name empty, the first up device with a global
 * address) and its address.  Returns 0, or -1 with a reason. */
int kern_find_underlay(struct kern *k, const char *name, struct kern_underlay *u, char *err, size_t errlen);

/* The link of that name from the kernel, or NULL (caller rtnl_link_put()s). */
struct rtnl_link *kern_link_get(struct kern *k, const char *name);

/* Answer kern_link_get() from one dump of every link until
 * kern_snapshot_drop(), for a pass over many vnets (see dp_linksnap.h).
 * What the daemon changes meanwhile is read from the kernel again: every
 * change to a link goes through kern, or is told by kern_link_changed(). */
int kern_snapshot_take(struct kern *k);
void kern_snapshot_drop(struct kern *k);
void kern_link_changed(struct kern *k, const char *name);

/* A dump of @type (request body @req), each message to cb, on a socket of
 * its own with strict checking (the kernel applies the request's
 * filters).  0 or -NLE_*. */
int kern_dump(uint16_t type, const void *req, size_t reqlen, void (*cb)(void *arg, const struct nlmsghdr *h),
	      void *arg);

/* The vnet key in a link's mark, or NULL when the link is not ours. */
const char *kern_link_owner(struct rtnl_link *link);
/* Ours but not labelled yet (see KERN_GROUP). */
bool kern_link_half_made(struct rtnl_link *link);
/* Label a link as @key's. */
int kern_link_label(struct kern *k, struct rtnl_link *link, const char *key);
/* The same for the link of that name, without reading it first. */
int kern_link_label_name(struct kern *k, const char *name, const char *key);

/* Write "xenvnet:<key>" into buf. */
void kern_mark(const char *key, char *buf, size_t size);

/* Create a bridge: STP off, forward delay 0, up, in KERN_GROUP (label it
 * next). */
int kern_bridge_create(struct kern *k, const char *name, unsigned mtu);

/* Bring an existing link to mtu, master (0: leave) and up, changing only
 * what differs. */
int kern_link_settle(struct kern *k, struct rtnl_link *link, unsigned mtu, int master);

/* 0 when deleted or already gone, else a libnl error. */
int kern_link_delete(struct kern *k, const char *name);

/* Make an existing device @name a port of @bridge (with the bridge's MTU),
 * if it is not one already.  1 when it was re-attached, 0 when nothing was
 * to do (or there is no such device), else a libnl error. */
int kern_link_attach(struct kern *k, const char *name, const char *bridge);

/* Have the kernel act now on a carrier change of @name.  A new carrier
 * reaches the bridge (port disabled -> forwarding) only through the link
 * watcher, which defers some events up to a second after its previous run
 * (a device without a distinct peer whose carrier was already up when it
 * came up, say): a migrated guest's port would drop its frames all that
 * time.  Asking for the link state (ETHTOOL_GLINK) makes the kernel
 * process the pending event first.  1 when the carrier is up, 0 when not,
 * -1 when it cannot be asked. */
int kern_link_carrier_sync(const char *name);

/* One link as a listing shows it. */
struct kern_link_info {
	const char *name;
	int ifindex;
	int master;           /* 0: none */
	bool up;
	unsigned mtu;
	const uint8_t *mac;   /* 6 bytes, or NULL */
	const char *owner;    /* vnet key from our mark, or NULL */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_errors, rx_dropped, tx_errors, tx_dropped;
};

/* Call cb for every link in the kernel. */
int kern_links_foreach(struct kern *k, void (*cb)(void *arg, const struct kern_link_info *l), void *arg);

/* One bridge-family FDB entry. */
struct kern_fdb {
	int ifindex;          /* the port (or tunnel device) it is on */
	int master;           /* its bridge, when the bridge holds it */
	uint8_t mac[6];
	bool has_dst;         /* tunnel entries: the remote endpoint */
	int family;
	struct in6_addr dst;
	int state;            /* NUD_* */
	unsigned flags;       /* NTF_* */
	unsigned vlan;        /* 0: none (a bridge may hold vid 0 and 1 alike) */
	bool has_age;
	unsigned age_s;       /* since the kernel last refreshed the entry */
};

int kern_fdb_foreach(struct kern *k, void (*cb)(void *arg, const struct kern_fdb *f), void *arg);
/* Delete exactly that entry. */
int kern_fdb_delete(struct kern *k, const struct kern_fdb *f);

/* Pin the bridge's own forwarding entry for @mac to port @port: a static
 * sticky entry, which no frame from another port (another vif, the
 * tunnel) can move, and which goes with the port.  A guest that migrated
 * here was learned on the tunnel port while it was away; until it speaks,
 * the bridge would keep sending its frames back into the tunnel.
 * !@sticky (control = evpn): static only, so EVPN's MAC mobility can
 * still move it (zebra refuses to move a sticky MAC). */
int kern_bridge_fdb_pin(struct kern *k, int port, const uint8_t mac[6], bool sticky);

/* FDB writes on tunnel devices are queued and sent many per sendmsg,
 * without waiting for acknowledgements: the cluster programs one per
 * control message, at 100k+ messages a second.  Successes are silent
 * (no NLM_F_ACK: an ACK per write would double the traffic); the kernel
 * answers every failed write with an error that echoes the request, and
 * rtnetlink handles a batch inside the sendmsg, so those errors are queued
 * on kern_batch_fd() when kern_fdb_flush() returns.  kern_fdb_flush() and
 * kern_batch_read_errors() drain them and tell the kern_fdb_on_refused()
 * callback which write failed, without ever waiting.  @dst (family
 * AF_INET/AF_INET6) may be NULL on deletes. */
enum kern_fdb_op {
	KERN_FDB_REPLACE, KERN_FDB_APPEND, KERN_FDB_DELETE,
	/* Delete the bridge's own entry (NTF_MASTER) for the MAC on port
	 * @ifindex, whatever its state: what the bridge learned behind a
	 * tunnel.  Refused (ENOENT) when there is none or it is on another
	 * port; refusals come back as KERN_FDB_DELETE. */
	KERN_FDB_FORGET,
};

/* One refused FDB write (from the request its error echoes), or lost: the
 * error reports themselves were lost (the socket's buffer overflowed), so
 * any write since the last drain may have failed. */
struct kern_fdb_refusal {
	bool lost;
	enum kern_fdb_op op;
	int ifindex;
	uint8_t mac[6];
	int family;           /* of dst; 0 when the write had none */
	struct in6_addr dst;
	int error;            /* errno */
};

/* Called from kern_fdb_flush(), kern_fdb_queue() (a full queue is sent)
 * and kern_batch_read_errors(): it must only take note, not queue. */
void kern_fdb_on_refused(struct kern *k, void (*cb)(void *arg, const struct kern_fdb_refusal *r), void *arg);
int kern_fdb_queue(struct kern *k, enum kern_fdb_op op, int ifindex, const uint8_t mac[6], int family,
		   const struct in6_addr *dst);
/* The same, the frames going out of device @via (0: the route's). */
int kern_fdb_queue_via(struct kern *k, enum kern_fdb_op op, int ifindex, const uint8_t mac[6], int family,
		       const struct in6_addr *dst, int via);
/* Send what is queued.  Returns 0 or -errno. */
int kern_fdb_flush(struct kern *k);
int kern_batch_fd(const struct kern *k);
void kern_batch_read_errors(struct kern *k);


#endif
