/* The SA generation of this host (docs/esp-keys.md, "Generations"): an
 * input to the derivation of every SA it sends with, drawn afresh when the
 * kernel holds none of its outbound SAs (a reboot, a flushed state), kept
 * when it does (a daemon restart adopts the SAs it left), so that no key
 * is ever used again with sequence numbers starting over. */
#ifndef XENVNETD_CLUSTER_ESP_GEN_H
#define XENVNETD_CLUSTER_ESP_GEN_H

#include <stdbool.h>
#include <stdint.h>

/* The generation saved in @state_dir when @kernel_has_out and one is
 * saved; else a new random one (never 0), saved there before it is
 * returned.  0 only when no random bytes could be had: the caller then
 * carries no secured vnet.  A failed save is logged, not fatal: the next
 * start with SAs in the kernel then draws anew (its peers re-derive). */
uint64_t cesp_gen_load(const char *state_dir, bool kernel_has_out);

/* The key epoch offset saved in @state_dir (cluster_esp_rot.h), 0 when
 * none is (or it cannot be read: the peers' HELLOs bring it back). */
uint32_t cesp_offset_load(const char *state_dir);
/* Save it durably (fsynced) before it is used: a restart never goes back
 * to an epoch whose outbound SAs it left.  0, or -1 (logged). */
int cesp_offset_save(const char *state_dir, uint32_t offset);

#endif
