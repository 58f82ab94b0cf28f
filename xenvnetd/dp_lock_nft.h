/* The vif locks' nftables writer: a thread of its own (see dp_lock.h).
 * A write is libnftables parsing the batch, fetching the kernel's view of
 * the table, and the kernel's transaction, which checks every chain the
 * verdict map jumps to: tens to hundreds of ms at a few thousand ports,
 * which on the event loop held `vn status` and the HELLOs that long in
 * a burst of vifs.  The loop hands the text over and hears back through
 * an eventfd, one write at a time. */
#ifndef XENVNETD_DP_LOCK_NFT_H
#define XENVNETD_DP_LOCK_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include "loop.h"

struct dp_nft;

/* On the loop, once a write is done: rc 0 when it went in, else
 * nftables' reason. */
typedef void dp_nft_done(void *arg, int rc, const char *err);

/* The thread starts with the first write.  NULL when out of memory. */
struct dp_nft *dp_nft_new(struct loop *l, dp_nft_done *done, void *arg);
/* Waits for a write under way (the thread never takes long to stop). */
void dp_nft_free(struct dp_nft *w);

/* Write @text (taken, freed by the writer); done() follows.  -1 with a
 * reason in @err when there is no thread (then @text is freed). */
int dp_nft_write(struct dp_nft *w, char *text, char *err, size_t errlen);
/* A write is under way. */
bool dp_nft_busy(const struct dp_nft *w);

#endif
