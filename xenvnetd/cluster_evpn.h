/* control = evpn: FRR's bgpd + zebra carry the MACs instead of our
 * protocol (docs/design.md, "BGP EVPN").  The daemon then only
 *  - makes each vnet's VXLAN device as zebra expects a VNI (dp_params.evpn:
 *    local address, no group, no learning),
 *  - pins a connecting vif's MAC with a static, never sticky, bridge entry
 *    (host_announce_set_sticky(false)), which zebra advertises as a local MAC,
 *    silent guests included, and which `bridge fdb replace` semantics let
 *    move on a migration (EVPN MAC mobility climbs the sequence number),
 *  - tells `vn frr-config` what a bgpd config for this host needs. */
#ifndef XENVNETD_CLUSTER_EVPN_H
#define XENVNETD_CLUSTER_EVPN_H

#include "config.h"
#include "ctl_proto.h"
#include "kern.h"

/* The `evpn` record of the status reply: control (own|evpn), router-id
 * (the underlay's address, "" when there is none), asn, neighbors. */
int cluster_evpn_emit(struct ctl_reply *r, const struct config *cfg, const struct kern_underlay *u);

#endif
