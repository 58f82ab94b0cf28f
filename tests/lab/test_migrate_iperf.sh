#!/bin/bash
# A TCP stream survives live migration (issue #5): iperf3 from d3 on h3 to
# a guest that migrates 10 times between h1 and h2 during the transfer.
# iperf3 must exit 0, the receiver must have counted the bytes, and no
# one-second interval may be empty.
#
#      guest 198.51.100.30 (iperf3 -s; domid 30, 31, ...)
#      |  <---- migrates ---->  |
#   [vnet97] h1            [vnet97] h2            [vnet97] h3 -- d3 198.51.100.3 (iperf3 -c)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
N=${MIG_COUNT:-10}
GM=00:16:3e:00:07:30 GIP=198.51.100.30
command -v iperf3 >/dev/null || lab_fail "no iperf3 (make deps)"

lab_step "three hosts, vnet 97, the guest on h1 running iperf3 -s, d3 on h3"
lc_cluster 3
lab_domain 3 3 198.51.100.3 00:16:3e:00:07:03 vnet97
lab_mdomain 1 30 $GIP $GM vnet97
d30 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
lc_wait_fdb 3 $GM 192.0.2.1
for h in 1 2 3; do lab_xs_agent $h; done
lab_ping 3 $GIP 3
lab_bg d30 iperf3 -s -1 >"$LAB_DIR/iperf.server" 2>&1
lab_wait 5 "iperf3 -s in the guest" eval "d30 ss -Hltn sport = :5201 | grep -q ." || lab_fail "iperf3 -s did not start"

# Each migration pauses the guest (xl's order: resume, the source
# destroyed, then the target connects; ~0.1-0.2 s here): TCP recovers by
# its retransmission timeout, which doubles when the next pause comes
# before it did; 0.6 s between migrations leaves room for that.
lab_step "iperf3 d3 -> guest for $((N + 4)) s across $N migrations"
secs=$((N + 4))
d3 iperf3 -c $GIP -t "$secs" -J >"$LAB_DIR/iperf.json" 2>"$LAB_DIR/iperf.err" &
client=$!
LAB_PIDS+=("$client")
sleep 1.5
lc_mig_loop "$N" $GM 30 0.6
src=$LC_MIG_AT
rc=0
wait "$client" || rc=$?
[ "$rc" = 0 ] || lab_fail "iperf3 exited $rc: $(tail -5 "$LAB_DIR/iperf.err") $(grep -m1 '"error"' "$LAB_DIR/iperf.json")"

lab_step "every byte acknowledged, no empty second"
read -r sent recv retr minbps < <(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
e = j["end"]
iv = [i["sum"]["bytes"] * 8 // max(i["sum"]["seconds"], 1e-6) for i in j["intervals"] if i["sum"]["seconds"] >= 0.5]
print(e["sum_sent"]["bytes"], e["sum_received"]["bytes"], e["sum_sent"].get("retransmits", 0), int(min(iv)))
print(" ".join("%d" % (v // 1e6) for v in iv), file=sys.stderr)
' "$LAB_DIR/iperf.json" 2>"$LAB_DIR/iperf.mbps")
lab_log "Mbit/s per second: $(cat "$LAB_DIR/iperf.mbps")"
lab_log "sent $sent B, received $recv B, $retr retransmits, slowest interval $minbps bit/s, $N migrations"
[ "$recv" -gt 10000000 ] || lab_fail "only $recv bytes received"
awk -v s="$sent" -v r="$recv" 'BEGIN { exit !(r >= s * 0.99) }' || lab_fail "received $recv of $sent bytes"
[ "$minbps" -gt 0 ] || lab_fail "an interval moved no data"
[ "$(wc -l <"$LAB_DIR/migrations")" = "$N" ] || lab_fail "$(wc -l <"$LAB_DIR/migrations") migrations, wanted $N"
lc_fdb_has 3 $GM 192.0.2.$src || lab_fail "h3: $GM not at h$src"
