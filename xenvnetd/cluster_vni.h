/* What other hosts say, in their HELLOs, about the VNI and MTU of the
 * vnets they carry, checked against ours (issue 10).  Two hosts that give
 * one VNI to two different vnets would bridge them; two that disagree on
 * a vnet's VNI or MTU lose its traffic without a word.  Either way the
 * vnet goes to `error` on every host involved, with a reason naming the
 * other host (reconciler_set_remote), and comes back by itself once the
 * other host is fixed or gone. */
#ifndef XENVNETD_CLUSTER_VNI_H
#define XENVNETD_CLUSTER_VNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto.h"
#include "reconcile.h"

struct cvni_entry {
	struct proto_addr host;
	uint8_t part;              /* the HELLO part it came in */
	struct proto_vnet v;
	uint64_t expires_ms;
};

struct cvni {
	struct cvni_entry *v;
	size_t n, cap;
	size_t max;                /* at most this many entries (max_vni_entries) */
	uint64_t refused;          /* entries not kept for it */
};

void cvni_init(struct cvni *t, size_t max);
/* Forget every entry (max and the count of refusals stay). */
void cvni_free(struct cvni *t);

/* A HELLO part from m->origin replaces what the same part said before
 * (and drops parts beyond m->parts).  An entry beyond t->max is not kept
 * (counted in t->refused): the vnets it names go unchecked.  Returns true
 * when the table's content changed (then cvni_apply is due). */
bool cvni_hello(struct cvni *t, const struct proto_msg *m, uint64_t now_ms);
/* The host is gone: forget what it said.  True when anything was dropped. */
bool cvni_forget(struct cvni *t, const struct proto_addr *host);
/* Drop entries whose host has not repeated them in time. */
bool cvni_expire(struct cvni *t, uint64_t now_ms);

/* Does this host announce st in its HELLO?  Up, or down only because of
 * a disagreement with another host (so the others keep seeing it and the
 * disagreement stays visible on both sides until one is fixed). */
bool cvni_carried(const struct vnet_status *st);
/* Our side of st as it goes on the wire (u: the underlay in use). */
void cvni_local(const struct vnet_status *st, const struct kern_underlay *u, struct proto_vnet *out);

/* The first disagreement between our vnet mine and any other host's, as a
 * reason naming that host; false when there is none. */
bool cvni_check(const struct cvni *t, const struct proto_vnet *mine, char *why, size_t size);

/* Check every vnet carried here and set or clear its remote reason. */
void cvni_apply(const struct cvni *t, struct reconciler *rec);

#endif
