# Several networks per container, `network connect/disconnect`, the default bridge network
# and --network container:ID, with real containers:
#   - a container on two networks (docker's name=NET,alias=A syntax) has eth0/eth1 in that
#     order, its default route via the first, and reaches a peer on each network by name;
#     peers on each network reach it by its alias there;
#   - connect/disconnect of a running container (hot-plug) and of a stopped one (record only);
#   - a container without --network is on the default "bridge" network: an address, no DNS
#     names, the host's resolv.conf, outbound NAT to an "outside" netns made by the test (no
#     route back to the container subnet, so an answer proves the masquerade);
#   - --network container:ID shares the other container's netns;
#   - after rm of everything, no links, nftables table or DNS responders are left.
# Traffic goes only to the test's own bridges and netns.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null || skip "no ip(8)"
NFT=$(command -v nft || echo /usr/sbin/nft)
[ -x "$NFT" ] || skip "no nft(8)"
TABLE=berth_$(printf %s "$ROOT" | sha256sum | cut -c1-8)
OUTNS=bt-out-$$
OH=btoh$$
HTTPD_PID=

nets_cleanup() {
	rc=$?
	set +e
	[ -n "$HTTPD_PID" ] && kill "$HTTPD_PID" 2>/dev/null
	if [ -d "$ROOT/containers" ]; then
		for id in $(b container ls -aq 2>/dev/null); do b container rm -f "$id" >/dev/null 2>&1; done
	fi
	for n in front back; do b network rm "$n" >/dev/null 2>&1; done
	b network rm --predefined bridge >/dev/null 2>&1
	"$NFT" delete table ip "$TABLE" 2>/dev/null
	ip link del "$OH" 2>/dev/null
	ip netns del "$OUTNS" 2>/dev/null
	(exit $rc)
	cleanup
}
trap nets_cleanup EXIT

bb=$(command -v busybox || true)
[ -n "$bb" ] || skip "busybox-static is not installed"
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || skip "$bb is not static"
d="$T/rootfs"
mkdir -p "$d/bin" "$d/tmp" "$d/etc" "$d/root" "$d/www"
cp "$bb" "$d/bin/busybox"
for c in sh cat echo sleep grep nslookup wget httpd hostname ip timeout; do ln -s busybox "$d/bin/$c"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
echo "root:x:0:" >"$d/etc/group"
tar -C "$d" --numeric-owner -cf "$T/rootfs.tar" .
rm -rf "$d"
b image import "$T/rootfs.tar" netbox >/dev/null 2>"$T/import.err" ||
	skip "berth image import does not work: $(cat "$T/import.err")"

