#!/bin/bash
# tests/vm/xen/scenario.sh BUILD_DIR: issue 12's Xen mode on two emulated
# Xen 4.17 hosts (qemu, software emulation), dom0 = Debian's kernel with the
# project from `make install`, domUs = Debian's kernel + a tiny initramfs.
#
#        h1 (Xen 4.17, dom0 192.0.2.1)            h2 (Xen 4.17, dom0 192.0.2.2)
#   d1 (PVH) eth0 -- vnet97 ==vnif97 (xenvnetd)== vnet97 -- eth0 d2 (PV)
#            eth1 -- fl97 ==flx97 (VXLAN, learning)== fl97 -- eth1
#                  dom0 eth0 ------- unix dgram ------- dom0 eth0
#
# d1: vif=['bridge=vnet97'] (Xen's vif-bridge + our vif-post.d hook),
# d2: vif=['bridge=vnet97,script=vif-vnet']; eth1 (flood-and-learn, a
# bridge + hand-made VXLAN) is where dom0 reaches a guest's command agent,
# and the reference for the migration.  Guests keep the MTU their driver
# gives them.  Steps print PASS/FAIL with their time; a step that dies of an
# emulation flake (segfault) is retried (RETRY lines).
#
# XH_MIGRATIONS=N   migrations in step 4 (default 1; make bench asks for 3),
#                   d1 going h1->h2, back, ...; a line `MIG k ...` each
# XH_REDUCED=1      steps 1, 2, 3 (ping only) and 5 (destroy/shutdown, the
#                   refused delete): what `make test` and `make demo-xen` run
# XH_BENCH=1        steps 1, 2, 3 (ping only), 4 and 5: make bench's figures
# XH_FIXTURE=DIR    record what libxl and netback do on both hosts (xenstore
#                   changes, xenstored's request trace, vif links) into DIR
#                   (tests/vm/xen/record-fixture.sh turns it into the fixture)
set -e
. "$(dirname "$0")/lib.sh"
XH_MIGRATIONS=${XH_MIGRATIONS:-1}
xh_init "$1"

D1MAC=00:16:3e:00:00:01
D2MAC=00:16:3e:00:00:02

boot() {
	xh_boot 1
	xh_boot 2
	xh_wait_ready 1 && xh_wait_ready 2
}

# Both hosts at once; fails when one does.
both() {
	local f=$1 rc1=0 rc2=0
	shift
	"$f" 1 "$@" >"$XH_DIR/both.1" 2>&1 &
	local p1=$!
	"$f" 2 "$@" >"$XH_DIR/both.2" 2>&1 || rc2=$?
	wait "$p1" || rc1=$?
	sed 's/^/h1: /' "$XH_DIR/both.1"
	sed 's/^/h2: /' "$XH_DIR/both.2"
	[ "$rc1" = 0 ] && [ "$rc2" = 0 ]
}

