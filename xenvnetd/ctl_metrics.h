/* `vn metrics`: the daemon's status counters, vnets and hosts in the
 * Prometheus text exposition format (version 0.0.4), and the same text
 * written to a file for node_exporter's textfile collector.
 *
 * The text is made from the daemon's own status, vnets and hosts replies,
 * so it says exactly what `vn status`, `vn vnets` and `vn hosts` say. */
#ifndef XENVNETD_CTL_METRICS_H
#define XENVNETD_CTL_METRICS_H

#include "ctl.h"

struct config;
struct loop;

/* The exposition text (malloc'd, NUL-terminated), or NULL when a reply
 * failed or memory ran out. */
char *ctl_metrics_render(const struct ctl_ops *ops, void *arg);

/* The `metrics` verb: one record "metric text=LINE" per line of text. */
void ctl_metrics_reply(const struct ctl_ops *ops, void *arg, struct ctl_reply *r);

/* Every cfg->metrics_interval_s write the text to cfg->metrics_file (when
 * set) through a temporary file and rename(2), so readers never see half
 * of it.  cfg is read at each write: a reload takes effect. */
void ctl_metrics_file_start(struct loop *l, const struct config *cfg,
			    const struct ctl_ops *ops, void *arg);
void ctl_metrics_file_stop(void);

#endif
