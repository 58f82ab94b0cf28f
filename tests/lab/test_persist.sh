#!/bin/bash
# Persistence.  (1) xenvnetd stopped, xenstored restarted empty, xenvnetd
# started: the saved definitions are written back and the running devices
# adopted.  (2) A reboot of h1: devices and store gone, daemon started:
# vnets restored in xenstore and in the kernel, domains talk again.
# (3) A burst of definitions (more than one save batch) and their
# deletions reach the state directory; a daemon killed (-9) right after
# loses none, and temp files a crash left behind are ignored.  (4) A vnet
# deleted while the daemon is down stays deleted.
#
#   d1 198.51.100.1                          d2 198.51.100.2
#     |                                        |
#   vif1.0-[vnet97]-vnif97      vnif97-[vnet97]-vif2.0
#   [vn-long]-vx-long (id 0-0-0-0-0-0-1-2, mtu 1400)
#      h1 (stopped, "rebooted") -- sw0 -- h2
set -e
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init "$1"
lab_hosts 2

long=0-0-0-0-0-0-1-2
for h in 1 2; do
	xs $h write /vnet/97/bridge vnet97
done
xs 1 write /vnet/$long/bridge vn-long /vnet/$long/vnetif vx-long /vnet/$long/mtu 1400
xs 1 write /vnet/98/bridge vnet98
lab_vnet_up 1 97
lab_vnet_up 2 97
lab_vnet_up 1 $long
lab_vnet_up 1 98
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
lab_ping 1 198.51.100.2
xs 1 rm /vnet/98
lab_wait_link 1 vnet98 gone
idx=$(lab_ifindex 1 vnif97)

# check_restored: both definitions in xenstore, up, devices exactly once.
check_restored() {
	lab_wait_xs 1 /vnet/97/bridge vnet97
	lab_vnet_up 1 97
	lab_vnet_up 1 $long
	local keys
	keys=$(xs 1 list /vnet | sort | tr '\n' ' ')
	[ "$keys" = "$long 97 " ] || lab_fail "/vnet holds '$keys', expected '$long 97 '"
	for kv in bridge=vn-long vnetif=vx-long mtu=1400; do
		[ "$(xs_get 1 /vnet/$long/${kv%%=*})" = "${kv#*=}" ] ||
			lab_fail "/vnet/$long/${kv%%=*} is '$(xs_get 1 /vnet/$long/${kv%%=*})', not '${kv#*=}'"
	done
	[ "$(lab_links 1 vxlan | tr '\n' ' ')" = "vnif97 vx-long " ] ||
		lab_fail "vxlan devices on h1: $(lab_links 1 vxlan | tr '\n' ' ')"
	[ "$(lab_links 1 bridge | tr '\n' ' ')" = "vn-long vnet97 " ] ||
		lab_fail "bridges on h1: $(lab_links 1 bridge | tr '\n' ' ')"
	h1 ip -o link show dev vx-long | grep -q " mtu 1400 " || lab_fail "vx-long's mtu is not 1400"
}

lab_step "stop xenvnetd, restart xenstored empty, start xenvnetd"
lab_daemon_stop 1
lab_xenstored_restart 1
lab_daemon_start 1
check_restored
[ "$(lab_ifindex 1 vnif97)" = "$idx" ] || lab_fail "vnif97 was recreated instead of adopted"
lab_ping 1 198.51.100.2
lab_log "restored into xenstore, devices adopted"

lab_step "\"reboot\" h1: stop everything, devices gone, store empty"
lab_daemon_stop 1
lab_xenstored_kill 1
for d in vnet97 vnif97 vn-long vx-long; do
	h1 ip link del "$d"
done
lab_xenstored_start 1
lab_daemon_start 1
check_restored
# The domain comes back too: recreate its backend keys and plug it again.
ip -n "${LAB_PREFIX}d1" link set eth0 down
lab_domain_keys 1 1 00:16:3e:00:00:01 vnet97
lab_plug 1 1
ip -n "${LAB_PREFIX}d1" link set eth0 up
lab_ping 1 198.51.100.2 3
lab_log "restored into xenstore and the kernel, domains talk"

lab_step "80 definitions at once, kill -9 once saved, store emptied: all restored"
sd=$LAB_DIR/h1/state/vnets
burst=() args=()
for i in $(seq 1 80); do
	k=$(printf 'c%02x' "$i")
	burst+=("$k")
	args+=("/vnet/$k/bridge" "br-$k")
done
xs 1 write "${args[@]}"
# saved K...: every K has its file in the state directory (or, with !, none has)
saved() {
	local k neg=
	[ "$1" != ! ] || { neg=1; shift; }
	for k in "$@"; do
		if [ -n "$neg" ]; then [ ! -e "$sd/$k" ] || return 1; else [ -e "$sd/$k" ] || return 1; fi
	done
}
lab_wait 60 "80 definitions saved" saved "${burst[@]}" || lab_fail "saved: $(ls "$sd" | tr '\n' ' ')"
[ "$(cat "$sd/c50")" = bridge=br-c50 ] || lab_fail "the state file of c50 holds '$(cat "$sd/c50")'"
# What a crash between writing and renaming leaves: never restored.
echo bridge=br-evil >"$sd/.c01.tmp"
echo bridge=br-evil >"$sd/.e0.tmp"
lab_daemon_kill 1
lab_xenstored_restart 1
lab_daemon_start 1
for k in "${burst[@]}"; do lab_vnet_up 1 "$k" 60; done
[ "$(xs_get 1 /vnet/c01/bridge)" = br-c01 ] || lab_fail "/vnet/c01/bridge is '$(xs_get 1 /vnet/c01/bridge)'"
xs 1 exists /vnet/e0 && lab_fail "a leftover temp file was restored as vnet e0"
for k in "${burst[@]}"; do xs 1 rm "/vnet/$k"; done
lab_wait 60 "80 deletions saved" saved ! "${burst[@]}" || lab_fail "left: $(ls "$sd" | tr '\n' ' ')"
lab_daemon_kill 1
lab_xenstored_restart 1
lab_daemon_start 1
lab_sync 1
check_restored
lab_log "80 definitions and their deletions saved; leftover temp files ignored"

lab_step "a vnet deleted while xenvnetd is down stays deleted"
lab_daemon_stop 1
xs 1 rm /vnet/$long
lab_daemon_start 1
lab_sync 1
lab_vnet_up 1 97
xs 1 exists /vnet/$long && lab_fail "deleted vnet $long was restored"
lab_wait_link 1 vx-long gone
lab_wait_link 1 vn-long gone
lab_daemon_stop 1
lab_xenstored_restart 1
lab_daemon_start 1
lab_vnet_up 1 97
lab_sync 1
[ "$(xs 1 list /vnet | tr '\n' ' ')" = "97 " ] || lab_fail "/vnet holds '$(xs 1 list /vnet | tr '\n' ' ')' after a restore"
lab_log "ok"
