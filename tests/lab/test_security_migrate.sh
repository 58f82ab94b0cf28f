#!/bin/bash
# Live migration on a conf vnet (issue 13): a guest on vnet 99 (conf: ESP
# between every pair of hosts) is migrated back and forth between h1 and h2
# (lab_migrate, a new domid each time) while d3 on h3 pings it every 10 ms.
# Every migration gets replies, none far off (lc_mig_check; the target of
# at most one lost ping is measured by make bench); h3's static FDB entry
# follows the guest; nothing of the vnet crosses the switch in clear.
#
#                 guest 198.51.100.10 00:16:3e:00:99:10 (domid 10, 11, ...)
#                 |  <---- migrates ---->  |
#   [vnet99] h1 192.0.2.1            [vnet99] h2 192.0.2.2      [vnet99] h3 192.0.2.3
#                                                                  |
#                                                                d3 198.51.100.3 (an echo request every 10 ms)
#   h1, h2, h3 on sw0 (tcpdump); daemons with one cluster key; vnet 99 conf
set -e
# shellcheck source=tests/lab/lib_esp.sh
. "$(dirname "$0")/lib_esp.sh"
lab_init "$1"
esp_need_kernel
N=${MIG_COUNT:-20}
GM=00:16:3e:00:99:10 GIP=198.51.100.10

# For lc_mig_loop: the conf vnet's tunnel device, not vnet 97's.
mig_wait_fdb() { lc_wait_fdb "$1" "$2" "$3" "$4" vnif99; }
LC_MIG_WAIT=mig_wait_fdb

lab_step "three hosts, conf vnet 99, the guest on h1, the pinger on h3"
lc_key
lab_switch
for h in 1 2 3; do lc_host $h; done
for h in 1 2 3; do xs $h write /vnet/99/bridge vnet99 /vnet/99/security conf; done
for h in 1 2 3; do
	lab_vnet_up $h 99 20
	lc_wait_control $h
done
lab_mdomain 1 10 $GIP $GM vnet99
lab_domain 3 3 198.51.100.3 00:16:3e:00:99:03 vnet99
# A Linux guest without IPv6: its only announcement is the gratuitous ARP.
d10 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
mig_wait_fdb 3 $GM 192.0.2.1 20
mig_wait_fdb 2 $GM 192.0.2.1 20
lab_wait 30 "d3 reaches the guest" d3 ping -n -c 1 -W 1 $GIP ||
	lab_fail "d3 cannot reach the guest $(esp_dump 1; esp_dump 3)"
lab_ping 3 $GIP 3

lab_step "$N migrations h1 <-> h2, d3 pinging the guest every 10 ms"
esp_capture wire sw sw0 udp and port 1801
lc_mig_pinged $GIP "$N" $GM 10 0.15
src=$LC_MIG_AT

lab_step "lost pings per migration"
lc_mig_check "$LAB_DIR/ping.g" d10 "$N" - "conf guest"

lab_step "the FDB followed, and nothing went in clear"
mig_wait_fdb 3 $GM "192.0.2.$src" 10
lab_ping 3 $GIP 3
esp_capture_stop wire
n=$(esp_pcap_count wire 'udp and port 1801')
[ "$n" = 0 ] || lab_fail "$n clear datagrams of the conf vnet on the wire during the migrations"
for h in 1 2 3; do lab_san_check $h; done
lab_log "$N migrations on a conf vnet"
