#!/usr/bin/env bash
# Bridges and veth endpoints through net/netlink*.c: creation, idempotence, repair of
# half-made state, refusal to touch interfaces berth did not create, teardown.
source "$(dirname "$0")/lib.sh" "${1:-}"
P=$PROBE
R=$(free_octet)
BR=${TAG}b1
BR2=${TAG}b2
track_link "$BR"; track_link "$BR2"; track_link "${TAG}v1"; track_link "${TAG}v2"
track_link "${TAG}x"; track_link "${TAG}y"; track_link "${TAG}v3"; track_link "${TAG}w"
mk_netns "${TAG}c1"
NS=/run/netns/${TAG}c1

# bridge: created, marked, addressed, up
$P bridge-up "$BR" 10.$R.0.1/24 || fail "bridge-up"
ip -d link show "$BR" | grep -q "bridge " || fail "not a bridge"
ip link show "$BR" | grep -q "alias berth" || fail "no berth alias"
ip link show "$BR" | grep -q ",UP" || fail "bridge not up"
[ "$(ip -4 -o addr show dev "$BR" | awk '{print $4}')" = 10.$R.0.1/24 ] || fail "bridge address"
ok "bridge created"

# idempotent; a new gateway replaces the old address
$P bridge-up "$BR" 10.$R.0.1/24 || fail "bridge-up again"
$P bridge-up "$BR" 10.$R.1.1/24 1400 || fail "bridge-up new address"
[ "$(ip -4 -o addr show dev "$BR" | awk '{print $4}')" = 10.$R.1.1/24 ] || fail "stale address kept"
ip link show "$BR" | grep -q "mtu 1400" || fail "mtu not applied"
$P bridge-up "$BR" 10.$R.0.1/24 || fail "bridge-up back"
ok "bridge-up is idempotent and repairs address and mtu"

# a bridge whose alias was never set (crash right after creation) is still ours
ip link set "$BR" alias x || fail "set alias"
$P bridge-up "$BR" 10.$R.0.1/24 || fail "bridge-up after alias loss"
ip link show "$BR" | grep -q "alias berth" || fail "alias not repaired"
ok "half-made bridge repaired"

# interfaces berth did not make are left alone
ip link add "${TAG}x" type veth peer name "${TAG}w" || fail "add foreign veth"
ip link add "${TAG}y" type bridge || fail "add foreign bridge"
expect_fail "bridge-up over a veth" $P bridge-up "${TAG}x" 10.$R.2.1/24
echo "$ERR" | grep -q "not a berth bridge" || fail "wrong error: $ERR"
expect_fail "bridge-up over a foreign bridge" $P bridge-up "${TAG}y" 10.$R.2.1/24
expect_fail "bridge-down of a foreign bridge" $P bridge-down "${TAG}y"
expect_fail "detach of a bridge" $P detach "${TAG}y"
expect_fail "attach to a foreign bridge" $P attach "${TAG}y" "${TAG}v3" "$NS" eth5 10.$R.2.2/24 -
ip link show "${TAG}y" >/dev/null 2>&1 || fail "foreign bridge was deleted"
ip link show "${TAG}x" >/dev/null 2>&1 || fail "foreign veth was deleted"
ip -4 -o addr show dev "${TAG}y" | grep -q . && fail "foreign bridge got an address"
ok "foreign interfaces untouched"

# endpoint: eth0 with address, mtu, default route, lo up; host end enslaved
$P attach "$BR" "${TAG}v1" "$NS" eth0 10.$R.0.2/24 10.$R.0.1 1400 || fail "attach"
ip link show "${TAG}v1" | grep -q "master $BR" || fail "host end not on the bridge"
ip link show "${TAG}v1" | grep -q "state UP" || fail "host end not up"
ip netns exec "${TAG}c1" ip -4 -o addr show dev eth0 | grep -q "10.$R.0.2/24" || fail "eth0 address"
ip netns exec "${TAG}c1" ip link show eth0 | grep -q "mtu 1400" || fail "eth0 mtu"
ip netns exec "${TAG}c1" ip link show lo | grep -q ",UP" || fail "lo down"
ip netns exec "${TAG}c1" ip route | grep -q "default via 10.$R.0.1 dev eth0" || fail "default route"
ok "endpoint attached"

# traffic: the netns reaches a server on the host's bridge address
bg $P hello-serve 10.$R.0.1:7001 --ready "$WORK/h1"
wait_file "$WORK/h1"
out=$(ip netns exec "${TAG}c1" $P hello 10.$R.0.1:7001) || fail "hello from the netns"
[ "$out" = "hello peer=10.$R.0.2:${out##*:}" ] || fail "unexpected peer: $out"
ok "netns reaches the host through the bridge"

# re-attach (a retry) replaces the endpoint; so does a half-made veth of the same name
$P attach "$BR" "${TAG}v1" "$NS" eth0 10.$R.0.2/24 10.$R.0.1 || fail "re-attach"
$P detach "${TAG}v1" || fail "detach"
ip link add "${TAG}v1" type veth peer name "${TAG}v3" || fail "make a half-made veth"
$P attach "$BR" "${TAG}v1" "$NS" eth0 10.$R.0.2/24 10.$R.0.1 || fail "attach over half-made veth"
ip link show "${TAG}v3" >/dev/null 2>&1 && fail "stale peer left in the host"
ip netns exec "${TAG}c1" ip -o link | grep -c "eth0" | grep -qx 1 || fail "two eth0"
ok "retries and half-made veths are repaired"

# a second network as eth1 without a default route
$P bridge-up "$BR2" 10.$R.3.1/24 || fail "bridge 2"
$P attach "$BR2" "${TAG}v2" "$NS" eth1 10.$R.3.2/24 - || fail "attach eth1"
[ "$(ip netns exec "${TAG}c1" ip route | grep -c default)" = 1 ] || fail "second default route"
ok "second network attached"

# an interface name already used inside the netns is a clear error and leaves nothing
expect_fail "attach a second eth0" $P attach "$BR2" "${TAG}v3" "$NS" eth0 10.$R.3.3/24 -
echo "$ERR" | grep -q "already has 'eth0'" || fail "wrong error: $ERR"
ip link show "${TAG}v3" >/dev/null 2>&1 && fail "leftover veth after a failed attach"
expect_fail "attach to a missing bridge" $P attach "${TAG}zz" "${TAG}v3" "$NS" eth2 10.$R.3.3/24 -
echo "$ERR" | grep -q "no such bridge" || fail "wrong error: $ERR"
ok "failed attaches are clear and leave nothing behind"

# teardown: detach twice, remove bridges twice; the netns end goes with the host end
$P detach "${TAG}v2" && $P detach "${TAG}v2" || fail "detach twice"
ip netns exec "${TAG}c1" ip link show eth1 >/dev/null 2>&1 && fail "eth1 left in the netns"
$P bridge-down "$BR" && $P bridge-down "$BR" || fail "bridge-down twice"
$P bridge-down "$BR2" || fail "bridge-down 2"
ip link show "$BR" >/dev/null 2>&1 && fail "bridge left"
ip link show "${TAG}v1" >/dev/null 2>&1 && fail "veth left with its bridge"
ip netns exec "${TAG}c1" ip link show eth0 >/dev/null 2>&1 && fail "eth0 left after bridge-down"
ok "teardown"
echo "PASS"
