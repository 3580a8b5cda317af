#!/usr/bin/env bash
# Outbound masquerade, internal networks, isolation and published ports (net/nat*.c) with a
# network namespace of the test standing for "the outside" (never a real outside address).
source "$(dirname "$0")/lib.sh" "${1:-}"
P=$PROBE
R=$(free_octet)
BR=${TAG}b1; BR2=${TAG}b2; OH=${TAG}o
track_link "$BR"; track_link "$BR2"; track_link "$OH"; track_link "${TAG}v1"; track_link "${TAG}v2"
mk_netns "${TAG}c1"; mk_netns "${TAG}c2"; mk_netns "${TAG}out"
in_c1() { ip netns exec "${TAG}c1" "$@"; }
in_c2() { ip netns exec "${TAG}c2" "$@"; }
in_out() { ip netns exec "${TAG}out" "$@"; }
HOST=10.$R.200.1
OUT=10.$R.200.2

# "the outside": a netns behind a veth of the test's own
ip link add "$OH" type veth peer name eth0 netns "${TAG}out" || fail "outside veth"
ip addr add $HOST/30 dev "$OH" && ip link set "$OH" up || fail "outside host side"
in_out ip addr add $OUT/30 dev eth0 && in_out ip link set eth0 up && in_out ip link set lo up \
  || fail "outside netns side"

# net1 (masqueraded) with c1, net2 (internal) with c2
$P bridge-up "$BR" 10.$R.0.1/24 || fail "bridge 1"
$P bridge-up "$BR2" 10.$R.1.1/24 || fail "bridge 2"
$P nat-net "$NAT" "$TABLE" net1 "$BR" 10.$R.0.0/24 10.$R.0.1 || fail "nat-net net1"
$P nat-net "$NAT" "$TABLE" net2 "$BR2" 10.$R.1.0/24 10.$R.1.1 --internal || fail "nat-net net2"
$P attach "$BR" "${TAG}v1" /run/netns/${TAG}c1 eth0 10.$R.0.2/24 10.$R.0.1 || fail "attach c1"
$P attach "$BR2" "${TAG}v2" /run/netns/${TAG}c2 eth0 10.$R.1.2/24 10.$R.1.1 || fail "attach c2"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward not enabled"
[ "$(cat /proc/sys/net/ipv4/conf/$BR/route_localnet)" = 1 ] || fail "route_localnet on bridge"
[ "$(cat /proc/sys/net/ipv4/conf/all/route_localnet)" = 0 ] || fail "route_localnet set globally"
"$NFT" list table ip "$TABLE" >/dev/null || fail "no nft table"
ok "networks set up"

bg ip netns exec "${TAG}out" $P hello-serve $OUT:7000 --ready "$WORK/out"
bg ip netns exec "${TAG}c1" $P hello-serve 0.0.0.0:80 --ready "$WORK/c1"
bg ip netns exec "${TAG}c1" $P hello-serve 0.0.0.0:5000 --udp --ready "$WORK/c1u"
bg ip netns exec "${TAG}c2" $P hello-serve 0.0.0.0:80 --ready "$WORK/c2"
for f in out c1 c1u c2; do wait_file "$WORK/$f"; done

out=$(in_c1 $P hello $OUT:7000) || fail "c1 cannot reach the outside"
case $out in "hello peer=$HOST:"*) ;; *) fail "not masqueraded: $out" ;; esac
ok "outbound traffic is masqueraded to the host address"

expect_fail "internal network reaches the outside" in_c2 $P hello $OUT:7000
expect_fail "net1 reaches net2" in_c1 $P hello 10.$R.1.2:80
expect_fail "net2 reaches net1" in_c2 $P hello 10.$R.0.2:80
in_c2 $P hello 10.$R.1.1:1 2>&1 | grep -q "refused" || fail "internal net cannot reach its gateway"
ok "internal networks stay inside; networks are isolated"

P1=$(free_port); P2=$(free_port); P3=$(free_port)
out=$($P nat-ports "$NAT" "$TABLE" own1 10.$R.0.2 127.0.0.1:$P1:80 $P2:80 $P3:5000/udp) \
  || fail "publish"