# Recording for the fixture: every xenstore change under /local/domain as a
# watch sees it (stamped on arrival), vif links, xl commands; one clock per
# host (the hosts' clock skew is recorded with it).
rec_start() {
	[ -n "$XH_FIXTURE" ] || return 0
	xh "$1" "mkdir -p /var/log/fx
ip -ts monitor link >/var/log/fx/link.log 2>&1 &
(xenstore-watch /local/domain | while read -r p t; do echo \"\$EPOCHREALTIME \$p\"; done) >/var/log/fx/watch.log 2>&1 &
stat -c %s /var/log/xen/xenstored-trace.log >/var/log/fx/trace0"
}
# REC NAME: a mark in the fixture's timeline (in a host's script)
REC='rec() { [ -d /var/log/fx ] && echo "$EPOCHREALTIME xl $*" >>/var/log/fx/xl.log; true; }'
rec_collect() {
	local n
	[ -n "$XH_FIXTURE" ] || return 0
	mkdir -p "$XH_FIXTURE"
	for n in 1 2; do
		xh "$n" "tail -c +\$((\$(cat /var/log/fx/trace0) + 1)) /var/log/xen/xenstored-trace.log >/var/log/fx/trace.log; clk skew 192.0.2.1 1797 >/var/log/fx/skew-to-h1"
		for f in link watch xl trace skew-to-h1; do
			xh "$n" "cat /var/log/fx/$f.log 2>/dev/null || cat /var/log/fx/$f" | grep -v '^__RC=' >"$XH_FIXTURE/h$n.$f"
		done
	done
}

# ---- 1. xenstore-write /vnet/97/bridge vnet97 -> vn vnet-list up --------------
vnet_up() {
	local n=$1 p=$(( 3 - $1 ))
	rec_start "$n" || return 1
	xh "$n" "
set -e
xenstore-write /vnet/97/bridge vnet97
for i in \$(seq 300); do [ \"\$(xenstore-read /vnet/97/state 2>/dev/null)\" = up ] && break; sleep 0.2; done
vn vnet-list
vn vnet-list | grep -qE '^97 +vnet97 +vnif97 .* up\$'
# the flood-and-learn reference: a bridge and a learning VXLAN, flooding to the peer
ip link add flx97 type vxlan id 4097 local 192.0.2.$n dstport 4789 learning
bridge fdb append 00:00:00:00:00:00 dev flx97 dst 192.0.2.$p
ip link add fl97 type bridge
ip link set flx97 master fl97
ip link set flx97 up
ip link set fl97 up
ip addr add 198.51.100.$((250 + n))/25 dev fl97
"
}

# ---- 2. xl create, vn vifs / varp, remote FDB ----------------------------------
create() {
	local n=$1 name=d$1 type cfg
	case $n in 1) type=pvh; cfg=$(xh_cfg d1 pvh 1 vnet97 fl97) ;;
	2) type=pv; cfg=$(xh_cfg d2 pv 2 vnet97/vif-vnet fl97) ;; esac
	xh "$n" "
set -e
$REC
cat >/etc/xen/$name.cfg <<'CFG'
$cfg
CFG
t0=\$EPOCHREALTIME
rec create-start $name
xl create /etc/xen/$name.cfg
rec create-end $name
echo \"xl create $name ($type): \$(echo \"\$EPOCHREALTIME - \$t0\" | bc) s\"
for i in \$(seq 600); do grep -q DOMU-READY /var/log/xen/console/guest-$name.log 2>/dev/null && break; sleep 0.5; done
grep DOMU-READY /var/log/xen/console/guest-$name.log
"
}

# wait_cmd N SECS DESC SCRIPT: SCRIPT (in host N) until it succeeds.
wait_in() {
	xh "$1" "for i in \$(seq $(( $2 * 2 ))); do { $4 ; } >/dev/null 2>&1 && exit 0; sleep 0.5; done; echo 'timeout: $3'; exit 1"
}

attached() {
	local n=$1 me peer pip
	me=$([ "$n" = 1 ] && echo $D1MAC || echo $D2MAC)
	peer=$([ "$n" = 1 ] && echo $D2MAC || echo $D1MAC)
	pip=192.0.2.$(( 3 - n ))
	wait_in "$n" 60 "the peer's MAC in vn varp and the FDB" \
		"vn varp | grep -q '$peer.*$pip' && bridge fdb show dev vnif97 | grep -q '$peer.*dst $pip'" || return 1
	xh "$n" "
set -e
vn vifs; vn varp; bridge fdb show dev vnif97 | grep 00:16:3e
vn vifs | grep -q '$me'
ls /sys/class/net/vnet97/brif | grep -q '^vif'
xenstore-ls -f /local/domain/0/backend/vif | grep -E '/(mtu|hotplug-status|state|script) '
"
}

# ---- 3. domU <-> domU with the guests at their default MTU ---------------------
traffic() {
	xd 2 2 "
set -e
ip -br link show eth0
ping -c 3 -W 5 198.51.100.1
[ -n '$XH_REDUCED$XH_BENCH' ] && exit 0
echo '== ping -s 1472, DF'; ping -c 3 -W 5 -M do -s 1472 198.51.100.1
echo '== ping -s 1472, no DF'; ping -c 3 -W 5 -M dont -s 1472 198.51.100.1
echo '== iperf3 TCP'; iperf3 -c 198.51.100.1 -t 3 -f m | tail -4
echo '== iperf3 UDP, 1472-byte datagrams'; iperf3 -c 198.51.100.1 -u -b 20M -l 1472 -t 3 -f m | tail -4
"
}

