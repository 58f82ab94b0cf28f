#!/bin/bash
# kmod/tests/netns.sh BUILD_DIR: vnet.ko between network namespaces, in the
# style of WireGuard's tests/netns.sh.  Needs a kernel that loads modules:
# it runs in the emulated hosts (tests/vm/run.sh BUILD -- kmod/tests/netns.sh)
# and loads BUILD_DIR/kmod/$(uname -r)/vnet.ko (make kmod), or the
# installed module.  Skips where modules cannot be loaded.
#
#                 $w: bridge br0 (the underlay LAN)
#        +-----------------+-----------------+
#   h1 eth0 192.0.2.1   h2 eth0 192.0.2.2   h3 eth0 192.0.2.3
#        2001:db8::1         2001:db8::2
#   vnet links in h1..h3, inner addresses 198.51.100.N (vnet 97),
#   203.0.113.N (IPv6 underlay, isolation)
set -e
BUILD=${1:-build-san}
KO=$BUILD/kmod/$(uname -r)/vnet.ko
P=vnt$$-
w=${P}w h1=${P}h1 h2=${P}h2 h3=${P}h3
ID97=0000:0000:0000:0000:0000:0000:0000:0097
# two ids that differ only in their high 64 bits
IDA=0000:0000:0000:000a:0000:0000:0000:0042
IDB=0000:0000:0000:000b:0000:0000:0000:0042
ZERO=00:00:00:00:00:00
VNETLINK=$BUILD/kmod/vnetlink

