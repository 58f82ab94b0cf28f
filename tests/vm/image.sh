#!/bin/bash
# tests/vm/image.sh BUILD_DIR [MODULE...]
#
# The kernel-mode image: prints two lines, the kernel's path and the
# initramfs's, for qemu's -kernel and -initrd.  The initramfs is the
# concatenation of two cached archives under BUILD_DIR/vm/:
#   base-HASH.cpio     Debian's userland for the lab and the kernel modules
#                      (rebuilt when a package, the module list or this
#                      harness changes)
#   project-HASH.cpio  the project at /xenvnet: its files and BUILD_DIR's
#                      programs (rebuilt when one of them changes)
# MODULE... (names, their dependencies follow) join the default modules in
# the base.  run.sh adds a third, per-run archive: /init and its settings.
set -e
VM_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$VM_DIR/../.." && pwd)
. "$VM_DIR/lib.sh"
BUILD=${1:?usage: image.sh BUILD_DIR [MODULE...]}
shift
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
[ -d "$BUILD" ] || { echo "vm: no build dir $BUILD (make SAN=1 all unit-bins)" >&2; exit 1; }
OUT=$BUILD/vm
mkdir -p "$OUT"

# Every module a test may need; the kernel loads them on demand (kmod's
# modprobe answers its requests), the crypto ones ESP's RNG asks for too.
VM_KMODS="bridge vxlan veth tun dummy ifb macvlan 8021q sch_ingress cls_u32 cls_matchall \
act_mirred act_gact sch_netem nf_tables nft_meta_bridge nft_reject_bridge nf_conntrack \
esp4 esp6 xfrm_user xfrm_interface af_key xfrm4_tunnel xfrm6_tunnel \
drbg ctr sha512_generic sha256_generic authenc echainiv seqiv gcm ghash-generic \
aesni_intel cbc hmac"

# Extra modules: sorted, without the default ones (a stable cache key).
# shellcheck disable=SC2046
set -- $(printf '%s\n' "$@" | grep -vxF -f <(tr ' ' '\n' <<<"$VM_KMODS") | sort -u)
KVER=$(vm_kver)
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || { echo "vm: cannot read $KERNEL" >&2; exit 1; }

# The base archive.
base_hash=$({
	echo "$KVER $VM_KMODS $*"
	stat -c '%n %s %Y' "$KERNEL" "/lib/modules/$KVER/modules.dep"
	vm_lab_inputs
	cat "$VM_DIR/lib.sh" "$VM_DIR/image.sh"
} | vm_hash)
BASE=$OUT/base-$base_hash.cpio
if [ ! -f "$BASE" ] || [ ! -f "$BASE.list" ]; then
	t=$EPOCHREALTIME
	r=$OUT/root.base.$$
	trap 'rm -rf "$r"' EXIT
	vm_root_init "$r"
	vm_add_lab_userland "$r"
	# shellcheck disable=SC2086
	vm_add_modules "$r" "$KVER" $VM_KMODS "$@"
	vm_pack "$r" "$BASE"
	rm -rf "$r"
	for f in "$OUT"/base-*.cpio; do [ "$f" = "$BASE" ] || rm -f "$f" "$f.list"; done
	printf 'vm: built %s (%s MB) in %.1fs\n' "${BASE##*/}" "$(($(stat -c %s "$BASE") >> 20))" \
		"$(echo "$EPOCHREALTIME - $t" | bc)" >&2
fi

# vnet.ko (kmod/) for this kernel, against its installed headers; make
# keeps it until a source changes.  Tests load BUILD_DIR/kmod/KVER/vnet.ko.
if [ -d "/lib/modules/$KVER/build" ]; then
	make -s -C "$ROOT" O="${BUILD#"$ROOT"/}" KVER="$KVER" kmod >&2 || echo "vm: kmod/ did not build for $KVER" >&2
fi

# The project archive: tracked and untracked (not ignored) files, and the
# build dir's programs and modules (not objects or dependency files).
list=$OUT/project.list.$$
{
	git -C "$ROOT" ls-files -co --exclude-standard 2>/dev/null || (cd "$ROOT" && find . -path ./.git -prune -o -path ./build -prune -o -path ./build-san -prune -o -type f -print | sed 's|^\./||')
} | while read -r f; do [ -f "$ROOT/$f" ] && echo "$f"; done >"$list"
bname=${BUILD#"$ROOT"/}
[ "$bname" = "$BUILD" ] && bname=$(basename "$BUILD")
# Unit tests stay out: they run on the host, and they are most of its size.
(cd "$BUILD" && find . \( -path ./vm -o -path ./tests/unit \) -prune -o -type f ! -name '*.o' ! -name '*.d' -print |
	sed 's|^\./||') >"$list.build"
proj_hash=$({
	echo "$bname $base_hash"
	(cd "$ROOT" && xargs -d '\n' stat -c '%n %s %Y' <"$list")
	(cd "$BUILD" && xargs -d '\n' stat -c '%n %s %Y' <"$list.build")
} | vm_hash)
PROJ=$OUT/project-$proj_hash.cpio
if [ ! -f "$PROJ" ]; then
	r=$OUT/root.project.$$
	trap 'rm -rf "$r" "$list" "$list.build"' EXIT
	# The same skeleton: a later archive's /lib directory would replace
	# the base's /lib -> usr/lib link when the kernel unpacks them.
	vm_root_init "$r"
	# shellcheck disable=SC2046
	vm_add_tree "$r" "$ROOT" /xenvnet $(cat "$list")
	# shellcheck disable=SC2046
	vm_add_tree "$r" "$BUILD" "/xenvnet/$bname" $(cat "$list.build")
	# The libraries of the project's programs (libasan, libnl...).
	# shellcheck disable=SC2046
	vm_add_libs "$r" $(sed "s|^|$BUILD/|" "$list.build")
	vm_drop_known "$r" "$BASE.list"
	vm_pack "$r" "$PROJ"
	rm -rf "$r"
	for f in "$OUT"/project-*.cpio; do [ "$f" = "$PROJ" ] || rm -f "$f" "$f.list"; done
fi
rm -f "$list" "$list.build"
echo "$KERNEL"
echo "$BASE $PROJ"
