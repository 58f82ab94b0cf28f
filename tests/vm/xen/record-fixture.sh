#!/bin/bash
# tests/vm/xen/record-fixture.sh BUILD_DIR [OUT]: what real libxl and netback
# do to xenstore and to the vif, recorded on one emulated Xen 4.17 host, for
# the lab's simulated domains to be compared against (OUT, default
# tests/vm/xen/fixture-vif.txt).
#
#   h1 (qemu: Xen + dom0)    vnet97 (xenvnetd), PVH guest d1 with vif=['bridge=vnet97']
#     xl create d1 -> xl migrate d1 to h1 itself (d1--incoming, a new domid)
#     -> xl destroy d1
#
# Recorded in dom0, one clock: every xenstore change under /local/domain
# (xenstore-watch, stamped as it arrives), the C xenstored's request trace
# (writer, key, value, in order), `ip -ts monitor link` (vif names, carrier,
# master), and the times xl's commands started and ended.
set -e
here=$(dirname "$0")
. "$here/lib.sh"
out=$(realpath -m "${2:-$here/fixture-vif.txt}")
XH_HOSTS=1
xh_init "$1"
xh_boot 1
xh_wait_ready 1

cfg=$(xh_cfg d1 pvh 1 vnet97)
xh 1 "
set -e
cat >/etc/xen/d1.cfg <<'CFG'
$cfg
CFG
xenstore-write /vnet/97/bridge vnet97
for i in \$(seq 300); do [ \"\$(xenstore-read /vnet/97/state 2>/dev/null)\" = up ] && break; sleep 0.2; done
vn vnet-list
mkdir -p /var/log/fx
ip -ts monitor link >/var/log/fx/link.log 2>&1 &
xenstore-watch /local/domain | while read -r p t; do echo \"\$EPOCHREALTIME \$p\"; done >/var/log/fx/watch.log &
sleep 2
trace0=\$(stat -c %s /var/log/xen/xenstored-trace.log)
ev() { echo \"\$EPOCHREALTIME xl \$*\" >>/var/log/fx/xl.log; }
ev create-start; xl create /etc/xen/d1.cfg; ev create-end
for i in \$(seq 600); do grep -q DOMU-READY /var/log/xen/console/guest-d1.log 2>/dev/null && break; sleep 1; done
ev guest-ready
ev migrate-start; xl migrate -s '' d1 'xl migrate-receive'; ev migrate-end
for i in \$(seq 600); do grep -q DOMU-READY /var/log/xen/console/guest-d1.log 2>/dev/null && break; sleep 1; done
ev destroy-start; xl destroy d1; ev destroy-end
for i in \$(seq 100); do [ -z \"\$(xenstore-list /local/domain/0/backend/vif 2>/dev/null)\" ] && break; sleep 0.2; done
sleep 2
tail -c +\$((trace0 + 1)) /var/log/xen/xenstored-trace.log >/var/log/fx/trace.log
kill %1 %2 2>/dev/null || true
" || { echo "FAIL: recording"; exit 1; }

raw=$XH_DIR/fx
mkdir -p "$raw"
for f in link watch xl trace; do
	xh 1 "cat /var/log/fx/$f.log" >"$raw/$f.log"
done
k=$(xh 1 'uname -r')
{
	echo "# Recorded by tests/vm/xen/record-fixture.sh: real libxl (Xen 4.17, Debian) and netback"
	echo "# (dom0 kernel $k) under qemu, $(date -u +%F)."
	echo "# Times: seconds since 'xl create' started, dom0's clock."
	echo "# xl   NAME                   a command's start and end (xl create/migrate/destroy)"
	echo "# xs   PATH                   a xenstore change, as a watch under /local/domain saw it"
	echo "# link LINE                   'ip monitor link' about a vif (names, carrier, master)"
	echo "# Then, in order, every xenstore request that touched a vif (the C xenstored's trace):"
	echo "# who (connection) sent which write/rm with which value."
	t0=$(awk '$3 == "create-start" {print $1; exit}' "$raw/xl.log")
	{
		awk -v t0="$t0" '{printf "%8.3f xl   %s\n", $1 - t0, $3}' "$raw/xl.log"
		awk -v t0="$t0" '$2 ~ /vif|\/name$|\/state$/ {printf "%8.3f xs   %s\n", $1 - t0, $2}' "$raw/watch.log"
		# [2026-12-02T02:25:41.123456] 12: vif1.0: <...> ...
		grep -E 'vif[0-9]+\.[0-9]+' "$raw/link.log" | while IFS= read -r l; do
			ts=${l%%]*}; ts=${ts#[}
			s=$(date -d "$ts" +%s.%N 2>/dev/null) || continue
			echo "$s ${l#*] }"
		done | awk -v t0="$t0" '{t=$1; $1=""; printf "%8.3f link%s\n", t - t0, $0}'
	} | sort -n -s -k1,1
	echo "# --- xenstored trace (vif keys and domain names)"
	grep -E 'vif|/name' "$raw/trace.log" | grep -vE ' (READ|DIRECTORY|GET_PERMS|WATCH_EVENT|TRANSACTION_START|TRANSACTION_END) ' |
		sed -E 's/ 0x[0-9a-f]+ / /; s/[0-9]{8} [0-9:]{8} //'
} >"$out"
echo "fixture: $out ($(wc -l <"$out") lines)"
