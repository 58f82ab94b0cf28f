#!/bin/bash
# tests/bench/bench_migrate.sh [BUILD_DIR]: blackout per live migration
# (issue #5), in one lab and run, for three guests migrated in turn
# between h1 and h2, BENCH_MIG_COUNT times each (default 50):
#   ours    a Linux PV guest (gratuitous ARP on resume) on vnet 97, made
#           and announced by xenvnetd;
#   silent  a guest that sends nothing of its own on vnet 97;
#   flood   a Linux PV guest on a hand-made bridge + VXLAN (VNI 4000,
#           learning, head-end replication to the other hosts): plain
#           flood-and-learn, no daemon updates, only the guest's GARP.
# d3 (vnet 97) and d4 (refbr) on h3 send each guest an echo request every
# 10 ms.  Blackout = ms between the last reply before the switch and the
# first after (the longest gap in the window), lost = icmp_seq holes.
# Prints "RESULT case=NAME n=.. lost_p50=.. lost_p99=.. lost_max=..
# bo_p50=.. bo_p99=.. bo_max=.. conn_p50=.. conn_p99=.. beyond_p50=..
# beyond_p99=.. beyond_max=.. before_p50=.. before_p99=.. pause_p50=..
# unrecovered=.."
# conn_* = ms from Connected to the first reply.  The migrations go in
# xl's order (lab_migrate): the source is destroyed before the target's
# netfront reconnects; the guest's pause (resume -> Connected, pause_*
# in ms) costs pings whatever the daemon does, beyond_* counts the lost
# pings sent after Connected (lab_blackouts' LOST_AFTER_CONN), before_*
# those sent before the resume (LOST_BEFORE_MOVE: the lab's guest runs on
# the source until then; nonzero when the target takes the MAC early).
#
#   guests G, S (vnet97), F (refbr)  <-- migrate -->
#   h1 192.0.2.1            h2 192.0.2.2            h3 192.0.2.3: d3 (vnet97), d4 (refbr)
set -e
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/lib_evpn.sh
. tests/lab/lib_evpn.sh # lib_cluster.sh, and FRR for BENCH_CONTROL=evpn
N=${BENCH_MIG_COUNT:-50}
lab_init "${1:-build}"

lab_step "lab: 3 hosts, vnet 97 by xenvnetd, refbr/refvx by hand"
if [ "$BENCH_CONTROL" = evpn ]; then # issue #15: FRR carries the MACs (bench_evpn.sh)
	# 50 moves in a minute: FRR's duplicate detection (5 in 180 s) would
	# freeze the MAC; this measures each move, not that guard.
	LE_EVPN_EXTRA="dup-addr-detection max-moves 1000 time 2"
	le_cluster 3
else
	lc_cluster 3
fi
for h in 1 2 3; do
	h$h ip link add refbr type bridge forward_delay 0
	h$h ip link add refvx type vxlan id 4000 local "192.0.2.$h" dev eth0 dstport 1798
	for p in 1 2 3; do
		[ $p = $h ] || h$h bridge fdb append 00:00:00:00:00:00 dev refvx dst "192.0.2.$p"
	done
	h$h ip link set refvx master refbr up
	h$h ip link set refbr up
	lab_xs_agent $h
done
lab_domain 3 3 198.51.100.3 00:16:3e:00:08:03 vnet97
lab_domain 3 4 203.0.113.4 00:16:3e:00:08:04 refbr
lab_mdomain 1 100 198.51.100.100 00:16:3e:00:08:64 vnet97   # G
lab_mdomain 1 200 198.51.100.200 00:16:3e:00:08:c8 vnet97   # S
lab_mdomain 1 300 203.0.113.30 00:16:3e:00:08:2c refbr      # F
for d in 100 200 300; do d$d sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1; done
d200 ip neigh replace 198.51.100.3 lladdr 00:16:3e:00:08:03 dev eth0 nud permanent
lab_ping 3 198.51.100.100 3
lab_ping 3 198.51.100.200 3
lab_ping 4 203.0.113.30 3

[ "$BENCH_CONTROL" != evpn ] || BENCH_NO_PROBE=1 # the probe reads our protocol's state
[ -n "$BENCH_NO_PROBE" ] || {
lab_step "probe: the silent guest as the daemon leaves it"
lab_pinger p 3 198.51.100.200
lab_wait 5 "the pinger" grep -q icmp_seq "$LAB_DIR/ping.p" || lab_fail "no replies from S"
lab_mig_probe 1 2 200 201 p
lab_mig_probe 2 1 201 202 p
lab_mig_probe 1 2 202 203 p
lab_mig_probe 2 1 203 204 p
lab_pinger_stop p
}
: >"$LAB_DIR/migrations"

lab_step "$N migrations of each guest, interleaved, pinged every 10 ms"
lab_pinger g 3 198.51.100.100
lab_pinger s 3 198.51.100.200
lab_pinger f 4 203.0.113.30
for n in g s f; do
	lab_wait 5 "pinger $n" grep -q icmp_seq "$LAB_DIR/ping.$n" || lab_fail "pinger $n gets no replies"
done
g=100 s=204 f=300 src=1 dst=2
[ -z "$BENCH_NO_PROBE" ] || s=200
for ((i = 1; i <= N; i++)); do
	lab_migrate $src $dst $g $((g + 1)); g=$((g + 1))
	sleep 0.1
	lab_migrate $src $dst $s $((s + 1)) --silent; s=$((s + 1))
	sleep 0.1
	lab_migrate $src $dst $f $((f + 1)); f=$((f + 1))
	sleep 0.15
	t=$src src=$dst dst=$t
	((i % 10)) || lab_log "$i rounds"
done
sleep 0.5
for n in g s f; do lab_pinger_stop $n; done

lab_step "results"
result() {
	local name=$1 log=$2 dom=$3 lost=() bo=() conn=() beyond=() before=() pause=() un=0 l b a la lb d tm tc
	while read -r l b a _ _ la lb; do
		if [ "$l" = - ]; then un=$((un + 1)); continue; fi
		lost+=("$l") bo+=("$b") conn+=("$a") beyond+=("$la") before+=("$lb")
	done < <(lab_blackouts "$log" "$dom")
	while read -r d _ _ _ _ tm tc; do
		[ "$d" = "$dom" ] && pause+=("$(((tc - tm) / 1000))")
	done <"$LAB_DIR/migrations"
	echo "RESULT case=$name n=$((${#lost[@]} + un)) lost_p50=$(lab_pct 50 "${lost[@]}") lost_p99=$(lab_pct 99 "${lost[@]}") lost_max=$(lab_pct 100 "${lost[@]}") bo_p50=$(lab_pct 50 "${bo[@]}") bo_p99=$(lab_pct 99 "${bo[@]}") bo_max=$(lab_pct 100 "${bo[@]}") conn_p50=$(lab_pct 50 "${conn[@]}") conn_p99=$(lab_pct 99 "${conn[@]}") beyond_p50=$(lab_pct 50 "${beyond[@]}") beyond_p99=$(lab_pct 99 "${beyond[@]}") beyond_max=$(lab_pct 100 "${beyond[@]}") before_p50=$(lab_pct 50 "${before[@]}") before_p99=$(lab_pct 99 "${before[@]}") pause_p50=$(lab_pct 50 "${pause[@]}") unrecovered=$un"
}
result ours "$LAB_DIR/ping.g" d100
result silent "$LAB_DIR/ping.s" d200
result flood "$LAB_DIR/ping.f" d300
