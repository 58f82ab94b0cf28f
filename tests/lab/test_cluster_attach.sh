#!/bin/bash
# Auto-attach (issue #4): a vif that connects to a vnet's bridge is
# announced, and every other host points its MAC at the vif's host with a
# static FDB entry; the entry goes when the vif's backend goes.
#
#   d1 198.51.100.1 00:16:3e:00:00:01        d2 198.51.100.2 00:16:3e:00:00:02
#     |                                        |
#   vif1.0-[vnet97]-vnif97                   vnif97-[vnet97]-vif2.0
#            h1 eth0 192.0.2.1 --- sw0 --- 192.0.2.2 eth0 h2
#   both daemons: --key-file (same key)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
M1=00:16:3e:00:00:01
M2=00:16:3e:00:00:02
WAIT=${LC_FDB_WAIT:-3}   # seconds: an announcement takes milliseconds

lab_step "two hosts with the cluster key, vnet 97 on both"
lc_cluster 2
lc_wait_counter 1 hosts -eq 1
lc_wait_counter 2 hosts -eq 1
[ "$(lc_counter 1 hosts-multicast)" = 1 ] || lab_fail "h1 does not hear h2 by multicast"
# Nobody is attached yet: no static entries.
[ -z "$(lc_fdb 1 | grep ' permanent' | grep -v '^00:00:00:00:00:00' | grep ' dst ')" ] ||
	lab_fail "h1 has static entries before any vif: $(lc_fdb 1 | tr '\n' ';')"

lab_step "one domain per host: each host learns the other's MAC statically"
t0=$(lab_now_ms)
lab_domain 1 1 198.51.100.1 $M1 vnet97
lab_domain 2 2 198.51.100.2 $M2 vnet97
lc_wait_fdb 1 $M2 192.0.2.2 "$WAIT"
lc_wait_fdb 2 $M1 192.0.2.1 "$WAIT"
lab_log "both static entries within $(($(lab_now_ms) - t0)) ms of plugging the domains"
# Each host has its own domain's MAC behind the vif, not behind the tunnel.
[ -z "$(lc_fdb_dst 1 $M1)" ] || lab_fail "h1 points its own domain's MAC at $(lc_fdb_dst 1 $M1)"
[ -z "$(lc_fdb_dst 2 $M2)" ] || lab_fail "h2 points its own domain's MAC at $(lc_fdb_dst 2 $M2)"
lc_wait_counter 1 macs-local -eq 1
lc_wait_counter 1 macs-remote -eq 1
lc_wait_counter 2 macs-remote -eq 1
lc_vn 1 varp | grep -qE "^97 +$M2 +192\.0\.2\.2 .*static" || lab_fail "vn varp on h1 lacks $M2: $(lc_vn 1 varp)"

lab_step "ping both ways"
lab_ping 1 198.51.100.2 3
lab_ping 2 198.51.100.1 3
[ "$(lc_counter 1 msgs-bad-mac)" = 0 ] || lab_fail "h1 counted bad MACs between hosts with one key"

lab_step "d2's backend keys go: h1 drops the static entry"
# d2 falls silent first, as a destroyed guest does: a frame of its still in
# flight after the withdrawal would teach h1's bridge the MAC again (seen
# once on vnet.ko in the VM).
ip -n "${LAB_PREFIX}d2" link set eth0 down
t0=$(lab_now_ms)
xs 2 rm /local/domain/0/backend/vif/2
lc_wait_fdb_gone 1 $M2 "$WAIT"
lab_log "gone from h1 in $(($(lab_now_ms) - t0)) ms"
# ...and so is the bridge's own entry, learned from d2's frames behind the
# tunnel: it would point d2's MAC at the tunnel until it aged out (300 s).
lab_wait "$WAIT" "h1's bridge to forget $M2 behind the tunnel" eval "! lc_fdb 1 | grep -q '^$M2 master'" ||
	lab_fail "h1's bridge still has $M2 behind the tunnel: $(lc_fdb 1 | grep "^$M2" | tr '\n' ';')"
lc_wait_counter 1 macs-remote -eq 0
lc_wait_counter 2 macs-local -eq 0
# d1's entry on h2 is untouched.
lc_fdb_has 2 $M1 192.0.2.1 || lab_fail "h2 lost d1's entry: $(lc_fdb 2 | tr '\n' ';')"

lab_step "the keys come back: the entry comes back"
ip -n "${LAB_PREFIX}d2" link set eth0 up
lab_domain_keys 2 2 $M2 vnet97
lc_wait_fdb 1 $M2 192.0.2.2 "$WAIT"
lab_ping 1 198.51.100.2 2
lab_log "auto-attach ok"
