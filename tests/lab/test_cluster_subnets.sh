#!/bin/bash
# Two underlay subnets, no multicast routing between them (issue #4): the
# control protocol crosses through configured peers, broadcast crosses
# through head-end replication entries, and a full peer mesh stays
# loop-free (bounded message counts).
#
#   d1 .1     d2 .2                               d3 .3     d4 .4     (198.51.100.0/24, vnet 97)
#    |         |                                   |         |
#   h1         h2                                  h3        h4
#   192.0.2.1  192.0.2.2                           203.0.113.3  203.0.113.4
#     \       /                                       \       /
#      sw (sw0) --- eth0 192.0.2.254 [rt] 203.0.113.254 eth1 --- sw2 (sw0)
#                   unicast forwarding only, no mroute
#
# Phase 1 peers: h1 <-> h3.  Phase 2: every host peers with both hosts of
# the other subnet.
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
A=(x 192.0.2.1 192.0.2.2 203.0.113.3 203.0.113.4)
M=(x 00:16:3e:00:00:01 00:16:3e:00:00:02 00:16:3e:00:00:03 00:16:3e:00:00:04)
W=5   # seconds of the quiet counting window

lab_step "two subnets joined by a unicast-only router"
lc_key
lab_switch
lc_switch sw2
lc_router rt sw 192.0.2.254/24 sw2 203.0.113.254/24
lc_host 1 192.0.2.1/24 sw 192.0.2.254
lc_host 2 192.0.2.2/24 sw 192.0.2.254
lc_host 3 203.0.113.3/24 sw2 203.0.113.254
lc_host 4 203.0.113.4/24 sw2 203.0.113.254
h1 ping -c 1 -W 2 203.0.113.4 >/dev/null || lab_fail "the underlay does not route"
[ -z "$(rt ip mroute show 2>/dev/null)" ] || lab_fail "the router has multicast routes"
for h in 1 2 3 4; do
	xs $h write /vnet/97/bridge vnet97
done
for h in 1 2 3 4; do
	lab_vnet_up $h 97
	lc_wait_control $h
done
for h in 1 2 3 4; do
	lab_domain $h $h 198.51.100.$h ${M[h]} vnet97
done
# Without peers each subnet is an island.
lc_wait_counter 1 hosts -eq 1
lc_wait_counter 3 hosts -eq 1
sleep 1.5
[ "$(lc_counter 1 hosts)" = 1 ] || lab_fail "h1 hears $(lc_counter 1 hosts) hosts without peers: multicast crossed the router?"

lab_step "peers h1 <-> h3 (vn's default port)"
lc_peer_add 1 203.0.113.3
lc_peer_add 3 192.0.2.1
lc_vn 1 peers | grep -qE '^203\.0\.113\.3 +1799 +resolved +203\.0\.113\.3 +-$' || lab_fail "h1's peer is not on the control port: $(lc_vn 1 peers)"
for h in 1 2 3 4; do
	lc_wait_counter $h hosts -eq 3
done
for h in 1 2 3 4; do
	for o in 1 2 3 4; do
		[ $h = $o ] && continue
		lc_wait_fdb $h ${M[o]} ${A[o]} 10
	done
	# Multicast reaches the host of the same subnet, nobody else.
	[ "$(lc_counter $h hosts-multicast)" = 1 ] ||
		lab_fail "h$h: hosts-multicast is $(lc_counter $h hosts-multicast), wanted 1"
done
lab_step "head-end replication towards the hosts across the router"
for h in 1 2; do
	lc_wait_flood $h 203.0.113.3
	lc_wait_flood $h 203.0.113.4
	lc_flood_has $h 192.0.2.$((3 - h)) && lab_fail "h$h replicates to its own subnet's host (multicast reaches it)"
done
for h in 3 4; do
	lc_wait_flood $h 192.0.2.1
	lc_wait_flood $h 192.0.2.2
	lc_flood_has $h 203.0.113.$((7 - h)) && lab_fail "h$h replicates to its own subnet's host"
