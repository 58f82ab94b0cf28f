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
 * device.  Uses one packet socket, kept open until host_announce_stop().
 * For the announcer thread (below). */
int host_announce(int ifindex, const uint8_t mac[6], const char *ips);

/* The announcer: a thread that does a connecting vif's kernel work off
 * the event loop, which only queues it (see hostannounce.c).  Start it
 * with the loop's signals already blocked.  ready(ctx, tag) is called on
 * loop @l once a job's bridge entry was pointed (or tried), with the tag
 * given to host_announce_schedule.  Returns 0, or -1 with a reason (then
 * ready() is called at once and nothing else is done). */
#define HOST_ANNOUNCE_TAG_MAX 32
typedef void (*host_announce_ready)(void *ctx, const void *tag);
/* A connecting vif's MAC is pinned with a static sticky bridge entry
 * (kern_bridge_fdb_pin).  Off (control = evpn): static only, which zebra
 * advertises as a local MAC that EVPN's MAC mobility may still move.
 * Call before the start. */
void host_announce_set_sticky(bool on);
int host_announce_start(struct loop *l, host_announce_ready ready, void *ctx, char *err, size_t errlen);

/* For vif @dev on @bridge (whose tunnel device is @vnetif, "" if unknown),
 * at once: point the bridge's entry for @mac at the vif (after an
 * ETHTOOL_GLINK that makes the port forward now), then ready(); then send
 * the frames 10, 50 and 150 ms later, pointing again until it takes.  The
 * owner announces the MAC to the other hosts in ready(): their traffic for
 * it must find the bridge here pointing at the vif, not at the tunnel.  A
 * receiving host drops tunnelled frames from a MAC its static FDB entry
 * places elsewhere, so the frames come after the announcement.  Nothing
 * is done or sent while the vif has no device, nor for a bridge without
 * one (then ready() comes at once). */
void host_announce_schedule(const char *bridge, const char *dev, const char *vnetif, const uint8_t mac[6],
			    const char *ips, const void *tag, size_t taglen);
/* control = evpn: point the bridge's entry for @mac at vif @dev now, if
 * @dev is a port of @bridge; the pin alone (static, as
 * host_announce_set_sticky says): no frames, no ready().  For a migration
 * target's vif, plugged while the guest is paused: zebra advertises the
 * entry at once, so BGP's hand-over (~0.12 s) overlaps the guest's pause
 * instead of following it (the announcement at Connected still comes);
 * and for a connected vif whose entry the bridge dropped (main.c). */
void host_announce_pin(const char *bridge, const char *dev, const uint8_t mac[6]);
/* Forget what is pending for vif @dev (it left), ready() included. */
void host_announce_cancel(const char *dev);
/* Stop the thread, forget everything pending, close the sockets (at exit). */
void host_announce_stop(void);

#endif
