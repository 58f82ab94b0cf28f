#!/bin/bash
# Migration races (issue #5), guest on h1/h2/h3, pinger d4 on h4:
#  A. the source misses the target's ANNOUNCE (its control input dropped
#     around the switch), so its vif going sends WITHDRAW(old seq) after
#     the others have the target's ANNOUNCE: they must keep the target;
#     h1 itself learns where the MAC went by asking again.
#  B. the target's ANNOUNCE is dropped (its control output cut): the
#     source's WITHDRAW makes the others REQUEST the MAC and the target
#     answers: the FDB reaches the target well before any refresh (30 s).
#  C. two migrations in quick succession, h1 -> h2 -> h3: everyone ends
#     up pointing at h3 and the guest answers.  The targets' vifs have
#     their carrier from the start (LAB_MIG_EARLY_CARRIER), so the kernel
#     defers it: only the daemon's asking for the link state at Connected
#     makes their ports forward at once (else ~20 pings go): each target's
#     port forwards by the time its daemon has taken the vif.
# Every step waits on a condition (a daemon's log line, an FDB entry, a
# counter), never on time; the pings lost per migration are printed, and
# measured against their target by make bench (bench_migrate.sh), where a
# loaded machine cannot turn a scheduling delay into a failure.
# Control packets (UDP 1799) are cut with tc u32 + mirred to a sink veth
# (this kernel has no gact "drop"); strict rp_filter on the sink drops
# what arrives there for us.
#
#   guest 198.51.100.40 (domid 40...)   h1  h2  h3 (vnet97)    h4: d4 198.51.100.4 (pings)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
GM=00:16:3e:00:09:40 GIP=198.51.100.40

lc_key
lab_switch
for h in 1 2 3 4; do lc_host $h; done
for h in 1 2 3 4; do xs $h write /vnet/97/bridge vnet97; done
for h in 1 2 3 4; do
	lab_vnet_up $h 97
	lc_wait_control $h
	h$h ip link add sink0 type veth peer name sink1
	h$h sysctl -qw net.ipv4.conf.sink1.rp_filter=1 net.ipv4.conf.all.rp_filter=1
	h$h ip link set sink0 up
	h$h ip link set sink1 up
	h$h tc qdisc add dev eth0 clsact
	lab_xs_agent $h
done
lab_domain 4 4 198.51.100.4 00:16:3e:00:09:04 vnet97
lab_mdomain 1 40 $GIP $GM vnet97
d40 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
lc_wait_fdb 4 $GM 192.0.2.1
lab_ping 4 $GIP 3

# ctl_cut H DIR on|off: drop host H's control packets in DIR (ingress|egress).
ctl_cut() {
	if [ "$3" = on ]; then
		h$1 tc filter add dev eth0 "$2" protocol ip pref 7 u32 match ip protocol 17 0xff \
			match ip dport 1799 0xffff action mirred egress redirect dev sink0
	else
		h$1 tc filter del dev eth0 "$2" pref 7
	fi
}
# lost pings of the last migration
lost_last() { lab_blackouts "$LAB_DIR/ping.g" d40 | tail -n 1 | cut -d' ' -f1; }

lab_pinger g 4 $GIP
lab_wait 5 "the pinger" grep -q icmp_seq "$LAB_DIR/ping.g" || lab_fail "d4 gets no replies"

# took DST DOMID: host DST's daemon has made domain DOMID's vif a member.
took() {
	lab_wait 10 "h$1 to take vif$2.0" grep -q "vif vif$2.0 (domain $2): now a vnet member" "$LAB_DIR/h$1/daemon.log" ||
		lab_fail "h$1 never took vif$2.0"
}

