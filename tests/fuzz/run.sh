#!/bin/sh
# Build and run the libFuzzer targets (clang -fsanitize=fuzzer,address).
#   tests/fuzz/run.sh [RUNS] [MAX_SECONDS]
# Each target runs RUNS executions (default 10000000) or MAX_SECONDS
# (default 600), whichever ends first, from a copy of its seed corpus.
# Prints one summary line per target; exits non-zero on any crash or leak.
set -eu
RUNS=${1:-10000000}
MAX=${2:-600}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/fuzz
CC=${FUZZ_CC:-clang}
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
INC="-I$ROOT/xenstore-schema -I$ROOT/xenvnetd -I$ROOT/tools"
SCHEMA="$ROOT/xenstore-schema/vnet_id.c $ROOT/xenstore-schema/vnet_err.c $ROOT/xenstore-schema/vnet_schema.c"
mkdir -p "$OUT"

$CC $CFLAGS $INC -o "$OUT/fuzz_sxp" "$ROOT/tests/fuzz/fuzz_sxp.c" \
	"$ROOT/tools/sxp.c" "$ROOT/tools/vnet_sxp.c" $SCHEMA
$CC $CFLAGS $INC -o "$OUT/fuzz_ctl" "$ROOT/tests/fuzz/fuzz_ctl.c" \
	"$ROOT/xenvnetd/ctl.c" "$ROOT/xenvnetd/ctl_proto.c" "$ROOT/xenvnetd/peers.c" \
	"$ROOT/tools/vn_reply.c" "$ROOT/tools/vn_record.c" $SCHEMA

status=0
for t in sxp ctl; do
	work=$OUT/corpus-$t
	rm -rf "$work"
	mkdir -p "$work"
	cp "$ROOT/tests/fuzz/corpus/$t"/* "$work/"
	log=$OUT/fuzz_$t.log
	start=$(date +%s)
	if "$OUT/fuzz_$t" -runs="$RUNS" -max_total_time="$MAX" -max_len=4096 \
		-dict="$ROOT/tests/fuzz/$t.dict" -print_final_stats=1 "$work" >"$log" 2>&1; then
		res=ok
	else
		res=FAILED
		status=1
	fi
	secs=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	echo "fuzz_$t: $res, ${execs:-?} executions in ${secs}s (${rate:-?}/s), $cov; log $log"
done
exit $status
