#!/bin/bash
# vn diag DOMID|MAC names each planted fault as the first failing check
# (vif not Connected, vif on no vnet's bridge, vnet in error, MTU
# mismatch, remote FDB missing, host not heard) and passes a healthy path;
# vn vnet-show ID matches the kernel and xenstore.  Issue 11.
#
#   d1 198.51.100.1  d3 (xenbr0: no vnet)      d2 198.51.100.2
#     |              d4 [vnet98: in error]        |
#   [vnet97] h1 192.0.2.1 ------ sw0 ------ 192.0.2.2 h2 [vnet97]
#
# Every daemon announces a hold time of 60 s, so that a stopped h2 stays in
# h1's host table, late, long enough to be named.
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
M1=00:16:3e:00:00:01
M2=00:16:3e:00:00:02
M3=00:16:3e:00:00:03
M4=00:16:3e:00:00:04
H1=${LAB_PREFIX}h1
BE1=/local/domain/0/backend/vif/1/0

# diag N ARG: vn diag ARG on host N into $LAB_DIR/diag, its exit status in $DIAG_RC.
diag() {
	DIAG_RC=0
	lc_vn "$1" diag "$2" >"$LAB_DIR/diag" 2>&1 || DIAG_RC=$?
}
# diag_fails N ARG CHECK TEXT: the walk stops at CHECK, FAIL, saying TEXT; exit 1.
diag_fails() {
	diag "$1" "$2"
	[ "$DIAG_RC" = 1 ] && tail -n 1 "$LAB_DIR/diag" | grep -qE "^FAIL +$3 .*$4" &&
		[ "$(grep -c '^FAIL' "$LAB_DIR/diag")" = 1 ]
}
# expect_fail N ARG CHECK TEXT: wait (bounded) for diag_fails.
expect_fail() {
	lab_wait 10 "diag $2 on h$1: $3 fails" diag_fails "$@" ||
		lab_fail "vn diag $2 on h$1 (exit $DIAG_RC) does not fail at '$3' with '$4': $(cat "$LAB_DIR/diag")"
}
diag_ok() {
	diag "$1" "$2"
	[ "$DIAG_RC" = 0 ] && ! grep -qv '^ok ' "$LAB_DIR/diag"
}
expect_ok() {
	lab_wait 10 "diag $2 on h$1 all ok" diag_ok "$@" ||
		lab_fail "vn diag $2 on h$1 (exit $DIAG_RC) is not all ok: $(cat "$LAB_DIR/diag")"
}

lab_step "two hosts with vnet 97 (hold time 60 s), a domain on each"
echo "hold_s = 60" >"$LAB_DIR/hold.conf"
LC_DAEMON_ARGS=(-c "$LAB_DIR/hold.conf")
lc_cluster 2
lab_domain 1 1 198.51.100.1 $M1 vnet97
lab_domain 2 2 198.51.100.2 $M2 vnet97
lc_wait_fdb 1 $M2 192.0.2.2
lab_ping 1 198.51.100.2 2

lab_step "vnet-show 97: definition, ports with domain names, vnif counters, hosts, MACs"
VNIF=$(xs_get 1 /vnet/97/vnetif 2>/dev/null || true)
[ -n "$VNIF" ] || VNIF=vnif97
kstat() { ip -n "$H1" -s -j link show dev "$VNIF" >"$LAB_DIR/$1"; }
kstat k0.json
lc_vn 1 -j vnet-show 97 >"$LAB_DIR/show.json" || lab_fail "vn -j vnet-show 97 failed"
kstat k1.json
python3 - "$LAB_DIR/show.json" "$LAB_DIR/k0.json" "$LAB_DIR/k1.json" "$VNIF" "$M1" "$M2" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
k0, k1 = (json.load(open(p))[0] for p in sys.argv[2:4])
vnif, m1, m2 = sys.argv[4:7]
assert d["id"] == "97" and d["bridge"] == "vnet97" and d["vnetif"] == vnif, d
assert d["state"] == "up" and d["error"] is None and d["mtu"] == k1["mtu"], d
vifs = [p for p in d["ports"] if p["kind"] == "vif"]
assert vifs == [{"name": "vif1.0", "kind": "vif", "domid": 1, "domain": "d1", "mac": m1,
                 "state": "up", "mtu": k1["mtu"]}], vifs
v = d["vnif"]
assert v["name"] == vnif and v["mtu"] == k1["mtu"], v
for side in ("rx", "tx"):
    for c in ("packets", "bytes", "errors", "dropped"):
        lo, hi = k0["stats64"][side][c], k1["stats64"][side][c]
        assert lo <= v[side + "-" + c] <= hi, (side, c, lo, v[side + "-" + c], hi)
