#!/bin/bash
# tests/bench/bench_evpn.sh [BUILD_DIR]: control = evpn against our own
# protocol (issue #15), each in labs of its own; prints RESULT lines that
# scripts/run-bench.sh turns into rows:
#  attach   8 hosts (BENCH_EVPN_HOSTS), BENCH_EVPN_VIFS vifs (default 30)
#           connected one after another, each with its device in the
#           bridge: state=4 -> the MAC in every other host's kernel FDB,
#           p50/p99 (tests/bench/bench_cluster.sh part (1), run once per
#           mode: BENCH_CONTROL=evpn builds FRR hosts and a reflector).
#           evpn advertises a MAC from the plug on (the device is in the
#           bridge when bench_cluster_vifs writes state 2, GAP_MS/2 =
#           50 ms before the state=4 the figure starts from): a head start
#           that own, which announces at Connected, does not take.
#  migrate  tests/bench/bench_migrate.sh with BENCH_CONTROL=evpn: blackout
#           and lost pings per migration (the own figures are run-bench's
#           row (c), same run, same script: lost beyond the pause = pings
#           sent after the target's Connected with no reply, in both;
#           before_* = those sent before the resume, which only evpn's
#           pin at plug time costs, and only in the lab).
#  cost     BENCH_EVPN_COST_HOSTS (16) hosts, and for evpn a route
#           reflector: control-plane packets and bytes on every host's
#           underlay (own: UDP 1799; evpn: TCP 179), counted by nftables,
#           while BENCH_EVPN_CHANGES (32) vifs connect (one MAC change
#           each), minus the idle rate (HELLOs, keepalives) measured just
#           after over as long; per host per MAC change, the reflector's
#           own share, and the idle packets per host per second.
#
#   cost lab:  h1 .. h16 ---- sw0 ---- rr 192.0.2.100 (evpn only)
set -e
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
HOSTS=${BENCH_EVPN_HOSTS:-8}
VIFS=${BENCH_EVPN_VIFS:-30}
CH=${BENCH_EVPN_CHANGES:-32}
CHOSTS=${BENCH_EVPN_COST_HOSTS:-16}

if [ "$2" != cost ]; then
	for mode in own evpn; do
		out=$(BENCH_CONTROL=$mode BENCH_PARTS=1 BENCH_VIF_DEVICES=1 BENCH_HOSTS=$HOSTS BENCH_VIFS=$VIFS \
			tests/bench/bench_cluster.sh "$BUILD" 2>&1) || { echo "$out" | tail -20 >&2; exit 1; }
		echo "$out" | sed -n "s/^RESULT attach /RESULT case=attach-$mode /p"
	done
	out=$(BENCH_CONTROL=evpn tests/bench/bench_migrate.sh "$BUILD" 2>&1) || { echo "$out" | tail -20 >&2; exit 1; }
	echo "$out" | sed -n 's/^RESULT case=\(ours\|silent\) /RESULT case=migrate-evpn-\1 /p'
	for mode in own evpn; do
		out=$("$0" "$BUILD" cost "$mode" 2>&1) || { echo "$out" | tail -20 >&2; exit 1; }
		echo "$out" | grep '^RESULT'
	done
	exit 0
fi

# ---------------------------------------------------------------- cost MODE
mode=$3
# shellcheck source=tests/lab/lib_evpn.sh
. tests/lab/lib_evpn.sh
lab_init "$BUILD"
B=$LAB_BUILD/tests/bench
lab_step "cost ($mode): $CHOSTS hosts"
if [ "$mode" = evpn ]; then
	le_cluster "$CHOSTS"
	nss=(rr)
else
	lc_cluster "$CHOSTS"
	for ((n = 1; n <= CHOSTS; n++)); do lc_wait_counter $n hosts -eq $((CHOSTS - 1)) 20; done
	nss=()
fi
for ((n = 1; n <= CHOSTS; n++)); do nss+=("h$n"); done
for ns in "${nss[@]}"; do
	ip netns exec "$LAB_PREFIX$ns" nft -f - <<'EOF'
table inet xvbench {
	chain in { type filter hook input priority 0; udp dport 1799 counter; tcp sport 179 counter; tcp dport 179 counter; }
	chain out { type filter hook output priority 0; udp dport 1799 counter; tcp sport 179 counter; tcp dport 179 counter; }
}
EOF
done
# count NS: "packets bytes" of its control traffic so far.
count() {
	ip netns exec "$LAB_PREFIX$1" nft list table inet xvbench |
		awk '/counter packets/ { for (i = 1; i <= NF; i++) { if ($i == "packets") p += $(i + 1); if ($i == "bytes") b += $(i + 1) } } END { print p + 0, b + 0 }'
}
snap() { local ns; for ns in "${nss[@]}"; do echo "$ns $(count "$ns")"; done; }
le_vif_devices "$CHOSTS" "$CH"
# every host holds every other host's new MACs
fdb_macs() { bridge -n "${LAB_PREFIX}h$1" fdb show dev vnif97 | grep -c '^00:16:3e:b0:.* dst ' || true; }
all_in() {
	local n
	for ((n = 1; n <= CHOSTS; n++)); do
		[ "$(fdb_macs $n)" -ge $((CH - (CH / CHOSTS) - (n <= CH % CHOSTS ? 1 : 0))) ] || return 1
	done
}
s0=$(snap) t0=$(lab_now_ms)
"$B/bench_cluster_vifs" "$LAB_DIR" "$CHOSTS" "$CH" 100 vnet97 >"$LAB_DIR/vifs.txt" || lab_fail "bench_cluster_vifs failed"
lab_wait 60 "every MAC on every host" all_in || lab_fail "not every MAC arrived: $(for ((n = 1; n <= CHOSTS; n++)); do printf '%s ' "$(fdb_macs $n)"; done)"
s1=$(snap) t1=$(lab_now_ms)
# The idle rate over as long, right after (HELLOs, keepalives).
sleep "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1000 }')"
s2=$(snap) t2=$(lab_now_ms)
python3 - "$mode" "$CH" "$CHOSTS" "$((t1 - t0))" "$((t2 - t1))" "$s0" "$s1" "$s2" <<'PY'
import sys
mode, ch, nh, busy, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
snaps = [{l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in s.splitlines()} for s in sys.argv[6:9]]
def per_change(ns):
    p = (snaps[1][ns][0] - snaps[0][ns][0]) - (snaps[2][ns][0] - snaps[1][ns][0]) * busy / max(idle, 1)
    b = (snaps[1][ns][1] - snaps[0][ns][1]) - (snaps[2][ns][1] - snaps[1][ns][1]) * busy / max(idle, 1)
    return max(p, 0) / ch, max(b, 0) / ch
hosts = [per_change(f"h{n}") for n in range(1, nh + 1)]
hp = sum(h[0] for h in hosts) / nh
hb = sum(h[1] for h in hosts) / nh
rp, rb = per_change("rr") if "rr" in snaps[0] else (0, 0)
# Idle: HELLOs (own, each host hears every other) or keepalives (evpn).
ip = sum(snaps[2][f"h{n}"][0] - snaps[1][f"h{n}"][0] for n in range(1, nh + 1)) / nh / max(idle, 1) * 1000
print(f"RESULT case=cost-{mode} hosts={nh} changes={ch} pkts_host={hp:.1f} bytes_host={hb:.0f} "
      f"pkts_rr={rp:.1f} bytes_rr={rb:.0f} idle_pkts_host_s={ip:.1f} busy_ms={busy}")
PY
