/* control = evpn: FRR's bgpd + zebra carry the MACs instead of our
 * protocol (docs/design.md, "BGP EVPN").  The daemon then only
 *  - makes each vnet's VXLAN device as zebra expects a VNI (dp_params.evpn:
 *    local address, no group, no learning),
 *  - pins a connecting vif's MAC with a static, never sticky, bridge entry
 *    (host_announce_set_sticky(false)), which zebra advertises as a local MAC,
 *    silent guests included, and which `bridge fdb replace` semantics let
 *    move on a migration (EVPN MAC mobility climbs the sequence number),
 *  - pins a migration target's vif as soon as it is plugged, while the
 *    guest is paused (host_announce_pin), so BGP moves the MAC during the
 *    pause,
 *  - pins a connected member's MAC again when its bridge entry goes while
 *    the vif stays (cluster_evpn_watch_start: a failed migration's target
 *    withdrew the MAC it had taken at plug time),
 *  - tells `vn frr-config` what a bgpd config for this host needs. */
#ifndef XENVNETD_CLUSTER_EVPN_H
#define XENVNETD_CLUSTER_EVPN_H

#include "config.h"
#include "ctl_proto.h"
#include "kern.h"
#include "loop.h"

/* The `evpn` record of the status reply: control (own|evpn), router-id
 * (the underlay's address, "" when there is none), asn, neighbors. */
int cluster_evpn_emit(struct ctl_reply *r, const struct config *cfg, const struct kern_underlay *u);

/* Watch the bridges' FDBs: cb(arg, bridge ifindex, mac) for every entry
 * a bridge drops (RTM_DELNEIGH).  When a migration fails after the target
 * pinned the MAC, the target's vif goes, zebra withdraws the MAC and every
 * zebra, the source's included, deletes its entry: the source learns of
 * it here and pins its still-connected vif again (a new local MAC for
 * zebra).  0, or -1 with a reason; idempotent. */
typedef void (*cluster_evpn_fdb_gone_cb)(void *arg, int bridge, const uint8_t mac[6]);
int cluster_evpn_watch_start(struct loop *l, cluster_evpn_fdb_gone_cb cb, void *arg, char *err, size_t errlen);
void cluster_evpn_watch_stop(void);

#endif
