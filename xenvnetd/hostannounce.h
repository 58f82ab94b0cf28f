/* Frames a host sends on a domain's behalf when its vif connects after a
 * migration, as QEMU does for its guests: a RARP from the guest's MAC, and
 * a gratuitous ARP / unsolicited neighbour advertisement for each address
 * the vif's `ip` key gives.  Sent out of the vnet's bridge, so they flood
 * to every port and through the tunnel to every other host: switches and
 * bridges learn where the MAC is now even when the guest stays silent.
 * A handful of frames per migration: control work, not packet forwarding. */
#ifndef XENVNETD_HOSTANNOUNCE_H
#define XENVNETD_HOSTANNOUNCE_H

#include <stddef.h>
#include <stdint.h>
#include "loop.h"

/* Build the frames into buf (each at most 90 bytes); returns the length. */
size_t frame_rarp(uint8_t *buf, const uint8_t mac[6]);
size_t frame_garp(uint8_t *buf, const uint8_t mac[6], const uint8_t ip[4]);
size_t frame_unsolicited_na(uint8_t *buf, const uint8_t mac[6], const uint8_t ip6[16]);

/* Send RARP, then GARP/NA for every address in @ips (space-separated, as
 * in the vif's `ip` key; NULL or "" for none) out of @bridge.  Returns the
 * number of frames sent, -1 when the bridge cannot be used. */
int host_announce(const char *bridge, const uint8_t mac[6], const char *ips);

/* Before each send, prep(ctx, bridge, dev, mac) may fix up local state
 * that the port's coming up can delay (see main.c). */
typedef void (*host_announce_prep)(void *ctx, const char *bridge, const char *dev, const uint8_t mac[6]);

/* Send them a few times, starting a moment after the MAC's announcement:
 * a receiving host drops tunnelled frames from a MAC its static FDB entry
 * places elsewhere, so the frames must come after the entry moved. */
void host_announce_schedule(struct loop *l, const char *bridge, const char *dev, const uint8_t mac[6],
			    const char *ips, host_announce_prep prep, void *ctx);
/* Forget pending sends (at exit). */
void host_announce_cancel_all(struct loop *l);

#endif
