#!/bin/bash
# A guest that sends with another guest's MAC (issue 10) draws none of its
# traffic: the victim d2's MAC is pinned to vif2.0 on h2 (a static sticky
# bridge entry), and h2's tunnel learns nothing while the control protocol
# runs.  Both attackers have their lock turned off (xenvnet-lock=0), so
# what is checked is the pinning and the tunnel, not the lock.
#   1. d1 on h1 floods ARP with d2's MAC: d3, on d2's host, keeps every
#      ping to d2, and h2's bridge and tunnel still place d2 right.
#   2. d4 on h2 itself does the same: likewise.
#
#   d1 (attacker)                       d2 (victim)  d3 (pinger)  d4 (attacker)
#   198.51.100.1                        .2           .3           .4
#      |                                 |            |            |
#   [vnet97] h1 192.0.2.1 ---- sw0 ---- [vnet97] h2 192.0.2.2 (all three)
set -e
. "$(dirname "$0")/lib_dp.sh"
lab_init "$1"
M2=00:16:3e:00:0b:02

# keeps DOM IP: DOM gets every one of 50 pings to IP answered.
keeps() {
	local got
	got=$(ld_replies "$1" "$2" 50)
	[ "$got" = 50 ] || lab_fail "d$1 -> $2: $got of 50 pings answered; h2 bridge: $(ld_port 2 $M2); h2 tunnel: $(lc_fdb 2 | grep -i "^$M2" | tr '\n' ';')"
}
# pinned: h2's bridge has d2's MAC on vif2.0, static and sticky, and its
# tunnel learned no entry for it.
pinned() {
	[ "$(ld_port 2 $M2)" = "vif2.0 sticky static" ] || lab_fail "h2's bridge has $M2 on '$(ld_port 2 $M2)'"
	[ -z "$(ld_learned 2 192.0.2.1)" ] || lab_fail "h2's tunnel learned from h1: $(ld_learned 2 192.0.2.1 | tr '\n' ';')"
}
rx() { ld_rx 2 "$1"; }

lab_step "h1, h2 with vnet 97; victim d2 and pinger d3 on h2; attackers d1 (h1), d4 (h2) unlocked"
lc_cluster 2
lab_domain 2 2 198.51.100.2 $M2 vnet97
lab_domain 2 3 198.51.100.3 00:16:3e:00:0b:03 vnet97
lab_domain 1 1 198.51.100.1 00:16:3e:00:0b:01 vnet97
lab_domain 2 4 198.51.100.4 00:16:3e:00:0b:04 vnet97
xs 1 write /local/domain/0/backend/vif/1/0/xenvnet-lock 0
xs 2 write /local/domain/0/backend/vif/4/0/xenvnet-lock 0
lab_wait 10 "the attackers unlocked" eval '! ld_lock_chain 1 vif1.0 >/dev/null && ! ld_lock_chain 2 vif4.0 >/dev/null' ||
	lab_fail "the attackers are still locked"
lc_wait_fdb 1 $M2 192.0.2.2
lab_ping 3 198.51.100.2 3
lab_wait 10 "d2's MAC on vif2.0 at h2" eval '[[ "$(ld_port 2 $M2)" == vif2.0* ]]' ||
	lab_fail "h2 has $M2 on '$(ld_port 2 $M2)'"
lab_ping 1 198.51.100.2 3

lab_step "d1 on h1 floods with d2's MAC; d3 keeps pinging d2"
base=$(rx vnif97)
ld_spoofer 1 $M2 198.51.100.2
SPOOF1=$LAB_BG
lab_wait 10 "d1's spoofed frames at h2" eval '[ $(rx vnif97) -ge $((base + 50)) ]' ||
	lab_fail "d1's frames did not reach h2"
keeps 3 198.51.100.2
pinned
kill "$SPOOF1"

lab_step "d4 on h2 floods with d2's MAC; d3 keeps pinging d2"
base=$(rx vif4.0)
ld_spoofer 4 $M2 198.51.100.2
lab_wait 10 "d4's spoofed frames at h2" eval '[ $(rx vif4.0) -ge $((base + 50)) ]' ||
	lab_fail "d4's frames did not reach h2's bridge"
keeps 3 198.51.100.2
keeps 1 198.51.100.2
pinned
lab_log "d2 kept every ping while d1 (h1) and d4 (h2) sent with its MAC"
