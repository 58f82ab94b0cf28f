#!/bin/bash
# What the kernel-mode VM gives that the host lab lacks (issue 12), as the
# tests of vnet.ko and ESP will need it: Debian's kernel loads modules on
# demand (kmod's modprobe, the image's modules.dep), and an ESP transport
# SA carries traffic (the RNG and crypto modules are in the image).  Runs
# in the VM only (tests/vm/kernel-tests.txt): the host's kernel has no
# module loading and no ESP.
#
#   a: eth0 192.0.2.1 ---- veth ---- b: eth0 192.0.2.2
#      ESP transport, rfc4106(gcm(aes)), an SA and a policy each way
set -e
. "$(dirname "$0")/../lab/lib.sh"
lab_init "$1"

lab_step "modules load on demand"
[ "$(cat /proc/sys/kernel/modules_disabled)" = 0 ] || lab_fail "module loading is disabled"
[ -d "/lib/modules/$(uname -r)/kernel" ] || lab_fail "no modules for $(uname -r)"
modprobe -r dummy 2>/dev/null || true
grep -q '^dummy ' /proc/modules && lab_fail "dummy is still loaded"
lab_ns a a
lab_ns b b
a ip link add dum0 type dummy || lab_fail "no dummy link type"
grep -q '^dummy ' /proc/modules || lab_fail "dummy did not come from a module"

lab_step "ESP transport between a and b"
ip -n "${LAB_PREFIX}a" link add eth0 type veth peer name eth0 netns "${LAB_PREFIX}b"
a ip addr add 192.0.2.1/24 dev eth0
b ip addr add 192.0.2.2/24 dev eth0
a ip link set eth0 up
b ip link set eth0 up
KEY=0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567
sa() { # NS SRC DST SPI
	$1 ip xfrm state add src "$2" dst "$3" proto esp spi "$4" mode transport \
		aead 'rfc4106(gcm(aes))' "$KEY" 128
}
pol() { # NS SRC DST DIR
	$1 ip xfrm policy add src "$2/32" dst "$3/32" dir "$4" \
		tmpl src "$2" dst "$3" proto esp mode transport level required
}
for ns in a b; do
	sa $ns 192.0.2.1 192.0.2.2 0x101 || lab_fail "$ns: the kernel refused an ESP state"
	sa $ns 192.0.2.2 192.0.2.1 0x102 || lab_fail "$ns: the kernel refused an ESP state"
done
pol a 192.0.2.1 192.0.2.2 out
pol a 192.0.2.2 192.0.2.1 in
pol b 192.0.2.2 192.0.2.1 out
pol b 192.0.2.1 192.0.2.2 in
lab_wait 30 "a -> b over ESP" a ping -c 1 -W 1 192.0.2.2 || lab_fail "no ping over ESP"
# packets through a's outbound SA: "lifetime current:" then "N(bytes), M(packets)"
pkts=$(a ip -s xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x101 |
	sed -n '/lifetime current:/{n;s/.*, *\([0-9]*\)(packets).*/\1/p}')
[ "${pkts:-0}" -ge 1 ] || lab_fail "a's outbound SA counted ${pkts:-no} packets"
lab_log "a's outbound SA: $pkts packets"

lab_step "without the SA, the policy drops: the pings went through ESP"
a ip xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x101
a ping -c 2 -W 1 192.0.2.2 >/dev/null 2>&1 && lab_fail "ping passed with no SA"
grep -E '^XfrmOutNoStates[[:space:]]+[1-9]' <(a cat /proc/net/xfrm_stat) >/dev/null ||
	lab_fail "no XfrmOutNoStates: $(a cat /proc/net/xfrm_stat | tr -s ' \n' ' ')"
echo PASS
