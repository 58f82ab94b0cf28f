#!/bin/bash
# The command agent of the emulated hosts (dom0 and domU alike): socat runs
# it once per TCP connection.  It reads a line with the script's length in
# bytes, then the script, runs it with no stdin and sends back its output
# and a last line __RC=<exit status>.  (A length, not EOF: qemu's user
# network may never pass on the close of a half-closed connection.)
# socat leaves its sockets open in what it runs: closed here, or a command
# left in the background (a pinger, a monitor) would hold the connection.
for fd in /proc/$$/fd/*; do
	fd=${fd##*/}
	[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
done
f=$(mktemp /tmp/agent.XXXXXX)
read -r len
head -c "$len" >"$f"
bash "$f" </dev/null 2>&1
echo "__RC=$?"
rm -f "$f"
