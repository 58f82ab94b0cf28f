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
declare -gA LAB_DOM_NS=()   # domid -> its domain namespace ("d1"; kept across migrations)
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
	lab_dp_init
}

# ---------------------------------------------------------------- data plane
#
# LAB_DATAPLANE (vxlan, the default, or vnet) is every daemon's
# `dataplane`.  For vnet, lab_init loads vnet.ko (make kmod) unless it is
# loaded, and lab_cleanup unloads what it loaded; where the module cannot
# be had the test says SKIP.  Tests check the tunnels through the helpers
# below, so one test runs on either (tests/vm/kernel-tests.txt: NAME@vnet).
LAB_DP=${LAB_DATAPLANE:-vxlan}
LAB_DP_LOADED=

lab_dp_init() {
	local ko m err
	ko=$LAB_BUILD/kmod/$(uname -r)/vnet.ko
	case $LAB_DP in
	vxlan) return 0 ;;
	vnet) ;;
	*) lab_fail "LAB_DATAPLANE=$LAB_DP: not vxlan or vnet" ;;
	esac
	[ -d /sys/module/vnet ] && return 0
	[ -f "$ko" ] || { echo "SKIP: LAB_DATAPLANE=vnet: no $ko (make kmod)"; exit 0; }
	for m in $(modinfo -F depends "$ko" | tr , ' '); do modprobe "$m" 2>/dev/null || true; done
	err=$(insmod "$ko" 2>&1) || { echo "SKIP: LAB_DATAPLANE=vnet: this kernel does not load vnet.ko: $err"; exit 0; }
	LAB_DP_LOADED=1
}

# lab_dp_conf N: a config file for host N's daemon saying the data plane.
lab_dp_conf() {
	local f=$LAB_DIR/h$1/dataplane.conf
	[ "$LAB_DP" != vxlan ] || { echo /dev/null; return; }
	echo "dataplane = $LAB_DP" >"$f"
	echo "$f"
}

# lab_dp_overhead [v6]: bytes a tunnelled frame costs (the vnet's MTU is
# the underlay's less that): VXLAN 50/70, vnet.ko 62/82.
lab_dp_overhead() {
	local o=50
	[ "$LAB_DP" = vxlan ] || o=62
	[ -z "$1" ] || o=$((o + 20))
	echo "$o"
}

# lab_tunnels N: sorted names of host N's tunnel devices of the data plane.
lab_tunnels() { lab_links "$1" "$LAB_DP"; }

# lab_tunnel_info N DEV: one line saying what the tunnel is: `ip -d` for
# VXLAN; for vnet.ko links (iproute2 cannot show them) kmod/tests/vnetlink's
# "id ID port P local A [group G] link L ttl T learning on|off" first.
lab_tunnel_info() {
	if [ "$LAB_DP" = vnet ]; then
		printf '%s ' "$(ip netns exec "${LAB_PREFIX}h$1" "$LAB_BUILD/kmod/vnetlink" show "$2" 2>&1)"
	fi
	ip -n "${LAB_PREFIX}h$1" -d -o link show dev "$2"
}

# lab_long_id ID: the long form of a short vnet id (97 -> 0000:...:0097).
lab_long_id() {
	printf '%32s' "$1" | tr ' ' 0 | sed 's/..../&:/g; s/:$//'
}

