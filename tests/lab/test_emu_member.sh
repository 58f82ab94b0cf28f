#!/bin/bash
# An HVM guest on its emulated NIC (issue 10): QEMU's tap vif5.0-emu
# carries its frames, and netback's vif5.0 never reaches Connected (no PV
# driver).  With tunnel learning off it must still be a vnet member: its
# MAC (the backend's, the same on both devices) is announced, so h2 gets a
# static entry for it; h1 pins it to the tap and locks the tap; d6 on h2
# pings it.  When the PV driver takes over (backend Connected) the pin
# moves to vif5.0; when the domain goes, the tap's lock goes with it.
#
#   d5 198.51.100.5 (HVM, eth0 = the emulated NIC)           d6 198.51.100.6
#      |                                                        |
#   vif5.0-emu (tap)   vif5.0 (netback, InitWait: unused)      |
#      \________  ______/                                       |
#   [vnet97] h1 192.0.2.1 ----------- sw0 ----------- [vnet97] h2 192.0.2.2
set -e
. "$(dirname "$0")/lib_dp.sh"
lab_init "$1"
M5=00:16:3e:00:0d:05 BE=/local/domain/0/backend/vif/5/0

lab_step "h1, h2 with vnet 97; d6 on h2"
lc_cluster 2
lab_domain 2 6 198.51.100.6 00:16:3e:00:0d:06 vnet97

lab_step "HVM d5 on h1: backend vif_ioemu in InitWait, its tap and netback's vif both plugged"
lab_ns d5 d5
LAB_DOM_NS[5]=d5
# netback's vif: a veth whose guest end (pv0) no driver ever uses
ip -n "${LAB_PREFIX}h1" link add vif5.0 address fe:ff:ff:ff:ff:ff type veth peer name pv0 netns "${LAB_PREFIX}d5"
ip -n "${LAB_PREFIX}h1" link add vif5.0-emu type veth peer name eth0 address $M5 netns "${LAB_PREFIX}d5"
ip -n "${LAB_PREFIX}d5" addr add 198.51.100.5/24 dev eth0
ip -n "${LAB_PREFIX}d5" link set eth0 up
mtu=$(ip -n "${LAB_PREFIX}h1" -o link show dev vnet97 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
for dev in vif5.0 vif5.0-emu; do
	ip -n "${LAB_PREFIX}h1" link set "$dev" mtu "$mtu" master vnet97 up
done
ip -n "${LAB_PREFIX}d5" link set eth0 mtu "$mtu"
# libxl's keys for an HVM guest's NIC; no PV driver: the frontend stays
# Initialising, the backend InitWait.
FE=/local/domain/5/device/vif/0
xs 1 write /local/domain/5/name d5 /local/domain/5/domid 5 \
	$FE/backend $BE $FE/backend-id 0 $FE/mac $M5 $FE/handle 0 $FE/state 1 \
	$BE/frontend $FE $BE/frontend-id 5 $BE/mac $M5 $BE/bridge vnet97 \
	$BE/script /etc/xen/scripts/vif-bridge $BE/handle 0 $BE/type vif_ioemu \
	$BE/online 1 $BE/state 2 $BE/hotplug-status connected

lab_step "d5 is a member through its tap: announced, pinned, locked, reachable"
lc_wait_fdb 2 $M5 192.0.2.1
lab_wait 10 "d5's MAC pinned to the tap" eval '[ "$(ld_port 1 $M5)" = "vif5.0-emu sticky static" ]' ||
	lab_fail "h1's bridge has $M5 on '$(ld_port 1 $M5)'"
lab_wait 10 "the tap's lock" eval 'ld_lock_chain 1 vif5.0-emu >/dev/null' || lab_fail "the tap is not locked"
lab_wait 10 "d6 reaches d5" ip netns exec "${LAB_PREFIX}d6" ping -c 1 -W 1 198.51.100.5 >/dev/null ||
	lab_fail "d6 cannot reach d5 on its emulated NIC"
lab_ping 6 198.51.100.5 10

lab_step "the PV driver connects: the pin moves to vif5.0"
xs 1 write $BE/state 4 /local/domain/5/device/vif/0/state 4
lab_wait 10 "d5's MAC pinned to vif5.0" eval '[ "$(ld_port 1 $M5)" = "vif5.0 sticky static" ]' ||
	lab_fail "h1's bridge has $M5 on '$(ld_port 1 $M5)' after Connected"
lc_fdb_has 2 $M5 192.0.2.1 || lab_fail "h2 lost d5's entry when its PV driver connected"

lab_step "the domain goes: the tap's lock too"
xs 1 rm $BE /local/domain/5
ip -n "${LAB_PREFIX}h1" link del vif5.0-emu
ip -n "${LAB_PREFIX}h1" link del vif5.0
lab_wait 10 "the tap's lock gone" eval '! ld_lock_chain 1 vif5.0-emu >/dev/null' || lab_fail "the tap's lock outlived it"
lc_wait_fdb_gone 2 $M5
lab_log "an emulated NIC is a member: announced, pinned and locked on its tap"
