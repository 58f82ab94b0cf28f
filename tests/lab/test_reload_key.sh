#!/bin/bash
# SIGHUP checks the new configuration and key before it touches the running
# control protocol (issue 9): a key file that became readable by others
# (mode 0644) is refused with an error and the old key keeps the protocol
# running.  A good new key is a key change (issue 13): the host that
# reloads first keeps the old key, and signs with it, until every host
# announces the new one, so that no message is refused on the way; then
# the old key is forgotten.
#
#   d1 198.51.100.1        d2 198.51.100.2     (vnet 97)
#    |                      |
#   h1 192.0.2.1           h2 192.0.2.2        one key file, $LC_KEY
#     \                    /
#      sw (sw0) ----------
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"

# logged N REGEX: lines of host N's daemon log matching REGEX.
logged() { grep -cE "$2" "$LAB_DIR/h$1/daemon.log" || true; }
logged_ge() { (($(logged "$1" "$2") >= $3)); }
hup() { kill -HUP "$(lab_daemon_pid "$1")"; }

lab_step "two hosts speaking the control protocol"
lc_cluster 2
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
lc_wait_counter 1 hosts -eq 1
lc_wait_counter 2 hosts -eq 1
lc_wait_fdb 2 00:16:3e:00:00:01 192.0.2.1

lab_step "SIGHUP with the key file mode 0644: refused, the old key keeps running"
chmod 0644 "$LC_KEY"
hup 1
lab_wait 10 "h1 logs the refused reload" logged_ge 1 'error: reload: .*keeping the old configuration and key' 1 ||
	lab_fail "no error logged for the bad key: $(tail -3 "$LAB_DIR/h1/daemon.log")"
[ "$(logged 1 'control protocol off')" = 0 ] || lab_fail "h1 turned the control protocol off"
lc_counter_is 1 control-protocol -eq 1 || lab_fail "h1: control-protocol is $(lc_counter 1 control-protocol)"
# h1 goes on speaking: h2 accepts more messages from it, past the hold
# time (3 s of hellos, one a second), and neither forgets the other.
ok=$(lc_counter 2 msgs-ok)
lc_wait_counter 2 msgs-ok -ge $((ok + 5)) 30
lc_counter_is 2 hosts -eq 1 || lab_fail "h2 forgot h1"
lc_counter_is 1 hosts -eq 1 || lab_fail "h1 forgot h2"
lab_ping 1 198.51.100.2 3 || lab_fail "d1 cannot ping d2"

lab_step "a new key on h1 (SIGHUP): h1 keeps the old one until h2 has the new one"
bad1=$(lc_counter 1 msgs-bad-mac) bad2=$(lc_counter 2 msgs-bad-mac)
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LC_KEY.new" && echo >>"$LC_KEY.new")
cp "$LC_KEY" "$LC_KEY.old"
mv "$LC_KEY.new" "$LC_KEY"
hup 1
lab_wait 10 "h1 reloads" logged_ge 1 'configuration reloaded' 1 ||
	lab_fail "h1 did not reload: $(tail -3 "$LAB_DIR/h1/daemon.log")"
lc_wait_counter 1 key-changing -eq 1
lab_wait 10 "h1 sees h2 on the previous key" lc_host_field_is 1 192.0.2.2 key previous ||
	lab_fail "h1: h2's key is '$(lc_host_field 1 192.0.2.2 key)'"
lab_wait 10 "h2 sees h1 announce another key" lc_host_field_is 2 192.0.2.1 key other ||
	lab_fail "h2: h1's key is '$(lc_host_field 2 192.0.2.1 key)'"
# h2, still on the old key, goes on accepting h1 (h1 signs with the old
# key while h2 has not announced the new one), past the hold time.
ok=$(lc_counter 2 msgs-ok)
lc_wait_counter 2 msgs-ok -ge $((ok + 5)) 30
lc_counter_is 2 msgs-bad-mac -eq "$bad2" || lab_fail "h2 rejected h1's messages during the change"
lc_counter_is 2 hosts -eq 1 || lab_fail "h2 forgot h1"
lc_counter_is 1 key-changing -eq 1 || lab_fail "h1 ended the change while h2 has the old key"
lab_wait 10 "d1 pings d2 during the change" lab_ping 1 198.51.100.2 3 || lab_fail "d1 cannot ping d2"

lab_step "h1 restarted during the change goes on with it (the old key kept in its state dir)"
prev=$LAB_DIR/h1/state/cluster.key.previous
[ "$(stat -c %a "$prev")" = 600 ] || lab_fail "$prev: mode $(stat -c %a "$prev")"
cmp -s <(tr -d ' \n' <"$LC_KEY.old") <(tr -d '\n' <"$prev") || lab_fail "$prev does not hold the old key"
lab_daemon_stop 1
lc_daemon_start 1
lab_wait 10 "h1 logs the change going on" logged_ge 1 'key change goes on' 1 ||
	lab_fail "h1 did not take the old key back: $(tail -3 "$LAB_DIR/h1/daemon.log")"
lc_wait_control 1
lc_counter_is 1 key-changing -eq 1 || lab_fail "restarted h1 is not in a key change"
ok=$(lc_counter 2 msgs-ok)
lc_wait_counter 2 msgs-ok -ge $((ok + 3)) 30
lc_counter_is 2 msgs-bad-mac -eq "$bad2" || lab_fail "h2 rejected restarted h1's messages"

lab_step "h2 reloads the new key: both sign with it, then forget the old one"
hup 2
lab_wait 10 "h2 reloads" logged_ge 2 'configuration reloaded' 1 ||
	lab_fail "h2 did not reload: $(tail -3 "$LAB_DIR/h2/daemon.log")"
for h in 1 2; do
	lab_wait 20 "h$h ends the change" lc_counter_is $h key-changing -eq 0 ||
		lab_fail "h$h still keeps the old key: $(grep 'key change' "$LAB_DIR/h$h/daemon.log")"
done
lc_host_field_is 1 192.0.2.2 key current || lab_fail "h1: h2's key is '$(lc_host_field 1 192.0.2.2 key)'"
lc_host_field_is 2 192.0.2.1 key current || lab_fail "h2: h1's key is '$(lc_host_field 2 192.0.2.1 key)'"
ok=$(lc_counter 2 msgs-ok)
lc_wait_counter 2 msgs-ok -ge $((ok + 2))
lc_counter_is 1 msgs-bad-mac -eq "$bad1" || lab_fail "h1 rejected messages during the change"
[ ! -e "$prev" ] || lab_fail "$prev stays after the change"
lc_counter_is 2 msgs-bad-mac -eq "$bad2" || lab_fail "h2 rejected messages during the change"
lc_wait_fdb 2 00:16:3e:00:00:01 192.0.2.1
lab_ping 1 198.51.100.2 3 || lab_fail "d1 cannot ping d2 with the new key"

lab_step "the change over, h2 has forgotten the old key: h1 restarted on it alone is refused"
cp "$LC_KEY.old" "$LC_KEY"
lab_daemon_stop 1
lc_daemon_start 1
lc_wait_counter 2 msgs-bad-mac -gt "$bad2" 20