assert [h["addr"] for h in d["hosts"]] == ["192.0.2.2"], d["hosts"]
macs = {m["mac"]: m for m in d["macs"]}
assert macs[m1]["remote"] is None and macs[m1]["dev"] == "vif1.0", macs
assert macs[m2]["remote"] == "192.0.2.2" and macs[m2]["state"] == "static", macs
PY
	lab_fail "vn vnet-show 97 does not match the kernel: $(cat "$LAB_DIR/show.json")"
lc_vn 1 vnet-show 97 >"$LAB_DIR/show.txt"
grep -q "^bridge *vnet97$" "$LAB_DIR/show.txt" && grep -q "^vif1.0 .* d1 " "$LAB_DIR/show.txt" ||
	lab_fail "vn vnet-show 97: $(cat "$LAB_DIR/show.txt")"
rc=0
lc_vn 1 vnet-show 99 >"$LAB_DIR/out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "no vnet 99" "$LAB_DIR/out" || lab_fail "vnet-show of an unknown id: exit $rc, '$(cat "$LAB_DIR/out")'"

lab_step "all ok: a local domain and a remote MAC"
expect_ok 1 1
expect_ok 1 $M1
expect_ok 1 $M2
grep -q "^ok  *fdb .*192.0.2.2" "$LAB_DIR/diag" || lab_fail "no fdb check for a remote MAC: $(cat "$LAB_DIR/diag")"
diag 1 7
[ "$DIAG_RC" = 1 ] && grep -q "^FAIL *vif .*domain 7 has no vif" "$LAB_DIR/diag" || lab_fail "diag of a domain without vifs: $(cat "$LAB_DIR/diag")"

lab_step "a vif not Connected"
xs 1 write $BE1/state 3
expect_fail 1 1 connected "backend state 3"
xs 1 write $BE1/state 4
expect_ok 1 1

lab_step "a vif on a bridge no vnet defines"
lab_domain 1 3 198.51.100.3 $M3
expect_fail 1 3 bridge "vif on no vnet's bridge: vif3.0 is on xenbr0"
expect_fail 1 $M3 bridge "vif on no vnet's bridge"

lab_step "a vnet in error"
ip -n "$H1" link add vnet98 type bridge
xs 1 write /vnet/98/bridge vnet98
lab_wait_xs 1 /vnet/98/state error
lab_domain 1 4 198.51.100.4 $M4 vnet98
expect_fail 1 4 vnet-up "vnet 98 is error: bridge vnet98 is an existing interface"
lc_vn 1 -j vnet-show 98 >"$LAB_DIR/show.json" || lab_fail "vn vnet-show of a vnet in error failed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
sys.exit(0 if d["state"] == "error" and "existing interface" in d["error"] and d["macs"] == [] and d["vnif"] is None else 1)' \
	"$LAB_DIR/show.json" || lab_fail "vn vnet-show 98: $(cat "$LAB_DIR/show.json")"

lab_step "an MTU mismatch"
MTU=$(ip -n "$H1" -j link show dev "$VNIF" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["mtu"])')
ip -n "$H1" link set vif1.0 mtu $((MTU - 100))
expect_fail 1 1 mtu "vif1.0 MTU $((MTU - 100)), vnet 97 MTU $MTU"
ip -n "$H1" link set vif1.0 mtu "$MTU"
expect_ok 1 1

lab_step "a remote FDB entry missing"
bridge -n "$H1" fdb del $M2 dev "$VNIF"
expect_fail 1 $M2 fdb "remote FDB missing: no static entry for $M2 on $VNIF"

lab_step "a host not heard"
kill -STOP "$(lab_daemon_pid 2)"
late() {
	lc_vn 1 -j hosts >"$LAB_DIR/hosts.json" && python3 -c 'import json,sys
sys.exit(0 if [h for h in json.load(open(sys.argv[1])) if h["addr"] == "192.0.2.2" and h["last-heard"] >= 3] else 1)' "$LAB_DIR/hosts.json"
}
lab_wait 20 "h2 late in h1's hosts" late || lab_fail "h2 not late: $(cat "$LAB_DIR/hosts.json")"
expect_fail 1 1 hosts "host 192.0.2.2 not heard for"
kill -CONT "$(lab_daemon_pid 2)"
expect_ok 1 1
lab_san_check 1
lab_san_check 2
echo "PASS"
