#!/bin/sh
# Build and run the libFuzzer targets (clang -fsanitize=fuzzer,address,undefined).
#   tests/fuzz/run.sh [RUNS] [MAX_SECONDS] [TARGET...]
# Each target (default: sxp ctl proto cluster) runs RUNS executions (default
# 10000000) or MAX_SECONDS (default 600), whichever ends first, from a copy
# of its seed corpus tests/fuzz/corpus/TARGET.  Leak checking is on.
# Prints one summary line per target; exits non-zero on any crash or leak.
set -eu
RUNS=${1:-10000000}
MAX=${2:-600}
if [ $# -gt 2 ]; then shift 2; else set -- sxp ctl proto cluster; fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/fuzz
CC=${FUZZ_CC:-clang}
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
INC="-I$ROOT/xenstore-schema -I$ROOT/xenvnetd -I$ROOT/tools"
SCHEMA="$ROOT/xenstore-schema/vnet_id.c $ROOT/xenstore-schema/vnet_err.c $ROOT/xenstore-schema/vnet_schema.c $ROOT/xenstore-schema/vnet_grow.c"
# The whole daemon but main.c (fuzz_env.c runs it in a network namespace
# of its own: root only).
DAEMON=$(ls "$ROOT"/xenvnetd/*.c | grep -v '/main\.c$')
LIBS="-lxenstore $(pkg-config --libs libnl-route-3.0 libnl-xfrm-3.0 2>/dev/null || echo -lnl-xfrm-3 -lnl-route-3 -lnl-3) -lcrypto -lcares -lnftables -ljson-c $(pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)"
INC="$INC $(pkg-config --cflags libnl-route-3.0 2>/dev/null)"
mkdir -p "$OUT"

# The sources each target needs besides its own file (word-split on purpose).
sources() {
	case $1 in
	sxp) echo "$ROOT/tools/sxp.c $ROOT/tools/vnet_sxp.c $SCHEMA" ;;
	# The real request handlers need the whole daemon (fuzz_env.c).
	ctl) echo "$ROOT/tests/fuzz/fuzz_env.c $DAEMON $ROOT/xenstore-schema/*.c" \
		"$ROOT/tools/vn_reply.c $ROOT/tools/vn_record.c $LIBS" ;;
	proto) echo "$ROOT/xenvnetd/proto.c $ROOT/xenvnetd/replay.c $ROOT/xenvnetd/auth.c $SCHEMA -lcrypto" ;;
	cluster) echo "$ROOT/tests/fuzz/fuzz_env.c $DAEMON $ROOT/xenstore-schema/*.c $LIBS" ;;
	*) echo "run.sh: unknown target $1" >&2; exit 2 ;;
	esac
}

status=0
for t in "$@"; do
	# shellcheck disable=SC2046,SC2086
	$CC $CFLAGS $INC -o "$OUT/fuzz_$t" "$ROOT/tests/fuzz/fuzz_$t.c" $(sources "$t")
	work=$OUT/corpus-$t
	rm -rf "$work"
	mkdir -p "$work"
	cp "$ROOT/tests/fuzz/corpus/$t"/* "$work/"
	dict=
	[ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=-dict=$ROOT/tests/fuzz/$t.dict
	log=$OUT/fuzz_$t.log
	start=$(date +%s)
	# shellcheck disable=SC2086
	if "$OUT/fuzz_$t" -runs="$RUNS" -max_total_time="$MAX" -max_len=4096 $dict \
		-print_final_stats=1 "$work" >"$log" 2>&1; then
		res=ok
	else
		res=FAILED
		status=1
	fi
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	echo "fuzz_$t: $res, ${execs:-?} executions in ${secs}s (${rate:-?}/s), $cov; log $log"
done
exit $status
