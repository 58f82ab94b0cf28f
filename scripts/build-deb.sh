#!/bin/sh
# scripts/build-deb.sh [OUT_DIR]: build the Debian package (`make deb`).
# dpkg-buildpackage cleans and writes next to the tree it builds, so it
# builds a copy in a temporary directory; the .deb lands in OUT_DIR
# (default build/deb).
set -e
cd "$(dirname "$0")/.."
out=${1:-build/deb}
for t in dpkg-buildpackage dh fakeroot; do
	command -v "$t" >/dev/null 2>&1 || { echo "build-deb: no $t: run 'make deps' (dpkg-dev, debhelper, fakeroot)" >&2; exit 1; }
done
want=$(sed -n 's/^#define XENVNET_VERSION "\(.*\)"/\1/p' xenstore-schema/xenvnet_version.h)
have=$(dpkg-parsechangelog -S Version)
[ "$have" = "$want" ] || { echo "build-deb: debian/changelog says $have, xenvnet_version.h $want" >&2; exit 1; }
tmp=$(mktemp -d /tmp/xenvnet-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/xenvnet-$want"
tar -cf - --exclude=./.git --exclude=./build --exclude=./build-san \
	--exclude=./xenvnetd/xenvnetd --exclude=./tools/vn . | tar -xf - -C "$tmp/xenvnet-$want"
(cd "$tmp/xenvnet-$want" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$tmp/build.log" 2>&1 ||
	{ tail -n 40 "$tmp/build.log" >&2; echo "build-deb: dpkg-buildpackage failed" >&2; exit 1; }
mkdir -p "$out"
cp "$tmp"/*.deb "$out"/
ls "$out"/*.deb
