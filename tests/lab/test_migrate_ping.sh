#!/bin/bash
# Live migration under a 10 ms ping (issue #5): a domain is migrated 50
# times back and forth between h1 and h2 (lab_migrate: the xl migrate
# sequence, new domid each time) while d3 on h3 pings it every 10 ms.
# Every migration gets replies, none far off (lc_mig_check; the target of
# at most one lost ping is measured by make bench); h3's static FDB entry
# points at the new host; the MAC counts as flapping on h3 (more
# than 5 moves in 180 s) and the FDB still followed every move.
#
#                 guest 198.51.100.10 00:16:3e:00:05:10 (domid 10, 11, ... 60)
#                 |  <---- migrates ---->  |
#   [vnet97] h1 192.0.2.1            [vnet97] h2 192.0.2.2      [vnet97] h3 192.0.2.3
#                                                                  |
#                                                                d3 198.51.100.3 (an echo request every 10 ms)
#   h1, h2, h3 on sw0; daemons with one cluster key
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
N=${MIG_COUNT:-50}
GM=00:16:3e:00:05:10 GIP=198.51.100.10

lab_step "three hosts, vnet 97, the guest on h1, the pinger on h3"
lc_cluster 3
lab_mdomain 1 10 $GIP $GM vnet97
lab_domain 3 3 198.51.100.3 00:16:3e:00:05:03 vnet97
# A Linux guest without IPv6: its only announcement is the gratuitous ARP.
d10 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
lc_wait_fdb 3 $GM 192.0.2.1
lc_wait_fdb 2 $GM 192.0.2.1
lab_ping 3 $GIP 3
moves0=$(lc_counter 3 mac-moves)

lab_step "$N migrations h1 <-> h2, d3 pinging the guest every 10 ms"
lc_mig_pinged $GIP "$N" $GM 10 0.15
src=$LC_MIG_AT dom=$((10 + N))

lab_step "lost pings per migration"
lc_mig_check "$LAB_DIR/ping.g" d10 "$N" - guest

lab_step "the FDB followed; flapping detected, not acted on"
last=192.0.2.$src
lc_wait_fdb 3 $GM "$last" 1
other=$((3 - src))
lc_wait_fdb $other $GM "$last" 1
lc_fdb_static_gone "$src" $GM || lab_fail "h$src points its own guest's MAC at $(lc_fdb_dst "$src" $GM)"
moves=$(($(lc_counter 3 mac-moves) - moves0))
[ "$moves" = "$N" ] || lab_fail "h3 counted $moves moves, wanted $N"
flaps=$(lc_counter 3 mac-flaps)
[ "${flaps:-0}" -ge 1 ] || lab_fail "h3 did not count $GM as flapping after $N moves (mac-flaps ${flaps:-?})"
grep -q "00:16:3e:00:05:10 is flapping" "$LAB_DIR/h3/daemon.log" || lab_fail "h3 did not log the flapping MAC"
# Only the guest's current backend is left, on its current host.
[ "$(xs "$src" list /local/domain/0/backend/vif)" = "$dom" ] ||
	lab_fail "h$src backends: $(xs "$src" list /local/domain/0/backend/vif | tr '\n' ' ')"
[ -z "$(xs "$other" list /local/domain/0/backend/vif 2>/dev/null)" ] ||
	lab_fail "h$other still has backends: $(xs "$other" list /local/domain/0/backend/vif | tr '\n' ' ')"
lab_ping 3 $GIP 3
lab_log "$N migrations, mac-moves $moves, mac-flaps $flaps"
