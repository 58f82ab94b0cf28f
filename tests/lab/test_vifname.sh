#!/bin/bash
# vifname (issue 10): a backend whose `vifname` names a device that is not
# its netback vif — the underlay NIC eth0, or another domain's vif — is
# never plugged into a guest bridge and is no vnet member; a clear log line
# says why.  A correct vif beside them is a member as before.
#
#   d6 198.51.100.6 (vif6.0, a member)
#     |
#   [vnet97] h1 eth0 192.0.2.1 --- sw0
#             backend 5/0: bridge vnet97, vifname eth0      (refused)
#             backend 7/0: bridge vnet97, vifname vif6.0    (refused)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
BE=/local/domain/0/backend/vif

# bad_backend DOMID MAC VIFNAME: a backend (state 2, as the issue found it)
# whose vifname is VIFNAME.
bad_backend() {
	xs 1 write "$BE/$1/0/mac" "$2" "$BE/$1/0/bridge" vnet97 "$BE/$1/0/vifname" "$3" \
		"$BE/$1/0/online" 1 "$BE/$1/0/state" 2 "$BE/$1/0/frontend-id" "$1"
}
master_of() { ip -n "${LAB_PREFIX}h1" -o link show dev "$1" | sed -n 's/.* master \([^ ]*\) .*/\1/p'; }

lab_step "h1 with the key; backends naming eth0 and another domain's vif, before vnet 97 is up"
lc_key
lab_switch
lc_host 1
bad_backend 5 00:16:3e:00:0a:05 eth0
lab_domain 1 6 198.51.100.6 00:16:3e:00:0a:06
bad_backend 7 00:16:3e:00:0a:07 vif6.0

lab_step "vnet 97 comes up (every vif is checked again and plugged back)"
xs 1 write /vnet/97/bridge vnet97
lab_vnet_up 1 97
lc_wait_control 1
xs 1 write "$BE/6/0/bridge" vnet97
lab_plug 1 6
lc_wait_counter 1 macs-local -eq 1
# A second vnet coming up runs the same recheck again.
xs 1 write /vnet/98/bridge vnet98
lab_vnet_up 1 98
lab_wait 10 "the log line for eth0" grep -q "vifname 'eth0' is not netback's device" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "h1 did not say why it refuses vifname eth0"
lab_wait 10 "the log line for vif6.0" grep -q "vif6.0 (domain 7): vifname 'vif6.0' is not netback's device" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "h1 did not say why it refuses vifname vif6.0 for domain 7"

lab_step "eth0 is no bridge port; vif6.0 stays in vnet97; only d6's MAC is a member"
m=$(master_of eth0)
[ -z "$m" ] || lab_fail "h1 plugged its underlay NIC eth0 into $m"
! grep -q "vif eth0: plugged" "$LAB_DIR/h1/daemon.log" || lab_fail "h1 logged plugging eth0"
[ "$(master_of vif6.0)" = vnet97 ] || lab_fail "vif6.0 is in '$(master_of vif6.0)', not vnet97"
lc_counter_is 1 macs-local -eq 1 || lab_fail "h1 has $(lc_counter 1 macs-local) local MACs, wanted 1 (d6 only)"
ip -n "${LAB_PREFIX}h1" addr show dev eth0 | grep -q 192.0.2.1 || lab_fail "eth0 lost its address"
lab_log "eth0 and a foreign vifname refused, d6 a member"
