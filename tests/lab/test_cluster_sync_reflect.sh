#!/bin/bash
# Full-table sync is no reflection (issue 10): a HELLO from a new origin
# makes h1 send all its local MACs, but by unicast only to a host heard
# directly (its HELLO came by multicast from its own address) or
# configured as a peer; otherwise to the group, whose relays reach it.
#  (a) a key holder's HELLO sent to h1 by unicast: h1's MACs (d1's) go to
#      the group, never to the HELLO's origin (h1 used to unicast its whole
#      table to any new origin: a reflection at an address nothing vouches
#      for);
#  (b) its HELLO by multicast, with a new vnet: now heard directly, it
#      gets h1's MACs by unicast (so (a) could see a unicast copy).
#
#   d1 198.51.100.1 00:16:3e:00:0e:01
#     |
#   [vnet97] h1 192.0.2.1 --- sw0 --- gen 192.0.2.200 (holds the key; records
#                                         what reaches it on port 1799)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
lc_gen
M1=00:16:3e:00:0e:01 MG=00:16:3e:00:0e:99

lab_step "h1 with vnet 97 and d1; the key holder's recorder on 1799"
lc_key
lab_switch
lc_host 1
lc_vnet 97 vnet97 1
lab_domain 1 1 198.51.100.1 $M1 vnet97
lc_ns_on gen sw 192.0.2.200/24
# Every datagram to port 1799 reaching gen: one line "dst src hex".
lab_bg gen "$LAB_ROOT/tests/lab/udp_recorder.py" "$LAB_DIR/rec.txt" 192.0.2.200
lab_wait 5 "the recorder" grep -q ready "$LAB_DIR/rec.txt" || lab_fail "recorder did not start"
send() { ip netns exec "${LAB_PREFIX}gen" "$GEN" -k "$LC_KEY" -s 192.0.2.200 -n 1 -m $MG -b 97 -H 30 "$@" >/dev/null; }
hexmac=${M1//:/}
# ANNOUNCEs (type 2) from h1 carrying d1's MAC, sent to address $1.
announces_to() { grep -c "^$1 192\.0\.2\.1 5856..02.*$hexmac" "$LAB_DIR/rec.txt" || true; }

lab_step "(a) a HELLO by unicast from a new origin: d1's MAC goes to the group only"
g0=$(announces_to 224.10.0.1)
send -d 192.0.2.1 -v 1
lc_wait_fdb 1 $MG 192.0.2.200
# The group copy comes at h1's next HELLO tick (or its 30 s refresh).
lab_wait 10 "h1's sync" eval '(($(announces_to 224.10.0.1) > g0 || $(announces_to 192.0.2.200) > 0))' ||
	lab_fail "h1 sent no ANNOUNCE of $M1 at all"
u=$(announces_to 192.0.2.200)
((u == 0)) || lab_fail "h1 unicast its table ($u ANNOUNCEs of $M1) to an origin heard only by unicast"
(($(announces_to 224.10.0.1) > g0)) || lab_fail "h1 sent no ANNOUNCE of $M1 to the group"

lab_step "(b) its HELLO by multicast with a new vnet: heard directly, synced by unicast"
send -d 224.10.0.1 -v 2
lab_wait 10 "h1's unicast sync" eval '(($(announces_to 192.0.2.200) > 0))' ||
	lab_fail "h1 sent no ANNOUNCE of $M1 by unicast to 192.0.2.200, heard directly"
