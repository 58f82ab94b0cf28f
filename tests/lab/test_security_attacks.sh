#!/bin/bash
# Attacks on a conf vnet (issue 13): a host with another cluster key, a
# replayed ESP packet, a missing SA.
#
#   d1 .1 (99)              d2 .2 (99)              d3 .3 (99)
#      |                       |                       |
#   [vnet99] h1 192.0.2.1   [vnet99] h2 192.0.2.2   [vnet99] h3 192.0.2.3
#      key A                   key A                   key B (another cluster)
#       \______________________|______________________/
#                          sw0 (tcpdump)
#
# (a) h3 carries the same conf vnet under another cluster key: d3 cannot
#     ping d1 or d2, its payload (unicast and broadcast) never reaches d1 or
#     d2, theirs never reaches d3, while d1 and d2 talk (and see each
#     other's broadcast: the negative checks are not vacuous).
# (b) an ESP packet h1 -> h2 captured on the switch and sent again, byte for
#     byte, from h3 (a raw IP socket) is dropped by h2 as a replay
#     (XfrmInStateSeqError and the SA's replay counter grow).
# (c) with h1's outbound SA to h2 deleted, d1's pings to d2 are dropped by
#     h1's kernel (XfrmOutNoStates grows) and no clear datagram to the conf
#     port reaches the wire.
set -e
# shellcheck source=tests/lab/lib_esp.sh
. "$(dirname "$0")/lib_esp.sh"
lab_init "$1"
esp_need_kernel

lab_step "h1, h2 with one key, h3 with another, conf vnet 99 on all"
lc_key
lab_switch
lc_host 1
lc_host 2
LC_NODAEMON=1 lc_host 3
other=$LAB_DIR/other.key
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$other" && echo >>"$other")
cmp -s "$other" "$LC_KEY" && lab_fail "the two keys are equal"
lab_daemon_start 3 --key-file "$other" "${LC_DAEMON_ARGS[@]}"
for h in 1 2 3; do xs $h write /vnet/99/bridge vnet99 /vnet/99/security conf; done
for h in 1 2 3; do
	lab_vnet_up $h 99 20
	lc_wait_control $h
done
lab_domain 1 1 198.51.100.1 00:16:3e:00:99:01 vnet99
lab_domain 2 2 198.51.100.2 00:16:3e:00:99:02 vnet99
lab_domain 3 3 198.51.100.3 00:16:3e:00:99:03 vnet99
lab_wait 30 "d1 reaches d2" d1 ping -n -c 1 -W 1 198.51.100.2 ||
	lab_fail "d1 cannot reach d2 $(esp_dump 1; esp_dump 2)"
lab_ping 1 198.51.100.2 3

lab_step "(a) the host with another key gets nothing through"
for d in 1 2 3; do esp_capture d$d "$(lab_dom_ns $d | sed "s/^$LAB_PREFIX//")" eth0 udp; done
esp_udp_send 3 198.51.100.1 9 XVN-FROM-D3-UNICAST
esp_udp_send 3 198.51.100.255 9 XVN-FROM-D3-BROADCAST
esp_udp_send 1 198.51.100.3 9 XVN-FROM-D1-UNICAST
esp_udp_send 1 198.51.100.255 9 XVN-FROM-D1-BROADCAST
esp_udp_send 2 198.51.100.255 9 XVN-FROM-D2-BROADCAST
! d3 ping -n -c 3 -i 0.2 -W 1 198.51.100.1 >/dev/null 2>&1 || lab_fail "d3 (another key) pings d1"
! d3 ping -n -c 3 -i 0.2 -W 1 198.51.100.2 >/dev/null 2>&1 || lab_fail "d3 (another key) pings d2"
! d1 ping -n -c 3 -i 0.2 -W 1 198.51.100.3 >/dev/null 2>&1 || lab_fail "d1 pings d3 (another key)"
# The positive controls: the same sends, broadcast, between the two of one key.
lab_wait 10 "d1's broadcast at d2" esp_pcap_has d2 XVN-FROM-D1-BROADCAST ||
	lab_fail "d1's broadcast never reached d2: the check below would prove nothing"
lab_wait 10 "d2's broadcast at d1" esp_pcap_has d1 XVN-FROM-D2-BROADCAST ||
	lab_fail "d2's broadcast never reached d1"
for d in 1 2 3; do esp_capture_stop d$d; done
for d in 1 2; do
	! esp_pcap_has d$d XVN-FROM-D3 || lab_fail "d3's payload (another key) reached d$d"
