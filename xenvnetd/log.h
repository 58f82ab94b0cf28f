/* Logging: syslog, or stderr when running in the foreground.  Under
 * systemd (stderr is the journal's stream) each line carries its priority
 * as "<N>" and no timestamp of ours, so `journalctl -p err` works.  Every
 * message is escaped whole (vnet_escape): values from xenstore, the network
 * or a file can be logged with a plain %s. */
#ifndef XENVNETD_LOG_H
#define XENVNETD_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_init(const char *ident, bool to_stderr, bool verbose);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
