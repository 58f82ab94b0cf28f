#!/bin/bash
# `vn key-rotate` (issue 13): one host asks, every host moves to the next
# key epoch, make-before-break: a ping every 10 ms loses nothing and no
# frame of the conf vnet crosses in clear.  A second rotation before the
# first has reached every host is refused, naming the host behind (h3,
# deaf to the control protocol a while: it still speaks, so the others
# keep it, but hears nobody's HELLO).  Then a new cluster key file,
# reloaded (SIGHUP) host by host: each pair moves to SAs of the new key
# once both hold it, the old key is forgotten when all do, and still no
# ping is lost, no control message refused, nothing in clear.
#
#   d5 198.51.100.5 (99, conf)        d6 198.51.100.6 (99, conf)
#        |                                 |
#   [vnet99] h1 192.0.2.1 ---- sw0 (tcpdump) ---- 192.0.2.2 h2 [vnet99]
#                                 |
#                        192.0.2.3 h3 [vnet99] (deaf a while: nft drops udp 1799 in)
#
# esp_rekey_s = 86400: no wall-clock boundary during the test (they fall
# at 00:00 UTC), so every epoch change is a rotation's.
set -e
# shellcheck source=tests/lab/lib_esp.sh
. "$(dirname "$0")/lib_esp.sh"
lab_init "$1"
esp_need_kernel
declare -gA LAB_PINGERS=()
H1=192.0.2.1 H2=192.0.2.2 H3=192.0.2.3

# at N ADDR OFFSET EPOCH: host N has its SAs with ADDR in place, at EPOCH,
# and ADDR's HELLO announced OFFSET.
at() {
	lc_host_field_is "$1" "$2" esp ok && lc_host_field_is "$1" "$2" esp-offset "$3" &&
		lc_host_field_is "$1" "$2" esp-epoch "$4"
}
# all_at OFFSET EPOCH: every host sees every other there, and is there.
all_at() {
	local a b
	for a in 1 2 3; do
		lc_counter_is "$a" esp-offset -eq "$1" && lc_counter_is "$a" esp-epoch -eq "$2" || return 1
		for b in 1 2 3; do
			[ "$a" = "$b" ] || at "$a" "192.0.2.$b" "$1" "$2" || return 1
		done
	done
}
hup() { kill -HUP "$(lab_daemon_pid "$1")"; }
# key_of N STATE ADDR...: host N sees each ADDR announce its key as STATE.
key_of() {
	local n=$1 st=$2 a
	shift 2
	for a in "$@"; do lc_host_field_is "$n" "$a" key "$st" || return 1; done
}
spis_moved() { [ "$(esp_out_spis "$1" "$2")" != "$3" ]; }
esp_sa_at_most() { [ "$(esp_sa_count "$1")" -le "$2" ]; }
bad_macs() { for h in 1 2 3; do lc_counter $h msgs-bad-mac; done | paste -sd' '; }
hosts_dump() { for h in 1 2 3; do echo "--- h$h:"; lc_vn "$h" hosts; done; }
# deaf on|off: h3 hears no control message (its own still go out).
deaf() {
	if [ "$1" = on ]; then
		h3 nft -f - <<<'table inet deaf { chain in { type filter hook input priority 0; udp dport 1799 drop; }; }'
	else
		h3 nft delete table inet deaf
	fi
}

lab_step "a conf vnet on h1, h2 and h3 (h3 without domains)"
esp_conf_pair 'esp_rekey_s = 86400\n' 3
e0=$(lc_counter 1 esp-epoch)
lab_wait 20 "every pair at offset 0, epoch $e0" all_at 0 "$e0" || lab_fail "not all at epoch $e0 $(hosts_dump)"
spis12=$(esp_out_spis 1 $H2) spis21=$(esp_out_spis 2 $H1)

lab_step "a ping every 10 ms; h3 deaf; vn key-rotate on h1"
esp_capture wire sw sw0
lab_pinger rot 5 198.51.100.6 0.01
lab_wait 10 "pings before" esp_at_least 50 esp_ping_count rot || lab_fail "no pings"
deaf on
out=$(lc_vn 1 key-rotate) || lab_fail "vn key-rotate failed: $out"
lab_log "h1: $out"
[ "$out" = "key epoch $((e0 + 1)) (offset 1); the other hosts follow on this host's HELLO" ] ||
	lab_fail "vn key-rotate said: $out"
lab_wait 20 "h2 at offset 1" at 1 $H2 1 $((e0 + 1)) || lab_fail "h2 did not follow $(hosts_dump)"
lab_wait 20 "h1 seen at offset 1 on h2" at 2 $H1 1 $((e0 + 1)) || lab_fail "h2 did not follow $(hosts_dump)"
[ "$(esp_out_spis 1 $H2)" != "$spis12" ] || lab_fail "h1's SPIs towards h2 did not change: $spis12"
[ "$(esp_out_spis 2 $H1)" != "$spis21" ] || lab_fail "h2's SPIs towards h1 did not change: $spis21"

