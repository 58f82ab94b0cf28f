/* Talking to xenvnetd over its control socket. */
#ifndef XENVNET_VN_CTL_H
#define XENVNET_VN_CTL_H

#include "vn.h"
#include "vn_reply.h"

#define VN_CTL_TIMEOUT_S 10   /* vn never waits longer for the daemon */

/* Send one request and decode the reply into rep.  Returns VN_OK when the
 * daemon answered ok; otherwise reports why on stderr and returns VN_EFAIL
 * (daemon down, broken reply, daemon failed) or VN_EUSAGE (the daemon
 * rejected the input: bad-request, not-found, exists).  Free rep always. */
int vn_ctl_call(const struct vn_opts *o, const char *verb, const char *const *kv,
		struct vn_reply *rep);

/* Send a request whose reply does not end (monitor) and return the
 * connection, reads without a time limit; -1 after saying why. */
int vn_ctl_stream(const struct vn_opts *o, const char *verb);

/* Whether a daemon answers on the socket (a status request). */
bool vn_ctl_alive(const struct vn_opts *o);

/* The daemon's data plane ("vxlan", "vnet") into buf, asked quietly; false
 * when no daemon answers. */
bool vn_ctl_dataplane(const struct vn_opts *o, char *buf, size_t size);

#endif
