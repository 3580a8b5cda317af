#!/usr/bin/env bash
# Subnets: an automatic subnet avoids host routes and addresses (a dummy link the test makes,
# and another root's bridge), a configured one must not overlap a network of the same root.
source "$(dirname "$0")/lib.sh" "${1:-}" "${2:-}"
ROOT2=$WORK/root2
ROOTS+=("$ROOT2")
berth2() { "$BERTH_BIN" --root "$ROOT2" "$@"; }

# which subnet would an automatic create pick now?
berth network create probe >/dev/null || fail "create probe"
S1=$(subnet_of probe)
berth network rm probe >/dev/null || fail "rm probe"

# occupy it with an address on a link of our own: the next pick must avoid it
D=${TAG}d
track_link "$D"
ip link add "$D" type dummy 2>/dev/null || ip link add "$D" type bridge || fail "link $D"
B1=${S1%/*}
ip addr add "${B1%.*}.9/24" dev "$D" || fail "address on $D"
berth network create a1 >/dev/null || fail "create a1"
S2=$(subnet_of a1)
[ "$S2" != "$S1" ] || fail "picked $S2, overlapping the host's address on $D"
ok "automatic subnet $S2 avoids the host's $S1"

# another root's network is a host route for this one
berth2 network create a2 >/dev/null || fail "create in root2"
S3=$(berth2 network inspect a2 | sed -n 's/.*"Subnet": "\(.*\)".*/\1/p')
[ "$S3" != "$S2" ] && [ "$S3" != "$S1" ] || fail "root2 picked $S3 (taken: $S1 $S2)"
ok "a second root avoids the first root's bridge ($S3)"

# a configured subnet that overlaps another network of the same root is refused
expect_fail "overlap" berth network create --subnet "$S2" a3
grep -qi "overlap\|in use" <<<"$ERR" || fail "overlap message: $ERR"
ok "configured overlapping subnet refused: $ERR"

berth network rm a1 >/dev/null && berth2 network rm a2 >/dev/null || fail "rm"
echo PASS