done
for h in 1 2 3 4; do
	lab_log "h$h replicates to: $(lc_flood_dsts $h | tr '\n' ' ')"
done

lab_step "every domain reaches every other (ARP broadcast crosses by replication)"
for s in 1 2 3 4; do
	for d in 1 2 3 4; do
		[ $s = $d ] || lab_ping $s 198.51.100.$d 2
	done
done
lab_step "TCP across the router, both ways (1 MB)"
lc_tcp_transfer 1 3 198.51.100.3 1048576
lc_tcp_transfer 4 2 198.51.100.2 1048576

lab_step "full mesh: each host peers with both hosts of the other subnet (-p 1799)"
LC_PEER_PORT=1799
lc_peer_add 1 203.0.113.4
lc_peer_add 2 203.0.113.3
lc_peer_add 2 203.0.113.4
lc_peer_add 3 192.0.2.2
lc_peer_add 4 192.0.2.1
lc_peer_add 4 192.0.2.2
for h in 1 2 3 4; do
	[ "$(lc_vn $h peers | grep -cE '^[0-9]')" = 2 ] || lab_fail "h$h peers: $(lc_vn $h peers)"
done
# The peer-add HELLOs and their relays reach everyone.
for h in 1 2 3 4; do
	lc_wait_counter $h hosts -eq 3
done

lab_step "a quiet ${W}s window: message counts stay bounded (loop-free)"
fwd() { rt awk '/^Ip: [0-9]/ {print $7}' /proc/net/snmp; }
declare -A ok0 dup0
for h in 1 2 3 4; do
	read -r ok0[$h] dup0[$h] <<<"$(lc_counters $h msgs-ok msgs-dup)"
done
f0=$(fwd)
sleep $W
f1=$(fwd)
# Messages originated in the window: one HELLO per host per second (plus
# one edge second), plus at most one refresh ANNOUNCE per host.  Each host
# accepts each at most once and hears it at most once from each neighbour
# (its peers and the other host of its subnet): 3 neighbours each.
msgs=$((4 * (W + 1) + 4))
for h in 1 2 3 4; do
	read -r ok dup <<<"$(lc_counters $h msgs-ok msgs-dup)"
	dok=$((ok - ok0[$h]))
	ddup=$((dup - dup0[$h]))
	lab_log "h$h: msgs-ok +$dok, msgs-dup +$ddup in ${W}s (bound ok+dup <= $((msgs * 3)))"
	((dok >= 3 * (W - 1))) || lab_fail "h$h accepted only $dok messages in ${W}s: it stopped hearing the others"
	((dok + ddup <= msgs * 3)) || lab_fail "h$h processed $((dok + ddup)) messages in ${W}s: a forwarding loop?"
done
# Every host sends every message at most once to each of its peers: 8
# peer relations, so at most msgs x 8 datagrams cross the router.
dfwd=$((f1 - f0))
lab_log "router forwarded $dfwd datagrams in ${W}s (bound $((msgs * 8)))"
((dfwd <= msgs * 8)) || lab_fail "the router forwarded $dfwd datagrams in ${W}s: a forwarding loop?"
((dfwd > 0)) || lab_fail "nothing crossed the router"

lab_step "still works in the mesh"
for s in 1 2 3 4; do
	for d in 1 2 3 4; do
		[ $s = $d ] || lab_ping $s 198.51.100.$d 1
	done
done
lc_tcp_transfer 3 1 198.51.100.1 1048576
for h in 1 2 3 4; do
	for o in 1 2 3 4; do
		[ $h = $o ] || lc_fdb_has $h ${M[o]} ${A[o]} || lab_fail "h$h lost ${M[o]} in the mesh"
	done
	[ "$(lc_counter $h msgs-bad-mac)" = 0 ] || lab_fail "h$h counted bad MACs"
	[ "$(lc_counter $h mac-moves)" = 0 ] || lab_fail "h$h saw MACs move"
done
lab_log "two subnets ok"
