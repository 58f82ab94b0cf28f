#!/bin/bash
# An IPv6-only guest migrates (issue #5): no IPv4, no gratuitous ARP, no
# announcement of its own; its backend's "ip" key names its address, so
# the target host sends an unsolicited NA for it.  d3 pings it (ICMPv6)
# every 10 ms over N migrations h1 <-> h2: reachable after each (at most
# one ping lost and 20 ms from Connected are the targets make bench
# measures), the NA seen at d3 each time.
#
#      guest 2001:db8::20 00:16:3e:00:06:20 (domid 20, 21, ...), ip key "2001:db8::20"
#      |  <---- migrates ---->  |
#   [vnet97] h1            [vnet97] h2            [vnet97] h3 -- d3 2001:db8::3 (pings)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
N=${MIG_COUNT:-6}
REACH_MS=${MIG_REACH_MS:-20}
GM=00:16:3e:00:06:20 GIP=2001:db8::20

lab_step "three hosts, vnet 97, the IPv6-only guest on h1, the pinger on h3"
lc_cluster 3
lab_domain 3 3 198.51.100.3 00:16:3e:00:06:03 vnet97
d3 ip addr add 2001:db8::3/64 dev eth0 nodad
lab_mdomain 1 20 $GIP/64 $GM vnet97
xs 1 write /local/domain/0/backend/vif/20/0/ip $GIP
lc_wait_fdb 3 $GM 192.0.2.1
for h in 1 2 3; do lab_xs_agent $h; done
lab_wait 10 "d3 -> $GIP" d3 ping -n -c 1 -W 1 $GIP || lab_fail "d3 cannot ping $GIP"

lab_step "four migrations h1 <-> h2 as the daemon leaves them"
lc_mig_probes $GIP 20

lab_step "$N migrations h1 <-> h2, d3 pinging every 10 ms"
lab_bg d3 tcpdump -i eth0 -n -e -U -w "$LAB_DIR/na.pcap" "ether src $GM and icmp6 and ip6[40] == 136" 2>"$LAB_DIR/tcpdump.log"
cap=$LAB_BG
lab_wait 5 "tcpdump in d3" grep -q listening "$LAB_DIR/tcpdump.log" || lab_fail "tcpdump did not start"
lc_mig_pinged $GIP "$N" $GM 24 0.2 --silent
kill -INT "$cap"
wait "$cap" 2>/dev/null || true

lab_step "at most one ping lost, reachable within $REACH_MS ms of Connected"
lc_mig_check "$LAB_DIR/ping.g" d20 "$N" "$REACH_MS" IPv6
nas=$(tcpdump -r "$LAB_DIR/na.pcap" -n 2>/dev/null | grep -c "neighbor advertisement, tgt is $GIP" || true)
[ "$nas" -ge $(((N + 1) / 2)) ] || lab_fail "d3 saw $nas unsolicited NAs for $GIP over $N migrations"
lab_log "d3 saw $nas NAs for $GIP"