echo "$out" | grep -qx "80/tcp -> 127.0.0.1:$P1" || fail "port listing: $out"
out=$($P hello 127.0.0.1:$P1) || fail "127.0.0.1:$P1 unreachable"
[ "${out%:*}" = "hello peer=10.$R.0.1" ] || fail "loopback source not masqueraded: $out"
$P hello 127.0.0.1:$P2 >/dev/null || fail "127.0.0.1:$P2 (all addresses) unreachable"
$P hello 127.0.0.1:$P3 --udp | grep -q hello || fail "udp port unreachable"
ok "published ports reachable from the host's 127.0.0.1"

out=$(in_out $P hello $HOST:$P2) || fail "published port unreachable from another netns"
[ "${out%:*}" = "hello peer=$OUT" ] || fail "client address not preserved: $out"
expect_fail "127.0.0.1-only port reachable from outside" in_out $P hello $HOST:$P1
out=$(in_c1 $P hello $HOST:$P2) || fail "hairpin to own published port"
ok "published ports reachable from another netns through the host address (and hairpin)"

out=$($P nat-ports "$NAT" "$TABLE" own2 10.$R.0.2 80) || fail "random port"
RP=$(echo "$out" | sed -n 's|^80/tcp -> 0.0.0.0:||p')
[ -n "$RP" ] || fail "no random port in: $out"
$P hello 127.0.0.1:$RP >/dev/null || fail "random port $RP unreachable"
[ "$($P nat-port-get "$NAT" "$TABLE" own2)" = "$out" ] || fail "nat-port-get differs"
PA=$(free_port)
out=$($P nat-ports "$NAT" "$TABLE" own3 10.$R.0.2 $PA-$((PA + 1)):80-81) || fail "range"
[ "$(echo "$out" | wc -l)" = 2 ] || fail "range listing: $out"
ok "random host ports and ranges"

expect_fail "same host port twice" $P nat-ports "$NAT" "$TABLE" own4 10.$R.0.2 $P2:80
echo "$ERR" | grep -q "already allocated to 'own1'" || fail "wrong error: $ERR"
PB=$(free_port)
bg $P hello-serve 127.0.0.1:$PB --ready "$WORK/busy"
wait_file "$WORK/busy"
expect_fail "port busy on the host" $P nat-ports "$NAT" "$TABLE" own4 10.$R.0.2 127.0.0.1:$PB:80
echo "$ERR" | grep -q "in use on the host" || fail "wrong error: $ERR"
ok "conflicts are refused clearly"

# a lost or damaged table (crash, someone's flush) is rebuilt from the state files
"$NFT" delete table ip "$TABLE" || fail "delete table"
$P nat-apply "$NAT" "$TABLE" || fail "nat-apply"
$P hello 127.0.0.1:$P2 >/dev/null || fail "not repaired"
ok "table rebuilt from state"

# a change that changes nothing runs no nft; after a reboot (a new boot id in .applied's
# first line) the same change must rebuild the table the reboot took away
$P nat-net "$NAT" "$TABLE" net1 "$BR" 10.$R.0.0/24 10.$R.0.1 || fail "nat-net net1 again"
$P hello 127.0.0.1:$P2 >/dev/null || fail "an unchanged re-set broke the table"
"$NFT" delete table ip "$TABLE" || fail "delete table"
sed -i '1s/.*/boot 00000000-0000-0000-0000-000000000000/' "$NAT/.applied"
$P nat-net "$NAT" "$TABLE" net1 "$BR" 10.$R.0.0/24 10.$R.0.1 || fail "nat-net after a 'reboot'"
$P hello 127.0.0.1:$P2 >/dev/null || fail "not rebuilt after a 'reboot'"
ok "an unchanged state runs nothing, a record from another boot counts as none"

for o in own1 own2 own3; do $P nat-ports-rm "$NAT" "$TABLE" $o || fail "unpublish $o"; done
expect_fail "port still published" $P hello 127.0.0.1:$P2
$P nat-net-rm "$NAT" "$TABLE" net1 && $P nat-net-rm "$NAT" "$TABLE" net2 || fail "nat-net-rm"
$P nat-net-rm "$NAT" "$TABLE" net2 || fail "nat-net-rm twice"
"$NFT" list table ip "$TABLE" >/dev/null 2>&1 && fail "table left after teardown"
ls "$NAT" | grep -q . && fail "state files left: $(ls "$NAT")"
ok "teardown leaves no table and no state"
echo "PASS"