# lab_count_tunnels N ID VNI: host N's tunnels of vnet ID (short form):
# VXLAN devices with VNI (the daemon's mapping of ID), or vnet links with
# the whole id.
lab_count_tunnels() {
	local dev n=0
	if [ "$LAB_DP" = vxlan ]; then
		lab_count_vxlan "$1" "$3"
		return
	fi
	for dev in $(lab_tunnels "$1"); do
		[[ $(lab_tunnel_info "$1" "$dev") == "id $(lab_long_id "$2") "* ]] && n=$((n + 1))
	done
	echo "$n"
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
	if [ -n "$LAB_DP_LOADED" ] && ! rmmod vnet; then
		echo "lab: vnet.ko would not unload" >&2
		rc=1
	fi
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
		--ctl-socket "$d/ctl.sock" -c "$(lab_dp_conf "$n")" "$@" >>"$d/daemon.log" 2>&1 &
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

# lab_daemon_in_kernel_exit PID N: true (and a note with the kernel stack)
# when the daemon logged its stop and every thread is in uninterruptible
# sleep, i.e. its own work is done and it waits for a kernel lock.
lab_daemon_in_kernel_exit() {
	local pid=$1 n=$2 t st
	grep -q 'stopping, devices left in place' "$LAB_DIR/h$n/daemon.log" 2>/dev/null || return 1
	for t in /proc/"$pid"/task/*; do
		st=$(awk '{print $3}' "$t/stat" 2>/dev/null) || return 1
		[ "$st" = D ] || return 1
	done
	echo "lab: xenvnetd on h$n stopping, blocked in the kernel: $(tr '\n' ' ' <"/proc/$pid/stack" 2>/dev/null | cut -c1-300)" >&2
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
	# Blocked in the kernel (state D) in its exit path: closing the
	# tunnels' multicast socket waits for RTNL while another namespace's
	# teardown holds it (tests/lab/repro_stop_rtnl.sh); no signal helps.
	# Say so and wait for the kernel, bounded, instead of blaming the daemon.
	if lab_daemon_in_kernel_exit "$pid" "$n"; then
		for ((i = 0; i < 1200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
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
# LAB_TIME_SCALE (an integer, default 1) stretches every wait on a slower
# machine: tests/vm's emulated one sets it.
lab_wait() {
	local secs=$1 desc=$2 end
	shift 2
	secs=$((secs * ${LAB_TIME_SCALE:-1}))
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
lab_link_carrier() { ip -n "${LAB_PREFIX}h$1" -o link show dev "$2" 2>/dev/null | grep -q LOWER_UP; }

# lab_wait_link N DEV [exists|up|gone|carrier] [SECONDS]
lab_wait_link() {
	local n=$1 dev=$2 what=${3:-up} secs=${4:-10}
	lab_wait "$secs" "h$n link $dev $what" "lab_link_$what" "$n" "$dev" ||
		lab_fail "h$n: link $dev is not $what"
}

# lab_sync N: a barrier.  Defines a throw-away vnet, waits for it to be up
# and deletes it again: everything written to host N's xenstore before has
# then been seen by its daemon (which handles events in order).  A new id
# each time (ffe, fff, 1000...), so no barrier is the re-creation of the
# one before.
LAB_SYNC_ID=4094
lab_sync() {
	local n=$1 id
	printf -v id '%x' $((LAB_SYNC_ID++))
	xs "$n" write "/vnet/$id/bridge" "sync$id"
	lab_vnet_up "$n" "$id" 30
	xs "$n" rm "/vnet/$id"
	lab_wait_link "$n" "sync$id" gone 30
}

# ---------------------------------------------------------------- domains

# lab_domain HOST DOMID IP MAC [BRIDGE] [DEVID]: domain DOMID on HOST with
# one vif, in the order real libxl and netback go (tests/lab/xen-vif.order,
# checked by test_lab_order): libxl's keys with the backend in state 1;
# netback's vif device, feature keys and InitWait (2); when a BRIDGE is
# given, the hotplug script (lab_plug: vif-bridge and our hook, then
# hotplug-status); last the guest's netfront connecting (lab_connect: the
# frontend Connected, the vif's carrier, the backend Connected).  Without
# a BRIDGE: a connected vif on xenbr0 that nothing plugs
# (lab_domain_keys).  The guest's NIC stays at 1500 (netfront ignores the
# mtu key).  Defines the function dDOMID (domids are unique across the lab).
lab_domain() {
	local h=$1 domid=$2 ip=$3 mac=$4 bridge=$5 devid=${6:-0}
	local hns=${LAB_PREFIX}h$h dns=${LAB_PREFIX}d$domid
	lab_ns "d$domid" "d$domid"
	LAB_DOM_NS[$domid]=d$domid
	lab_libxl_keys "$h" "$domid" "$mac" "${bridge:-xenbr0}" "$devid"
	# netback's vif: fe:ff:ff:ff:ff:ff; the guest's NIC has the real MAC
	# and stays down until netfront connects (the vif has no carrier).
	ip -n "$hns" link add "vif$domid.$devid" address fe:ff:ff:ff:ff:ff type veth \
		peer name eth0 address "$mac" netns "$dns"
	ip -n "$dns" addr add "$ip/24" dev eth0
	lab_netback_probe "$h" "$domid" "$devid"
	if [ -z "$bridge" ]; then # Connected keys; the vif stays down
		ip -n "$dns" link set eth0 up
		lab_domain_connected "$h" "$domid" "$devid"
		return
	fi
	lab_plug "$h" "$domid" "$devid"
	lab_connect "$h" "$domid" "$devid" ip -n "$dns" link set eth0 up
	lab_order_guest "$domid"
}

# lab_libxl_keys HOST DOMID MAC BRIDGE [DEVID] [NAME]: what libxl writes
# for a domain with one vif: backend (state 1 first) and frontend (state
# 1).  NAME: the domain's name (dDOMID).
lab_libxl_keys() {
	local h=$1 domid=$2 mac=$3 bridge=$4 devid=${5:-0} name=${6:-d$2}
	local be=/local/domain/0/backend/vif/$domid/$devid
	local fe=/local/domain/$domid/device/vif/$devid
	xs "$h" write "$be/state" 1 "$be/frontend" "$fe" "$be/frontend-id" "$domid" "$be/online" 1 \
		"$be/script" /etc/xen/scripts/vif-bridge "$be/mac" "$mac" "$be/bridge" "$bridge" \
		"$be/handle" "$devid" "$be/type" vif \
		"$fe/backend" "$be" "$fe/backend-id" 0 "$fe/mac" "$mac" "$fe/handle" "$devid" "$fe/state" 1 \
		/local/domain/"$domid"/name "$name" /local/domain/"$domid"/domid "$domid"
	lab_order "$h" "$domid" "$devid" backend state
	lab_order "$h" "$domid" "$devid" name
}

# lab_netback_probe HOST DOMID [DEVID]: netback's feature keys, InitWait.
lab_netback_probe() {
	local h=$1 domid=$2 devid=${3:-0}
	local be=/local/domain/0/backend/vif/$domid/$devid
	xs "$h" write "$be/feature-sg" 1 "$be/feature-gso-tcpv4" 1 "$be/feature-gso-tcpv6" 1 \
		"$be/feature-ipv6-csum-offload" 1 "$be/feature-rx-copy" 1 "$be/feature-rx-flip" 0 \
		"$be/feature-multicast-control" 1 "$be/feature-dynamic-multicast-control" 1 \
		"$be/feature-split-event-channels" 1 "$be/multi-queue-max-queues" 2 "$be/feature-ctrl-ring" 1
	lab_order "$h" "$domid" "$devid" backend feature-sg
	xs "$h" write "$be/state" 2
	lab_order "$h" "$domid" "$devid" backend state
}

# lab_connect HOST DOMID DEVID CMD...: the guest's netfront connects: the
# frontend goes Connected, CMD gives the vif its carrier (waited for),
# then the backend goes Connected (4); LAB_XS_T[0] is that write's time.
lab_connect() {
	local h=$1 domid=$2 devid=$3
	local be=/local/domain/0/backend/vif/$2/$3 fe=/local/domain/$2/device/vif/$3
	shift 3
	lab_xs_agent "$h"
	lab_xs_fast "$h" "$fe/state" 4
	lab_order "$h" "$domid" "$devid" frontend state
	"$@"
	lab_wait_link "$h" "vif$domid.$devid" carrier
	lab_xs_fast "$h" "$be/state" 4
	lab_order "$h" "$domid" "$devid" backend state
}

# lab_domain_keys HOST DOMID MAC BRIDGE [DEVID]: the keys of a domain with
# one connected vif, in libxl's and netback's order, no device.
lab_domain_keys() {
	lab_libxl_keys "$@"
	lab_netback_probe "$1" "$2" "${5:-0}"
	lab_domain_connected "$1" "$2" "${5:-0}"
}

# lab_domain_connected HOST DOMID DEVID: hotplug-status, frontend and
# backend Connected, no device touched.
lab_domain_connected() {
	local be=/local/domain/0/backend/vif/$2/$3 fe=/local/domain/$2/device/vif/$3
	xs "$1" write "$be/hotplug-status" connected "$fe/state" 4 "$be/state" 4
}

# lab_order HOST DOMID DEVID backend|frontend|name|gone KEY: with
# LAB_ORDER set (a file), append one line of what xenstore and the kernel
# say now: "SCENARIO WHO KEY=VALUE carrier=0|1|-" (carrier of the vif,
# "-" without one).  test_lab_order compares the lines with a fixture of
# what real Xen does.  LAB_ORDER_SCENE names the scenario.
lab_order() {
	[ -n "$LAB_ORDER" ] || return 0
	local h=$1 domid=$2 devid=$3 who=$4 key=$5 path v c
	case $who in
	backend) path=/local/domain/0/backend/vif/$domid/$devid/$key ;;
	frontend) path=/local/domain/$domid/device/vif/$devid/$key ;;
	name) path=/local/domain/$domid/name key=name ;;
	gone) path=/local/domain/0/backend/vif/$domid key=backend ;;
	esac
	v=$(xs_get "$h" "$path")
	[ "$who" != gone ] || { xs "$h" exists "$path" 2>/dev/null && v=present || v=gone; }
	[ "$who" != name ] || { [[ $v == *--incoming ]] && v=incoming || v=guest; }
	c=$(ip -n "${LAB_PREFIX}h$h" -o link show dev "vif$domid.$devid" 2>/dev/null) || c=
	case $c in "") c=- ;; *LOWER_UP*) c=1 ;; *) c=0 ;; esac
	echo "${LAB_ORDER_SCENE:-create} $who $key=$v carrier=$c" >>"$LAB_ORDER"
}

# lab_order_guest DOMID: with LAB_ORDER, the MTU of the guest's NIC.
lab_order_guest() {
	[ -n "$LAB_ORDER" ] || return 0
	echo "${LAB_ORDER_SCENE:-create} guest mtu=$(ip netns exec "$(lab_dom_ns "$1")" cat /sys/class/net/eth0/mtu)" >>"$LAB_ORDER"
}

# lab_plug HOST DOMID [DEVID]: what /etc/xen/scripts/vif-bridge does on
# "online": take the bridge from the backend, give the vif the bridge's
# MTU, enslave, then run our vif-post.d hook (the vnet's MTU into the
# backend's mtu key).  The guest's NIC stays at 1500, as under Linux
# netfront, which ignores the key.
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
	lab_hook "$h" "$be" "$vif" "$br"
	xs "$h" write "$be/hotplug-status" connected   # vif-bridge's success
	lab_order "$h" "$domid" "$devid" backend hotplug-status
}

# lab_hook HOST BACKEND VIF BRIDGE: hotplug/vif-post.d/xenvnet.hook, as
# vif-bridge sources it after plugging VIF.
lab_hook() {
	# shellcheck disable=SC2016 # $1 is for the inner shell
	ip netns exec "${LAB_PREFIX}h$1" env XENSTORED_PATH="$LAB_DIR/h$1/xs/socket" command=online \
		dev="$3" bridge="$4" XENBUS_PATH="$2" bash -c 'log() { :; }; . "$1"' hook \
		"$LAB_ROOT/hotplug/vif-post.d/xenvnet.hook"
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

# ---------------------------------------------------------------- migration
#
# What `xl migrate` does to the two hosts (issue #5), with the domain's
# namespace, and so its NIC (MAC, addresses, ARP cache, TCP connections),
# kept.  A migratable domain (lab_mdomain) reaches its host through a
# "wire" namespace wDOMID standing in for the hypervisor: the guest's eth0
# pairs with wire device g, each of its vifs (vif<domid>.<devid> in a host)
# pairs with wire device p<domid>, and tc redirects (u32 match-all +
# mirred) join g to the vif of the host the domain runs on.
#
#   d10: eth0 === g [w10] p10 === vif10.0 in h1 (active: g <-> p10)
#                         p11 === vif11.0 in h2 (the target: p11 -> sink)
#
#   prepare  the target gets the domain under a NEW domid, paused as
#            NAME--incoming, in libxl's and netback's order (lab_domain):
#            the backend (same MAC, devid, bridge, ip) in state 1, the vif
#            device, netback's feature keys and InitWait (2), the hotplug
#            script (plugged into the bridge, our hook, hotplug-status).
#            The vif has no carrier (netback turns it on when the frontend
#            connects): its wire end p<new> is down.
#   resume   the guest runs on the target, renamed NAME: the wire joins g
#            to the target's vif (still without carrier) and cuts the
#            source's.
#   finish   the source domain is destroyed: its backend and domain
#            directories go, and its vif device.  Real xl does this
#            BEFORE the target's vif is Connected (issue 12: 1.6 s before
#            under emulation), and lab_migrate does too.
#   connect  the guest's netfront reconnects: the frontend goes Connected,
#            p<new> comes up (the vif's carrier), the backend goes
#            Connected (4); a Linux PV guest then sends a gratuitous ARP
#            for each IPv4 address (netfront's netdev_notify_peers), a
#            --silent guest sends nothing.
#   switch   resume and connect at once, the source still there (the
#            race tests call prepare, switch and finish alone).
# The guest's pause is the time from resume to connect: pings sent in it
# are lost whatever the daemon does; lab_blackouts counts those sent after
# connect apart.
# The switch costs no process start-up (tens of ms on a loaded machine):
# an "ip -batch" and a "tc -batch" on a FIFO per wire, a xenstore client
# on a FIFO per host (lab_xs_agent) and a GARP sender on a FIFO per domain
# are running before.
# The guest's carrier stays up (an HVM guest's view; netfront drops it).
#
# lab_migrate runs prepare, LAB_MIG_COPY_S (default 0.1: the memory copy),
# resume, LAB_MIG_DESTROY_S (0.02), finish, LAB_MIG_CONNECT_S (0.05),
# connect.  Each connect appends "DOM OLD NEW SRC DST T_MOVE T_CONN" (DOM the domain's
# namespace name, "d10"; times CLOCK_REALTIME in microseconds, as ping -D
# prints: T_MOVE when the wire is told to switch, T_CONN when state 4 is
# written) to $LAB_DIR/migrations and sets LAB_MIG_T_MOVE (at resume),
# LAB_MIG_T_CONN.
# After a migration dNEW runs commands in the domain (dOLD still does).

LAB_MIG_COPY_S=${LAB_MIG_COPY_S:-0.1}
LAB_MIG_DESTROY_S=${LAB_MIG_DESTROY_S:-0.02}
LAB_MIG_CONNECT_S=${LAB_MIG_CONNECT_S:-0.05}
declare -gA LAB_DOM_WIRE=()  # domid -> its wire namespace name ("w10")
declare -gA LAB_FIFO_FD=()   # FIFO path -> our read-write fd (keeps it open)

# lab_dom_ns DOMID: the namespace of the domain now known as DOMID.
lab_dom_ns() { echo "$LAB_PREFIX${LAB_DOM_NS[$1]:-d$1}"; }

# lab_fifo PATH: a FIFO we hold open read-write (a reader never sees EOF).
lab_fifo() {
	local fd
	[ -n "${LAB_FIFO_FD[$1]}" ] && return 0
	mkfifo "$1"
	exec {fd}<>"$1"
	LAB_FIFO_FD[$1]=$fd
}

# lab_wire_vif H DOMID WIRE DEVID: vif<domid>.<devid> in host H, paired
# with p<domid> in the wire (down: the vif has no carrier yet), which
# delivers to the sink until switched.  Both ends get the same ifindex, as
# a netback vif has no peer: the kernel's link watcher then handles the
# vif's carrier coming up at once only when the vif was up without one
# before (netback's case); a carrier the device had when it came up is
# handled up to a second later, and the bridge port forwards only then.
lab_wire_vif() {
	local h=$1 domid=$2 w=$LAB_PREFIX$3 devid=$4 idx=$((4096 + $2 * 8 + $4))
	ip -n "${LAB_PREFIX}h$h" link add "vif$domid.$devid" index "$idx" address fe:ff:ff:ff:ff:ff type veth \
		peer name "p$domid" index "$idx" netns "$w"
	tc -n "$w" qdisc add dev "p$domid" clsact
	lab_wire_to "$w" "p$domid" sink0 | tc -n "$w" -batch -
}

# lab_wire_to WIRENS DEV TO: the tc command redirecting all of DEV's input to TO.
lab_wire_to() {
	echo "filter replace dev $2 ingress protocol all pref 1 handle 800::800 u32 match u32 0 0 action mirred egress redirect dev $3"
}

# lab_mdomain HOST DOMID IP MAC BRIDGE [DEVID]: like lab_domain (the
# domain dDOMID, libxl's keys, plugged), but migratable.  IP may be
# "ADDR/LEN" (an IPv6 address, say); without a length /24.
lab_mdomain() {
	local h=$1 domid=$2 ip=$3 mac=$4 bridge=$5 devid=${6:-0}
	local dns=${LAB_PREFIX}d$domid w=w$domid wns=${LAB_PREFIX}w$domid
	[[ $ip == */* ]] || ip=$ip/24
	lab_ns "d$domid" "d$domid"
	LAB_DOM_NS[$domid]=d$domid
	lab_ns "$w" "$w"
	LAB_DOM_WIRE[$domid]=$w
	# The wire has no addresses: what it does not redirect dies there.
	ip netns exec "$wns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$wns" link add g type veth peer name eth0 address "$mac" netns "$dns"
	ip -n "$wns" link add sink0 type veth peer name sink1
	ip -n "$wns" link set g up
	ip -n "$wns" link set sink0 up
	ip -n "$wns" link set sink1 up
	tc -n "$wns" qdisc add dev g clsact
	lab_libxl_keys "$h" "$domid" "$mac" "$bridge" "$devid"
	lab_wire_vif "$h" "$domid" "$w" "$devid"
	{ lab_wire_to "$wns" g "p$domid"; lab_wire_to "$wns" "p$domid" g; } | tc -n "$wns" -batch -
	ip -n "$dns" addr add "$ip" dev eth0
	ip -n "$dns" link set eth0 up
	lab_netback_probe "$h" "$domid" "$devid"
	lab_plug "$h" "$domid" "$devid"
	# the frontend connects: the wire's end of the vif comes up (carrier)
	lab_connect "$h" "$domid" "$devid" ip -n "$wns" link set "p$domid" up
	lab_order_guest "$domid"
	# The switch's ip and tc, started now and fed through FIFOs.
	lab_fifo "$LAB_DIR/ip.$w"
	lab_bg "$w" ip -force -batch "$LAB_DIR/ip.$w" >>"$LAB_DIR/ip.$w.log" 2>&1
	lab_fifo "$LAB_DIR/tc.$w"
	lab_bg "$w" tc -force -batch "$LAB_DIR/tc.$w" >>"$LAB_DIR/tc.$w.log" 2>&1
	lab_garp_sender "d$domid"
	lab_xs_agent "$h"
}

