#!/bin/bash
# Live migration on BGP EVPN (issue #15): the guest moves h1 <-> h2 with
# the lab's xl-migrate sequence while d3 pings it every 10 ms.  The new
# host pins the MAC on the new vif as soon as it is plugged, while the
# guest is paused (a `bridge fdb replace`; again at Connected), zebra
# advertises it with the next MAC mobility sequence number during the
# pause, the old host's zebra takes the remote route over its local
# entry; the host still sends RARP/GARP for the guest at Connected.
# Every migration gets replies, none losing more than LC_MIG_FAR_LOST
# pings beyond the guest's pause (lc_mig_check; the bench measures the
# tight figure); every host has the same sequence number; no host marks
# the MAC duplicate (4 moves: under FRR's 5 in 180 s, RFC 7432 15.1, which
# flags a MAC that really flaps).  test_evpn_migrate_fail: the plug-time
# advertisement itself, and a migration that fails after it.
#
#                 guest 198.51.100.10 00:16:3e:00:05:10 (domid 10, 11, ...)
#                 |  <---- migrates ---->  |
#   [vnet97] h1 192.0.2.1            [vnet97] h2 192.0.2.2      [vnet97] h3 192.0.2.3
#                                                                  |
#                                                                d3 198.51.100.3 (an echo request every 10 ms)
#   h1..h3: xenvnetd (control = evpn) + zebra + bgpd;  rr 192.0.2.100 (FRR only);  all on sw0
set -e
. "$(dirname "$0")/lib_evpn.sh"
lab_init "$1"
N=${MIG_COUNT:-4}
# BGP's hand-over (~0.12 s) runs in the guest's pause: allow 0.2 s beyond
# it (make bench: p99 <= 1); the lab's default allows 0.5 s.
LC_MIG_FAR_LOST=$((20 * ${LAB_TIME_SCALE:-1}))
GM=00:16:3e:00:05:10 GIP=198.51.100.10

lab_step "three EVPN hosts, vnet 97, the guest on h1, the pinger on h3"
le_mig_lab $GM $GIP

lab_step "$N migrations h1 <-> h2, d3 pinging the guest every 10 ms"
le_mig_pinged $GIP "$N" $GM 10 0.3
src=$LC_MIG_AT

lab_step "lost pings per migration"
lc_mig_check "$LAB_DIR/ping.g" d10 "$N" - guest

lab_step "MAC mobility: every host agrees on the sequence number, no duplicate"
# The target advertises at plug time, while the source's route is still
# live: each migration is a move, and the number climbs (RFC 7432 15).
seq_of() { le_mac_field "$1" $GM "max(d.get('localSequence', -1), d.get('remoteSequence', -1))"; }
seq=$(seq_of "h$src")
# (N - 1: on a starved machine one pin may come after the source's
# withdrawal reached the target, then that move starts afresh)
((seq >= N - 1)) || lab_fail "h$src: sequence $seq after $N moves: $(le_mac_json "h$src" $GM)"
seq_is() { [ "$(seq_of "$1")" = "$seq" ]; }
for h in 1 2 3; do
	lab_wait 10 "h$h: seq $seq" seq_is "h$h" || lab_fail "h$h: zebra has $GM at $(le_mac_json "h$h" $GM), wanted seq $seq"
	[ "$(le_mac_field "h$h" $GM 'd.get("isDuplicate")')" = False ] || lab_fail "h$h marks $GM duplicate: $(le_mac_json "h$h" $GM)"
done
[ "$(le_mac_field "h$src" $GM 'd.get("type")')" = local ] || lab_fail "h$src: $GM is not local: $(le_mac_json "h$src" $GM)"
other=$((3 - src))
le_wait_remote $other $GM "192.0.2.$src" 5
le_wait_remote 3 $GM "192.0.2.$src" 5
out=$(VN_VTYSH_SOCKET=$(le_dir h3) lc_vn 3 evpn 2>&1)
grep -qE "^97 +$GM +remote +192\.0\.2\.$src +$seq +false" <<<"$out" || lab_fail "h3: vn evpn: $out"
lab_ping 3 $GIP 3
