#!/bin/bash
# A conf vnet across key rotations and a daemon restart (issue 13): a ping
# every 10 ms loses nothing, and nothing of the vnet crosses in clear.
#
#   d5 198.51.100.5 (99, conf)                 d6 198.51.100.6 (99, conf)
#        |                                          |
#   [vnet99]-vnif99:1801                       [vnet99]-vnif99:1801
#            h1 192.0.2.1 ---- sw0 (tcpdump) ---- 192.0.2.2 h2
#
# esp_rekey_s = 4: an epoch boundary every 4 s, each a make-before-break
# move to new SAs (the SPIs change).  h1's daemon is then killed -9 and
# started again: the kernel's SAs carry the traffic meanwhile and the new
# daemon adopts them (no SA added twice, none lost, the device kept); pings
# lost across the restart are reported (a known gap, not yet failed on).
set -e
# shellcheck source=tests/lab/lib_esp.sh
. "$(dirname "$0")/lib_esp.sh"
lab_init "$1"
esp_need_kernel
declare -gA LAB_PINGERS=()

lab_step "a conf vnet on h1 and h2, epochs of 4 s"
esp_conf_pair 'esp_rekey_s = 4\n'

lab_step "a ping every 10 ms across two epoch boundaries"
esp_capture wire sw sw0
lab_pinger rot 5 198.51.100.6 0.01
spis=$(esp_out_spis 1 192.0.2.2)
e1=$(esp_epochs 1) e2=$(esp_epochs 2)
lab_wait 30 "two boundaries on h1" esp_at_least $((e1 + 2)) esp_epochs 1 || lab_fail "h1 did not rotate"
lab_wait 10 "two boundaries on h2" esp_at_least $((e2 + 2)) esp_epochs 2 || lab_fail "h2 did not rotate"
[ "$(esp_out_spis 1 192.0.2.2)" != "$spis" ] || lab_fail "the SPIs did not change: $spis"
n=$(esp_ping_count rot)
lab_wait 10 "pings after the rotation" esp_at_least $((n + 50)) esp_ping_count rot ||
	lab_fail "pings stopped after the rotation $(esp_dump 1; esp_dump 2)"
gaps=$(esp_ping_gaps rot)
[ -z "$gaps" ] || lab_fail "pings lost across the rotation: $gaps $(esp_dump 1; esp_dump 2)"
lab_log "rotation: $(esp_ping_count rot) answers, none lost; SPIs $spis -> $(esp_out_spis 1 192.0.2.2)"

lab_step "h1's daemon killed -9 and started again"
sas=$(esp_sa_count 1)
ifx=$(lab_ifindex 1 vnif99)
joins=$(esp_joins 1 192.0.2.2)
lab_daemon_kill 1
n=$(esp_ping_count rot)
lab_wait 10 "pings while h1's daemon is down" esp_at_least $((n + 50)) esp_ping_count rot ||
	lab_fail "pings stopped while the daemon was down"
lab_log "restart at ping $(esp_ping_count rot)"
lc_daemon_start 1
lc_wait_control 1 20
lab_wait 20 "h1 knows h2 again" esp_at_least $((joins + 1)) esp_joins 1 192.0.2.2 ||
	lab_fail "h1's new daemon never heard h2"
lab_vnet_up 1 99
n=$(esp_ping_count rot)
lab_wait 10 "pings after the restart" esp_at_least $((n + 50)) esp_ping_count rot ||
	lab_fail "pings stopped after the restart $(esp_dump 1)"
[ "$(lab_ifindex 1 vnif99)" = "$ifx" ] || lab_fail "h1's vnif99 was recreated by the restart"
[ "$(esp_sa_count 1)" = "$sas" ] || lab_fail "h1 had $sas SAs, now $(esp_sa_count 1) $(esp_dump 1)"
lab_pinger_stop rot
esp_capture_stop wire
# Known gap (issue 13, open): a restart sometimes loses ~0.5-1 s of pings
# under emulation; reported, not failed on, until its cause is found.  The
# rotation above must lose nothing.
gaps=$(esp_ping_gaps rot)
lab_log "restart: $(esp_ping_count rot) answers in all; lost across the restart: $(echo $gaps | wc -w); $sas SAs kept"
[ -z "$gaps" ] || echo "KNOWN: pings lost across the daemon restart: $gaps"

lab_step "nothing of the conf vnet in clear on the wire meanwhile"
esp_wire_all_esp wire 1801 100
for h in 1 2; do lab_san_check $h; done
