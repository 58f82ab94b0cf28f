#!/bin/bash
# control = evpn (issue #15): FRR's bgpd + zebra carry the MACs.  Guests on
# two hosts ping; a silent guest is advertised (and reachable) before it
# sends a frame; a plain EVPN VTEP without xenvnetd (the gateway) and the
# guests reach each other; `vn evpn` reports what FRR holds; `vn
# frr-config` wrote every host's bgpd.conf; FRR that is not running or not
# configured for EVPN is named as such.
#
#   d1 .1      d2 .2      d3 .3 (silent)             gateway: br97 198.51.100.254
#    |          |          |                                 vx97 vni 151
#   h1         h2         h3          rr (FRR only)         gw 192.0.2.50
#   192.0.2.1  192.0.2.2  192.0.2.3   192.0.2.100
#    \__________|__________|______________|___________________|
#                        sw (no multicast used: VXLAN devices have no group)
#   each hN: xenvnetd (control = evpn, port 4789) + zebra + bgpd, iBGP to rr
set -e
. "$(dirname "$0")/lib_evpn.sh"
lab_init "$1"
M=(x 00:16:3e:00:00:01 00:16:3e:00:00:02 00:16:3e:00:00:03)

lab_step "three EVPN hosts, a route reflector, vnet 97 up"
le_cluster 3
for h in 1 2 3; do
	d=$(h$h ip -d -o link show dev vnif97)
	grep -q "vxlan id 151 local 192.0.2.$h " <<<"$d" || lab_fail "h$h: vnif97 is not a VNI zebra takes: $d"
	grep -q " nolearning" <<<"$d" || lab_fail "h$h: vnif97 learns: $d"
	! grep -qE "vxlan id 151 (remote|group) " <<<"$d" || lab_fail "h$h: vnif97 has a multicast group: $d"
	grep -q "dstport 4789" <<<"$d" || lab_fail "h$h: vnif97 not on port 4789: $d"
done
[ "$(lc_counter 1 control-protocol)" = 0 ] || lab_fail "h1 runs its own protocol in evpn mode"
grep -q "advertise-all-vni" "$(le_dir h1)/bgpd.conf" || lab_fail "vn frr-config: $(cat "$(le_dir h1)/bgpd.conf")"
grep -q "bgp router-id 192.0.2.1" "$(le_dir h1)/bgpd.conf" || lab_fail "frr-config router-id: $(cat "$(le_dir h1)/bgpd.conf")"
lab_wait 30 "h1's VNI 151 in bgpd" le_vni_advertised h1 ||
	lab_fail "h1: bgpd does not know VNI 151: $(le_vtysh h1 'show bgp l2vpn evpn vni')"

lab_step "guests on h1 and h2 ping"
lab_domain 1 1 198.51.100.1 "${M[1]}" vnet97
lab_domain 2 2 198.51.100.2 "${M[2]}" vnet97
# Advertised at Connected, before the guests send: the host pinned them.
le_wait_remote 2 "${M[1]}" 192.0.2.1
le_wait_remote 1 "${M[2]}" 192.0.2.2
lab_ping 1 198.51.100.2

lab_step "a silent guest on h3 is advertised before it sends"
le_silent_domain 3 3 198.51.100.3 "${M[3]}"
le_wait_remote 1 "${M[3]}" 192.0.2.3
le_wait_remote 2 "${M[3]}" 192.0.2.3
[ "$(le_mac_field h3 "${M[3]}" 'd.get("type")')" = local ] || lab_fail "h3: zebra does not hold ${M[3]} as local: $(le_mac_json h3 "${M[3]}")"
[ "$(le_mac_field h3 "${M[3]}" 'd.get("sticky", False) is True')" = False ] || lab_fail "h3: ${M[3]} is sticky"
d3 ip -s link show eth0 | awk '/TX:/ {getline; exit !($2 == 0)}' || lab_fail "the silent guest sent frames: $(d3 ip -s link show eth0)"
lab_ping 1 198.51.100.3

lab_step "the gateway (an EVPN VTEP without xenvnetd) and the guests"
le_gateway gw 192.0.2.50
le_wait_established gw
# Its type-3 route: h1 floods to it (the all-zero entry zebra installs).
lab_wait 20 "h1 floods to the gateway" lc_flood_has 1 192.0.2.50 ||
	lab_fail "h1: no flood entry to the gateway: $(lc_fdb 1 | tr '\n' ';')"
gw ping -c 1 -W 2 198.51.100.1 >/dev/null || lab_fail "gateway -> d1"
gw ping -c 1 -W 2 198.51.100.3 >/dev/null || lab_fail "gateway -> silent d3"
lab_ping 2 198.51.100.254

lab_step "vn evpn on h1"
out=$(VN_VTYSH_SOCKET=$(le_dir h1) lc_vn 1 evpn 2>&1)
echo "$out" | sed 's/^/    /'
grep -qE '^97 +151 +vnif97 +true +3 ' <<<"$out" || lab_fail "h1: vn evpn vnet row: $out"
grep -qE "^97 +${M[1]} +local +vif1\.0 +0 +false" <<<"$out" || lab_fail "h1: d1's MAC row: $out"
grep -qE "^97 +${M[3]} +remote +192\.0\.2\.3 +0 +false" <<<"$out" || lab_fail "h1: d3's MAC row: $out"
js=$(VN_VTYSH_SOCKET=$(le_dir h1) lc_vn 1 -j evpn)
echo "$js" >"$LAB_DIR/evpn.json"
python3 "$(dirname "$0")/json_schema.py" "$(dirname "$0")/../../docs/vn.8" evpn "$LAB_DIR/evpn.json" ||
	lab_fail "vn -j evpn differs from vn(8)"
python3 - "$js" <<'PY' || lab_fail "vn -j evpn: $js"
import json, sys
d = json.loads(sys.argv[1])
v = d["vnets"][0]
assert list(v) == ["vnet", "vni", "vnetif", "advertised", "macs", "remote-vteps"], v
assert list(d["macs"][0]) == ["vnet", "mac", "origin", "at", "seq", "duplicate", "local-seq", "remote-seq"], d
assert v["vni"] == 151 and v["advertised"] is True and v["macs"] == 3, v
assert sorted(v["remote-vteps"]) == ["192.0.2.2", "192.0.2.3", "192.0.2.50"], v
m = {x["mac"]: x for x in d["macs"]}
assert m["00:16:3e:00:00:02"]["origin"] == "remote" and m["00:16:3e:00:00:02"]["at"] == "192.0.2.2", m
assert m["00:16:3e:00:00:01"]["seq"] == 0 and m["00:16:3e:00:00:01"]["duplicate"] is False, m
PY

lab_step "FRR not running, or not configured for EVPN: said so"
mkdir -p "$LAB_DIR/nofrr"
if out=$(VN_VTYSH_SOCKET=$LAB_DIR/nofrr lc_vn 1 evpn 2>&1); then lab_fail "vn evpn without FRR succeeded: $out"; fi
grep -q "zebra does not answer.*is FRR running" <<<"$out" || lab_fail "vn evpn without FRR: $out"
le_vtysh h2 "configure terminal" "router bgp $LE_ASN" "address-family l2vpn evpn" "no advertise-all-vni" >/dev/null
if out=$(VN_VTYSH_SOCKET=$(le_dir h2) lc_vn 2 evpn 2>&1); then lab_fail "vn evpn without advertise-all-vni succeeded: $out"; fi
grep -q "does not advertise the VNIs.*advertise-all-vni" <<<"$out" || lab_fail "vn evpn, no advertise-all-vni: $out"
