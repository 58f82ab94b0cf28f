#!/bin/bash
# tests/bench/bench_hotplug.sh [BUILD_DIR]: what `script=vif-vnet` costs
# `xl create` over Xen's vif-bridge (issue 12: at most 1 s more): the
# `online` run time of each script for a vif on a vnet that is up, Xen's
# stock /etc/xen/scripts as libxl runs them, BENCH_HP_N rounds (default
# 10) alternating the two, each followed by `offline`.
# Prints "RESULT bridge_p50_ms=.. vnet_p50_ms=.. extra_p50_ms=..
# extra_max_ms=.. bridge_execs=.. vnet_execs=..".  Under emulation a fork
# took ~0.4 s (issue 12: `xl create` 17 s with vif-vnet, 7 s without), so
# the programs each script runs (strace, when installed; vif-vnet's count
# includes the vif-bridge it runs) say more than the lab's milliseconds.
#
#     d5 eth0 --- vif5.0 --(vif-bridge | vif-vnet)--> vnet97   h1
set -e
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/lib.sh
. tests/lab/lib.sh
N=${BENCH_HP_N:-10}
lab_init "${1:-build}"
[ -x /etc/xen/scripts/vif-bridge ] || lab_fail "no /etc/xen/scripts/vif-bridge (make deps)"
lab_hosts 1
scripts=$LAB_DIR/scripts
mkdir -p "$scripts"
ln -s /etc/xen/scripts/* "$scripts/"
cp hotplug/vif-vnet "$scripts/"
xs 1 write /vnet/97/bridge vnet97
lab_vnet_up 1 97
lab_domain 1 5 198.51.100.5 00:16:3e:00:00:05
xs 1 write /local/domain/0/backend/vif/5/0/bridge vnet97

# run SCRIPT COMMAND: its wall time in ms (echo), as libxl runs it.
run() {
	local t0 rc=0
	t0=${EPOCHREALTIME/[.,]/}
	h1 env XENSTORED_PATH="$LAB_DIR/h1/xs/socket" vif=vif5.0 XENBUS_PATH=backend/vif/5/0 \
		"$scripts/$1" "$2" type_if=vif >>"$LAB_DIR/hotplug.log" 2>&1 || rc=$?
	[ "$rc" = 0 ] || lab_fail "$1 $2 failed: $(tail -3 "$LAB_DIR/hotplug.log")"
	echo $(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
}

br=() vn=() extra=()
for ((i = 0; i < N; i++)); do
	if ((i % 2)); then
		vn+=("$(run vif-vnet online)"); run vif-vnet offline >/dev/null
		br+=("$(run vif-bridge online)"); run vif-bridge offline >/dev/null
	else
		br+=("$(run vif-bridge online)"); run vif-bridge offline >/dev/null
		vn+=("$(run vif-vnet online)"); run vif-vnet offline >/dev/null
	fi
	extra+=($((vn[i] - br[i])))
done
# execs SCRIPT: how many programs one `online` of SCRIPT runs (or "-").
execs() {
	local n=-
	if command -v strace >/dev/null; then
		h1 env XENSTORED_PATH="$LAB_DIR/h1/xs/socket" vif=vif5.0 XENBUS_PATH=backend/vif/5/0 \
			strace -f -qq -e trace=execve -o "$LAB_DIR/strace" "$scripts/$1" online type_if=vif \
			>>"$LAB_DIR/hotplug.log" 2>&1 || lab_fail "$1 online failed under strace"
		n=$(grep -c 'execve(' "$LAB_DIR/strace")
		run "$1" offline >/dev/null
	fi
	echo "$n"
}
be=$(execs vif-bridge) ve=$(execs vif-vnet)
lab_log "vif-bridge online (ms): ${br[*]}"
lab_log "vif-vnet online (ms):   ${vn[*]}"
echo "RESULT bridge_p50_ms=$(lab_pct 50 "${br[@]}") vnet_p50_ms=$(lab_pct 50 "${vn[@]}") extra_p50_ms=$(lab_pct 50 "${extra[@]}") extra_max_ms=$(lab_pct 100 "${extra[@]}") bridge_execs=$be vnet_execs=$ve"
