# RUN networking: --network=none has only loopback; the default (host) sees the host's
# interfaces; `image build --network none` applies to every RUN.
. "$(dirname "$0")/lib.sh"
make_busybox_full

C="$T/ctx"
mkdir -p "$C"
cat >"$C/Dockerfile" <<'EOF'
FROM busybox
RUN --network=none tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' > /none.txt
RUN tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort > /default.txt
EOF
id=$(build "$C") || fail "build: $(cat "$T/build.out")"
[ "$(b container run --rm "$id" cat /none.txt)" = lo ] || fail "--network=none has more than lo"
# the host's default-route interface (other interfaces may come and go meanwhile)
gw=$(awk '$2 == "00000000" { print $1; exit }' /proc/net/route)
[ -n "$gw" ] || gw=lo
b container run --rm "$id" cat /default.txt | grep -qx "$gw" ||
	fail "the default RUN network is not the host's (no $gw)"
id=$(build --no-cache --network none "$C") || fail "build --network none"
[ "$(b container run --rm "$id" cat /default.txt)" = lo ] || fail "--network none did not apply"
expect_code 1 b image build --network bridge0 "$C"
grep -q "network mode" "$T/err" || fail "bad --network: $(cat "$T/err")"
no_build_leftovers
say "ok"
