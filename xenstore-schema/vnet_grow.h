/* Room for one more element in a doubling array: the one growth rule of
 * the daemon's and vn's tables. */
#ifndef XENVNET_VNET_GROW_H
#define XENVNET_VNET_GROW_H

#include <stddef.h>

/* v holds n elements of size bytes in room for *cap.  Returns v when n <
 * *cap, else v reallocated to twice *cap (first when *cap is 0) with *cap
 * updated; NULL when out of memory (v and *cap untouched). */
void *vnet_grow(void *v, size_t *cap, size_t n, size_t size, size_t first);

#endif
