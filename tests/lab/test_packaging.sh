#!/bin/bash
# Packaging: make install / uninstall, and the Debian package.
#
#   make install DESTDIR=$D PREFIX=/usr/local  -> files under $D, unit in
#                                                 /usr/local/lib/systemd/system
#   make uninstall (same variables)            -> nothing of ours left
#   make deb                                   -> xenvnet_<version>_<arch>.deb
#   lintian on it (no errors), and what dpkg will do with it: Depends,
#   conffiles, the unit enabled by dh_installsystemd, the man pages.
# No namespaces: the build machine's tools only.
set -e
. "$(dirname "$0")/lib.sh"
lab_init "$1"

for t in dpkg-buildpackage dh fakeroot lintian; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t (make deps installs dpkg-dev, debhelper, fakeroot, lintian)"; exit 0; }
done
san=0
[[ $LAB_BUILD == */build-san ]] && san=1
version=$(sed -n 's/^#define XENVNET_VERSION "\(.*\)"/\1/p' "$LAB_ROOT/xenstore-schema/xenvnet_version.h")

# ------------------------------------------------ install and uninstall
D=$LAB_DIR/dest
vars=(SAN=$san DESTDIR="$D" PREFIX=/usr/local)
make -s -C "$LAB_ROOT" "${vars[@]}" install >"$LAB_DIR/install.log" 2>&1 ||
	lab_fail "make install: $(tail -5 "$LAB_DIR/install.log")"
for f in usr/local/sbin/xenvnetd usr/local/sbin/vn usr/local/lib/systemd/system/xenvnetd.service \
	etc/xenvnet/xenvnetd.conf etc/xen/scripts/vif-vnet etc/xen/scripts/vif-post.d/xenvnet.hook \
	usr/local/share/man/man5/xenvnetd.conf.5 usr/local/share/man/man8/vif-vnet.8 \
	usr/local/share/doc/xenvnet/design.md usr/local/share/doc/xenvnet/README.md; do
	[ -f "$D/$f" ] || lab_fail "make install did not install /$f: $(cd "$D" && find . -type f)"
done
# Xen's call_hooks sources only executable hooks (seen on a real Xen host:
# a 0644 hook never ran, the backend's mtu key never came).
[ -x "$D/etc/xen/scripts/vif-post.d/xenvnet.hook" ] || lab_fail "the vif-post.d hook is not executable: Xen's call_hooks skips it"
grep -qx 'ExecStart=/usr/local/sbin/xenvnetd -f' "$D/usr/local/lib/systemd/system/xenvnetd.service" ||
	lab_fail "the unit does not start /usr/local/sbin/xenvnetd"
[ "$("$D/usr/local/sbin/xenvnetd" --version)" = "xenvnetd $version (xenvnet)" ] || lab_fail "xenvnetd --version: $("$D/usr/local/sbin/xenvnetd" --version)"
[ "$("$D/usr/local/sbin/vn" --version)" = "vn $version (xenvnet)" ] || lab_fail "vn --version: $("$D/usr/local/sbin/vn" --version)"
make -s -C "$LAB_ROOT" "${vars[@]}" uninstall >>"$LAB_DIR/install.log" 2>&1 ||
	lab_fail "make uninstall: $(tail -5 "$LAB_DIR/install.log")"
left=$(cd "$D" && find . -type f)
[ -z "$left" ] || lab_fail "make uninstall left: $left"
echo "ok: install and uninstall under /usr/local"

# ------------------------------------------------ the Debian package
make -s -C "$LAB_ROOT" deb DEB_OUT="$LAB_DIR/deb" >"$LAB_DIR/deb.log" 2>&1 ||
	lab_fail "make deb: $(tail -30 "$LAB_DIR/deb.log")"
deb=$(ls "$LAB_DIR"/deb/xenvnet_"$version"_*.deb 2>/dev/null | head -1)
[ -f "$deb" ] || lab_fail "no xenvnet_${version}_*.deb in: $(ls "$LAB_DIR/deb")"
out=$(lintian --fail-on error "$deb" 2>&1) || lab_fail "lintian: $out"
echo "$out" | grep -q '^E:' && lab_fail "lintian errors: $out"

deps=$(dpkg-deb -f "$deb" Depends)
for p in xen-utils-common xenstore-utils iproute2 libxenstore4 libsystemd0; do
	[[ ", $deps," == *", $p"[\ ,]* ]] || lab_fail "Depends lacks $p: $deps"
done
dpkg-deb -e "$deb" "$LAB_DIR/control"
for f in /etc/xenvnet/xenvnetd.conf /etc/xen/scripts/vif-vnet /etc/xen/scripts/vif-post.d/xenvnet.hook; do
	grep -qx "$f" "$LAB_DIR/control/conffiles" || lab_fail "$f is not a conffile: $(cat "$LAB_DIR/control/conffiles")"
done
grep -q "deb-systemd-helper enable 'xenvnetd.service'" "$LAB_DIR/control/postinst" ||
	lab_fail "postinst does not enable xenvnetd.service"
dpkg-deb -x "$deb" "$LAB_DIR/root"
grep -qx 'ExecStart=/usr/sbin/xenvnetd -f' "$LAB_DIR/root/lib/systemd/system/xenvnetd.service" ||
	lab_fail "the packaged unit does not start /usr/sbin/xenvnetd"
for m in man5/xenvnetd.conf.5 man5/vnet.sxp.5 man8/vn.8 man8/xenvnetd.8 man8/vif-vnet.8; do
	[ -f "$LAB_DIR/root/usr/share/man/$m.gz" ] || lab_fail "no $m in the package"
done
[ "$("$LAB_DIR/root/usr/sbin/vn" --version)" = "vn $version (xenvnet)" ] || lab_fail "packaged vn --version"
echo "ok: $(basename "$deb"): lintian clean, Depends: $deps"
