#!/bin/bash
# Security of the control protocol (issue #4): a rogue namespace on the
# underlay switch, without the cluster key, records genuine messages and
# tries to move a domain's MAC to itself with
#   (a) forged ANNOUNCEs (signed with a wrong key; a genuine one with its
#       host bytes rewritten) and a forged "leaving" HELLO of h2,
#   (b) a replay of a genuine ANNOUNCE, while it is in the replay window
#       (dup) and after h2 sent more than 1024 messages (replayed).
# The MAC never moves, the ping keeps working, the counters say why, and
# nothing is sent back to the rogue.
#
#   d1 198.51.100.1                         d2 198.51.100.2 00:16:3e:00:00:02
#     |                                       |
#   [vnet97] h1 192.0.2.1 -- sw0 -- 192.0.2.2 h2 [vnet97]
#                              |
#                         rg 192.0.2.66  (records 224.10.0.1:1799, sends)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
M1=00:16:3e:00:00:01
M2=00:16:3e:00:00:02
RG=192.0.2.66

lab_step "two hosts with the key, a rogue on the switch without it"
lc_key
lab_switch
lc_host 1
lc_host 2
lc_ns_on rg sw $RG/24
for h in 1 2; do
	xs $h write /vnet/97/bridge vnet97
done
for h in 1 2; do
	lab_vnet_up $h 97
	lc_wait_control $h
done
lab_domain 1 1 198.51.100.1 $M1 vnet97

# The rogue's recorder: every datagram to port 1799 (group or unicast to
# the rogue), one line "dst src hex".
lab_bg rg "$LAB_ROOT/tests/lab/udp_recorder.py" "$LAB_DIR/rec.txt" $RG
lab_wait 5 "the rogue's recorder" grep -q ready "$LAB_DIR/rec.txt" || lab_fail "recorder did not start"

lab_step "d2 connects on h2; the rogue records h2's ANNOUNCE of it"
lab_domain 2 2 198.51.100.2 $M2 vnet97
lc_wait_fdb 1 $M2 192.0.2.2
lab_ping 1 198.51.100.2 2
# A genuine ANNOUNCE: type 2, origin ::ffff:192.0.2.2, first entry's MAC M2.
genuine() {
	python3 - "$LAB_DIR/rec.txt" "$M2" <<'PY'
import sys
mac = bytes.fromhex(sys.argv[2].replace(":", ""))
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) != 3:
        continue
    b = bytes.fromhex(f[2])
    if len(b) > 90 and b[3] == 2 and b[24:40] == bytes(10) + b"\xff\xff" + bytes([192, 0, 2, 2]) and b[64:70] == mac:
        print(f[2])
        break
PY
}
lab_wait 5 "a recorded ANNOUNCE of $M2" test -n "$(genuine)" || lab_fail "the rogue recorded no ANNOUNCE of $M2"
G=$(genuine)
echo "$G" >"$LAB_DIR/genuine.hex"
lab_log "recorded ${#G} hex digits: ANNOUNCE of $M2, counter $(python3 -c "import sys; print(int(sys.argv[1][16:32], 16))" "$G")"

