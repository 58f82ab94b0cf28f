/* The tunnels' multicast group for VXLAN devices that are not bound to the
 * underlay device (docs/design.md, "MTU").  The kernel joins a device's
 * group on the bound device only; an unbound device's group would follow
 * the routing table, or fail to come up without a route.  So the group is
 * no device parameter: an all-zero FDB entry sends broadcast and unknown
 * frames to it out of the underlay device, and one socket of ours keeps
 * the underlay a member, which the kernel's VXLAN socket (the port on any
 * address) receives through. */
#ifndef XENVNETD_DP_GROUP_H
#define XENVNETD_DP_GROUP_H

#include <stddef.h>
#include "kern.h"

/* Add (append) the group entry to tunnel @tunnel: all-zero MAC, dst @group
 * (@family's length), out of @via.  Synchronous.  0 or a libnl error. */
int dp_group_entry(struct kern *k, int tunnel, int family, const void *group, int via);

/* The same entry queued on @k's FDB batch (kern_fdb_queue_via), not waited
 * for: an adopted tunnel's, at a restart, where a round trip each costs
 * seconds per thousand vnets.  0 or a negative error. */
int dp_group_entry_queue(struct kern *k, int tunnel, int family, const void *group, int via);

/* Make the underlay @u a member of @group; a no-op when it is already (by
 * us), a new membership when the underlay or group changed.  0, or -1
 * with a reason. */
int dp_group_join(const struct kern_underlay *u, const void *group, char *err, size_t errlen);

/* Drop the membership (at exit). */
void dp_group_leave(void);

#endif
