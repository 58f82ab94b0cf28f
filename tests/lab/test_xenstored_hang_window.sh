#!/bin/bash
# xenstored on h1 hangs (SIGSTOP) just before the daemon writes to it: the
# underlay address goes at once, so the daemon writes state "pending" into
# a store that has not been found silent yet (the probe needs 3 s).  The
# call must give up on its own: h1 answers `vn status` and reports
# "xenstore: lost", warns when it lasts, keeps the control protocol, and
# after SIGCONT writes the state it could not write (pending, then up).
# Last, the same window with SIGTERM: the daemon exits cleanly.
#
#   d1 198.51.100.1                          d2 198.51.100.2
#     |                                        |
#   [vnet97] h1 192.0.2.1 (xenstored stopped) [vnet97] h2 192.0.2.2
#   h1, h2 on sw0; daemons with one cluster key
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
# Whatever the exit, resume h1's xenstored first: the clean-up reads the store.
trap 'rc=$?; kill -CONT "$(cat "$LAB_DIR/h1/xs/lab.pid" 2>/dev/null)" 2>/dev/null; (exit $rc); lab_cleanup' EXIT

# xs_signal N SIG: signal host N's xenstored.
xs_signal() { kill "-$2" "$(cat "$LAB_DIR/h$1/xs/lab.pid")"; }

# status_within SECS ARGS...: h1's `vn ARGS status` into $LAB_DIR/status,
# answered within SECS (vn alone would wait 10 s).
status_within() {
	local secs=$1 pid
	shift
	lc_vn 1 "$@" status >"$LAB_DIR/status" 2>&1 &
	pid=$!
	if ! lab_wait "$secs" "h1 to answer vn status" eval "! kill -0 $pid"; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" || true
		lab_fail "h1's daemon did not answer vn status within $secs s"
	fi
	wait "$pid" || lab_fail "vn status on h1 failed: $(cat "$LAB_DIR/status")"
}

# xs_state_is WORD: h1's vn status says "xenstore: WORD".
xs_state_is() { lc_vn 1 status | grep -qx "xenstore: *$1"; }

lab_step "two hosts, vnet 97 up, d1 on h1 pings d2 on h2"
lc_cluster 2
lab_domain 1 1 198.51.100.1 00:16:3e:00:09:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:09:02 vnet97
lab_ping 1 198.51.100.2 3
xs_state_is connected || lab_fail "h1 does not report xenstore connected: $(lc_vn 1 status)"

lab_step "h1's xenstored stops, and at once the underlay address goes"
xs_signal 1 STOP
h1 ip addr del 192.0.2.1/24 dev eth0
status_within 6
grep -qx "xenstore: *lost" "$LAB_DIR/status" ||
	lab_wait 6 "h1 to report xenstore lost" xs_state_is lost ||
	lab_fail "h1 does not report xenstore lost: $(cat "$LAB_DIR/status")"
grep -qE "xenstore did not answer within|xenstore has not answered" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "h1's daemon did not log that xenstore is lost"
lc_counter_is 1 control-protocol -eq 1 || lab_fail "h1 stopped the control protocol"
status_within 6 --json
grep -q '"xenstore":"lost"' "$LAB_DIR/status" || lab_fail "vn --json status: $(cat "$LAB_DIR/status")"
lab_log "h1 answers vn status and reports xenstore lost"

lab_step "the store stays away: h1 warns, and goes on"
lab_wait 20 "h1 to warn" grep -q "xenstore unreachable for" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "h1's daemon did not warn that xenstore is unreachable"
lab_daemon_alive 1 || lab_fail "h1's daemon died"

lab_step "xenstored resumes: h1 writes the state it could not (pending)"
xs_signal 1 CONT
lab_wait_xs 1 /vnet/97/state pending 15
lab_wait 10 "h1 to report xenstore connected" xs_state_is connected ||
	lab_fail "h1 does not report xenstore connected: $(lc_vn 1 status)"
h1 ip addr add 192.0.2.1/24 dev eth0
lab_vnet_up 1 97
lab_ping 1 198.51.100.2 3

lab_step "the same window, then SIGTERM: h1's daemon exits cleanly"
xs_signal 1 STOP
h1 ip addr del 192.0.2.1/24 dev eth0
# Logged just before the daemon writes the state.
lab_wait 10 "h1 to take the vnet down again" \
	eval '[ "$(grep -c "vnet 97: pending" "$LAB_DIR/h1/daemon.log")" -ge 2 ]' ||
	lab_fail "h1's daemon did not see the underlay address go"
lab_daemon_stop 1 || lab_fail "h1's daemon did not exit cleanly on SIGTERM during the hang"
xs_signal 1 CONT
lab_san_check 1 || lab_fail "sanitizer report on h1"
lab_log "ok"
