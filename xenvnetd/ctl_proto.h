/* The control protocol between vn and xenvnetd (docs/control-protocol.md).
 *
 * One request per connection, one line of text each way plus records:
 *   request:  "XVNCTL/1 <verb>[ <key>=<value>]*\n"
 *   reply:    "XVNCTL/1 ok\n" <record>* "end\n"
 *          or "XVNCTL/1 error <code> <text>\n"
 *   record:   "<type>[ <key>=<value>]*\n", values %XX-escaped.
 *
 * This header is shared by both sides; the daemon's half (decode requests,
 * encode replies) is ctl_proto.c, vn's half is tools/vn_reply.c. */
#ifndef XENVNETD_CTL_PROTO_H
#define XENVNETD_CTL_PROTO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vnet_id.h"

#define CTL_MAGIC      "XVNCTL/1"
#define CTL_REQ_MAX    512                /* whole request line, with LF */
#define CTL_LINE_MAX   4096               /* one reply line, with LF */
#define CTL_REPLY_MAX  (16u << 20)        /* whole reply */
#define CTL_VALUE_MAX  255                /* one request value */
#define CTL_ADDR_MAX   253                /* peer address: DNS name limit */
#define CTL_DEFAULT_PORT 1799               /* the peer's control protocol port */
#define CTL_DEFAULT_SOCKET "/run/xenvnetd/xenvnetd.sock" /* RuntimeDirectory= */

/* Verbs, as spelled on the wire. */
#define CTL_VERB_STATUS     "status"
#define CTL_VERB_VNETS      "vnets"
#define CTL_VERB_PORTS      "ports"
#define CTL_VERB_FDB        "fdb"
#define CTL_VERB_FDB_FLUSH  "fdb-flush"
#define CTL_VERB_PEERS      "peers"
#define CTL_VERB_PEER_ADD   "peer-add"
#define CTL_VERB_PEER_DEL   "peer-del"
#define CTL_VERB_HOSTS      "hosts"
#define CTL_VERB_DIAG       "diag"
#define CTL_VERB_MONITOR    "monitor"
#define CTL_VERB_METRICS    "metrics"
#define CTL_VERB_KEY_ROTATE "key-rotate"

enum ctl_verb {
	CTL_STATUS,
	CTL_VNETS,
	CTL_PORTS,
	CTL_FDB,
	CTL_FDB_FLUSH,
	CTL_PEERS,
	CTL_PEER_ADD,
	CTL_PEER_DEL,
	CTL_HOSTS,
	CTL_DIAG,
	CTL_MONITOR,
	CTL_METRICS,
	CTL_KEY_ROTATE,
	CTL_NVERBS
};

/* Error codes, as spelled on the wire. */
enum ctl_err {
	CTL_E_BAD_REQUEST,   /* "bad-request": malformed or unknown argument */
	CTL_E_UNSUPPORTED,   /* "unsupported": verb known, not implemented here */
	CTL_E_DENIED,        /* "denied": peer is not root */
	CTL_E_NOT_FOUND,     /* "not-found" */
	CTL_E_EXISTS,        /* "exists" */
	CTL_E_FAILED,        /* "failed": the daemon tried and could not */
	CTL_E_TOO_LARGE,     /* "too-large": request or reply over the limit */
	CTL_NERRS
};

const char *ctl_verb_name(enum ctl_verb v);
const char *ctl_err_name(enum ctl_err e);

/* A decoded request.  Fields not allowed for the verb stay zero. */
struct ctl_request {
	enum ctl_verb verb;
	bool has_vnet;                 /* fdb, fdb-flush: optional */
	struct vnet_id vnet;
	char addr[CTL_ADDR_MAX + 1];   /* peer-add, peer-del: required */
	uint16_t port;                 /* peer-add: optional, CTL_DEFAULT_PORT */
	bool has_domid;                /* diag: domid=N or mac=MAC, one of them */
	unsigned domid;
	char mac[CTL_VALUE_MAX + 1];   /* as given: the handler parses it */
};

/* Decode one request line (buf need not be NUL-terminated; it must hold
 * exactly one line ending in LF).  Survives any bytes.  Returns 0, or -1
 * with the reason in err. */
int ctl_request_decode(const char *buf, size_t len, struct ctl_request *req,
		       char *err, size_t errlen);

/* ---- Replies: the daemon fills one through the emit functions below. ---- */

struct ctl_reply {
	char *buf;
	size_t len, cap;
	bool failed;       /* ctl_reply_fail was called: buf holds the error line */
	bool overflow;     /* grew past CTL_REPLY_MAX: becomes a too-large error */
	bool subscribe;    /* monitor: keep the connection for event records */
};

/* Runtime view of one vnet. */
struct ctl_vnet {
	struct vnet_id id;
	const char *bridge;
	const char *vnetif;
	uint32_t vni;
	unsigned mtu;          /* 0: unknown */
	const char *state;     /* "up", "error", "pending" */
	const char *error;     /* NULL unless state is "error" */
	unsigned ports;        /* bridge ports, the vnif included */
};

