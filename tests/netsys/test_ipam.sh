#!/usr/bin/env bash
# IPAM against the real host (net/ipam.c + net_host_prefixes): subnets chosen from the pools
# never overlap a route or address already on the host (docker0, podman's networks, the
# test's own bridges), the records are kept per network and freed on removal.
source "$(dirname "$0")/lib.sh" "${1:-}"
P=$PROBE
R=$(free_octet)
track_link ${TAG}b1; track_link ${TAG}b2
$P bridge-up ${TAG}b1 10.$R.0.1/24 || fail "bridge 1"
$P bridge-up ${TAG}b2 10.$R.1.1/24 || fail "bridge 2"
$P host-prefixes | grep -qx "10.$R.1.0/24" || fail "host prefixes miss the test bridge"

out=$($P ipam-create "$IPAM" a --pool 10.$R.0.0/16:24 --avoid-host) || fail "create a"
[ "${out%% *}" = "subnet=10.$R.2.0/24" ] || fail "did not skip the host's routes: $out"
out=$($P ipam-create "$IPAM" b --pool 10.$R.0.0/16:24 --avoid-host) || fail "create b"
[ "${out%% *}" = "subnet=10.$R.3.0/24" ] || fail "overlaps network a: $out"
ok "pool subnets skip host routes and other networks"

ip -4 route show table all | grep -E "^(local )?172\.|^(local )?192\.168\." | sed 's/^/info: host route: /'
out=$($P ipam-create "$IPAM" dflt --avoid-host) || fail "create with default pools"
S=${out%% *}; S=${S#subnet=}
echo "info: default pools gave $S"
[ -z "$(ip -4 route show table all root "$S")" ] || fail "$S holds a host route"
ip -4 route show table all match "$S" | grep -vq "^default" && fail "$S is inside a host route"
ok "default pools avoid every host route"

expect_fail "enable_ipv6" $P ipam-create "$IPAM" v6 --ipv6
echo "$ERR" | grep -q "enable_ipv6 is not supported yet" || fail "unclear IPv6 error: $ERR"
ok "enable_ipv6 refused clearly"

$P ipam-lease "$IPAM" a c1 --name web >/dev/null || fail "lease"
expect_fail "remove in use" $P ipam-rm "$IPAM" a
echo "$ERR" | grep -q "active endpoints" || fail "wrong error: $ERR"
$P ipam-release "$IPAM" a c1 && $P ipam-rm "$IPAM" a && $P ipam-rm "$IPAM" b && \
  $P ipam-rm "$IPAM" dflt || fail "remove"
[ -z "$(ls "$IPAM")" ] || fail "records left: $(ls "$IPAM")"
ok "records freed on removal"
echo "PASS"