# lab_xs_agent N: (once per host) a xenstore client that writes the
# "PATH VALUE..." pairs of each line written to $LAB_DIR/hN/xs.in, in
# order, and answers each line on $LAB_DIR/hN/xs.out with, per pair, the
# time (CLOCK_REALTIME, microseconds) its write was acknowledged, or
# "ERR:PATH:WHY".  Speaks xenstored's socket protocol itself (XS_WRITE =
# 11).  Returns once the agent is ready.
lab_xs_agent() {
	local d=$LAB_DIR/h$1
	[ -n "${LAB_FIFO_FD[$d/xs.in]}" ] && return 0
	lab_fifo "$d/xs.in"
	lab_fifo "$d/xs.out"
	python3 -u -c '
import os, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
fin = open(sys.argv[2], "r"); fout = os.open(sys.argv[3], os.O_RDWR)
def call(typ, payload):
    s.sendall(struct.pack("=IIII", typ, 0, 0, len(payload)) + payload)
    h = b""
    while len(h) < 16: h += s.recv(16 - len(h))
    t, _, _, n = struct.unpack("=IIII", h)
    b = b""
    while len(b) < n: b += s.recv(n - len(b))
    return t, b
os.write(fout, b"ready\n")
for line in fin:
    w = line.split()
    out = []
    for i in range(0, len(w) - 1, 2):
        t, b = call(11, w[i].encode() + b"\0" + w[i + 1].encode())
        out.append("%d" % (time.time_ns() // 1000) if t == 11 else "ERR:%s:%s" % (w[i], b.rstrip(b"\0").decode()))
    os.write(fout, (" ".join(out) + "\n").encode())
' "$d/xs/socket" "$d/xs.in" "$d/xs.out" >>"$d/xs.agent.log" 2>&1 &
	LAB_PIDS+=("$!")
	local r
	read -r -t 20 r <"$d/xs.out" && [ "$r" = ready ] ||
		lab_fail "xenstore agent of h$1 did not start: $(cat "$d/xs.agent.log")"
}

# lab_xs_fast N PATH VALUE...: write through host N's agent (no process
# start-up); LAB_XS_T is the array of the writes' acknowledgement times.
lab_xs_fast() {
	local d=$LAB_DIR/h$1 r
	shift
	echo "$*" >"$d/xs.in"
	read -r -t 10 -a LAB_XS_T <"$d/xs.out" || lab_fail "xenstore agent of $d: no answer"
	[[ "${LAB_XS_T[*]}" != *ERR* ]] || lab_fail "xenstore agent of $d: ${LAB_XS_T[*]}"
}

# lab_sleep SECS: sleep without starting a process.
lab_sleep() {
	lab_fifo "$LAB_DIR/sleep"
	read -r -t "$1" -u "${LAB_FIFO_FD[$LAB_DIR/sleep]}" _ || true
}

# lab_vif_devid HOST DOMID: the devid of the domain's (one) vif backend.
lab_vif_devid() {
	xs "$1" list "/local/domain/0/backend/vif/$2" 2>/dev/null | head -n 1
}

# lab_migrate_prepare SRC DST OLD NEW
lab_migrate_prepare() {
	local src=$1 dst=$2 old=$3 new=$4 devid mac br ip w
	w=${LAB_DOM_WIRE[$old]}
	[ -n "$w" ] || lab_fail "lab_migrate: no migratable domain $old (lab_mdomain)"
	[ -z "${LAB_DOM_NS[$new]}" ] || lab_fail "lab_migrate: domid $new is taken"
	devid=$(lab_vif_devid "$src" "$old")
	[ -n "$devid" ] || lab_fail "lab_migrate: domain $old has no vif on h$src"
	local sbe=/local/domain/0/backend/vif/$old/$devid
	mac=$(xs "$src" read "$sbe/mac") br=$(xs "$src" read "$sbe/bridge")
	ip=$(xs_get "$src" "$sbe/ip")
	lab_xs_agent "$dst"
	# libxl on the target, the domain paused as NAME--incoming; netback
	# (the vif, no carrier); vif-bridge and our hook.
	lab_libxl_keys "$dst" "$new" "$mac" "$br" "$devid" "${LAB_DOM_NS[$old]}--incoming"
	[ -z "$ip" ] || xs "$dst" write "/local/domain/0/backend/vif/$new/$devid/ip" "$ip"
	lab_wire_vif "$dst" "$new" "$w" "$devid"
	[ "$LAB_MIG_EARLY_CARRIER" != 1 ] || ip -n "$LAB_PREFIX$w" link set "p$new" up
	lab_netback_probe "$dst" "$new" "$devid"
	lab_plug "$dst" "$new" "$devid"
	LAB_MIG_DEVID=$devid LAB_MIG_MAC=$mac LAB_MIG_BRIDGE_NAME=$br
}

# lab_migrate_resume SRC DST OLD NEW: the guest runs on the target (xl
# renamed it): the wire joins g to the target's vif, which has no carrier
# yet (netfront has not reconnected), and cuts the source's.
lab_migrate_resume() {
	local old=$3 new=$4 d w
	d=${LAB_DOM_NS[$old]} w=${LAB_DOM_WIRE[$old]}
	LAB_MIG_T_MOVE=${EPOCHREALTIME/[.,]/}
	{ lab_wire_to "" g "p$new"; lab_wire_to "" "p$new" g; lab_wire_to "" "p$old" sink0; } >"$LAB_DIR/tc.$w"
	lab_xs_fast "$2" /local/domain/"$new"/name "$d"
	lab_order "$2" "$new" "${LAB_MIG_DEVID:-0}" name
	LAB_DOM_NS[$new]=$d LAB_DOM_WIRE[$new]=$w
	eval "d$new() { ip netns exec '$LAB_PREFIX$d' \"\$@\"; }"
}

# lab_migrate_connect SRC DST OLD NEW [--silent]: the resumed guest's
# netfront connects: the vif's carrier, state 4, and (unless --silent) its
# gratuitous ARP.
lab_migrate_connect() {
	local src=$1 dst=$2 old=$3 new=$4 silent=$5 d w
	local devid=${LAB_MIG_DEVID:?lab_migrate_prepare first}
	d=${LAB_DOM_NS[$new]} w=${LAB_DOM_WIRE[$new]}
	[ "$silent" = --silent ] || lab_garp_sender "$d"
	# netback turns the carrier on (the wire's ip batch, waited for: a
	# Connected before the carrier is no netback's), then goes Connected.
	lab_connect "$dst" "$new" "$devid" lab_fifo_say "$LAB_DIR/ip.$w" "link set p$new up"
	LAB_MIG_T_CONN=${LAB_XS_T[0]}
	[ "$silent" = --silent ] || echo g >"$LAB_DIR/garp.$d"
	lab_order_guest "$new"
	echo "$d $old $new $src $dst $LAB_MIG_T_MOVE $LAB_MIG_T_CONN" >>"$LAB_DIR/migrations"
}

# lab_fifo_say FIFO LINE: write LINE to FIFO.
lab_fifo_say() { echo "$2" >"$1"; }

# lab_migrate_switch SRC DST OLD NEW [--silent]: after lab_migrate_prepare,
# resume and connect at once (the source still there: the race tests).
lab_migrate_switch() {
	lab_migrate_resume "$@"
	lab_migrate_connect "$@"
}

# lab_migrate_finish SRC OLD: the source domain is destroyed.
lab_migrate_finish() {
	xs "$1" rm "/local/domain/0/backend/vif/$2" "/local/domain/$2"
	lab_order "$1" "$2" "${LAB_MIG_DEVID:-0}" gone
	ip -n "${LAB_PREFIX}h$1" link del "vif$2.${LAB_MIG_DEVID:-0}" 2>/dev/null || true
	unset "LAB_DOM_NS[$2]" "LAB_DOM_WIRE[$2]"
}

# lab_migrate SRC DST OLD NEW [--silent]: the whole migration, in xl's
# order: the source is destroyed after the guest resumed on the target but
# before its netfront reconnected (LAB_MIG_DESTROY_S after the resume, the
# connect LAB_MIG_CONNECT_S after that).
lab_migrate() {
	lab_migrate_prepare "$1" "$2" "$3" "$4"
	lab_sleep "$LAB_MIG_COPY_S"
	lab_migrate_resume "$@"
	lab_sleep "$LAB_MIG_DESTROY_S"
	lab_migrate_finish "$1" "$3"
	lab_sleep "$LAB_MIG_CONNECT_S"
	lab_migrate_connect "$@"
}

# lab_garp_sender DOMNAME: (once per domain) a process in the domain's
# namespace ("d1") that sends a gratuitous ARP request from eth0 for each
# IPv4 address of eth0 whenever a line is written to $LAB_DIR/garp.DOMNAME
# (a running process: a python start-up would add tens of ms).  It logs
# the send times to $LAB_DIR/garp.DOMNAME.log.
lab_garp_sender() {
	local d=$1 fifo=$LAB_DIR/garp.$1 ips mac
	[ -n "${LAB_FIFO_FD[$fifo]}" ] && return 0
	mac=$(ip -n "$LAB_PREFIX$d" -o link show dev eth0 | sed -n 's/.* link\/ether \([0-9a-f:]*\) .*/\1/p')
	ips=$(ip -n "$LAB_PREFIX$d" -4 -o addr show dev eth0 | awk '{sub(/\/.*/, "", $4); print $4}')
	lab_fifo "$fifo"
	lab_bg "$d" python3 -u -c '
import os, socket, struct, sys, time
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
frames = []
for a in sys.argv[3:]:
    ip = socket.inet_aton(a)
    frames.append(b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) +
                  mac + ip + b"\0" * 6 + ip + b"\0" * 18)
f = os.open(sys.argv[2], os.O_RDWR)
while os.read(f, 256):
    for fr in frames:
        s.send(fr)
    print("%.6f garp" % time.time())
' "$mac" "$fifo" $ips >>"$LAB_DIR/garp.$d.log" 2>&1
}

# lab_blackouts PINGLOG DOM: one line per migration of domain DOM (its
# namespace name, "d10") in $LAB_DIR/migrations within PINGLOG's time span
# (ping -D -n output): "LOST BLACKOUT_MS AFTER_CONN_MS OLD NEW".  The
# window runs from the last reply before T_MOVE to the last reply by
# T_CONN + 200 ms; LOST counts the icmp_seq holes in it, BLACKOUT_MS is
# its longest time between two replies, AFTER_CONN_MS the time from state
# 4 (T_CONN) to the first reply after it ("- - - OLD NEW": no reply after).
# A sixth field, LOST_AFTER_CONN, counts the lost pings sent after T_CONN
# (send times from each reply's time less its rtt, spaced evenly between
# replies): what the migration costs beyond the guest's own pause, the
# time from T_MOVE to T_CONN in which its NIC is not connected.  A
# seventh, LOST_BEFORE_MOVE, counts those sent before T_MOVE: the lab's
# guest still runs on the source until then (real xl suspends it before
# the target's vif is plugged), so a target that takes the MAC at plug
# time (control = evpn) shows its cost here.
lab_blackouts() {
	awk -v migs="$LAB_DIR/migrations" -v dom="$2" '
	/icmp_seq=/ {
		t = substr($1, 2, length($1) - 2)
		r = 0
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^icmp_seq=/) { split($i, kv, "="); s = kv[2] }
			if ($i ~ /^time=/) { split($i, kv, "="); r = kv[2] }
		}
		n++; ts[n] = t * 1000; sq[n] = s; snd[n] = t * 1000 - r
	}
	END {
		while ((getline line < migs) > 0) {
			split(line, m, " ")
			if (m[1] != dom) continue
			tm = m[6] / 1000; tc = m[7] / 1000
			if (n == 0 || tm < ts[1] || tm > ts[n] + 1000) continue
			lo = 1; hi = n + 1       # first reply at or after tm
			while (lo < hi) { mid = int((lo + hi) / 2); if (ts[mid] < tm) lo = mid + 1; else hi = mid }
			if (lo == 1) continue
			if (lo > n || ts[n] < tc) { printf "- - - %s %s\n", m[2], m[3]; continue }
			a = lo - 1; lost = 0; gap = 0; first = 0; la = 0; lb = 0
			for (k = a; k < n && (ts[k + 1] <= tc + 200 || k == a); k++) {
				lost += sq[k + 1] - sq[k] - 1
				for (h = sq[k] + 1; h < sq[k + 1]; h++) {
					st = snd[k] + (h - sq[k]) * (snd[k + 1] - snd[k]) / (sq[k + 1] - sq[k])
					if (st > tc) la++
					if (st < tm) lb++
				}
				if (ts[k + 1] - ts[k] > gap) gap = ts[k + 1] - ts[k]
				if (!first && ts[k + 1] > tc) first = k + 1
			}
			if (!first) for (first = k; first <= n && ts[first] <= tc; first++) ;
			printf "%d %.1f %.1f %s %s %d %d\n", lost, gap, ts[first] - tc, m[2], m[3], la, lb
		}
	}' "$1"
}