/* One bridge port of a vnet: a vif, the vnif, or anything else attached. */
enum ctl_port_kind { CTL_PORT_VIF, CTL_PORT_VNIF, CTL_PORT_OTHER };
struct ctl_port {
	struct vnet_id vnet;
	const char *bridge;
	const char *name;
	enum ctl_port_kind kind;
	const uint8_t *mac;    /* 6 bytes, or NULL */
	bool up;
	unsigned mtu;          /* 0: unknown */
	int domid;             /* -1: not a domain's vif */
	bool has_stats;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_errors, rx_dropped, tx_errors, tx_dropped;
};

/* One entry of the MAC -> host table (varp). */
enum ctl_fdb_state { CTL_FDB_LEARNED, CTL_FDB_STATIC, CTL_FDB_LOCAL };
struct ctl_fdb {
	struct vnet_id vnet;
	uint8_t mac[6];
	const char *remote;    /* underlay address of the host, NULL when local */
	const char *dev;       /* local port the MAC is behind, or NULL */
	enum ctl_fdb_state state;
	bool has_age;
	unsigned age_s;        /* seconds since the kernel last refreshed it */
};

struct ctl_peer {
	const char *addr;
	uint16_t port;
	const char *state;     /* resolved, resolving, unresolvable; off: protocol off */
	const char *resolved;  /* the address in use, or NULL */
	const char *error;     /* why the last lookup failed, or NULL */
};

/* One host the cluster knows, or that sent only messages it dropped. */
struct ctl_host {
	const char *addr;
	const char *found;     /* "multicast", "peers", or "none" (never accepted) */
	const char *esp;       /* "ok", "failed", "none" (no SAs with it); NULL: not said */
	bool has_esp_epoch;    /* the key epoch of our SAs with it */
	uint32_t esp_epoch;
	bool has_esp_offset;   /* the key epoch offset its HELLOs announce */
	uint32_t esp_offset;
	const char *key;       /* the cluster key it announces (cluster_host_info); NULL: not said */
	uint64_t last_heard_s; /* since its last HELLO, or last dropped message */
	const struct vnet_id *vnets;
	size_t nvnets;
	uint64_t bad_mac, replayed;
};

/* One step of `diag`: what was checked, and what was found. */
enum ctl_check_result { CTL_CHECK_OK, CTL_CHECK_FAIL, CTL_CHECK_SKIP };
struct ctl_check {
	const char *name;      /* [a-z-]+: vif, connected, bridge, vnet-up, ... */
	enum ctl_check_result result;
	const char *detail;    /* one line for a person */
};

struct ctl_status {
	const char *version;
	const char *dataplane;  /* "vxlan" today */
	const char *underlay;   /* underlay device, or NULL */
	uint16_t port;          /* data plane UDP port */
	unsigned vnets, vnets_up, vnets_error, peers;
	const char *xenstore;   /* "connected" or "lost" */
	uint64_t uptime_s;
};

void ctl_reply_init(struct ctl_reply *r);
void ctl_reply_free(struct ctl_reply *r);

int ctl_emit_status(struct ctl_reply *r, const struct ctl_status *s);
/* A named counter for `vn status`; name: [a-z0-9-]+. */
int ctl_emit_counter(struct ctl_reply *r, const char *name, uint64_t value);
int ctl_emit_vnet(struct ctl_reply *r, const struct ctl_vnet *v);
int ctl_emit_port(struct ctl_reply *r, const struct ctl_port *p);
int ctl_emit_fdb(struct ctl_reply *r, const struct ctl_fdb *f);
int ctl_emit_peer(struct ctl_reply *r, const struct ctl_peer *p);
/* The vnets list is cut to keep the line under CTL_LINE_MAX; nvnets
 * always counts them all. */
int ctl_emit_host(struct ctl_reply *r, const struct ctl_host *h);
int ctl_emit_check(struct ctl_reply *r, const struct ctl_check *c);
/* Any record: kv is a NULL-ended list of key, value pairs; a NULL value
 * leaves its key out.  Monitor events and metrics lines use it. */
int ctl_emit_record(struct ctl_reply *r, const char *type, const char *const *kv);
/* How many entries fdb-flush removed. */
int ctl_emit_flushed(struct ctl_reply *r, unsigned long count);

/* Turn the reply into an error; later emits are ignored.  Returns -1. */
int ctl_reply_fail(struct ctl_reply *r, enum ctl_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ctl_reply_vfail(struct ctl_reply *r, enum ctl_err code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* The bytes to send: the header, the records and "end", or the error line.
 * Returns NULL only when out of memory. */
const char *ctl_reply_finish(struct ctl_reply *r, size_t *len);

#endif
