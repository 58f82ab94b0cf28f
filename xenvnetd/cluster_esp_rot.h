/* The key epoch and its cluster-wide offset (docs/esp-keys.md, "Epochs"
 * and "Rotation on demand"): epoch = floor(time / esp_rekey_s) + offset.
 * `vn key-rotate` adds 1 to the offset of one host; every host adopts the
 * highest offset an authenticated HELLO shows, one bounded step forward at
 * a time, never back.  Pure rules, no state: unit-tested alone. */
#ifndef XENVNETD_CLUSTER_ESP_ROT_H
#define XENVNETD_CLUSTER_ESP_ROT_H

#include <stdint.h>

/* The furthest forward step adopted from a HELLO: more rotations than an
 * operator makes while a host is down, far from the half of the 32-bit
 * circle where serial comparison stops making sense.  Beyond it the offset
 * is refused (a corrupt state file, a bug); not a defence against a key
 * holder, who can derive every SA anyway. */
#define CESP_ROT_STEP_MAX 1024u

enum cesp_rot_verdict {
	CESP_ROT_KEEP,     /* theirs is ours, or behind (RFC 1982 serial order) */
	CESP_ROT_ADOPT,    /* theirs is ahead by 1..CESP_ROT_STEP_MAX: take it */
	CESP_ROT_REFUSE,   /* ahead by more: ignored, logged */
};

enum cesp_rot_verdict cesp_rot_adopt(uint32_t ours, uint32_t theirs);

/* The epoch at wall-clock time @ms (milliseconds since 1970) with periods
 * of @rekey_s seconds (> 0) and @offset; *@ms_to_next (optional): until
 * the next wall-clock boundary, at least 1. */
uint32_t cesp_rot_epoch(uint64_t ms, unsigned rekey_s, uint32_t offset, uint64_t *ms_to_next);

/* Seconds from @now_s to the end of the wall-clock period after the one
 * in which @epoch started (with @offset): an SA of @epoch expires then in
 * the kernel.  At least 1. */
uint64_t cesp_rot_hard_s(uint32_t epoch, uint32_t offset, unsigned rekey_s, uint64_t now_s);

#endif
