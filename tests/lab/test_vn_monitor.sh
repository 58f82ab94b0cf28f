#!/bin/bash
# vn monitor and vn metrics (issue 11).  On h1 `vn monitor` and `vn -j
# monitor` run in the background into files; the test waits for each event
# line while it: defines vnet 97 (vnet up), lets h2 join (host join),
# starts a domain on h1 (vif join), migrates it to h2 (vif leave, MAC move
# h1 -> h2) and stops h2 (host leave).  Every -j line has the keys vn(8)
# documents.  A subscriber that never reads is dropped (daemon log, EOF)
# while vn status keeps answering and vn monitor keeps its events.
# `vn metrics` passes prom_check.py (format, and values between two vn
# status -j); the metrics_file is written and rewritten.  SIGTERM stops vn
# monitor with status 0; the daemon going away ends it with status 1.
#
#        guest d10 198.51.100.10 (domid 10 on h1, migrates to h2 as 11)
#              |  ---- migrates ---->  |
#   [vnet97] h1 192.0.2.1 --- sw0 --- 192.0.2.2 h2 [vnet97]
#     vn monitor > mon.txt, vn -j monitor > mon.json, a stuck subscriber
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
GM=00:16:3e:00:07:10
MAN=$(dirname "$0")/../../docs/vn.8
SCHEMA=$(dirname "$0")/json_schema.py
PROM=$(dirname "$0")/prom_check.py
MON=$LAB_DIR/mon.txt MONJ=$LAB_DIR/mon.json
METRICS=$LAB_DIR/h1/metrics.prom

# has FILE REGEX [N]: FILE has more than N (0) lines matching REGEX (extended).
has() { [ "$(grep -cE -- "$2" "$1")" -gt "${3:-0}" ]; }
# want DESC FILE REGEX [N]: wait for that line (for more than N of them).
want() { lab_wait 30 "$1" has "$2" "$3" "${4:-0}" || lab_fail "$1: not in $2: $(cat "$2")"; }
# subscribers: connections the daemon on h1 holds on its control socket.
subscribers() { [ "$(ip netns exec "${LAB_PREFIX}h1" ss -Hx state connected src "$LAB_DIR/h1/ctl.sock" | wc -l)" -ge "$1" ]; }
vn1() {
	ip netns exec "${LAB_PREFIX}h1" env XENSTORED_PATH="$LAB_DIR/h1/xs/socket" \
		VN_SOCKET="$LAB_DIR/h1/ctl.sock" "$LAB_BUILD/tools/vn" "$@"
}

lab_step "h1 (metrics_file every second), vn monitor and vn -j monitor on it"
lc_key
lab_switch
printf 'metrics_file = %s\nmetrics_interval_s = 1\n' "$METRICS" >"$LAB_DIR/h1.conf"
LC_DAEMON_ARGS=(-c "$LAB_DIR/h1.conf")
lc_host 1
LC_DAEMON_ARGS=()
lab_wait 10 "h1's control socket" test -S "$LAB_DIR/h1/ctl.sock" || lab_fail "h1: no control socket"
lab_bg h1 env XENSTORED_PATH="$LAB_DIR/h1/xs/socket" VN_SOCKET="$LAB_DIR/h1/ctl.sock" \
	"$LAB_BUILD/tools/vn" monitor >"$MON" 2>"$MON.err"
MON_PID=$LAB_BG
lab_bg h1 env XENSTORED_PATH="$LAB_DIR/h1/xs/socket" VN_SOCKET="$LAB_DIR/h1/ctl.sock" \
	"$LAB_BUILD/tools/vn" -j monitor >"$MONJ" 2>"$MONJ.err"
MONJ_PID=$LAB_BG
lab_wait 10 "two subscribers" subscribers 2 || lab_fail "monitors not connected: $(cat "$MON.err" "$MONJ.err")"

lab_step "vnet 97 defined, h2 joins: vnet up, host join"
lc_host 2
lc_vnet 97 vnet97 1 2
want "vnet up" "$MON" '^vnet vnet 97 state up bridge vnet97$'
want "host join" "$MON" '^host action join addr 192\.0\.2\.2 found multicast$'

