#!/bin/bash
# tests/vm/run.sh BUILD_DIR [OPTIONS] [-- TEST...]
#
# Kernel mode of the emulated hosts: boots Debian's kernel in one qemu VM
# (software emulation) with the lab inside (tests/vm/image.sh), runs the
# tests there with scripts/run-tests.sh, unchanged, and streams their
# PASS/FAIL/SKIP lines (named vm/...) here.  Ends with "N passed, N failed";
# exits non-zero when a test failed, did not report, or the VM hung (killed
# after the timeout) or crashed.
#
# TEST: a lab test's name as run-tests.sh prints it (lab/test_ping_across)
# or a script's path from the top of the tree (kmod/tests/netns.sh).
# Without TESTs: the list tests/vm/kernel-tests.txt.  "NAME@TAG VAR=X..."
# (a list's line, or one quoted TEST) runs NAME with those variables set
# for it alone, named NAME@TAG (lab/test_ping_across@vnet).
#
#   --modules "M..."  load these modules at boot: names (with dependencies)
#                     or paths to out-of-tree .ko files
#   --filter REGEX    only the tests whose vm/NAME matches REGEX
#   --list FILE       the tests (and "modules:", "env:" lines) of FILE
#   --env VAR=VALUE   set in the VM for every test (as an "env:" line)
#   --timeout SECS    per test inside the VM (default $LAB_TIMEOUT or 600);
#                     the whole VM gets 120 s more than its tests' sum
#   --smp N, --mem MB qemu's CPUs (default 2) and memory (default 2048)
#   --time-scale N    LAB_TIME_SCALE in the VM: the lab's waits (and the
#                     migration tests' "far off" limits) times N (default 10:
#                     an emulated CPU, on a shared machine)
#   --keep            keep the run's directory (console log) under BUILD_DIR/vm
#   --cmd "CMD"       run CMD (bash, in /xenvnet) instead of tests; exits
#                     with its status (a shell for debugging, or any script)
set -e
VM_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$VM_DIR/../.." && pwd)
BUILD=${1:?usage: run.sh BUILD_DIR [--modules M] [--filter RE] [--list F] [-- TEST...]}
shift
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
MODULES="" FILTER="" LIST="" KEEP="" CMD="" SMP=${VM_SMP:-2} MEM=${VM_MEM:-2048}
PER_TEST=${LAB_TIMEOUT:-600} SCALE=${VM_TIME_SCALE:-10}
TESTS=() ENVS=()
declare -A TENV=()   # NAME@TAG -> its own "VAR=X..."
while [ $# -gt 0 ]; do
	case $1 in
	--modules) MODULES="$MODULES $2"; shift 2 ;;
	--filter) FILTER=$2; shift 2 ;;
	--list) LIST=$2; shift 2 ;;
	--timeout) PER_TEST=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--time-scale) SCALE=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--env) ENVS+=("$2"); shift 2 ;;
	--cmd) CMD=$2; shift 2 ;;
	--) shift; TESTS+=("$@"); break ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ ${#TESTS[@]} -gt 0 ] || [ -n "$LIST" ] || [ -n "$CMD" ] || LIST=$VM_DIR/kernel-tests.txt
if [ -n "$LIST" ]; then
	while read -r line; do
		line=${line%%#*}
		# shellcheck disable=SC2206 # a line's words
		case $line in
		modules:*) MODULES="$MODULES ${line#modules:}" ;;
		env:*) ENVS+=(${line#env:}) ;;
		*[![:space:]]*) TESTS+=("$line") ;;
		esac
	done <"$LIST"
fi
# A test's own variables: "NAME@TAG VAR=X..." (the tag keeps its name apart).
for i in "${!TESTS[@]}"; do
	# shellcheck disable=SC2206 # a line's words
	words=(${TESTS[i]})
	TESTS[i]=${words[0]}
	[ ${#words[@]} -gt 1 ] || continue
	[[ ${words[0]} == *@* ]] || { echo "run.sh: ${words[0]}: variables need a NAME@TAG" >&2; exit 2; }
	for e in "${words[@]:1}"; do
		[[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { echo "run.sh: ${words[0]}: bad variable $e" >&2; exit 2; }
	done
	TENV[${words[0]}]=${words[*]:1}
done

now() { echo "${EPOCHREALTIME/[,]/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
start=$(now)

# Names to scripts; the filter; a name that matches no script fails.
declare -A SCRIPT=()
names=() bad=()
for t in "${TESTS[@]}"; do
	[ -z "$FILTER" ] || [[ vm/$t =~ $FILTER ]] || continue
	b=${t%%@*}
	if [ -f "$ROOT/tests/$b.sh" ]; then
		SCRIPT[$t]=tests/$b.sh
	elif [ -f "$ROOT/$b" ]; then
		SCRIPT[$t]=$b
	else
		bad+=("$t")
		continue
	fi
	# NAME@TAG: a wrapper beside the script (this run's archive) sets its variables
	[ "$b" = "$t" ] || SCRIPT[$t]=${SCRIPT[$t]%.sh}@${t#*@}.sh
	names+=("$t")
done
if [ ${#names[@]} = 0 ] && [ ${#bad[@]} = 0 ] && [ -z "$CMD" ]; then
	echo "0 passed, 0 failed"
	exit 0
fi

# Module names go into the cached base image, .ko files into this run's.
kos=() mods=()
for m in $MODULES; do
	if [[ $m == *.ko ]]; then
		case $m in /*) ;; *) m=$ROOT/$m ;; esac
		kos+=("$m")
		mods+=("$(basename "$m" .ko)")
		# shellcheck disable=SC2207
		deps=($(modinfo -F depends "$m" | tr ',' ' '))
		MODULES_BASE+=" ${deps[*]}"
	else
		mods+=("$m")
		MODULES_BASE+=" $m"
	fi
done

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "FAIL  vm  no qemu-system-x86_64 (make deps: qemu-system-x86)"
	echo "0 passed, 1 failed"
	exit 1
fi
t=$(now)
# shellcheck disable=SC2086
img=$("$VM_DIR/image.sh" "$BUILD" $MODULES_BASE) || { echo "FAIL  vm/image  could not build the image"; echo "0 passed, 1 failed"; exit 1; }
KERNEL=$(sed -n 1p <<<"$img")
ARCHIVES=$(sed -n 2p <<<"$img")
echo "vm: image ready in $(since "$t")s"

RUN=$(mktemp -d "$BUILD/vm/run.XXXXXX")
cleanup() {
	local pid
	pid=$(cat "$RUN/qemu.pid" 2>/dev/null) || pid=""
	# Our VM if that pid is still a qemu (the pid file may outlive it).
	if [ -n "$pid" ] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == qemu-system* ]]; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	if [ -n "$KEEP" ]; then
		echo "vm: kept $RUN" >&2
	else
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# This run's archive: /init, the settings, the out-of-tree modules.
r=$RUN/root
mkdir -p "$r/vm/modules"
install -m 0755 "$VM_DIR/init" "$r/init"
[ ${#kos[@]} = 0 ] || cp "${kos[@]}" "$r/vm/modules/"
for n in "${names[@]}"; do
	[[ $n == *@* ]] || continue
	wrap=$r/xenvnet/${SCRIPT[$n]}
	mkdir -p "$(dirname "$wrap")"
	{
		echo '#!/bin/bash'
		echo "# tests/vm/run.sh: $n"
		for e in ${TENV[$n]}; do printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"; done
		# shellcheck disable=SC2016 # the wrapper's own $0 and $@
		printf 'exec "$(dirname "$0")/%s" "$@"\n' "$(basename "${SCRIPT[$n]%@*}").sh"
	} >"$wrap"
	chmod 0755 "$wrap"
done
scripts=()
for n in "${names[@]}"; do scripts+=("${SCRIPT[$n]}"); done
{
	echo "VM_TESTS='${scripts[*]}'"
	echo "VM_MODULES='${mods[*]}'"
	echo "VM_BUILD='$(basename "$BUILD")'"
	echo "VM_LAB_TIMEOUT=$PER_TEST"
	echo "export LAB_TIME_SCALE=$SCALE"
	for e in "${ENVS[@]}"; do
		[[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { echo "run.sh: bad env $e" >&2; exit 2; }
		printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"
	done
	printf 'VM_CMD=%q\n' "$CMD"
	echo "ASAN_OPTIONS='${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}'"
	echo "UBSAN_OPTIONS='${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}'"
	echo "export ASAN_OPTIONS UBSAN_OPTIONS"
} >"$r/vm/run.conf"
(cd "$r" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet) >"$RUN/run.cpio"
# shellcheck disable=SC2086
cat $ARCHIVES "$RUN/run.cpio" >"$RUN/initrd"

VM_TIMEOUT=${VM_TIMEOUT:-$((120 + PER_TEST * ${#names[@]}))}
declare -A RESULT=()
passed=0 failed=0
for t in "${bad[@]}"; do
	echo "FAIL  vm/$t  no such test (tests/$t.sh or $t)"
	failed=$((failed + 1))
done

# Test output arrives on the second serial port (qemu's stdout), the
# kernel's console goes to a file shown when something went wrong.
t=$(now)
cmd_rc=""
while IFS= read -r line; do
	line=${line%$'\r'}
	if [[ $line =~ ^(PASS|FAIL|SKIP)\ +vm/([^ ]+) ]]; then
		RESULT[${BASH_REMATCH[2]}]=${BASH_REMATCH[1]}
	elif [[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]] || [[ $line == "total time "* ]]; then
		continue   # the VM's own summary: ours follows
	elif [[ $line =~ ^vm:\ cmd\ exit\ ([0-9]+)$ ]]; then
		cmd_rc=${BASH_REMATCH[1]}
	elif [[ $line == "vm: qemu exit 124" ]]; then
		line="vm: killed after ${VM_TIMEOUT}s (VM_TIMEOUT)"
	elif [[ $line == "vm: up "* ]]; then
		line="$line (boot $(since "$t")s from launch)"
	fi
	printf '%s\n' "$line"
done < <(timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -smp "$SMP" -m "$MEM" \
	-nodefaults -no-reboot -display none -monitor none \
	-serial "file:$RUN/console.log" -serial stdio -pidfile "$RUN/qemu.pid" \
	-kernel "$KERNEL" -initrd "$RUN/initrd" \
	-append "console=ttyS0 quiet panic=-1 random.trust_cpu=on" </dev/null 2>"$RUN/qemu.err" ||
	echo "vm: qemu exit $?")
echo "vm: ran ${#names[@]} test(s) in $(since "$t")s"

if [ -n "$CMD" ]; then
	[ -n "$cmd_rc" ] || { echo "vm: the command did not finish"; tail -n 60 "$RUN/console.log" | sed 's/^/    | console: /'; }
	exit "${cmd_rc:-1}"
fi
missing=0
for n in "${names[@]}"; do
	# run-tests.sh's name for the script: its path under tests/, no .sh
	key=${SCRIPT[$n]#tests/}
	key=${key%.sh}
	case ${RESULT[$key]} in
	PASS | SKIP) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	*)
		echo "FAIL  vm/$n  no result (the VM hung, crashed or ran out of time: ${VM_TIMEOUT}s)"
		failed=$((failed + 1))
		missing=1
		;;
	esac
done
if [ "$missing" = 1 ]; then
	echo "    | qemu: $(tail -n 5 "$RUN/qemu.err" 2>/dev/null)"
	tail -n 60 "$RUN/console.log" 2>/dev/null | sed 's/^/    | console: /'
fi
echo "vm: total time $(since "$start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
