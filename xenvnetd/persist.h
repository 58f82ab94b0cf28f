/* Definitions kept in the state directory, so they survive a dom0 reboot
 * (xenstore starts empty) and a daemon restart.  One file per vnet key,
 * saved in batches: temp files, one syncfs, renames, one fsync of the dir
 * (docs/design.md, "Persistence and restarts"). */
#ifndef XENVNETD_PERSIST_H
#define XENVNETD_PERSIST_H

#include <stddef.h>
#include "vnet_schema.h"

/* Create <dir>/vnets if needed (mode 0700).  Returns 0 or -1 with reason. */
int persist_init(const char *dir, char *err, size_t errlen);

/* One definition to save (raw: its keys, absent ones stay absent) or,
 * with raw NULL, to remove. */
struct persist_op {
	const char *key;
	const struct vnet_raw *raw;
	int err;                    /* out: 0 durable, else an errno */
};

/* Apply n ops as one batch, durably: an op with err 0 is on disk when
 * this returns, whatever happens next.  A crash meanwhile leaves each
 * file as it was or as it is meant to be, never in between.  Returns 0,
 * or -1 when any op failed. */
int persist_apply(const char *dir, struct persist_op *ops, size_t n);
int persist_remove(const char *dir, const char *key);

/* Call cb for every saved definition; the strings live during the call. */
int persist_foreach(const char *dir, void (*cb)(void *arg, const struct vnet_raw *raw), void *arg);

#endif
