# shellcheck shell=bash
# tests/lab/lib_esp.sh - helpers of the security-level (ESP) lab tests, on
# top of lib_cluster.sh.  These tests need a kernel with ESP (esp4,
# xfrm_user, the AES-GCM and HMAC-SHA-256 transforms): Debian's, in the
# VM of tests/vm; elsewhere they SKIP.
# shellcheck source=tests/lab/lib_cluster.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_cluster.sh"

# esp_need_kernel: SKIP (exit 0) unless this kernel takes both transforms.
# Probed with ip xfrm in a throw-away namespace (the test's tool, not the
# daemon's: the daemon programs XFRM over netlink).
esp_need_kernel() {
	local why=""
	lab_ns espprobe espprobe
	espprobe ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 mode transport \
		aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128 >/dev/null 2>&1 ||
		why="rfc4106(gcm(aes))"
	espprobe ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x101 mode transport \
		auth-trunc 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f 128 \
		enc 'ecb(cipher_null)' '' >/dev/null 2>&1 || why="$why hmac(sha256)"
	if [ -n "$why" ]; then
		echo "SKIP: this kernel has no ESP with $why (run it in the VM: tests/vm)"
		exit 0
	fi
	ip netns del "${LAB_PREFIX}espprobe"
	unset 'LAB_NETNS[-1]'
}

# esp_stat N NAME: a counter of host N's /proc/net/xfrm_stat (0 if absent).
esp_stat() {
	ip netns exec "${LAB_PREFIX}h$1" awk -v n="$2" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }' \
		/proc/net/xfrm_stat
}

# esp_sa_count N: SAs in host N's kernel.
esp_sa_count() {
	ip netns exec "${LAB_PREFIX}h$1" ip xfrm state | grep -c '^src ' || true
}

# esp_capture NAME NS DEV [FILTER]: tcpdump on DEV in namespace NS into
# $LAB_DIR/NAME.pcap, started and listening when this returns.
esp_capture() {
	local name=$1 ns=$2 dev=$3
	shift 3
	lab_bg "$ns" tcpdump -Z root -i "$dev" -U -n -s 0 -w "$LAB_DIR/$name.pcap" "$@" 2>"$LAB_DIR/$name.err"
	ESP_CAP[$name]=$LAB_BG
	lab_wait 10 "tcpdump $name listening" grep -q 'listening on' "$LAB_DIR/$name.err" ||
		lab_fail "tcpdump $name did not start: $(cat "$LAB_DIR/$name.err")"
}
declare -gA ESP_CAP=()

# esp_capture_stop NAME: stop it (the file is complete afterwards).
esp_capture_stop() {
	local pid=${ESP_CAP[$1]}
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "ESP_CAP[$1]"
}

# esp_pcap_count NAME FILTER: packets of the capture matching FILTER.
esp_pcap_count() {
	local out
	out=$(tcpdump -Z root -r "$LAB_DIR/$1.pcap" -n "$2" 2>"$LAB_DIR/$1.read.err") ||
		lab_fail "tcpdump cannot read $1.pcap: $(cat "$LAB_DIR/$1.read.err")"
	[ -z "$out" ] && echo 0 || echo "$out" | wc -l
}

# esp_pcap_has NAME STRING: STRING appears in some packet's raw bytes.
esp_pcap_has() {
	grep -q -a -F "$2" "$LAB_DIR/$1.pcap"
}

# esp_udp_send DOMNS DST PORT TEXT [broadcast]: one UDP datagram from a domain.
esp_udp_send() {
	ip netns exec "$(lab_dom_ns "$1")" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
for _ in range(3):
    s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
' "$2" "$3" "$4"
}

# esp_forge NS DST PORT VNI TEXT: a hand-made VXLAN frame (what a host
# without the key can send): a broadcast UDP frame from MAC
# 00:16:3e:66:66:66 carrying TEXT, to DST:PORT, from namespace NS.
esp_forge() {
	ip netns exec "$LAB_PREFIX$1" python3 -c '
import socket, struct, sys
dst, port, vni, text = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
udp = struct.pack("!HHHH", 9, 9, 8 + len(text), 0) + text
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                 socket.inet_aton("198.51.100.66"), socket.inet_aton("198.51.100.255"))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
eth = bytes.fromhex("ffffffffffff" "00163e666666" "0800") + ip + udp
vx = struct.pack("!II", 0x08000000, vni << 8) + eth
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(5):
    s.sendto(vx, (dst, port))
' "$2" "$3" "$4" "$5"
}

