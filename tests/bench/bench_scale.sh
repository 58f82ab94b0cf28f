#!/bin/bash
# tests/bench/bench_scale.sh [BUILD_DIR]: xenvnetd with many vnets (issue
# #9), in its own lab, for BENCH_SCALE_VNETS vnets (default 4096, ids
# 0x1000...):
#   bulk     every definition written to xenstore in one transaction ->
#            `vn status` counts them all up; against `ip -batch` creating
#            the same bridges and VXLAN devices (the daemon's options,
#            group and alias marks included) in a host of its own, in the
#            same run, one after the other.
#   restart  then the daemon is killed (-9) and started again,
#            BENCH_SCALE_RESTARTS times (default 3): ms from the start
#            until `vn status` counts every vnet up, and the daemon's RSS
#            then.  Every bridge and tunnel must keep its ifindex (adopted,
#            not recreated), or the bench fails.
# Prints
#   RESULT case=bulk n=.. ours_ms=.. ref_ms=.. ours_cpu_ms=.. ref_cpu_ms=.. ratio=..
# (ratio of the elapsed times; *_cpu_ms: CPU time the daemon, and ip, used)
#   RESULT case=restart n=.. ms_p50=.. ms_max=.. rss_kb_max=.. kept=yes
# LAB_DATAPLANE=vnet (vnet.ko, in the emulated host): random 128-bit ids,
# no ip -batch reference (iproute2 makes no vnet links), and
#   RESULT case=vnet_ids n=.. distinct=.. host_kb=..
# every link's id read back from sysfs, all N distinct and the ones
# defined (no collision), and the memory the host (kernel, daemon,
# xenstored) gave for them.
#
#   h1 192.0.2.1 (xenvnetd)        h2 192.0.2.2 (ip -batch, no daemon)
#            |                        |
#           sw0                   (port h2 off the bridge: the two hosts'
#                                  tunnels must not flood each other)
set -e
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/lib.sh
. tests/lab/lib.sh
N=${BENCH_SCALE_VNETS:-4096}
RESTARTS=${BENCH_SCALE_RESTARTS:-3}
FIRST=$((0x1000))
lab_init "${1:-build}"
VN=$LAB_BUILD/tools/vn
[ -x "$VN" ] || lab_fail "no $VN (make)"

lab_step "lab: h1 with xenvnetd, h2 without"
lab_switch
lab_host 1
lab_host 2 nodaemon
# Same VNIs and group on both: h1's new devices' IPv6 chatter (DAD, MLD)
# would reach h2's 4096 bridges, costing the daemon's run, not ip's.
ip -n "${LAB_PREFIX}sw" link set h2 nomaster
mtu=$(ip -n "${LAB_PREFIX}h1" -o link show dev eth0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')

# vnets_up: how many vnets h1's daemon reports up (nothing while it does
# not answer).
vnets_up() {
	VN_SOCKET=$LAB_DIR/h1/ctl.sock XENSTORED_PATH=$LAB_DIR/h1/xs/socket "$VN" -j status 2>/dev/null |
		sed -n 's/.*"vnets-up":\([0-9]*\).*/\1/p'
}

# wait_all_up SECS: poll until all N are up; fails on timeout.
wait_all_up() {
	local end=$(($(lab_now_ms) + $1 * 1000))
	until [ "$(vnets_up)" = "$N" ]; do
		(($(lab_now_ms) < end)) || lab_fail "h1: $(vnets_up) of $N vnets up after $1 s"
		sleep 0.02
	done
}

# cpu_ms PID: user + system CPU time the process has used so far.
cpu_ms() { awk -v t="$(getconf CLK_TCK 2>/dev/null || echo 100)" '{ print int(($14 + $15) * 1000 / t) }' "/proc/$1/stat"; }

# children_cpu_ms: into $LAB_DIR/cpu, the same for this shell's waited-for children (times
# must run in this shell, not in a $(...) subshell).
children_cpu_ms() {
	times >"$LAB_DIR/times"
	awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60000 + a[2] * 1000 } print int(n) }' \
		"$LAB_DIR/times" >"$LAB_DIR/cpu"
}

# our_devices: "ifindex name" of every bridge and tunnel in h1, sorted.
our_devices() {
	ip -n "${LAB_PREFIX}h1" -o link show | awk -F': ' '$2 ~ /^vn(et|if)/ { sub(/@.*/, "", $2); print $1, $2 }' | sort -k2
}

# The vnets' keys: 0x1000... (short ids), or random 128-bit ones on vnet.ko
# with their bridge and vnetif named by index.
if [ "$LAB_DP" = vnet ]; then
	# one pipeline: a process per key costs minutes under emulation
	mapfile -t keys < <(od -An -v -tx1 -N$((16 * N)) /dev/urandom | tr -d ' \n' | fold -w 32 |
		sed 's/..../&-/g; s/-$//')
else
	mapfile -t keys < <(for ((i = 0; i < N; i++)); do printf '%x\n' $((FIRST + i)); done)
fi
# memavail_kb: what the host could still give, for the kernel's share.
memavail_kb() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# ------------------------------------------------------------ bulk create
if [ "$LAB_DP" = vnet ]; then
	ref_ms=- ref_cpu=-
