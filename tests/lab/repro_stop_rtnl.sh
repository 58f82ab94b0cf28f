#!/bin/bash
# Reproduces a slow stop (make bench, 2026-12-02: "xenvnetd on h1 ignored
# SIGTERM for 10 s"): the daemon's exit waits for the kernel's RTNL lock
# while another namespace's teardown holds it.  Closing the socket that
# holds the tunnels' multicast membership (dp_group_leave; the control
# protocol's socket too when it runs) leaves the group, and
# ip_mc_drop_socket takes RTNL, uninterruptibly: the daemon sits in D
# state, SIGKILL included, until the teardown is over (69 s at 3000
# bridges on a loaded 2-core machine).
#
# Not a test_*.sh: it fails on the current code (the fix, a membership
# the kernel holds, IFA_F_MCAUTOJOIN, is not done yet); rename it to
# test_stop_prompt.sh with the fix.  Exit 1 when the daemon's exit needed
# RTNL: it was reaped only after an RTNL request made before the SIGTERM
# had gone through.  No timing is asserted.
#
#   h1 (xenvnetd, vnet97: joined 224.10.0.1 on eth0) -- sw0
#   xvbig<pid>: REPRO_BRIDGES (1000) bridges, deleted: cleanup_net holds RTNL
set -e
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init "$1"
lab_hosts 1
N=${REPRO_BRIDGES:-1000}
xs 1 write /vnet/97/bridge vnet97
lab_vnet_up 1 97
h1 ip maddr show dev eth0 | grep -q "inet  224.10.0.1" || lab_fail "h1: eth0 is no member of 224.10.0.1"

lab_step "a namespace with $N bridges, deleted: its teardown holds RTNL"
big=xvbig$$
ip netns add "$big"
for ((i = 0; i < N; i++)); do echo "link add br$i type bridge"; done >"$LAB_DIR/big.ip"
ip -n "$big" -batch "$LAB_DIR/big.ip"
pid=$(lab_daemon_pid 1)
rm -f "$LAB_DIR/h1/daemon.pid" # stopped here, not by the cleanup
ip netns del "$big"
# An RTNL request behind the teardown: done when RTNL is free again.
lab_bg sw ip link add rtnlprobe type bridge
probe=$LAB_BG
# shellcheck disable=SC2317 # called through lab_wait
blocked() { [ "$(cut -d' ' -f3 "/proc/$probe/stat" 2>/dev/null)" = D ]; }
lab_wait 60 "an RTNL request to wait behind the teardown" blocked ||
	lab_fail "RTNL was never seen held (the teardown was too quick: raise REPRO_BRIDGES)"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
if kill -0 "$probe" 2>/dev/null; then
	lab_log "daemon exited (status $rc) while RTNL was still held: prompt"
	exit 0
fi
lab_log "daemon exited (status $rc) only after RTNL was free again: its exit waited for RTNL"
exit 1
