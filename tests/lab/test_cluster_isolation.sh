#!/bin/bash
# Isolation between vnets (issue #4): vnets 97 and 98 span the same two
# hosts, with domains whose addresses share one IP subnet, so that any leak
# between the vnets would be answered or captured.
#
#   d1 198.51.100.1 (97)  d3 198.51.100.3 (98)     d2 198.51.100.2 (97)  d4 198.51.100.4 (98)
#        |                    |                         |                    |
#   [vnet97]-vnif97    [vnet98]-vnif98             [vnet97]-vnif97    [vnet98]-vnif98
#                 h1 192.0.2.1 ------- sw0 ------- 192.0.2.2 h2
#
# 97<->97 and 98<->98 work; 98 never reaches 97; a capture inside the 98
# domains while the 97 domains ping, broadcast and flood unknown unicast
# holds no frame from a 97 MAC (and does hold the other 98 domain's frames).
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
M1=00:16:3e:00:97:01 M2=00:16:3e:00:97:02 M3=00:16:3e:00:98:03 M4=00:16:3e:00:98:04

lab_step "vnets 97 and 98 on both hosts, one domain of each per host"
lc_key
lab_switch
lc_host 1
lc_host 2
for h in 1 2; do
	xs $h write /vnet/97/bridge vnet97 /vnet/98/bridge vnet98
done
for h in 1 2; do
	lab_vnet_up $h 97
	lab_vnet_up $h 98
	lc_wait_control $h
done
[ "$(lab_count_tunnels 1 97 151)" = 1 ] && [ "$(lab_count_tunnels 1 98 152)" = 1 ] ||
	lab_fail "h1: tunnels of vnets 97/98 (VNIs 151/152) not one each"
lab_domain 1 1 198.51.100.1 $M1 vnet97
lab_domain 1 3 198.51.100.3 $M3 vnet98
lab_domain 2 2 198.51.100.2 $M2 vnet97
lab_domain 2 4 198.51.100.4 $M4 vnet98
lc_wait_fdb 1 $M2 192.0.2.2 5 vnif97
lc_wait_fdb 1 $M4 192.0.2.2 5 vnif98
lc_wait_fdb 2 $M1 192.0.2.1 5 vnif97
lc_wait_fdb 2 $M3 192.0.2.1 5 vnif98

lab_step "each MAC is announced into its own vnet only"
for h in 1 2; do
	for m in $M1 $M2; do
		lc_fdb $h vnif98 | grep -q "^$m " && lab_fail "h$h: 97's $m in vnif98's FDB"
		bridge -n "${LAB_PREFIX}h$h" fdb show br vnet98 | grep -q "^$m " && lab_fail "h$h: 97's $m in vnet98's FDB"
	done
	for m in $M3 $M4; do
		lc_fdb $h vnif97 | grep -q "^$m " && lab_fail "h$h: 98's $m in vnif97's FDB"
	done
	lc_vn $h varp 98 | grep -qE "$M1|$M2" && lab_fail "h$h: vn varp 98 lists a 97 MAC"
done

lab_step "97<->97 and 98<->98 work"
lab_ping 1 198.51.100.2 3
lab_ping 3 198.51.100.4 3
lab_ping 4 198.51.100.3 2
lab_ping 2 198.51.100.1 2

lab_step "98 cannot reach 97 (same IP subnet)"
for pair in "3 198.51.100.1" "3 198.51.100.2" "4 198.51.100.1" "4 198.51.100.2" "1 198.51.100.4" "2 198.51.100.3"; do
	set -- $pair
	! ip netns exec "${LAB_PREFIX}d$1" ping -n -q -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1 ||
		lab_fail "d$1 reaches $2 across vnets"
done
# The neighbour tables of the 98 domains never resolved a 97 address.
for d in 3 4; do
	ip -n "${LAB_PREFIX}d$d" neigh show | grep -qiE "$M1|$M2" && lab_fail "d$d resolved a 97 MAC: $(ip -n "${LAB_PREFIX}d$d" neigh show)"