# rogue_send HEX... : send each message to h1 and h2 by unicast and to the group.
rogue_send() {
	ip netns exec "${LAB_PREFIX}rg" python3 - $RG "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
for h in sys.argv[2:]:
    b = bytes.fromhex(h)
    for dst in ("192.0.2.1", "192.0.2.2", "224.10.0.1"):
        s.sendto(b, (dst, 1799))
PY
}
# forge MODE: a message made from the genuine one.
#   wrongkey: host -> rogue, seq + 5, counter + 10^6, time now, HMAC with a random key
#   rewrite:  host -> rogue, MAC left as it was
#   hello0:   a HELLO of h2 with hold 0 ("leaving"), wrong key
forge() {
	python3 - "$1" "$G" "$RG" <<'PY'
import hashlib, hmac, os, socket, struct, sys, time
mode, g, rg = sys.argv[1], bytearray(bytes.fromhex(sys.argv[2])), socket.inet_aton(sys.argv[3])
mapped = bytes(10) + b"\xff\xff" + rg
def sign(b, key):
    b[-32:] = hmac.new(key, bytes(b[0:4]) + bytes(b[6:-32]), hashlib.sha256).digest()
    return b
now = int(time.time() * 1e6)
if mode == "hello0":
    vnet = g[48:64]
    # HELLO element (version 2): vnet, VNI 151, MTU 1450, reserved.
    b = bytearray(g[0:48] + vnet + struct.pack(">IHH", 151, 1450, 0) + bytes(32))
    b[3] = 1
    struct.pack_into(">HQQ", b, 6, len(b), struct.unpack_from(">Q", g, 8)[0] + 1000000, now)
    struct.pack_into(">HHBBH", b, 40, 1, 0, 0, 1, 0)
    print(sign(b, os.urandom(32)).hex())
    sys.exit()
g[74:90] = mapped
if mode == "rewrite":
    print(g.hex())
    sys.exit()
struct.pack_into(">Q", g, 8, struct.unpack_from(">Q", g, 8)[0] + 1000000)
struct.pack_into(">Q", g, 16, now)
struct.pack_into(">I", g, 70, struct.unpack_from(">I", g, 70)[0] + 5)
print(sign(g, os.urandom(32)).hex())
PY
}
still_at_h2() {
	[ "$(lc_fdb_dst 1 $M2)" = 192.0.2.2 ] || lab_fail "h1 now sends $M2 to '$(lc_fdb_dst 1 $M2)': $(lc_fdb 1 | tr '\n' ';')"
	lc_vn 1 varp | grep -qE "^97 +$M2 +192\.0\.2\.2 " || lab_fail "vn varp on h1: $(lc_vn 1 varp)"
	[ "$(lc_counter 1 mac-moves)" = 0 ] || lab_fail "h1 counted a MAC move"
	[ "$(lc_counter 1 hosts)" = 1 ] || lab_fail "h1 knows $(lc_counter 1 hosts) hosts"
	lab_ping 1 198.51.100.2 2
}
# delta N COUNTER BEFORE WANT: the counter rose by exactly WANT.
delta_is() {
	local now
	now=$(lc_counter "$1" "$2")
	[ $((now - $3)) = "$4" ] || lab_fail "h$1: $2 rose by $((now - $3)), wanted $4"
	lab_log "h$1 $2 +$4"
}

lab_step "(a) forged ANNOUNCEs and a forged leaving HELLO: bad MAC"
read -r bad1 <<<"$(lc_counters 1 msgs-bad-mac)"
read -r bad2 <<<"$(lc_counters 2 msgs-bad-mac)"
rogue_send "$(forge wrongkey)" "$(forge rewrite)" "$(forge hello0)"
# Each of the 3 reaches each host twice (unicast, group).
lab_wait 3 "h1 counting 6 bad MACs" lc_counter_is 1 msgs-bad-mac -ge $((bad1 + 6)) || true
delta_is 1 msgs-bad-mac "$bad1" 6
delta_is 2 msgs-bad-mac "$bad2" 6
sleep 0.5
still_at_h2

lab_step "(b1) replay of the genuine ANNOUNCE within the window: dup"
read -r dup1 <<<"$(lc_counters 1 msgs-dup)"
# As recorded, and with hops/flags (outside the MAC) changed: the same message.
rogue_send "$G" "${G:0:8}0101${G:12}"
lab_wait 3 "h1 counting 4 dups" lc_counter_is 1 msgs-dup -ge $((dup1 + 4)) || true
delta_is 1 msgs-dup "$dup1" 4
still_at_h2

lab_step "(b2) h2 sends over 1024 more messages; the replay is now below the window: replayed"
# 1100 vifs connected on h2 (backend keys only): one ANNOUNCE each.
args=()
for ((i = 0; i < 1100; i++)); do
	be=/local/domain/0/backend/vif/$((1000 + i))/0
	args+=("$be/mac" "$(printf '00:16:3e:aa:%02x:%02x' $((i / 256)) $((i % 256)))" "$be/bridge" vnet97 "$be/online" 1 "$be/state" 4)
done
xs 2 write "${args[@]}"
lc_wait_counter 1 macs-remote -ge 1101 40
lc_wait_counter 2 macs-local -ge 1101 5
read -r rep1 <<<"$(lc_counters 1 msgs-replayed)"
rogue_send "$G"
lab_wait 3 "h1 counting 2 replays" lc_counter_is 1 msgs-replayed -ge $((rep1 + 2)) || true
delta_is 1 msgs-replayed "$rep1" 2
still_at_h2

lab_step "nothing was ever sent to the rogue"
if awk -v rg=$RG '$1 == rg' "$LAB_DIR/rec.txt" | grep -q .; then
	lab_fail "a host answered the rogue: $(awk -v rg=$RG '$1 == rg {print $1, $2}' "$LAB_DIR/rec.txt" | head -3)"
fi
grep -q "bad MAC\|bad_mac\|bad mac" "$LAB_DIR/h1/daemon.log" && lab_log "h1 logged: $(grep -m1 -i "bad mac" "$LAB_DIR/h1/daemon.log")"
lab_log "security ok"