else
lab_step "bulk: ip -batch, $N bridges + $N VXLAN devices in h2"
batch=$LAB_DIR/ref.batch
for ((i = 0; i < N; i++)); do
	key=$(printf %x $((FIRST + i)))
	# What dp_vxlan.c makes: a bridge (STP off, forward delay 0) and a
	# learning tunnel on it, not bound to the underlay (its MTU), both in
	# the daemon's group, then labelled; the tunnel's multicast group
	# entry (bridge -batch, below).
	echo "link add vnet$key mtu $mtu group $((0x78766e74)) up type bridge stp_state 0 forward_delay 0"
	echo "link set vnet$key alias xenvnet:$key"
	echo "link add vnif$key mtu $mtu group $((0x78766e74)) master vnet$key up type vxlan id $((FIRST + i))" \
		"dstport 1798 local 192.0.2.2 learning"
	echo "link set vnif$key alias xenvnet:$key"
	echo "fdb append 00:00:00:00:00:00 dev vnif$key dst 224.10.0.1 via eth0 self permanent" >&3
done >"$batch" 3>"$batch.fdb"
t0=$(lab_now_ms)
children_cpu_ms
c0=$(<"$LAB_DIR/cpu")
ip -n "${LAB_PREFIX}h2" -batch "$batch" || lab_fail "ip -batch failed"
bridge -n "${LAB_PREFIX}h2" -batch "$batch.fdb" || lab_fail "bridge -batch failed"
ref_ms=$(($(lab_now_ms) - t0))
children_cpu_ms
ref_cpu=$(($(<"$LAB_DIR/cpu") - c0))
lab_log "ip -batch: $ref_ms ms, $ref_cpu ms CPU"
fi

lab_step "bulk: $N vnets written to h1's xenstore in one transaction"
args=()
for ((i = 0; i < N; i++)); do
	key=${keys[i]}
	if [ "$LAB_DP" = vnet ]; then
		printf -v idx %04x "$i"
		args+=("/vnet/$key/bridge" "vnet$idx" "/vnet/$key/vnetif" "vnif$idx")
	else
		args+=("/vnet/$key/bridge" "vnet$key")
	fi
done
mem0=$(memavail_kb)
pid=$(lab_daemon_pid 1)
c0=$(cpu_ms "$pid")
tw=$(lab_now_ms)
xs 1 write "${args[@]}"
# From the commit on: the daemon sees nothing of the transaction before
# (and xenstored's own time for it is not the daemon's).
t0=$(lab_now_ms)
wait_all_up 600
ours_ms=$(($(lab_now_ms) - t0))
ours_cpu=$(($(cpu_ms "$pid") - c0))
lab_log "xenstore-write: $((t0 - tw)) ms; then xenvnetd: $ours_ms ms, $ours_cpu ms CPU"
[ "$(our_devices | wc -l)" = $((2 * N)) ] || lab_fail "h1 has $(our_devices | wc -l) devices, want $((2 * N))"
if [ "$LAB_DP" = vnet ]; then
	host_kb=$((mem0 - $(memavail_kb)))
	# Each link's own id, as the module has it, against the ids defined.
	h1 sh -c 'cat /sys/class/net/vnif*/vnet/id' | sort >"$LAB_DIR/ids.kernel"
	printf '%s\n' "${keys[@]}" | tr -d - | sort >"$LAB_DIR/ids.defined"
	distinct=$(sort -u "$LAB_DIR/ids.kernel" | wc -l)
	cmp -s "$LAB_DIR/ids.kernel" "$LAB_DIR/ids.defined" && [ "$distinct" = "$N" ] ||
		lab_fail "vnet.ko's ids are not the $N defined ($distinct distinct): $(diff "$LAB_DIR/ids.defined" "$LAB_DIR/ids.kernel" | head -5)"
	echo "RESULT case=vnet_ids n=$N distinct=$distinct host_kb=$host_kb"
fi
# The two made the same devices.
# devopts HOST DEV: a device as `ip -d` shows it, without what differs by
# host (addresses, MAC, bridge ids).
devopts() {
	ip -n "${LAB_PREFIX}h$1" -d -o link show dev "$2" |
		sed -E 's/^[0-9]+: [^ ]* //; s/(link\/ether|brd|local|[a-z_]*bridge_id|designated_[a-z]*|[a-z_]*timer +) [^ ]*//g'
}
[ "$LAB_DP" = vnet ] || for dev in "vnet$(printf %x $FIRST)" "vnif$(printf %x $FIRST)"; do
	[ "$(devopts 1 "$dev")" = "$(devopts 2 "$dev")" ] ||
		lab_log "WARNING: $dev differs: ours '$(devopts 1 "$dev")' ip -batch '$(devopts 2 "$dev")'"
done
echo "RESULT case=bulk n=$N ours_ms=$ours_ms ref_ms=$ref_ms ours_cpu_ms=$ours_cpu ref_cpu_ms=$ref_cpu ratio=$(awk -v a="$ours_ms" -v b="$ref_ms" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"

# ------------------------------------------------------------ restart
lab_step "restart: kill -9 and start, $RESTARTS times"
before=$(our_devices)
times=()
rss=0
for ((r = 1; r <= RESTARTS; r++)); do
	lab_daemon_kill 1
	t0=$(lab_now_ms)
	lab_daemon_start 1
	wait_all_up 120
	times+=($(($(lab_now_ms) - t0)))
	kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$(lab_daemon_pid 1)/status")
	((kb > rss)) && rss=$kb
	lab_log "restart $r: ${times[-1]} ms, RSS $kb kB"
	after=$(our_devices)
	[ "$before" = "$after" ] ||
		lab_fail "devices were recreated or lost across restart $r: $(diff <(echo "$before") <(echo "$after") | head -5)"
done
mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
echo "RESULT case=restart n=$N ms_p50=${sorted[$(((RESTARTS - 1) / 2))]} ms_max=${sorted[-1]} rss_kb_max=$rss kept=yes"
