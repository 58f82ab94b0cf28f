#!/bin/bash
# Failures on BGP EVPN (issue #15): a host's FRR is killed (its BGP
# session drops): the other hosts withdraw its MACs and its flood entry;
# FRR comes back: it re-advertises what the bridge holds and the guests
# ping again.  A daemon kill -9 and restart in evpn mode loses no ping
# (the kernel and FRR keep everything), and the restarted daemon still
# runs evpn (no own protocol, devices adopted).
#
#   d1 .1        d2 .2        d3 .3            (198.51.100.0/24, vnet 97)
#    |            |            |
#   h1           h2           h3          rr 192.0.2.100 (FRR only)
#   192.0.2.1    192.0.2.2    192.0.2.3
#    \____________|____________|______________/  sw
#   h2: FRR killed -9, then restarted;  h1: xenvnetd killed -9, restarted
set -e
. "$(dirname "$0")/lib_evpn.sh"
lab_init "$1"
M=(x 00:16:3e:00:00:01 00:16:3e:00:00:02 00:16:3e:00:00:03)

lab_step "three EVPN hosts, a guest on each"
le_cluster 3
for h in 1 2 3; do lab_domain $h $h 198.51.100.$h "${M[h]}" vnet97; done
le_wait_remote 1 "${M[2]}" 192.0.2.2
le_wait_remote 3 "${M[2]}" 192.0.2.2
lab_ping 1 198.51.100.2
lab_ping 1 198.51.100.3

lab_step "h2's FRR killed: h1 and h3 withdraw its MACs"
gone() { [ -z "$(le_remote_dst "$1" "$2")" ] && ! lc_flood_has "$1" 192.0.2.2; }
le_frr_kill h2
for h in 1 3; do
	lab_wait 40 "h$h forgets h2" gone $h "${M[2]}" ||
		lab_fail "h$h still sends to h2: $(lc_fdb $h | tr '\n' ';')"
done
lab_ping 1 198.51.100.3 # the rest of the vnet is untouched

lab_step "h2's FRR back: it re-advertises"
le_frr_restart h2
le_wait_established h2
le_wait_remote 1 "${M[2]}" 192.0.2.2 20
le_wait_remote 3 "${M[2]}" 192.0.2.2 20
lab_wait 10 "h1 floods to h2 again" lc_flood_has 1 192.0.2.2 || lab_fail "h1: no flood entry to h2"
# The replies need h2's side too: its zebra relearns the others' routes
# after the restart, later than theirs learn h2's.
le_wait_remote 2 "${M[1]}" 192.0.2.1 20
le_wait_remote 2 "${M[3]}" 192.0.2.3 20
lab_ping 1 198.51.100.2
lab_ping 3 198.51.100.2

lab_step "xenvnetd on h1 killed -9 and restarted while d3 pings d1 every 10 ms"
vx=$(lab_ifindex 1 vnif97)
lab_pinger k 3 198.51.100.1
lab_wait 5 "the pinger" grep -q icmp_seq "$LAB_DIR/ping.k" || lab_fail "d3 gets no replies"
lab_daemon_kill 1
# The MAC stays advertised with the daemon down (FRR and the kernel hold
# it), for 50 more replies at least.
c=$(grep -c icmp_seq "$LAB_DIR/ping.k")
lab_wait 10 "50 replies with h1's daemon down" bash -c "[ \$(grep -c icmp_seq '$LAB_DIR/ping.k') -ge $((c + 50)) ]" ||
	lab_fail "d3 -> d1 stopped with h1's daemon down: $(tail -2 "$LAB_DIR/ping.k")"
le_at 3 "${M[1]}" 192.0.2.1 || lab_fail "h3 lost d1's MAC while h1's daemon was down"
xs 1 rm /vnet/97/state
lc_daemon_start 1 -c "$LAB_DIR/h1/xenvnetd.conf"
lab_vnet_up 1 97
lab_sync 1
lab_wait 30 "200 replies" bash -c "[ \$(grep -c icmp_seq '$LAB_DIR/ping.k') -ge 200 ]" || lab_fail "few replies: $(tail -2 "$LAB_DIR/ping.k")"
lab_pinger_stop k
summary=$(tail -n 1 "$LAB_DIR/ping.k")
read -r sent _ _ got _ <<<"$summary"
lab_log "$summary"
# The last request may still be in flight when the pinger stops.
((sent - got <= 1)) || lab_fail "lost $((sent - got)) of $sent pings across the daemon kill"
[ "$(lab_ifindex 1 vnif97)" = "$vx" ] || lab_fail "h1's vnif97 was recreated"
[ "$(lc_counter 1 control-protocol)" = 0 ] || lab_fail "the restarted daemon runs its own protocol"
le_at 3 "${M[1]}" 192.0.2.1 || lab_fail "h3 lost d1's MAC after the restart"
