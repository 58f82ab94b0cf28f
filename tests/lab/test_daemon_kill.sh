#!/bin/bash
# kill -9 of the daemon and a restart while domains ping each other every
# 10 ms: not one ping is lost (the kernel forwards, the daemon only
# decides), and the restarted daemon adopts its devices instead of
# doubling or recreating them.
#
#   d1 198.51.100.1  ping -i 0.01 ->  d2 198.51.100.2
#     |                                 |
#   vif1.0-[vnet97]-vnif97   vnif97-[vnet97]-vif2.0
#      h1 (xenvnetd killed, restarted) -- sw0 -- h2
set -e
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init "$1"
lab_hosts 2

for h in 1 2; do
	xs $h write /vnet/97/bridge vnet97 /vnet/98/bridge vnet98
done
for h in 1 2; do
	lab_vnet_up $h 97
	lab_vnet_up $h 98
done
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
lab_ping 1 198.51.100.2
devs_before=$(for d in vnet97 vnif97 vnet98 vnif98; do echo "$d $(lab_ifindex 1 $d)"; done)

lab_step "ping every 10 ms while xenvnetd on h1 is killed and restarted, twice"
out=$LAB_DIR/ping.out
lab_bg d1 ping -n -i 0.01 -W 1 -w 120 198.51.100.2 >"$out" 2>&1
ping_pid=$LAB_BG
sleep 0.5
for round in 1 2; do
	lab_daemon_kill 1
	sleep 0.2
	# Remove the status so we see the new daemon publish its own.
	xs 1 rm /vnet/97/state /vnet/98/state
	lab_daemon_start 1
	lab_vnet_up 1 97
	lab_vnet_up 1 98
	lab_sync 1
	lab_log "round $round: restarted daemon reports vnets up"
done
# Enough pings to judge by, however quick the restarts were.
lab_wait 30 "100 ping replies" bash -c "[ \$(grep -c 'bytes from' '$out') -ge 100 ]" ||
	lab_fail "fewer than 100 ping replies: $(tail -3 "$out")"
kill -INT "$ping_pid"
wait "$ping_pid" || true
summary=$(grep 'packets transmitted' "$out") || lab_fail "ping printed no summary: $(tail -3 "$out")"
lab_log "$summary"
sent=$(echo "$summary" | awk '{print $1}')
got=$(echo "$summary" | awk '{print $4}')
((sent >= 100)) || lab_fail "only $sent pings sent: the test window is too short"
[ "$sent" = "$got" ] || lab_fail "lost $((sent - got)) of $sent pings across the daemon restarts"

lab_step "no doubled or recreated devices"
devs_after=$(for d in vnet97 vnif97 vnet98 vnif98; do echo "$d $(lab_ifindex 1 $d)"; done)
[ "$devs_before" = "$devs_after" ] || lab_fail "devices were recreated: before '$devs_before' after '$devs_after'"
[ "$(lab_tunnels 1 | tr '\n' ' ')" = "vnif97 vnif98 " ] ||
	lab_fail "$LAB_DP devices on h1: $(lab_tunnels 1 | tr '\n' ' ')"
[ "$(lab_links 1 bridge | tr '\n' ' ')" = "vnet97 vnet98 " ] ||
	lab_fail "bridges on h1: $(lab_links 1 bridge | tr '\n' ' ')"
[ "$(lab_count_tunnels 1 97 151)" = 1 ] || lab_fail "not exactly one tunnel of vnet 97"
h1 ip -o link show dev vif1.0 | grep -q "master vnet97" || lab_fail "vif1.0 left vnet97"
lab_ping 1 198.51.100.2
lab_log "ok"
