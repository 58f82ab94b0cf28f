/* vnet id -> tunnel device ifindex, for the vnets that are up: the
 * cluster looks it up once per MAC it programs, so it must be O(1). */
#ifndef XENVNETD_VNETMAP_H
#define XENVNETD_VNETMAP_H

#include <stddef.h>
#include "vnet_id.h"

struct vnetmap_slot {
	struct vnet_id id;
	int ifindex;          /* 0: empty slot; -1: deleted */
};

struct vnetmap {
	struct vnetmap_slot *v;
	size_t cap, used;     /* cap is a power of two */
};

void vnetmap_init(struct vnetmap *m);
void vnetmap_free(struct vnetmap *m);
/* Set (ifindex > 0) or remove (ifindex == 0) the entry for id. */
int vnetmap_set(struct vnetmap *m, const struct vnet_id *id, int ifindex);
/* The ifindex, or 0 when the vnet is not up. */
int vnetmap_get(const struct vnetmap *m, const struct vnet_id *id);
/* The vnet whose tunnel is ifindex, or NULL: a scan, for rare events. */
const struct vnet_id *vnetmap_find_ifindex(const struct vnetmap *m, int ifindex);

#endif
