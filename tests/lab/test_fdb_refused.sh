#!/bin/bash
# FDB writes the kernel refuses (issue 9): h2's tunnel has an FDB limit
# (VXLAN maxaddress 2) that an admin's static entry fills, so the kernel
# refuses the static entry for d1's MAC with ENOSPC.  h2's daemon learns
# that from the kernel's error reply (its writes are batched, never waited
# for), counts it (fdb-refused, macs-refused), logs it, and once the
# admin's entry goes, installs d1's MAC by itself: no new announcement, no
# new sequence number (refresh_s is an hour).
#
#   d1 198.51.100.1 M1                               d2 198.51.100.2 M2
#     |                                                |
#   vif1.0-[vnet97]-vnif97                   vnif97-[vnet97]-vif2.0
#            h1 eth0 192.0.2.1 --- sw0 --- 192.0.2.2 eth0 h2
#   h2's vnif97: made before the vnet, as a half-made device of ours (group
#   xvnt, no label) so the daemon adopts it: maxaddress 2, nolearning;
#   its FDB: the group entry (the daemon's, on adoption) + the admin's
#   00:16:3e:99:00:01.
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
M1=00:16:3e:00:02:01
M2=00:16:3e:00:02:02
FILL=00:16:3e:99:00:01

lab_step "two hosts, refresh_s 3600; h2's tunnel made by hand with an FDB limit"
lc_key
lab_switch
LC_NODAEMON=1 lc_host 1
LC_NODAEMON=1 lc_host 2
h2 ip link add vnif97 type vxlan id 151 dstport 1798 local 192.0.2.2 maxaddress 2 nolearning
h2 ip link set vnif97 group 0x78766e74
h2 bridge fdb add $FILL dev vnif97 dst 192.0.2.99 self permanent
for n in 1 2; do lc_daemon_start $n -c "$(lc_config $n refresh_s=3600)"; done
for n in 1 2; do xs $n write /vnet/97/bridge vnet97; done
for n in 1 2; do
	lab_vnet_up $n 97
	lc_wait_control $n
done
h2 ip -d link show vnif97 | grep -q "maxaddr 2" ||
	lab_fail "h2's daemon did not adopt the hand-made vnif97: $(h2 ip -d link show vnif97)"
lc_wait_counter 2 hosts -eq 1

lab_step "d1 on h1: h2's kernel refuses its entry; h2 counts it and keeps trying"
lab_domain 1 1 198.51.100.1 $M1 vnet97
lc_wait_counter 2 fdb-refused -ge 1
lc_wait_counter 2 macs-refused -eq 1
lc_wait_counter 2 fdb-refused -ge 3   # retried (and refused) with backoff
lc_fdb_static_gone 2 $M1 || lab_fail "h2 has an entry for $M1 past the limit"
grep -q "kernel refused the FDB entry $M1 dst 192.0.2.1 .*: No space left on device" \
	"$LAB_DIR/h2/daemon.log" || lab_fail "h2 did not log the refusal"
n=$(grep -c "kernel refused the FDB" "$LAB_DIR/h2/daemon.log")
((n <= 5)) || lab_fail "h2 logged $n refusals: not rate-limited"
lc_vn 2 status >/dev/null # the loop answers meanwhile

lab_step "the admin's entry goes: h2 installs d1's MAC by itself"
t0=$(lab_now_ms)
h2 bridge fdb del $FILL dev vnif97 dst 192.0.2.99 self
lc_wait_fdb 2 $M1 192.0.2.1 10
lab_log "installed $(($(lab_now_ms) - t0)) ms after the obstacle went"
lc_wait_counter 2 macs-refused -eq 0
lc_wait_counter 2 macs-remote -eq 1
[ "$(lc_counter 1 mac-moves)" = 0 ] && [ "$(lc_counter 2 mac-moves)" = 0 ] ||
	lab_fail "a MAC moved: the entry came from a new announcement"

lab_step "traffic flows through the entry"
lab_domain 2 2 198.51.100.2 $M2 vnet97
lc_wait_fdb 1 $M2 192.0.2.2 10
lab_ping 2 198.51.100.1 3
lab_log "refused FDB entry retried and installed"
