# shellcheck shell=bash
# tests/vm/xen/lib.sh: emulated Xen hosts for the Xen-mode scenario.
#
#   h1 (qemu: Xen 4.17 + Debian dom0)     h2 (the same)
#     eth0 192.0.2.1 ---- unix dgram ---- eth0 192.0.2.2      the underlay
#     ctl0 (qemu user net) <- agent        ctl0 <- agent        commands from here
#     vnet97 (xenvnetd) / fl97 (bridge + hand-made VXLAN, flood-and-learn): domUs' eth0 / eth1;
#     dom0 reaches a guest's agent on its eth1 (198.51.100.128+D) from fl97 (198.51.100.250+N)
#
# xh_init BUILD_DIR            images (tests/vm/xen/build.sh), temp dir, cleanup trap
# xh_boot N / xh_wait_ready N  start host N / wait for its dom0 to be up
# xh N SCRIPT                  run SCRIPT (bash) in host N's dom0, print its output, its status
# xd N D SCRIPT                the same in guest D, reached through host N
# xh_step NAME FUNC [ARGS]     a scenario step: PASS/FAIL line with its timing; a step
#                              that fails of an emulation flake (segfault) is retried
# Nothing here uses host multicast: the underlay is a point-to-point unix
# datagram link, commands come in through qemu's user network on 127.0.0.1.

XH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
XH_MEM=${XH_MEM:-1536}
# The emulation's flake (dom0 processes segfaulting at %fs:0, heaps found
# corrupted) comes with domUs running: it needs a dom0 vCPU's state to be
# switched out for a domU's and back (Xen keeps an idle pCPU's last vCPU
# loaded).  So dom0 gets pCPU 0 alone (one vCPU, pinned) and the domUs
# pCPU 1 (xh_cfg's cpus): dom0's segment and FPU state is never switched.
XH_CPU=${XH_CPU:-max,-fsgsbase}
XH_XEN_ARGS=${XH_XEN_ARGS-dom0_max_vcpus=1 dom0_vcpus_pin}
XH_DOMU_CPUS=${XH_DOMU_CPUS-1}
XH_RETRIES=${XH_RETRIES:-2}
XH_FLAKES=0
XH_FAILS=0

xh_log() { echo "[$(date +%T)] $*"; }

xh_init() {
	XH_BUILD=$(realpath "${1:?build dir}")
	"$XH_SRC/tests/vm/xen/build.sh" "$XH_BUILD" || { echo "FAIL: images"; exit 1; }
	XH_IMG=$XH_BUILD/vm/xen
	XH_DIR=$(mktemp -d /tmp/xenvnet-xh.XXXXXX)
	XH_T0=$(date +%s.%N)
	trap xh_cleanup EXIT
	trap 'exit 130' INT TERM
}

xh_cleanup() {
	local rc=$? n pid
	for n in 1 2 3; do
		pid=$(cat "$XH_DIR/h$n.pid" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null || true
	done
	# (under set -e, a qemu's exit status from wait ended the cleanup here)
	for n in 1 2 3; do
		pid=$(cat "$XH_DIR/h$n.pid" 2>/dev/null) || continue
		wait "$pid" 2>/dev/null || true
	done
	if [ "$rc" != 0 ] || [ -n "$XH_KEEP" ]; then
		for n in 1 2 3; do
			[ -s "$XH_DIR/h$n.console" ] || continue
			echo "=== h$n console (last 60 lines)"
			tail -n 60 "$XH_DIR/h$n.console"
		done
	fi
	if [ -n "$XH_KEEP" ]; then
		echo "kept: $XH_DIR"
	else
		rm -rf "$XH_DIR"
	fi
	exit "$rc"
}

# A free TCP port on 127.0.0.1 for host N's command channel.
xh_free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	return 1
}

