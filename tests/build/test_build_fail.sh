# Failures: a failing RUN shows its command, output and exit code and the build exits 1;
# bad Dockerfiles, missing sources, a missing base image and --pull are clear errors.
. "$(dirname "$0")/lib.sh"
make_busybox_full

C="$T/ctx"
mkdir -p "$C"
printf 'FROM busybox\nRUN echo before\nRUN echo "it broke" >&2; exit 3\nRUN echo never\n' >"$C/Dockerfile"
expect_code 1 b image build --progress plain "$C"
grep -q 'it broke' "$T/err" || fail "the step's output was not shown: $(cat "$T/err")"
grep -q 'exit code: 3' "$T/err" || fail "no exit code: $(cat "$T/err")"
grep -q 'Dockerfile:3' "$T/err" || fail "no line: $(cat "$T/err")"
grep -q 'never' "$T/err" && fail "a step after the failure ran"

say "quiet mode still shows the failing step's output"
expect_code 1 b image build -q "$C"
grep -q 'it broke' "$T/err" || fail "quiet hid the failure output: $(cat "$T/err")"

say "bad input"
printf 'FROM busybox\nCOPY\n' >"$C/Dockerfile"
expect_code 1 b image build "$C"
grep -q 'Dockerfile:2' "$T/err" || fail "parse error without its line: $(cat "$T/err")"
printf 'FROM busybox\nCOPY missing.txt /\n' >"$C/Dockerfile"
expect_code 1 b image build "$C"
grep -q 'missing.txt' "$T/err" || fail "missing source: $(cat "$T/err")"
printf 'FROM 127.0.0.1:1/nosuchimage:1\nRUN true\n' >"$C/Dockerfile"
expect_code 1 b image build "$C"
grep -qi 'nosuchimage' "$T/err" || fail "missing base: $(cat "$T/err")"
expect_code 1 b image build --pull "$C"
grep -q 'pull' "$T/err" || fail "--pull: $(cat "$T/err")"
expect_code 1 b image build "$T/nonexistent"
expect_code 1 b image build --progress bogus "$C"
ls "$ROOT/layers" | grep -q '^\.build' && fail "a failed build left its scratch dir"
no_build_leftovers
say "ok"
