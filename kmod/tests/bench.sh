#!/bin/bash
# kmod/tests/bench.sh BUILD_DIR: guest-to-guest TCP (iperf3) over vnet.ko,
# over the kernel's VXLAN and over plain L2 (no tunnel), in one run, in
# network namespaces; needs module loading (scripts/run-bench.sh runs it
# in the emulated hosts: tests/vm/run.sh BUILD --cmd ...).
#
#   gNv --[bvN]-- vnv (vnet.ko, id 97)   \
#   gNx --[bxN]-- vxx (vxlan, VNI 151)    >  hN eth0 192.0.2.N -- w:br0
#   gNp ----------------------------------  (straight onto w:br0)
#
# Every guest has MTU 1400, so all three carry the same frames.  The
# three are measured in turn, BENCH_ROUNDS (5) x BENCH_SECS (3 s) each,
# first second omitted; ratios are per round, then their median.  Prints
#   RESULT case=tcp vnet_mbps=.. vxlan_mbps=.. plain_mbps=.. vnet_vxlan=.. vnet_plain=..
set -e
BUILD=${1:-build-san}
KO=$BUILD/kmod/$(uname -r)/vnet.ko
VNETLINK=$BUILD/kmod/vnetlink
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-3}
P=vnb$$-
w=${P}w
n() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cleanup() {
	set +e
	for ns in $(ip netns list | awk -v p="$P" 'index($1, p) == 1 { print $1 }'); do
		ip netns pids "$ns" | xargs -r kill 2>/dev/null
		ip netns del "$ns"
	done
	[ -z "$LOADED" ] || rmmod vnet
}
trap cleanup EXIT
LOADED=
if [ ! -d /sys/module/vnet ]; then
	for m in $(modinfo -F depends "$KO" | tr , ' '); do modprobe "$m"; done
	insmod "$KO"
	LOADED=1
fi

ip netns add "$w"
n "$w" ip link add br0 type bridge
n "$w" ip link set br0 up
# guest NAME HOSTNS BRIDGE|- ADDR: a namespace with eth0 (MTU 1400) on the
# host's bridge, or on the wire's br0 for "-"
guest() {
	ip netns add "$1"
	n "$1" ip link set lo up
	if [ "$3" = - ]; then
		ip link add eth0 netns "$1" type veth peer name "$1" netns "$w"
		n "$w" ip link set "$1" master br0 up
	else
		ip link add eth0 netns "$1" type veth peer name "${1#"$P"}" netns "$2"
		n "$2" ip link set "${1#"$P"}" master "$3" up
	fi
	n "$1" ip link set eth0 mtu 1400 up
	n "$1" ip addr add "$4" dev eth0
}
for i in 1 2; do
	h=${P}h$i o=$((3 - i))
	ip netns add "$h"
	n "$h" ip link set lo up
	ip link add eth0 netns "$h" type veth peer name "p$i" netns "$w"
	n "$w" ip link set "p$i" master br0 up
	n "$h" ip addr add "192.0.2.$i/24" dev eth0
	n "$h" ip link set eth0 up
	n "$h" "$VNETLINK" add vnv id 97 local "192.0.2.$i" dev eth0 learning on
	n "$h" ip link add vxx type vxlan id 151 local "192.0.2.$i" dev eth0 dstport 4789
	for t in v x; do
		n "$h" ip link add "b$t$i" type bridge
		n "$h" ip link set "b$t$i" up
	done
	n "$h" ip link set vnv master "bv$i" up
	n "$h" ip link set vxx master "bx$i" up
	n "$h" bridge fdb append 00:00:00:00:00:00 dev vnv dst "192.0.2.$o"
	n "$h" bridge fdb append 00:00:00:00:00:00 dev vxx dst "192.0.2.$o"
	guest "${P}g${i}v" "$h" "bv$i" "198.51.100.$i/24"
	guest "${P}g${i}x" "$h" "bx$i" "203.0.113.$i/24"
	guest "${P}g${i}p" "$h" - "192.0.2.$((10 + i))/24"
done
for c in v:198.51.100.2 x:203.0.113.2 p:192.0.2.12; do
	for ((i = 0; i < 100; i++)); do
		n "${P}g1${c%%:*}" ping -c 1 -W 1 "${c#*:}" >/dev/null 2>&1 && break
		sleep 0.1
	done
	n "${P}g2${c%%:*}" iperf3 -s -D -B "${c#*:}" >/dev/null
done
sleep 0.5 # iperf3 -D returns before it listens: one retry below covers it

# mbps CASE DST: one iperf3 run's receiver rate, first second omitted
mbps() {
	local out
	out=$(n "${P}g1$1" iperf3 -c "$2" -t "$((SECS + 1))" -O 1 -J 2>/dev/null) ||
		out=$(n "${P}g1$1" iperf3 -c "$2" -t "$((SECS + 1))" -O 1 -J)
	python3 -c 'import json,sys; print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' <<<"$out"
}
V=() X=() L=() RX=() RP=()
for ((r = 0; r < ROUNDS; r++)); do
	v=$(mbps v 198.51.100.2) x=$(mbps x 203.0.113.2) p=$(mbps p 192.0.2.12)
	V+=("$v") X+=("$x") L+=("$p")
	RX+=("$(echo "scale=3; $v / $x" | bc)") RP+=("$(echo "scale=3; $v / $p" | bc)")
	echo "round $r: vnet $v vxlan $x plain $p Mbit/s" >&2
done
echo "RESULT case=tcp vnet_mbps=$(median "${V[@]}") vxlan_mbps=$(median "${X[@]}") plain_mbps=$(median "${L[@]}")" \
	"vnet_vxlan=$(median "${RX[@]}") vnet_plain=$(median "${RP[@]}")"
