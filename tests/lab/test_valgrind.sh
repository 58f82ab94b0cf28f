#!/bin/bash
# The daemon under valgrind (memcheck) through a life cycle: define, bad
# input, a vif joining and leaving, the control protocol and socket,
# delete, SIGTERM.  Any error or definite leak fails.  Uses the
# non-sanitizer build next to the one given (valgrind and ASan exclude
# each other).
#
#     d1 eth0 --- vif1.0 --- vnet97 --- vnif97   h1 (xenvnetd under valgrind)
#                                         |
#                                 sw --- h2 (plain xenvnetd)
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
plain=$LAB_ROOT/build/xenvnetd/xenvnetd
command -v valgrind >/dev/null || lab_fail "valgrind is not installed (make deps)"
[ -x "$plain" ] || lab_fail "no non-sanitizer daemon at $plain (make)"

# lab_daemon_start runs $LAB_DAEMON: point it at a valgrind wrapper.
wrapper=$LAB_DIR/xenvnetd-valgrind
cat >"$wrapper" <<EOT
#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
	--suppressions=$LAB_ROOT/tests/lab/valgrind.supp --log-file=$LAB_DIR/valgrind.log $plain "\$@"
EOT
chmod +x "$wrapper"
lc_key
lab_switch
LC_NODAEMON=1 lc_host 1
LC_NODAEMON=1 lc_host 2
LAB_DAEMON=$wrapper lc_daemon_start 1
LAB_DAEMON=$plain lc_daemon_start 2

xs 1 write /vnet/97/bridge vnet97 /vnet/0/bridge x /vnet/98/bridge vnet98 /vnet/98/security conf
xs 2 write /vnet/97/bridge vnet97
lab_vnet_up 1 97 30
lab_vnet_up 2 97 30
lab_wait_xs 1 /vnet/98/state error 30
lab_domain 1 1 198.51.100.1 00:16:3e:00:00:01 vnet97
lab_domain 2 2 198.51.100.2 00:16:3e:00:00:02 vnet97
lab_ping 1 198.51.100.2 3
VN_SOCKET=$LAB_DIR/h1/ctl.sock XENSTORED_PATH=$LAB_DIR/h1/xs/socket "$LAB_ROOT/build/tools/vn" status >/dev/null
VN_SOCKET=$LAB_DIR/h1/ctl.sock XENSTORED_PATH=$LAB_DIR/h1/xs/socket "$LAB_ROOT/build/tools/vn" varp >/dev/null
xs 1 rm /local/domain/0/backend/vif/1
xs 1 rm /vnet/97
lab_wait 10 "vnet97 gone" lab_link_gone 1 vnet97
rc=0
lab_daemon_stop 1 || rc=1
if [ -s "$LAB_DIR/valgrind.log" ] || [ "$rc" != 0 ]; then
	cat "$LAB_DIR/valgrind.log" >&2
	lab_fail "valgrind reported errors or leaks, or the daemon did not exit cleanly"
fi
echo "PASS: valgrind clean"
