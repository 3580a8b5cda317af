# The build cache: a rebuild with nothing changed runs nothing and gives the same image;
# editing one copied file rebuilds from that step on; --no-cache; `builder prune`.
. "$(dirname "$0")/lib.sh"
make_busybox_full

C="$T/ctx"
mkdir -p "$C"
echo one >"$C/one.txt"
echo two >"$C/two.txt"
cat >"$C/Dockerfile" <<'EOF'
FROM busybox
RUN echo step1 > /s1
COPY one.txt /one.txt
RUN cat /one.txt > /s2
COPY two.txt /two.txt
RUN cat /two.txt > /s3
EOF

id1=$(build "$C") || fail "cold build: $(cat "$T/build.out")"
grep -q CACHED "$T/build.out" && fail "a cold build used the cache"

say "unchanged: every step cached, same image"
id2=$(build "$C") || fail "rebuild: $(cat "$T/build.out")"
[ "$(grep -c CACHED "$T/build.out")" = 5 ] || fail "not all steps cached: $(cat "$T/build.out")"
grep -q DONE "$T/build.out" && fail "a step ran again"
[ "$id1" = "$id2" ] || fail "same inputs gave $id1 then $id2"

say "edit two.txt: the steps before it stay cached"
echo TWO >"$C/two.txt"
touch "$C/one.txt"
id3=$(build "$C") || fail "rebuild after edit"
[ "$(grep -c CACHED "$T/build.out")" = 3 ] || fail "want 3 cached steps: $(cat "$T/build.out")"
[ "$(grep -c DONE "$T/build.out")" = 2 ] || fail "want 2 steps run: $(cat "$T/build.out")"
[ "$id3" != "$id2" ] || fail "an edited file gave the same image"
[ "$(b container run --rm "$id3" cat /s3)" = TWO ] || fail "the rebuilt step did not see the edit"

say "--no-cache runs everything"
build --no-cache "$C" >/dev/null || fail "--no-cache build"
grep -q CACHED "$T/build.out" && fail "--no-cache used the cache"

say "the cache survives garbage collection, builder prune drops it"
b image rm "$id1" >/dev/null 2>&1 || true
b system prune -f >/dev/null 2>&1 || b image prune -f >/dev/null 2>&1 || true
build "$C" >/dev/null || fail "build after gc"
[ "$(grep -c CACHED "$T/build.out")" = 5 ] || fail "gc dropped the build cache: $(cat "$T/build.out")"
b builder prune -f | grep -q "Deleted build cache objects" || fail "builder prune output"
build "$C" >/dev/null || fail "build after prune"
grep -q CACHED "$T/build.out" && fail "builder prune left cache entries"
no_build_leftovers
say "ok"
