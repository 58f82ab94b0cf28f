#!/bin/bash
# A host whose ESP state is lost (a reboot: the kernel's SAs gone, the daemon
# started again) must never send again under a key it used before: for conf
# (AES-GCM) the restarted sequence numbers would repeat nonces under one key.
# Its new SA generation, announced in HELLO, gives new keys and SPIs; the
# peer derives the matching inbound SAs, pings resume, nothing crosses in
# clear.  A plain restart afterwards (SAs kept) adopts the new keys.
#
#   d5 198.51.100.5 (99, conf)                 d6 198.51.100.6 (99, conf)
#        |                                          |
#   [vnet99]-vnif99:1801                       [vnet99]-vnif99:1801
#            h1 192.0.2.1 ---- sw0 (tcpdump) ---- 192.0.2.2 h2
#
# The "reboot" of h1: `ip xfrm state flush` in h1, then kill -9 and start
# its daemon (policies and devices stay: the guards keep blocking clear).
set -e
# shellcheck source=tests/lab/lib_esp.sh
. "$(dirname "$0")/lib_esp.sh"
lab_init "$1"
esp_need_kernel
declare -gA LAB_PINGERS=()

# sa_of N SRC DST: "spi KEY" of host N's SAs from SRC to DST, one per line
# (both levels: every pair has an auth and a conf SA).
sa_of() {
	ip netns exec "${LAB_PREFIX}h$1" ip -s xfrm state list src "$2" dst "$3" | awk '
		/^src / { if (spi) print spi, key; spi = ""; key = "" }
		/spi 0x/ { for (i = 1; i < NF; i++) if ($i == "spi") spi = $(i + 1) }
		/aead |auth-trunc / { key = $3 }
		END { if (spi) print spi, key }' | sort
}

# gens N: SA generations host N's daemons drew (log lines).
gens() { grep -c 'esp: SA generation .* drawn' "$LAB_DIR/h$1/daemon.log" || true; }

lab_step "a conf vnet on h1 and h2"
esp_conf_pair ''
out=$(sa_of 1 192.0.2.1 192.0.2.2)
in2=$(sa_of 2 192.0.2.1 192.0.2.2)
if [[ "$out" != *0x* ]]; then lab_fail "no outbound SA with a key on h1: '$out' $(esp_dump 1)"; fi
lab_log "h1's SAs to h2 (spi key): $(echo $out)"

lab_step "h1 reboots: its SAs flushed, its daemon killed -9 and started again"
esp_capture wire sw sw0
lab_pinger reb 5 198.51.100.6 0.05
lab_wait 10 "pings before" esp_at_least 20 esp_ping_count reb || lab_fail "no pings before the reboot"
joins=$(esp_joins 2 192.0.2.1)
g1=$(gens 1)
ip netns exec "${LAB_PREFIX}h1" ip xfrm state flush
lab_daemon_kill 1
lc_daemon_start 1
lc_wait_control 1 20
lab_vnet_up 1 99 20

lab_step "(a) h1 sends with new SPIs and keys; h2 derives the matching inbound SAs"
new_out() { [ -n "$(sa_of 1 192.0.2.1 192.0.2.2)" ]; }
lab_wait 20 "h1's new outbound SAs" new_out || lab_fail "h1 has no SA to h2 after the reboot $(esp_dump 1)"
out2=$(sa_of 1 192.0.2.1 192.0.2.2)
while read -r spi key; do
	if grep -q "^$spi " <<<"$out2"; then lab_fail "h1 sends again with SPI $spi: $(echo $out2)"; fi
	if grep -q " $key\$" <<<"$out2"; then lab_fail "h1 sends again with key $key (nonce reuse)"; fi
done <<<"$out"
# h2 holds inbound SAs for 3 epochs (e-1..e+1): h1's current ones among
# them, and none of those derived from h1's old generation.
h2_has() {
	local have
	have=$(sa_of 2 192.0.2.1 192.0.2.2)
	[ -z "$(comm -23 <(echo "$out2") <(echo "$have"))" ] && [ -z "$(comm -12 <(echo "$in2") <(echo "$have"))" ]
}
lab_wait 20 "h2 holds h1's new SAs, none of the old ones" h2_has ||
	lab_fail "h2's SAs from h1: $(echo $(sa_of 2 192.0.2.1 192.0.2.2)), h1's: $(echo $out2) (before: $(echo $in2)) $(esp_dump 2)"
lab_log "h1's SAs to h2 now: $(echo $out2)"
[ "$(gens 1)" = $((g1 + 1)) ] || lab_fail "h1 drew no new SA generation: $(grep 'SA generation' "$LAB_DIR/h1/daemon.log")"

lab_step "(b) pings resume"
n=$(esp_ping_count reb)
lab_wait 30 "pings after the reboot" esp_at_least $((n + 20)) esp_ping_count reb ||
	lab_fail "pings did not resume after h1's reboot $(esp_dump 1; esp_dump 2)"

lab_step "a plain restart now keeps the new generation (SAs adopted)"
lab_daemon_kill 1
lc_daemon_start 1
lc_wait_control 1 20
lab_vnet_up 1 99 20
grep -q 'SA generation .* kept' "$LAB_DIR/h1/daemon.log" || lab_fail "h1 did not keep its SA generation"
[ "$(sa_of 1 192.0.2.1 192.0.2.2)" = "$out2" ] || lab_fail "h1's SAs changed across a plain restart"
n=$(esp_ping_count reb)
lab_wait 20 "pings after the plain restart" esp_at_least $((n + 20)) esp_ping_count reb ||
	lab_fail "pings stopped after the plain restart $(esp_dump 1)"
h2_has || lab_fail "h2's SAs from h1 changed on a plain restart"
lab_pinger_stop reb
esp_capture_stop wire

lab_step "(c) nothing of the conf vnet in clear on the wire"
esp_wire_all_esp wire 1801 40
lab_log "pings answered: $(esp_ping_count reb)"
for h in 1 2; do lab_san_check $h; done
