# shellcheck shell=bash
# tests/lab/lib_evpn.sh - the lab on BGP EVPN (issue #15): FRR's zebra and
# bgpd in host namespaces (daemons with `control = evpn`), a route
# reflector namespace running FRR only, and a plain EVPN VTEP "gateway"
# with FRR, a hand-made bridge + VXLAN device and no xenvnetd.
#
# Sources lib_cluster.sh (never edits it or lib.sh):
#     . "$(dirname "$0")/lib_evpn.sh"
#     lab_init "$1"
#     le_cluster 3                # sw, rr (FRR), h1..h3 (xenvnetd + FRR), vnet 97
#     le_gateway gw 192.0.2.50    # an EVPN VTEP without xenvnetd, on vni 151
#
# FRR runs without -N: every daemon of a namespace gets its own folder
# ($LAB_DIR/frr-NAME, owned by frr since the daemons drop to that user)
# for its pid file, zserv socket and vty sockets; vtysh is pointed there
# (--vty_socket).  Each FRR daemon runs in the foreground under `ip netns
# exec` in the background: its pid joins LAB_PIDS, so lab_cleanup kills
# it on any exit (and its namespace's pids are killed again before the
# namespace goes).

. "$(dirname "${BASH_SOURCE[0]}")/lib_cluster.sh"

LE_RR=192.0.2.100      # the route reflector's address
LE_PORT=4789           # the VXLAN port of every VTEP (the IANA one, as routers use)
LE_ASN=65000
LE_RANGES=(192.0.2.0/24)   # where the reflector takes hosts from
LE_EVPN_EXTRA=${LE_EVPN_EXTRA:-}  # one more line for each host's address-family l2vpn evpn
# BGP timers in the lab: frr-config's 3/9 s, relaxed, since a lab on a
# loaded 2-CPU machine can starve bgpd for seconds (the failure test
# needs no hold timer: a killed bgpd's session is reset at once).
LE_TIMERS="timers bgp 10 30"
declare -A LE_PIDS     # "NAME zebra" / "NAME bgpd" -> pid

le_need_frr() {
	[ -x /usr/lib/frr/zebra ] && [ -x /usr/lib/frr/bgpd ] && command -v vtysh >/dev/null ||
		{ echo "SKIP: FRR is not installed (apt-get install frr)"; exit 0; }
	chmod o+x "$LAB_DIR" # FRR's daemons drop to user frr: they must reach their folders
}

le_dir() { echo "$LAB_DIR/frr-$1"; }

# le_frr_daemon NAME DAEMON: start zebra or bgpd of namespace NAME from
# the config files already in its folder.
le_frr_daemon() {
	local name=$1 dm=$2 dir
	dir=$(le_dir "$1")
	ip netns exec "$LAB_PREFIX$name" "/usr/lib/frr/$dm" -f "$dir/$dm.conf" -i "$dir/$dm.pid" \
		-z "$dir/zserv.api" --vty_socket "$dir" --log "file:$dir/$dm.log" >>"$dir/$dm.out" 2>&1 &
	LE_PIDS["$name $dm"]=$!
	LAB_PIDS+=("$!")
}

# le_frr_start NAME BGPD_CONF: zebra, then bgpd with that config, in
# namespace NAME; waits until both answer vtysh.
le_frr_start() {
	local name=$1 dir
	dir=$(le_dir "$name")
	mkdir -p "$dir"
	[ -f "$dir/bgpd.conf" ] || printf '%s\n' "$2" >"$dir/bgpd.conf"
	# Hosts reach a reflector in another subnet through their default route.
	printf 'hostname %s\nlog file %s/zebra.log\nip nht resolve-via-default\n' "$name" "$dir" >"$dir/zebra.conf"
	chown -R frr:frr "$dir"
	le_frr_daemon "$name" zebra
	lab_wait 10 "$name's zebra" test -S "$dir/zserv.api" || lab_fail "$name: zebra did not start: $(tail -3 "$dir/zebra.out")"
	le_frr_daemon "$name" bgpd
	lab_wait 10 "$name's bgpd" test -S "$dir/bgpd.vty" || lab_fail "$name: bgpd did not start: $(tail -3 "$dir/bgpd.out")"
}

