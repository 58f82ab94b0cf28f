#!/bin/bash
# Guests left at MTU 1500 on a vnet whose underlay MTU is 1500 (issue 12):
# Linux netfront ignores the vif's mtu key, so real guests stay at 1500.
# They must reach each other with full-size frames: the vnet's devices
# carry the underlay's MTU, and the tunnel, not bound to the underlay
# device, answers DF frames too big for it with "fragmentation needed"
# (mtu 1450) and fragments the others outside.  No control protocol (no
# key): broadcasts and unknown frames go to the multicast group, through
# the tunnel's group FDB entry and the underlay's membership.
# LAB_DATAPLANE=vnet: vnet.ko's link does the same (bound to eth0, but at
# its MTU; the module answers with mtu 1438).
#
#   d1 198.51.100.1 (eth0 1500)                    d2 198.51.100.2 (eth0 1500)
#     |                                              |
#   vif1.0-[vnet97 1500]-vnif97 1500       vnif97-[vnet97]-vif2.0
#            h1 eth0 192.0.2.1 (1500) --- sw0 --- 192.0.2.2 eth0 h2
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
lab_need_daemon
lab_hosts 2
for h in 1 2; do xs $h write /vnet/97/bridge vnet97; done
for h in 1 2; do lab_vnet_up $h 97; done

lab_step "the tunnel: at the underlay's MTU, its group an FDB entry (VXLAN: unbound, out of eth0)"
pmtu=$((1500 - $(lab_dp_overhead)))
for h in 1 2; do
	info=$(lab_tunnel_info $h vnif97)
	[[ $info == *" mtu 1500 "* ]] || lab_fail "h$h: vnif97 is not at the underlay's MTU: $info"
	if [ "$LAB_DP" = vnet ]; then
		lc_fdb $h | grep -q "^00:00:00:00:00:00 dst 224.10.0.1 self permanent" ||
			lab_fail "h$h: no group entry: $(lc_fdb $h | tr '\n' ';')"
	else
		[[ $info != *" dev eth0 "* && $info != *" group 224."* ]] || lab_fail "h$h: vnif97 is bound to the underlay: $info"
		lc_fdb $h | grep -q "^00:00:00:00:00:00 dst 224.10.0.1 via eth0 self permanent" ||
			lab_fail "h$h: no group entry: $(lc_fdb $h | tr '\n' ';')"
	fi
	h$h ip maddr show dev eth0 | grep -q "inet  224.10.0.1" || lab_fail "h$h: eth0 is no member of 224.10.0.1"
done

lab_step "guests at 1500, flood-and-learn across (the group carries ARP)"
lab_domain 1 1 198.51.100.1 00:16:3e:00:0c:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:0c:02 vnet97
[ "$(d1 cat /sys/class/net/eth0/mtu)" = 1500 ] || lab_fail "d1's NIC is not at 1500"
[ "$(xs_get 1 /local/domain/0/backend/vif/1/0/mtu)" = $pmtu ] || lab_fail "the hook did not tell the backend $pmtu"
lab_ping 1 198.51.100.2 3

lab_step "full-size frames both ways"
lc_full_frames 1 2 198.51.100.2 $pmtu
lc_full_frames 2 1 198.51.100.1 $pmtu
echo "PASS: guests at MTU 1500"
