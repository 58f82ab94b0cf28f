#!/bin/bash
# Hosts that disagree on a vnet's VNI or MTU (issue 10): each HELLO carries
# every vnet's VNI and MTU, and a disagreement puts the vnet in `error` on
# both hosts, with a reason naming the other host, until it is fixed.
#
#   d1 198.51.100.1                          d2 198.51.100.2 / d3 198.51.100.3
#        |                                        |
#   [vnet97]-vnif97 (VNI 151)               [vnet98]-vnif98 (vni=151) / [vnet97]-vnif97
#                 h1 192.0.2.1 ------- sw0 ------- 192.0.2.2 h2
#
# (a) vnet 97 on h1 and vnet 98 with vni=151 on h2: both error, no tunnel,
#     no frame crosses; deleting 98 brings 97 back.
# (b) vnet 97 on both, vni=152 on h2: both error; fixed, d1 reaches d3.
# (c) vnet 97 on both, mtu=1400 on h2: both error naming the other host.
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
M1=00:16:3e:00:97:01 M2=00:16:3e:00:98:02 M3=00:16:3e:00:97:03

# wait_error N KEY REASON: /vnet/KEY on host N is error with exactly REASON.
wait_error() {
	lab_wait_xs "$1" "/vnet/$2/error" "$3" 15
	lab_wait_xs "$1" "/vnet/$2/state" error 5
}

lab_step "h1: vnet 97 (VNI 151); h2: vnet 98 on VNI 152, a domain on each"
lc_key
lab_switch
lc_host 1
lc_host 2
xs 1 write /vnet/97/bridge vnet97
xs 2 write /vnet/98/bridge vnet98 /vnet/98/vni 152
lab_vnet_up 1 97
lab_vnet_up 2 98
lc_wait_control 1
lc_wait_control 2
lab_domain 1 1 198.51.100.1 $M1 vnet97
lab_domain 2 2 198.51.100.2 $M2 vnet98

lab_step "(a) h2's vnet 98 takes VNI 151: both in error, naming the other host"
xs 2 write /vnet/98/vni 151
wait_error 1 97 "host 192.0.2.2 carries vnet 98 on vni 151"
wait_error 2 98 "host 192.0.2.1 carries vnet 97 on vni 151"
lab_wait 10 "h1's tunnel gone" test "$(lab_count_vxlan 1 151)" = 0 || lab_fail "h1 still has a VNI 151 tunnel"
lab_wait 10 "h2's tunnel gone" test "$(lab_count_vxlan 2 151)" = 0 || lab_fail "h2 still has a VNI 151 tunnel"
# Where a vnet's state is shown, so is the reason.
lc_vn 1 vnet-list -l | grep -q "host 192.0.2.2 carries vnet 98 on vni 151" ||
	lab_fail "vn vnet-list on h1 does not show the reason: $(lc_vn 1 vnet-list -l)"
lc_vn 1 vnet-show 97 | grep -q "host 192.0.2.2 carries vnet 98 on vni 151" ||
	lab_fail "vn vnet-show 97 on h1 does not show the reason: $(lc_vn 1 vnet-show 97)"
lc_vn 1 status | grep -q "1 in error" || lab_fail "vn status on h1 does not count the vnet in error: $(lc_vn 1 status | grep vnets)"
grep -q "vnet 97: error: host 192.0.2.2 carries vnet 98 on vni 151" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "no log line on h1"

lab_step "(a) no frame crosses: d1 pings and floods, h2's underlay sees no VXLAN"
lab_bg h2 tcpdump -i eth0 -n -U --immediate-mode -w "$LAB_DIR/h2.pcap" udp port 1798 or icmp 2>"$LAB_DIR/h2.tcpdump"
cap=$LAB_BG
lab_wait 5 "tcpdump on h2" grep -q listening "$LAB_DIR/h2.tcpdump" || lab_fail "tcpdump on h2 did not start"
! ip netns exec "${LAB_PREFIX}d1" ping -n -q -c 3 -i 0.2 -W 1 198.51.100.2 >/dev/null 2>&1 ||
	lab_fail "d1 (vnet 97) reaches d2 (vnet 98)"
