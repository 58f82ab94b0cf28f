/* Definitions kept in the state directory, so they survive a dom0 reboot
 * (xenstore starts empty) and a daemon restart.  One file per vnet key,
 * each written atomically: temp file, fsync, rename, fsync of the dir. */
#ifndef XENVNETD_PERSIST_H
#define XENVNETD_PERSIST_H

#include <stddef.h>
#include "vnet_schema.h"

/* Create <dir>/vnets if needed (mode 0700).  Returns 0 or -1 with reason. */
int persist_init(const char *dir, char *err, size_t errlen);

/* Save the definition's raw keys (absent ones stay absent). */
int persist_save(const char *dir, const struct vnet_raw *raw);
int persist_remove(const char *dir, const char *key);

/* Call cb for every saved definition; the strings live during the call. */
int persist_foreach(const char *dir, void (*cb)(void *arg, const struct vnet_raw *raw), void *arg);

#endif
