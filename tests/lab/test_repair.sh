#!/bin/bash
# Devices deleted behind the daemon's back are rebuilt, and the domains'
# vifs are plugged back in; a moment without an underlay address keeps the
# vnet's devices (state pending) instead of cutting the domains off.
#
#     d1 eth0 --- vif1.0 --- vnet97 --- vnif97   h1 --- sw --- h2   vnif97 --- vnet97 --- vif2.0 --- d2 eth0
set -e
. "$(dirname "$0")/lib.sh"
lab_init "$1"
lab_need_daemon
lab_hosts 2
for n in 1 2; do xs "$n" write /vnet/97/bridge vnet97; done
lab_vnet_up 1 97
lab_vnet_up 2 97
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
lab_ping 1 198.51.100.2 2

lab_step "an admin deletes the bridge: rebuilt, vif1.0 plugged back in"
h1 ip link del vnet97
lab_wait 10 "vnet97 rebuilt with vif1.0" bash -c \
	"[ \"\$(ip -n ${LAB_PREFIX}h1 -o link show master vnet97 2>/dev/null | grep -c 'vif1.0\|vnif97')\" = 2 ]"
lab_ping 1 198.51.100.2 2
lab_log "bridge rebuilt, both ports back, ping ok"

lab_step "the tunnel is deleted: rebuilt under the same bridge"
h1 ip link del vnif97
lab_wait 10 "vnif97 rebuilt" lab_link_up 1 vnif97
lab_ping 1 198.51.100.2 2

lab_step "the underlay loses its address for a moment: devices stay, state pending, then up"
before=$(lab_ifindex 1 vnet97)
h1 ip addr del 192.0.2.1/24 dev eth0
lab_wait_xs 1 /vnet/97/state pending
[ "$(lab_ifindex 1 vnet97)" = "$before" ] || lab_fail "the bridge was recreated while pending"
h1 test -e /sys/class/net/vif1.0/master || lab_fail "vif1.0 was cut off while pending"
h1 ip addr add 192.0.2.1/24 dev eth0
lab_vnet_up 1 97
lab_ping 1 198.51.100.2 2
[ "$(lab_ifindex 1 vnet97)" = "$before" ] || lab_fail "the bridge was recreated"
echo "PASS: repair"
