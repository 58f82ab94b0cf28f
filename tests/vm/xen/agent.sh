#!/bin/bash
# The command agent of the emulated hosts (dom0 and domU alike): socat runs
# it once per TCP connection.  It reads a whole script, runs it with no
# stdin and sends back its output and a last line __RC=<exit status>.
# socat leaves its sockets open in what it runs: closed here, or a command
# left in the background (a pinger, a monitor) would hold the connection.
for fd in /proc/$$/fd/*; do
	fd=${fd##*/}
	[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
done
f=$(mktemp /tmp/agent.XXXXXX)
cat >"$f"
bash "$f" </dev/null 2>&1
echo "__RC=$?"
rm -f "$f"
