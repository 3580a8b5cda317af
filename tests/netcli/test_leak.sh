#!/usr/bin/env bash
# Nothing leaks: links, addresses, nftables tables, DNS responders and netns, counted before
# and after cycles of create/inspect/rm/prune including refused creates, a refused rm, a
# responder killed with SIGKILL and the leftover of a create that crashed half way.
source "$(dirname "$0")/lib.sh" "${1:-}" "${2:-}"
R=$(free_octet)

snapshot() {
  echo "links $(ip -o link | grep -c ': berth-')"
  echo "addrs $(ip -o -4 addr | grep -c ' berth-')"
  echo "table $("$NFT" list tables | grep -c " $TABLE\$")"
  echo "dns $(for p in $(pgrep -x berth-dns); do tr '\0' ' ' </proc/$p/cmdline; echo; done \
              | grep -c -- "--root $ROOT ")"
  echo "netns $(ip netns list | wc -l)"
  echo "files $(find "$ROOT" -type f 2>/dev/null | grep -v '/\.lock$' | wc -l)"
}
BEFORE=$(snapshot)

for i in 1 2 3 4 5; do
  berth network create n$i >/dev/null || fail "cycle $i: create"
  berth network create --subnet 10.$R.$i.0/24 --internal s$i >/dev/null \
    || fail "cycle $i: create --subnet"
  berth network create --subnet 10.$R.$i.0/25 bad$i >/dev/null 2>&1 \
    && fail "cycle $i: overlapping create succeeded"
  "$PROBE" ipam-lease "$ROOT/net/ipam" s$i c$i --name x >/dev/null || fail "lease"
  berth network rm s$i >/dev/null 2>&1 && fail "cycle $i: rm in use succeeded"
  "$PROBE" ipam-release "$ROOT/net/ipam" s$i c$i || fail "release"
  [ "$(ip -o link | grep -c ': berth-')" -ge 2 ] || fail "cycle $i: bridges missing"
  if [ $i = 3 ]; then
    kill -9 "$(dns_pid_of n$i)" || fail "kill responder"
  fi
  if [ $i = 4 ]; then
    berth network prune -f >/dev/null || fail "prune"
  else
    berth network rm n$i s$i >/dev/null || fail "cycle $i: rm"
  fi
done

# a create that crashed after recording its addressing: the next create takes over
mkdir -p "$ROOT/net/ipam"
"$PROBE" ipam-create "$ROOT/net/ipam" half --subnet 10.$R.200.0/24 >/dev/null || fail "half"
berth network create --subnet 10.$R.201.0/24 half >/dev/null || fail "create over a leftover"
berth network inspect half | grep -q "10.$R.201.0/24" || fail "leftover addressing kept"
berth network rm half >/dev/null || fail "rm half"

AFTER=$(snapshot)
[ "$BEFORE" = "$AFTER" ] || fail "leak: before [$BEFORE] after [$AFTER]"
echo "$AFTER" | tr '\n' ' '; echo
ok "nothing left after create/rm/prune cycles"
echo PASS
