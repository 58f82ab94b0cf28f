# shellcheck shell=bash
# tests/lab/lib_dp.sh - data-plane integrity helpers (issue 10): guests
# that send frames with chosen source addresses, counters that see them
# arrive, and readers for the bridge FDB and the vif lock table.
# Sources lib_cluster.sh.

. "$(dirname "${BASH_SOURCE[0]}")/lib_cluster.sh"

# ld_send DOM COUNT SRC_MAC KIND [SRC_IP [DST_IP]]: COUNT broadcast frames
# from domain DOM's eth0 with Ethernet source SRC_MAC, 2 ms apart.  KIND:
#   arp     an ARP request, sender SRC_MAC / SRC_IP, asking for DST_IP
#   arphw   the same with eth0's own MAC as the Ethernet source, SRC_MAC
#           only as the sender hardware address
#   ip      an IPv4 UDP datagram from SRC_IP to DST_IP (port 9)
#   dhcp    a DHCP discover: 0.0.0.0:68 -> 255.255.255.255:67
# A nonzero first byte of the payload is the frame's sequence number.
ld_send() {
	ip netns exec "$(lab_dom_ns "$1")" python3 - "$2" "$3" "$4" "${5:-0.0.0.0}" "${6:-0.0.0.0}" <<'EOF'
import socket, struct, sys, time
count, src, kind, sip, dip = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
mac = lambda m: bytes.fromhex(m.replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
own = s.getsockname()[4]
def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
def ipv4(a, b, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, 17, 0,
                    socket.inet_aton(a), socket.inet_aton(b))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
for i in range(count):
    if kind in ("arp", "arphw"):
        body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac(src), socket.inet_aton(sip),
                           b"\0" * 6, socket.inet_aton(dip))
        f = b"\xff" * 6 + (mac(src) if kind == "arp" else own) + b"\x08\x06" + body
    elif kind == "ip":
        f = b"\xff" * 6 + mac(src) + b"\x08\x00" + ipv4(sip, dip, struct.pack("!HHHH", 9, 9, 12, 0) + bytes([i % 255 + 1, 0, 0, 0]))
    elif kind == "dhcp":
        f = b"\xff" * 6 + mac(src) + b"\x08\x00" + ipv4("0.0.0.0", "255.255.255.255",
                                                     struct.pack("!HHHH", 68, 67, 8 + 240, 0) + b"\x01" + b"\0" * 239)
    s.send(f + b"\0" * max(0, 60 - len(f)))
    time.sleep(0.002)
EOF
}

# ld_spoofer DOM SRC_MAC IP: in the background, an ARP request from
# SRC_MAC (sender IP) every 10 ms until the test ends ($LAB_BG).
ld_spoofer() {
	lab_bg "${LAB_DOM_NS[$1]:-d$1}" python3 -c '
import socket, struct, sys, time
m = bytes.fromhex(sys.argv[1].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, m, socket.inet_aton(sys.argv[2]), b"\0" * 6,
                   socket.inet_aton(sys.argv[2]))
while True:
    s.send(b"\xff" * 6 + m + b"\x08\x06" + body + b"\0" * 18)
    time.sleep(0.01)' "$2" "$3"
}

# ld_counters DOM: count, at domain DOM's eth0 ingress (before anything
# else sees them), the frames the ld_count_* readers ask about.
ld_counters() {
	ip netns exec "$(lab_dom_ns "$1")" nft -f - <<'EOF'
table netdev ld {
	counter src_fake {}
	counter arp_66 {}
	counter arp_own {}
	counter ip_66 {}
	counter ip_own {}
	counter dhcp {}
	counter arphw {}
	chain in {
		type filter hook ingress device eth0 priority 0;
		ether saddr 02:00:00:00:66:66 counter name src_fake
		ether type arp arp saddr ip 198.51.100.66 counter name arp_66
		ether type arp arp saddr ip 198.51.100.1 counter name arp_own
		ether type arp ether saddr != 02:00:00:00:66:66 arp saddr ether 02:00:00:00:66:66 counter name arphw
		ether type ip ip saddr 198.51.100.66 counter name ip_66
		ether type ip ip saddr 198.51.100.1 counter name ip_own
		ether type ip udp dport 67 counter name dhcp
	}
}
EOF
}

# ld_count DOM NAME: packets counted by ld_counters' counter NAME.
ld_count() {
	ip netns exec "$(lab_dom_ns "$1")" nft list counter netdev ld "$2" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
ld_count_ge() { [ "$(ld_count "$1" "$2")" -ge "$3" ]; }

# ld_port N MAC [BRIDGE]: the port host N's bridge (vnet97) forwards MAC
# to, with the entry's flags ("vif1.0 sticky static").
ld_port() {
	bridge -n "${LAB_PREFIX}h$1" fdb show br "${3:-vnet97}" |
		awk -v m="$2" '$1 == m && / master / { f = ""; for (i = 4; i <= NF; i++) if ($i == "static" || $i == "sticky") f = f " " $i; print $3 f; exit }'
}

# ld_learned N DST [DEV]: entries host N's tunnel (vnif97) learned from
# DST (not static: learning put them there).
ld_learned() {
	lc_fdb "$1" "$3" | awk -v d="$2" '$2 == "dst" && $3 == d && !/permanent/ && $1 != "00:00:00:00:00:00"'
}

# ld_replies DOM IP COUNT: how many of COUNT pings (20 ms apart) DOM got
# answered.
ld_replies() {
	ip netns exec "$(lab_dom_ns "$1")" ping -n -q -c "$3" -i 0.02 -W 1 "$2" 2>&1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# ld_rx N DEV: packets host N's device DEV received.
ld_rx() {
	ip -n "${LAB_PREFIX}h$1" -s -j link show dev "$2" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

# ld_lock_chain N DEV: host N's lock chain for DEV (fails when there is none).
ld_lock_chain() {
	ip netns exec "${LAB_PREFIX}h$1" nft list chain bridge xenvnet "$2" 2>/dev/null
}
