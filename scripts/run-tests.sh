#!/bin/bash
# scripts/run-tests.sh BUILD_DIR [REGEX]
#
# Runs every unit test binary BUILD_DIR/tests/unit/test_* (cmocka), then
# every lab test tests/lab/test_*.sh (given BUILD_DIR), then a short run of
# every fuzz target (tests/fuzz/fuzz_*), optionally only those whose name
# matches REGEX.  One line per binary or lab test; cmocka
# binaries count their individual tests.  Ends with "N passed, N failed"
# and exits non-zero when anything failed.  A failing test's output is
# shown (for lab tests it includes the daemon logs).
set -e
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD_DIR:-build-san}}
FILTER=${2:-}
export BUILD_DIR=$BUILD
# Sanitizer builds: leaks and any report are failures.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
LAB_TIMEOUT=${LAB_TIMEOUT:-300}

passed=0
failed=0
out=$(mktemp /tmp/xenvnet-test.XXXXXX)
trap 'rm -f "$out"' EXIT

now() { echo "${EPOCHREALTIME/[,]/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# show_output: the failing test's output, indented, last 200 lines.
show_output() {
	tail -n 200 "$out" | sed 's/^/    | /'
}

# run_unit BIN: count cmocka's own PASSED/FAILED lines; a crash (non-zero
# exit without a FAILED line) counts as one failure.
run_unit() {
	local bin=$1 name=${1#"$BUILD"/tests/} t rc=0 p f
	t=$(now)
	timeout -k 5 "$UNIT_TIMEOUT" "$bin" >"$out" 2>&1 || rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$out" && [ "$f" = 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" = 0 ]; then
		printf 'PASS  %-32s %3d tests  %s\n' "$name" "$p" "$(elapsed "$t")"
	else
		printf 'FAIL  %-32s %3d passed, %d failed (exit %d)  %s\n' "$name" "$p" "$f" "$rc" "$(elapsed "$t")"
		show_output
	fi
}

# run_lab SCRIPT: one lab test, one count.  Named by its path under tests/
# (lab/test_x), or from the top for a script elsewhere; $TEST_PREFIX first.
run_lab() {
	local script=$1 name=${TEST_PREFIX:-}${1#tests/} t rc=0
	name=${name%.sh}
	t=$(now)
	timeout -k 10 "$LAB_TIMEOUT" "$script" "$BUILD" >"$out" 2>&1 </dev/null || rc=$?
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		# A test that cannot run here yet says "SKIP: why" and exits 0.
		if grep -q '^SKIP' "$out"; then
			printf 'SKIP  %-32s %s  (%s)\n' "$name" "$(elapsed "$t")" "$(grep -m1 '^SKIP' "$out")"
		else
			printf 'PASS  %-32s %s\n' "$name" "$(elapsed "$t")"
		fi
	else
		failed=$((failed + 1))
		[ "$rc" = 124 ] && echo "    (timed out after ${LAB_TIMEOUT}s)" >>"$out"
		printf 'FAIL  %-32s exit %d  %s\n' "$name" "$rc" "$(elapsed "$t")"
		show_output
	fi
}

selected() { [ -z "$FILTER" ] || [[ $1 =~ $FILTER ]]; }

# run_fuzz TARGET: a short run of one libFuzzer target (tests/fuzz/run.sh:
# its seed corpus, then FUZZ_TEST_RUNS new inputs), one count.
run_fuzz() {
	local name=fuzz/fuzz_$1 t rc=0
	t=$(now)
	if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
		passed=$((passed + 1))
		printf 'SKIP  %-32s (no clang)\n' "$name"
		return
	fi
	timeout -k 10 "$LAB_TIMEOUT" tests/fuzz/run.sh "${FUZZ_TEST_RUNS:-2000}" "${FUZZ_TEST_SECONDS:-30}" "$1" \
		>"$out" 2>&1 </dev/null || rc=$?
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		printf 'PASS  %-32s %s\n' "$name" "$(elapsed "$t")"
	else
		failed=$((failed + 1))
		printf 'FAIL  %-32s exit %d  %s\n' "$name" "$rc" "$(elapsed "$t")"
		show_output
		tail -n 60 "build/fuzz/fuzz_$1.log" 2>/dev/null | sed 's/^/    | /'
	fi
}

start=$(now)
units=0
for bin in "$BUILD"/tests/unit/test_*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
	selected "$bin" || continue
	units=$((units + 1))
	run_unit "$bin"
done
[ "$units" -gt 0 ] || [ -n "$FILTER" ] || echo "note: no unit test binaries in $BUILD/tests/unit (make SAN=1 unit-bins)"
# LAB_TESTS: other scripts instead of tests/lab's (the VM runs its list so).
for script in ${LAB_TESTS:-tests/lab/test_*.sh}; do
	[ -f "$script" ] || continue
	selected "$script" || continue
	run_lab "$script"
done
# The emulated hosts (tests/vm/kernel-tests.txt, in one VM): with no REGEX,
# or a REGEX that says vm/ (e.g. 'vm/', 'unit/|vm/lab/test_ping').
if [ -z "$FILTER" ] || [[ $FILTER == *vm/* ]]; then
	vm_summary=0
	while IFS= read -r line; do
		if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
			passed=$((passed + BASH_REMATCH[1]))
			failed=$((failed + BASH_REMATCH[2]))
			vm_summary=1
		else
			printf '%s\n' "$line"
		fi
	done < <(tests/vm/run.sh "$BUILD" --filter "$FILTER" </dev/null 2>&1)
	[ "$vm_summary" = 1 ] || { echo "FAIL  vm  tests/vm/run.sh ended without a summary"; failed=$((failed + 1)); }
fi
for t in sxp ctl proto cluster; do
	selected "tests/fuzz/fuzz_$t" || continue
	run_fuzz "$t"
done
echo "total time $(elapsed "$start")"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
