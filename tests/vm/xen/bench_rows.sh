# shellcheck shell=bash
# Sourced by scripts/run-bench.sh (which defines row and median): issue 12's
# `xl migrate` figures on two emulated Xen hosts.  Runs the Xen scenario
# with BENCH_XEN_MIGRATIONS (default 3) migrations of the PVH guest d1;
# each one moves d1's vnet vif (ours) and its flood-and-learn vif (a plain
# bridge + learning VXLAN) at once, so both paths see the same guest pause.
# The pause is d1's own: the jump of its CLOCK_BOOTTIME - CLOCK_MONOTONIC
# (Xen guests count a migration as suspend time, from the hosts' wall
# clocks) less the target's clock minus the source's (clk skew over the
# underlay, best of 20 round trips).  BENCH_XEN=0 leaves them out.
bench_xen_rows() {
	local build=$1 log k ours flood obo fbo pause beyond n
	if [ "${BENCH_XEN:-1}" = 0 ]; then
		row "xl migrate (emulated Xen hosts)" skipped - "BENCH_XEN=0" -
		return 0
	fi
	if [ ! -e /boot/xen-4.17-amd64.gz ] || ! command -v qemu-system-x86_64 >/dev/null; then
		row "xl migrate (emulated Xen hosts)" "no Xen/qemu" - "make deps" no
		return 0
	fi
	log=$(mktemp /tmp/xenvnet-benchxen.XXXXXX)
	echo "== tests/vm/xen/scenario.sh (XH_MIGRATIONS=${BENCH_XEN_MIGRATIONS:-3})"
	XH_MIGRATIONS=${BENCH_XEN_MIGRATIONS:-3} XH_BENCH=1 tests/vm/xen/scenario.sh "$build" 2>&1 |
		tee "$log" | grep -E '^(PASS|FAIL|RETRY|MIG|xen scenario)'
	n=$(grep -c '^MIG ' "$log")
	if [ "$n" = 0 ]; then
		row "xl migrate (emulated Xen hosts)" failed - "see the scenario" no
		rm -f "$log"
		return 0
	fi
	# MIG k ours_lost L ours_blackout_s B flood_lost L flood_blackout_s B guest_pause_s P ...
	mapfile -t ours < <(awk '/^MIG /{print $4}' "$log")
	mapfile -t flood < <(awk '/^MIG /{print $8}' "$log")
	mapfile -t obo < <(awk '/^MIG /{printf "%.0f\n", $6 * 1000}' "$log")
	mapfile -t fbo < <(awk '/^MIG /{printf "%.0f\n", $10 * 1000}' "$log")
	mapfile -t pause < <(awk '/^MIG /{printf "%.0f\n", $12 * 1000}' "$log")
	# lost beyond the pause: pings lost minus the pings the paused guest could not answer
	mapfile -t beyond < <(awk '/^MIG /{b = $4 - int($12 / 0.01); print (b < 0) ? 0 : b}' "$log")
	k=$(awk -v o="$(median "${ours[@]}")" -v f="$(median "${flood[@]}")" 'BEGIN { print (o <= f) ? "ok" : "no" }')
	row "xl migrate x$n: lost pings (10 ms), median: ours/flood" "$(median "${ours[@]}")" "$(median "${flood[@]}")" "ours <= flood" "$k"
	row "xl migrate: blackout (ms), median: ours/flood" "$(median "${obo[@]}")" "$(median "${fbo[@]}")" - -
	row "xl migrate: guest's own pause (ms), median" "$(median "${pause[@]}")" - - -
	row "xl migrate: lost beyond the pause, max: ours" "$(printf '%s\n' "${beyond[@]}" | sort -g | tail -1)" - "<= 1" \
		"$(printf '%s\n' "${beyond[@]}" | sort -g | tail -1 | awk '{ print ($1 <= 1) ? "ok" : "no" }')"
	grep '^MIG ' "$log"
	rm -f "$log"
}
