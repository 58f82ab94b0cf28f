/* Small state files that survive a crash: written whole to a temporary
 * file, fsynced, renamed over the old one, and the directory fsynced so
 * that the rename itself is on disk. */
#ifndef XENVNETD_DURABLE_H
#define XENVNETD_DURABLE_H

#include <stddef.h>
#include <sys/types.h>

/* Replace @path with the @len bytes at @buf, file mode @mode.  0, or -1
 * with errno set (the old file is then untouched). */
int durable_write(const char *path, const void *buf, size_t len, mode_t mode);

#endif
