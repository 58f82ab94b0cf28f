#!/bin/bash
# tests/vm/xen/record-fixture.sh BUILD_DIR [OUT] [RAW_DIR]: what real libxl
# and netback do to xenstore and to the vif, for the lab's simulated domains
# to be compared against (OUT, default tests/vm/xen/fixture-vif.txt).
#
# Runs the Xen scenario (tests/vm/xen/scenario.sh, one migration) with
# XH_FIXTURE set, so both emulated hosts record: xenstore changes under
# /local/domain (a watch, stamped on arrival), the C xenstored's request
# trace (who wrote which key with which value, in order), `ip -ts monitor
# link` (vif names, carrier, master) and marks around xl create / migrate /
# destroy / shutdown.  Given RAW_DIR (a kept recording), only formats it.
#
# The fixture: a timeline per host (seconds since that host's first xl
# mark; h2's times shifted onto h1's clock by the measured skew), then the
# trace's writes and removals of vif keys and domain names, in order.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${2:-$here/fixture-vif.txt}")
raw=$3
if [ -z "$raw" ]; then
	raw=$(mktemp -d /tmp/xenvnet-fixture.XXXXXX)
	trap 'rm -rf "$raw"' EXIT
	XH_FIXTURE=$raw XH_MIGRATIONS=1 "$here/scenario.sh" "${1:?usage: record-fixture.sh BUILD_DIR [OUT] [RAW_DIR]}"
fi

# h2's clock minus h1's (h2 measured h1: h1 - h2), 0 for h1
skew() {
	[ "$1" = 2 ] || { echo 0; return; }
	awk '{ print -$1; exit }' "$raw/h2.skew-to-h1" 2>/dev/null || echo 0
}

t0=$(awk '{ print $1; exit }' "$raw/h1.xl")
{
	echo "# Recorded by tests/vm/xen/record-fixture.sh: real libxl (Xen 4.17, Debian 12) and"
	echo "# netback (dom0 = Debian's kernel) on two emulated hosts, $(date -u +%F)."
	echo "# d1: PVH, vif=['bridge=vnet97'] (vif-bridge + xenvnet.hook); d3: PVH on fl97 (plain bridge);"
	echo "# d2: PV, vif=['bridge=vnet97,script=vif-vnet'], then xl network-attach on fl97."
	echo "# Recorded: $(cat "$raw"/h1.xl "$raw"/h2.xl | awk '{ print $3 }' | sort -u | tr '\n' ' ')"
	echo "# Timeline: seconds since h1's first xl mark, h2 shifted onto h1's clock"
	echo "# (skew $(skew 2) s).  HOST xl   NAME: before/after an xl command;"
	echo "# HOST xs PATH: a xenstore change (watch); HOST link ...: ip monitor about a vif."
	echo "# Order within a host is exact; times are approximate: under emulation the watch's"
	echo "# reader lags and dom0 clocks drift (the skew is measured at the end of the run)."
	for n in 1 2; do
		s=$(skew "$n")
		awk -v t0="$t0" -v s="$s" -v h="h$n" '{ t = $1; $1 = ""; printf "%9.3f %s xl  %s\n", t - s - t0, h, $0 }' "$raw/h$n.xl"
		awk -v t0="$t0" -v s="$s" -v h="h$n" '$2 ~ /vif|\/name$|\/state$/ && $2 !~ /^\/vnet/ { printf "%9.3f %s xs   %s\n", $1 - s - t0, h, $2 }' "$raw/h$n.watch"
		grep -E 'vif[0-9]+\.[0-9]+' "$raw/h$n.link" | while IFS= read -r l; do
			ts=${l%%]*}
			ts=${ts#[}
			e=$(date -d "$ts" +%s.%N 2>/dev/null) || continue
			echo "$e ${l#*] }"
		done | awk -v t0="$t0" -v s="$s" -v h="h$n" '{ t = $1; $1 = ""; printf "%9.3f %s link%s\n", t - s - t0, h, $0 }'
	done | sort -n -s -k1,1
	for n in 1 2; do
		echo "# --- h$n: xenstored's trace, writes and removals of vif keys and domain names, in order"
		grep -E 'vif|/name' "$raw/h$n.trace" | grep -E ' (WRITE|RM|MKDIR|SET_PERMS|INTRODUCE|RELEASE) ' |
			sed -E 's/ 0x[0-9a-f]+ / /; s/ [0-9]{8} [0-9:]{8}(\.[0-9]+)? / /' || true
	done
} >"$out"
echo "fixture: $out ($(wc -l <"$out") lines)"
