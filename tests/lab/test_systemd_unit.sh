#!/bin/bash
# The installed systemd unit, and the daemon run as systemd runs it.
#
#   make install PREFIX=$T/usr ...     -> $T/usr/lib/systemd/system/xenvnetd.service
#   systemd-analyze verify / security  on that file (clean; exposure <= 4.0)
#
#   h1 (netns): xenstored, and the installed xenvnetd started as the unit
#   says, in a mount namespace of its own where
#       /run     = $T/run     (holds RuntimeDirectory=, made as systemd would)
#       /var/lib = $T/varlib  (holds StateDirectory=)
#   with systemd's environment: NOTIFY_SOCKET (a python3 listener),
#   WATCHDOG_USEC, and JOURNAL_STREAM naming the daemon's stderr file.
#
# Checks: READY=1 comes once the control socket in RuntimeDirectory answers;
# WATCHDOG=1 keeps coming; state lands in StateDirectory; `vn` finds the
# socket by default; every log line is "<priority>message" with xenstore's
# bytes escaped; SIGTERM gives STOPPING=1 and exit 0.
set -e
. "$(dirname "$0")/lib.sh"
lab_init "$1"

command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze (apt-get install systemd)"; exit 0; }

T=$LAB_DIR/inst
san=0
[[ $LAB_BUILD == */build-san ]] && san=1
make -s -C "$LAB_ROOT" SAN=$san install PREFIX="$T/usr" SYSCONFDIR="$T/etc" \
	XEN_SCRIPTS="$T/etc/xen/scripts" >"$LAB_DIR/install.log" 2>&1 ||
	lab_fail "make install failed: $(tail -5 "$LAB_DIR/install.log")"
unit=$T/usr/lib/systemd/system/xenvnetd.service
[ -f "$unit" ] || lab_fail "no unit under the prefix (UNITDIR): $(find "$T" -name '*.service')"
grep -qx "ExecStart=$T/usr/sbin/xenvnetd -f" "$unit" || lab_fail "ExecStart not the installed daemon: $(grep ExecStart "$unit")"

# verify: the referenced binaries and man pages exist under the prefix.
out=$(MANPATH=$T/usr/share/man systemd-analyze verify "$unit" 2>&1) || lab_fail "systemd-analyze verify: $out"
[ -z "$out" ] || lab_fail "systemd-analyze verify is not clean: $out"
out=$(systemd-analyze security --offline=yes "$unit" 2>&1) || lab_fail "systemd-analyze security: $out"
level=$(echo "$out" | sed -n 's/.*Overall exposure level for xenvnetd.service: \([0-9.]*\).*/\1/p')
[ -n "$level" ] || lab_fail "no exposure level in: $out"
awk -v l="$level" 'BEGIN { exit !(l <= 4.0) }' || lab_fail "exposure $level > 4.0: $(echo "$out" | grep '✗')"
echo "systemd-analyze security: exposure $level"

# The directories systemd would make for the unit.
rundir=$(sed -n 's/^RuntimeDirectory=//p' "$unit")
statedir=$(sed -n 's/^StateDirectory=//p' "$unit")
[ -n "$rundir" ] && [ -n "$statedir" ] || lab_fail "unit lacks RuntimeDirectory= or StateDirectory="
mkdir -p "$T/run/$rundir" "$T/varlib/$statedir"

# NOTIFY_SOCKET: one line per datagram; at READY=1, does the socket answer?
python3 -u -c '
import glob, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    m = s.recv(4096).decode(errors="replace").replace("\n", " ")
    if "READY=1" in m:
        ok = "no-socket"
        for p in glob.glob(sys.argv[2] + "/*"):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                c.connect(p)
                c.sendall(b"XVNCTL/1 status\n")
                if c.recv(4096).startswith(b"XVNCTL/1 ok"):
                    ok = "listening"
            except OSError:
                pass
            c.close()
        m += " " + ok
    print(m)
