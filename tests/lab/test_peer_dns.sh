#!/bin/bash
# Peers by host name never stall the daemon (issue 9): the only DNS server
# takes queries and never answers.  `vn peer-add` of a name that hangs
# answers at once, `vn status` answers meanwhile, `vn peers` shows the name
# as resolving, then unresolvable (one warning in the log), and a peer added
# by IP address meanwhile works at once.  A name from the hosts file
# resolves and works as a peer.
#
#   d1 198.51.100.1                              d2 198.51.100.2   (vnet 97)
#    |                                            |
#   h1 192.0.2.1                                 h2 203.0.113.2
#    |   peers: somehost.example (hangs),         |   peer: h1.lab.example
#    |          203.0.113.2                       |   (hosts file: 192.0.2.1)
#   sw (sw0) --- eth0 192.0.2.254 [rt] 203.0.113.254 eth1 --- sw2 (sw0)
#    |              unicast forwarding only: no multicast between h1 and h2
#   rslv 192.0.2.53: UDP port 53 open, never read (the resolver that hangs)
#
# h1 and h2 use it through /etc/netns/<namespace>/resolv.conf (with their
# own hosts file), which `ip netns exec` mounts over /etc.
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
NS_ETC=()
# lab_cleanup, after removing our /etc/netns files; it keeps the exit
# status it finds in $? (set -e is off here, or "(exit 1)" would end us).
dns_cleanup() {
	local rc=$? d
	set +e
	for d in "${NS_ETC[@]}"; do rm -rf "$d"; done
	(exit $rc)
	lab_cleanup
}
trap dns_cleanup EXIT

BOUND_MS=3000   # "at once": far below the 10 s a hung resolver used to cost
M1=00:16:3e:00:00:01
M2=00:16:3e:00:00:02

# etc_for HOST: resolv.conf and hosts for host HOST's namespace.
etc_for() {
	local d=/etc/netns/${LAB_PREFIX}h$1
	mkdir -p "$d"
	NS_ETC+=("$d")
	printf 'nameserver 192.0.2.53\noptions timeout:2 attempts:2\n' >"$d/resolv.conf"
	printf '127.0.0.1 localhost\n192.0.2.1 h1.lab.example\n203.0.113.2 h2.lab.example\n' >"$d/hosts"
}

# timed_ms VAR CMD...: run CMD, its duration in ms in VAR; fails as CMD does.
timed_ms() {
	local var=$1 t0 rc=0
	shift
	t0=$(lab_now_ms)
	"$@" >/dev/null || rc=$?
	printf -v "$var" '%s' $(($(lab_now_ms) - t0))
	return $rc
}

# peer_field N ADDR FIELD: a field of peer ADDR in `vn --json peers` of host N.
peer_field() {
	lc_vn "$1" --json peers | tr '{}' '\n\n' | grep -F "\"addr\":\"$2\"" |
		sed -n "s/.*\"$3\":\"\\([^\"]*\\)\".*/\\1/p"
}
peer_state_is() { [ "$(peer_field "$1" "$2" state)" = "$3" ]; }
# peer_pending N ADDR: resolving or unresolvable (not resolved, not absent).
peer_pending() {
	local st
	st=$(peer_field "$1" "$2" state)
	[ "$st" = resolving ] || [ "$st" = unresolvable ]
}
# vn_peers_has N REGEX: a line of `vn peers` (text) matches.
vn_peers_has() { lc_vn "$1" peers | grep -qE "$2"; }
# Each check polls: under load one vn call may be dropped by the daemon's
# 250 ms request deadline; the state itself never flips.

lab_step "two subnets, no multicast between them; a resolver that never answers"
lc_key
lab_switch
lc_switch sw2
lc_router rt sw 192.0.2.254/24 sw2 203.0.113.254/24
lc_ns_on rslv sw 192.0.2.53/24
lab_bg rslv perl -MIO::Socket::INET -e \
	'$s = IO::Socket::INET->new(LocalAddr => "192.0.2.53:53", Proto => "udp") or die "bind: $!"; sleep'
lab_wait 10 "the silent resolver's socket" sh -c \
	"ip netns exec ${LAB_PREFIX}rslv ss -Hlun 'sport = :53' | grep -q ." ||
	lab_fail "the silent resolver did not start"
etc_for 1
etc_for 2
lc_host 1 192.0.2.1/24 sw 192.0.2.254
lc_host 2 203.0.113.2/24 sw2 203.0.113.254
lc_vnet 97 vnet97 1 2
lab_domain 1 1 198.51.100.1 $M1 vnet97
lab_domain 2 2 198.51.100.2 $M2 vnet97
[ "$(lc_counter 1 hosts)" = 0 ] || lab_fail "h1 hears $(lc_counter 1 hosts) hosts without peers"

