#!/bin/sh
# Install every build, test and demo dependency from Debian.  Idempotent:
# does nothing (and needs no network) when all packages are present.
set -e
PKGS="build-essential pkg-config clang libxen-dev xen-utils-4.17 xenstore-utils \
libnl-3-dev libnl-route-3-dev libssl-dev libcmocka-dev iproute2 iputils-ping \
iperf3 valgrind tcpdump man-db procps psmisc libc-ares-dev libsystemd-dev systemd \
dpkg-dev debhelper fakeroot lintian frr libjson-c-dev libnftables-dev nftables \
qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static cpio kmod socat python3"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
