/* vn's xenstore side: the /vnet definitions, so that vn and xenstore-write
 * are interchangeable.  Every change is one transaction. */
#ifndef XENVNET_VN_XS_H
#define XENVNET_VN_XS_H

#include <stdbool.h>
#include <xenstore.h>
#include "vn_record.h"
#include "vnet_schema.h"

/* Open xenstore (libxenstore honours XENSTORED_PATH).  NULL after saying why. */
struct xs_handle *vn_xs_open(void);

/* Every /vnet/<key> as a "vnet" row with the fields id, key, long-id,
 * bridge, vnetif, security, mtu, vni, state, error, valid.  Definitions
 * that do not validate are listed too: valid=false and error says why.
 * Returns VN_OK or VN_EFAIL (said why). */
int vn_xs_list(struct xs_handle *h, struct vn_rows *rows);

/* Write raw (the fields the admin gave; raw->key is ignored) under the
 * canonical key of def->id, refusing when that id already exists in any
 * spelling, or when another vnet uses the same bridge or vnetif name or
 * the same VNI.
 * Returns VN_OK, VN_EUSAGE (refused, said why) or VN_EFAIL. */
int vn_xs_create(struct xs_handle *h, const struct vnet_raw *raw, const struct vnet_def *def);

/* Remove the definition of id, whatever spelling its key has.  Unless
 * force, refuse while the vnet's bridge on this host has ports other than
 * its own tunnel (vifs of running domains).  Returns VN_OK, VN_EUSAGE (no
 * such vnet) or VN_EFAIL (ports attached, said which; xenstore failed). */
int vn_xs_delete(struct xs_handle *h, const struct vnet_id *id, bool force);

#endif