lab_step "peer-add of a name the resolver never answers for: answered at once"
timed_ms ms lc_peer_add 1 somehost.example || lab_fail "vn peer-add somehost.example failed"
lab_log "peer-add somehost.example: ${ms} ms"
((ms < BOUND_MS)) || lab_fail "vn peer-add of a hanging name took $ms ms"
timed_ms ms lc_vn 1 status || lab_fail "vn status failed"
lab_log "status while the lookup hangs: ${ms} ms"
((ms < BOUND_MS)) || lab_fail "vn status took $ms ms while a lookup hangs"
lab_wait 10 "h1: somehost.example pending" peer_pending 1 somehost.example ||
	lab_fail "vn peers: $(lc_vn 1 --json peers)"
lab_wait 10 "h1: vn peers (text)" vn_peers_has 1 '^somehost\.example +1799 +(resolving|unresolvable)' ||
	lab_fail "vn peers: $(lc_vn 1 peers)"

lab_step "a peer by IP address meanwhile: answered at once, works at once"
timed_ms ms lc_peer_add 1 203.0.113.2 || lab_fail "vn peer-add 203.0.113.2 failed"
lab_log "peer-add 203.0.113.2: ${ms} ms"
((ms < BOUND_MS)) || lab_fail "vn peer-add of an IP address took $ms ms while a lookup hangs"
lab_wait 10 "h1: 203.0.113.2 resolved" peer_state_is 1 203.0.113.2 resolved ||
	lab_fail "h1 peers: $(lc_vn 1 --json peers)"
# h2 hears h1 through h1's peer entry alone.
lc_wait_counter 2 hosts -eq 1
lab_wait 10 "h1: somehost.example pending" peer_pending 1 somehost.example ||
	lab_fail "vn peers: $(lc_vn 1 --json peers)"

lab_step "a name from the hosts file resolves and works as a peer"
timed_ms ms lc_peer_add 2 h1.lab.example || lab_fail "vn peer-add h1.lab.example failed"
((ms < BOUND_MS)) || lab_fail "vn peer-add h1.lab.example took $ms ms"
lab_wait 10 "h2: h1.lab.example resolved" peer_state_is 2 h1.lab.example resolved ||
	lab_fail "h2 peers: $(lc_vn 2 --json peers)"
lab_wait 10 "h2: vn peers (text)" vn_peers_has 2 '^h1\.lab\.example +1799 +resolved +192\.0\.2\.1 +-$' ||
	lab_fail "vn peers: $(lc_vn 2 peers)"
# h1 hears h2 only through h2's peer by name.
lc_wait_counter 1 hosts -eq 1
lc_wait_fdb 1 $M2 203.0.113.2
lc_wait_fdb 2 $M1 192.0.2.1
lab_ping 1 198.51.100.2 3 || lab_fail "d1 cannot ping d2 across the peers"

lab_step "the hanging name ends up unresolvable, with the reason, warned about once"
lab_wait 40 "somehost.example unresolvable" peer_state_is 1 somehost.example unresolvable ||
	lab_fail "somehost.example stays '$(peer_field 1 somehost.example state)'"
lab_wait 10 "h1: vn peers (text)" vn_peers_has 1 '^somehost\.example +1799 +unresolvable +- +Timeout' ||
	lab_fail "vn peers: $(lc_vn 1 peers)"
err=$(peer_field 1 somehost.example error)
[ -n "$err" ] || lab_fail "no error for somehost.example: $(lc_vn 1 --json peers)"
lab_log "somehost.example: $err"
timed_ms ms lc_vn 1 status || lab_fail "vn status failed"
((ms < BOUND_MS)) || lab_fail "vn status took $ms ms"
# The name is retried in the background (after 5 s, then less often):
# wait for a retry to fail too, then count the warnings.
lab_wait 40 "a failed retry of somehost.example" \
	grep -q 'peer somehost.example: still cannot resolve' "$LAB_DIR/h1/daemon.log" ||
	lab_fail "somehost.example was not retried"
n=$(grep -c 'peer somehost.example: cannot resolve' "$LAB_DIR/h1/daemon.log" || true)
[ "$n" = 1 ] || lab_fail "$n warnings about somehost.example, wanted 1"
lab_ping 1 198.51.100.2 3 || lab_fail "d1 cannot ping d2"

lab_step "SIGTERM while a lookup hangs: a clean exit (status 0, no leak)"
lc_peer_add 1 other.example
lab_wait 10 "h1: other.example resolving" peer_state_is 1 other.example resolving ||
	lab_fail "other.example: $(lc_vn 1 --json peers)"
timed_ms ms lab_daemon_stop 1 || lab_fail "h1's daemon did not stop cleanly"
lab_log "SIGTERM to exit: ${ms} ms"
