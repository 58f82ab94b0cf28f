#!/bin/bash
# A vnet deleted and defined again under the same id, back to back, at any
# speed: the daemon reports the definition that stands (state up, or error
# with its error key) every time, and the kernel ends with that
# definition's devices only.  Done with xenstore-rm + xenstore-write and
# with `vn vnet-delete ID && vn vnet-create FILE`, as a user's script would.
#
#   h1: /vnet/a0 (bridge vnet-a0 | vnet-a0b | bad security), over and over
#       h1 eth0 192.0.2.1 -- sw0
set -e
# shellcheck source=tests/lab/lib_cluster.sh
. "$(dirname "$0")/lib_cluster.sh"   # for lc_vn
lab_init "$1"
[ -x "$LAB_BUILD/tools/vn" ] || lab_fail "no vn in $LAB_BUILD/tools (make)"
lab_switch
lab_host 1
ROUNDS=${RECREATE_ROUNDS:-24}
vn1() { lc_vn 1 "$@"; }

# settled KIND ROUND HOW: /vnet/a0 reads as definition KIND must make it
# read (good: up and no error key; bad: error naming the security level).
good_ok() { lab_xs_is 1 /vnet/a0/state up && ! xs 1 exists /vnet/a0/error; }
bad_ok() { lab_xs_is 1 /vnet/a0/state error && xs_get 1 /vnet/a0/error | grep -qi security; }
settled() {
	lab_wait 5 "/vnet/a0 $1 ($3, round $2)" "$1_ok" ||
		lab_fail "$3, round $2: /vnet/a0 is state '$(xs_get 1 /vnet/a0/state)' error '$(xs_get 1 /vnet/a0/error)' for a $1 definition"
}

# The definitions of each round, in turn: the same one again (nothing for
# the daemon to change but the status it must write anew), another bridge,
# a bad one.
kinds=(good good good2 bad good)

lab_step "xenstore-rm && xenstore-write, $ROUNDS rounds"
xs 1 write /vnet/a0/bridge vnet-a0
lab_vnet_up 1 a0
for ((i = 0; i < ROUNDS; i++)); do
	k=${kinds[i % ${#kinds[@]}]}
	case $k in
	good) xs 1 rm /vnet/a0 && xs 1 write /vnet/a0/bridge vnet-a0 ;;
	good2) xs 1 rm /vnet/a0 && xs 1 write /vnet/a0/bridge vnet-a0b ;;
	bad) xs 1 rm /vnet/a0 && xs 1 write /vnet/a0/bridge vnet-a0 /vnet/a0/security bogus ;;
	esac
	settled "${k%2}" "$i" xenstore
done

lab_step "vn vnet-delete && vn vnet-create, $ROUNDS rounds"
echo '(vnet (id a0) (bridge vnet-a0) (vnetif vnifa0) (security none))' >"$LAB_DIR/good.sxp"
echo '(vnet (id a0) (bridge vnet-a0b) (vnetif vnifa0) (security none))' >"$LAB_DIR/good2.sxp"
xs 1 rm /vnet/a0
vn1 vnet-create "$LAB_DIR/good.sxp"
lab_vnet_up 1 a0
for ((i = 0; i < ROUNDS; i++)); do
	k=${kinds[i % ${#kinds[@]}]}
	[ "$k" != bad ] || k=good2  # vn refuses a bad definition itself
	vn1 vnet-delete a0 && vn1 vnet-create "$LAB_DIR/$k.sxp"
	settled "${k%2}" "$i" vn
done

lab_step "what stands is what the kernel has"
lab_sync 1
good_ok || lab_fail "/vnet/a0 changed after the last round: state '$(xs_get 1 /vnet/a0/state)'"
want=$(xs 1 read /vnet/a0/bridge)
for b in vnet-a0 vnet-a0b; do
	if [ "$b" = "$want" ]; then
		lab_link_up 1 "$b" || lab_fail "bridge $b of the last definition is not up"
	else
		lab_link_gone 1 "$b" || lab_fail "bridge $b of an earlier definition is left"
	fi
done
lab_link_up 1 vnifa0 || lab_fail "vnifa0 is not up"
lab_log "ok"
