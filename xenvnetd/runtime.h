/* The daemon's answers to vn's runtime requests (the ctl_ops table): a
 * read of the reconciler, the kernel, the vifs and the cluster, made
 * fresh for every request. */
#ifndef XENVNETD_RUNTIME_H
#define XENVNETD_RUNTIME_H

#include <stdint.h>
#include "cluster.h"
#include "config.h"
#include "ctl.h"
#include "dataplane.h"
#include "kern.h"
#include "peers.h"
#include "reconcile.h"
#include "vifs.h"
#include "xs.h"

struct runtime {
	struct reconciler *rec;
	struct kern *k;
	const struct dataplane_ops *dp;
	struct vifs *vifs;
	struct cluster *cluster;
	struct cesp *esp;          /* NULL: no ESP (counters read 0) */
	struct peers *peers;
	const struct config *cfg;
	const struct xsconn *xs;
	const char *version;
	uint64_t started_ms;
};

extern const struct ctl_ops runtime_ctl_ops;

#endif
