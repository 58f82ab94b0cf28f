#!/bin/bash
# vn's definition commands against a lab host: create, list and delete
# round trips through vn and xenstore-write alike, JSON checked by a JSON
# parser, every exit status, and delete with a vif attached.
#
#   d1 198.51.100.1 -- vif1.0 -- [vnet97] -- vnif97     h1 (daemon), h2 (no daemon)
set -e
. "$(dirname "$0")/lib.sh"
lab_init "$1"
VN=$LAB_BUILD/tools/vn
[ -x "$VN" ] || lab_fail "no vn at $VN (make)"
lab_switch
lab_host 1
lab_host 2 nodaemon

# vn as an admin on host N runs it: in the host's netns, its xenstored,
# its daemon's control socket.
vn_on() {
	local n=$1
	shift
	ip netns exec "${LAB_PREFIX}h$n" env XENSTORED_PATH="$LAB_DIR/h$n/xs/socket" \
		VN_SOCKET="$LAB_DIR/h$n/ctl.sock" "$VN" "$@"
}
vn1() { vn_on 1 "$@"; }

# expect STATUS CMD...: run CMD, check its exit status; keeps its stderr
# in $LAB_DIR/err for message checks.
expect() {
	local want=$1 rc=0
	shift
	"$@" >"$LAB_DIR/out" 2>"$LAB_DIR/err" || rc=$?
	[ "$rc" = "$want" ] || lab_fail "'$*' exited $rc, wanted $want; stderr: $(cat "$LAB_DIR/err")"
	return 0
}
err_has() {
	grep -qF -- "$1" "$LAB_DIR/err" || lab_fail "stderr lacks '$1': $(cat "$LAB_DIR/err")"
}
# json_check PYTHON-EXPR: evaluate with d = the JSON on $LAB_DIR/out.
json_check() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$LAB_DIR/out" "$1" || lab_fail "JSON check failed: $1; JSON: $(cat "$LAB_DIR/out")"
}

lab_step "vnet-create from the original SXP"
cat >"$LAB_DIR/vnet97.sxp" <<'EOF'
(vnet (id 97) (bridge vnet97) (vnetif vnif97) (security none))
EOF
expect 0 vn1 vnet-create "$LAB_DIR/vnet97.sxp"
[ "$(xs 1 read /vnet/97/bridge)" = vnet97 ] || lab_fail "bridge key not written"
[ "$(xs 1 read /vnet/97/vnetif)" = vnif97 ] || lab_fail "vnetif key not written"
[ "$(xs 1 read /vnet/97/security)" = none ] || lab_fail "security key not written"
xs 1 exists /vnet/97/mtu && lab_fail "vn wrote an mtu the file did not give"
lab_vnet_up 1 97
lab_link_up 1 vnet97 || lab_fail "bridge vnet97 is not up"

lab_step "the same id again, in every spelling: refused with 2"
expect 2 vn1 vnet-create "$LAB_DIR/vnet97.sxp"
err_has "vnet 97 already exists"
expect 2 vn1 vnet-create 0:0:0:0:0:0:0:97 -b other97
expect 2 vn1 vnet-create 0097 -b other97
expect 2 vn1 vnet-create 98 -b vnet97
err_has "already uses the name 'vnet97'"

lab_step "vnet-create ID with options; xenstore-write; vnets lists both"
expect 0 vn1 vnet-create 98 -s none -m 1400
[ "$(xs 1 read /vnet/98/bridge)" = vnet98 ] || lab_fail "default bridge not written"
xs 1 write /vnet/0-0-0-0-0-0-1-0/bridge vnbig
lab_vnet_up 1 98
lab_vnet_up 1 0-0-0-0-0-0-1-0
expect 0 vn1 vnets
cat "$LAB_DIR/out"
head -1 "$LAB_DIR/out" | grep -qE '^VNET +BRIDGE +VNETIF +SECURITY +VNI +STATE +DATAPLANE$' || lab_fail "bad header"
grep -qE '^97 +vnet97 +vnif97 +none +151 +up +vxlan$' "$LAB_DIR/out" || lab_fail "no row for 97"
grep -qE '^98 +vnet98 +vnif98 +none +152 +up +vxlan$' "$LAB_DIR/out" || lab_fail "no row for 98"
grep -qE '^0000:0000:0000:0000:0000:0000:0001:0000 +vnbig ' "$LAB_DIR/out" || lab_fail "no row for the long id"
expect 0 vn1 vnet-list -l
grep -qE '^0000:0000:0000:0000:0000:0000:0000:0097 +vnet97 .* 151 +- +up +- +vxlan$' "$LAB_DIR/out" ||
	lab_fail "vnets -l: $(cat "$LAB_DIR/out")"

