#!/bin/bash
# A host disappears (issue #4): h3's daemon is killed -9 and its underlay
# link cut.  h1 and h2 forget h3 and its MACs within hold_s plus one hello
# interval of its last HELLO (measured, and bounded), and not before
# hold_s minus one hello interval.  When h3 comes back it is relearnt.
#
#   d1 .1            d2 .2            d3 .3 00:16:3e:00:00:03   (198.51.100.0/24, vnet 97)
#    |                |                |
#   h1 192.0.2.1     h2 192.0.2.2     h3 192.0.2.3
#      \_______________|______________/
#                   sw0        (the port to h3 goes down)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
HOLD_S=3        # daemon defaults (docs: hello_ms 1000, hold_s 3)
HELLO_MS=1000
SLACK_MS=${LC_SLACK_MS:-300}   # polling and a sanitizer build's scheduling
M=(x 00:16:3e:00:00:01 00:16:3e:00:00:02 00:16:3e:00:00:03)

lab_step "three hosts, a domain on each, everyone knows everyone"
lc_cluster 3
for h in 1 2 3; do
	lab_domain $h $h 198.51.100.$h ${M[h]} vnet97
done
for h in 1 2 3; do
	for o in 1 2 3; do
		[ $h = $o ] || lc_wait_fdb $h ${M[o]} 192.0.2.$o 5
	done
	lc_wait_counter $h hosts -eq 2
done
lab_ping 1 198.51.100.3 2

lab_step "kill -9 h3's daemon and cut its link"
t0=$(lab_now_ms)
lab_daemon_kill 3
ip -n "${LAB_PREFIX}sw" link set h3 down
gone1='' gone2=''
end=$((t0 + HOLD_S * 1000 + HELLO_MS + 5000))
while [ -z "$gone1" ] || [ -z "$gone2" ]; do
	now=$(lab_now_ms)
	((now < end)) || break
	[ -n "$gone1" ] || { lc_fdb_static_gone 1 ${M[3]} && gone1=$(($(lab_now_ms) - t0)); }
	[ -n "$gone2" ] || { lc_fdb_static_gone 2 ${M[3]} && gone2=$(($(lab_now_ms) - t0)); }
	sleep 0.01
done
bound=$((HOLD_S * 1000 + HELLO_MS))
lab_log "h3's MAC left h1's FDB after ${gone1:-never} ms, h2's after ${gone2:-never} ms (bound $bound ms + ${SLACK_MS} ms slack)"
[ -n "$gone1" ] && [ -n "$gone2" ] || lab_fail "h3's MAC is still installed $((end - t0)) ms after h3 went"
for g in $gone1 $gone2; do
	((g <= bound + SLACK_MS)) || lab_fail "h3 forgotten after $g ms, bound $bound ms (hold ${HOLD_S}s + one hello)"
	((g >= HOLD_S * 1000 - HELLO_MS)) || lab_fail "h3 forgotten after only $g ms: before its hold time ran out"
done
for h in 1 2; do
	lc_wait_counter $h hosts -eq 1 1
	lc_wait_counter $h macs-remote -eq 1 1
	lc_vn $h varp | grep -q "${M[3]}.*static" && lab_fail "h$h: vn varp still lists ${M[3]} as static"
	grep -q "host 192.0.2.3: silent for ${HOLD_S}s, forgetting its MACs" "$LAB_DIR/h$h/daemon.log" ||
		lab_fail "h$h did not log forgetting h3"
done
lab_ping 1 198.51.100.2 2
lab_ping 2 198.51.100.1 2

lab_step "h3 comes back: relearnt"
ip -n "${LAB_PREFIX}sw" link set h3 up
t0=$(lab_now_ms)
lc_daemon_start 3
for h in 1 2; do
	lc_wait_fdb $h ${M[3]} 192.0.2.3 10
done
lab_log "h3's MAC back on h1 and h2 within $(($(lab_now_ms) - t0)) ms of the restart"
lab_ping 1 198.51.100.3 2
