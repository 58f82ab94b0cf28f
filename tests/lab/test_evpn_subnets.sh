#!/bin/bash
# BGP EVPN across two underlay subnets without multicast between them
# (issue #15): no peers to add, no extra configuration: the hosts' BGP
# sessions to the route reflector cross the router, remote MACs and flood
# lists come from BGP, and every guest reaches every other.
#
#   d1 .1     d2 .2                               d3 .3     d4 .4     (198.51.100.0/24, vnet 97)
#    |         |                                   |         |
#   h1         h2        rr 192.0.2.100            h3        h4
#   192.0.2.1  192.0.2.2   |                       203.0.113.3  203.0.113.4
#     \_______/____________/                          \       /
#      sw (sw0) --- eth0 192.0.2.254 [rt] 203.0.113.254 eth1 --- sw2 (sw0)
#                   unicast forwarding only, no mroute
set -e
. "$(dirname "$0")/lib_evpn.sh"
lab_init "$1"
le_need_frr
A=(x 192.0.2.1 192.0.2.2 203.0.113.3 203.0.113.4)
M=(x 00:16:3e:00:00:01 00:16:3e:00:00:02 00:16:3e:00:00:03 00:16:3e:00:00:04)

lab_step "two subnets joined by a unicast-only router, a reflector in the first"
lc_key
lab_switch
lc_switch sw2
lc_router rt sw 192.0.2.254/24 sw2 203.0.113.254/24
LE_RANGES=(192.0.2.0/24 203.0.113.0/24)
le_rr sw "$LE_RR/24" 192.0.2.254
le_host 1 192.0.2.1/24 sw 192.0.2.254
le_host 2 192.0.2.2/24 sw 192.0.2.254
le_host 3 203.0.113.3/24 sw2 203.0.113.254
le_host 4 203.0.113.4/24 sw2 203.0.113.254
h3 ping -c 1 -W 2 $LE_RR >/dev/null || lab_fail "h3 cannot reach the reflector: $(h3 ip route; rr ip route)"
[ -z "$(rt ip mroute show 2>/dev/null)" ] || lab_fail "the router has multicast routes"
for h in 1 2 3 4; do xs $h write /vnet/97/bridge vnet97; done
for h in 1 2 3 4; do
	lab_vnet_up $h 97
	le_wait_established h$h
done
grep -q "bgp router-id 203.0.113.3" "$(le_dir h3)/bgpd.conf" || lab_fail "h3's frr-config: $(cat "$(le_dir h3)/bgpd.conf")"

lab_step "a guest per host: every MAC and every flood list from BGP"
for h in 1 2 3 4; do lab_domain $h $h 198.51.100.$h "${M[h]}" vnet97; done
for h in 1 2 3 4; do
	for o in 1 2 3 4; do
		[ $h = $o ] && continue
		le_wait_remote $h "${M[o]}" "${A[o]}" 20
		lab_wait 10 "h$h floods to ${A[o]}" lc_flood_has $h "${A[o]}" || lab_fail "h$h: no flood entry to ${A[o]}"
	done
done

lab_step "every guest reaches every other (ARP by head-end replication across the router)"
for h in 1 2 3 4; do
	for o in 1 2 3 4; do
		[ $h = $o ] || lab_ping $h 198.51.100.$o
	done
done
[ "$(lc_counter 1 control-protocol)" = 0 ] || lab_fail "h1 runs its own protocol"
