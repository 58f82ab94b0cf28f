#!/bin/bash
# A migration on BGP EVPN that fails after the target plugged its vif
# (issue #15).  In xl's order the target's vif is plugged into the bridge
# while the guest is paused (NAME--incoming, no carrier, not Connected):
# the target's daemon pins the MAC there at once, so zebra advertises the
# move during the guest's pause.  If xl then gives up, it destroys the
# paused target (its vif goes, zebra withdraws the MAC, every zebra drops
# its entry) and the guest runs on at the source, which sends nothing
# here: the source's daemon sees its bridge drop the MAC of a vif still
# Connected and pins it again (static), and zebra advertises it from the
# source (under load zebra sometimes restores its own static entry
# first).  A migration after that goes through.
#
#                 guest 198.51.100.10 00:16:3e:00:05:20 (domid 10)
#                 |  ---- plug, fail ---->  |
#   [vnet97] h1 192.0.2.1            [vnet97] h2 192.0.2.2      [vnet97] h3 192.0.2.3
#                                                                  |
#                                                                d3 198.51.100.3
#   h1..h3: xenvnetd (control = evpn) + zebra + bgpd;  rr 192.0.2.100 (FRR only);  all on sw0
set -e
. "$(dirname "$0")/lib_evpn.sh"
lab_init "$1"
GM=00:16:3e:00:05:20 GIP=198.51.100.10

lab_step "three EVPN hosts, vnet 97, the guest on h1, d3 on h3"
le_mig_lab $GM $GIP
seq0=$(le_mac_field h1 $GM 'd.get("localSequence", -1)')

lab_step "h2 plugs the incoming domain's vif: its zebra advertises the MAC before Connected"
lab_migrate_prepare 1 2 10 11
! lab_link_carrier 2 vif11.0 || lab_fail "h2: vif11.0 has a carrier before the guest connects"
le_wait_remote 3 $GM 192.0.2.2 10
le_wait_remote 1 $GM 192.0.2.2 10
[ "$(xs 2 read /local/domain/0/backend/vif/11/0/state)" != 4 ] || lab_fail "h2: vif 11 Connected too early"
[ "$(le_bridge_port 2 $GM)" = vif11.0 ] || lab_fail "h2: $GM on $(le_bridge_port 2 $GM), not vif11.0"
seq1=$(le_mac_field h2 $GM 'd.get("localSequence", -1)')
((seq1 > seq0)) || lab_fail "h2: sequence $seq1 after h1's $seq0: $(le_mac_json h2 $GM)"

lab_step "the migration fails: the paused target goes, h1 takes the MAC back with no frame from the guest"
lab_migrate_finish 2 11
le_wait_remote 3 $GM 192.0.2.1 10
le_wait_remote 2 $GM 192.0.2.1 10
[ "$(le_bridge_port 1 $GM)" = vif10.0 ] || lab_fail "h1: $GM on '$(le_bridge_port 1 $GM)', not vif10.0"
# static, not learned from a frame: pinned again by the daemon when its
# bridge dropped the MAC (or, when zebra restores its old local entry
# itself, which it sometimes does, kept)
bridge -n "${LAB_PREFIX}h1" fdb show br vnet97 | grep -q "^$GM dev vif10.0 .*static" ||
	lab_fail "h1: $GM is not pinned: $(bridge -n "${LAB_PREFIX}h1" fdb show br vnet97 | grep "$GM")"
[ "$(le_mac_field h1 $GM 'd.get("type")')" = local ] || lab_fail "h1: $GM is not local: $(le_mac_json h1 $GM)"
lab_ping 3 $GIP 3

lab_step "a migration to h2 after it goes through"
lab_migrate 1 2 10 12
le_wait_remote 3 $GM 192.0.2.2 10
le_wait_remote 1 $GM 192.0.2.2 10
[ "$(le_bridge_port 2 $GM)" = vif12.0 ] || lab_fail "h2: $GM on $(le_bridge_port 2 $GM), not vif12.0"
lab_ping 3 $GIP 3