lab_step "a domain on h1: vif join"
lab_mdomain 1 10 198.51.100.10 $GM vnet97
want "vif join" "$MON" "^vif action join vnet 97 name vif10\.0 domid 10 mac $GM\$"

lab_step "migrate it to h2: vif leave, MAC move h1 -> h2"
lc_wait_fdb 2 $GM 192.0.2.1
lab_migrate 1 2 10 11
want "vif leave" "$MON" "^vif action leave vnet 97 name vif10\.0 domid 10 mac $GM\$"
want "MAC move" "$MON" "^move vnet 97 mac $GM from 192\.0\.2\.1 to 192\.0\.2\.2 seq [0-9]+\$"

lab_step "a vnet in error: state error with its reason"
xs 1 write /vnet/98/bridge vnet97
want "vnet error" "$MON" '^vnet vnet 98 state error bridge vnet97 reason .+'
xs 1 rm /vnet/98
want "vnet down" "$MON" '^vnet vnet 98 state down'

lab_step "a subscriber that never reads is dropped; the loop does not stall"
python3 - "$LAB_DIR/h1/ctl.sock" "$LAB_DIR/stuck" "$LAB_DIR/stuck.go" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"XVNCTL/1 monitor\n")
head = b""
while not head.endswith(b"\n"):
    head += s.recv(1)
open(sys.argv[2], "w").write(head.decode())
while not os.path.exists(sys.argv[3]):   # never reads until told
    time.sleep(0.05)
s.settimeout(30)
data = b""
while True:
    got = s.recv(65536)
    if not got:
        break
    data += got
open(sys.argv[2], "a").write("eof %d\n" % len(data))
PY
STUCK_PID=$!
LAB_PIDS+=("$STUCK_PID")
lab_wait 10 "the stuck subscriber" has "$LAB_DIR/stuck" '^XVNCTL/1 ok$' || lab_fail "stuck subscriber: $(cat "$LAB_DIR/stuck")"
# Rounds of 50 vnets defined and deleted (pending, up, down each) until the
# daemon drops it; vn status answers within 5 s during every round.
for ((round = 0; round < 40; round++)); do
	has "$LAB_DIR/h1/daemon.log" 'monitor subscriber fell .* behind; dropped' && break
	args=()
	for ((i = 0; i < 50; i++)); do args+=("/vnet/$((300 + i))/bridge" "vb$((300 + i))"); done
	ups=$(grep -cE '^vnet vnet 349 state up' "$MON" || true)
	downs=$(grep -cE '^vnet vnet 349 state down' "$MON" || true)
	xs 1 write "${args[@]}"
	timeout 5 ip netns exec "${LAB_PREFIX}h1" env VN_SOCKET="$LAB_DIR/h1/ctl.sock" \
		"$LAB_BUILD/tools/vn" status >/dev/null || lab_fail "vn status did not answer within 5 s (round $round)"
	lab_wait 30 "vnet 349 up" has "$MON" '^vnet vnet 349 state up' "$ups" || lab_fail "vnet 349 not up"
	xs 1 rm $(for ((i = 0; i < 50; i++)); do echo "/vnet/$((300 + i))"; done)
	lab_wait 30 "vnet 349 down" has "$MON" '^vnet vnet 349 state down' "$downs" || lab_fail "vnet 349 not down"
done
has "$LAB_DIR/h1/daemon.log" 'monitor subscriber fell .* behind; dropped' ||
	lab_fail "the stuck subscriber was never dropped after $round rounds"
touch "$LAB_DIR/stuck.go"
lab_wait 40 "the stuck subscriber's EOF" has "$LAB_DIR/stuck" '^eof ' || lab_fail "stuck subscriber: no EOF: $(cat "$LAB_DIR/stuck")"
kill -0 "$MON_PID" 2>/dev/null || lab_fail "vn monitor was dropped too: $(cat "$MON.err")"
kill -0 "$MONJ_PID" 2>/dev/null || lab_fail "vn -j monitor was dropped too: $(cat "$MONJ.err")"
lab_log "dropped after $round rounds; it had $(sed -n 's/^eof //p' "$LAB_DIR/stuck") bytes"

