/* `vn monitor`: control socket connections that asked for a stream of
 * events (docs/control-protocol.md, "monitor").
 *
 * One process-wide list of subscribers, so that the places that log an
 * event can publish it with one call and no pointer threaded through.
 * Nothing here ever blocks the loop: events are queued per subscriber
 * (at most CTL_MONITOR_QUEUE_MAX bytes beyond what the kernel's socket
 * buffer holds) and sent without waiting; one that
 * falls further behind gets a last "overflow" record and is dropped. */
#ifndef XENVNETD_CTL_MONITOR_H
#define XENVNETD_CTL_MONITOR_H

#include <stddef.h>

#define CTL_MONITOR_MAX        16           /* subscribers at a time */
#define CTL_MONITOR_QUEUE_MAX  (16u << 10)  /* bytes queued per subscriber */
#define CTL_MONITOR_RETRY_MS   50           /* flush again while anything is queued */
#define CTL_MONITOR_LINGER_MS  1000         /* a dropped one gets this long to take "overflow" */

struct loop;

/* Start taking subscribers (before that, and after stop, publish does
 * nothing and add refuses). */
void ctl_monitor_init(struct loop *l);
/* Close every subscriber. */
void ctl_monitor_stop(void);

/* Take over fd and send it the reply header.  -1: not running or full;
 * the caller keeps fd. */
int ctl_monitor_add(int fd);

/* Send one event record to every subscriber: type and a NULL-ended list
 * of key, value pairs (a NULL value leaves its key out). */
void ctl_monitor_publish(const char *type, const char *const *kv);

#endif
