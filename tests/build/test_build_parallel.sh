# Independent stages build at the same time (their steps start before any ends), the final
# stage gets all their results, and a failure in one of them fails the build with its
# message.
. "$(dirname "$0")/lib.sh"
make_busybox_full

C="$T/ctx"
mkdir -p "$C"
cat >"$C/Dockerfile" <<'EOF'
FROM busybox AS a
RUN sleep 1 && echo a > /a
FROM busybox AS b
RUN sleep 1 && echo b > /b
FROM busybox AS c
RUN sleep 1 && echo c > /c
FROM busybox
COPY --from=a /a /a
COPY --from=b /b /b
COPY --from=c /c /c
RUN cat /a /b /c > /all
EOF
id=$(build "$C") || fail "build: $(cat "$T/build.out")"
first_done=$(grep -n ' DONE ' "$T/build.out" | head -1 | cut -d: -f1)
third_start=$(grep -n '^#3 \[c 1/1\]' "$T/build.out" | cut -d: -f1)
[ -n "$third_start" ] && [ "$third_start" -lt "$first_done" ] ||
	fail "stages a, b and c did not run side by side: $(cat "$T/build.out")"
[ "$(b container run --rm "$id" cat /all)" = "a
b
c" ] || fail "the final stage lacks a stage's result"
build "$C" >/dev/null || fail "cached rebuild"
[ "$(grep -c CACHED "$T/build.out")" = 7 ] || fail "parallel stages not cached: $(cat "$T/build.out")"

say "a failing stage fails the build"
sed -i 's/echo b > \/b/echo b-broke >\&2; exit 4/' "$C/Dockerfile"
expect_code 1 b image build --progress plain "$C"
grep -q 'exit code: 4' "$T/err" || fail "the failing stage's error is missing: $(cat "$T/err")"
grep -q 'b-broke' "$T/err" || fail "the failing stage's output is missing"
no_build_leftovers
say "ok"
