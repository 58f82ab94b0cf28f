#!/bin/bash
# Vif locking (issue 10): d1's backend has ip=198.51.100.1, so d1 may send
# only from its MAC and that address.  d1 sends, as broadcasts, frames
# with another source MAC, ARP with another sender MAC or IP, IPv4 from
# another address: d3 (same bridge) counts none of them at its eth0, and
# h1's bridge never learns the made-up MAC; what d1 is allowed (its own
# ARP and IPv4, DHCP from 0.0.0.0) arrives.  xenvnet-lock=0 in the
# backend lets everything through, 1 locks again.  The lock table stays
# in force while the daemon is stopped and is adopted by the next one; a
# vif that goes takes its chain with it.
#
#   d1 198.51.100.1 (ip key; sends spoofed frames)   d3 198.51.100.3 (counts at eth0 ingress)
#        |                                               |
#   vif1.0 -------------- [vnet97] h1 192.0.2.1 ------ vif3.0
#                         table bridge xenvnet: chain vif1.0, vif3.0
set -e
. "$(dirname "$0")/lib_dp.sh"
lab_init "$1"
M1=00:16:3e:00:0a:01 FAKE=02:00:00:00:66:66 BE1=/local/domain/0/backend/vif/1/0

# spoof N: d1 sends N of each forbidden kind, then N of each allowed one.
spoof() {
	ld_send 1 "$1" $FAKE arp 198.51.100.1 198.51.100.3
	ld_send 1 "$1" $FAKE arphw 198.51.100.1 198.51.100.3
	ld_send 1 "$1" $M1 arp 198.51.100.66 198.51.100.3
	ld_send 1 "$1" $M1 ip 198.51.100.66 198.51.100.3
	ld_send 1 "$1" $M1 arp 198.51.100.1 198.51.100.3
	ld_send 1 "$1" $M1 ip 198.51.100.1 198.51.100.3
	ld_send 1 "$1" $M1 dhcp
}
# allowed_seen BASE_ARP BASE_IP BASE_DHCP N: the allowed frames of a spoof
# round all arrived (they were sent last: the others were handled before).
allowed_seen() {
	ld_count_ge 3 arp_own $(($1 + $4)) && ld_count_ge 3 ip_own $(($2 + $4)) && ld_count_ge 3 dhcp $(($3 + $4))
}
counts() { for c in src_fake arphw arp_66 ip_66 arp_own ip_own dhcp; do echo -n "$c=$(ld_count 3 $c) "; done; }
round() {
	local a i d
	a=$(ld_count 3 arp_own) i=$(ld_count 3 ip_own) d=$(ld_count 3 dhcp)
	spoof 10
	lab_wait 10 "d1's allowed frames at d3" allowed_seen "$a" "$i" "$d" 10 ||
		lab_fail "d3 did not get d1's allowed frames: $(counts)"
}
forbidden() { echo $(($(ld_count 3 src_fake) + $(ld_count 3 arphw) + $(ld_count 3 arp_66) + $(ld_count 3 ip_66))); }

lab_step "h1 with vnet 97; d1 locked to $M1 and 198.51.100.1, d3 counting"
lc_cluster 1
lab_domain 1 1 198.51.100.1 $M1 vnet97
xs 1 write $BE1/ip 198.51.100.1
lab_domain 1 3 198.51.100.3 00:16:3e:00:0a:03 vnet97
ld_counters 3
lab_wait 10 "d1's lock with its address" eval 'ld_lock_chain 1 vif1.0 | grep -q 198.51.100.1' ||
	lab_fail "no lock chain for vif1.0 with its address: $(ip netns exec "${LAB_PREFIX}h1" nft list ruleset)"
lab_wait 10 "d3's lock (MAC only: no ip key)" eval 'ld_lock_chain 1 vif3.0 | grep -q "ether saddr != 00:16:3e:00:0a:03 drop"' ||
	lab_fail "no lock chain for vif3.0"
ld_lock_chain 1 vif3.0 | grep -q "ip saddr" && lab_fail "vif3.0 has address rules without an ip key"

lab_step "locked: only d1's own MAC and address get through"
round
[ "$(forbidden)" = 0 ] || lab_fail "spoofed frames reached d3: $(counts)"
[ -z "$(ld_port 1 $FAKE)" ] || lab_fail "h1's bridge learned the made-up MAC on $(ld_port 1 $FAKE)"
lab_ping 1 198.51.100.3 3

lab_step "xenvnet-lock=0: everything gets through"
xs 1 write $BE1/xenvnet-lock 0
lab_wait 10 "d1's lock gone" eval '! ld_lock_chain 1 vif1.0 >/dev/null' || lab_fail "vif1.0 still locked"
round
for c in src_fake arphw arp_66 ip_66; do
	ld_count_ge 3 $c 10 || lab_fail "unlocked d1's $c frames did not reach d3: $(counts)"
done
[ -n "$(ld_port 1 $FAKE)" ] || lab_fail "h1's bridge did not learn the unlocked made-up MAC"

lab_step "xenvnet-lock=1: locked again"
xs 1 write $BE1/xenvnet-lock 1
lab_wait 10 "d1's lock back" eval 'ld_lock_chain 1 vif1.0 >/dev/null' || lab_fail "vif1.0 not locked again"
before=$(forbidden)
round
[ "$(forbidden)" = "$before" ] || lab_fail "spoofed frames reached d3 after locking again: $(counts)"

lab_step "the daemon stopped: the locks stay; restarted: adopted"
lab_daemon_stop 1
ld_lock_chain 1 vif1.0 >/dev/null || lab_fail "the lock went with the daemon"
round
[ "$(forbidden)" = "$before" ] || lab_fail "spoofed frames got through while the daemon was down: $(counts)"
lc_daemon_start 1
lc_wait_control 1
lab_wait 10 "the restarted daemon's table" grep -q "vif locks: table bridge xenvnet written, 2 ports" "$LAB_DIR/h1/daemon.log" ||
	lab_fail "the restarted daemon did not write its lock table"
round
[ "$(forbidden)" = "$before" ] || lab_fail "spoofed frames got through after the restart: $(counts)"

lab_step "the vif goes: its chain too"
xs 1 rm $BE1
lab_wait 10 "vif1.0's chain gone" eval '! ld_lock_chain 1 vif1.0 >/dev/null' || lab_fail "vif1.0's chain outlived it"
ld_lock_chain 1 vif3.0 >/dev/null || lab_fail "vif3.0's chain went too"
lab_log "forbidden frames at d3 while locked: 0; counts: $(counts)"
