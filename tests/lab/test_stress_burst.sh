#!/bin/bash
# Stress (issue 9): 2000 vifs reach Connected on h1 in one burst while d2
# on h2 pings d1 on h1.  The daemon's loop must keep answering: every
# `vn status` probe of h1 (every 100 ms) gets a complete reply (within
# 2 s: latency figures belong to `make bench`), h2 never drops h1 (its
# "hosts" counter never falls), the ping still works afterwards, all 2000
# MACs reach h2's FDB, and SIGTERM still stops h1's daemon.
#
#   d1 198.51.100.1                  d2 198.51.100.2  (vnet 97; d2 pings d1 every 100 ms)
#    |                                |
#   [vnet97] h1 [vnetb0..b3]         [vnet97] h2 [vnetb0..b3]
#               vif1000.0 .. vif2999.0 (ifb devices, 00:16:3e:bb:*,
#               500 per vnet b0..b3, all Connected at once)
#   h1 eth0 192.0.2.1 ----- sw ----- 192.0.2.2 eth0 h2
set -e
. "$(dirname "$0")/lib_burst.sh"
lab_init "$1"
N=${BURST_N:-2000}

lab_step "two hosts, d1 on h1, d2 on h2 pinging d1, the burst's vnets"
lb_lab "$N"
lc_wait_counter 2 hosts -ge 1
hosts0=$(lc_counter 2 hosts)
lab_ping 2 198.51.100.1 3

lab_step "$N vif devices on h1 (ip -batch), then all Connected at once, vn status probed every 100 ms"
# The devices come first, as netback's do (a backend's vif exists before
# the frontend connects); the burst is the Connected.
t0=$(lab_now_ms)
lb_burst_devices 1
lab_log "$N devices made and plugged in $(($(lab_now_ms) - t0)) ms"
lb_probe_start 1 2
t0=$(lab_now_ms)
lb_burst_connect 1
lb_wait_macs 2 "$N" 192.0.2.1 150
lab_log "all $N MACs in h2's FDB $(($(lab_now_ms) - t0)) ms after the burst began"
# h1 has taken every burst vif as a member; its last host-side sends are
# due 150 ms later: five more probes (500 ms) cover them.
members() { [ "$(grep -c "vif vif[0-9]*\.0 (domain [0-9]*): now a vnet member 00:16:3e:bb" "$LAB_DIR/h1/daemon.log")" -ge "$N" ]; }
lab_wait 30 "h1 taking all $N burst vifs as members" members || lab_fail "h1 did not take every burst vif"
lb_probe_more 5
lb_probe_stop
stats=$(lb_probe_stats)
lab_log "probes: $stats"

lab_step "every probe answered, h2 kept h1, d2 still reaches d1"
get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $stats"; }
[ "$(get timeouts)" = 0 ] ||
	lab_fail "$(get timeouts) of $(get probes) status probes of h1 got no complete reply within 2 s"
[ "$(get other_timeouts)" = 0 ] || lab_fail "$(get other_timeouts) status probes of h2 got no reply"
(($(get other_min_hosts) >= hosts0)) ||
	lab_fail "h2's hosts counter fell to $(get other_min_hosts) (from $hosts0): it dropped h1 during the burst"
# Between two probes too:
if grep -q "host 192.0.2.1: silent" "$LAB_DIR/h2/daemon.log"; then
	lab_fail "h2 forgot h1 during the burst: $(grep -m1 "host 192.0.2.1: silent" "$LAB_DIR/h2/daemon.log")"
fi
lab_ping 2 198.51.100.1 3
lc_fdb_has 2 00:16:3e:00:00:01 192.0.2.1 || lab_fail "h2 lost d1's FDB entry"

lab_step "SIGTERM stops h1's daemon"
lab_daemon_stop 1 || lab_fail "h1's daemon did not stop cleanly on SIGTERM"
