#!/usr/bin/env bash
# The per-network DNS responder process: started by `network create` on the gateway's port
# 53, answers the names of the network's IPAM record (also names added after it started),
# from the host and from a netns on the bridge, and is gone after `network rm`.
source "$(dirname "$0")/lib.sh" "${1:-}" "${2:-}"
R=$(free_octet)
GW=10.$R.0.1

berth network create --subnet 10.$R.0.0/24 names >/dev/null || fail "create"
PID=$(dns_pid_of names)
[ -n "$PID" ] && kill -0 "$PID" || fail "no responder running (pid file: $PID)"
[ "$(cat /proc/$PID/comm)" = berth-dns ] || fail "pid file names $(cat /proc/$PID/comm)"
ss -Hlun "src $GW:53" | grep -q . || fail "nothing listens on $GW:53"
ok "responder $PID listens on $GW:53"

# a name added to the record after the start is answered at once
IP=$("$PROBE" ipam-lease "$ROOT/net/ipam" names c1 --name web --name alias1) || fail "lease"
[ "$("$PROBE" dns-query $GW:53 web)" = "rcode=0 $IP" ] || fail "host query: $("$PROBE" dns-query $GW:53 web)"
ok "answers a name of the IPAM record from the host"

# from a netns attached to the bridge, as a container would ask
NS=${TAG}c; VH=${TAG}v
mk_netns "$NS"; track_link "$VH"
"$PROBE" attach "$(bridge_of names)" "$VH" /run/netns/$NS eth0 $IP/24 $GW || fail "attach"
out=$(ip netns exec "$NS" "$PROBE" dns-query $GW:53 ALIAS1.)
[ "$out" = "rcode=0 $IP" ] || fail "netns query: $out"
ok "answers from a netns on the bridge"

# a refused second create leaves the running responder alone
berth network create names >/dev/null 2>&1 && fail "second create succeeded"
[ "$(dns_pid_of names)" = "$PID" ] || fail "responder replaced"

"$PROBE" detach "$VH" || fail "detach"
"$PROBE" ipam-release "$ROOT/net/ipam" names c1 || fail "release"
berth network rm names >/dev/null || fail "rm"
# (a zombie, if this machine's init is slow to reap, has an empty cmdline)
[ -s /proc/$PID/cmdline ] && fail "responder $PID still running after rm"
ss -Hlun "src $GW:53" | grep -q . && fail "something still listens on $GW:53"
[ -e "$ROOT/run/networks/names/dns.pid" ] && fail "pid file left"
ok "responder stopped by rm"
echo PASS
