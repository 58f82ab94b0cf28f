# shellcheck shell=bash
# tests/vm/lib.sh - build initramfs images for the emulated hosts from the
# Debian packages installed on this machine (nothing downloaded, nothing
# compiled).  Sourced by tests/vm/image.sh (kernel mode) and the Xen mode.
#
# An image is a directory ROOT laid out like a usr-merged Debian (/bin,
# /sbin, /lib, /lib64 are links into /usr) that the functions fill, then
# vm_pack turns into a cpio archive.  Files keep their host paths, so the
# dynamic loader finds every library where ldd saw it.
#
#     vm_root_init ROOT              # the skeleton
#     vm_add_busybox ROOT            # busybox-static + a link per applet
#     vm_add_bin ROOT /usr/sbin/ip   # a binary (or any file) + its libraries
#     vm_add_libs ROOT FILE...       # just the libraries of FILE...
#     vm_add_pkg ROOT coreutils      # the programs of an installed package
#     vm_add_modules ROOT KVER bridge vxlan   # modules + their dependencies
#     vm_add_tree ROOT SRC DST [FILE...]      # a tree (or chosen files of it)
#     vm_pack ROOT OUT               # depmod, then newc cpio (gzip if OUT ends .gz)
#     vm_drop_known ROOT BASE.list   # a second archive: only what BASE lacks
#
# Real programs win over busybox applets whatever the order of the calls:
# vm_add_busybox never replaces a file, vm_add_bin replaces an applet link.

