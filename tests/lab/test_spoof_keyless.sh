#!/bin/bash
# A host without the cluster key floods with a member's MAC (issue 10):
# h3 has another key, carries vnet 97 too and plugs d9 with d1's MAC, which
# floods ARP.  Its announcements fail authentication (nothing new), and
# its frames, which reach every host through the multicast group, move
# nothing: no tunnel learns d1's MAC (or any) behind h3, h1's bridge keeps
# d1's MAC pinned on vif1.0, and d2 on h2 keeps every ping to d1.
#
#   d1 198.51.100.1 (victim)   d2 198.51.100.2 (pinger)   d9 198.51.100.9 (d1's MAC)
#      |                          |                          |
#   [vnet97] h1 192.0.2.1 ---- [vnet97] h2 192.0.2.2 ---- [vnet97] h3 192.0.2.3
#   key A                      key A                      key B
set -e
. "$(dirname "$0")/lib_dp.sh"
lab_init "$1"
M1=00:16:3e:00:0c:01

rx() { ld_rx "$1" vnif97; }

lab_step "h1, h2 with key A and vnet 97; d1 on h1, d2 on h2"
lc_cluster 2
lab_domain 1 1 198.51.100.1 $M1 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:0c:02 vnet97
lc_wait_fdb 2 $M1 192.0.2.1
lab_ping 2 198.51.100.1 3

lab_step "h3 with key B, vnet 97, d9 with d1's MAC flooding"
lc_key
lc_host 3
xs 3 write /vnet/97/bridge vnet97
lab_vnet_up 3 97
lab_domain 3 9 198.51.100.9 $M1 vnet97
base1=$(rx 1)
ld_spoofer 9 $M1 198.51.100.9
# (h2 may drop them in its tunnel: its static entry places d1's MAC on h1.)
lab_wait 15 "h3's frames at h1" eval '[ $(rx 1) -ge $((base1 + 50)) ]' ||
	lab_fail "h3's flood did not reach h1 (multicast)"

lab_step "d2 keeps every ping to d1; nothing learned behind h3"
got=$(ld_replies 2 198.51.100.1 50)
[ "$got" = 50 ] || lab_fail "d2 -> d1: $got of 50 answered; h1 bridge: $(ld_port 1 $M1); h1 tunnel: $(lc_fdb 1 | grep "^$M1" | tr '\n' ';')"
for h in 1 2; do
	[ -z "$(ld_learned $h 192.0.2.3)" ] || lab_fail "h$h's tunnel learned from keyless h3: $(ld_learned $h 192.0.2.3 | tr '\n' ';')"
done
[ "$(ld_port 1 $M1)" = "vif1.0 sticky static" ] || lab_fail "h1's bridge has $M1 on '$(ld_port 1 $M1)'"
lc_fdb_has 2 $M1 192.0.2.1 || lab_fail "h2's entry for $M1 moved: $(lc_fdb 2 | grep "^$M1" | tr '\n' ';')"
lab_log "d1 kept every ping while keyless h3 flooded with its MAC"
