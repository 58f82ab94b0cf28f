#!/bin/bash
# Every vn command's --json output (issue 11) is parsed as JSON and has
# exactly the keys vn(8) documents for it, in order (json_schema.py reads
# them from the man page).  Also: the status counters have the same names
# with the control protocol off (h3, no key); varp ages are numbers and a
# MAC the bridge holds twice (vid 0 and vlan 1) is one row; vn hosts shows
# h2 with its vnet; UTF-8 from xenstore is UTF-8 in JSON, a stray byte
# U+FFFD; an empty table prints its header.  vnet-show and diag (all ok
# here) are covered too.
#
#   d1 198.51.100.1                         d2 198.51.100.2
#     |                                       |
#   [vnet97] h1 192.0.2.1 -- sw0 -- 192.0.2.2 h2 [vnet97]
#                              |
#                        h3 192.0.2.3 (no cluster key: control protocol off)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
M1=00:16:3e:00:00:01
M2=00:16:3e:00:00:02
MAN=$(dirname "$0")/../../docs/vn.8
SCHEMA=$(dirname "$0")/json_schema.py

# jrun N OUT ARGS...: vn -j ARGS on host N into $LAB_DIR/OUT, exit status 0.
jrun() {
	local n=$1 out=$LAB_DIR/$2
	shift 2
	lc_vn "$n" -j "$@" >"$out" 2>"$LAB_DIR/err" || lab_fail "vn -j $* on h$n failed: $(cat "$LAB_DIR/err")"
}
# schema N CMD [ARGS...]: vn -j CMD ARGS on N conforms to vn(8).
schema() {
	local n=$1 cmd=$2
	jrun "$n" out "${@:2}"
	python3 "$SCHEMA" "$MAN" "$cmd" "$LAB_DIR/out" || lab_fail "vn -j ${*:2} on h$n: $(cat "$LAB_DIR/out")"
}
# jcheck PYTHON-EXPR: true for d = the JSON in $LAB_DIR/out.
jcheck() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1], encoding="utf-8")); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$LAB_DIR/out" "$1" || lab_fail "JSON check failed: $1; JSON: $(cat "$LAB_DIR/out")"
}
hosts_ready() {
	jrun 1 hosts.json hosts
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
sys.exit(0 if [h for h in d if h["addr"] == "192.0.2.2" and h["found"] == "multicast" and h["vnets"] == ["97"]] else 1)' \
		"$LAB_DIR/hosts.json"
}

lab_step "two hosts with the key and vnet 97, a domain on each; h3 without the key"
lc_cluster 2
lab_domain 1 1 198.51.100.1 $M1 vnet97
lab_domain 2 2 198.51.100.2 $M2 vnet97
lc_wait_fdb 1 $M2 192.0.2.2
lab_ping 1 198.51.100.2 2
LC_NODAEMON=1 lc_host 3
lab_daemon_start 3
lab_wait 10 "h3's control socket" test -S "$LAB_DIR/h3/ctl.sock" || lab_fail "h3: no control socket"
lab_wait 10 "h3's status" lc_vn 3 status || lab_fail "h3 does not answer"

lab_step "every command's -j output parses and has the documented keys"
for args in vnets "vnets -a" vnifs vifs bridges peers hosts varp "varp 97" varp-flush status metrics insmod \
	"vnet-show 97" "diag 1" "diag $M2"; do
	# shellcheck disable=SC2086
	schema 1 $args
done
jrun 1 out vnet-show 97
jcheck 'isinstance(d["ports"], list) and isinstance(d["vnif"], dict) and isinstance(d["macs"], list)'
schema 3 status
schema 3 hosts
jcheck 'd == []'
schema 3 varp

lab_step "status: the same counters with the control protocol off, zeros"
jrun 1 s1.json status
jrun 3 s3.json status
python3 - "$LAB_DIR/s1.json" "$LAB_DIR/s3.json" <<'PY' || lab_fail "counters differ: $(cat "$LAB_DIR/s1.json" "$LAB_DIR/s3.json")"
import json, sys
on, off = (json.load(open(p))["counters"] for p in sys.argv[1:3])
assert list(on) == list(off), (list(on), list(off))
assert on["control-protocol"] == 1 and off["control-protocol"] == 0
assert all(v == 0 for k, v in off.items() if k != "fdb-write-errors"), off
PY

lab_step "hosts: h2, found by multicast, carrying 97"
lab_wait 10 "h2 in h1's hosts" hosts_ready || lab_fail "vn hosts on h1: $(cat "$LAB_DIR/hosts.json")"
jrun 1 out hosts
jcheck 'all(isinstance(h["last-heard"], int) and h["bad-mac"] == 0 and h["nvnets"] == 1 for h in d)'

lab_step "varp: ages are numbers; a MAC at vid 0 and vlan 1 is one row"
jrun 1 out varp 97
jcheck 'len(d) >= 2 and all(isinstance(e["age"], int) for e in d)'
jcheck 'any(e["mac"] == "'$M2'" and e["remote"] == "192.0.2.2" for e in d)'
# Only where the kernel has bridge VLAN filtering (this lab's may not).
if ip -n "${LAB_PREFIX}h1" link set vnet97 type bridge vlan_filtering 1 2>/dev/null; then
	bridge -n "${LAB_PREFIX}h1" fdb replace $M1 dev vif1.0 master dynamic
	bridge -n "${LAB_PREFIX}h1" fdb replace $M1 dev vif1.0 master vlan 1 dynamic
	n=$(bridge -n "${LAB_PREFIX}h1" fdb show br vnet97 | grep -c "^$M1 dev vif1.0 ")
	[ "$n" -ge 2 ] || lab_fail "the bridge holds $M1 $n times, wanted twice: $(bridge -n "${LAB_PREFIX}h1" fdb show br vnet97)"
	jrun 1 out varp 97
	jcheck '[e["dev"] for e in d if e["mac"] == "'$M1'"] == ["vif1.0"]'
	lc_vn 1 varp 97 >"$LAB_DIR/out"
	[ "$(grep -c " $M1 " "$LAB_DIR/out")" = 1 ] || lab_fail "vn varp lists $M1 more than once: $(cat "$LAB_DIR/out")"
	ip -n "${LAB_PREFIX}h1" link set vnet97 type bridge vlan_filtering 0
else
	lab_log "kernel without bridge VLAN filtering: the vid 0 + vlan 1 case is not tried"
fi
jrun 1 out varp 97
jcheck '[e["dev"] for e in d if e["mac"] == "'$M1'"] == ["vif1.0"]'

lab_step "UTF-8 from xenstore: passes as UTF-8; a stray byte becomes U+FFFD"
xs 1 write /vnet/99/bridge "café"
xs 1 write /vnet/9a/bridge "$(printf 'ab\xffc')"
schema 1 vnets
jcheck '[v["bridge"] for v in d if v["key"] == "99"] == ["café"]'
jcheck '[v["bridge"] for v in d if v["key"] == "9a"] == ["ab\ufffdc"]'
grep -q 'café' "$LAB_DIR/out" || lab_fail "café is not written as UTF-8: $(grep 99 "$LAB_DIR/out")"

lab_step "an empty table prints its header"
lc_vn 1 peers >"$LAB_DIR/out"
[ "$(wc -l <"$LAB_DIR/out")" = 1 ] && grep -q '^ADDRESS' "$LAB_DIR/out" || lab_fail "vn peers with none: '$(cat "$LAB_DIR/out")'"
lab_san_check 1
lab_san_check 2
lab_san_check 3
echo "PASS"