done

lab_step "capture inside every domain while both vnets send broadcast, unknown unicast and pings"
for d in 1 2 3 4; do
	ip netns exec "${LAB_PREFIX}d$d" tcpdump -i eth0 -e -n -U --immediate-mode -B 8192 -w "$LAB_DIR/d$d.pcap" 2>"$LAB_DIR/d$d.tcpdump" &
	LAB_PIDS+=($!)
	eval "cap$d=$!"
done
for d in 1 2 3 4; do
	lab_wait 5 "tcpdump in d$d" grep -q listening "$LAB_DIR/d$d.tcpdump" || lab_fail "tcpdump in d$d did not start"
done
# N raw frames from domain D: broadcast and unknown unicast (flooded), a
# payload naming the sender so a leak is recognisable.
raw_frames() {
	ip netns exec "${LAB_PREFIX}d$1" python3 - "$2" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
src = s.getsockname()[4]
for i in range(int(sys.argv[1])):
    for dst in (b"\xff" * 6, bytes.fromhex("02aabbccdd%02x" % (i % 256))):
        s.send(dst + src + b"\x88\xb5" + ("xenvnet-leak-test from d%s #%d" % (sys.argv[2], i)).encode().ljust(46, b"."))
        time.sleep(0.001)  # paced: the captures must not drop any
PY
}
for d in 1 2; do
	raw_frames $d 50
	ip netns exec "${LAB_PREFIX}d$d" ping -n -q -b -c 3 -i 0.2 -W 1 198.51.100.255 >/dev/null 2>&1 || true
	ip netns exec "${LAB_PREFIX}d$d" ping -n -q -c 2 -i 0.2 -W 1 198.51.100.77 >/dev/null 2>&1 || true   # ARP for nobody
done
lab_ping 1 198.51.100.2 5
raw_frames 3 5
raw_frames 4 5
sleep 1 # let the last frames reach every capture
for d in 1 2 3 4; do
	eval "kill -INT \$cap$d"
	eval "wait \$cap$d" || true
done
# A capture that dropped frames could miss a leak.
for d in 1 2 3 4; do
	grep -q '^0 packets dropped by kernel' "$LAB_DIR/d$d.tcpdump" ||
		lab_fail "the capture in d$d dropped frames: $(tr '\n' ' ' <"$LAB_DIR/d$d.tcpdump")"
done
count() { # count PCAP FILTER: frames (not the hex lines of unknown types)
	tcpdump -r "$1" -n -e "${@:2}" 2>/dev/null | grep -cv '^[[:space:]]' || true
}
for d in 3 4; do
	leak=$(count "$LAB_DIR/d$d.pcap" ether src $M1 or ether src $M2)
	[ "$leak" = 0 ] || lab_fail "d$d (vnet 98) captured $leak frames from 97's domains: $(tcpdump -r "$LAB_DIR/d$d.pcap" -n -e ether src $M1 or ether src $M2 2>/dev/null | head -5)"
	grep -qa "from d[12] " "$LAB_DIR/d$d.pcap" && lab_fail "d$d captured a 97 payload"
	other=$((7 - d))
	seen=$(count "$LAB_DIR/d$d.pcap" ether src "$( ((d == 3)) && echo "$M4" || echo "$M3")")
	((seen >= 5)) || lab_fail "d$d captured only $seen frames from d$other: the capture does not work"
	lab_log "d$d (98): 0 frames from 97, $seen from d$other"
done
# Positive control: the 97 traffic did cross to the other 97 domain.
seen=$(count "$LAB_DIR/d2.pcap" ether src $M1 and ether proto 0x88b5)
((seen == 100)) || lab_fail "d2 captured only $seen of d1's 100 raw frames"
for d in 1 2; do
	leak=$(count "$LAB_DIR/d$d.pcap" ether src $M3 or ether src $M4)
	[ "$leak" = 0 ] || lab_fail "d$d (vnet 97) captured $leak frames from 98's domains"
done
lab_log "d2 (97): $seen raw frames from d1; isolation ok"