lab_step "a second rotation while h3 has not followed: refused, naming h3"
if out=$(lc_vn 1 key-rotate 2>&1); then
	lab_fail "a second rotation was accepted while h3 is behind: $out"
fi
lab_log "h1: $out"
case $out in
*"$H3 (offset 0)"*"not at offset 1"*) ;;
*) lab_fail "the refusal does not name h3 at offset 0: $out" ;;
esac
lc_counter_is 1 esp-offset -eq 1 || lab_fail "the refused rotation moved h1: $(lc_counter 1 esp-offset)"

lab_step "h3 hears again and follows; then vn key-rotate on h2 moves everyone again"
deaf off
lab_wait 20 "h3 at offset 1 on h1" at 1 $H3 1 $((e0 + 1)) || lab_fail "h3 did not follow $(hosts_dump)"
out=$(lc_vn 2 -j key-rotate) || lab_fail "vn key-rotate on h2 failed: $out"
lab_log "h2: $out"
[ "$out" = "{\"epoch\":$((e0 + 2)),\"offset\":2}" ] || lab_fail "vn -j key-rotate said: $out"
lab_wait 30 "every pair at offset 2, epoch $((e0 + 2))" all_at 2 $((e0 + 2)) ||
	lab_fail "not all at epoch $((e0 + 2)) $(hosts_dump)"
[ "$(cat "$LAB_DIR/h3/state/esp-offset")" = 00000002 ] ||
	lab_fail "h3 saved offset '$(cat "$LAB_DIR/h3/state/esp-offset")'"

lab_step "a new cluster key, reloaded host by host (SIGHUP): each pair moves once both hold it"
bad0=$(bad_macs) sas0=$(esp_sa_count 1)
spis12=$(esp_out_spis 1 $H2) spis21=$(esp_out_spis 2 $H1) spis13=$(esp_out_spis 1 $H3)
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LC_KEY.new" && echo >>"$LC_KEY.new")
mv "$LC_KEY.new" "$LC_KEY"
hup 1
lab_wait 20 "h1 sees h2 and h3 on the previous key" key_of 1 previous $H2 $H3 || lab_fail "h1 $(hosts_dump)"
lc_counter_is 1 key-changing -eq 1 || lab_fail "h1 is not in a key change"
# h2 holds only the old key: h1 goes on sending to it under the old key
[ "$(esp_out_spis 1 $H2)" = "$spis12" ] || lab_fail "h1 moved its SAs to h2, which lacks the new key"
hup 2
lab_wait 20 "h1 and h2 see each other on the new key" key_of 1 current $H2 && key_of 2 current $H1 ||
	lab_fail "h1/h2 $(hosts_dump)"
lab_wait 20 "h1 -> h2 under the new key" spis_moved 1 $H2 "$spis12" || lab_fail "h1 -> h2 SPIs stay $spis12"
lab_wait 20 "h2 -> h1 under the new key" spis_moved 2 $H1 "$spis21" || lab_fail "h2 -> h1 SPIs stay $spis21"
[ "$(esp_out_spis 1 $H3)" = "$spis13" ] || lab_fail "h1 moved its SAs to h3, which lacks the new key"
n=$(esp_ping_count rot)
lab_wait 10 "pings between h1 and h2 on the new key" esp_at_least $((n + 50)) esp_ping_count rot ||
	lab_fail "pings stopped $(esp_dump 1; esp_dump 2)"
hup 3
for h in 1 2 3; do
	lab_wait 40 "h$h forgets the old key" lc_counter_is $h key-changing -eq 0 ||
		lab_fail "h$h keeps the old key $(hosts_dump)"
done
lab_wait 20 "h1 -> h3 under the new key" spis_moved 1 $H3 "$spis13" || lab_fail "h1 -> h3 SPIs stay $spis13"
lab_wait 20 "h1's SAs of the old key gone" esp_sa_at_most 1 "$sas0" ||
	lab_fail "h1 holds $(esp_sa_count 1) SAs, $sas0 before the change"
[ "$(bad_macs)" = "$bad0" ] || lab_fail "control messages refused during the key change: $bad0 -> $(bad_macs)"

lab_step "no ping lost, nothing of the conf vnet in clear"
n=$(esp_ping_count rot)
lab_wait 10 "pings after the rotations" esp_at_least $((n + 50)) esp_ping_count rot ||
	lab_fail "pings stopped after the rotations $(esp_dump 1; esp_dump 2)"
lab_pinger_stop rot
esp_capture_stop wire
gaps=$(esp_ping_gaps rot)
[ -z "$gaps" ] || lab_fail "pings lost across the rotations: $gaps $(esp_dump 1; esp_dump 2)"
lab_log "$(esp_ping_count rot) answers, none lost; h1 -> h2 SPIs $spis12 -> $(esp_out_spis 1 $H2)"
esp_wire_all_esp wire 1801 100
for h in 1 2 3; do lab_san_check $h; done
