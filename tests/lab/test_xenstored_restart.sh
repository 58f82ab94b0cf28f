#!/bin/bash
# xenstored on h1 is killed (kill -9) and restarted with an empty store:
# xenvnetd notices (liveness probe), reconnects, writes its saved vnet
# definitions back and reports them up again; the domains keep talking.
#
#   d1 198.51.100.1                          d2 198.51.100.2
#     |                                        |
#   vif1.0-[vnet97]-vnif97      vnif97-[vnet97]-vif2.0
#   [vnet 0-0-0-0-0-0-1-2, vnetif vn-long, mtu 1400]
#      h1 (xenstored killed, restarted empty) -- sw0 -- h2
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
for h in 1 2; do
	lab_vnet_up $h 97
done
lab_vnet_up 1 $long
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
lab_ping 1 198.51.100.2

for round in 1 2; do
	lab_step "round $round: kill -9 xenstored on h1, restart it empty"
	lab_xenstored_kill 1
	sleep 0.3
	lab_xenstored_start 1
	# Probe every second, backoff up to 5 s: allow for both.
	lab_wait_xs 1 /vnet/97/bridge vnet97 15
	lab_vnet_up 1 97
	lab_vnet_up 1 $long
	lab_daemon_alive 1 || lab_fail "xenvnetd died"
	for kv in bridge=vn-long vnetif=vx-long mtu=1400; do
		[ "$(xs_get 1 /vnet/$long/${kv%%=*})" = "${kv#*=}" ] ||
			lab_fail "/vnet/$long/${kv%%=*} restored as '$(xs_get 1 /vnet/$long/${kv%%=*})', not '${kv#*=}'"
	done
	keys=$(xs 1 list /vnet | sort | tr '\n' ' ')
	[ "$keys" = "$long 97 " ] || lab_fail "/vnet holds '$keys' after the restore"
	[ "$(xs_get 1 /tool/xenvnetd/restored)" = 1 ] || lab_fail "/tool/xenvnetd/restored not written"
	lab_log "definitions restored, both vnets up"
done

lab_step "devices exactly once, domains still talk"
[ "$(lab_links 1 vxlan | tr '\n' ' ')" = "vnif97 vx-long " ] ||
	lab_fail "vxlan devices on h1: $(lab_links 1 vxlan | tr '\n' ' ')"
[ "$(lab_links 1 bridge | tr '\n' ' ')" = "vn-long vnet97 " ] ||
	lab_fail "bridges on h1: $(lab_links 1 bridge | tr '\n' ' ')"
h1 ip -o link show dev vx-long | grep -q " mtu 1400 " || lab_fail "vx-long lost its mtu 1400"
lab_ping 1 198.51.100.2 3
lab_log "ok"
