#!/bin/bash
# Sequence numbers wrap (issue 10).  Mobility sequence numbers compare in
# serial arithmetic (RFC 1982), so no ANNOUNCE pins a MAC by its number:
#  (a) a key holder's claim of the guest's MAC with seq 0xffffffff is older
#      than the guest's seq 1: h3 keeps the guest behind h1 (compared as
#      plain integers, the claim won and stayed for good);
#  (b) across the wrap: claims at 0x7fffffff and 0xffffffff (each newer
#      than the last number by less than 2^31) are followed, and the
#      guest's migrations still win after each — the last one announces
#      0xffffffff + 1 = 0, which every host takes as newer; d3 pings the
#      guest at its final place.
#
#                 guest 198.51.100.10 00:16:3e:00:0b:10 (domid 10 -> 11 -> 12)
#                 |  <---- migrates ---->  |
#   [vnet97] h1 192.0.2.1          [vnet97] h2 192.0.2.2          [vnet97] h3 192.0.2.3
#        \________________________ sw0 ___________________________/     |
#                                   |                                 d3 198.51.100.3
#                          gen 192.0.2.200 (holds the key: signed HELLO and ANNOUNCEs)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
lc_gen
GM=00:16:3e:00:0b:10 GIP=198.51.100.10 MARK=00:16:3e:00:0b:11

# claim DST SEQ N: the key holder's HELLO (hold 60 s: it stays a live host),
# then N ANNOUNCEs from the guest's MAC up, seq SEQ, behind itself.
claim() {
	ip netns exec "${LAB_PREFIX}gen" "$GEN" -k "$LC_KEY" -s 192.0.2.200 -d "$1" -n "$3" -v 1 -b 97 \
		-m $GM -S "$2" -H 60 >/dev/null
}

lab_step "three hosts, the guest on h1, d3 on h3, a key holder on the switch"
lc_cluster 3
lab_mdomain 1 10 $GIP $GM vnet97
lab_domain 3 3 198.51.100.3 00:16:3e:00:0b:03 vnet97
lc_wait_fdb 3 $GM 192.0.2.1
lc_wait_fdb 2 $GM 192.0.2.1
lab_ping 3 $GIP 3
lc_ns_on gen sw 192.0.2.200/24

lab_step "(a) a claim at seq 0xffffffff to h3 (then a new MAC, applied after it)"
claim 192.0.2.3 0xffffffff 2
lc_wait_fdb 3 $MARK 192.0.2.200
[ "$(lc_fdb_dst 3 $GM)" = 192.0.2.1 ] || lab_fail "h3 moved $GM to $(lc_fdb_dst 3 $GM) on a claim at seq 0xffffffff"
lab_ping 3 $GIP 2

lab_step "(b) a claim at 0x7fffffff to everyone; the guest migrates to h2 and wins"
claim 224.10.0.1 0x7fffffff 1
lc_wait_fdb 3 $GM 192.0.2.200
lab_migrate 1 2 10 11
lc_wait_fdb 3 $GM 192.0.2.2 15
lc_wait_fdb 1 $GM 192.0.2.2 15

lab_step "(b) a claim at 0xffffffff to everyone; the guest migrates back to h1 (seq 0) and wins"
claim 224.10.0.1 0xffffffff 1
lc_wait_fdb 3 $GM 192.0.2.200
lab_migrate 2 1 11 12
lc_wait_fdb 3 $GM 192.0.2.1 15
lc_wait_fdb 2 $GM 192.0.2.1 15
lab_ping 3 $GIP 3
lab_log "no claim pinned $GM; migrations won across the wrap"
