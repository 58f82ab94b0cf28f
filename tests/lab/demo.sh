#!/bin/bash
# tests/lab/demo.sh BUILD_DIR: xenvnet in one minute, for a human.
#
# Two simulated Xen hosts (network namespaces, each with its own xenstored
# and xenvnetd) define vnet 97 with one xenstore write each; a domain on
# each host joins it, and they ping each other across the VXLAN tunnel.
#
#   d1 198.51.100.1                          d2 198.51.100.2
#     |                                        |
#   vif1.0-[vnet97]-vnif97      vnif97-[vnet97]-vif2.0
#            h1 eth0 192.0.2.1 -- sw0 -- 192.0.2.2 eth0 h2
set -e
# shellcheck source=tests/lab/lib_cluster.sh
. "$(dirname "$0")/lib_cluster.sh"
lab_init "${1:-build}"
VN=$LAB_BUILD/tools/vn

# show WHERE CMD...: print the command as typed at WHERE's prompt, run it
# there and indent its output.  WHERE is h1, h2, d1 or d2.
show() {
	local where=$1
	shift
	printf '\n[%s]# %s\n' "$where" "$*"
	case $where in
	h*) ip netns exec "$LAB_PREFIX$where" env XENSTORED_PATH="$LAB_DIR/${where}/xs/socket" \
		VN_SOCKET="$LAB_DIR/${where}/ctl.sock" "$@" 2>&1 | sed 's/^/    /' ;;
	*) ip netns exec "$LAB_PREFIX$where" "$@" 2>&1 | sed 's/^/    /' ;;
	esac
}

# show_some WHERE REGEX CMD...: show, keeping only the lines matching REGEX.
show_some() {
	local where=$1 re=$2
	shift 2
	printf '\n[%s]# %s   (abridged)\n' "$where" "$*"
	ip netns exec "$LAB_PREFIX$where" "$@" 2>&1 | grep -E "$re" | sed 's/^/    /'
}

say() { printf '\n--- %s\n' "$*"; }

say "Two Xen hosts h1 and h2 on one LAN (192.0.2.0/24), each running xenstored and xenvnetd"
say "(sharing a cluster key, so they tell each other where each domain's MAC lives)"
lc_key
lab_switch
lc_host 1
lc_host 2

say "Define vnet 97 on each host: one xenstore write"
show h1 xenstore-write /vnet/97/bridge vnet97
show h2 xenstore-write /vnet/97/bridge vnet97
lab_vnet_up 1 97
lab_vnet_up 2 97
show h1 xenstore-ls /vnet
show h2 xenstore-ls /vnet

say "Start a domain on each host with vif = ['bridge=vnet97']"
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
printf '    d1 (on h1): 198.51.100.1, MAC 00:16:3e:00:00:01\n'
printf '    d2 (on h2): 198.51.100.2, MAC 00:16:3e:00:00:02\n'

say "d1 pings d2 across the vnet"
show d1 ping -c 3 -i 0.2 198.51.100.2

say "What xenvnetd built on h1"
if [ -x "$VN" ]; then
	show h1 "$VN" vnets -a
	show h1 "$VN" vnifs
	show h1 "$VN" vifs
fi
show h1 ip -br link show type bridge
show_some h1 'vnif97:|vxlan id|alias' ip -d link show dev vnif97
show h1 bridge fdb show dev vnif97

say "Delete the vnet on h1: its bridge and tunnel go, nothing else"
show h1 xenstore-rm /vnet/97
lab_wait_link 1 vnet97 gone
show h1 ip -br link

say "Tearing the lab down"
