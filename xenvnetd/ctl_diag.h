/* `vn diag`: walk the path of a domain's vifs, or of a MAC, through
 * xenstore, the reconciler, the kernel and the cluster, and report each
 * check (docs/control-protocol.md, diag). */
#ifndef XENVNETD_CTL_DIAG_H
#define XENVNETD_CTL_DIAG_H

#include "ctl_proto.h"

/* The ctl_ops diag callback; arg is the struct runtime. */
void ctl_diag(void *arg, int domid, const char *mac, struct ctl_reply *r);

#endif
