/* Frames a host sends on a domain's behalf when its vif connects after a
 * migration, as QEMU does for its guests: a RARP from the guest's MAC, and
 * a gratuitous ARP / unsolicited neighbour advertisement for each address
 * the vif's `ip` key gives.  Sent out of the vnet's bridge, so they flood
 * to every port and through the tunnel to every other host: switches and
 * bridges learn where the MAC is now even when the guest stays silent.
 * A handful of frames per migration: control work, not packet forwarding. */
#ifndef XENVNETD_HOSTANNOUNCE_H
#define XENVNETD_HOSTANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "loop.h"

/* Build the frames into buf (each at most 90 bytes); returns the length. */
size_t frame_rarp(uint8_t *buf, const uint8_t mac[6]);
size_t frame_garp(uint8_t *buf, const uint8_t mac[6], const uint8_t ip[4]);
size_t frame_unsolicited_na(uint8_t *buf, const uint8_t mac[6], const uint8_t ip6[16]);

/* Send RARP, then GARP/NA for every address in @ips (space-separated, as
 * in the vif's `ip` key; NULL or "" for none) out of the bridge with
 * @ifindex.  Returns the number of frames sent, -1 when there is no such
 * device.  Uses one packet socket, kept open until host_announce_stop(). */
int host_announce(int ifindex, const uint8_t mac[6], const char *ips);

/* Before a send, retry(ctx, bridge, dev, port, mac) may try again what the
 * port's coming up delayed (see main.c); true when it is done, and then it
 * is not called again for this job. */
typedef bool (*host_announce_retry)(void *ctx, const char *bridge, const char *dev, int port,
				    const uint8_t mac[6]);

/* Send them a few times, starting a moment after the MAC's announcement:
 * a receiving host drops tunnelled frames from a MAC its static FDB entry
 * places elsewhere, so the frames must come after the entry moved.  @port
 * is the vif's ifindex: nothing is scheduled for a vif or a bridge that
 * has no device.  @retry may be NULL. */
void host_announce_schedule(struct loop *l, const char *bridge, const char *dev, int port, const uint8_t mac[6],
			    const char *ips, host_announce_retry retry, void *ctx);
/* Forget the pending sends for vif @dev (it left). */
void host_announce_cancel(const char *dev);
/* Forget every pending send and close the socket (at exit). */
void host_announce_stop(void);

#endif
