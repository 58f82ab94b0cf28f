#!/bin/bash
# MAC sequence numbers live in daemon memory.  A MAC that has moved a few
# times has a high number on every host; when the daemon of the host that
# owns it restarts, its first announcement starts low again.  The others
# tell it the number they remember, it announces above that, and its later
# WITHDRAW (the domain goes) is honoured instead of ignored as stale, even
# when it is sent before that correction arrives (the stale WITHDRAW is
# itself corrected, and the host withdraws again at the remembered number).
# A move counts whichever the old host's daemon sees first: the new host's
# ANNOUNCE or its own vif going (h1 -> h2 is a live migration, the target
# first; h2 -> h1 a save and restore, the source gone first).
#
#     h1 (M local, daemon restarted) --- sw --- h2 (remembers M's seq)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
lab_need_daemon
lc_cluster 2
M=00:16:3e:00:00:0a

# vif N DOMID STATE: the backend of domain DOMID's vif with MAC M on host N.
vif() { lab_domain_keys "$1" "$2" "$M" vnet97; xs "$1" write "/local/domain/0/backend/vif/$2/0/state" "$3"; }
gone() { xs "$1" rm "/local/domain/0/backend/vif/$2"; }

lab_step "M moves h1 -> h2 -> h1: its sequence number climbs to 3"
vif 1 10 4
lab_wait 5 "h2 points M at h1" lc_fdb_has 2 "$M" 192.0.2.1
vif 2 11 4
gone 1 10
lab_wait 5 "h1 points M at h2" lc_fdb_has 1 "$M" 192.0.2.2
lc_wait_counter 1 mac-moves -ge 1 5
gone 2 11
lc_wait_counter 2 macs-local -eq 0 5
vif 1 12 4
lab_wait 5 "h2 points M at h1 again" lc_fdb_has 2 "$M" 192.0.2.1
lc_wait_counter 2 mac-moves -ge 1 5

lab_step "h1's daemon restarts (kill -9): it announces M anew, from 1"
lab_daemon_kill 1
lc_daemon_start 1
lc_wait_control 1
lc_wait_counter 1 macs-local -eq 1 5
lc_fdb_has 2 "$M" 192.0.2.1 || lab_fail "h2 lost M"

lab_step "the domain on h1 goes at once: its WITHDRAW reaches h2 and is honoured"
gone 1 12
lab_wait 5 "h2 forgets M" lc_fdb_static_gone 2 "$M" ||
	lab_fail "h2 still points M at h1: the withdraw after the restart was taken as stale"
echo "PASS: sequence numbers survive a daemon restart"
