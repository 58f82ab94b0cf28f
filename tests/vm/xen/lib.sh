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
# xd N D SCRIPT: in guest D (its agent on 198.51.100.128+D), through host N.
# The guest's __RC line comes first: it is the status xh returns.
xd() {
	xh "$1" "echo $(xh_send "$3" | base64 -w0) | base64 -d | socat -t 3600 - TCP:198.51.100.$((128 + $2)):7000"
}

# A flake of the emulation, not of the code under test: a segfaulting
# process in dom0 (the issue's `%fs:0` reads), seen in the step's output.
xh_is_flake() {
	grep -qiE 'segmentation fault|segfault|core dumped|SIGSEGV|status 139' "$1"
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
		if [ "$try" -lt "$XH_RETRIES" ] && xh_is_flake "$out"; then
			XH_FLAKES=$((XH_FLAKES + 1))
			echo "RETRY: $name: an emulation flake (segfault), try $((try + 2))"
			continue
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
	# PVH under qemu's SVM: live migration needs HAP log-dirty and no RDTSCP.
	[ "$type" = pvh ] && printf 'tsc_mode = "native"\ncpuid = "host,rdtscp=0"\n'
	return 0
}
