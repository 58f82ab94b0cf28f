#!/bin/bash
# kmod/tests/bench.sh BUILD_DIR: guest-to-guest TCP (iperf3) over vnet.ko,
# over the kernel's VXLAN and over plain L2 (no tunnel), in one run, in
# network namespaces; needs module loading (scripts/run-bench.sh runs it
# in the emulated hosts: tests/vm/run.sh BUILD --cmd ...).
#
#   gNv --[bvN]-- vnv (vnet.ko, id 97)   \
#   gNx --[bxN]-- vxx (vxlan, VNI 151)    >  hN eth0 192.0.2.N -- w:br0
#   gNp --[bpN]-- hN eth1 (no tunnel) ------------------------- w:br1
#   gNw ------------------------------------------------------- w:br0
#
# Plain L2 (p) is the same path as the tunnels' without the tunnel: the
# guest on its host's bridge, whose uplink is the host's wire (as a Xen
# guest bridged onto the host's NIC); br1, not br0, so that the hosts'
# two links on one wire do not answer each other's ARP.  "wire" (w) is
# the guests straight on the wire, no host bridge and no uplink: shown,
# not a target (any host's guest crosses its host's bridge).
#
# Every guest has MTU 1400, so all carry the same frames.  The cases are
# measured in turn, BENCH_ROUNDS (9) x BENCH_SECS (2 s) each, first second
# omitted, each round starting with the next case; ratios are per round,
# then their median (rounds vary by 2x under emulation on a shared
# machine: many short rounds, not a few long ones).  Prints
#   RESULT case=tcp vnet_mbps=.. vxlan_mbps=.. plain_mbps=.. wire_mbps=..
#     vnet_vxlan=.. vnet_plain=.. vnet_wire=..
set -e
BUILD=${1:-build-san}
KO=$BUILD/kmod/$(uname -r)/vnet.ko
VNETLINK=$BUILD/kmod/vnetlink
ROUNDS=${BENCH_ROUNDS:-9}
SECS=${BENCH_SECS:-2}
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
n "$w" ip link add br1 type bridge
n "$w" ip link set br1 up
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
	ip link add eth1 netns "$h" type veth peer name "q$i" netns "$w"
	n "$w" ip link set "q$i" master br1 up
	for t in v x p; do
		n "$h" ip link add "b$t$i" type bridge
		n "$h" ip link set "b$t$i" up
	done
	n "$h" ip link set vnv master "bv$i" up
	n "$h" ip link set vxx master "bx$i" up
	n "$h" ip link set eth1 master "bp$i" up
	n "$h" bridge fdb append 00:00:00:00:00:00 dev vnv dst "192.0.2.$o"
	n "$h" bridge fdb append 00:00:00:00:00:00 dev vxx dst "192.0.2.$o"
	guest "${P}g${i}v" "$h" "bv$i" "198.51.100.$i/24"
	guest "${P}g${i}x" "$h" "bx$i" "203.0.113.$i/24"
	guest "${P}g${i}p" "$h" "bp$i" "192.0.2.$((10 + i))/24"
	guest "${P}g${i}w" "$h" - "192.0.2.$((20 + i))/24"
done
declare -A DST=([v]=198.51.100.2 [x]=203.0.113.2 [p]=192.0.2.12 [w]=192.0.2.22)
ORDER=(v x p w)
for c in "${ORDER[@]}"; do
	for ((i = 0; i < 100; i++)); do
		n "${P}g1$c" ping -c 1 -W 1 "${DST[$c]}" >/dev/null 2>&1 && break
		sleep 0.1
	done
	n "${P}g2$c" iperf3 -s -D -B "${DST[$c]}" >/dev/null
done
sleep 0.5 # iperf3 -D returns before it listens: one retry below covers it

# mbps CASE DST: one iperf3 run's receiver rate, first second omitted
mbps() {
	local out
	out=$(n "${P}g1$1" iperf3 -c "$2" -t "$((SECS + 1))" -O 1 -J 2>/dev/null) ||
		out=$(n "${P}g1$1" iperf3 -c "$2" -t "$((SECS + 1))" -O 1 -J)
	python3 -c 'import json,sys; print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' <<<"$out"
}
declare -A M
V=() X=() L=() W=() RX=() RP=() RW=()
for ((r = 0; r < ROUNDS; r++)); do
	# each round starts with another case: none always runs first
	for ((k = 0; k < ${#ORDER[@]}; k++)); do
		c=${ORDER[(r + k) % ${#ORDER[@]}]}
		M[$c]=$(mbps "$c" "${DST[$c]}")
	done
	v=${M[v]} x=${M[x]} p=${M[p]} ww=${M[w]}
	V+=("$v") X+=("$x") L+=("$p") W+=("$ww")
	RX+=("$(echo "scale=3; $v / $x" | bc)") RP+=("$(echo "scale=3; $v / $p" | bc)")
	RW+=("$(echo "scale=3; $v / $ww" | bc)")
	echo "round $r: vnet $v vxlan $x plain $p wire $ww Mbit/s" >&2
done
echo "RESULT case=tcp vnet_mbps=$(median "${V[@]}") vxlan_mbps=$(median "${X[@]}") plain_mbps=$(median "${L[@]}")" \
	"wire_mbps=$(median "${W[@]}") vnet_vxlan=$(median "${RX[@]}") vnet_plain=$(median "${RP[@]}") vnet_wire=$(median "${RW[@]}")"