xh_boot() {
	local n=$1 hosts=${XH_HOSTS:-2} peer port
	peer=$(( n % hosts + 1 ))
	port=$(xh_free_port)
	echo "$port" >"$XH_DIR/h$n.port"
	: >"$XH_DIR/h$n.console"
	qemu-system-x86_64 -accel tcg -cpu "$XH_CPU" -m "$XH_MEM" -smp 2 \
		-nodefaults -display none -monitor none -no-reboot \
		-chardev "socket,id=s0,path=$XH_DIR/h$n.serial,server=on,wait=off,logfile=$XH_DIR/h$n.console" \
		-serial chardev:s0 \
		-kernel "$XH_IMG/xen" \
		-append "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M noreboot smap=0 $XH_XEN_ARGS" \
		-initrd "$XH_IMG/vmlinuz console=hvc0 quiet panic=-1 xh.n=$n,$XH_IMG/dom0.cpio" \
		-netdev "dgram,id=u,local.type=unix,local.path=$XH_DIR/h$n.sock,remote.type=unix,remote.path=$XH_DIR/h$peer.sock" \
		-device "virtio-net-pci,netdev=u,mac=52:54:00:00:0$n:01" \
		-netdev "user,id=c,net=203.0.113.0/24,restrict=on,hostfwd=tcp:127.0.0.1:$port-203.0.113.15:7000" \
		-device "virtio-net-pci,netdev=c,mac=52:54:00:00:0$n:02" \
		>"$XH_DIR/h$n.qemu.log" 2>&1 &
	echo $! >"$XH_DIR/h$n.pid"
}

# xh_wait_ready N [SECS]: dom0's init printed XH-READY.
xh_wait_ready() {
	local n=$1 secs=${2:-400} i
	for ((i = 0; i < secs * 2; i++)); do
		grep -q "XH-READY h$n" "$XH_DIR/h$n.console" 2>/dev/null && return 0
		kill -0 "$(cat "$XH_DIR/h$n.pid")" 2>/dev/null || { echo "h$n: qemu exited"; return 1; }
		sleep 0.5
	done
	echo "h$n: not ready after ${secs}s"
	return 1
}

# xh N SCRIPT: SCRIPT's output on stdout, its exit status as ours.  The
# agent's protocol: the script's length in bytes, the script; back come the
# output and __RC=<status>.  bash's /dev/tcp: the connection is closed when
# __RC arrives, whatever qemu's user network does with the close (it left
# half-closed connections hanging in CLOSE-WAIT).
xh() {
	local fd line rc=""
	exec {fd}<>"/dev/tcp/127.0.0.1/$(cat "$XH_DIR/h$1.port")" || { echo "h$1: no agent"; return 1; }
	xh_send "$2" >&"$fd"
	while IFS= read -r -t "${XH_READ_T:-3600}" line <&"$fd"; do
		case $line in __RC=*) rc=${line#__RC=}; break ;; esac
		printf '%s\n' "$line"
	done
	exec {fd}>&-
	[ -n "$rc" ] || { echo "h$1: no answer from the agent"; return 1; }
	return "$rc"
}

# xh_send SCRIPT: the agent's request (the length counts bytes).
xh_send() {
	local LC_ALL=C
	printf '%d\n%s\n' "$(( ${#1} + 1 ))" "$1"
}

# xd N D SCRIPT: in guest D (its agent on 198.51.100.128+D), through host N.
# The guest's __RC line comes first: it is the status xh returns.
xd() {
	xh "$1" "echo $(xh_send "$3" | base64 -w0) | base64 -d | socat -t 3600 - TCP:198.51.100.$((128 + $2)):7000"
}

# A flake of the emulation, not of the code under test: a process in dom0
# that segfaults (the issue's `%fs:0` reads) or finds its heap corrupted
# (seen here: xl network-attach, "malloc(): corrupted top size"), in the
# step's output.  A step retried must be idempotent.
# Also libxl's fixed 40 s hotplug timeout ("killing execution of ... because
# of timeout"): under a loaded host's emulation Xen's own vif-bridge alone
# can outlast it (both hosts' first `xl create`s, load 11, 2026-12-02).
xh_is_flake() {
	grep -qiE 'segmentation fault|segfault|core dumped|SIGSEGV|status 139|malloc\(\)|corrupted (top|size|double)|free\(\): invalid|Aborted|killing execution of .* because of timeout' "$1"
}

