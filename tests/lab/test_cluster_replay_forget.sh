#!/bin/bash
# Replay after a host is forgotten (issue 10), and the RELAYED flag.
#  (a) A key holder's HELLO and ANNOUNCE are recorded byte for byte; the
#      holder goes silent and h1 forgets it and its MAC.  The recording,
#      sent again within the 60 s freshness window, is refused as replayed
#      and revives nothing (h1 used to accept it: the replay window went
#      with the host).
#  (b) A HELLO sent by multicast by its origin itself, with the RELAYED
#      flag (outside the MAC) set, still makes the host "multicast"
#      (direct): the flag decides nothing.
#
#   [vnet97] h1 192.0.2.1 --- sw0 --- gen 192.0.2.200 (holds the key)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
lc_gen
M=00:16:3e:00:0d:01 MARK=00:16:3e:00:0d:02

lab_step "h1 with vnet 97; the key holder's HELLO (hold 3 s) and ANNOUNCE of $M, recorded"
lc_key
lab_switch
lc_host 1
lc_vnet 97 vnet97 1
lc_ns_on gen sw 192.0.2.200/24
send() { ip netns exec "${LAB_PREFIX}gen" "$GEN" -s 192.0.2.200 -d 192.0.2.1 "$@" >/dev/null; }
send -k "$LC_KEY" -n 1 -v 1 -b 97 -m $M -H 3 -w "$LAB_DIR/rec.bin"
lc_wait_fdb 1 $M 192.0.2.200

lab_step "(a) it goes silent: h1 forgets it; the recording sent again revives nothing"
lab_wait 15 "h1 to forget 192.0.2.200" lc_fdb_static_gone 1 $M ||
	lab_fail "h1 still has $M behind $(lc_fdb_dst 1 $M)"
grep -q "host 192.0.2.200: silent" "$LAB_DIR/h1/daemon.log" || lab_fail "h1 did not log forgetting 192.0.2.200"
rep0=$(lc_counter 1 msgs-replayed)
send -R "$LAB_DIR/rec.bin"
lc_wait_counter 1 msgs-replayed -ge $((rep0 + 2))
# A fresh ANNOUNCE after it (applied, so the recording was handled first).
send -k "$LC_KEY" -n 1 -v 1 -b 97 -m $MARK
lc_wait_fdb 1 $MARK 192.0.2.200
lc_fdb_static_gone 1 $M || lab_fail "the replayed recording put $M back behind $(lc_fdb_dst 1 $M)"

lab_step "(b) a multicast HELLO from its origin with RELAYED set: still direct"
send -k "$LC_KEY" -n 1 -v 1 -b 97 -m $MARK -H 30 -F 1 -d 224.10.0.1
lab_wait 10 "h1 to list 192.0.2.200 as multicast" eval \
	'lc_vn 1 hosts | grep -E "^192\.0\.2\.200 " | grep -q multicast' ||
	lab_fail "h1 takes 192.0.2.200 for a relayed host: $(lc_vn 1 hosts | grep 192.0.2.200)"
