#!/bin/bash
# A silent guest migrates (issue #5): no gratuitous ARP, no traffic of
# its own (IPv6 off, a permanent ARP entry for its one peer), only answers
# to the pings it gets.  The daemon's ANNOUNCE (and host-side RARP) alone
# must make it reachable again after its backend reaches Connected, over
# 10 migrations h1 <-> h2 (the targets, 20 ms and at most one ping of a
# 10 ms stream, are logged here and measured by make bench).  A capture inside the guest proves it sent nothing else.
#
#      silent guest 198.51.100.20 00:16:3e:00:05:20 (domid 20, 21, ...)
#      |  <---- migrates ---->  |
#   [vnet97] h1            [vnet97] h2            [vnet97] h3 -- d3 198.51.100.3 (pings)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
N=${MIG_COUNT:-10}
REACH_MS=${MIG_REACH_MS:-20}
GM=00:16:3e:00:05:20 GIP=198.51.100.20 PM=00:16:3e:00:05:03 PIP=198.51.100.3

lab_step "three hosts, vnet 97, the silent guest on h1, the pinger on h3"
lc_cluster 3
lab_domain 3 3 $PIP $PM vnet97
lab_mdomain 1 20 $GIP $GM vnet97
d20 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
d20 ip neigh replace $PIP lladdr $PM dev eth0 nud permanent
lc_wait_fdb 3 $GM 192.0.2.1
lab_ping 3 $GIP 3
for h in 1 2 3; do lab_xs_agent $h; done

lab_step "four silent migrations h1 <-> h2 as the daemon leaves them"
# The target must point its bridge's entry for the guest at the new vif:
# a silent guest sends nothing that would teach it.
lc_mig_probes $GIP 20

lab_step "capture everything the guest sends"
lab_bg d20 tcpdump -i eth0 -Q out -n -e -U -w "$LAB_DIR/guest.pcap" 2>"$LAB_DIR/tcpdump.log"
cap=$LAB_BG
lab_wait 5 "tcpdump in d20" grep -q listening "$LAB_DIR/tcpdump.log" || lab_fail "tcpdump did not start"

lab_step "$N silent migrations h1 <-> h2, d3 pinging every 10 ms"
lc_mig_pinged $GIP "$N" $GM 24 0.2 --silent
kill -INT "$cap"
wait "$cap" 2>/dev/null || true

lab_step "reachable within $REACH_MS ms of Connected, at most one ping lost"
lc_mig_check "$LAB_DIR/ping.g" d20 "$N" "$REACH_MS" silent

lab_step "the guest sent nothing but echo replies"
others=$(tcpdump -r "$LAB_DIR/guest.pcap" -n -e 'not (icmp and icmp[icmptype] == icmp-echoreply) and not (arp and arp[6:2] == 2)' 2>/dev/null)
replies=$(tcpdump -r "$LAB_DIR/guest.pcap" -n 'icmp and icmp[icmptype] == icmp-echoreply' 2>/dev/null | wc -l)
[ "$replies" -gt 100 ] || lab_fail "only $replies echo replies captured in the guest"
[ -z "$others" ] || lab_fail "the silent guest sent: $(echo "$others" | head -5)"
lc_fdb_has 3 $GM 192.0.2.$LC_MIG_AT || lab_fail "h3: $GM not at h$LC_MIG_AT: $(lc_fdb 3 | grep "$GM")"
lab_log "$replies echo replies and nothing else from the guest"