# xh_new_segv: the dom0s' kernel-log lines of crashed processes not seen
# before, printed; true when there are any.  The flake also hits processes
# whose output a step never shows (Xen's vif-bridge under libxl,
# libxl-save-helper): a failed step with a new one here is retried too.
xh_new_segv() {
	local n g new=1
	for n in 1 2 3; do
		[ -f "$XH_DIR/h$n.port" ] || continue
		XH_READ_T=60 xh "$n" "dmesg | grep -E 'segfault at|traps: '" 2>/dev/null |
			grep -v '^h[0-9]: ' >"$XH_DIR/segv.h$n.now"
		xh_segv_seen "h$n" && new=0
	done
	# guests named in XH_SEGV_GUESTS (HOST:D ...): a PV guest's processes
	# are exposed the same way (the pinger, the agent relaying commands)
	for g in $XH_SEGV_GUESTS; do
		XH_READ_T=60 xd "${g%%:*}" "${g#*:}" "dmesg | grep -E 'segfault at|traps: '" 2>/dev/null |
			grep -v '^h[0-9]: ' >"$XH_DIR/segv.d${g#*:}.now"
		xh_segv_seen "d${g#*:}" && new=0
	done
	return "$new"
}

# xh_segv_seen NAME: NAME's crash lines (XH_DIR/segv.NAME.now) not seen
# before, printed; true when there are any.  All are remembered.
xh_segv_seen() {
	local f=$XH_DIR/segv.$1 out
	touch "$f"
	out=$(comm -13 <(sort "$f") <(sort "$f.now") | grep . | sed "s/^/$1 kernel: /")
	sort -u "$f" "$f.now" -o "$f"
	[ -n "$out" ] && echo "$out"
}

# xh_segv_report: every crashed dom0 process of the run, per host.
xh_segv_report() {
	local n
	xh_new_segv >/dev/null || true
	for n in "$XH_DIR"/segv.h? "$XH_DIR"/segv.d?; do
		[ -f "$n" ] || continue
		echo "FLAKES: ${n##*.}: $(grep -c . "$n") crashed processes in its kernel log"
		sed 's/^/    /' "$n"
	done
}

# xh_step NAME FUNC [ARGS...]
xh_step() {
	local name=$1 t0 t1 try rc out
	shift
	out=$XH_DIR/step.out
	for ((try = 0; ; try++)); do
		t0=$(date +%s.%N)
		"$@" >"$out" 2>&1
		rc=$?
		t1=$(date +%s.%N)
		sed 's/^/    /' "$out"
		if [ "$rc" = 0 ]; then
			printf 'PASS: %s (%.1f s%s)\n' "$name" "$(echo "$t1 - $t0" | bc)" \
				"$( [ "$try" -gt 0 ] && echo ", $try retries after emulation flakes")"
			return 0
		fi
		if [ "$try" -lt "$XH_RETRIES" ]; then
			xh_new_segv >"$out.segv"
			sed 's/^/    /' "$out.segv"
			if [ -s "$out.segv" ] || xh_is_flake "$out"; then
				XH_FLAKES=$((XH_FLAKES + 1))
				echo "RETRY: $name: an emulation flake (segfault or libxl's hotplug timeout), try $((try + 2))"
				continue
			fi
		fi
		printf 'FAIL: %s (%.1f s)\n' "$name" "$(echo "$t1 - $t0" | bc)"
		XH_FAILS=$((XH_FAILS + 1))
		return 1
	done
}

# xh_cfg NAME TYPE D VIF...: an xl config for guest D (pv or pvh).  A VIF is
# a bridge name, optionally /SCRIPT: fl* -> role 1 (where the agent is
# reached), anything else role 0; the MAC is 00:16:3e:00:0R:0D (domu-init).
xh_cfg() {
	local name=$1 type=$2 d=$3 v br script r vifs=""
	shift 3
	for v in "$@"; do
		br=${v%%/*}
		script=""
		[ "$br" != "$v" ] && script=",script=${v#*/}"
		case $br in fl*) r=1 ;; *) r=0 ;; esac
		vifs="$vifs${vifs:+, }'mac=00:16:3e:00:0$r:$(printf %02x "$d"),bridge=$br$script'"
	done
	cat <<CFG
name = "$name"
type = "$type"
kernel = "/var/lib/xvm/vmlinux"
ramdisk = "/var/lib/xvm/domu.cpio"
extra = "console=hvc0 quiet"
memory = 160
vcpus = 1
vif = [ $vifs ]
on_crash = "preserve"
CFG
	[ -z "$XH_DOMU_CPUS" ] || printf 'cpus = "%s"\n' "$XH_DOMU_CPUS"
	# PVH under qemu's SVM: live migration needs HAP log-dirty and no RDTSCP.
	[ "$type" = pvh ] && printf 'tsc_mode = "native"\ncpuid = "host,rdtscp=0"\n'
	return 0
}
