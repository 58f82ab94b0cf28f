#!/bin/bash
# A host with a different cluster key (issue 11): h2, restarted with
# another key, sends control messages that fail authentication on h1.  h1
# logs one warning naming h2 (rate-limited: not one per message) and
# `vn hosts` lists h2 with its bad messages, found "none" once h1 has
# forgotten the h2 it knew.  Back on the right key, h2 is listed as found
# by multicast, with the vnet it carries.
#
#   [vnet97] h1 192.0.2.1 (key A) -- sw0 -- 192.0.2.2 h2 (key B) [vnet97]
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
H2=192.0.2.2

warnings() { grep -c "host $H2: messages fail authentication: different cluster key?" "$LAB_DIR/h1/daemon.log" || true; }
warned() { [ "$(warnings)" -ge 1 ]; }

lab_step "h1 with key A, h2 restarted with key B, vnet 97 on both"
lc_cluster 2
KEY_A=$LAB_DIR/key-a
cp "$LC_KEY" "$KEY_A"
lc_key # a new random key B in $LC_KEY; h1 read key A when it started
lab_daemon_stop 2
lc_daemon_start 2
lc_wait_control 2

lab_step "h1 warns, naming h2, and counts its bad messages per sender"
start=$(lab_now_ms)
lab_wait 15 "the warning on h1" warned || lab_fail "h1 logged no warning naming $H2"
lc_wait_counter 1 msgs-bad-mac -ge 4 15
lab_wait 10 "h2's bad messages in vn hosts" lc_host_field_is 1 $H2 bad-mac 4 -ge ||
	lab_fail "vn hosts on h1 does not show $H2's bad messages: $(lc_vn 1 hosts)"
lab_wait 10 "h1 forgets h2 (it left)" lc_counter_is 1 hosts -eq 0 || lab_fail "h1 counts $H2 as a known host"
[ "$(lc_host_field 1 $H2 found)" = none ] || lab_fail "$H2 was accepted: $(lc_vn 1 hosts)"
lc_vn 1 hosts | grep -E "^$H2 +none +[0-9]+ +[0-9]+ " >/dev/null || lab_fail "no table row for $H2: $(lc_vn 1 hosts)"
# Several bad messages, one warning: one per sender per minute.
n=$(warnings)
[ "$n" -le $((($(lab_now_ms) - start) / 60000 + 1)) ] || lab_fail "$n warnings for $H2, wanted them rate-limited"
grep -q "warning.*host $H2: messages fail authentication" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "the message about $H2 is not a warning: $(grep "host $H2" "$LAB_DIR/h1/daemon.log")"

lab_step "h2 gets key A: h1 knows it, by multicast, carrying vnet 97; its bad count stays"
bad=$(lc_host_field 1 $H2 bad-mac)
lab_daemon_stop 2
LC_KEY=$KEY_A lc_daemon_start 2
lc_wait_control 2
lab_wait 15 "h2 known on h1" lc_host_field_is 1 $H2 found multicast || lab_fail "h2 is not known on h1: $(lc_vn 1 hosts)"
lab_wait 10 "h2's vnets on h1" lc_host_field_is 1 $H2 vnets 97 || lab_fail "h2's vnets: $(lc_vn 1 -j hosts)"
[ "$(lc_host_field 1 $H2 bad-mac)" -ge "$bad" ] || lab_fail "h2's bad count went down"
lab_wait 10 "h1 known on h2" lc_host_field_is 2 192.0.2.1 found multicast || lab_fail "h2 does not know h1: $(lc_vn 2 hosts)"
[ "$(lc_host_field 2 192.0.2.1 bad-mac)" = 0 ] || lab_fail "h1's messages counted as bad on h2"
lab_san_check 1
lab_san_check 2
echo "PASS"
