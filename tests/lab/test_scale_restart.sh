#!/bin/bash
# Many vnets at once take the quick paths: new devices made without looking
# first, a restart served from one dump of every link.  Both still see
# what is really there: a foreign device of a vnet's name, a half-made
# device of ours, a tunnel deleted, an MTU changed and a vnet deleted while
# the daemon was down.
#
#   h1: vnet200..vnet24f (bridges) + vnif200..vnif24f (VXLAN), 80 vnets
#       vnet250: a bridge made by hand (not ours)   vnet251: ours, half made
#   h1 eth0 192.0.2.1 -- sw0
set -e
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init "$1"
lab_hosts 1
N=80
FIRST=$((0x200))

keys() { for ((i = 0; i < N; i++)); do printf '%x\n' $((FIRST + i)); done; }

# all_up: every vnet of keys() reports up (but the deleted 202).
all_up() {
	local k
	for k in $(keys); do
		[ "$k" = 202 ] || lab_xs_is 1 "/vnet/$k/state" up || return 1
	done
}

# devices: "name ifindex mtu master" of every bridge and tunnel in h1.
devices() {
	ip -n "${LAB_PREFIX}h1" -o link show | awk -F': ' '$2 ~ /^vn(et|if)/ {
		split($3, f, " "); m = ""; mtu = ""
		for (i = 1; i <= length(f); i++) { if (f[i] == "mtu") mtu = f[i + 1]; if (f[i] == "master") m = f[i + 1] }
		sub(/@.*/, "", $2); print $2, $1, mtu, m }' | sort
}

lab_step "a foreign bridge vnet250 and a half-made one of ours, vnet251"
h1 ip link add vnet250 type bridge
h1 ip link add vnet251 group $((0x78766e74)) type bridge
half=$(lab_ifindex 1 vnet251)

lab_step "$N vnets and vnets 250, 251 written at once"
args=()
for k in $(keys) 250 251; do args+=("/vnet/$k/bridge" "vnet$k"); done
xs 1 write "${args[@]}"
lab_wait 60 "$N vnets up" all_up || lab_fail "not all vnets came up"
lab_wait_xs 1 /vnet/250/state error
xs 1 read /vnet/250/error | grep -q "existing interface that xenvnetd did not create" ||
	lab_fail "vnet 250: error '$(xs_get 1 /vnet/250/error)'"
! h1 ip -o link show dev vnet250 | grep -q ' alias ' || lab_fail "the foreign vnet250 was labelled"
lab_link_gone 1 vnif250 || lab_fail "vnif250 was made although vnet 250 is in error"
lab_vnet_up 1 251
[ "$(lab_ifindex 1 vnet251)" = "$half" ] || lab_fail "the half-made vnet251 was recreated, not adopted"
h1 ip -d -o link show dev vnet251 | grep -q "alias xenvnet:251" || lab_fail "vnet251 was not labelled"
lab_log "new vnets up, vnet 250 refused, vnet251 adopted"

lab_step "kill -9; meanwhile vnif200 deleted, vnet 201 gets mtu 1400, vnet 202 deleted"
lab_daemon_kill 1
h1 ip link del vnif200
xs 1 write /vnet/201/mtu 1400
xs 1 rm /vnet/202
before=$(devices | grep -v -E '^vn(et|if)(200|201|202) ')
lab_daemon_start 1
lab_wait 60 "$N vnets up again" all_up || lab_fail "not all vnets came up after the restart"
grep "vnets in place" "$LAB_DIR/h1/daemon.log" | tail -1 | sed 's/^/  /' || true
lab_wait_link 1 vnif200
h1 ip -o link show dev vnif200 | grep -q "master vnet200" || lab_fail "vnif200 is not on vnet200"
for d in vnet201 vnif201; do
	h1 ip -o link show dev $d | grep -q " mtu 1400 " || lab_fail "$d: $(h1 ip -o link show dev $d)"
done
lab_wait 10 "vnet 202's devices to go" eval '! lab_link_exists 1 vnet202 && ! lab_link_exists 1 vnif202' ||
	lab_fail "vnet 202's devices are still there"
after=$(devices | grep -v -E '^vn(et|if)(200|201|202) ')
[ "$before" = "$after" ] || lab_fail "devices changed across the restart: $(diff <(echo "$before") <(echo "$after") | head -6)"
lab_xs_is 1 /vnet/250/state error || lab_fail "vnet 250 is no longer in error"
! h1 ip -o link show dev vnet250 | grep -q ' alias ' || lab_fail "the foreign vnet250 was labelled"
echo "PASS: scale restart"
