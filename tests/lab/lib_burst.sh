# shellcheck shell=bash
# tests/lab/lib_burst.sh - a burst of vifs reaching Connected on one host at
# once, and a prober of `vn status` latency while it is processed (issue 9).
# Shared by tests/lab/test_stress_burst.sh (which asserts what must hold)
# and tests/bench/bench_burst.sh (which measures the latency).
#
#     . "$(dirname "$0")/lib_burst.sh"       # sources lib_cluster.sh
#     lb_lab 2000                            # the lab below, burst files ready
#     lb_probe_start 1 2                     # vn status on h1 every 100 ms
#     lb_burst_devices 1; lb_burst_connect 1 # the burst itself
#     lb_wait_macs 2 2000 1 60; lb_probe_stop
#     lb_probe_stats                         # "probes= answered= ... p99_ms="
#
# A burst vif is what the daemon takes for a member: a device
# vif<domid>.0 plugged into a vnet's bridge, with its carrier on like a
# connected netback's, and libxl's backend keys with state 4 (Connected).
# The device is an ifb: Ethernet, carrier on, made in ~1 ms (the kernel
# here has no dummy driver, and a veth pair plugged into a big bridge takes
# ~30 ms).  A bridge takes at most 1024 ports, so the vifs are spread over
# LB_VNETS (4) vnets b0, b1... (bridge vnetb0, tunnel vnifb0...).
# Domids from LB_FIRST_DOMID (1000), MACs 00:16:3e:bb:XX:YY.

. "$(dirname "${BASH_SOURCE[0]}")/lib_cluster.sh"

LB_FIRST_DOMID=${LB_FIRST_DOMID:-1000}
LB_BATCH=${LB_BATCH:-500}   # vifs per xenstore-write (one transaction each)
LB_VNETS=${LB_VNETS:-4}
LB_PROBE_PID=

# lb_mac I: the MAC of burst vif I (0-based).
lb_mac() {
	printf '00:16:3e:bb:%02x:%02x' $(($1 / 256)) $(($1 % 256))
}

# lb_lab N: two hosts with vnet 97, d1 (198.51.100.1) on h1 and d2 (.2)
# on h2, d2 pinging d1 every 100 ms in the background, the burst's vnets
# on both, and the files of a burst of N vifs on h1 (lb_burst_prepare).
lb_lab() {
	lc_cluster 2
	lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
	lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
	lc_wait_fdb 2 00:16:3e:00:00:01 192.0.2.1
	lb_vnets 1 2
	lab_bg d2 ping -n -i 0.1 198.51.100.1
	lb_burst_prepare 1 "$1"
}

# lb_vnets H...: define the burst's vnets on each host H and wait until
# they are up.
lb_vnets() {
	local h k
	for h in "$@"; do
		for ((k = 0; k < LB_VNETS; k++)); do xs "$h" write "/vnet/b$k/bridge" "vnetb$k"; done
	done
	for h in "$@"; do
		for ((k = 0; k < LB_VNETS; k++)); do lab_vnet_up "$h" "b$k"; done
	done
}

