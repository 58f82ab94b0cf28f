#!/bin/bash
# A cluster mixing control = own and control = evpn (issue #15) is not
# supported, and does what xenvnetd.conf(5) says: the vnet splits in two
# (the own host floods to its multicast group and announces by our
# protocol, the evpn hosts flood to the VTEPs BGP names), so no guest
# reaches across, even on the same VXLAN port; the own host's `vn evpn`
# and `vn frr-config` name its mode.
#
#   d1 .1        d2 .2        d3 .3                   (198.51.100.0/24, vnet 97)
#    |            |            |
#   h1 (evpn)    h2 (evpn)    h3 (own, port 4789 too)      rr 192.0.2.100 (FRR only)
#    \____________|____________|___________________________/  sw
set -e
. "$(dirname "$0")/lib_evpn.sh"
lab_init "$1"

lab_step "h1, h2 on EVPN; h3 on our own protocol, same port"
le_cluster 2
LC_NODAEMON=1 lc_host 3
lc_daemon_start 3 -c "$(lc_config 3 port=$LE_PORT)"
xs 3 write /vnet/97/bridge vnet97
lab_vnet_up 3 97
lc_wait_control 3
for h in 1 2 3; do lab_domain $h $h 198.51.100.$h 00:16:3e:00:00:0$h vnet97; done
le_wait_remote 1 00:16:3e:00:00:02 192.0.2.2
lab_ping 1 198.51.100.2

lab_step "the vnet is split: nothing crosses between h3 and the EVPN hosts"
if d1 ping -c 3 -i 0.2 -W 1 198.51.100.3 >/dev/null 2>&1; then lab_fail "d1 reached d3 across modes"; fi
if d3 ping -c 3 -i 0.2 -W 1 198.51.100.2 >/dev/null 2>&1; then lab_fail "d3 reached d2 across modes"; fi
[ -z "$(le_remote_dst 1 00:16:3e:00:00:03)" ] || lab_fail "h1 has d3's MAC: $(lc_fdb 1 | tr '\n' ';')"
[ "$(lc_counter 3 hosts)" = 0 ] || lab_fail "h3 hears $(lc_counter 3 hosts) hosts"

lab_step "the own host says which mode it runs"
if out=$(lc_vn 3 evpn 2>&1); then lab_fail "vn evpn on an own host succeeded: $out"; fi
grep -q "runs control = own" <<<"$out" || lab_fail "vn evpn on h3: $out"
out=$(lc_vn 3 frr-config 2>&1 >/dev/null) || true
grep -qE "evpn_neighbors is empty|runs control = own" <<<"$out" || lab_fail "vn frr-config on h3: $out"
