# Networks for `container run`: two containers on one berth network reach each other by name
# (DNS responder) and alias, a published port answers on the host's 127.0.0.1, and `rm -f`
# (also after kill -9 of the monitor) leaves no lease, veth or nftables DNAT rule behind.
# Traffic goes only to 127.0.0.1 and to the test's own bridge.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null || skip "no ip(8)"
NFT=$(command -v nft || echo /usr/sbin/nft)
[ -x "$NFT" ] || skip "no nft(8)"
TABLE=berth_$(printf %s "$ROOT" | sha256sum | cut -c1-8)
NET=bt$$

net_cleanup() {
	rc=$?
	set +e
	if [ -d "$ROOT/containers" ]; then
		for id in $(b container ls -aq 2>/dev/null); do b container rm -f "$id" >/dev/null 2>&1; done
	fi
	b network rm "$NET" >/dev/null 2>&1
	"$NFT" delete table ip "$TABLE" 2>/dev/null
	(exit $rc)
	cleanup
}
trap net_cleanup EXIT

# a busybox image with the network applets
bb=$(command -v busybox || true)
[ -n "$bb" ] || skip "busybox-static is not installed"
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || skip "$bb is not static"
d="$T/rootfs"
mkdir -p "$d/bin" "$d/tmp" "$d/etc" "$d/root" "$d/www"
cp "$bb" "$d/bin/busybox"
for c in sh cat echo sleep ping nslookup wget httpd hostname; do ln -s busybox "$d/bin/$c"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
echo "root:x:0:" >"$d/etc/group"
echo "hello from web" >"$d/www/index.html"
tar -C "$d" --numeric-owner -cf "$T/rootfs.tar" .
rm -rf "$d"
b image import "$T/rootfs.tar" netbox >/dev/null 2>"$T/import.err" ||
	skip "berth image import does not work: $(cat "$T/import.err")"

b network create "$NET" >/dev/null 2>"$T/err" || skip "network create failed: $(cat "$T/err")"

# counts: leases on the network, DNAT rules of published ports, host veths of our containers
leases() { grep -c '"owner"' "$ROOT/net/ipam/$NET.json" || true; }
# dnats PORT: how often the published host port PORT appears in the table's DNAT maps
dnats() { "$NFT" list table ip "$TABLE" 2>/dev/null | grep -c "\. $1 : " || true; }
veth_of() { sed -n 's/.*"HostIf": "\([^"]*\)".*/\1/p' "$ROOT/containers/$1/network.json"; }
id_of() { b container inspect "$1" | sed -n 's/^ *"Id": "\([0-9a-f]*\)".*/\1/p' | head -n 1; }

L0=$(leases)
PORT=$(shuf -i 30000-39999 -n 1)

say "a web server with a published port"
b container run -d --name web --network "$NET" --network-alias www \
	-p "127.0.0.1:$PORT:80" netbox httpd -f -p 80 -h /www >/dev/null || fail "run web"
remember_id web
WEB=$(id_of web)
VWEB=$(veth_of "$WEB")
[ -n "$VWEB" ] || fail "web has no network.json"
ip link show "$VWEB" >/dev/null 2>&1 || fail "veth $VWEB of web is missing"
[ "$(leases)" = $((L0 + 1)) ] || fail "web holds no lease"
[ "$(dnats $PORT)" = 1 ] || fail "no DNAT rule for -p"

say "a second container reaches it by name and alias"
b container run --rm --name client --network "$NET" netbox sh -c \
	'grep -q "client" /etc/hosts && grep -q "^nameserver " /etc/resolv.conf &&
	 ping -c1 -W1 web >/dev/null && wget -qO- http://www/' >"$T/out" 2>"$T/err" ||
	fail "client could not reach web: $(cat "$T/err")"
grep -q "hello from web" "$T/out" || fail "client got '$(cat "$T/out")'"
[ "$(leases)" = $((L0 + 1)) ] || fail "--rm client left its lease"

say "the published port answers on 127.0.0.1"
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	if "$bb" wget -qO- "http://127.0.0.1:$PORT/" >"$T/out" 2>/dev/null; then ok=1; break; fi
	sleep 0.2
done
[ $ok = 1 ] && grep -q "hello from web" "$T/out" || fail "127.0.0.1:$PORT did not answer"

say "stop, bridge lost (as after a reboot), start: repaired and reachable again"
BR=$(sed -n 's/.*"Bridge": "\([^"]*\)".*/\1/p' "$ROOT/containers/$WEB/network.json")
b container stop -t 1 web >/dev/null || fail "stop web"
ip link del "$BR" || fail "ip link del $BR"
b container start web >/dev/null || fail "start web after its bridge went"
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	if "$bb" wget -qO- "http://127.0.0.1:$PORT/" >"$T/out" 2>/dev/null; then ok=1; break; fi
	sleep 0.2
done
[ $ok = 1 ] || fail "127.0.0.1:$PORT did not answer after the restart"

say "container port prints the mappings"
[ "$(b container port web)" = "80/tcp -> 127.0.0.1:$PORT" ] ||
	fail "container port web: '$(b container port web)'"
[ "$(b container port web 80/tcp)" = "127.0.0.1:$PORT" ] || fail "container port web 80/tcp"

say "a network in use is refused"
b network rm "$NET" >/dev/null 2>&1 && fail "network rm of a network in use succeeded"

say "rm -f leaves no lease, veth or DNAT rule"
b container rm -f web >/dev/null || fail "rm -f web"
[ "$(leases)" = "$L0" ] || fail "lease left after rm -f"
[ "$(dnats $PORT)" = 0 ] || fail "DNAT rule left after rm -f"
ip link show "$VWEB" >/dev/null 2>&1 && fail "veth $VWEB left after rm -f"

say "kill -9 of the monitor, then rm -f"
b container run -d --name k9 --network "$NET" -p "127.0.0.1::80" \
	netbox httpd -f -p 80 -h /www >/dev/null || fail "run k9"
remember_id k9
K9=$(id_of k9)
VK9=$(veth_of "$K9")
KPORT=$(b container port k9 80 | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p')
[ -n "$KPORT" ] || fail "no random host port for k9: '$(b container port k9)'"
[ "$(dnats "$KPORT")" = 1 ] || fail "no DNAT rule for k9's -p"
for p in $(pgrep -f -- "--root $ROOT container __monitor" || true); do kill -9 "$p" 2>/dev/null || true; done
b container rm -f k9 >/dev/null || fail "rm -f k9 after kill -9 of its monitor"
[ "$(leases)" = "$L0" ] || fail "lease left after kill -9 + rm -f"
[ "$(dnats "$KPORT")" = 0 ] || fail "DNAT rule left after kill -9 + rm -f"
ip link show "$VK9" >/dev/null 2>&1 && fail "veth $VK9 left after kill -9 + rm -f"

say "an unknown network is an error"
expect_code 125 b container run --rm --network nosuchnet netbox true
b network rm "$NET" >/dev/null || fail "network rm after every container left"
echo PASS