# lb_burst_prepare H N: write the burst's ip -batch file ($LAB_DIR/burst.ip)
# and its xenstore-write argument files ($LAB_DIR/burst.xs.K, one per
# LB_BATCH vifs, NUL-separated) for N vifs on host H, vif I on vnet
# b(I % LB_VNETS).
lb_burst_prepare() {
	local h=$1 n=$2 i domid be mtu
	mtu=$(ip -n "${LAB_PREFIX}h$h" -o link show dev vnetb0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	[ -n "$mtu" ] || lab_fail "lb_burst_prepare: no bridge vnetb0 on h$h (lb_vnets first)"
	rm -f "$LAB_DIR"/burst.xs.*
	for ((i = 0; i < n; i++)); do
		echo "link add vif$((LB_FIRST_DOMID + i)).0 mtu $mtu type ifb"
	done >"$LAB_DIR/burst.ip"
	for ((i = 0; i < n; i++)); do
		echo "link set vif$((LB_FIRST_DOMID + i)).0 master vnetb$((i % LB_VNETS)) up"
	done >>"$LAB_DIR/burst.ip"
	for ((i = 0; i < n; i++)); do
		domid=$((LB_FIRST_DOMID + i))
		be=/local/domain/0/backend/vif/$domid/0
		printf '%s\0' "$be/mac" "$(lb_mac "$i")" "$be/bridge" "vnetb$((i % LB_VNETS))" "$be/handle" 0 \
			"$be/online" 1 "$be/state" 4 >>"$LAB_DIR/burst.xs.$((i / LB_BATCH))"
	done
}

# lb_burst_devices H: create and plug the burst's devices (one ip -batch).
lb_burst_devices() {
	ip -n "${LAB_PREFIX}h$1" -batch "$LAB_DIR/burst.ip" || lab_fail "burst: ip -batch failed"
}

# lb_burst_connect H: write the backend keys, LB_BATCH vifs per
# xenstore-write: every vif is Connected the moment its batch commits.
lb_burst_connect() {
	local f args
	for f in "$LAB_DIR"/burst.xs.*; do
		mapfile -d '' -t args <"$f"
		xs "$1" write "${args[@]}" || lab_fail "burst: xenstore-write $f failed"
	done
}

# lb_fdb H: the static entries of host H's burst tunnels, "MAC DST" lines.
lb_fdb() {
	local k
	for ((k = 0; k < LB_VNETS; k++)); do
		lc_fdb "$1" "vnifb$k" | awk '$1 ~ /^00:16:3e:bb:/ && $2 == "dst" && / permanent/ {print $1, $3}'
	done
}

# lb_macs_in_fdb H: how many burst MACs host H's tunnels have a static
# entry for.
lb_macs_in_fdb() {
	lb_fdb "$1" | awk '{print $1}' | sort -u | wc -l
}

# lb_wait_macs H N DST SECONDS: wait until host H has a static entry to DST
# for all N burst MACs.
lb_macs_all_at() {
	[ "$(lb_fdb "$1" | awk -v d="$3" '$2 == d {print $1}' | sort -u | wc -l)" -ge "$2" ]
}
lb_wait_macs() {
	lab_wait "$4" "h$1: $2 burst MACs at $3" lb_macs_all_at "$1" "$2" "$3" ||
		lab_fail "h$1 has $(lb_macs_in_fdb "$1") of the $2 burst MACs in its FDB"
}

# lb_probe_start H OTHER: every 100 ms (on a fixed schedule), ask host H's
# daemon for its status over the control socket, and host OTHER's daemon
# for its "hosts" counter.  One line per probe in $LAB_DIR/probe.log:
# "T_MS H_LATENCY_MS|timeout OTHER_HOSTS|timeout".  A probe that has no
# complete reply within LB_PROBE_TIMEOUT (2) s counts as a timeout.
lb_probe_start() {
	python3 -u -c '
import socket, sys, time
s1, s2, tmo = sys.argv[1], sys.argv[2], float(sys.argv[3])
def ask(path):
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(tmo)
    try:
        s.connect(path)
        s.sendall(b"XVNCTL/1 status\n")
        s.shutdown(socket.SHUT_WR)
        buf = b""
        while True:
            left = tmo - (time.monotonic() - t0)
            if left <= 0:
                return None, ""
            s.settimeout(left)
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except OSError:
        return None, ""
    finally:
        s.close()
    txt = buf.decode(errors="replace")
    if not txt.endswith("end\n"):
        return None, ""
    return (time.monotonic() - t0) * 1000.0, txt
def hosts(txt):
    for line in txt.splitlines():
        if line.startswith("counter name=hosts value="):
            return line.split("=")[-1]
    return "none"
start = time.monotonic()
n = 0
while True:
    ms, _ = ask(s1)
    _, txt = ask(s2)
    other = hosts(txt) if txt else "timeout"
    print("%d %s %s" % ((time.monotonic() - start) * 1000, "%.2f" % ms if ms is not None else "timeout", other), flush=True)
    n += 1
    time.sleep(max(0.0, start + n * 0.1 - time.monotonic()))
' "$LAB_DIR/h$1/ctl.sock" "$LAB_DIR/h$2/ctl.sock" "${LB_PROBE_TIMEOUT:-2}" >"$LAB_DIR/probe.log" 2>&1 &
	LB_PROBE_PID=$!
	LAB_PIDS+=("$LB_PROBE_PID")
	lab_wait 10 "the first probe" test -s "$LAB_DIR/probe.log" || lab_fail "the prober did not start"
}

# lb_probe_more K: wait (at most 10 s) for K more probes.
lb_probe_more() {
	local n0
	n0=$(wc -l <"$LAB_DIR/probe.log")
	# shellcheck disable=SC2016 # expanded by eval, on each try
	lab_wait 10 "$1 more probes" eval '[ "$(wc -l <"$LAB_DIR/probe.log")" -ge '"$((n0 + $1))"' ]' || true
}

lb_probe_stop() {
	[ -n "$LB_PROBE_PID" ] || return 0
	kill "$LB_PROBE_PID" 2>/dev/null || true
	wait "$LB_PROBE_PID" 2>/dev/null || true
	LB_PROBE_PID=
}

# lb_probe_stats: one line "probes=N answered=N timeouts=N p50_ms= p99_ms=
# max_ms= other_min_hosts=N other_timeouts=N" from $LAB_DIR/probe.log.
lb_probe_stats() {
	awk '
		NF == 3 {
			n++
			if ($2 == "timeout") to++; else v[++a] = $2 + 0
			if ($3 == "timeout" || $3 == "none") oto++
			else if (min == "" || $3 + 0 < min) min = $3 + 0
		}
		END {
			# sort the answered latencies (insertion sort: a few thousand at most)
			for (i = 2; i <= a; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
			p50 = a ? v[int((a - 1) * 0.50) + 1] : "-"
			p99 = a ? v[int((a - 1) * 0.99) + 1] : "-"
			mx = a ? v[a] : "-"
			printf "probes=%d answered=%d timeouts=%d p50_ms=%s p99_ms=%s max_ms=%s other_min_hosts=%s other_timeouts=%d\n",
				n, a, to, p50, p99, mx, (min == "" ? "-" : min), oto
		}' "$LAB_DIR/probe.log"
}
