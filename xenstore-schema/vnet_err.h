/* Error reporting into a caller's buffer, shared by the schema checks. */
#ifndef XENVNET_VNET_ERR_H
#define XENVNET_VNET_ERR_H

#include <stddef.h>

/* Format a reason into err (when err is non-NULL) and return -1. */
int vnet_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
