#!/bin/bash
# Bad vnet definitions.  Each one must end in /vnet/<key>/state = error
# with a readable /vnet/<key>/error, and leave every other vnet alone: the
# good vnet 97 stays up with the same devices, and its domains keep
# pinging (every 20 ms) all through the test.
#
#   d1 198.51.100.1  ping -i 0.02 ->  d2 198.51.100.2
#     |                                 |
#   vif1.0-[vnet97]-vnif97   vnif97-[vnet97]-vif2.0
#   ext0 (admin's veth)
#      h1 (bad definitions written here) -- sw0 -- h2
set -e
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init "$1"
lab_hosts 2

for h in 1 2; do
	xs $h write /vnet/97/bridge vnet97
done
lab_vnet_up 1 97
lab_vnet_up 2 97
h1 ip link add ext0 type veth peer name ext0p
h1 ip link set ext0 up
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
lab_ping 1 198.51.100.2
idx97="$(lab_ifindex 1 vnet97) $(lab_ifindex 1 vnif97)"
links_before=$(lab_links 1)
out=$LAB_DIR/ping.out
lab_bg d1 ping -n -i 0.02 -W 1 -w 300 198.51.100.2 >"$out" 2>&1
ping_pid=$LAB_BG

# The good vnet is untouched: up, same devices, domains talk.
good_ok() {
	lab_vnet_up 1 97 1
	[ "$(lab_ifindex 1 vnet97) $(lab_ifindex 1 vnif97)" = "$idx97" ] ||
		lab_fail "vnet 97's devices were recreated ($1)"
	h1 ip -o link show dev vnif97 | grep -q "master vnet97" || lab_fail "vnif97 left vnet97 ($1)"
	h1 ip -o link show dev vif1.0 | grep -q "master vnet97" || lab_fail "vif1.0 left vnet97 ($1)"
	lab_ping 1 198.51.100.2
}

# bad KEY REGEX WHAT PATH VALUE...: write the definition (one transaction),
# expect state=error with an error matching REGEX (case-insensitive).
bad() {
	local key=$1 re=$2 what=$3 err
	shift 3
	xs 1 write "$@"
	lab_wait_xs 1 "/vnet/$key/state" error 5
	err=$(xs_get 1 "/vnet/$key/error")
	[ -n "$err" ] || lab_fail "$what: /vnet/$key/error is empty"
	echo "$err" | grep -qiE "$re" || lab_fail "$what: error '$err' does not match /$re/"
	good_ok "$what"
	lab_log "$(printf '%-28s %s' "$what:" "$err")"
}

# forget KEY...: delete bad definitions; the good vnet must survive that
# too, and no status may bring a deleted one back.
forget() {
	local k
	for k in "$@"; do
		xs 1 rm "/vnet/$k"
	done
	lab_sync 1
	for k in "$@"; do
		if xs 1 exists "/vnet/$k"; then lab_fail "/vnet/$k came back after its deletion"; fi
	done
	good_ok "deleting $*"
}

lab_step "bad ids"
bad 0 'id' "id 0" /vnet/0/bridge vnet0
bad 1 'id|reserved' "id 1" /vnet/1/bridge vnet1
bad xyz 'id|hex' "non-hex id" /vnet/xyz/bridge vnetxyz
wide=1$(printf '0%.0s' {1..32})
bad "$wide" 'id|128|wide' "id of 129 bits" "/vnet/$wide/bridge" vnetwide
bad 0-0-0-0-0-0-0-97 'id|97' "97 again, long form" /vnet/0-0-0-0-0-0-0-97/bridge vnet97b
bad 0097 'id|97' "97 again, leading zeros" /vnet/0097/bridge vnet97c
forget 0 1 xyz "$wide" 0-0-0-0-0-0-0-97 0097

lab_step "bad bridges"
bad a1 'bridge' "bridge of 15 characters" /vnet/a1/bridge abcdefghijklmno
# shellcheck disable=SC2016 # a literal '$' is the point
bad a2 'bridge' "bridge 'br\$x'" /vnet/a2/bridge 'br$x'
bad a3 'bridge' "bridge 'a/b'" /vnet/a3/bridge 'a/b'
bad a4 'bridge|ext0' "bridge is the admin's ext0" /vnet/a4/bridge ext0
h1 ip -o link show dev ext0 | grep -q "master" && lab_fail "ext0 was enslaved"
lab_link_up 1 ext0 || lab_fail "ext0 is no longer up"
bad a5 'bridge|vnet97' "bridge of vnet 97" /vnet/a5/bridge vnet97
bad 99 'bridge' "no bridge key" /vnet/99/vnetif foo
forget a1 a2 a3 a4 a5 99
lab_link_up 1 ext0 || lab_fail "ext0 is gone or down after deleting a4"

lab_step "bad security"
bad a6 'security' "unknown security level" /vnet/a6/bridge br-a6 /vnet/a6/security bogus
bad a7 'security|auth|esp' "security auth (no ESP yet)" /vnet/a7/bridge br-a7 /vnet/a7/security auth
bad a8 'security|conf|esp' "security conf (no ESP yet)" /vnet/a8/bridge br-a8 /vnet/a8/security conf
for vni in 166 167 168; do
	[ "$(lab_count_vxlan 1 $vni)" = 0 ] || lab_fail "a tunnel with VNI $vni exists: secure vnet carried in clear"
done
# A corrected definition comes up and drops its error.
xs 1 write /vnet/a6/security none
lab_vnet_up 1 a6
xs 1 exists /vnet/a6/error && lab_fail "/vnet/a6/error left after a6 came up"
forget a6 a7 a8

lab_step "clashes and other fields"
xs 1 write /vnet/b1/bridge br-b1 /vnet/b1/vnetif vx-same
lab_vnet_up 1 b1
bad b2 'vnetif|vx-same|interface' "vnetif of vnet b1" /vnet/b2/bridge br-b2 /vnet/b2/vnetif vx-same
bad b3 'vnetif|vnet97|bridge' "vnetif is vnet 97's bridge" /vnet/b3/bridge br-b3 /vnet/b3/vnetif vnet97
bad b4 'vni|151' "vni of vnet 97" /vnet/b4/bridge br-b4 /vnet/b4/vni 151
bad b5 'mtu' "mtu 20" /vnet/b5/bridge br-b5 /vnet/b5/mtu 20
bad b6 'bridg|key' "'bridg' for 'bridge'" /vnet/b6/bridg br-b6
bad b7 'vnetf|unknown' "unknown key 'vnetf'" /vnet/b7/bridge br-b7 /vnet/b7/vnetf vx-b7
lab_vnet_up 1 b1 1
forget b1 b2 b3 b4 b5 b6 b7

lab_step "no trace left, no ping lost"
lab_sync 1
[ "$(lab_links 1)" = "$links_before" ] ||
	lab_fail "devices differ from before: $(diff <(echo "$links_before") <(lab_links 1) | tr '\n' ' ')"
[ "$(xs 1 list /vnet | tr '\n' ' ')" = "97 " ] || lab_fail "/vnet holds: $(xs 1 list /vnet | tr '\n' ' ')"
good_ok "at the end"
kill -INT "$ping_pid"
wait "$ping_pid" || true
summary=$(grep 'packets transmitted' "$out") || lab_fail "ping printed no summary: $(tail -3 "$out")"
lab_log "$summary"
read -r sent _ _ got _ <<<"$summary"
[ "$sent" = "$got" ] || lab_fail "lost $((sent - got)) of $sent pings while bad definitions came and went"
lab_log "ok"
