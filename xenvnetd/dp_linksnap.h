/* A snapshot of every link, from one dump, for a pass over many vnets (a
 * restart, an underlay change): two link reads per vnet cost more than one
 * dump, and each read makes the kernel run the link's pending state
 * events first.  kern_link_get() answers from it while one is taken (see
 * kern_snapshot_take()); a link changed through kern is read from the
 * kernel again. */
#ifndef XENVNETD_DP_LINKSNAP_H
#define XENVNETD_DP_LINKSNAP_H

#include <netlink/route/link.h>

struct linksnap;

/* NULL when the dump failed (or no memory). */
struct linksnap *linksnap_take(void);
void linksnap_free(struct linksnap *s);

/* 1 when the snapshot answers for @name: *out is a new link object, or
 * NULL when there was no such link; 0 when the kernel must be asked. */
int linksnap_get(struct linksnap *s, const char *name, struct rtnl_link **out);

/* @name changed since the dump: ask the kernel from now on.  -1 when
 * there is no room to note it (then drop the snapshot). */
int linksnap_changed(struct linksnap *s, const char *name);

#endif
