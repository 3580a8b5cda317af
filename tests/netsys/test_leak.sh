#!/usr/bin/env bash
# Leak test: counts links, addresses, nftables rules, DNS responder processes and network
# namespaces before and after LEAK_CYCLES (default 10) rounds of network create / two
# containers attach with a published port / detach / network remove. The assertions are on
# what this test names (its tag); host-wide totals are printed for information because
# other work on the machine may change them meanwhile.
source "$(dirname "$0")/lib.sh" "${1:-}"
P=$PROBE
R=$(free_octet)
N=${LEAK_CYCLES:-10}
BR=${TAG}b
track_link "$BR"

count() {
  echo "links=$(ip -o link | grep -c "$TAG")" \
       "addrs=$(ip -o -4 addr | grep -c " 10\.$R\.")" \
       "nft=$("$NFT" -a list table ip "$TABLE" 2>/dev/null | grep -c '# handle')" \
       "dns=$(pgrep -fc "dns-serve .*$WORK")" \
       "netns=$(ip netns list | grep -c "$TAG")"
}
totals() {
  echo "links=$(ip -o link | wc -l) addrs=$(ip -o addr | wc -l)" \
       "nft_rules=$("$NFT" -a list ruleset | grep -c '# handle')" \
       "netns=$(ip netns list | wc -l)"
}
settle() {  # netns teardown in the kernel is asynchronous
  local i
  for i in $(seq 1 100); do [ "$(count)" = "$BEFORE" ] && return 0; sleep 0.05; done
}

BEFORE=$(count); TOT_BEFORE=$(totals)
echo "info: before: $BEFORE | host: $TOT_BEFORE"

cycle() {
  local i=$1 out S G c ip pids=() port dns
  out=$($P ipam-create "$IPAM" n$i --pool 10.$R.0.0/16:24 --avoid-host) || fail "ipam $i"
  S=${out%% *}; S=${S#subnet=}; G=${out#*gateway=}; G=${G%% *}
  $P bridge-up "$BR" $G/24 || fail "bridge $i"
  $P nat-net "$NAT" "$TABLE" n$i "$BR" $S $G || fail "nat-net $i"
  $P dns-serve $G:53 --table "$IPAM/n$i.json" --ready "$WORK/dns$i" & dns=$!
  PIDS+=($dns)
  wait_file "$WORK/dns$i"
  for c in 1 2; do
    mk_netns ${TAG}c$c
    ip=$($P ipam-lease "$IPAM" n$i c$c --name svc --name c$c) || fail "lease"
    $P attach "$BR" ${TAG}v$c /run/netns/${TAG}c$c eth0 $ip/24 $G || fail "attach $i/$c"
    ip netns exec ${TAG}c$c $P hello-serve 0.0.0.0:80 --ready "$WORK/h$i$c" & pids+=($!)
    PIDS+=($!)
    wait_file "$WORK/h$i$c"
    out=$($P nat-ports "$NAT" "$TABLE" c$c $ip 127.0.0.1::80) || fail "publish $i/$c"
    port=${out##*:}
    $P hello 127.0.0.1:$port >/dev/null || fail "published port $i/$c"
  done
  [ "$(ip netns exec ${TAG}c1 $P dns-query $G:53 c2 | cut -d' ' -f2)" = "$ip" ] \
    || fail "dns $i"
  for c in 1 2; do
    $P nat-ports-rm "$NAT" "$TABLE" c$c || fail "unpublish"
    $P detach ${TAG}v$c || fail "detach"
    $P ipam-release "$IPAM" n$i c$c || fail "release"
  done
  kill "${pids[@]}" $dns; wait "${pids[@]}" $dns 2>/dev/null
  for c in 1 2; do ip netns del ${TAG}c$c || fail "netns del"; done
  NETNS=()
  $P nat-net-rm "$NAT" "$TABLE" n$i || fail "nat-net-rm"
  $P bridge-down "$BR" || fail "bridge-down"
  $P ipam-rm "$IPAM" n$i || fail "ipam-rm"
}

for i in $(seq 1 "$N"); do cycle "$i"; done
settle
AFTER=$(count); TOT_AFTER=$(totals)
echo "info: after $N cycles: $AFTER | host: $TOT_AFTER"
[ "$AFTER" = "$BEFORE" ] || fail "leak: before '$BEFORE', after '$AFTER'"
[ -z "$(ls "$NAT" 2>/dev/null)" ] || fail "nat state left: $(ls "$NAT")"
[ -z "$(ls "$IPAM" 2>/dev/null)" ] || fail "ipam records left: $(ls "$IPAM")"
ok "nothing leaked over $N cycles"
echo "PASS"
