#!/bin/bash
# Lab fidelity (issue 12): the lab's simulated domains and migrations
# (lib.sh lab_domain, lab_mdomain, lab_migrate) must bring vifs up in the
# order real Xen does, recorded as xenstore and the kernel show it at each
# step (lab_order) and compared line by line with a fixture:
# tests/lab/xen-vif.order, or LAB_ORDER_FIXTURE=FILE (the one tests/vm
# records on real Xen hosts).  A lab that drifts (state 4 at once, a
# carrier before the frontend connects, the target connected before the
# source goes, a guest MTU set by the lab) fails here.
#
#   d1 (create)                 d10 --- xl migrate ---> d11
#     |                          |                        |
#   vif1.0-[vnet97] h1        vif10.0-[vnet97] h1      vif11.0-[vnet97] h2
#            h1 eth0 192.0.2.1 --- sw0 --- 192.0.2.2 eth0 h2
set -e
. "$(dirname "$0")/lib_cluster.sh"
lab_init "$1"
lab_need_daemon
FIXTURE=${LAB_ORDER_FIXTURE:-$LAB_ROOT/tests/lab/xen-vif.order}
[ -r "$FIXTURE" ] || lab_fail "no fixture $FIXTURE"
lc_cluster 2
LAB_ORDER=$LAB_DIR/order

lab_step "xl create: a domain on h1"
LAB_ORDER_SCENE=create lab_domain 1 1 198.51.100.1 00:16:3e:00:0d:01 vnet97
lab_log "$(grep -c . "$LAB_ORDER") steps recorded"

lab_step "xl migrate: a domain h1 -> h2"
LAB_ORDER='' lab_mdomain 1 10 198.51.100.10 00:16:3e:00:0d:0a vnet97
LAB_ORDER_SCENE=migrate lab_migrate 1 2 10 11
lab_wait 10 "d11 answers from h2" ip netns exec "$(lab_dom_ns 11)" ping -c 1 -W 1 198.51.100.1 ||
	lab_fail "the migrated domain does not answer"

lab_step "the lab's order against $FIXTURE"
mapfile -t want < <(grep -v '^[[:space:]]*\(#\|$\)' "$FIXTURE")
mapfile -t got <"$LAB_ORDER"
for ((i = 0; i < ${#want[@]} || i < ${#got[@]}; i++)); do
	# shellcheck disable=SC2053 # the fixture's lines are patterns
	[[ ${got[i]} == ${want[i]} ]] && continue
	lab_log "recorded:"
	printf '    %s\n' "${got[@]}"
	lab_fail "step $((i + 1)): the lab did '${got[i]:-nothing}', real Xen '${want[i]:-nothing}' ($FIXTURE)"
done
lab_log "${#got[@]} steps as the fixture says"
echo "PASS: lab order"
