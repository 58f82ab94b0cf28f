#!/bin/bash
# Two hosts define vnet 97 with one xenstore write each; a domain on each
# host, plugged into vnet97, reaches the other across the VXLAN tunnel
# (or vnet.ko's link, with LAB_DATAPLANE=vnet).
#
#   d1 198.51.100.1                          d2 198.51.100.2
#     |                                        |
#   vif1.0-[vnet97]-vnif97      vnif97-[vnet97]-vif2.0
#            h1 eth0 192.0.2.1 -- sw0 -- 192.0.2.2 eth0 h2
set -e
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init "$1"
lab_hosts 2

lab_step "define vnet 97 on both hosts"
for h in 1 2; do
	xs $h write /vnet/97/bridge vnet97
done
for h in 1 2; do
	lab_vnet_up $h 97
	lab_wait_link $h vnet97 up
	lab_wait_link $h vnif97 up
	[ -z "$(xs_get $h /vnet/97/error)" ] || lab_fail "h$h: error key left while up"
	# The tunnel is what the design says: VNI 0x97 on port 1798 from
	# the underlay's address, not bound to eth0 (the underlay's MTU), the
	# group 224.10.0.1 an FDB entry out of eth0, learning, enslaved to the
	# bridge, marked ours.  vnet.ko's link: the whole id on port 1798 from
	# the underlay's address, bound to eth0 (the module answers too-big
	# frames itself, so it has eth0's MTU all the same), the group a link
	# attribute and so an FDB entry, learning.
	info=$(lab_tunnel_info $h vnif97)
	wants=(" mtu 1500 " "master vnet97 " "alias xenvnet:97")
	group="^00:00:00:00:00:00 dst 224.10.0.1 via eth0 self permanent"
	if [ "$LAB_DP" = vnet ]; then
		wants+=("id $(lab_long_id 97) port 1798 local 192.0.2.$h group 224.10.0.1 link $(lab_ifindex $h eth0) ttl 0 learning on ")
		group="^00:00:00:00:00:00 dst 224.10.0.1 self permanent"
	else
		wants+=("vxlan id 151 local 192.0.2.$h " "dstport 1798 ")
		case $info in *" dev eth0 "*) lab_fail "h$h: vnif97 is bound to eth0: $info" ;; esac
		case $info in *nolearning*) lab_fail "h$h: vnif97 does not learn: $info" ;; esac
	fi
	for want in "${wants[@]}"; do
		case $info in *"$want"*) ;; *) lab_fail "h$h: vnif97 lacks '$want': $info" ;; esac
	done
	h$h bridge fdb show dev vnif97 | grep -q "$group" ||
		lab_fail "h$h: no group entry on vnif97: $(h$h bridge fdb show dev vnif97 | tr '\n' ';')"
	h$h ip -d -o link show dev vnet97 | grep -q "alias xenvnet:97" ||
		lab_fail "h$h: vnet97 is not marked as ours"
done

lab_step "a domain on each host, on vnet97"
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
lab_ping 1 198.51.100.2 3
lab_ping 2 198.51.100.1 3
# The vnet's MTU, told to the guest: underlay 1500 minus 50 bytes of VXLAN
# (62 of vnet.ko).
mtu=$((1500 - $(lab_dp_overhead)))
[ "$(xs_get 1 /local/domain/0/backend/vif/1/0/mtu)" = $mtu ] || lab_fail "vif mtu is not $mtu"
d1 ping -n -q -c 1 -W 2 -M "do" -s $((mtu - 28)) 198.51.100.2 >/dev/null || lab_fail "a full-MTU ($mtu) frame does not cross"
lab_log "ping across ok"
