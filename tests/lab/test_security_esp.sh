#!/bin/bash
# Security levels on the wire (issue 13): vnets 97 (none), 98 (auth) and 99
# (conf) between the same two hosts; h3 holds no key and forges frames.
#
#   d1 .1 (97)  d3 .3 (98)  d5 .5 (99)          d2 .2 (97)  d4 .4 (98)  d6 .6 (99)
#      |           |           |                   |           |           |
#   [vnet97]    [vnet98]    [vnet99]            [vnet97]    [vnet98]    [vnet99]
#   vnif97:1798 vnif98:1800 vnif99:1801         (same on h2)
#              h1 192.0.2.1 ------ sw0 (tcpdump) ------ 192.0.2.2 h2
#                                   |
#                              h3 192.0.2.3 (no daemon, no key: the forger)
#
# All three pair up; on the switch the conf payload (unicast and broadcast)
# never appears, the auth payload is readable but inside ESP, the none
# payload is plain VXLAN; no clear datagram to 1800/1801 and nothing of 98
# or 99 on the multicast group.  A clear VXLAN frame forged to 1801 is
# dropped by h1's kernel (XfrmInTmplMismatch grows, d5 never sees it) while
# the same frame to 1798 reaches d1 (the forgery is well made).
set -e
# shellcheck source=tests/lab/lib_esp.sh
. "$(dirname "$0")/lib_esp.sh"
lab_init "$1"
esp_need_kernel

lab_step "three vnets, one per level, on h1 and h2"
lc_key
lab_switch
lc_host 1
lc_host 2
LC_NODAEMON=1 lc_host 3
for h in 1 2; do
	xs $h write /vnet/97/bridge vnet97 /vnet/98/bridge vnet98 /vnet/98/security auth \
		/vnet/99/bridge vnet99 /vnet/99/security conf
done
for h in 1 2; do
	for v in 97 98 99; do lab_vnet_up $h $v 20; done
	lc_wait_control $h
	info=$(h$h ip -d -o link show dev vnif99)
	case $info in *"dstport 1801 "*) ;; *) lab_fail "h$h: vnif99 not on port 1801: $info" ;; esac
	# The group is an all-zero FDB entry, not a device parameter (dp_group.h).
	fdb=$(h$h bridge fdb show dev vnif99)
	! echo "$info $fdb" | grep -qE '(group|dst) 2(2[4-9]|3[0-9])\.' ||
		lab_fail "h$h: conf tunnel has a multicast group: $info $fdb"
	case $(h$h ip -d -o link show dev vnif98) in *"dstport 1800 "*) ;; *) lab_fail "h$h: vnif98 not on 1800" ;; esac
	case $(h$h ip -d -o link show dev vnif97) in *"dstport 1798 "*) ;;
		*) lab_fail "h$h: the none vnet changed: $(h$h ip -d -o link show dev vnif97)" ;; esac
	h$h bridge fdb show dev vnif97 | grep -q '^00:00:00:00:00:00 dst 224\.10\.0\.1 ' ||
		lab_fail "h$h: the none vnet lost its group: $(h$h bridge fdb show dev vnif97)"
done

lab_step "domains on each level ping across"
lab_domain 1 1 198.51.100.1 00:16:3e:00:97:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:97:02 vnet97
lab_domain 1 3 198.51.100.3 00:16:3e:00:98:03 vnet98
lab_domain 2 4 198.51.100.4 00:16:3e:00:98:04 vnet98
lab_domain 1 5 198.51.100.5 00:16:3e:00:99:05 vnet99
lab_domain 2 6 198.51.100.6 00:16:3e:00:99:06 vnet99
for p in "1 198.51.100.2" "3 198.51.100.4" "5 198.51.100.6"; do
	set -- $p
	lab_wait 20 "d$1 reaches $2" d$1 ping -n -c 1 -W 1 "$2" || lab_fail "d$1 cannot reach $2 ($(esp_sa_count 1) SAs on h1)
$(esp_dump 1; esp_dump 2)"
	lab_ping "$1" "$2" 5
done

lab_step "on the wire: conf hidden, auth readable inside ESP, none clear"
esp_capture wire sw sw0
esp_udp_send 5 198.51.100.6 9 XVN-CONF-UNICAST
esp_udp_send 5 198.51.100.255 9 XVN-CONF-BROADCAST
esp_udp_send 3 198.51.100.4 9 XVN-AUTH-UNICAST
esp_udp_send 1 198.51.100.2 9 XVN-NONE-UNICAST
lab_ping 5 198.51.100.6 3
# The readable payloads, waited for (tcpdump writes when it gets to it).
lab_wait 10 "the none payload on the wire" esp_pcap_has wire XVN-NONE-UNICAST ||
	lab_fail "the none payload is not on the wire in clear"
lab_wait 10 "the auth payload on the wire" esp_pcap_has wire XVN-AUTH-UNICAST ||
	lab_fail "the auth payload is not readable on the wire (auth is not encryption)"
esp_capture_stop wire
! esp_pcap_has wire XVN-CONF-UNICAST || lab_fail "the conf unicast payload is on the wire in clear"
! esp_pcap_has wire XVN-CONF-BROADCAST || lab_fail "the conf broadcast payload is on the wire in clear"
n=$(esp_pcap_count wire 'udp and (port 1800 or port 1801)')
[ "$n" = 0 ] || lab_fail "$n clear datagrams of secured vnets on the wire"
n=$(esp_pcap_count wire 'esp')
[ "$n" -gt 0 ] || lab_fail "no ESP packet on the wire"
n=$(esp_pcap_count wire 'udp and port 1798')
[ "$n" -gt 0 ] || lab_fail "the none vnet is not plain VXLAN on 1798"
lab_log "ESP packets: $(esp_pcap_count wire esp), clear to 1800/1801: 0"

lab_step "a clear frame forged by h3 to the conf port is dropped"
before=$(esp_stat 1 XfrmInTmplMismatch)
esp_capture d5 "$(lab_dom_ns 5 | sed "s/^$LAB_PREFIX//")" eth0 udp
esp_capture d1 "$(lab_dom_ns 1 | sed "s/^$LAB_PREFIX//")" eth0 udp
esp_forge h3 192.0.2.1 1801 $((0x99)) XVN-FORGED-CONF
esp_forge h3 192.0.2.1 1798 $((0x97)) XVN-FORGED-NONE
lab_wait 10 "the forged none frame at d1" esp_pcap_has d1 XVN-FORGED-NONE ||
	lab_fail "the control forgery never reached d1: the forge is broken"
lab_wait 10 "h1 counts the forged conf frames" esp_at_least $((before + 1)) esp_stat 1 XfrmInTmplMismatch ||
	lab_fail "XfrmInTmplMismatch did not grow ($before)"
esp_capture_stop d5
esp_capture_stop d1
! esp_pcap_has d5 XVN-FORGED-CONF || lab_fail "a clear forged frame reached the conf domain"
! h1 bridge fdb show dev vnif99 | grep -q 00:16:3e:66:66:66 || lab_fail "h1 learned the forged MAC on vnif99"
lab_log "XfrmInTmplMismatch $before -> $(esp_stat 1 XfrmInTmplMismatch)"

for h in 1 2; do lab_san_check $h; done
lab_log "levels on the wire ok"