lab_step "vn metrics: the exposition format, values between two vn status -j"
# h2 may have been missed during the rounds (above): wait until it is back.
h2_metric() { vn1 metrics | grep -qE '^xenvnet_host_vnets\{addr="192\.0\.2\.2",found="multicast"\} 1$'; }
lab_wait 20 "h2 in vn metrics" h2_metric || lab_fail "no host gauge for h2: $(vn1 metrics)"
vn1 -j status >"$LAB_DIR/s1.json"
vn1 metrics >"$LAB_DIR/metrics.txt"
vn1 -j status >"$LAB_DIR/s2.json"
vn1 -j vnets >"$LAB_DIR/vnets.json"
python3 "$PROM" "$LAB_DIR/metrics.txt" "$LAB_DIR/s1.json" "$LAB_DIR/s2.json" "$LAB_DIR/vnets.json" ||
	lab_fail "vn metrics: $(cat "$LAB_DIR/metrics.txt")"
has "$LAB_DIR/metrics.txt" '^xenvnet_vnet_up\{id="97",bridge="vnet97"\} 1$' || lab_fail "no vnet 97 gauge"
vn1 -j metrics >"$LAB_DIR/metrics.json"
python3 "$SCHEMA" "$MAN" metrics "$LAB_DIR/metrics.json" || lab_fail "vn -j metrics: $(cat "$LAB_DIR/metrics.json")"

lab_step "metrics_file: written, valid, rewritten"
lab_wait 10 "$METRICS" test -s "$METRICS" || lab_fail "no $METRICS"
python3 "$PROM" "$METRICS" || lab_fail "$METRICS: $(cat "$METRICS")"
[ "$(stat -c %a "$METRICS")" = 644 ] || lab_fail "$METRICS has mode $(stat -c %a "$METRICS"), not 644"
up0=$(sed -n 's/^xenvnet_uptime_seconds //p' "$METRICS")
lab_wait 10 "a newer $METRICS" bash -c "! grep -qx 'xenvnet_uptime_seconds $up0' '$METRICS'" ||
	lab_fail "$METRICS not rewritten (uptime still $up0)"
python3 "$PROM" "$METRICS" || lab_fail "$METRICS: $(cat "$METRICS")"

lab_step "h2 stops: host leave"
# (Under load h1 may have missed h2's HELLOs during the rounds: count.)
LEAVE='^host action leave addr 192\.0\.2\.2 reason .+'
JOIN='^host action join addr 192\.0\.2\.2 '
[ "$(grep -cE "$JOIN" "$MON")" -gt "$(grep -cE "$LEAVE" "$MON" || true)" ] ||
	want "h2 back" "$MON" "$JOIN" "$(grep -cE "$JOIN" "$MON")"
leaves=$(grep -cE "$LEAVE" "$MON" || true)
lab_daemon_stop 2
want "host leave" "$MON" "$LEAVE" "$leaves"

lab_step "-j: one object per line with the keys of vn(8); the same events"
python3 "$SCHEMA" "$MAN" monitor "$MONJ" || lab_fail "vn -j monitor: $(head -c 2000 "$MONJ")"
python3 - "$MONJ" "$GM" <<'PY' || lab_fail "vn -j monitor lacks events: $(head -c 3000 "$MONJ")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
mac = sys.argv[2]
assert any(e["event"] == "move" and e["mac"] == mac and e["from"] == "192.0.2.1"
           and e["to"] == "192.0.2.2" and isinstance(e["seq"], int) for e in ev)
assert any(e["event"] == "vif" and e["action"] == "join" and e["domid"] == 10 for e in ev)
assert any(e["event"] == "vnet" and e["vnet"] == "98" and e["state"] == "error" and e["reason"] for e in ev)
assert any(e["event"] == "host" and e["action"] == "leave" and e["addr"] == "192.0.2.2" for e in ev)
PY

lab_step "SIGTERM ends vn monitor with 0; the daemon going away ends vn -j monitor with 1"
kill -TERM "$MON_PID"
st=0
wait "$MON_PID" || st=$?
[ "$st" = 0 ] || lab_fail "vn monitor exited $st after SIGTERM: $(cat "$MON.err")"
lab_daemon_stop 1
st=0
wait "$MONJ_PID" || st=$?
[ "$st" = 1 ] || lab_fail "vn -j monitor exited $st when the daemon stopped"
has "$MONJ.err" 'closed the connection' || lab_fail "vn -j monitor said: $(cat "$MONJ.err")"
