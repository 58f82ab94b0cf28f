/* The vnet definition form of the original Xen tools:
 *   (vnet (id 97) (bridge vnet97) (vnetif vnif97) (security none))
 * plus this project's (mtu N) and (vni N).  One form per file. */
#ifndef XENVNET_VNET_SXP_H
#define XENVNET_VNET_SXP_H

#include <stddef.h>
#include "sxp.h"
#include "vnet_schema.h"

enum vnet_sxp_field {
	VNET_SXP_ID,
	VNET_SXP_BRIDGE,
	VNET_SXP_VNETIF,
	VNET_SXP_SECURITY,
	VNET_SXP_MTU,
	VNET_SXP_VNI,
	VNET_SXP_NFIELDS
};

struct vnet_sxp {
	struct sxp_node *tree;          /* owns the strings raw points to */
	struct vnet_raw raw;            /* exactly the fields the file gave */
	struct vnet_def def;            /* validated, defaults filled in */
	struct sxp_pos form;            /* the (vnet ...) form */
	struct sxp_pos at[VNET_SXP_NFIELDS];  /* each field's value; 0:0 if absent */
	struct sxp_pos name_at[VNET_SXP_NFIELDS];  /* and its name */
};

/* Read and validate one vnet definition.  Returns 0, or -1 with err naming
 * the line and column at fault.  Free with vnet_sxp_free either way. */
int vnet_sxp_read(const char *buf, size_t len, struct vnet_sxp *v, struct sxp_error *err);
void vnet_sxp_free(struct vnet_sxp *v);

const char *vnet_sxp_field_name(enum vnet_sxp_field f);

#endif
