#!/bin/bash
# The vif hotplug scripts, run for real against a lab host: Xen's stock
# /etc/xen/scripts (vif-bridge and its libraries) with our vif-vnet in
# front and our vif-post.d hook after, as libxl's hotplug would call them.
#
#     d5 eth0 --- vif5.0 --(vif-vnet -> vif-bridge)--> vnet97   h1
#     d6 eth0 --- vif6.0 --(vif-vnet)--> nobr0: no vnet, no bridge: refused
#     d7 eth0 --- vif7.0 --(vif-vnet)--> vnet99 (security auth): refused,
#                 then offline keeps the refusal in hotplug-error
#     d8 eth0 --- vif8.0 --(vif-vnet, a slow xenstore)--> vnet9a, not up
#                 (daemon stopped): fails by the clock, not after N tries
set -e
. "$(dirname "$0")/lib.sh"
lab_init "$1"
lab_need_daemon
[ -x /etc/xen/scripts/vif-bridge ] || lab_fail "no /etc/xen/scripts/vif-bridge (make deps)"
lab_hosts 1

# Xen's scripts find each other through dirname "$0": a directory of links
# to the stock ones, plus ours, runs the stock flow untouched.
scripts=$LAB_DIR/scripts
mkdir -p "$scripts"
ln -s /etc/xen/scripts/* "$scripts/"
cp "$LAB_ROOT/hotplug/vif-vnet" "$scripts/"

# hotplug DOMID COMMAND: run vif-vnet as libxl's hotplug would (a relative
# XENBUS_PATH; stderr is xen-hotplug.log).  HOTPLUG_XS: another xenstored
# socket.
hotplug() {
	h1 env XENSTORED_PATH="${HOTPLUG_XS:-$LAB_DIR/h1/xs/socket}" vif="vif$1.0" \
		XENBUS_PATH="backend/vif/$1/0" XENVNET_WAIT="${XENVNET_WAIT:-5}" \
		"$scripts/vif-vnet" "$2" type_if=vif >>"$LAB_DIR/hotplug.log" 2>&1
}

be() { echo "/local/domain/0/backend/vif/$1/0"; }

lab_step "a vnet defined a moment before the vif: hotplug waits for it"
lab_domain 1 5 198.51.100.5 00:16:3e:00:00:05
xs 1 write /vnet/97/bridge vnet97 "$(be 5)/bridge" vnet97
hotplug 5 online || lab_fail "vif-vnet failed: $(xs_get 1 "$(be 5)/hotplug-error")"
[ "$(h1 cat /sys/class/net/vif5.0/master/ifindex)" = "$(lab_ifindex 1 vnet97)" ] ||
	lab_fail "vif5.0 is not a port of vnet97"
[ "$(xs_get 1 "$(be 5)/hotplug-status")" = connected ] || lab_fail "hotplug-status is not connected"
lab_log "vif5.0 plugged into vnet97"

lab_step "the post hook records the vnet's MTU in the backend"
xs 1 rm "$(be 5)/mtu" 2>/dev/null || true
lab_hook 1 "$(be 5)" vif5.0 vnet97
# The devices carry the underlay's MTU (1500), the vnet's is 50 bytes less.
[ "$(h1 cat /sys/class/net/vnet97/mtu)" = 1500 ] || lab_fail "vnet97's MTU is $(h1 cat /sys/class/net/vnet97/mtu), not the underlay's"
[ "$(xs_get 1 "$(be 5)/mtu")" = 1450 ] || lab_fail "backend mtu is '$(xs_get 1 "$(be 5)/mtu")', want 1450"
lab_log "backend mtu = 1450, devices 1500"

lab_step "a bridge no vnet defines, and that does not exist: refused"
lab_domain 1 6 198.51.100.6 00:16:3e:00:00:06
xs 1 write "$(be 6)/bridge" nobr0
if hotplug 6 online; then lab_fail "vif-vnet accepted bridge nobr0"; fi
err=$(xs_get 1 "$(be 6)/hotplug-error")
echo "$err" | grep -q "no vnet defines it" || lab_fail "unclear hotplug-error: '$err'"
[ "$(xs_get 1 "$(be 6)/hotplug-status")" = error ] || lab_fail "hotplug-status is not error"
lab_log "hotplug-error: $err"

lab_step "a vnet in error: refused with the daemon's reason"
lab_domain 1 7 198.51.100.7 00:16:3e:00:00:07
xs 1 write /vnet/99/bridge vnet99 /vnet/99/security auth "$(be 7)/bridge" vnet99
if hotplug 7 online; then lab_fail "vif-vnet accepted a vnet in error"; fi
err=$(xs_get 1 "$(be 7)/hotplug-error")
echo "$err" | grep -q "vnet 99.*error.*security" || lab_fail "unclear hotplug-error: '$err'"
lab_link_exists 1 vnet99 && lab_fail "a bridge for vnet 99 exists"
lab_log "hotplug-error: $err"

lab_step "offline after a refused online: the admin still sees our reason"
hotplug 7 offline || lab_fail "vif-vnet offline failed after a refused online"
err2=$(xs_get 1 "$(be 7)/hotplug-error")
[ "$err2" = "$err" ] || lab_fail "offline replaced hotplug-error '$err' with '$err2'"
lab_log "hotplug-error kept: $err2"

lab_step "a slow xenstore: the wait ends by the clock (XENVNET_WAIT=2)"
# Every xenstore request takes 0.5 s (a proxy in front of xenstored that
# holds each new connection), as a fork took under emulation: 40 tries of
# read + 50 ms sleep would take 22 s; libxl kills a script after 40 s.
# (A PATH wrapper would not do: Xen's scripts put /usr/bin first.)
python3 -c '
import os, socket, sys, threading, time
l = socket.socket(socket.AF_UNIX); l.bind(sys.argv[1]); l.listen(16)
def pipe(a, b):
    while True:
        d = a.recv(65536)
        if not d: break
        b.sendall(d)
    b.shutdown(socket.SHUT_WR)
def serve(c):
    time.sleep(0.5)
    u = socket.socket(socket.AF_UNIX); u.connect(sys.argv[2])
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    pipe(c, u)
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$LAB_DIR/slow.sock" "$LAB_DIR/h1/xs/socket" &
LAB_PIDS+=("$!")
lab_wait 5 "the slow xenstore proxy" test -S "$LAB_DIR/slow.sock" || lab_fail "no slow xenstore proxy"
lab_domain 1 8 198.51.100.8 00:16:3e:00:00:08
lab_daemon_stop 1
xs 1 write /vnet/9a/bridge vnet9a "$(be 8)/bridge" vnet9a
t0=$(lab_now_ms)
HOTPLUG_XS=$LAB_DIR/slow.sock XENVNET_WAIT=2 hotplug 8 online && st=0 || st=$?
took=$(($(lab_now_ms) - t0))
lab_daemon_start 1
[ "$st" != 0 ] || lab_fail "vif-vnet accepted a vnet that never came up"
err=$(xs_get 1 "$(be 8)/hotplug-error")
echo "$err" | grep -q "vnet 9a (bridge vnet9a) did not come up within 2s" || lab_fail "unclear hotplug-error: '$err'"
# The deadline (2 s) plus the last read and the script's start; far below
# what counting tries costs (22 s).
((took < 8000)) || lab_fail "vif-vnet took $took ms to give up on a 2 s deadline"
lab_log "gave up after $took ms: $err"
lab_vnet_up 1 9a

lab_step "offline unplugs"
hotplug 5 offline || lab_fail "vif-vnet offline failed"
h1 test ! -e /sys/class/net/vif5.0/master || lab_fail "vif5.0 is still on a bridge"
echo "PASS: hotplug"
