#!/bin/bash
# Bad MACs (issue 9): a vif whose backend `mac` is multicast, broadcast,
# all zero or not a MAC is refused where the vif is read (a log line, the
# vifs-bad-mac counter) and never reaches the cluster; the good MACs beside
# it still reach a host that joins later, in one batch (sync on join).
#
#   h1: vifs of domains 11, 12, 13 (00:16:3e:00:01:0{1,2,3}) and
#       14 (01:00:5e:00:00:01), 15 (00:00:00:00:00:00), 16 (ff:ff:ff:ff:ff:ff),
#       17 ("nonsense"), all with bridge vnet97 and Connected
#   h1 eth0 192.0.2.1 --- sw0 --- 192.0.2.2 eth0 h2   (h2 joins last)
#   both daemons: --key-file (same key)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
GOOD=(00:16:3e:00:01:01 00:16:3e:00:01:02 00:16:3e:00:01:03)
BAD=(01:00:5e:00:00:01 00:00:00:00:00:00 ff:ff:ff:ff:ff:ff nonsense)

lab_step "h1 alone, vnet 97 up; its vifs: three good MACs, four bad ones"
lc_key
lab_switch
lc_host 1
xs 1 write /vnet/97/bridge vnet97
lab_vnet_up 1 97
lc_wait_control 1
lab_domain_keys 1 11 "${GOOD[0]}" vnet97
lab_domain_keys 1 14 "${BAD[0]}" vnet97
lab_domain_keys 1 12 "${GOOD[1]}" vnet97
lab_domain_keys 1 15 "${BAD[1]}" vnet97
lab_domain_keys 1 16 "${BAD[2]}" vnet97
lab_domain_keys 1 13 "${GOOD[2]}" vnet97
lab_domain_keys 1 17 "${BAD[3]}" vnet97
lc_wait_counter 1 macs-local -eq 3
lc_wait_counter 1 vifs-bad-mac -eq 4
for m in "${BAD[@]}"; do
	grep -q "mac '$m' is .*not a vnet member" "$LAB_DIR/h1/daemon.log" ||
		lab_fail "h1 did not log the bad mac $m"
done

lab_step "h2 joins later: it learns every good MAC from h1's sync"
t0=$(lab_now_ms)
lc_host 2
xs 2 write /vnet/97/bridge vnet97
lab_vnet_up 2 97
lc_wait_control 2
for m in "${GOOD[@]}"; do
	lc_wait_fdb 2 "$m" 192.0.2.1 10
done
lab_log "h2 has all three good MACs $(($(lab_now_ms) - t0)) ms after it started"
lc_wait_counter 2 macs-remote -eq 3
for m in 01:00:5e:00:00:01 00:00:00:00:00:00 ff:ff:ff:ff:ff:ff; do
	! lc_fdb 2 | grep -q "^$m dst 192.0.2.1 .*permanent" || lab_fail "h2 installed the bad MAC $m"
done
[ "$(lc_counter 2 msgs-malformed)" = 0 ] || lab_fail "h2 counted malformed messages"
[ "$(lc_counter 1 entries-bad-out)" = 0 ] || lab_fail "a bad MAC reached h1's cluster"

lab_step "a bad MAC made good joins; a good one made bad leaves"
xs 1 write /local/domain/0/backend/vif/14/0/mac 00:16:3e:00:01:04
lc_wait_fdb 2 00:16:3e:00:01:04 192.0.2.1 10
xs 1 write /local/domain/0/backend/vif/11/0/mac 33:33:00:00:00:01
lc_wait_fdb_gone 2 "${GOOD[0]}" 10
lc_wait_counter 1 vifs-bad-mac -eq 4
lc_fdb_has 2 "${GOOD[1]}" 192.0.2.1 || lab_fail "h2 lost ${GOOD[1]}"
lab_log "bad MACs refused alone"
