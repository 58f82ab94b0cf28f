# shellcheck shell=bash
# Sourced by scripts/run-bench.sh (which defines row and median): issue 12's
# `xl migrate` figures on two emulated Xen hosts.  Runs the Xen scenario
# with BENCH_XEN_MIGRATIONS (default 3) migrations of a PVH guest on the
# vnet (ours, d1) and of one on the flood-and-learn reference (a plain
# bridge + learning VXLAN) in turn (d1, then its twin d3).
# The pause is d1's own: the jump of its CLOCK_BOOTTIME - CLOCK_MONOTONIC
# (Xen guests count a migration as suspend time, from the hosts' wall
# clocks) less the target's clock minus the source's (clk skew over the
# underlay, best of 20 round trips).  BENCH_XEN=0 leaves them out.
bench_xen_rows() {
	local build=$1 log k ours flood obo fbo obey fbey pause beyond n
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
		tee "$log" | grep -E '^(PASS|FAIL|RETRY|MIG|FLAKES|xen scenario)'
	n=$(grep -c '^MIG ' "$log")
	if [ "$n" = 0 ]; then
		row "xl migrate (emulated Xen hosts)" failed - "see the scenario" no
		rm -f "$log"
		return 0
	fi
	# MIG k PATH lost L blackout_s B guest_pause_s P beyond_pause_s Y ping_interval_ms I
	#     clock_skew_s S skew_rtt_s R xl_migrate_s X
	mig() { awk -v p="$1" -v f="$2" '$1 == "MIG" && $3 == p { print $f }' "$log"; }
	mapfile -t ours < <(mig ours 5)
	mapfile -t flood < <(mig flood 5)
	mapfile -t obo < <(mig ours 7 | awk '{ printf "%.0f\n", $1 * 1000 }')
	mapfile -t fbo < <(mig flood 7 | awk '{ printf "%.0f\n", $1 * 1000 }')
	mapfile -t pause < <(awk '$1 == "MIG" { printf "%.0f\n", $9 * 1000 }' "$log")
	# lost beyond the pause: the lost pings' share of the blackout that the
	# paused guest does not explain (the pinger's rate under emulation is
	# below 100/s: lost pings count what it sent, not 10 ms slots)
	mapfile -t beyond < <(awk '$1 == "MIG" && $3 == "ours" { b = ($7 > 0) ? $5 * ($7 - $9) / $7 : 0; printf "%.0f\n", (b < 0) ? 0 : b }' "$log")
	mapfile -t obey < <(mig ours 11 | awk '{ printf "%.0f\n", $1 * 1000 }')
	mapfile -t fbey < <(mig flood 11 | awk '{ printf "%.0f\n", $1 * 1000 }')
	[ "${#ours[@]}" -gt 0 ] && [ "${#flood[@]}" -gt 0 ] || { row "xl migrate (emulated Xen hosts)" failed - "see the scenario" no; rm -f "$log"; return 0; }
	k=$(awk -v o="$(median "${ours[@]}")" -v f="$(median "${flood[@]}")" 'BEGIN { print (o <= f) ? "ok" : "no" }')
	row "xl migrate x${#ours[@]}: lost pings (10 ms), median: ours/flood" "$(median "${ours[@]}")" "$(median "${flood[@]}")" "ours <= flood" "$k"
	row "xl migrate: blackout (ms), median: ours/flood" "$(median "${obo[@]}")" "$(median "${fbo[@]}")" - -
	row "xl migrate: guest's own pause (ms), median" "$(median "${pause[@]}")" - - -
	row "xl migrate: blackout beyond the pause (ms), median: ours/flood" "$(median "${obey[@]}")" "$(median "${fbey[@]}")" "ours <= flood" \
		"$(awk -v o="$(median "${obey[@]}")" -v f="$(median "${fbey[@]}")" 'BEGIN { print (o <= f) ? "ok" : "no" }')"
	row "xl migrate: lost beyond the pause, max: ours" "$(printf '%s\n' "${beyond[@]}" | sort -g | tail -1)" - "<= 1" \
		"$(printf '%s\n' "${beyond[@]}" | sort -g | tail -1 | awk '{ print ($1 <= 1) ? "ok" : "no" }')"
	grep '^MIG ' "$log"
	rm -f "$log"
}