' "$LAB_DIR/notify" "$T/run/$rundir" >"$LAB_DIR/notify.log" 2>&1 &
LAB_PIDS+=("$!")
lab_wait 20 "notify listener" test -S "$LAB_DIR/notify" || lab_fail "notify listener did not start"

lab_hosts 1 nodaemon
journal=$LAB_DIR/journal.log
: >"$journal"
stream=$(stat -c '%d:%i' "$journal")
ip netns exec "${LAB_PREFIX}h1" env XENSTORED_PATH="$LAB_DIR/h1/xs/socket" \
	NOTIFY_SOCKET="$LAB_DIR/notify" WATCHDOG_USEC=400000 JOURNAL_STREAM="$stream" \
	ASAN_OPTIONS="$LAB_ASAN_OPTIONS" UBSAN_OPTIONS="$LAB_UBSAN_OPTIONS" \
	unshare -m --propagation private sh -c \
	'mount --bind "$1" /run && mount --bind "$2" /var/lib && exec "$3" -f -v -c "$4"' \
	sh "$T/run" "$T/varlib" "$T/usr/sbin/xenvnetd" "$T/etc/xenvnet/xenvnetd.conf" \
	>>"$journal" 2>&1 &
pid=$!
LAB_PIDS+=("$pid")
dump() { echo "--- notify:"; cat "$LAB_DIR/notify.log"; echo "--- daemon:"; cat "$journal"; }
ready() { grep -q READY=1 "$LAB_DIR/notify.log"; }
lab_wait 20 "READY=1" ready || { dump; lab_fail "no READY=1 from the daemon"; }
grep -q 'READY=1 listening' "$LAB_DIR/notify.log" ||
	{ dump; lab_fail "READY=1 came before the control socket in /run/$rundir answered"; }
watchdogs() { [ "$(grep -c WATCHDOG=1 "$LAB_DIR/notify.log")" -ge 3 ]; }
lab_wait 20 "3 x WATCHDOG=1" watchdogs || { dump; lab_fail "the watchdog is not fed"; }

# vn, run where the daemon runs, finds its socket without --socket.
out=$(nsenter -t "$pid" -m -n "$T/usr/sbin/vn" status 2>&1) || { dump; lab_fail "vn status on the default socket: $out"; }
echo "$out" | grep -q '^version: *0' || lab_fail "vn status: $out"

xs 1 write /vnet/97/bridge vnet97
lab_vnet_up 1 97
state_files() { [ -n "$(ls -A "$T/varlib/$statedir")" ]; }
lab_wait 10 "state in StateDirectory" state_files || { dump; lab_fail "nothing saved in /var/lib/$statedir"; }

# A bridge name with a newline and an ESC: refused, and logged escaped.
xs 1 write /vnet/98/bridge "$(printf 'br\nX\033[31m')"
lab_wait_xs 1 /vnet/98/state error
escaped() { grep -qF 'br\x0aX\x1b[31m' "$journal"; }
lab_wait 10 "the escaped name in the log" escaped || { dump; lab_fail "the bad name is not logged escaped"; }

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || { dump; lab_fail "daemon exit status $rc on SIGTERM"; }
lab_wait 10 "STOPPING=1" grep -q STOPPING=1 "$LAB_DIR/notify.log" || { dump; lab_fail "no STOPPING=1"; }

# journald's form: a priority on every line, no timestamp of ours, no raw ESC.
bad=$(grep -vE '^<[0-7]>' "$journal" | grep -v '^$' || true)
[ -z "$bad" ] || { dump; lab_fail "lines without a <priority> prefix: $bad"; }
grep -qE '^<[0-7]>[0-9]+\.[0-9]{3} ' "$journal" && { dump; lab_fail "our own timestamps under journald"; }
grep -q $'\033' "$journal" && { dump; lab_fail "a raw ESC reached the log"; }
grep -q '^<6>xenvnetd 0' "$journal" || { dump; lab_fail "the start line is not at info (<6>)"; }
echo "ok: READY=1 after the socket listens, watchdog fed, <N> lines, escaped values"