done
! esp_pcap_has d3 XVN-FROM-D1 || lab_fail "d1's payload reached d3 (another key)"
! esp_pcap_has d3 XVN-FROM-D2 || lab_fail "d2's payload reached d3 (another key)"
! h1 bridge fdb show dev vnif99 | grep -q 00:16:3e:00:99:03 || lab_fail "h1 learned d3's MAC"
lab_log "h3 (another key): $(esp_sa_count 3) SAs; h1: $(esp_sa_count 1) SAs"

lab_step "(b) a replayed ESP packet is dropped and counted"
# h2_replays: the replay drops of h2's SAs from h1 ("replay-window W replay R failed F").
h2_replays() {
	h2 ip -s xfrm state list src 192.0.2.1 dst 192.0.2.2 | awk '$1 == "replay-window" { s += $4 } END { print s + 0 }'
}
esp_capture esp sw sw0 esp and src 192.0.2.1 and dst 192.0.2.2
lab_ping 1 198.51.100.2 3
lab_wait 10 "an ESP packet h1 -> h2 captured" esp_at_least 1 esp_pcap_count esp esp ||
	lab_fail "no ESP packet from h1 to h2 on the wire"
esp_capture_stop esp
seq0=$(esp_stat 2 XfrmInStateSeqError)
rep0=$(h2_replays)
# The first captured packet, its IP header and all (the capture is
# Ethernet), sent 3 times from h3 as it was: a raw IP socket.
ip netns exec "${LAB_PREFIX}h3" python3 -c '
import socket, struct, sys
b = open(sys.argv[1], "rb").read()
caplen = struct.unpack("<I", b[24 + 8:24 + 12])[0]
pkt = b[24 + 16 + 14:24 + 16 + caplen]
assert pkt[0] >> 4 == 4 and pkt[9] == 50, "not an IPv4 ESP packet"
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for _ in range(3):
    s.sendto(pkt, (socket.inet_ntoa(pkt[16:20]), 0))
' "$LAB_DIR/esp.pcap" || lab_fail "cannot replay the captured packet"
lab_wait 10 "h2 counts the replays" esp_at_least $((seq0 + 3)) esp_stat 2 XfrmInStateSeqError ||
	lab_fail "XfrmInStateSeqError on h2: $seq0 -> $(esp_stat 2 XfrmInStateSeqError) $(esp_dump 2)"
rep=$(h2_replays)
((rep >= rep0 + 3)) || lab_fail "h2's SA counted $rep0 -> $rep replays"
lab_ping 1 198.51.100.2 3
lab_log "XfrmInStateSeqError $seq0 -> $(esp_stat 2 XfrmInStateSeqError), SA replay $rep0 -> $rep"

lab_step "(c) h1's SA to h2 deleted: dropped, nothing in clear"
spis=$(esp_out_spis 1 192.0.2.2)
[ -n "$spis" ] || lab_fail "h1 has no SA to h2 $(esp_dump 1)"
for s in $spis; do
	[ "$s" = spi ] || h1 ip xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi "$s"
done
nos0=$(esp_stat 1 XfrmOutNoStates)
esp_capture clear sw sw0 udp and src 192.0.2.1
esp_udp_send 1 198.51.100.2 9 XVN-WITHOUT-SA
esp_udp_send 1 198.51.100.255 9 XVN-WITHOUT-SA-BROADCAST
out=$(d1 ping -n -c 3 -i 0.2 -W 1 198.51.100.2 2>&1) && lab_fail "d1 pings d2 without an SA: $out $(esp_dump 1)"
lab_wait 10 "h1 counts XfrmOutNoStates" esp_at_least $((nos0 + 1)) esp_stat 1 XfrmOutNoStates ||
	lab_fail "XfrmOutNoStates on h1 stayed $nos0 $(esp_dump 1)"
esp_capture_stop clear
n=$(esp_pcap_count clear 'udp and port 1801')
[ "$n" = 0 ] || lab_fail "$n clear datagrams to the conf port left h1 without an SA"
! esp_pcap_has clear XVN-WITHOUT-SA || lab_fail "the payload left h1 in clear"
lab_log "XfrmOutNoStates $nos0 -> $(esp_stat 1 XfrmOutNoStates), clear to 1801: 0"

for h in 1 2 3; do lab_san_check $h; done
lab_log "attacks on a conf vnet ok"