# ---- 4. xl migrate d1 while d2 pings it every 10 ms: ours and flood-and-learn ---
# One migration moves both of d1's vifs: the same guest pause for both paths.
migrate() {
	local k=$1 src=$2 dst=$3 skew p0 p1 mig out
	skew=$(xh "$src" "clk skew 192.0.2.$dst 1797") || return 1
	p0=$(xd "$src" 1 clk) || return 1
	xd 2 2 "
rm -f /tmp/p0 /tmp/p1
ping -D -i 0.01 -W 1 198.51.100.1 >/tmp/p0 2>&1 &
ping -D -i 0.01 -W 1 198.51.100.129 >/tmp/p1 2>&1 &
sleep 1" >/dev/null
	xh "$dst" "socat TCP-LISTEN:8002,reuseaddr EXEC:'xl migrate-receive' >/var/log/xen/migrate-receive.log 2>&1 &
sleep 0.5" >/dev/null
	mig=$(xh "$src" "$REC
t0=\$EPOCHREALTIME
rec migrate-start d1 to h$dst
xl migrate -s '' d1 'socat - TCP:192.0.2.$dst:8002' 2>&1 | tail -3
rc=\${PIPESTATUS[0]}
rec migrate-end d1 to h$dst
echo \"xl-migrate-s \$(echo \"\$EPOCHREALTIME - \$t0\" | bc)\"
exit \$rc") || { echo "$mig"; return 1; }
	echo "$mig"
	# d1's own pause (its boottime - monotonic jump, less the clocks' skew)
	p1=$(xd "$dst" 1 clk) || return 1
	# d2 stops pinging once d1 answers again on both paths
	out=$(xd 2 2 "
for i in \$(seq 120); do
	[ \$(tail -n 3 /tmp/p0 | grep -c 'bytes from') -ge 2 ] && [ \$(tail -n 3 /tmp/p1 | grep -c 'bytes from') -ge 2 ] && break
	sleep 0.5
done
sleep 1
kill -INT %1 %2 2>/dev/null; kill -INT \$(pidof ping) 2>/dev/null; sleep 1
for f in /tmp/p0 /tmp/p1; do
	awk -v f=\$f '/bytes from/ { gsub(/[][]/, \"\", \$1); if (last != \"\" && \$1 - last > gap) gap = \$1 - last; last = \$1 }
	/packets transmitted/ { tx = \$1; rx = \$4 }
	END { printf \"%s lost %d blackout %.3f\\n\", f, tx - rx, gap }' \$f
done")
	echo "$out"
	read -r off rtt <<<"$skew"
	awk -v k="$k" -v a="$p0" -v b="$p1" -v off="$off" -v rtt="$rtt" -v mig="$mig" -v out="$out" 'BEGIN {
		split(out, l, "\n")
		for (i in l) { split(l[i], w, " "); if (w[1] == "/tmp/p0") { lo = w[3]; bo = w[5] } if (w[1] == "/tmp/p1") { lf = w[3]; bf = w[5] } }
		n = split(mig, m, " "); secs = m[n]
		pause = b - a - off
		printf "MIG %d ours_lost %d ours_blackout_s %.3f flood_lost %d flood_blackout_s %.3f guest_pause_s %.3f clock_skew_s %.3f skew_rtt_s %.3f xl_migrate_s %s\n", k, lo, bo, lf, bf, pause, off, rtt, secs
	}'
	# the MAC moved: the source's FDB and vn varp point at the target
	wait_in "$src" 60 "d1's MAC at 192.0.2.$dst on h$src" \
		"vn varp | grep -q '$D1MAC.*192.0.2.$dst' && bridge fdb show dev vnif97 | grep -q '$D1MAC.*dst 192.0.2.$dst'"
}

migrations() {
	local k src=1 dst=2
	for ((k = 1; k <= XH_MIGRATIONS; k++)); do
		migrate "$k" "$src" "$dst" || return 1
		src=$dst
		dst=$(( 3 - dst ))
	done
	D1HOST=$src
}

# ---- 5. nothing stale; the refused delete; a vif waiting for its vnet ----------
delete_refused() {
	xh "${D1HOST:-1}" "
vn vnet-delete 97; rc=\$?
echo \"vn vnet-delete 97 with d1 attached: status \$rc\"
[ \$rc != 0 ] && xenstore-read /vnet/97/bridge && vn vnet-list | grep -q '^97 .* up'
"
}

teardown() {
	xh "${D1HOST:-1}" "$REC; rec destroy-start d1; xl destroy d1 && echo destroyed d1; rec destroy-end d1" &&
		xh 2 "$REC; rec shutdown-start d2; xl shutdown -w d2 && echo shut down d2; rec shutdown-end d2"
}

clean() {
	local n=$1
	wait_in "$n" 60 "no vif, FDB entry or MAC left on h$n" "
[ -z \"\$(ls /sys/class/net/vnet97/brif | grep vif)\" ] &&
! bridge fdb show dev vnif97 | grep -qE '$D1MAC|$D2MAC' &&
! vn varp | grep -qE '$D1MAC|$D2MAC' &&
[ -z \"\$(xenstore-list /local/domain/0/backend/vif 2>/dev/null)\" ]" || {
		xh "$n" "ls /sys/class/net/vnet97/brif; bridge fdb show dev vnif97; vn varp; xenstore-ls -f /local/domain/0/backend"
		return 1
	}
	xh "$n" "vn vifs; vn varp; vn hosts"
}

late_vnet() {
	local cfg
	cfg=$(xh_cfg d3 pv 3 vnet98/vif-vnet)
	xh 1 "
cat >/etc/xen/d3.cfg <<'CFG'
$cfg
CFG
xl create /etc/xen/d3.cfg >/tmp/d3.log 2>&1 &
sleep 1
xenstore-write /vnet/98/bridge vnet98
wait %1; rc=\$?
cat /tmp/d3.log
[ \$rc = 0 ] || exit 1
ls /sys/class/net/vnet98/brif
ls /sys/class/net/vnet98/brif | grep -q '^vif'
tail -5 /var/log/xen/xen-hotplug.log
xl destroy d3
"
}

# ---- the bad-MAC counts (issue 12's open question) ---------------------------
hosts_counts() {
	xh "$1" "vn hosts; vn status | grep -iE 'mac|bad' || true"
}

xh_step "boot h1 and h2 (Xen 4.17 + dom0)" boot || exit 1
xh_step "1. /vnet/97/bridge written -> vnet97 up on h1 and h2" both vnet_up || exit 1
xh_step "2. xl create d1 (PVH, vif-bridge + hook) on h1, d2 (PV, vif-vnet) on h2" both create || exit 1
xh_step "2. vn vifs, vn varp and remote FDB entries on both hosts" both attached || exit 1
xh_step "3. d2 -> d1 across hosts$([ -z "$XH_REDUCED$XH_BENCH" ] && echo ": ping, ping -s 1472, iperf3 TCP/UDP") (guests at MTU 1500)" traffic || exit 1
if [ -z "$XH_REDUCED" ]; then
	xh_step "4. xl migrate d1 (PVH) x$XH_MIGRATIONS while d2 pings it every 10 ms, ours and flood-and-learn" migrations || exit 1
fi
xh_step "5. vn vnet-delete 97 with d1 attached refuses" delete_refused || exit 1
xh_step "5. xl destroy d1, xl shutdown d2" teardown || exit 1
xh_step "5. nothing stale on h1 and h2 (vifs, FDB, vn varp, backend keys)" both clean || exit 1
if [ -z "$XH_REDUCED$XH_BENCH" ]; then
	xh_step "5. a vif whose vnet is defined a moment after xl create is attached (vif-vnet waits)" late_vnet || exit 1
fi
xh_step "bad-MAC counts (vn hosts)" both hosts_counts || exit 1
[ -z "$XH_FIXTURE" ] || xh_step "fixture: the recordings of both hosts" rec_collect || exit 1
printf 'xen scenario: %d failed, %d emulation-flake retries, %.0f s in all\n' "$XH_FAILS" "$XH_FLAKES" \
	"$(echo "$(date +%s.%N) - $XH_T0" | bc)"
[ "$XH_FAILS" = 0 ]
