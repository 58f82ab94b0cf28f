/* The unix control socket `vn` talks to (docs/control-protocol.md).
 *
 * ctl owns the listening socket; the daemon owns the state.  The daemon
 * adds ctl_fd() to its event loop and calls ctl_on_readable() when it is
 * readable.  Each connection carries one request, which is read, answered
 * through the ops table and closed right away: a client gets at most
 * CTL_READ_TIMEOUT_MS to send its line and CTL_WRITE_TIMEOUT_MS to take
 * the reply, so a stuck client cannot hold the loop for long.  The one
 * exception, `monitor`, hands its connection to ctl_monitor. */
#ifndef XENVNETD_CTL_H
#define XENVNETD_CTL_H

#include <stddef.h>
#include <stdint.h>
#include "ctl_proto.h"

#define CTL_READ_TIMEOUT_MS  250
#define CTL_WRITE_TIMEOUT_MS 1000
#define CTL_ACCEPT_BURST     16    /* connections served per ctl_on_readable */

/* Callbacks into the daemon.  Each fills the reply with the ctl_emit_*
 * functions, or calls ctl_reply_fail().  A NULL callback answers
 * "unsupported".  All run synchronously on the daemon's loop. */
struct ctl_ops {
	/* Data plane, version, counts; optional ctl_emit_counter() lines. */
	void (*status)(void *arg, struct ctl_reply *r);
	/* One ctl_emit_vnet() per vnet the daemon runs. */
	void (*list_vnets)(void *arg, struct ctl_reply *r);
	/* One ctl_emit_port() per port of every vnet bridge (vifs, the vnif,
	 * anything else attached). */
	void (*list_ports)(void *arg, struct ctl_reply *r);
	/* The MAC -> host table, of one vnet or (vnet == NULL) of all. */
	void (*list_fdb)(void *arg, const struct vnet_id *vnet, struct ctl_reply *r);
	/* Forget learned entries (static ones stay); ctl_emit_flushed(count). */
	void (*fdb_flush)(void *arg, const struct vnet_id *vnet, struct ctl_reply *r);
	void (*list_peers)(void *arg, struct ctl_reply *r);
	/* addr is a syntactically valid IP literal or host name (peer_addr_valid);
	 * persist before answering ok.  Re-adding updates the port. */
	void (*peer_add)(void *arg, const char *addr, uint16_t port, struct ctl_reply *r);
	/* Unknown addr: CTL_E_NOT_FOUND. */
	void (*peer_del)(void *arg, const char *addr, struct ctl_reply *r);
	/* One ctl_emit_host() per host the cluster knows or dropped messages from. */
	void (*list_hosts)(void *arg, struct ctl_reply *r);
	/* Walk the path of a domain's vifs (domid >= 0) or of a MAC (text,
	 * not parsed yet): one ctl_emit_check() per check. */
	void (*diag)(void *arg, int domid, const char *mac, struct ctl_reply *r);
	/* Move every host to the next ESP key epoch: ctl_emit_record("key",
	 * epoch, offset), or fail saying why not now. */
	void (*key_rotate)(void *arg, struct ctl_reply *r);
	/* Optional: a message for the daemon's log (denied peer, bad request). */
	void (*log)(void *arg, const char *msg);
};

struct ctl;

/* Listen on path (mode 0600).  A stale socket left by a dead daemon is
 * replaced; a live one, or a file that is not a socket, is an error.
 * Returns NULL with the reason in err. */
struct ctl *ctl_open(const char *path, const struct ctl_ops *ops, void *arg,
		     char *err, size_t errlen);
int ctl_fd(const struct ctl *c);
/* Accept and answer the waiting connections (up to CTL_ACCEPT_BURST). */
void ctl_on_readable(struct ctl *c);
/* Stop listening and remove the socket file. */
void ctl_close(struct ctl *c);

/* Answer one request already read from a client: decode, dispatch, encode.
 * ctl_on_readable uses it; exposed for tests.  Free *reply afterwards. */
void ctl_dispatch(const struct ctl_ops *ops, void *arg, const char *req, size_t len,
		  struct ctl_reply *reply);

#endif