lab_step "vnets --json, parsed"
expect 0 vn1 --json vnets
json_check 'isinstance(d, list) and len(d) == 3'
json_check '[v["id"] for v in d] == ["97", "98", "0000:0000:0000:0000:0000:0000:0001:0000"]'
json_check 'd[0] == {"id": "97", "long-id": "0000:0000:0000:0000:0000:0000:0000:0097", "key": "97",
	"bridge": "vnet97", "vnetif": "vnif97", "security": "none", "vni": 151, "mtu": None,
	"state": "up", "error": None, "valid": True, "ports": None, "dataplane": "vxlan"}'
json_check 'd[1]["mtu"] == 1400 and d[2]["key"] == "0-0-0-0-0-0-1-0"'

lab_step "an invalid definition written by hand is listed, not hidden"
xs 1 write /vnet/99/bridge "bad/name"
expect 0 vn1 --json vnets
json_check '[v for v in d if v["key"] == "99"][0]["valid"] is False'
json_check '"bridge" in [v for v in d if v["key"] == "99"][0]["error"]'
expect 0 vn1 vnets
grep -qE '^99 +bad/name .* invalid +vxlan$' "$LAB_DIR/out" || lab_fail "invalid row: $(cat "$LAB_DIR/out")"
xs 1 rm /vnet/99

lab_step "delete round trips: vn deletes what xenstore-write made, and back"
expect 0 vn1 vnet-delete 0:0:0:0:0:0:1:0
xs 1 exists /vnet/0-0-0-0-0-0-1-0 && lab_fail "vn did not delete the xenstore-written vnet"
lab_wait_link 1 vnbig gone
expect 0 vn1 vnet-create 1234 -b vn1234
lab_vnet_up 1 1234
xs 1 rm /vnet/1234
lab_wait_link 1 vn1234 gone
expect 0 vn1 --json vnets
json_check '[v["id"] for v in d] == ["97", "98"]'

lab_step "delete with a vif attached: refused (1) unless -b"
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
expect 1 vn1 vnet-delete 97
err_has "vif1.0"
xs 1 exists /vnet/97 || lab_fail "refused delete deleted anyway"
expect 0 vn1 vnet-delete 97 -b
lab_wait_link 1 vnet97 gone
lab_link_exists 1 vif1.0 || lab_fail "the vif went away with the bridge"
h1 ip -o link show dev vif1.0 | grep -q master && lab_fail "vif1.0 still has a master"
lab_log "vif1.0 is detached and still there"

lab_step "exit status 2: usage and input"
printf '(vnet (id 97) (bridge vnet97)\n' >"$LAB_DIR/bad.sxp"
expect 2 vn1 vnet-create "$LAB_DIR/bad.sxp"
err_has "$LAB_DIR/bad.sxp:1:1: '(' is never closed"
printf '(vnet (id 97)\n  (bridge vnet97) (vnetif "a b"))\n' >"$LAB_DIR/bad2.sxp"
expect 2 vn1 vnet-create "$LAB_DIR/bad2.sxp"
err_has "bad2.sxp:2:27: vnetif 'a b'"
expect 2 vn1 vnet-create "$LAB_DIR/missing.sxp"
expect 2 vn1 vnet-create "$LAB_DIR/vnet97.sxp" -b x
expect 2 vn1 vnet-create 1:2:3:4:5:6:7:8:9
err_has "more than 8 fields"
expect 2 vn1 vnet-create 97 -s secret
err_has "security"
expect 2 vn1 vnet-delete 4321
err_has "no vnet 4321"
expect 2 vn1 vnet-delete
expect 2 vn1 frobnicate
expect 2 vn1 vnets -x
expect 2 vn1 vnets extra
expect 2 vn1 peer-add "a;b"
expect 2 vn1 peer-add 192.0.2.9 -p 70000
expect 2 vn1 varp zz
expect 2 vn1
expect 0 vn1 help
expect 0 vn1 help vnet-create
expect 0 vn1 --version

lab_step "exit status 1: xenstore unreachable, daemon down"
expect 1 env XENSTORED_PATH=/nonexistent/socket "$VN" vnets
err_has "cannot reach xenstore"
# h2 has a xenstored but no daemon: definitions work, runtime commands fail.
expect 0 vn_on 2 vnet-create 97
expect 0 vn_on 2 vnets
grep -qE '^97 +vnet97 +vnif97 +none +151 +- +-$' "$LAB_DIR/out" || lab_fail "h2 vnets: $(cat "$LAB_DIR/out")"
for cmd in vnifs vifs bridges peers status varp varp-flush "peer-add 192.0.2.1" "peer-delete 192.0.2.1"; do
	# shellcheck disable=SC2086
	expect 1 vn_on 2 $cmd
	err_has "xenvnetd is not running"
done
expect 1 vn_on 2 vnets -a
err_has "xenvnetd is not running"
grep -q '^97 ' "$LAB_DIR/out" || lab_fail "vnets -a printed no definitions with the daemon down"
expect 0 vn_on 2 vnet-delete 97
lab_log "ok"