# vm_kver: the newest installed kernel that has both a /boot/vmlinuz and
# its modules ($VM_KVER overrides).  Never a hard-coded version.
vm_kver() {
	local f k best=
	if [ -n "$VM_KVER" ]; then
		echo "$VM_KVER"
		return
	fi
	for f in /boot/vmlinuz-*; do
		k=${f#/boot/vmlinuz-}
		{ [ -f "$f" ] && [ -d "/lib/modules/$k/kernel" ]; } || continue
		best=$(printf '%s\n%s\n' "$best" "$k" | sed '/^$/d' | sort -V | tail -n 1)
	done
	[ -n "$best" ] || { echo "vm: no kernel with modules in /boot (make deps: linux-image-amd64)" >&2; return 1; }
	echo "$best"
}

vm_root_init() {
	local r=$1 d
	rm -rf "$r"
	mkdir -p "$r"/usr/{bin,sbin,lib,lib64} "$r"/{dev,proc,sys,run,tmp,etc,root,var,mnt}
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$r/$d"; done
	ln -s ../run "$r/var/run"
	chmod 1777 "$r/tmp"
	echo "root:x:0:0:root:/root:/bin/bash" >"$r/etc/passwd"
	echo "root:x:0:" >"$r/etc/group"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$r/etc/hosts"
	: >"$r/etc/fstab"
}

# vm_copy ROOT PATH: PATH at the same place under ROOT; a symlink is copied
# as a symlink and its target follows.  An existing file or link there (a
# busybox applet) is replaced.
vm_copy() {
	local r=$1 p=$2 t
	[ -e "$p" ] || [ -L "$p" ] || { echo "vm: no $p on this machine" >&2; return 1; }
	mkdir -p "$r$(dirname "$p")"
	if [ -L "$p" ]; then
		[ -L "$r$p" ] && [ "$(readlink "$r$p")" = "$(readlink "$p")" ] && return 0
		rm -f "$r$p"
		cp -P "$p" "$r$p"
		t=$(readlink "$p")
		case $t in /*) ;; *) t=$(dirname "$p")/$t ;; esac
		vm_copy "$r" "$t"
	elif [ -d "$p" ]; then
		mkdir -p "$r$p"
	else
		rm -f "$r$p"
		cp -p "$p" "$r$p"
	fi
}

# vm_libs FILE: the shared libraries (and loader) an ELF file needs.
vm_libs() {
	ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

# vm_add_bin ROOT FILE...: each file (a binary, a script, any file) and,
# for an ELF, every library it needs.
vm_add_bin() {
	local r=$1 f l
	shift
	for f in "$@"; do
		vm_copy "$r" "$f" || return 1
		vm_add_libs "$r" "$f" || return 1
	done
}

# vm_add_libs ROOT FILE...: only the libraries the ELF files among FILE
# need (FILE itself lives elsewhere in the image).
vm_add_libs() {
	local r=$1 f l
	shift
	for f in "$@"; do
		head -c 4 "$f" 2>/dev/null | grep -q ELF || continue
		for l in $(vm_libs "$f"); do
			[ -e "$r$l" ] || vm_copy "$r" "$l" || return 1
		done
	done
}

# vm_add_pkg ROOT PKG...: the programs (bin/, sbin/, libexec and
# /usr/lib/PKG-ish helpers) and shared libraries of installed packages,
# not their docs, man pages or locales.
vm_add_pkg() {
	local r=$1 p f files
	shift
	for p in "$@"; do
		files=$(dpkg-query -L "$p" 2>/dev/null) || { echo "vm: package $p is not installed (make deps)" >&2; return 1; }
		for f in $files; do
			case $f in
			/usr/share/* | /etc/* | /usr/include/* | */doc/* | */man/* | */locale/*) continue ;;
			esac
			[ -d "$f" ] && [ ! -L "$f" ] && continue
			[ -e "$f" ] || [ -L "$f" ] || continue
			vm_add_bin "$r" "$f" || return 1
		done
	done
}

# vm_add_busybox ROOT: busybox-static and a link for each applet that has
# no file yet (so a real program added before or after wins).
vm_add_busybox() {
	local r=$1 a bb=/bin/busybox
	[ -x "$bb" ] || { echo "vm: no $bb (make deps: busybox-static)" >&2; return 1; }
	ldd "$bb" >/dev/null 2>&1 && { echo "vm: $bb is not static (busybox-static)" >&2; return 1; }
	vm_copy "$r" "$bb"
	for a in $("$bb" --list-full); do
		a=/$a
		[ -e "$r$a" ] || [ -L "$r$a" ] && continue
		mkdir -p "$r$(dirname "$a")"
		ln -s "$bb" "$r$a"
	done
}

# vm_add_modules ROOT KVER MOD...: kernel modules with what they depend on
# (modprobe resolves names and aliases).  MOD may also be a path to an
# out-of-tree .ko: it goes to extra/, its dependencies by name.
vm_add_modules() {
	local r=$1 k=$2 m line ko deps
	shift 2
	mkdir -p "$r/lib/modules/$k"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "/lib/modules/$k/$f" ] && [ ! -f "$r/lib/modules/$k/$f" ] && cp "/lib/modules/$k/$f" "$r/lib/modules/$k/"
	done
	for m in "$@"; do
		if [[ $m == *.ko ]]; then
			[ -f "$m" ] || { echo "vm: no module file $m" >&2; return 1; }
			mkdir -p "$r/lib/modules/$k/extra"
			cp "$m" "$r/lib/modules/$k/extra/"
			deps=$(modinfo -F depends "$m" | tr ',' ' ')
			# shellcheck disable=SC2086 # a list
			[ -z "$deps" ] || vm_add_modules "$r" "$k" $deps || return 1
			continue
		fi
		line=$(modprobe -S "$k" --show-depends "$m" 2>&1) || { echo "vm: module $m: $line" >&2; return 1; }
		for ko in $(awk '$1 == "insmod" { print $2 }' <<<"$line"); do
			[ -f "$r$ko" ] || vm_copy "$r" "$ko" || return 1
		done
	done
}

# vm_add_tree ROOT SRC DST [FILE...]: SRC's files (or only FILE..., paths
# relative to SRC) under DST in the image.
vm_add_tree() {
	local r=$1 src=$2 dst=$3
	shift 3
	mkdir -p "$r$dst"
	if [ $# = 0 ]; then
		cp -a "$src/." "$r$dst/"
	else
		(cd "$src" && printf '%s\n' "$@" | cpio -pdm --quiet "$r$dst")
	fi
}

# Archives packed from several ROOTs (concatenated initramfs) must each
# start with vm_root_init: the links /lib -> usr/lib... must agree.
# vm_pack ROOT OUT: module dependencies, then a newc archive owned by root;
# gzip -1 when OUT ends in .gz (smaller, slower to unpack under emulation).
# OUT.list: the archive's paths (for vm_drop_known).
vm_pack() {
	local r=$1 out=$2 k
	for k in "$r"/lib/modules/*/; do
		[ -d "$k" ] && depmod -b "$r" "$(basename "$k")"
	done
	mkdir -p "$(dirname "$out")"
	(cd "$r" && find . -mindepth 1 | LC_ALL=C sort) >"$out.list"
	if [[ $out == *.gz ]]; then
		(cd "$r" && cpio -o -H newc -R 0:0 --quiet <"$out.list" | gzip -1) >"$out.tmp"
	else
		(cd "$r" && cpio -o -H newc -R 0:0 --quiet <"$out.list") >"$out.tmp"
	fi
	mv "$out.tmp" "$out"
}

# vm_drop_known ROOT LIST: remove from ROOT the files an earlier archive
# (its vm_pack list, OUT.list) already has: a later archive of the same
# initramfs needs only what is new.
vm_drop_known() {
	local r=$1 f
	(cd "$r" && find . -type f) | LC_ALL=C sort | LC_ALL=C comm -12 - "$2" | while read -r f; do
		rm -f "$r/$f"
	done
}

# vm_hash: a short hash of stdin (the description of an image's inputs).
vm_hash() {
	sha256sum | cut -c1-16
}

# vm_pkg_versions PKG...: "name version" lines, for an image's input hash.
vm_pkg_versions() {
	dpkg-query -W -f '${Package} ${Version}\n' "$@" 2>&1
}

# What tests/lab needs besides the project: a shell, the usual tools,
# iproute2, ping, python3 (the lab's pinger and wire), xenstored and the
# xenstore clients, kmod (the kernel loads modules on demand through it).
VM_LAB_PKGS="bash coreutils grep sed mawk findutils procps psmisc iproute2 iputils-ping \
xenstore-utils kmod nftables tcpdump iperf3 socat"
VM_LAB_BINS="/usr/lib/xen-4.17/bin/xenstored /usr/bin/python3 /usr/bin/python3.11 \
/usr/bin/nsenter /usr/bin/unshare /usr/bin/flock /usr/bin/setsid /usr/bin/gzip /usr/bin/cpio"
# python3.11's standard library without what no test imports.
VM_PY_SKIP='^(test|idlelib|tkinter|turtledemo|ensurepip|lib2to3|pydoc_data|distutils|config-3[^/]*|site-packages|dist-packages)(/|$)|\.opt-[12]\.pyc$'

# vm_add_lab_userland ROOT: the above, busybox for the rest.
vm_add_lab_userland() {
	local r=$1 py
	# shellcheck disable=SC2086 # lists
	vm_add_pkg "$r" $VM_LAB_PKGS || return 1
	# shellcheck disable=SC2086
	vm_add_bin "$r" $VM_LAB_BINS || return 1
	py=$(readlink -f /usr/bin/python3)
	py=/usr/lib/${py##*/}
	# shellcheck disable=SC2046 # no spaces in python's file names
	vm_add_tree "$r" "$py" "$py" $(cd "$py" && find . -type f | sed 's|^\./||' | grep -Ev "$VM_PY_SKIP") || return 1
	# shellcheck disable=SC2046
	vm_add_libs "$r" $(find "$py/lib-dynload" -name '*.so') || return 1
	vm_add_busybox "$r"
	mkdir -p "$r/etc/xen" "$r/var/lib/xenstored" "$r/var/log/xen"
	vm_add_users "$r" tcpdump nobody
}

# vm_add_users ROOT NAME...: the host's passwd and group entries of these
# system users (tcpdump drops its privileges to "tcpdump").
vm_add_users() {
	local r=$1 u
	shift
	for u in "$@"; do
		grep "^$u:" /etc/passwd >>"$r/etc/passwd" || true
		grep "^$u:" /etc/group >>"$r/etc/group" || true
	done
}

# vm_lab_inputs: what vm_add_lab_userland's result depends on (for a hash).
vm_lab_inputs() {
	# shellcheck disable=SC2086
	vm_pkg_versions $VM_LAB_PKGS busybox-static python3.11-minimal xen-utils-4.17
	stat -c '%n %s %Y' /var/lib/dpkg/status
	echo "$VM_LAB_PKGS $VM_LAB_BINS $VM_PY_SKIP"
}
