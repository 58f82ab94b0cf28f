/* The reconciler: /vnet definitions in xenstore -> desired state -> the
 * kernel, through the data-plane interface.  It keeps no state that
 * cannot be re-derived from xenstore and the kernel. */
#ifndef XENVNETD_RECONCILE_H
#define XENVNETD_RECONCILE_H

#include <stdbool.h>
#include "config.h"
#include "dataplane.h"
#include "kern.h"
#include "loop.h"
#include "xs.h"

enum vnet_state { VNET_ST_UNKNOWN, VNET_ST_UP, VNET_ST_PENDING, VNET_ST_ERROR };

/* What the control socket and the logs may see of one vnet. */
struct vnet_status {
	const char *key;
	bool valid;                 /* def is meaningful */
	const struct vnet_def *def;
	enum vnet_state state;
	const char *reason;         /* why it is not up; "" when up */
	bool remote;                /* in error only because another host disagrees */
};

struct reconciler;

struct reconciler *reconciler_new(struct loop *l, struct kern *k, const struct dataplane_ops *dp,
				  const struct config *cfg);
void reconciler_free(struct reconciler *r);

/* The xenstore connection (see xs.h): set it, then pass on its events. */
void reconciler_set_xs(struct reconciler *r, struct xsconn *xs);
void reconciler_xs_connected(struct reconciler *r, struct xs_handle *h);
void reconciler_xs_watch(struct reconciler *r, const char *path);
void reconciler_xs_lost(struct reconciler *r);

/* Told whenever a vnet comes up (tunnel: its tunnel device's ifindex),
 * goes (tunnel 0), or has its tunnel or bridge recreated. */
void reconciler_on_change(struct reconciler *r, void (*cb)(void *arg, const struct vnet_def *def, int tunnel), void *arg);

/* The vnet that is up with bridge @bridge; NULL when none. */
const struct vnet_def *reconciler_find_bridge(struct reconciler *r, const char *bridge);
/* The underlay in use, or NULL while there is none. */
const struct kern_underlay *reconciler_underlay(struct reconciler *r);

/* A kernel notification (see kern.h). */
void reconciler_kernel_event(void *r, const struct kern_event *ev);

/* The configuration changed (SIGHUP): re-check everything. */
void reconciler_config_changed(struct reconciler *r);

/* Whether tunnels learn remote MACs from the frames they receive
 * (flood-and-learn): only while no control protocol runs, whose
 * authenticated announcements are then the only source of remote MACs.
 * Every vnet's tunnel is brought in line, adopted ones included. */
void reconciler_set_learning(struct reconciler *r, bool on);

/* Another host disagrees about vnet id (cluster_vni.h): the vnet is
 * torn down and in error with reason why, which names that host; NULL or
 * "" clears it and the vnet comes back.  Applied from the loop, so it is
 * safe to call from a reconciler_foreach callback. */
void reconciler_set_remote(struct reconciler *r, const struct vnet_id *id, const char *why);

void reconciler_foreach(struct reconciler *r, void (*cb)(void *arg, const struct vnet_status *st), void *arg);

const char *vnet_state_name(enum vnet_state s);

#endif
