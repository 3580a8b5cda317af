#!/usr/bin/env bash
# berth network create/ls/inspect/rm/prune: docker's output and exit codes, ipam options
# honoured on the bridge, refusals (in use, unknown, duplicate, IPv6, other drivers).
source "$(dirname "$0")/lib.sh" "${1:-}" "${2:-}"
R=$(free_octet)

# empty root: the header only
[ "$(berth network ls)" = "$(printf 'NETWORK ID   NAME      DRIVER    SCOPE')" ] \
  || fail "empty ls: $(berth network ls)"

ID=$(berth network create --subnet 10.$R.0.0/24 --gateway 10.$R.0.254 \
       --ip-range 10.$R.0.128/25 --aux-address host1=10.$R.0.5 --label com.example=yes \
       --opt com.docker.network.driver.mtu=1400 front) || fail "create front"
[[ "$ID" =~ ^[0-9a-f]{64}$ ]] || fail "create prints the id: $ID"
[ "$(net_id front)" = "$ID" ] || fail "inspect Id"
BR=$(bridge_of front)
ip -4 -br addr show dev "$BR" | grep -q "10.$R.0.254/24" || fail "gateway not on $BR"
ip link show dev "$BR" | grep -q "mtu 1400" || fail "mtu not set on $BR"
J=$(berth network inspect front)
for want in '"Subnet": "10.'$R'.0.0/24"' '"Gateway": "10.'$R'.0.254"' \
            '"IPRange": "10.'$R'.0.128/25"' '"host1": "10.'$R'.0.5"' '"com.example": "yes"' \
            '"Driver": "bridge"' '"Scope": "local"' '"EnableIPv6": false' '"Internal": false' \
            '"com.docker.network.driver.mtu": "1400"'; do
  grep -qF "$want" <<<"$J" || fail "inspect lacks $want"
done
ok "create honours subnet, gateway, ip-range, aux-address, label, mtu"

# a lease comes from the ip range, and makes the network "in use"
IP=$("$PROBE" ipam-lease "$ROOT/net/ipam" front c1 --name web) || fail "lease"
[ "${IP%.*}" = "10.$R.0" ] && [ "${IP##*.}" -ge 128 ] || fail "lease $IP outside the ip-range"
berth network inspect front | grep -q '"IPv4Address": "'$IP'/24"' || fail "Containers"

berth network create --internal back >/dev/null || fail "create --internal"
berth network inspect -f '{{.Internal}}' back | grep -qx true || fail "internal flag"
"$NFT" list table ip "$TABLE" >/dev/null 2>&1 || fail "no nftables table $TABLE"

out=$(berth network ls)
[ "$(echo "$out" | sed -n 1p)" = "NETWORK ID     NAME      DRIVER    SCOPE" ] || fail "ls header: $out"
echo "$out" | grep -Eq "^${ID:0:12}   front     bridge    local$" || fail "ls row: $out"
[ "$(echo "$out" | wc -l)" = 3 ] || fail "ls rows: $out"
[ "$(berth network ls -q | sort)" = "$( (echo "${ID:0:12}"; net_id back | cut -c1-12) | sort)" ] \
  || fail "ls -q"
berth network ls --format json | grep -q '"Name":"front"' || fail "ls --format json"
[ "$(berth network ls --format json | wc -l)" = 2 ] || fail "ls --format json: one line each"
[ "$(berth network ls --format '{{.Name}}')" = "$(printf 'back\nfront')" ] || fail "ls template"
ok "ls: table, -q, --format json and templates"

expect_fail "duplicate" berth network create front
grep -q "already exists" <<<"$ERR" || fail "duplicate message: $ERR"
expect_fail "ipv6" berth network create --ipv6 v6
grep -qi "ipv6" <<<"$ERR" || fail "ipv6 message: $ERR"
expect_fail "driver" berth network create -d overlay ov
expect_fail "overlapping subnet" berth network create --subnet 10.$R.0.0/16 wide
expect_fail "bad name" berth network create 'a/b'
expect_fail "bad mtu" berth network create -o com.docker.network.driver.mtu=9 m
[ "$(berth network ls -q | wc -l)" = 2 ] || fail "a refused create left a network"
ok "create refusals (duplicate, ipv6, driver, overlap, name, mtu) leave nothing"

expect_fail "rm unknown" berth network rm nosuch
[ "$ERR" = "berth: network nosuch not found" ] || fail "rm unknown says: $ERR"
expect_fail "inspect unknown" berth network inspect nosuch
expect_fail "rm in use" berth network rm front
grep -q "active endpoints" <<<"$ERR" || fail "rm in use says: $ERR"
[ "$(echo "$ERR" | wc -l)" = 1 ] || fail "one line"
ip link show dev "$BR" >/dev/null 2>&1 || fail "refused rm removed the bridge"
ok "rm: unknown (exit 1, one line), in use refused and nothing removed"

expect_fail "connect" berth network connect front c1
grep -q "no such container: c1" <<<"$ERR" || fail "connect says: $ERR"
expect_fail "disconnect" berth network disconnect front c1
expect_fail "connect usage" berth network connect front
expect_fail "rm bridge" berth network rm bridge
[ "$ERR" = "berth: bridge is a pre-defined network and cannot be removed" ] || fail "rm bridge: $ERR"
expect_fail "create bridge" berth network create bridge
expect_fail "create default" berth network create default
[ -f "$ROOT/networks/bridge.json" ] && fail "a refusal created the default network"
ok "connect/disconnect of an unknown container, the pre-defined bridge refused"

# the table holds what .applied says; a table gone behind berth's back (as after a reboot,
# whose new boot id makes the record stale) is rebuilt whole by the next change
[ -f "$ROOT/net/nat/.applied" ] || fail "no record of the applied statements"
grep -q 'masquerade' "$ROOT/net/nat/.applied" || fail ".applied lacks the rules"
"$NFT" delete table ip "$TABLE" || fail "delete the table by hand"
sed -i '1s/.*/boot 00000000-0000-0000-0000-000000000000/' "$ROOT/net/nat/.applied"
berth network create afterboot >/dev/null || fail "create after a 'reboot'"
"$NFT" list table ip "$TABLE" | grep -q "$BR" || fail "the table lost the older network's bridge"
"$NFT" list table ip "$TABLE" | grep -q 'chain postrouting' || fail "no skeleton after a 'reboot'"
berth network rm afterboot >/dev/null || fail "rm afterboot"
ok "a stale record of the table (another boot) means a whole replacement"

# prune removes only what nobody uses
[ "$(berth network prune -f)" = "$(printf 'Deleted Networks:\nback')" ] || fail "prune output"
[ "$(berth network ls -q | wc -l)" = 1 ] || fail "prune removed a network in use"
echo n | berth network prune >/dev/null || fail "prune answered no"
"$PROBE" ipam-release "$ROOT/net/ipam" front c1 || fail "release"
[ "$(berth network rm front)" = front ] || fail "rm prints the name"
ip link show dev "$BR" >/dev/null 2>&1 && fail "bridge left behind"
"$NFT" list table ip "$TABLE" >/dev/null 2>&1 && fail "nftables table left behind"
[ -z "$(berth network ls -q)" ] || fail "ls after rm"
[ -z "$(berth network prune -f)" ] || fail "prune of nothing prints nothing"
ok "prune and rm remove bridge, rules and records"
echo PASS