! ip netns exec "${LAB_PREFIX}d2" ping -n -q -c 3 -i 0.2 -W 1 198.51.100.1 >/dev/null 2>&1 ||
	lab_fail "d2 (vnet 98) reaches d1 (vnet 97)"
ip netns exec "${LAB_PREFIX}d1" ping -n -q -b -c 3 -i 0.2 -W 1 198.51.100.255 >/dev/null 2>&1 || true
# Underlay pings from h1 must show up: the capture works.
h1 ping -n -q -c 3 -i 0.2 -W 1 192.0.2.2 >/dev/null
sleep 0.5 # let the last frames reach the capture
kill -INT $cap
wait $cap || true
icmp=$(tcpdump -r "$LAB_DIR/h2.pcap" -n icmp 2>/dev/null | grep -c . || true)
((icmp >= 3)) || lab_fail "the capture on h2 saw only $icmp of h1's underlay pings: it does not work"
n=$(tcpdump -r "$LAB_DIR/h2.pcap" -n udp port 1798 2>/dev/null | grep -c . || true)
[ "$n" = 0 ] || lab_fail "h2's underlay saw $n VXLAN frames: $(tcpdump -r "$LAB_DIR/h2.pcap" -n udp port 1798 2>/dev/null | head -3)"
lab_log "no VXLAN frame reached h2 ($icmp underlay pings did)"

lab_step "(a) h2 deletes vnet 98: h1's vnet 97 comes back by itself"
xs 2 rm /vnet/98
lab_vnet_up 1 97 15
[ "$(xs_get 1 /vnet/97/error)" = "" ] || lab_fail "h1: error key left: $(xs_get 1 /vnet/97/error)"
[ "$(lab_count_vxlan 1 151)" = 1 ] || lab_fail "h1: no VNI 151 tunnel after recovery"

lab_step "(b) h2 defines vnet 97 on VNI 152: both in error"
xs 2 write /vnet/97/bridge vnet97 /vnet/97/vni 152
wait_error 1 97 "host 192.0.2.2 has vnet 97 on vni 152, here 151"
wait_error 2 97 "host 192.0.2.1 has vnet 97 on vni 151, here 152"
lab_wait 10 "h2's tunnel gone" test "$(lab_count_vxlan 2 152)" = 0 || lab_fail "h2 still has a VNI 152 tunnel"

lab_step "(b) h2 drops its vni key: both up, d1 reaches d3"
xs 2 rm /vnet/97/vni
lab_vnet_up 1 97 15
lab_vnet_up 2 97 15
lab_domain 2 3 198.51.100.3 $M3 vnet97
lab_wait 15 "d1 reaches d3" ip netns exec "${LAB_PREFIX}d1" ping -n -q -c 1 -W 1 198.51.100.3 ||
	lab_fail "d1 cannot reach d3 once the VNIs agree"

lab_step "(c) h2's vnet 97 gets mtu 1400 (h1: 1500 - 50): both in error"
xs 2 write /vnet/97/mtu 1400
wait_error 1 97 "mtu 1450 here, 1400 on host 192.0.2.2"
wait_error 2 97 "mtu 1400 here, 1450 on host 192.0.2.1"
! ip netns exec "${LAB_PREFIX}d1" ping -n -q -c 2 -i 0.2 -W 1 198.51.100.3 >/dev/null 2>&1 ||
	lab_fail "d1 still reaches d3 through a vnet in error"

lab_step "(c) fixed: both up again"
xs 2 rm /vnet/97/mtu
lab_vnet_up 1 97 15
lab_vnet_up 2 97 15
lab_wait 15 "d1 reaches d3" ip netns exec "${LAB_PREFIX}d1" ping -n -q -c 1 -W 1 198.51.100.3 ||
	lab_fail "d1 cannot reach d3 once the MTUs agree"
lab_log "ok"