# lab_pct P VALUES...: the P-th percentile (nearest rank) of numbers.
lab_pct() {
	local p=$1
	shift
	printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ v[NR] = $1 } END {
		if (!NR) { print "-"; exit }
		r = int((p * NR + 99) / 100); if (r < 1) r = 1; if (r > NR) r = NR; print v[r] }'
}

# lab_pinger NAME DOMID IP [INTERVAL_S]: an ICMP echo request every
# INTERVAL_S (default 0.01) from domain DOMID (its namespace) to IP (v4 or
# v6) on a fixed schedule, the replies logged as ping -D -n prints them
# to $LAB_DIR/ping.NAME; lab_pinger_stop NAME ends it.  (iputils ping -i
# 0.01 sends every 17 ms here: it sleeps in whole milliseconds.)
declare -gA LAB_PINGERS=()
lab_pinger() {
	local name=$1 ns
	ns=$(lab_dom_ns "$2")
	ip netns exec "$ns" python3 -u -c '
import os, select, signal, socket, struct, sys, time
dst, iv = sys.argv[1], float(sys.argv[2])
v6 = ":" in dst
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                  socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
stop = []
signal.signal(signal.SIGINT, lambda *a: stop.append(1))
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
print("PING %s every %g s" % (dst, iv))
t0, seq, got, sent = time.monotonic(), 0, 0, {}
while not stop:
    now = time.monotonic()
    due = t0 + seq * iv
    if now >= due:
        seq += 1
        body = struct.pack("!HH", ident, seq & 0xffff) + bytes(56)
        hdr = struct.pack("!BBH", 128 if v6 else 8, 0, 0)
        if not v6: hdr = struct.pack("!BBH", 8, 0, csum(hdr + body))
        sent[seq & 0xffff] = time.monotonic()
        try: s.sendto(hdr + body, (dst, 0))
        except OSError: pass
        continue
    try: r, _, _ = select.select([s], [], [], due - now)
    except InterruptedError: continue
    if not r: continue
    data, addr = s.recvfrom(4096)
    if not v6: data = data[(data[0] & 15) * 4:]
    if len(data) < 8 or data[0] != (129 if v6 else 0): continue
    i, q = struct.unpack("!HH", data[4:8])
    if i != ident or q not in sent: continue
    got += 1
    print("[%.6f] 64 bytes from %s: icmp_seq=%d ttl=64 time=%.3f ms" %
          (time.time(), addr[0], q, (time.monotonic() - sent.pop(q)) * 1000))
print("%d packets transmitted, %d received" % (seq, got))
' "$3" "${4:-0.01}" >"$LAB_DIR/ping.$name" 2>&1 &
	LAB_PINGERS[$name]=$!
	LAB_PIDS+=("$!")
}
lab_pinger_stop() {
	local pid=${LAB_PINGERS[$1]}
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "LAB_PINGERS[$1]"
	true
}

