#!/bin/bash
# An IPv6-only underlay: the tunnels and the control protocol run over
# IPv6 (multicast group ff05::a:1798, joined on eth0 and the tunnel's
# group entry out of it, though the tunnel is not bound to eth0), the
# vnet's MTU leaves room for the bigger header (underlay - 70: the
# tunnel answers guests left at 1500 with that PMTU), and announced MACs
# point at IPv6 hosts.
#
#     d1 198.51.100.1 --- vif1.0 [vnet97] vnif97 --- h1 eth0 2001:db8::1
#                                                       |  sw (IPv6 only)
#     d2 198.51.100.2 --- vif2.0 [vnet97] vnif97 --- h2 eth0 2001:db8::2
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
lab_need_daemon
lc_key
lab_switch
for h in 1 2; do
	LC_NODAEMON=1 lc_host "$h" "2001:db8::$h/64"
	lab_wait 5 "h$h's IPv6 address past DAD" bash -c \
		"! ip -n ${LAB_PREFIX}h$h -6 addr show dev eth0 tentative | grep -q inet6"
	lc_daemon_start "$h"
done
for h in 1 2; do xs "$h" write /vnet/97/bridge vnet97; done
for h in 1 2; do
	lab_vnet_up "$h" 97
	lc_wait_control "$h"
done

lab_step "the tunnel is IPv6"
h1 ip -d link show dev vnif97 | grep -q "vxlan id 151 local 2001:db8::1 " ||
	lab_fail "vnif97 is not on the IPv6 underlay: $(h1 ip -d link show dev vnif97)"
lc_fdb 1 | grep -q "^00:00:00:00:00:00 dst ff05::a:1798 via eth0 self permanent" ||
	lab_fail "h1: no IPv6 group entry: $(lc_fdb 1 | tr '\n' ';')"
h1 ip -6 maddr show dev eth0 | grep -q "inet6 ff05::a:1798" || lab_fail "h1: eth0 is no member of ff05::a:1798"
[ "$(h1 cat /sys/class/net/vnif97/mtu)" = 1500 ] || lab_fail "vnif97 is not at the underlay's MTU"
mtu=1430 # 1500 - 70

lab_step "hosts find each other by IPv6 multicast; MACs are announced"
lc_wait_counter 1 hosts-multicast -eq 1
lab_domain 1 1 198.51.100.1 00:16:3e:00:0b:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:0b:02 vnet97
lab_wait 5 "h1 points d2's MAC at 2001:db8::2" lc_fdb_has 1 00:16:3e:00:0b:02 2001:db8::2
lab_wait 5 "h2 points d1's MAC at 2001:db8::1" lc_fdb_has 2 00:16:3e:00:0b:01 2001:db8::1
lab_ping 1 198.51.100.2 3
lab_step "a frame of the vnet's MTU crosses without fragments"
d1 ping -n -q -c 2 -M "do" -s $((mtu - 28)) -W 2 198.51.100.2 >/dev/null ||
	lab_fail "a $mtu-byte frame did not cross"
[ "$(xs_get 1 /local/domain/0/backend/vif/1/0/mtu)" = "$mtu" ] || lab_fail "the hook did not tell the backend $mtu"
lab_step "guests at 1500: full-size frames, PMTU $mtu"
lc_full_frames 2 1 198.51.100.1 "$mtu" v6
echo "PASS: IPv6 underlay"
