#!/bin/bash
# Deleting a vnet removes exactly the daemon's devices for it: the admin's
# own bridge and tunnel, another vnet's devices and the domain's vif stay.
#
#   d1 198.51.100.1
#     |
#   vif1.0-[vnet97]-vnif97    [vnet98]-vnif98    [br-admin]-vxadmin
#            h1 eth0 192.0.2.1 -- sw0 -- 192.0.2.2 eth0 h2 (vnet 97 too)
set -e
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init "$1"
lab_hosts 2

lab_step "admin's own bridge and tunnel, vnets 97 and 98"
h1 ip link add br-admin type bridge
h1 ip link add vxadmin type vxlan id 4000 dstport 1798 dev eth0 group 224.10.0.1
h1 ip link set vxadmin master br-admin up
h1 ip link set br-admin up
for h in 1 2; do
	xs $h write /vnet/97/bridge vnet97
done
xs 1 write /vnet/98/bridge vnet98
lab_vnet_up 1 97
lab_vnet_up 2 97
lab_vnet_up 1 98
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
lab_ping 1 198.51.100.2
idx98=$(lab_ifindex 1 vnif98)
before=$(lab_links 1)

lab_step "xenstore-rm /vnet/97 on h1"
xs 1 rm /vnet/97
lab_wait_link 1 vnif97 gone
lab_wait_link 1 vnet97 gone
after=$(lab_links 1)
gone=$(comm -23 <(echo "$before") <(echo "$after") | tr '\n' ' ')
new=$(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')
[ "$gone" = "vnet97 vnif97 " ] || lab_fail "deleting vnet 97 removed '$gone', not exactly 'vnet97 vnif97'"
[ -z "$new" ] || lab_fail "deleting vnet 97 added devices: $new"
lab_log "removed exactly: $gone"

lab_step "everything else untouched"
lab_link_up 1 br-admin || lab_fail "br-admin is not up any more"
h1 ip -o link show dev vxadmin | grep -q "master br-admin" || lab_fail "vxadmin left br-admin"
[ "$(lab_ifindex 1 vnif98)" = "$idx98" ] || lab_fail "vnif98 was recreated"
lab_vnet_up 1 98
lab_link_up 1 vif1.0 || lab_fail "the domain's vif is down"
lab_vnet_up 2 97
# A status is never written for a deleted vnet.
lab_sync 1
[ -z "$(xs 1 ls /vnet/97 2>/dev/null)" ] || lab_fail "/vnet/97 came back: $(xs 1 ls /vnet/97 2>&1)"
# ... and it stays deleted across a daemon restart (its saved copy is gone).
lab_daemon_stop 1
lab_daemon_start 1
lab_sync 1
lab_vnet_up 1 98
xs 1 exists /vnet/97 && lab_fail "/vnet/97 was restored after deletion"
lab_link_exists 1 vnet97 && lab_fail "vnet97 was recreated after deletion"
lab_log "ok"
