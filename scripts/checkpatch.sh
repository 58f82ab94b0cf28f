#!/bin/bash
# scripts/checkpatch.sh [FILE...]: the kernel's checkpatch.pl --strict on
# kmod/ (default: every .c and .h there).  checkpatch.pl is $CHECKPATCH,
# or taken once from Debian's kernel source package (apt-get install
# linux-source-6.1, or any linux-source-*: /usr/src/linux-source-*.tar.xz)
# into build/checkpatch/, with its spelling and const_structs lists.
set -e
cd "$(dirname "$0")/.."
dir=build/checkpatch
cp=${CHECKPATCH:-$dir/scripts/checkpatch.pl}
if [ ! -f "$cp" ]; then
	tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
	[ -n "$tarball" ] || {
		echo "checkpatch.sh: no checkpatch.pl: apt-get install linux-source-6.1 (or set CHECKPATCH)" >&2
		exit 2
	}
	top=$(basename "$tarball" .tar.xz)
	mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 "$top/scripts/checkpatch.pl" \
		"$top/scripts/spelling.txt" "$top/scripts/const_structs.checkpatch"
fi
[ $# -gt 0 ] || set -- kmod/*.c kmod/*.h
exec perl "$cp" --no-tree --strict --terse --show-types -f "$@"
