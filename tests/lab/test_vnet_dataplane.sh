#!/bin/bash
# The daemon on the native data plane (dataplane = vnet, vnet.ko from
# kmod/): two vnets whose 128-bit ids differ only in their high 64 bits,
# no vni keys, each carried by a vnet link with its full id, the cluster's
# FDB programming unchanged.  Needs module loading: it runs in the emulated
# hosts (tests/vm, list kernel-tests.txt) and says SKIP elsewhere.
#
#   d1 198.51.100.1 (A)  d3 198.51.100.3 (B)     d2 198.51.100.2 (A)  d4 198.51.100.4 (B)
#        |                    |                         |                    |
#   [vnetA]-vnifA        [vnetB]-vnifB              [vnetA]-vnifA       [vnetB]-vnifB
#                 h1 192.0.2.1 ------- sw0 ------- 192.0.2.2 h2
set -e
# lab_init loads vnet.ko (SKIP where it cannot), lab_cleanup unloads it:
# the tests after this one expect VXLAN from dataplane = auto.
# shellcheck disable=SC2034 # read by lib.sh
LAB_DATAPLANE=vnet
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
A=0000:0000:0000:000a:0000:0000:0000:0042
B=0000:0000:0000:000b:0000:0000:0000:0042
KA=0000-0000-0000-000a-0000-0000-0000-0042
KB=0000-0000-0000-000b-0000-0000-0000-0042
M1=00:16:3e:00:0a:01 M2=00:16:3e:00:0a:02 M3=00:16:3e:00:0b:03 M4=00:16:3e:00:0b:04

vnetlink() { lab_tunnel_info "$1" "$2"; }

lab_step "two hosts, dataplane = vnet"
lc_key
lab_switch
LC_NODAEMON=1 lc_host 1
LC_NODAEMON=1 lc_host 2
for h in 1 2; do
	lc_daemon_start $h -c "$(lc_config $h dataplane=vnet)"
done
for h in 1 2; do
	xs $h write "/vnet/$KA/bridge" vneta "/vnet/$KA/vnetif" vnifa
	xs $h write "/vnet/$KB/bridge" vnetb "/vnet/$KB/vnetif" vnifb
done
for h in 1 2; do
	lab_vnet_up $h "$KA" 20
	lab_vnet_up $h "$KB" 20
	lc_wait_control $h
	# the links are vnet.ko's, each with its full id
	vnetlink $h vnifa | grep -q "^id $A port 1798 local 192.0.2.$h group 224.10.0.1 " ||
		lab_fail "h$h: vnifa: $(vnetlink $h vnifa)"
	vnetlink $h vnifb | grep -q "^id $B port 1798 " || lab_fail "h$h: vnifb: $(vnetlink $h vnifb)"
	ip -n "${LAB_PREFIX}h$h" -d -o link show dev vnifa | grep -q "master vneta" || lab_fail "h$h: vnifa not on vneta"
	[ -z "$(xs_get $h "/vnet/$KB/error")" ] || lab_fail "h$h: $(xs_get $h "/vnet/$KB/error")"
done
lc_vn 1 status | grep -q "data plane: *vnet" || lab_fail "vn status: $(lc_vn 1 status)"
lc_vn 1 vnets | grep -q "vnet *$" || lab_fail "vn vnets shows no data plane: $(lc_vn 1 vnets)"
# the underlay's MTU: vnet.ko answers too-big frames itself
[ "$(ip netns exec "${LAB_PREFIX}h1" cat /sys/class/net/vnifa/mtu)" = 1500 ] || lab_fail "vnifa mtu"

lab_step "two vnets with the same vni key both come up (VXLAN would refuse the second)"
KC=0000-0000-0000-000c-0000-0000-0000-0042 KD=0000-0000-0000-000d-0000-0000-0000-0042
xs 1 write "/vnet/$KC/bridge" vnetc "/vnet/$KC/vnetif" vnifc "/vnet/$KC/vni" 4242
xs 1 write "/vnet/$KD/bridge" vnetd "/vnet/$KD/vnetif" vnifd "/vnet/$KD/vni" 4242
lab_vnet_up 1 "$KC" 20
lab_vnet_up 1 "$KD" 20
xs 1 rm "/vnet/$KC"
xs 1 rm "/vnet/$KD"
lab_wait 20 "vnifd gone" lab_link_gone 1 vnifd || lab_fail "vnifd outlived its vnet"

lab_step "a domain of each vnet per host; the cluster programs the FDB"
lab_domain 1 1 198.51.100.1 $M1 vneta
lab_domain 1 3 198.51.100.3 $M3 vnetb
lab_domain 2 2 198.51.100.2 $M2 vneta
lab_domain 2 4 198.51.100.4 $M4 vnetb
lc_wait_fdb 1 $M2 192.0.2.2 10 vnifa
lc_wait_fdb 1 $M4 192.0.2.2 10 vnifb
lc_wait_fdb 2 $M1 192.0.2.1 10 vnifa

lab_step "A<->A and B<->B work, B never reaches A (same IP subnet)"
lab_ping 1 198.51.100.2 3
lab_ping 3 198.51.100.4 3
for t in 198.51.100.1 198.51.100.2; do
	if ip netns exec "${LAB_PREFIX}d3" ping -n -q -c 2 -i 0.2 -W 1 "$t" >/dev/null 2>&1; then
		lab_fail "d3 (vnet B) reaches $t (vnet A)"
	fi
done

lab_step "daemon kill: traffic keeps flowing, the restarted daemon adopts the links"
lab_daemon_kill 1
lab_ping 1 198.51.100.2 3
lc_daemon_start 1 -c "$(lc_config 1 dataplane=vnet)"
lc_wait_control 1
lab_vnet_up 1 "$KA" 20
ip -n "${LAB_PREFIX}h1" -o link show dev vnifa | grep -q "alias xenvnet:$KA" || lab_fail "vnifa lost its mark"
lab_ping 1 198.51.100.2 3
lab_san_check 1
lab_san_check 2
echo "PASS"
