#!/bin/bash
# tests/vm/xen/build.sh BUILD_DIR: the images of the emulated Xen hosts, in
# BUILD_DIR/vm/xen (rebuilt only when an input changed):
#   xen          Xen 4.17 as a multiboot ELF (from /boot/xen-4.17-amd64.gz)
#   vmlinuz      the Debian kernel, dom0's
#   dom0.cpio    dom0: busybox, bash, iproute2, Xen's tools and hotplug
#                scripts, Debian's /etc/init.d/xen, the project installed
#                by `make install DESTDIR=`, and under /var/lib/xvm the domU
#                kernel (a plain ELF vmlinux: xl's XZ decoder fails from the
#                second `xl create` on under emulation) and domU initramfs.
# Everything comes from installed Debian packages and the project's build.
set -e
BUILD=$(realpath "${1:?usage: build.sh BUILD_DIR}")
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$SRC/tests/vm/xen
OUT=$BUILD/vm/xen
# shellcheck source=tests/vm/lib.sh
. "$SRC/tests/vm/lib.sh"
# Debian's kernel: the one linux-image-amd64 names (other kernels may be
# installed, e.g. from backports); VM_KVER overrides, vm_kver is the fallback.
K=${VM_KVER:-$(dpkg-query -W -f '${Depends}' linux-image-amd64 2>/dev/null | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')}
[ -n "$K" ] && [ -e "/boot/vmlinuz-$K" ] && [ -d "/lib/modules/$K/kernel" ] || K=$(vm_kver)
VMLINUZ=/boot/vmlinuz-$K
XENGZ=$(ls /boot/xen-4.17-amd64.gz)
XENBIN=$(dirname "$(readlink -f /usr/lib/xen-4.17/bin/xl)")
mkdir -p "$OUT"
# The VMs run the plain build (the sanitizers' runtime is not in the image).
make -s -C "$SRC" progs >&2

# The inputs: a change in any of them rebuilds.
stamp=$( { echo "$K"; md5sum "$VMLINUZ" "$XENGZ" "$SRC"/tests/vm/lib.sh "$HERE"/*.sh "$HERE"/*.c "$HERE"/*-init \
	"$SRC"/build/xenvnetd/xenvnetd "$SRC"/build/tools/vn "$SRC"/hotplug/vif-vnet "$SRC"/hotplug/vif-post.d/*; } |
	md5sum | cut -d' ' -f1)
if [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ] && [ -s "$OUT/dom0.cpio" ]; then
	exit 0
fi
echo "vm/xen: building images for kernel $K in $OUT" >&2

# add_bin ROOT FILE...: a file already in ROOT (make install put it there)
# gets its libraries; any other comes from this machine with its libraries.
add_bin() {
	local root=$1 f
	shift
	for f in "$@"; do
		if [ -e "$root$f" ]; then vm_add_libs "$root" "$root$f"; else vm_add_bin "$root" "$f"; fi
	done
}
# finish ROOT: busybox for the rest, without brctl and ifup (Xen's scripts
# use them when present; a Debian dom0 has neither); /bin/sh is dash.
finish() {
	vm_add_busybox "$1"
	rm -f "$1"/usr/sbin/brctl "$1"/sbin/brctl "$1"/usr/bin/brctl "$1"/sbin/ifup "$1"/sbin/ifdown \
		"$1"/usr/sbin/ifup "$1"/usr/sbin/ifdown
	vm_add_bin "$1" /usr/bin/dash
	ln -sf dash "$1/usr/bin/sh"
}

common_root() {
	local root=$1
	vm_root_init "$root"
	mkdir -p "$root"/{var/log,var/lib,usr/local/sbin}
	ln -s ../run/lock "$root/var/lock"
	add_bin "$root" /bin/bash /usr/sbin/ip /usr/sbin/bridge /usr/bin/socat /usr/bin/iperf3 \
		/usr/bin/ping /usr/bin/tcpdump
	# glibc loads libgcc_s at thread cancellation (xl, iperf3).
	add_bin "$root" "$(ls /lib/x86_64-linux-gnu/libgcc_s.so.1)"
	install -m 0755 "$HERE/agent.sh" "$root/usr/local/sbin/vm-agent"
	gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static -o "$root/usr/local/sbin/clk" "$HERE/clk.c"
}

# Outside the build dir: the Makefile includes every *.d below it (init.d!).
work=$(mktemp -d /tmp/xenvnet-vmxen.XXXXXX)
trap 'rm -rf "$work"' EXIT
# ---- domU: eth* by MAC, an agent on the management vif, iperf3 server ----
common_root "$work/domu"
vm_add_modules "$work/domu" "$K" xen-netfront
# `xl shutdown`: the kernel runs /sbin/poweroff, and PID 1 is a plain script.
printf '#!/bin/sh\nexec /bin/busybox poweroff -f\n' >"$work/domu/sbin/poweroff"
chmod 0755 "$work/domu/sbin/poweroff"
install -m 0755 "$HERE/domu-init" "$work/domu/init"
finish "$work/domu"
vm_pack "$work/domu" "$OUT/domu.cpio"

# ---- dom0 ----
r=$work/dom0
common_root "$r"
# nf_tables + the bridge family's own expressions (meta, reject): the
# daemon's vif locks are a bridge table.  kmod's modprobe, not busybox's:
# the kernel loads nf_tables' expression modules on demand by alias.
vm_add_modules "$r" "$K" xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-netback \
	bridge vxlan virtio_pci virtio_net nf_tables nft_meta_bridge nft_reject_bridge
vm_add_pkg "$r" kmod nftables
for f in "$XENBIN"/*; do
	case ${f##*/} in xl|xenstored|oxenstored|xenconsoled|xenconsole|xen-init-dom0|libxl-save-helper|xen-diag) add_bin "$r" "$f" ;; esac
done
add_bin "$r" /usr/bin/xenstore /usr/bin/choom /usr/sbin/start-stop-daemon /usr/bin/prlimit \
	/usr/bin/flock /usr/bin/logger
for f in /usr/bin/xenstore-*; do
	if [ "$(readlink -f "$f")" = "$(readlink -f /usr/bin/xenstore)" ]; then
		ln -sf xenstore "$r$f"
	else
		add_bin "$r" "$f"
	fi
done
# Debian's way of starting xenstored, xenconsoled and xen-init-dom0.
tar -C / -cf - etc/init.d/xen lib/init/vars.sh lib/lsb usr/lib/xen-common etc/xen \
	etc/default/xen usr/sbin/xl usr/sbin/xenstored usr/sbin/oxenstored usr/sbin/xenconsoled | tar -C "$r" -xf -
: >"$r/etc/xen/xl.conf"
# The C xenstored (Debian's other choice, same file): each request costs
# less CPU than oxenstored's under emulation, and hotplug scripts make many.
echo "XENSTORED=${XH_XENSTORED:-/usr/sbin/xenstored}" >>"$r/etc/default/xen"
# Every xenstore request in order (the fixture reads it); guests' consoles.
echo 'XENSTORED_ARGS="--trace-file /var/log/xen/xenstored-trace.log"' >>"$r/etc/default/xen"
echo 'XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"' >>"$r/etc/default/xen"
# The project, as an admin installs it.
make -s -C "$SRC" install DESTDIR="$r" PREFIX=/usr >/dev/null
add_bin "$r" /usr/sbin/xenvnetd /usr/sbin/vn
mkdir -p "$r/var/lib/xvm" "$r/var/log/xen/console" "$r/var/lib/xen" "$r/etc/xenvnet"
# hold_s 30: a dom0 starved by a hotplug script under emulation went silent
# for 3 s (the default hold) and its peer forgot it and its MACs mid-step
printf 'underlay = eth0\nkey_file = /etc/xenvnet/cluster.key\nhold_s = 30\n' >"$r/etc/xenvnet/xenvnetd.conf"
# One key for every host of a run, root-only from its first byte.
(umask 077; head -c 32 /dev/urandom >"$r/etc/xenvnet/cluster.key")
install -m 0755 "$HERE/dom0-init" "$r/init"
cp "$OUT/domu.cpio" "$r/var/lib/xvm/domu.cpio"
# The domU kernel as a plain ELF: the bzImage's payload, decompressed by
# what its magic says (Debian: XZ; backports: zstd).
setup=$(od -An -tu1 -j 497 -N1 "$VMLINUZ" | tr -d ' ')
read -r poff plen < <(od -An -tu4 -j 584 -N8 "$VMLINUZ")
payload() { tail -c +$(( (setup + 1) * 512 + poff + 1 )) "$VMLINUZ" | head -c "$plen"; }
case $(payload | od -An -tx1 -N4 | tr -d ' ') in
fd377a58) payload | xz -dc --single-stream ;;
28b52ffd) payload | zstd -dcq ;;
1f8b*) payload | gzip -dc ;;
*) echo "vm/xen: unknown compression in $VMLINUZ" >&2; exit 1 ;;
esac >"$r/var/lib/xvm/vmlinux" || true
file "$r/var/lib/xvm/vmlinux" | grep -q 'ELF 64-bit' || { echo "vm/xen: no ELF vmlinux from $VMLINUZ" >&2; exit 1; }
finish "$r"
vm_pack "$r" "$OUT/dom0.cpio"

zcat "$XENGZ" >"$OUT/xen"
cp "$VMLINUZ" "$OUT/vmlinuz"
rm -rf "$work"
echo "$stamp" >"$OUT/stamp"