# esp_dump N: host N's XFRM state, policies, counters and secured FDBs,
# for a failure message.
esp_dump() {
	local ns=${LAB_PREFIX}h$1
	echo "----- h$1: xfrm -----"
	ip -n "$ns" xfrm policy 2>&1 | grep -E '^src|dir|tmpl|proto esp' | paste -sd ' ' | sed 's/src /\nsrc /g'
	ip -n "$ns" -s xfrm state 2>&1 | grep -E '^src|proto esp|replay-window|^\s+[0-9]+\(bytes\)' | paste -sd ' ' | sed 's/src /\nsrc /g'
	ip netns exec "$ns" awk '$2 != 0' /proc/net/xfrm_stat
	for d in vnif98 vnif99; do
		echo "fdb $d: $(ip netns exec "$ns" bridge fdb show dev $d 2>&1 | tr '\n' ';')"
	done
}

# esp_out_spis N PEER: the SPIs of host N's SAs towards PEER, sorted.
esp_out_spis() {
	ip netns exec "${LAB_PREFIX}h$1" ip xfrm state list src "$(lc_addr "$1")" dst "$2" |
		grep -o 'spi 0x[0-9a-f]*' | sort | tr '\n' ' '
}

# esp_epochs N: key epochs host N's daemon has moved to (log lines).
esp_epochs() {
	grep -c 'esp: key epoch' "$LAB_DIR/h$1/daemon.log" || true
}

# esp_ping_gaps NAME: sequence numbers lab_pinger NAME sent but never got
# an answer for, below the last answered one (the tail in flight when it
# stopped is not a loss).
esp_ping_gaps() {
	awk '/icmp_seq=/ { sub(/.*icmp_seq=/, ""); sub(/ .*/, ""); got[$0] = 1; if ($0 + 0 > max) max = $0 + 0 }
	     END { for (i = 1; i <= max; i++) if (!(i in got)) printf "%d ", i }' "$LAB_DIR/ping.$1"
}

# esp_ping_count NAME: answers lab_pinger NAME got so far.
esp_ping_count() {
	grep -c 'icmp_seq=' "$LAB_DIR/ping.$1" || true
}

# esp_at_least MIN CMD...: CMD's output (a number) is MIN or more; for
# lab_wait, which runs its command again on each try.
esp_at_least() {
	local min=$1
	shift
	[ "$("$@")" -ge "$min" ]
}

# esp_joins N ADDR: how often host N's daemons logged ADDR joining.
esp_joins() {
	grep -c "host $2: joined" "$LAB_DIR/h$1/daemon.log" || true
}

# esp_conf_pair CONF [N]: h1 and h2 (h1..hN) on one switch, daemons with
# the cluster key and the config lines CONF (printf format; hold_s 15
# added: under emulation a loaded daemon can miss HELLOs for 3 s), a conf
# vnet 99 on each with domains d5 198.51.100.5 (h1) and d6 198.51.100.6
# (h2); returns once d5 reaches d6.
esp_conf_pair() {
	local h hosts
	hosts=$(seq 1 "${2:-2}")
	lc_key
	printf '%bhold_s = 15\n' "$1" >"$LAB_DIR/esp.conf"
	LC_DAEMON_ARGS=(-c "$LAB_DIR/esp.conf")
	lab_switch
	for h in $hosts; do lc_host $h; done
	for h in $hosts; do xs $h write /vnet/99/bridge vnet99 /vnet/99/security conf; done
	for h in $hosts; do
		lab_vnet_up $h 99 20
		lc_wait_control $h
	done
	lab_domain 1 5 198.51.100.5 00:16:3e:00:99:05 vnet99
	lab_domain 2 6 198.51.100.6 00:16:3e:00:99:06 vnet99
	lab_wait 20 "d5 reaches d6" d5 ping -n -c 1 -W 1 198.51.100.6 || lab_fail "d5 cannot reach d6 $(esp_dump 1)"
}

# esp_wire_all_esp CAPTURE PORT MIN: the capture holds no clear datagram to
# PORT (a secured level's) and more than MIN ESP packets.
esp_wire_all_esp() {
	local n
	n=$(esp_pcap_count "$1" "udp and port $2")
	[ "$n" = 0 ] || lab_fail "$n clear datagrams to port $2"
	n=$(esp_pcap_count "$1" 'esp')
	[ "$n" -gt "$3" ] || lab_fail "only $n ESP packets captured"
	lab_log "ESP packets on the wire: $n, clear: 0"
}