pp() { printf '  %s\n' "$*"; }
step() { printf '== %s\n' "$*"; }
die() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
n() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
# vl NS add NAME ...: a vnet link, quiet (no IPv6 on it: the counters
# then see only what the test sends)
vl() {
	local ns=$1
	shift
	ip netns exec "$ns" "$VNETLINK" "$@" || return
	[ "$1" != add ] || ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
}
counter() { n "$1" cat "/sys/class/net/$2/vnet/$3"; }
st() { n "$1" cat "/sys/class/net/$2/statistics/$3"; }
# Poll a condition (no fixed sleeps): up to $T tenths of a second.
waitfor() {
	local i
	for ((i = 0; i < ${T:-150}; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
pings() { n "$1" ping -n -q -c 1 -W 1 "$2" >/dev/null 2>&1; }
ping_ok() { waitfor pings "$1" "$2" || die "$1 cannot ping $2"; }
ping_fails() { ! n "$1" ping -n -q -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1 || die "$1 reaches $2"; }
mod_load() {
	local deps
	if [ -f "$KO" ]; then
		deps=$(modinfo -F depends "$KO" | tr , ' ')
		for m in $deps; do [ -d "/sys/module/$m" ] || modprobe "$m" || return; done
		insmod "$KO" "$@"
	else
		modprobe vnet "$@"
	fi
}
mod_loaded() { [ -d /sys/module/vnet ]; }
mod_unload() { ! mod_loaded || rmmod vnet; }

cleanup() {
	set +e
	for ns in ${P}gp $h1 $h2 $h3 $w; do ip netns del "$ns" 2>/dev/null; done
	ip link del "vntdummy$$" 2>/dev/null
	mod_unload 2>/dev/null
}
trap cleanup EXIT

if [ ! -f "$KO" ] && ! modinfo vnet >/dev/null 2>&1; then
	echo "SKIP: no vnet.ko for $(uname -r) (make kmod)"
	exit 0
fi
[ -x "$VNETLINK" ] || die "no $VNETLINK (make all)"
mod_unload
err=$(mod_load 2>&1) || {
	echo "SKIP: this kernel does not load modules: $err"
	exit 0
}

step "underlay: three hosts on one bridge"
ip netns add "$w"
n "$w" ip link add br0 type bridge
n "$w" ip link set br0 up
i=0
for h in $h1 $h2 $h3; do
	i=$((i + 1))
	ip netns add "$h"
	n "$h" ip link set lo up
	ip link add eth0 netns "$h" type veth peer name "p$i" netns "$w"
	n "$w" ip link set "p$i" master br0 up
	n "$h" ip addr add "192.0.2.$i/24" dev eth0
	n "$h" ip addr add "2001:db8::$i/64" dev eth0 nodad
	n "$h" ip link set eth0 up
done
ping_ok "$h1" 192.0.2.2

step "a vnet link: attributes read back, the underlay's mtu"
for i in 1 2 3; do
	h=${P}h$i
	vl "$h" add vn97 id "$ID97" local "192.0.2.$i" dev eth0 learning on
	n "$h" ip link set vn97 address "02:00:00:00:97:0$i"
	n "$h" ip addr add "198.51.100.$i/24" dev vn97
	n "$h" ip link set vn97 up
done
got=$(vl "$h1" show vn97)
[ "$got" = "id $ID97 port 1798 local 192.0.2.1 link 2 ttl 0 learning on" ] ||
	[[ $got == "id $ID97 port 1798 local 192.0.2.1 link "*" ttl 0 learning on" ]] || die "show: $got"
mtu=$(n "$h1" cat /sys/class/net/vn97/mtu)
[ "$mtu" = 1500 ] || die "mtu $mtu, not the underlay's 1500"
[ "$(n "$h1" cat /sys/class/net/vn97/vnet/id)" = 00000000000000000000000000000097 ] || die "sysfs id"
[ "$(n "$h1" cat /sys/class/net/vn97/vnet/local)" = 192.0.2.1 ] || die "sysfs local"
if vl "$h1" add vn97b id "$ID97" 2>/dev/null; then die "a second link with the same id was accepted"; fi

step "no FDB entry: frames are dropped and counted"
before=$(counter "$h1" vn97 tx_no_fdb)
ping_fails "$h1" 198.51.100.2
[ "$(counter "$h1" vn97 tx_no_fdb)" -gt "$before" ] || die "tx_no_fdb did not count"

step "bridge fdb: the all-zero entry floods, ping across"
n "$h1" bridge fdb append $ZERO dev vn97 dst 192.0.2.2
n "$h2" bridge fdb append $ZERO dev vn97 dst 192.0.2.1
ping_ok "$h1" 198.51.100.2
n "$h1" bridge fdb show dev vn97 | grep -q "^$ZERO dst 192.0.2.2 self permanent" ||
	die "fdb show: $(n "$h1" bridge fdb show dev vn97)"
# h2 learned h1's MAC from the frames, with h1's underlay address
n "$h2" bridge fdb show dev vn97 | grep -q "^02:00:00:00:97:01 dst 192.0.2.1 self" ||
	die "h2 did not learn: $(n "$h2" bridge fdb show dev vn97)"

step "head-end replication: a broadcast reaches every host on the zero entry"
n "$h1" bridge fdb append $ZERO dev vn97 dst 192.0.2.3
n "$h3" bridge fdb append $ZERO dev vn97 dst 192.0.2.1
r2=$(st "$h2" vn97 rx_packets) r3=$(st "$h3" vn97 rx_packets)
n "$h1" ip neigh flush dev vn97
ping_fails "$h1" 198.51.100.99 # ARP for nobody: broadcasts only
[ "$(st "$h2" vn97 rx_packets)" -gt "$r2" ] || die "h2 got no broadcast"
[ "$(st "$h3" vn97 rx_packets)" -gt "$r3" ] || die "h3 got no broadcast"
ping_ok "$h1" 198.51.100.3
n "$h1" bridge fdb del $ZERO dev vn97 dst 192.0.2.3
n "$h1" bridge fdb show dev vn97 | grep -q "^$ZERO dst 192.0.2.3" && die "zero entry to h3 not deleted"
n "$h1" bridge fdb show dev vn97 | grep -q "^$ZERO dst 192.0.2.2" || die "the del took h2's zero entry too"
n "$h3" ip neigh flush dev vn97
n "$h1" bridge fdb del 02:00:00:00:97:03 dev vn97 # learned
r3=$(st "$h3" vn97 rx_packets)
n "$h1" ip neigh flush dev vn97
ping_fails "$h1" 198.51.100.98
[ "$(st "$h3" vn97 rx_packets)" = "$r3" ] || die "h3 still gets floods"

step "a static entry steers unicast; replace moves it"
n "$h1" ip neigh replace 198.51.100.3 lladdr 02:00:00:00:97:03 dev vn97
n "$h1" bridge fdb add 02:00:00:00:97:03 dev vn97 dst 192.0.2.3
ping_ok "$h1" 198.51.100.3
n "$h1" bridge fdb replace 02:00:00:00:97:03 dev vn97 dst 192.0.2.2
n "$h1" bridge fdb show dev vn97 | grep -q "^02:00:00:00:97:03 dst 192.0.2.2 self permanent" ||
	die "replace: $(n "$h1" bridge fdb show dev vn97)"
ping_fails "$h1" 198.51.100.3
n "$h1" bridge fdb del 02:00:00:00:97:03 dev vn97
if n "$h1" bridge fdb add 02:00:00:00:97:03 dev vn97 dst 2001:db8::3 2>/dev/null; then
	die "an IPv6 dst on an IPv4 vnet was accepted"
fi

step "full-size frames: a bridged guest's DF ones get mtu 1438, the rest go in fragments"
# h1: guest gp (MTU 1500) on bridge brp with vnp; h2: vnp with an address.
gp=${P}gp
ip netns add "$gp"
ip link add eth0 netns "$gp" type veth peer name gp netns "$h1"
n "$h1" ip link add brp type bridge
n "$h1" ip link set gp master brp up
vl "$h1" add vnp id 0000:0000:0000:0000:0000:0000:0000:009a local 192.0.2.1 dev eth0
vl "$h2" add vnp id 0000:0000:0000:0000:0000:0000:0000:009a local 192.0.2.2 dev eth0
n "$h1" ip link set vnp master brp up
n "$h1" ip link set brp up
n "$h2" ip addr add 198.51.100.162/28 dev vnp
n "$h2" ip link set vnp up
n "$gp" ip addr add 198.51.100.161/28 dev eth0
n "$gp" ip link set eth0 up
n "$h1" bridge fdb append $ZERO dev vnp dst 192.0.2.2
n "$h2" bridge fdb append $ZERO dev vnp dst 192.0.2.1
ping_ok "$gp" 198.51.100.162
big=$(counter "$h1" vnp tx_too_big)
# dfping NS DF SIZE DST: one ping (-M DF) and its output; fails as ping does
dfping() { n "$1" ping -n -c 1 -W 2 -M "$2" -s "$3" "$4" 2>&1; }
out=$(dfping "$gp" "do" 1472 198.51.100.162) && die "a 1500-byte DF frame crossed: $out"
[[ $out == *"mtu = 1438"* ]] || die "no frag-needed with mtu 1438: $out"
[ "$(counter "$h1" vnp tx_too_big)" -gt "$big" ] || die "tx_too_big did not count"
out=$(n "$gp" ip route get 198.51.100.162)
[[ $out == *"mtu 1438"* ]] || die "the guest keeps no PMTU: $out"
dfping "$gp" "do" 1410 198.51.100.162 >/dev/null || die "1438-byte DF frames lost"
dfping "$gp" dont 1472 198.51.100.162 >/dev/null || die "1500-byte frames without DF lost"
# h2's vnp is no bridge port: its own DF traffic gets the route's PMTU
dfping "$h2" "do" 1472 198.51.100.161 >/dev/null || true
out=$(n "$h2" ip route get 198.51.100.161)
[[ $out == *"mtu 1438"* ]] || die "h2 keeps no PMTU: $out"

step "a multicast group carries broadcasts, no FDB programming"
for i in 1 2; do
	h=${P}h$i
	vl "$h" add vng id 0000:0000:0000:0000:0000:0000:0000:0098 local "192.0.2.$i" group 239.1.2.3 dev eth0
	n "$h" ip addr add "198.51.100.$((128 + i))/25" dev vng
	n "$h" ip link set vng up
	n "$h" ip route add 198.51.100.128/25 dev vng 2>/dev/null || true
done
n "$h1" bridge fdb show dev vng | grep -q "^$ZERO dst 239.1.2.3 self permanent" || die "no group entry"
ping_ok "$h1" 198.51.100.130

step "IPv6 underlay"
for i in 1 2; do
	h=${P}h$i
	vl "$h" add vn6 id 0000:0000:0000:0000:0000:0000:0000:0099 local "2001:db8::$i" dev eth0
	n "$h" ip addr add "203.0.113.$i/28" dev vn6
	n "$h" ip link set vn6 up
done
n "$h1" bridge fdb append $ZERO dev vn6 dst 2001:db8::2
n "$h2" bridge fdb append $ZERO dev vn6 dst 2001:db8::1
[ "$(n "$h1" cat /sys/class/net/vn6/mtu)" = 1500 ] || die "IPv6 link mtu is not the underlay's"
[ "$(n "$h1" cat /sys/class/net/vn6/vnet/local)" = 2001:db8::1 ] || die "sysfs local (IPv6)"
ping_ok "$h1" 203.0.113.2
n "$h2" bridge fdb show dev vn6 | grep -q "dst 2001:db8::1 self" || die "no IPv6 learning"

step "ids that differ only in the high 64 bits stay apart; unknown ids are counted"
vl "$h1" add vna id "$IDA" local 192.0.2.1 dev eth0 up
vl "$h2" add vnb id "$IDB" local 192.0.2.2 dev eth0 up
n "$h1" ip addr add 203.0.113.17/28 dev vna
n "$h2" ip addr add 203.0.113.18/28 dev vnb
n "$h1" bridge fdb append $ZERO dev vna dst 192.0.2.2
n "$h2" bridge fdb append $ZERO dev vnb dst 192.0.2.1
u=$(counter "$h2" vnb rx_unknown_id) rb=$(st "$h2" vnb rx_packets)
ping_fails "$h1" 203.0.113.18
[ "$(counter "$h2" vnb rx_unknown_id)" -gt "$u" ] || die "unknown id not counted"
[ "$(st "$h2" vnb rx_packets)" = "$rb" ] || die "vnet B received vnet A's frames"
# the same id on both sides: it passes
n "$h2" ip link del vnb
vl "$h2" add vna id "$IDA" local 192.0.2.2 dev eth0 up
n "$h2" ip addr add 203.0.113.18/28 dev vna
n "$h2" bridge fdb append $ZERO dev vna dst 192.0.2.1
ping_ok "$h1" 203.0.113.18

step "bad headers and random payloads at port 1798: dropped, counted, no leak"
slab() { awk '$1 == "skbuff_head_cache" { print $2 }' /proc/slabinfo; }
s0=$(slab) bad=$(counter "$h2" vn97 rx_bad_header) u=$(counter "$h2" vn97 rx_unknown_id)
n "$h1" python3 - <<'EOF'
import os, random, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
hdr = bytes([1, 0, 0x65, 0x58])
for i in range(3000):
    n = random.randrange(0, 200)
    p = os.urandom(n)
    if i % 3 == 1:   # a valid header, a random id, random rest
        p = hdr + os.urandom(16) + p
    elif i % 3 == 2: # version 2
        p = bytes([2, 0, 0x65, 0x58]) + bytes(15) + b"\x97" + p
    s.sendto(p, ("192.0.2.2", 1798))
for n in range(0, 34): # every short length
    s.sendto(hdr + bytes(16) + bytes(max(0, n - 20)), ("192.0.2.2", 1798))
EOF
waitfor test "$(counter "$h2" vn97 rx_bad_header)" -ge $((bad + 1000)) ||
	die "rx_bad_header $(counter "$h2" vn97 rx_bad_header), was $bad"
[ "$(counter "$h2" vn97 rx_unknown_id)" -gt "$((u + 500))" ] || die "random ids not counted as unknown"
ping_ok "$h1" 198.51.100.2
s1=$(slab)
pp "skbuff_head_cache objects: $s0 before, $s1 after"
[ "$s1" -le $((s0 + 512)) ] || die "skbs leaked: $s0 -> $s1"

RELOADS=${VNET_RELOADS:-50}
step "unload with links up removes them; reload works ($RELOADS times)"
mod_unload
for h in $h1 $h2 $h3; do
	if n "$h" ip link show vn97 >/dev/null 2>&1; then die "vn97 outlived the module in $h"; fi
done
# The test interfaces join 224.10.0.1 when up: they need a route to it.
ip link add vntdummy$$ type dummy
ip addr add 192.0.2.200/24 dev vntdummy$$
ip link set vntdummy$$ up
ip route add 224.0.0.0/4 dev vntdummy$$
# Each round: the test interfaces up with an FDB entry; every tenth, a
# link in a namespace with traffic too.  Cheap commands: emulation is slow.
for ((i = 0; i < RELOADS; i++)); do
	t0=$EPOCHREALTIME
	mod_load test_ifaces=1
	ip link set vnif0002 up
	ip link set vnif0003 up
	bridge fdb append $ZERO dev vnif0003 dst 192.0.2.9
	if ((i % 10 == 0)); then
		vl "$h1" add vx id "$ID97" local 192.0.2.1 dev eth0 up
		n "$h1" bridge fdb append $ZERO dev vx dst 192.0.2.2
		n "$h1" ip addr add 198.51.100.1/24 dev vx
		n "$h1" ping -c 1 -W 0.2 198.51.100.2 >/dev/null 2>&1 || true
	fi
	mod_unload
	[ "$i" -gt 0 ] || pp "one round: $(echo "$EPOCHREALTIME - $t0" | bc)s"
done
if n "$h1" ip link show vx >/dev/null 2>&1 || ip link show vnif0002 >/dev/null 2>&1; then
	die "links outlived the module"
fi
if grep -q "^vnet " /proc/modules; then die "module still listed"; fi

step "test_ifaces=1 creates vnif0002-vnif0004; without it there are none"
mod_load test_ifaces=1
for i in 2 3 4; do ip link show "vnif000$i" >/dev/null || die "no vnif000$i"; done
mod_unload
if ip link show vnif0002 >/dev/null 2>&1; then die "vnif0002 outlived the module"; fi
mod_load
ip link show vnif0002 >/dev/null 2>&1 && die "vnif0002 without test_ifaces"
pp "all ok"
