# shellcheck shell=bash
# tests/lab/lib.sh - a multi-host xenvnet lab built from network namespaces.
#
# Sourced by tests/lab/test_*.sh, tests/lab/demo.sh and scripts/run-bench.sh.
# Each simulated Xen host is a netns running its own real xenstored (made to
# run without a hypervisor by the LD_PRELOAD shim) and its own xenvnetd.  The
# hosts' underlay NICs hang off one L2 switch; each domain is a netns whose
# veth plays the vif (host end "vif<domid>.<devid>", guest end "eth0").
#
#     d1 eth0 198.51.100.1                        d2 eth0 198.51.100.2
#        |                                           |
#     vif1.0 -- vnet97 (bridge) -- vnif97 (VXLAN)   vif2.0 -- vnet97 -- vnif97
#                         h1 eth0 192.0.2.1           h2 eth0 192.0.2.2
#                                 \                  /
#                                  h1 ---- sw0 ---- h2      (netns "sw")
#
# Nothing is created in the caller's namespace: every device lives in a
# namespace named "$LAB_PREFIX...", and lab_cleanup (trapped on EXIT, INT
# and TERM) stops every process the lab started (by pid), deletes those
# namespaces and removes the lab's temp dir.
#
# Usage in a test:
#     . "$(dirname "$0")/lib.sh"
#     lab_init "$1"           # build dir (default $BUILD_DIR or build)
#     lab_hosts 2             # switch + h1,h2 with xenstored + xenvnetd
#     xs 1 write /vnet/97/bridge vnet97
#     lab_wait_xs 1 /vnet/97/state up
#     lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
#     d1 ping -c 1 198.51.100.2
# After lab_host N the function hN runs a command in host N's netns, dN in
# domain N's netns, sw in the switch's; "xs N OP ARGS" runs xenstore-OP
# against host N's xenstored.

LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_ROOT=$(cd "$LAB_LIB_DIR/../.." && pwd)
LAB_PREFIX="xv$$-"
LAB_XENSTORED=${LAB_XENSTORED:-/usr/lib/xen-4.17/bin/xenstored}
LAB_NETNS=()          # namespaces we created, deleted in reverse order
LAB_PIDS=()           # extra background pids (pings, iperf...) to kill
LAB_HOSTS=0
LAB_CLEANED=0
# Sanitizer settings for the daemon (harmless for a non-sanitizer build).
LAB_ASAN_OPTIONS=${LAB_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
LAB_UBSAN_OPTIONS=${LAB_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LAB_SAN_RE='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer'

# ---------------------------------------------------------------- messages

lab_log() { printf '  %s\n' "$*"; }
lab_step() { printf '== %s\n' "$*"; }
lab_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# ------------------------------------------------------------ set-up, exit

# lab_init [BUILD_DIR]: resolve binaries, arm the cleanup trap.
lab_init() {
	local b=${1:-${BUILD_DIR:-build}}
	case $b in /*) ;; *) b=$LAB_ROOT/$b ;; esac
	LAB_BUILD=$b
	LAB_DAEMON=${LAB_DAEMON:-$LAB_BUILD/xenvnetd/xenvnetd}
	LAB_SHIM=${LAB_SHIM:-$LAB_BUILD/tests/xs-shim/xs_shim.so}
	[ "$(id -u)" -eq 0 ] || lab_fail "the lab needs root (network namespaces)"
	[ -x "$LAB_XENSTORED" ] || lab_fail "no xenstored at $LAB_XENSTORED (make deps)"
	[ -f "$LAB_SHIM" ] || lab_fail "no xenstored shim at $LAB_SHIM (make)"
	lab_sweep_stale
	LAB_DIR=$(mktemp -d /tmp/xenvnet-lab.XXXXXX)
	trap lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

lab_need_daemon() {
	[ -x "$LAB_DAEMON" ] || lab_fail "no daemon at $LAB_DAEMON (make)"
}

# Namespaces of earlier runs whose owning shell is gone (e.g. kill -9 of a
# test): their processes and devices are ours, remove them.
lab_sweep_stale() {
	local ns owner
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^xv[0-9]+-' || true); do
		owner=${ns#xv}
		owner=${owner%%-*}
		kill -0 "$owner" 2>/dev/null && continue
		lab_ns_kill_pids "$ns"
		ip netns del "$ns" 2>/dev/null || true
	done
}

lab_ns_kill_pids() {
	local p
	for p in $(ip netns pids "$1" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null || true
	done
}

# Called on every exit path.  Keeps the test's exit status, turning it into
# a failure when a daemon died on its own or its log has sanitizer reports.
lab_cleanup() {
	local rc=$? n p ns i
	[ "$LAB_CLEANED" = 1 ] && return
	LAB_CLEANED=1
	set +e
	trap - INT TERM
	for ((n = 1; n <= LAB_HOSTS; n++)); do
		lab_daemon_stop "$n" || rc=1
	done
	for ((n = 1; n <= LAB_HOSTS; n++)); do
		lab_san_check "$n" || rc=1
	done
	[ "$rc" = 0 ] || lab_dump_logs
	for p in "${LAB_PIDS[@]}"; do
		disown "$p" 2>/dev/null   # no "Killed" job notices
		kill -9 "$p" 2>/dev/null
	done
	for ((n = 1; n <= LAB_HOSTS; n++)); do
		lab_xenstored_kill "$n"
	done
	# Anything still running inside our namespaces was started by us.
	for ((i = ${#LAB_NETNS[@]} - 1; i >= 0; i--)); do
		ns=${LAB_NETNS[i]}
		lab_ns_kill_pids "$ns"
		ip netns del "$ns" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ -n "$LAB_KEEP" ]; then
			echo "lab: kept $LAB_DIR" >&2
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	exit "$rc"
}

# Print the tail of every daemon log (and what the kernel and xenstore
# look like) so a failed run explains itself.
lab_dump_logs() {
	local n lines=${LAB_DUMP_LINES:-80}
	for ((n = 1; n <= LAB_HOSTS; n++)); do
		echo "----- h$n: xenvnetd log (last $lines lines) -----" >&2
		tail -n "$lines" "$LAB_DIR/h$n/daemon.log" >&2 2>/dev/null
		echo "----- h$n: xenstore /vnet -----" >&2
		xs "$n" ls /vnet 2>&1 | head -n 60 >&2
		echo "----- h$n: links -----" >&2
		ip -n "${LAB_PREFIX}h$n" -br link >&2 2>/dev/null
	done
	echo "-----" >&2
}

# ---------------------------------------------------------------- topology

# lab_ns NAME FN: create netns $LAB_PREFIX$NAME and a shell function FN
# that runs its arguments inside it.
lab_ns() {
	local ns=$LAB_PREFIX$1
	ip netns add "$ns"
	LAB_NETNS+=("$ns")
	eval "$2() { ip netns exec '$ns' \"\$@\"; }"
	ip -n "$ns" link set lo up
}

# The underlay switch.  Multicast snooping off so the VXLAN group floods
# to every host without an IGMP querier.
lab_switch() {
	lab_ns sw sw
	ip -n "${LAB_PREFIX}sw" link add sw0 type bridge mcast_snooping 0
	ip -n "${LAB_PREFIX}sw" link set sw0 up
}

# lab_host N [nodaemon]: host N with underlay eth0 192.0.2.N/24, its own
# xenstored and (unless "nodaemon") its own xenvnetd.
lab_host() {
	local n=$1 ns=${LAB_PREFIX}h$1
	[ -d "$LAB_DIR/h$n" ] && lab_fail "host $n exists"
	mkdir -p "$LAB_DIR/h$n/xs" "$LAB_DIR/h$n/state"
	lab_ns "h$n" "h$n"
	ip -n "${LAB_PREFIX}sw" link add "h$n" type veth peer name eth0 netns "$ns"
	ip -n "${LAB_PREFIX}sw" link set "h$n" master sw0 up
	ip -n "$ns" addr add "192.0.2.$n/24" dev eth0
	ip -n "$ns" link set eth0 up
	((n > LAB_HOSTS)) && LAB_HOSTS=$n
	lab_xenstored_start "$n"
	[ "$2" = nodaemon ] || lab_daemon_start "$n"
}

# lab_hosts N [nodaemon]: the switch and hosts 1..N.
lab_hosts() {
	local n
	lab_switch
	for ((n = 1; n <= $1; n++)); do
		lab_host "$n" "$2"
	done
}

# ---------------------------------------------------------------- xenstore

# xs N OP ARGS...: xenstore-OP against host N's xenstored.  Clients only
# need the socket path, so they run in our namespace.
xs() {
	local n=$1 op=$2
	shift 2
	XENSTORED_PATH=$LAB_DIR/h$n/xs/socket "xenstore-$op" "$@"
}

# xs_get N KEY: the value, or nothing (and success) when absent.
xs_get() {
	xs "$1" read "$2" 2>/dev/null || true
}

lab_xenstored_start() {
	local n=$1 d=$LAB_DIR/h$1/xs
	rm -f "$d/socket" "$d/socket_ro" "$d/pid"
	echo "=== lab: xenstored start $(date +%T.%N)" >>"$d/xenstored.log"
	ip netns exec "${LAB_PREFIX}h$n" env XENSTORED_RUNDIR="$d" XENSTORED_PATH="$d/socket" \
		LD_PRELOAD="$LAB_SHIM" "$LAB_XENSTORED" -N -F "$d/pid" >>"$d/xenstored.log" 2>&1 &
	echo $! >"$d/lab.pid"
	lab_wait 5 "xenstored on h$n" xs "$n" exists / ||
		lab_fail "xenstored on h$n did not start: $(tail -5 "$d/xenstored.log")"
	# What xen-init-dom0 writes at boot.
	xs "$n" write /local/domain/0/name Domain-0 /local/domain/0/domid 0
}

# lab_xenstored_kill N: kill -9 (a crash; the store's contents are lost).
lab_xenstored_kill() {
	local f=$LAB_DIR/h$1/xs/lab.pid pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	rm -f "$f"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

lab_xenstored_restart() {
	lab_xenstored_kill "$1"
	lab_xenstored_start "$1"
}

# ---------------------------------------------------------------- the daemon

lab_daemon_pid() { cat "$LAB_DIR/h$1/daemon.pid" 2>/dev/null; }

lab_daemon_alive() {
	local pid
	pid=$(lab_daemon_pid "$1") || return 1
	kill -0 "$pid" 2>/dev/null
}

# lab_daemon_start N [ARGS...]: start xenvnetd in host N's netns, logging
# to $LAB_DIR/hN/daemon.log.  It is a child of this shell, so we can wait
# for it and see its exit status.
lab_daemon_start() {
	local n=$1 d=$LAB_DIR/h$1
	shift
	lab_need_daemon
	lab_daemon_alive "$n" && lab_fail "daemon on h$n already running"
	echo "=== lab: xenvnetd start $(date +%T.%N)" >>"$d/daemon.log"
	ip netns exec "${LAB_PREFIX}h$n" env XENSTORED_PATH="$d/xs/socket" \
		ASAN_OPTIONS="$LAB_ASAN_OPTIONS" UBSAN_OPTIONS="$LAB_UBSAN_OPTIONS" \
		"$LAB_DAEMON" -f -v --state-dir "$d/state" --underlay eth0 \
		--ctl-socket "$d/ctl.sock" -c /dev/null "$@" >>"$d/daemon.log" 2>&1 &
	echo $! >"$d/daemon.pid"
}

# lab_daemon_kill N: kill -9, as a crash would.
lab_daemon_kill() {
	local pid
	pid=$(lab_daemon_pid "$1") || return 0
	rm -f "$LAB_DIR/h$1/daemon.pid"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	echo "=== lab: xenvnetd killed -9 $(date +%T.%N)" >>"$LAB_DIR/h$1/daemon.log"
}

# lab_daemon_stop N: SIGTERM and wait (bounded).  Fails when the daemon had
# already died on its own or does not exit cleanly with status 0.
lab_daemon_stop() {
	local n=$1 pid rc=0 i
	pid=$(lab_daemon_pid "$n") || return 0
	rm -f "$LAB_DIR/h$n/daemon.pid"
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		echo "lab: xenvnetd on h$n died on its own (exit status $?)" >&2
		return 1
	fi
	kill -TERM "$pid"
	for ((i = 0; i < 1000; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "lab: xenvnetd on h$n ignored SIGTERM for 10 s, killing it" >&2
		kill -9 "$pid"
		rc=1
	fi
	wait "$pid" 2>/dev/null
	local st=$?
	if [ "$rc" = 0 ] && [ "$st" != 0 ]; then
		echo "lab: xenvnetd on h$n exited with status $st after SIGTERM" >&2
		rc=1
	fi
	echo "=== lab: xenvnetd stopped $(date +%T.%N)" >>"$LAB_DIR/h$n/daemon.log"
	return "$rc"
}

lab_daemon_restart() {
	lab_daemon_kill "$1"
	lab_daemon_start "$@"
}

# lab_san_check N: a sanitizer report in host N's daemon log fails the test.
lab_san_check() {
	local log=$LAB_DIR/h$1/daemon.log
	[ -f "$log" ] || return 0
	grep -qE "$LAB_SAN_RE" "$log" || return 0
	echo "lab: sanitizer report in the xenvnetd log of h$1:" >&2
	grep -E -A 25 "$LAB_SAN_RE" "$log" | head -n 80 >&2
	return 1
}

# ---------------------------------------------------------------- waiting

lab_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# lab_wait SECONDS DESC CMD...: poll CMD every 10 ms until it succeeds.
# On timeout say what we waited for and return 1 (callers decide).
lab_wait() {
	local secs=$1 desc=$2 end
	shift 2
	end=$(($(lab_now_ms) + secs * 1000))
	until "$@" >/dev/null 2>&1; do
		if (($(lab_now_ms) > end)); then
			echo "lab: timed out after ${secs}s waiting for $desc" >&2
			return 1
		fi
		sleep 0.01
	done
}

lab_xs_is() { [ "$(xs "$1" read "$2" 2>/dev/null)" = "$3" ]; }

# lab_wait_xs N KEY VALUE [SECONDS]: wait for KEY to read VALUE; fail the
# test (showing the key's actual value and the vnet's error) otherwise.
lab_wait_xs() {
	local n=$1 key=$2 want=$3 secs=${4:-10}
	lab_wait "$secs" "h$n $key = $want" lab_xs_is "$n" "$key" "$want" && return 0
	local dir=${key%/*}
	lab_fail "h$n: $key is '$(xs_get "$n" "$key")', wanted '$want' (error: '$(xs_get "$n" "$dir/error")')$(lab_daemon_alive "$n" || echo ', and the daemon is dead')"
}

# lab_vnet_up N KEY: wait until the daemon reports /vnet/KEY/state = up.
lab_vnet_up() { lab_wait_xs "$1" "/vnet/$2/state" up "${3:-10}"; }

lab_link_exists() { ip -n "${LAB_PREFIX}h$1" link show dev "$2" >/dev/null 2>&1; }
lab_link_up() { ip -n "${LAB_PREFIX}h$1" -o link show dev "$2" 2>/dev/null | grep -qE '[<,]UP[,>]'; }
lab_link_gone() { ! lab_link_exists "$@"; }

# lab_wait_link N DEV [exists|up|gone] [SECONDS]
lab_wait_link() {
	local n=$1 dev=$2 what=${3:-up} secs=${4:-10}
	lab_wait "$secs" "h$n link $dev $what" "lab_link_$what" "$n" "$dev" ||
		lab_fail "h$n: link $dev is not $what"
}

# lab_sync N: a barrier.  Defines a throw-away vnet, waits for it to be up
# and deletes it again: everything written to host N's xenstore before has
# then been seen by its daemon (which handles events in order).
LAB_SYNC_ID=4094
lab_sync() {
	local n=$1 id
	id=$(printf '%x' $((LAB_SYNC_ID++)))
	xs "$n" write "/vnet/$id/bridge" "sync$id"
	lab_vnet_up "$n" "$id"
	xs "$n" rm "/vnet/$id"
	lab_wait_link "$n" "sync$id" gone
}

# ---------------------------------------------------------------- domains

# lab_domain HOST DOMID IP MAC [BRIDGE] [DEVID]: domain DOMID on HOST with
# one vif.  Writes the xenstore keys xl/libxl would write and, when a
# BRIDGE is given, plugs the vif in as the vif-bridge hotplug script would.
# Defines the function dDOMID (domids are unique across the lab).
lab_domain() {
	local h=$1 domid=$2 ip=$3 mac=$4 bridge=$5 devid=${6:-0}
	local hns=${LAB_PREFIX}h$h dns=${LAB_PREFIX}d$domid
	lab_ns "d$domid" "d$domid"
	# Netback's vif carries fe:ff:ff:ff:ff:ff; the guest's NIC the real MAC.
	ip -n "$hns" link add "vif$domid.$devid" address fe:ff:ff:ff:ff:ff type veth \
		peer name eth0 address "$mac" netns "$dns"
	ip -n "$dns" addr add "$ip/24" dev eth0
	ip -n "$dns" link set eth0 up
	lab_domain_keys "$h" "$domid" "$mac" "${bridge:-xenbr0}" "$devid"
	[ -z "$bridge" ] || lab_plug "$h" "$domid" "$devid"
}

# lab_domain_keys HOST DOMID MAC BRIDGE [DEVID]: what libxl writes for a
# domain with one connected vif (frontend and backend), in one transaction.
lab_domain_keys() {
	local h=$1 domid=$2 mac=$3 bridge=$4 devid=${5:-0}
	local be=/local/domain/0/backend/vif/$domid/$devid
	local fe=/local/domain/$domid/device/vif/$devid
	xs "$h" write /local/domain/"$domid"/name "d$domid" \
		/local/domain/"$domid"/domid "$domid" \
		"$fe/backend" "$be" "$fe/backend-id" 0 "$fe/mac" "$mac" \
		"$fe/handle" "$devid" "$fe/state" 4 \
		"$be/frontend" "$fe" "$be/frontend-id" "$domid" "$be/mac" "$mac" \
		"$be/bridge" "$bridge" "$be/script" /etc/xen/scripts/vif-bridge \
		"$be/handle" "$devid" "$be/type" vif "$be/online" 1 "$be/state" 4 \
		"$be/hotplug-status" connected
}

# lab_plug HOST DOMID [DEVID]: what /etc/xen/scripts/vif-bridge does on
# "online": take the bridge from the backend, give the vif the bridge's
# MTU (and tell the frontend, which applies it to the guest NIC), enslave.
# The one place to change once the daemon/hotplug does the plugging.
lab_plug() {
	local h=$1 domid=$2 devid=${3:-0} br mtu
	local hns=${LAB_PREFIX}h$h vif=vif$2.${3:-0}
	local be=/local/domain/0/backend/vif/$domid/$devid
	br=$(xs "$h" read "$be/bridge")
	lab_wait_link "$h" "$br" exists
	mtu=$(ip -n "$hns" -o link show dev "$br" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	ip -n "$hns" link set "$vif" mtu "$mtu"
	ip -n "$hns" link set "$vif" master "$br" up
	# hotplug/vif-post.d/xenvnet.hook; netfront then applies it in the guest.
	xs "$h" write "$be/mtu" "$mtu"
	ip -n "${LAB_PREFIX}d$domid" link set eth0 mtu "$mtu"
}

# lab_bg NS CMD...: run CMD in the background in namespace NS (h1, d2, sw).
# LAB_BG is CMD's own pid (ip netns exec execs it), so signals reach it;
# cleanup kills it.
lab_bg() {
	local ns=$LAB_PREFIX$1
	shift
	ip netns exec "$ns" "$@" &
	LAB_BG=$!
	LAB_PIDS+=("$LAB_BG")
}

# ---------------------------------------------------------------- checks

# lab_ping DOMID IP [COUNT]: DOMID can reach IP (all COUNT pings answered).
lab_ping() {
	local out
	out=$(ip netns exec "${LAB_PREFIX}d$1" ping -n -q -c "${3:-1}" -i 0.05 -W 2 "$2" 2>&1) ||
		lab_fail "d$1 cannot ping $2: $out"
	echo "$out" | grep -q ' 0% packet loss' || lab_fail "d$1 -> $2 lost pings: $out"
}

# lab_ifindex N DEV: the device's ifindex (to tell "kept" from "recreated").
lab_ifindex() {
	ip -n "${LAB_PREFIX}h$1" -o link show dev "$2" | cut -d: -f1
}

# lab_links N [TYPE]: sorted device names in host N (optionally one type).
lab_links() {
	ip -n "${LAB_PREFIX}h$1" -o link show ${2:+type "$2"} | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort
}

# lab_count_vxlan N VNI: VXLAN devices with that VNI in host N.
lab_count_vxlan() {
	ip -n "${LAB_PREFIX}h$1" -d -o link show type vxlan | grep -c "vxlan id $2 " || true
}
