#!/bin/bash
# xenvnetd on a kernel without nftables (no nfnetlink; seen on the emulated
# Xen hosts' dom0, tests/vm/xen): libnftables exit()s its process when it
# cannot open its netlink socket, and took the daemon with it, silently,
# right after its start.  The daemon must stay up, bring its vnets up,
# attach the vifs and say why they are not locked.  A preloaded shim makes
# socket(AF_NETLINK, ..., NETLINK_NETFILTER) fail with EPROTONOSUPPORT, as
# such a kernel does (the rest of the kernel is the real one).
#
#   d1 198.51.100.1
#     |
#   vif1.0 -- [vnet97] h1 192.0.2.1 (its daemon sees no nftables)
set -e
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init "$1"
so=$LAB_DIR/no_nfnetlink.so
cc -shared -fPIC -o "$so" -x c - -ldl <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>
int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	if (domain == AF_NETLINK && protocol == NETLINK_NETFILTER) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (!real)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	return real(domain, type, protocol);
}
C
lab_switch
lab_host 1 nodaemon

lab_step "the daemon starts on a kernel without nftables"
# ASan wants to come first among the preloads; the shim has no allocations
LAB_ASAN_OPTIONS="$LAB_ASAN_OPTIONS:verify_asan_link_order=0" LD_PRELOAD=$so lab_daemon_start 1
xs 1 write /vnet/97/bridge vnet97
lab_vnet_up 1 97
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_wait 10 "vif1.0 in vnet97" eval "ip -n ${LAB_PREFIX}h1 -o link show dev vif1.0 | grep -q 'master vnet97'" ||
	lab_fail "vif1.0 not attached to vnet97"
lab_wait 10 "the reason in the log" grep -q 'vif locks: no nftables in the kernel' "$LAB_DIR/h1/daemon.log" ||
	lab_fail "no log line saying the vifs are not locked$(lab_daemon_alive 1 || echo ', and the daemon is dead')"
lab_daemon_alive 1 || lab_fail "the daemon died: $(tail -3 "$LAB_DIR/h1/daemon.log")"
lab_log "$(grep -m1 'no nftables' "$LAB_DIR/h1/daemon.log")"

lab_step "it stops cleanly"
lab_daemon_stop 1 || lab_fail "the daemon did not exit cleanly"
lab_log ok
