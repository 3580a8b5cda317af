# Two `up -d` at once serialize on the project lock (one container per service); an `up`
# killed with -9 at random points leaves state that the next `up` converges and `down`
# removes completely: no container, network, veth, nftables rule, mount or process.
. "$(dirname "$0")/lib.sh"
make_busybox
cat >"$P/compose.yaml" <<'YAML'
name: t4
services:
  a:
    image: busybox
    init: true
    command: ["sleep", "1000"]
    ports: ["127.0.0.1::80"]
  b:
    image: busybox
    init: true
    command: ["sleep", "1000"]
    depends_on: [a]
  c:
    image: busybox
    init: true
    command: ["sleep", "1000"]
    depends_on: [b]
YAML

check_one_each() {
	for s in a b c; do
		n=$(b ps -q "$s" | wc -l)
		[ "$n" = 1 ] || fail "$1: service $s has $n running containers: $(b ps -a)"
	done
	[ "$(b ps -aq | wc -l)" = 3 ] || fail "$1: $(b ps -a)"
}

nft_rules() {
	nft list ruleset 2>/dev/null | grep -c "dnat to" || true
}
rules_before=$(nft_rules)

say "two ups at once"
b up -d 2>"$T/u1" & p1=$!
b up -d 2>"$T/u2" & p2=$!
wait $p1 || fail "first up: $(cat "$T/u1")"
wait $p2 || fail "second up: $(cat "$T/u2")"
check_one_each "concurrent ups"
b down -t 0 2>/dev/null

say "kill -9 of up at random points, then up converges"
for round in 1 2 3 4 5 6; do
	(cd "$P" && exec "$BERTH" --root "$ROOT" up -d 2>/dev/null) & pid=$!
	sleep "0.0$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1)"
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	b up -d 2>"$T/up.err" || fail "round $round: up after a kill: $(cat "$T/up.err")"
	check_one_each "round $round"
	if [ $((round % 2)) = 0 ]; then
		b down -t 0 2>"$T/down.err" || fail "round $round: down: $(cat "$T/down.err")"
		[ -z "$(b ps -aq)" ] || fail "round $round: containers after down"
	fi
done

say "kill -9 of down, then down finishes"
(cd "$P" && exec "$BERTH" --root "$ROOT" down -t 0 2>/dev/null) & pid=$!
sleep 0.05
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
sleep 0.5
b down -t 0 2>"$T/down.err" || fail "down after a killed down: $(cat "$T/down.err")"
[ -z "$(b ps -aq)" ] || fail "containers after down"
[ "$(nft_rules)" = "$rules_before" ] || fail "nftables DNAT rules left: $(nft_rules) (before $rules_before)"
echo PASS