# le_frr_kill NAME: kill -9 namespace NAME's bgpd and zebra (a host whose
# FRR dies; what zebra installed stays in the kernel).
le_frr_kill() {
	local k p
	for k in "$1 bgpd" "$1 zebra"; do
		p=${LE_PIDS[$k]}
		[ -n "$p" ] || continue
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		unset "LE_PIDS[$k]"
	done
	rm -f "$(le_dir "$1")"/*.vty "$(le_dir "$1")/zserv.api"
}

# le_frr_restart NAME: start it again from the same config files.
le_frr_restart() { le_frr_start "$1" ""; }

# le_vtysh NAME COMMAND...: vtysh against namespace NAME's daemons.
le_vtysh() {
	local name=$1
	shift
	local a=() c
	for c in "$@"; do a+=(-c "$c"); done
	ip netns exec "$LAB_PREFIX$name" vtysh --vty_socket "$(le_dir "$name")" "${a[@]}"
}

# le_rr_conf: the reflector's bgpd.conf (every host of LE_RANGES a client).
le_rr_conf() {
	local r
	echo "hostname rr"
	echo "router bgp $LE_ASN"
	echo " bgp router-id $LE_RR"
	echo " bgp cluster-id $LE_RR"
	echo " no bgp default ipv4-unicast"
	echo " $LE_TIMERS"
	echo " neighbor HOSTS peer-group"
	echo " neighbor HOSTS remote-as internal"
	for r in "${LE_RANGES[@]}"; do echo " bgp listen range $r peer-group HOSTS"; done
	echo " address-family l2vpn evpn"
	echo "  neighbor HOSTS activate"
	echo "  neighbor HOSTS route-reflector-client"
	echo " exit-address-family"
}

# le_rr [SWITCH [ADDR/LEN [GW]]]: the route reflector namespace "rr", FRR only.
le_rr() {
	lc_ns_on rr "${1:-sw}" "${2:-$LE_RR/24}"
	[ -z "$3" ] || ip -n "${LAB_PREFIX}rr" route add default via "$3"
	le_frr_start rr "$(le_rr_conf)"
}

# le_conf N: host N's xenvnetd.conf for EVPN (path on stdout).
le_conf() {
	lc_config "$1" control=evpn port=$LE_PORT evpn_asn=$LE_ASN evpn_neighbors=$LE_RR
}

# le_host N [ADDR/LEN [SWITCH [GW]]]: lc_host with control = evpn, then
# its FRR from what `vn frr-config` prints.
le_host() {
	local n=$1
	LC_NODAEMON=1 lc_host "$@"
	lc_daemon_start "$n" -c "$(le_conf "$n")"
	lab_wait 10 "h$n's control socket" test -S "$LAB_DIR/h$n/ctl.sock" || lab_fail "h$n: no control socket"
	mkdir -p "$(le_dir "h$n")"
	# What an admin would paste; zebra's lines (ip ...) are in zebra.conf already.
	lc_vn "$n" frr-config >"$LAB_DIR/h$n/frr.conf" || lab_fail "h$n: vn frr-config failed"
	grep -q '^ip nht resolve-via-default$' "$LAB_DIR/h$n/frr.conf" || lab_fail "h$n: frr-config without nht: $(cat "$LAB_DIR/h$n/frr.conf")"
	grep -v '^ip ' "$LAB_DIR/h$n/frr.conf" | sed -e "s/^ timers bgp 3 9\$/ $LE_TIMERS/" \
		-e "/^  advertise-all-vni\$/a\\  ${LE_EVPN_EXTRA:-!}" >"$(le_dir "h$n")/bgpd.conf"
	grep -q "^ $LE_TIMERS\$" "$(le_dir "h$n")/bgpd.conf" || lab_fail "h$n: frr-config without its timers"
	le_frr_start "h$n" ""
}

# le_cluster N [ID [BRIDGE]]: switch, reflector, hosts 1..N on EVPN with
# vnet ID up on each, every host's session to the reflector established.
le_cluster() {
	local n=$1 id=${2:-97} br=${3:-vnet97} h
	le_need_frr
	lc_key
	lab_switch
	le_rr
	for ((h = 1; h <= n; h++)); do le_host "$h"; done
	for ((h = 1; h <= n; h++)); do xs "$h" write "/vnet/$id/bridge" "$br"; done
	for ((h = 1; h <= n; h++)); do lab_vnet_up "$h" "$id"; done
	for ((h = 1; h <= n; h++)); do le_wait_established "h$h"; done
}

# le_established NAME: NAME's bgpd has an l2vpn evpn session up.
le_established() {
	le_vtysh "$1" "show bgp l2vpn evpn summary json" 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); p=d.get("peers",{});
sys.exit(0 if any(v.get("state")=="Established" for v in p.values()) else 1)' 2>/dev/null
}
le_wait_established() {
	lab_wait "${2:-40}" "$1's BGP session" le_established "$1" ||
		lab_fail "$1: no established l2vpn evpn session: $(le_vtysh "$1" 'show bgp l2vpn evpn summary' 2>&1 | tail -5 | tr '\n' ';')"
}

# le_gateway NAME ADDR [SWITCH [LEN [GW]]]: a plain EVPN VTEP: bridge br97
# with VXLAN port vx97 (vni 151, no learning, no group), an address
# 198.51.100.254 on the bridge, FRR pointed at the reflector.
le_gateway() {
	local name=$1 a=$2 ns=$LAB_PREFIX$1
	lc_ns_on "$name" "${3:-sw}" "$a/${4:-24}"
	[ -z "$5" ] || ip -n "$ns" route add default via "$5"
	ip -n "$ns" link add br97 type bridge
	ip -n "$ns" link add vx97 type vxlan id 151 local "$a" dstport $LE_PORT nolearning
	ip -n "$ns" link set vx97 master br97 up
	ip -n "$ns" addr add 198.51.100.254/24 dev br97
	ip -n "$ns" link set br97 up
	le_frr_start "$name" "$(printf '%s\n' "hostname $name" "router bgp $LE_ASN" " bgp router-id $a" \
		" no bgp default ipv4-unicast" " $LE_TIMERS" " neighbor $LE_RR remote-as internal" \
		" address-family l2vpn evpn" "  neighbor $LE_RR activate" "  advertise-all-vni" " exit-address-family")"
}

# ---------------------------------------------------------------- reading FRR and the kernel

# le_remote_dst N MAC [DEV]: where host N's VXLAN device sends MAC (the
# dst of the entry zebra installed), empty when none.
le_remote_dst() {
	bridge -n "${LAB_PREFIX}h$1" fdb show dev "${3:-vnif97}" 2>/dev/null |
		awk -v m="$2" '$1 == m && $2 == "dst" {print $3; exit}'
}
le_remote_is() { [ "$(le_remote_dst "$1" "$2" "$4")" = "$3" ]; }
# le_wait_remote N MAC DST [SECONDS]: the bridge of host N sends MAC into
# the tunnel (master entry on the VXLAN port) to DST.
le_bridge_port() {
	bridge -n "${LAB_PREFIX}h$1" fdb show br "${3:-vnet97}" 2>/dev/null |
		awk -v m="$2" '$1 == m && $2 == "dev" && / master / {print $3; exit}'
}
le_at() { le_remote_is "$1" "$2" "$3" && [ "$(le_bridge_port "$1" "$2")" = vnif97 ]; }
le_wait_remote() {
	lab_wait "${4:-30}" "h$1: $2 via $3" le_at "$1" "$2" "$3" ||
		lab_fail "h$1: $2 not sent to $3: $(bridge -n "${LAB_PREFIX}h$1" fdb show | grep -i "$2" | tr '\n' ';')"
}

# le_mac_json NAME MAC: zebra's view of MAC on vni 151 (JSON, {} when unknown).
le_mac_json() {
	le_vtysh "$1" "show evpn mac vni 151 json" 2>/dev/null | python3 -c 'import json,sys
try: print(json.dumps(json.load(sys.stdin).get("macs",{}).get(sys.argv[1],{})))
except Exception: print("{}")' "$2"
}

# le_mac_field NAME MAC EXPR: a python expression on that JSON (d).
le_mac_field() {
	le_mac_json "$1" "$2" | python3 -c "import json,sys
try: d=json.load(sys.stdin)
except Exception: d={}
print($3)"
}

# le_silent_domain HOST DOMID IP MAC: lab_domain whose guest sends nothing
# by itself (IPv6 off before its NIC exists: no DAD, no router solicitation).
le_silent_domain() {
	local h=$1 domid=$2 ip=$3 mac=$4 dns=${LAB_PREFIX}d$2
	lab_ns "d$domid" "d$domid"
	LAB_DOM_NS[$domid]=d$domid
	ip netns exec "$dns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
	ip -n "${LAB_PREFIX}h$h" link add "vif$domid.0" address fe:ff:ff:ff:ff:ff type veth \
		peer name eth0 address "$mac" netns "$dns"
	ip -n "$dns" addr add "$ip/24" dev eth0
	ip -n "$dns" link set eth0 up
	lab_domain_keys "$h" "$domid" "$mac" vnet97 0
	lab_plug "$h" "$domid" 0
}

# le_vni_advertised NAME [VNI]: NAME's bgpd has the VNI from the kernel.
le_vni_advertised() {
	le_vtysh "$1" "show bgp l2vpn evpn vni json" 2>/dev/null | python3 -c 'import json,sys
d=json.load(sys.stdin); sys.exit(0 if d.get(sys.argv[1],{}).get("inKernel")=="True" else 1)' "${2:-151}" 2>/dev/null
}

# ---------------------------------------------------------------- migration

# le_mig_lab GM GIP: the migration tests' lab: 3 EVPN hosts with vnet 97,
# migratable guest d10 (GM, GIP; no IPv6) on h1, d3 198.51.100.3 on h3,
# every host sending GM to h1, d3 reaching it.
le_mig_lab() {
	le_cluster 3
	lab_mdomain 1 10 "$2" "$1" vnet97
	lab_domain 3 3 198.51.100.3 00:16:3e:00:05:03 vnet97
	d10 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
	le_wait_remote 3 "$1" 192.0.2.1
	le_wait_remote 2 "$1" 192.0.2.1
	lab_ping 3 "$2" 3
}

# le_mig_pinged IP N GM DOM PAUSE_S: lc_mig_pinged on EVPN (guest moving
# between h1 and h2): each move is waited for until h3's tunnel and the old
# host's send GM to the new host (zebra's entry).  The old host too: a move
# back before its zebra took the new sequence number would be advertised
# with a stale one.
le_mig_wait() {
	local h
	le_wait_remote "$1" "$2" "$3" 10
	for h in 1 2; do [ "$3" = "192.0.2.$h" ] || le_wait_remote "$h" "$2" "$3" 10; done
}
le_mig_pinged() { LC_MIG_WAIT=le_mig_wait lc_mig_pinged "$@"; }

# le_vif_devices HOSTS N: the devices of bench_cluster_vifs' N vifs
# (vif100.0 ... on hosts 1..HOSTS in turn), in vnet97 as vif-bridge leaves
# them, each with a carrier (its peer up): EVPN advertises what the bridge
# holds, so a vif needs its device.
le_vif_devices() {
	local nh=$1 i n
	for ((i = 0; i < $2; i++)); do
		n=$((1 + i % nh))
		h$n ip link add "vif$((100 + i)).0" address fe:ff:ff:ff:ff:ff type veth peer name "g$((100 + i))"
		h$n ip link set "g$((100 + i))" up
		h$n ip link set "vif$((100 + i)).0" master vnet97 up
	done
}
