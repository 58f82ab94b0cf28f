/* The cluster key and, while a new one spreads, the one before it
 * (docs/control-wire.md, "Key change").  Hosts reload a new key file one
 * by one; during that time each keeps the previous key: it accepts
 * messages under either, signs with the previous one until every host
 * announces the new one, and keeps ESP SAs of both (cluster_esp.h), so
 * that nothing is dropped while the cluster is split. */
#ifndef XENVNETD_CLUSTER_KEYRING_H
#define XENVNETD_CLUSTER_KEYRING_H

#include <stdbool.h>
#include <stdint.h>
#include "auth.h"

struct keyring {
	struct auth_key cur;    /* len 0: none (the control protocol is off) */
	struct auth_key prev;   /* len 0: no change under way */
	uint32_t cur_id, prev_id; /* auth_key_id() of each */
	char *prev_path;        /* where prev is kept during a change; NULL: nowhere */
};

/* Make @k (taken over: *k is zeroed) the current key.  0 when it is the
 * current key already (then freed), 1 when it changed.  The current key
 * becomes the previous one, unless a change is under way: then the
 * previous one stays (the key every host is known to accept), and the
 * replaced current key is dropped; a return to the previous key swaps
 * the two. */
int keyring_take(struct keyring *r, struct auth_key *k);
/* The change is over: every host holds the current key. */
void keyring_drop_prev(struct keyring *r);
bool keyring_changing(const struct keyring *r);
/* Keep the previous key in the file @path (hex, mode 0600, written
 * durably) while a change is under way, and remove it when it ends, so
 * that a daemon restarted meanwhile goes on with the change.  Reads it
 * back now: a saved key other than the current one becomes the previous
 * key (true: a change goes on); one equal to it is removed. */
bool keyring_keep_in(struct keyring *r, const char *path);
void keyring_free(struct keyring *r);

#endif