lab_step "A: h1 misses h2's ANNOUNCE, then withdraws the old seq"
lab_migrate_prepare 1 2 40 41
lab_sync 2                  # h2 has seen the incoming vif (and asked for its MAC)
ctl_cut 1 ingress on
lab_migrate_switch 1 2 40 41
lc_wait_fdb 4 $GM 192.0.2.2 10
lc_wait_fdb 3 $GM 192.0.2.2 10
lab_migrate_finish 1 40     # h1 still thinks it owns the MAC: WITHDRAW
lab_wait 10 "h1 to drop its vif" grep -q "vif40.0 (domain 40): no longer" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "h1 never dropped vif40.0"
# Shapes the race, decides nothing: h1 has then most likely lost the first
# answers to its REQUEST, and h3, h4 had its WITHDRAW.
lab_sleep 0.3
ctl_cut 1 ingress off
lc_fdb_has 4 $GM 192.0.2.2 || lab_fail "h4 followed h1's stale WITHDRAW: $(lc_fdb 4 | grep $GM | tr '\n' ';')"
lc_fdb_has 3 $GM 192.0.2.2 || lab_fail "h3 followed h1's stale WITHDRAW: $(lc_fdb 3 | grep $GM | tr '\n' ';')"
# The answers to h1's REQUEST (sent with its WITHDRAW) were dropped: it asks
# again with each HELLO for a while, and h2 answers (no 30 s refresh wait).
lc_wait_fdb 1 $GM 192.0.2.2 15
lab_log "h1 learnt where its guest went by asking again"
lab_ping 4 $GIP 3
lab_log "h4, h3 kept h2; $(lost_last) ping(s) lost"

lab_step "B: h2 -> h1 with h1's ANNOUNCE dropped; h2's WITHDRAW and the REQUESTs recover"
lab_migrate_prepare 2 1 41 42
lab_sync 1
ctl_cut 1 egress on
lab_migrate_switch 2 1 41 42
took 1 42                   # h1 has sent its ANNOUNCE (into the cut)
lc_fdb_has 4 $GM 192.0.2.2 || lab_fail "h4 moved although h1's ANNOUNCE was dropped: $(lc_fdb 4 | grep $GM)"
ctl_cut 1 egress off
t0=$(lab_now_ms)
lab_migrate_finish 2 41     # h2 withdraws; h3, h4 REQUEST; h1 answers
# Half the refresh interval: what arrives by then came by the REQUEST path.
lc_wait_fdb 4 $GM 192.0.2.1 15
lc_wait_fdb 3 $GM 192.0.2.1 15
ms=$(($(lab_now_ms) - t0))
lab_log "h4 and h3 point at h1 ${ms} ms after h2's vif went (REQUEST path)"
lab_ping 4 $GIP 3

lab_step "C: h1 -> h2 -> h3 in quick succession"
export LAB_MIG_EARLY_CARRIER=1
# quick SRC DST OLD NEW: lab_migrate with a 20 ms copy and a 10 ms destroy;
# the target's bridge port must forward once its daemon took the vif.
quick() {
	local st
	lab_migrate_prepare "$@"
	lab_sleep 0.02
	lab_migrate_switch "$@"
	took "$2" "$4"
	st=$(h$2 bridge link show dev "vif$4.0" | grep -o 'state [a-z]*')
	[ "$st" = "state forwarding" ] ||
		lab_fail "vif$4.0 is in $st after h$2's daemon took it: the kernel's deferred carrier was not handled"
	lab_sleep 0.01
	lab_migrate_finish "$1" "$3"
}
quick 1 2 42 43
quick 2 3 43 44
for h in 1 2 4; do lc_wait_fdb $h $GM 192.0.2.3 10; done
lc_fdb_static_gone 3 $GM || lab_fail "h3 points its own guest's MAC at $(lc_fdb_dst 3 $GM)"
lc_ping_settle g
mapfile -t res < <(lab_blackouts "$LAB_DIR/ping.g" d40 | tail -n 2)
lab_log "h1 -> h2: ${res[0]}; h2 -> h3: ${res[1]} (lost blackout_ms conn_ms old new)"
for r in "${res[@]}"; do
	[ "${r%% *}" != - ] || lab_fail "quick succession: no reply after: $r"
done
lab_ping 4 $GIP 3
