#!/bin/bash
# xenstored on h1 hangs (SIGSTOP: alive, connected, silent).  libxenstore
# would block the daemon in its next call; the probe notices instead
# (3 s unanswered), the daemon stops using xenstore and goes on: a guest
# that migrates h2 -> h3 meanwhile is followed by h1's FDB, d1 keeps
# reaching it, and h1 answers `vn status`.  When xenstored resumes (SIGCONT)
# the daemon reconnects and a vnet defined then comes up.
#
#   d1 198.51.100.1                 guest 198.51.100.30 (domid 30 -> 31)
#     |                               |  ---- migrates ---->  |
#   [vnet97] h1 (xenstored stopped)  [vnet97] h2          [vnet97] h3
#   h1, h2, h3 on sw0; daemons with one cluster key
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
# Whatever the exit, resume h1's xenstored first: the clean-up reads the store.
trap 'rc=$?; kill -CONT "$(cat "$LAB_DIR/h1/xs/lab.pid" 2>/dev/null)" 2>/dev/null; (exit $rc); lab_cleanup' EXIT
GM=00:16:3e:00:07:30 GIP=198.51.100.30

# xs_signal N SIG: signal host N's xenstored.
xs_signal() { kill "-$2" "$(cat "$LAB_DIR/h$1/xs/lab.pid")"; }

lab_step "three hosts, vnet 97, d1 on h1, the guest on h2"
lc_cluster 3
lab_domain 1 1 198.51.100.1 00:16:3e:00:07:01 vnet97
lab_mdomain 2 30 $GIP $GM vnet97
lc_wait_fdb 1 $GM 192.0.2.2
lab_ping 1 $GIP 3

lab_step "h1's xenstored stops answering"
xs_signal 1 STOP
lab_wait 6 "h1 to notice" grep -q "xenstore has not answered" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "h1's daemon did not notice the silent xenstored"
t0=$(lab_now_ms)
lc_status 1 | grep -q . || lab_fail "h1's daemon does not answer vn status"
ms=$(($(lab_now_ms) - t0))
lab_log "h1 noticed, and answers vn status in $ms ms"

lab_step "the guest migrates h2 -> h3: h1 follows without xenstore"
lab_migrate 2 3 30 31
lc_wait_fdb 1 $GM 192.0.2.3 2
lab_ping 1 $GIP 3
lab_daemon_alive 1 || lab_fail "h1's daemon died"

lab_step "xenstored resumes: h1 reconnects and takes new definitions"
xs_signal 1 CONT
lab_wait 5 "h1 to reconnect" grep -q "xenstore answers again" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "h1's daemon did not see xenstored answer again"
xs 1 write /vnet/98/bridge vnet98
lab_vnet_up 1 98
lab_vnet_up 1 97
lab_ping 1 $GIP 3
lab_log "ok"
