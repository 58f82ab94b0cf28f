#!/bin/bash
# Tunnel learning follows the control protocol (issue 10): h1 runs it, so
# its vnif97 learns nothing (remote MACs come only from announcements);
# h2 has no key, so its vnif97 runs flood-and-learn.  A tunnel adopted
# with learning on (turned on while h1's daemon was down, as an older
# daemon made it) is fixed in place by the next daemon: learning off, same
# ifindex.  h2, restarted with the key, turns its own learning off.
#
#   [vnet97] h1 192.0.2.1 (key) ---- sw0 ---- 192.0.2.2 h2 (no key) [vnet97]
set -e
. "$(dirname "$0")/lib_dp.sh"
lab_init "$1"

# learning N: true or false, as host N's vnif97 says.
learning() {
	ip -n "${LAB_PREFIX}h$1" -d -j link show dev vnif97 | python3 -c '
import json, sys
print(str(json.load(sys.stdin)[0]["linkinfo"]["info_data"].get("learning", False)).lower())'
}
learning_is() { [ "$(learning "$1")" = "$2" ]; }

lab_step "h1 with the key, h2 without; vnet 97 on both"
lc_cluster 1
LC_NODAEMON=1 lc_host 2
lab_daemon_start 2 --key-file "$LAB_DIR/no-such-key"
xs 2 write /vnet/97/bridge vnet97
lab_vnet_up 2 97
lab_wait 10 "h2's protocol off" grep -q "control protocol off" "$LAB_DIR/h2/daemon.log" ||
	lab_fail "h2 runs the control protocol"
learning_is 1 false || lab_fail "h1 runs the control protocol, yet its tunnel learns"
learning_is 2 true || lab_fail "h2 has no control protocol, yet its tunnel does not learn (flood-and-learn)"

lab_step "h1's tunnel set to learn while its daemon is down: fixed in place"
lab_daemon_stop 1
ip -n "${LAB_PREFIX}h1" link set dev vnif97 type vxlan learning
learning_is 1 true || lab_fail "could not turn learning on by hand"
idx=$(lab_ifindex 1 vnif97)
lc_daemon_start 1
lc_wait_control 1
lab_wait 10 "h1's learning off again" learning_is 1 false || lab_fail "the adopted tunnel still learns"
[ "$(lab_ifindex 1 vnif97)" = "$idx" ] || lab_fail "vnif97 was recreated ($idx -> $(lab_ifindex 1 vnif97)), not fixed in place"

lab_step "h2 restarted with the key: learning off"
lab_daemon_stop 2
lc_daemon_start 2
lc_wait_control 2
lab_wait 10 "h2's learning off" learning_is 2 false || lab_fail "h2's tunnel still learns with the protocol on"
lab_log "learning: off with the control protocol, on without it, fixed on adoption"
