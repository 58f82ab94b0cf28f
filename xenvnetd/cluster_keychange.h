/* A cluster key change as the control protocol sees it (docs/control-wire.md,
 * "Key change"): while a previous key is kept (cluster_keyring.h), messages
 * are signed with it until every host heard announces the current key;
 * then with the current one; and the previous key goes a grace time after
 * that (the hosts' last messages under it, and their ESP SAs, drain). */
#ifndef XENVNETD_CLUSTER_KEYCHANGE_H
#define XENVNETD_CLUSTER_KEYCHANGE_H

#include <stdbool.h>
#include <stdint.h>
#include "cluster_hosts.h"
#include "cluster_keyring.h"

struct ckc {
	bool all;              /* every host heard announces the current key */
	uint64_t all_since_ms; /* since then */
	uint64_t heard_ms;     /* before then the hosts may not all be heard yet */
};

/* The protocol (re)starts: until @settle_ms from now the hosts known are
 * not taken for all of them (a restarted daemon knows none), so the
 * previous key signs. */
void ckc_start(struct ckc *s, uint64_t now_ms, uint64_t settle_ms);
/* Look at the hosts again (a HELLO, a host gone, a new key). */
void ckc_update(struct ckc *s, const struct keyring *r, const struct hosts *t, uint64_t now_ms);
/* The key our messages are signed with. */
const struct auth_key *ckc_signer(const struct ckc *s, const struct keyring *r);
/* The previous key may go: every host has announced the current one for
 * @grace_ms. */
bool ckc_done(const struct ckc *s, const struct keyring *r, uint64_t now_ms, uint64_t grace_ms);

#endif
