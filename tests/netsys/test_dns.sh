#!/usr/bin/env bash
# The per-network DNS responder (net/dns*.c) as a process on the bridge's gateway address:
# names, aliases and replicas from the network's IPAM record, PTR, forwarding to upstream
# resolvers the test runs itself (on 127.0.0.1 and in a netns of its own), per-container
# upstreams, and names appearing as endpoints join.
source "$(dirname "$0")/lib.sh" "${1:-}"
P=$PROBE
R=$(free_octet)
BR=${TAG}b1; UH=${TAG}u
track_link "$BR"; track_link "$UH"; track_link "${TAG}v1"; track_link "${TAG}v2"
mk_netns "${TAG}c1"; mk_netns "${TAG}c2"; mk_netns "${TAG}up"
GW=10.$R.0.1
UP=$(free_port)

# the network: record, bridge, two endpoints (web has two replicas)
$P ipam-create "$IPAM" front --subnet 10.$R.0.0/24 >/dev/null || fail "ipam-create"
$P bridge-up "$BR" $GW/24 || fail "bridge"
C1=$($P ipam-lease "$IPAM" front c1 --name web --name proj-web-1 --name www) || fail "lease c1"
C2=$($P ipam-lease "$IPAM" front c2 --name web --name proj-web-2 --dns 10.$R.201.2) \
  || fail "lease c2"
$P attach "$BR" "${TAG}v1" /run/netns/${TAG}c1 eth0 $C1/24 $GW || fail "attach c1"
$P attach "$BR" "${TAG}v2" /run/netns/${TAG}c2 eth0 $C2/24 $GW || fail "attach c2"

# upstreams: one on the host's 127.0.0.1, one (c2's own `dns:`) in a netns on port 53
ip link add "$UH" type veth peer name eth0 netns "${TAG}up" || fail "upstream veth"
ip addr add 10.$R.201.1/30 dev "$UH" && ip link set "$UH" up || fail "upstream host side"
ip netns exec "${TAG}up" ip addr add 10.$R.201.2/30 dev eth0 && \
  ip netns exec "${TAG}up" ip link set eth0 up || fail "upstream netns side"
bg $P fake-upstream 127.0.0.1:$UP 198.51.100.7 --ready "$WORK/up1"
bg ip netns exec "${TAG}up" $P fake-upstream 10.$R.201.2:53 198.51.100.9 --ready "$WORK/up2"
wait_file "$WORK/up1"; wait_file "$WORK/up2"

bg $P dns-serve $GW:53 --table "$IPAM/front.json" --upstream 127.0.0.1:$UP --ready "$WORK/dns"
DNS_PID=$!
wait_file "$WORK/dns"
q() { ip netns exec "$1" $P dns-query $GW:53 "${@:2}"; }

[ "$(q ${TAG}c1 www)" = "rcode=0 $C1" ] || fail "alias www: $(q ${TAG}c1 www)"
[ "$(q ${TAG}c1 proj-web-2)" = "rcode=0 $C2" ] || fail "container name"
[ "$(q ${TAG}c1 PROJ-WEB-2.)" = "rcode=0 $C2" ] || fail "case or trailing dot"
a=$(q ${TAG}c1 web); b=$(q ${TAG}c1 web)
[ "$(echo $a | wc -w)" = 3 ] || fail "replicas: $a"
[ "$a" != "$b" ] || fail "no round-robin: $a / $b"
[ "$(q ${TAG}c1 web AAAA)" = "rcode=0" ] || fail "AAAA of a known name is not an empty NOERROR"
ok "names, aliases, replicas round-robin"

rev=$(echo $C1 | awk -F. '{print $4"."$3"."$2"."$1}')
ip netns exec ${TAG}c1 $P dns-query $GW:53 $rev.in-addr.arpa PTR | grep -q "rcode=0" \
  || fail "PTR"
ok "reverse lookup"

[ "$(q ${TAG}c1 example.org)" = "rcode=0 198.51.100.7" ] || fail "forward: $(q ${TAG}c1 example.org)"
[ "$(q ${TAG}c1 nxdomain.example)" = "rcode=3" ] || fail "NXDOMAIN not passed through"
[ "$(q ${TAG}c2 example.org)" = "rcode=0 198.51.100.9" ] || fail "c2's own upstream not used"
ok "other names go to the upstream (per-container upstreams honoured)"

# a container that joins later resolves at once; one that leaves disappears
C3=$($P ipam-lease "$IPAM" front c3 --name db) || fail "lease c3"
[ "$(q ${TAG}c1 db)" = "rcode=0 $C3" ] || fail "new name not seen"
$P ipam-release "$IPAM" front c3 || fail "release c3"
[ "$(q ${TAG}c1 db)" = "rcode=0 198.51.100.7" ] || fail "released name still answered"
ok "table follows the network's record"

lat=$(q ${TAG}c1 web --count 500 | head -1)
echo "info: $lat"

kill $DNS_PID; wait $DNS_PID 2>/dev/null
pgrep -f "dns-serve $GW:53" >/dev/null && fail "responder still running"
ok "responder stops on SIGTERM"
echo "PASS"
