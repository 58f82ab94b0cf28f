/* What is attached to a vnet's bridge on this host, read from sysfs so
 * that vn can answer without the daemon. */
#ifndef XENVNET_VN_BRIDGE_H
#define XENVNET_VN_BRIDGE_H

#include <stddef.h>

/* The ports of bridge other than skip (the vnet's own tunnel), as a
 * comma-separated list in list.  Counts only when the bridge carries the
 * daemon's mark "xenvnet:<key>" (an admin's own bridge of that name is not
 * the vnet's).  Returns the count; 0 when there is no such bridge. */
int vn_bridge_ports(const char *bridge, const char *key, const char *skip, char *list, size_t len);

#endif