gw_of() { b network inspect "$1" 2>/dev/null | sed -n 's/.*"Gateway": "\(.*\)".*/\1/p'; }
dns_procs() { pgrep -f -- "--root $ROOT __dns" | wc -l; }
# ours: the links of our networks and containers (bridges by their gateway address, veths
# from the records), appended to $T/links as they appear
ours() {
	for n in front back bridge; do
		gw=$(gw_of "$n")
		[ -n "$gw" ] || continue
		ip -o -4 addr show | awk -v a="inet $gw/" 'index($0, a) { print $2 }'
	done >>"$T/links"
	sed -n 's/.*"HostIf": "\([^"]*\)".*/\1/p' "$ROOT"/containers/*/network.json \
		>>"$T/links" 2>/dev/null || true
}

# web NAME NET...: a detached httpd that answers its own name
web() {
	n=$1
	shift
	b container run -d --name "$n" "$@" netbox sh -c \
		"mkdir -p /www && echo $n >/www/index.html && exec httpd -f -p 80 -h /www" >/dev/null ||
		fail "run $n"
}
# host_says TEXT PORT: within 5 s, http://127.0.0.1:PORT/ from the host answers TEXT
host_says() {
	wait_for 5 sh -c "[ \"\$('$bb' wget -qO- http://127.0.0.1:$2/)\" = '$1' ]"
}
# get NET... -- URL: what a one-shot container on those networks fetches. --dns 127.0.0.1:
# names the responder does not know go there (nothing of the host's), and fail.
get() {
	args=
	while [ "$1" != -- ]; do args="$args --network $1"; shift; done
	# shellcheck disable=SC2086
	b container run --rm --dns 127.0.0.1 $args netbox timeout 10 wget -qO- "$2" 2>/dev/null ||
		true
}

# gets TEXT NET... -- URL: within 5 s, a one-shot container on those networks fetches TEXT (a
# server run with -d may not listen yet when its run returns)
gets() {
	want=$1
	shift
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(get "$@")" = "$want" ] && return 0
		sleep 0.5
	done
	return 1
}

b network create front >/dev/null || fail "create front"
b network create back >/dev/null || fail "create back"

say "a container on two networks"
web pf --network front
web pb --network back
web two --network name=front,alias=t1 --network name=back,alias=t2
out=$(b container run --rm --network name=front,alias=x --network back netbox sh -c \
	'ip -o -4 addr show; ip route; cat /etc/resolv.conf; wget -qO- http://pf/; wget -qO- http://pb/')
echo "$out" | grep -q '^2: eth0 .* inet ' || fail "no eth0: $out"
echo "$out" | grep -q '^3: eth1 .* inet ' || fail "no eth1: $out"
FGW=$(gw_of front)
echo "$out" | grep -q "^default via $FGW dev eth0" || fail "default route not via front ($FGW): $out"
echo "$out" | grep -q "^nameserver $FGW" || fail "resolv.conf not front's responder: $out"
echo "$out" | grep -qx pf || fail "peer on front not reached by name: $out"
echo "$out" | grep -qx pb || fail "peer on back not reached by name: $out"
gets two front -- http://t1/ || fail "alias t1 on front"
gets two back -- http://t2/ || fail "alias t2 on back"
[ -z "$(get back -- http://t1/)" ] || fail "alias t1 of front answers on back"
b container inspect two >"$T/insp" || fail "inspect two"
grep -q '"front": {' "$T/insp" && grep -q '"back": {' "$T/insp" || fail "inspect Networks"
grep -q '"t2"' "$T/insp" || fail "inspect Aliases"
expect_code 125 b container run --rm --network front --network front netbox true
expect_code 125 b container run --rm --network front --network none netbox true
expect_code 125 b container run --rm --network name=front,driver-opt=x=y netbox true

ours
say "connect and disconnect a running container"
web lone --network front
[ -z "$(get back -- http://lone/)" ] || fail "lone reachable on back before connect"
b network connect --alias lb back lone || fail "connect lone"
gets lone back -- http://lb/ || fail "lone not reachable on back after connect"
expect_code 1 b network connect back lone
grep -q "already exists in network back" "$T/err" || fail "connect twice: $(cat "$T/err")"
b network disconnect back lone || fail "disconnect lone"
[ -z "$(get back -- http://lone/)" ] || fail "lone still reachable on back"
gets lone front -- http://lone/ || fail "lone lost front"
expect_code 1 b network disconnect back lone
expect_code 1 b network connect nosuch lone
expect_code 1 b network connect --alias x bridge lone
# disconnecting the first network moves the default route (and the ports) to the next
web roam --network front -p 127.0.0.1::80
b network connect back roam || fail "connect roam"
b network disconnect front roam || fail "disconnect roam from front"
RPID=$(b container inspect roam | sed -n 's/^ *"Pid": \([0-9]*\).*/\1/p' | head -n 1)
BGW=$(gw_of back)
nsenter -t "$RPID" -n ip route | grep -q "^default via $BGW" ||
	fail "default route not moved to back: $(nsenter -t "$RPID" -n ip route)"
gets roam back -- http://roam/ || fail "roam not on back"
RPORT=$(b container port roam 80 | sed 's/.*://')
host_says roam "$RPORT" || fail "roam's port did not follow"

say "connect a stopped container (record only)"
b container create --name cold --network front netbox sh -c \
	'mkdir -p /www && echo cold >/www/index.html && exec httpd -f -p 80 -h /www' >/dev/null ||
	fail "create cold"
b network connect back cold || fail "connect cold"
b container start cold >/dev/null || fail "start cold"
gets cold back -- http://cold/ || fail "cold not on back after start"

say "the default bridge network"
HOST_NS=$(grep '^nameserver' /etc/resolv.conf | head -n 1)
out=$(b container run --rm netbox sh -c 'ip -o -4 addr show eth0; cat /etc/resolv.conf') ||
	fail "run on the default network"
echo "$out" | grep -q 'eth0 .* inet ' || fail "no address on the default network: $out"
if [ -n "$HOST_NS" ]; then
	echo "$out" | grep -qx "$HOST_NS" || fail "resolv.conf is not the host's: $out"
fi
b network ls | grep -q ' bridge ' || fail "network ls does not list bridge"
expect_code 1 b network rm bridge
grep -q "pre-defined network and cannot be removed" "$T/err" || fail "rm bridge: $(cat "$T/err")"
expect_code 125 b container run --rm --network bridge --network-alias x netbox true
expect_code 125 b container run --rm --network default --ip 10.1.2.3 netbox true
web db1 -p 127.0.0.1::80
DPORT=$(b container port db1 80 | sed 's/.*://')
# run -d returns once the shell runs: httpd may not listen yet
host_says db1 "$DPORT" || fail "published port on the default bridge: $("$bb" wget -qO- "http://127.0.0.1:$DPORT/" 2>&1)"
# on the default bridge and a user-defined network, names resolve (through the latter)
out=$(b container run --rm --network bridge --network front netbox sh -c \
	'cat /etc/resolv.conf; wget -qO- http://pf/')
echo "$out" | grep -q "^nameserver $FGW" || fail "bridge+front: not front's responder: $out"
echo "$out" | grep -qx pf || fail "bridge+front: pf not reached by name: $out"
b container inspect db1 | grep -q '"bridge": {' || fail "inspect: not on bridge"
b network inspect bridge | grep -q '"Name": "db1"' || fail "network inspect bridge: no db1"
# no DNS names on the default bridge (asked of the IPAM record: a lookup would go to the
# host's resolvers)
grep -q '"db1"' "$ROOT/net/ipam/bridge.json" && fail "db1 has a DNS name on the default bridge"
[ -e "$ROOT/run/networks/bridge/dns.pid" ] && fail "the default bridge has a DNS responder"

say "outbound NAT to the outside"
R=$(shuf -i 1-250 -n 1)
ip -4 route show | grep -q "^198\.18\.$R\." && skip "198.18.$R.0/24 is routed here"
ip netns add "$OUTNS" || skip "cannot create a netns"
ip link add "$OH" type veth peer name eth0 netns "$OUTNS" || fail "outside veth"
ip addr add "198.18.$R.1/30" dev "$OH" && ip link set "$OH" up || fail "outside host side"
ip netns exec "$OUTNS" ip addr add "198.18.$R.2/30" dev eth0 || fail "outside address"
ip netns exec "$OUTNS" ip link set eth0 up && ip netns exec "$OUTNS" ip link set lo up ||
	fail "outside up"
mkdir -p "$T/outside/cgi-bin"
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "peer=$REMOTE_ADDR"\n' \
	>"$T/outside/cgi-bin/peer"
chmod 755 "$T/outside/cgi-bin/peer"
ip netns exec "$OUTNS" "$bb" httpd -f -p "198.18.$R.2:8080" -h "$T/outside" &
HTTPD_PID=$!
sleep 0.3
out=$(b container run --rm netbox timeout 10 wget -qO- "http://198.18.$R.2:8080/cgi-bin/peer") ||
	fail "the default network does not reach the outside"
[ "$out" = "peer=198.18.$R.1" ] || fail "not masqueraded: $out"

say "--network container:ID"
out=$(b container run --rm --network container:lone netbox timeout 10 wget -qO- http://127.0.0.1/) ||
	fail "container:lone"
[ "$out" = lone ] || fail "container:lone does not share lone's netns: $out"
out=$(b container run --rm --network container:lone netbox cat /etc/resolv.conf)
echo "$out" | grep -q "^nameserver $FGW" || fail "container:lone does not resolve as lone: $out"
LIP=$(b container inspect lone | sed -n 's/^ *"IPAddress": "\(.*\)".*/\1/p' | grep . | head -n 1)
b container run --rm --network container:lone netbox cat /etc/hosts | grep -q "^$LIP.lone$" ||
	fail "container:lone has not lone's name in /etc/hosts"
expect_code 125 b container run --rm --network container:lone -p 80 netbox true
grep -q "port publishing and the container type network mode" "$T/err" ||
	fail "container: with -p: $(cat "$T/err")"
b container create --name stopped --network front netbox true >/dev/null || fail "create stopped"
expect_code 125 b container run --rm --network container:stopped netbox true

say "nothing is left"
ours
for id in $(b container ls -aq); do b container rm -f "$id" >/dev/null || fail "rm $id"; done
b network rm front back >/dev/null || fail "network rm"
b network rm --predefined bridge >/dev/null || fail "rm the default network"
ip link del "$OH"
[ "$(sort -u "$T/links" | wc -l)" -ge 4 ] || fail "found too few of our links: $(cat "$T/links")"
for l in $(sort -u "$T/links"); do
	ip link show dev "$l" >/dev/null 2>&1 && fail "link $l left"
done
"$NFT" list table ip "$TABLE" >/dev/null 2>&1 && fail "nftables table left"
[ "$(dns_procs)" = 0 ] || fail "DNS responders left"
echo PASS
