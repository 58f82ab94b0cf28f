#!/bin/sh
# Called by make before compiling: are the build dependencies there?  When
# not, say which and what to run, instead of a compiler error.
CC=${CC:-cc}
missing=""
command -v "${CC%% *}" >/dev/null 2>&1 || missing=" a C compiler (cc)"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
for m in libnl-route-3.0 libcrypto libcares libsystemd libnftables json-c xenstore; do
	command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$m" && continue
	[ "$m" = xenstore ] && [ -e /usr/include/xenstore.h ] && continue
	missing="$missing $m"
done
[ -z "$missing" ] && exit 0
echo "missing build dependencies:$missing" >&2
echo "run 'make deps' as root (scripts/install-deps.sh: Debian packages), then make again" >&2
exit 1