# lab_mig_probe SRC DST OLD NEW PINGNAME: a --silent migration while
# pinger PINGNAME runs; then wait up to 2 s for a reply.  Silence fails the
# test, saying whether DST's bridge still had the guest's MAC on a non-vif
# port (the daemon must point it at the vif when the vif connects).
lab_mig_probe() {
	local src=$1 dst=$2 old=$3 new=$4 log=$LAB_DIR/ping.$5 d stale
	d=${LAB_DOM_NS[$old]}
	lab_migrate "$src" "$dst" "$old" "$new" --silent
	# shellcheck disable=SC2016 # expanded by eval, on each try
	lab_wait 2 "a reply after $old -> $new" eval '[ "$(lab_blackouts "$log" "$d" | tail -n 1 | cut -d" " -f1)" != - ]' &&
		return 0
	stale=$(bridge -n "${LAB_PREFIX}h$dst" fdb show br "$LAB_MIG_BRIDGE_NAME" 2>/dev/null | grep "^$LAB_MIG_MAC dev " | grep -v " dev vif" | grep " master " | tr -s ' ' || true)
	[ -z "$stale" ] || lab_fail "$d unreachable after migrating to h$dst: its bridge kept $LAB_MIG_MAC on a non-vif port ('$stale')"
	lab_fail "$d unreachable after migrating to h$dst; h$dst bridge: $(bridge -n "${LAB_PREFIX}h$dst" fdb show | grep "^$LAB_MIG_MAC" | tr '\n' ';')"
}
