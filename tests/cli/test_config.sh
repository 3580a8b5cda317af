#!/usr/bin/env bash
# `berth config` as a user runs it: output, flags, stdin, exit codes and one-line errors.
# Usage: test_config.sh BERTH SOURCE_DIR [CONFORMANCE_DIR]
set -u
berth=$1
src=$2
conf=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# check NAME CMD...: run, keep stdout/stderr/status in $out $errout $rc
run() { "$@" >"$work/out" 2>"$work/err"; rc=$?; out=$(cat "$work/out"); errout=$(cat "$work/err"); }
expect_rc() { [ "$rc" -eq "$1" ] && ok || bad "$2: exit $rc, want $1 (stderr: $errout)"; }
expect_out() { grep -qF -- "$1" "$work/out" && ok || bad "$2: output lacks '$1'"; }
expect_one_line_error() {
  [ "$rc" -eq 1 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && grep -q '^berth: ' "$work/err" && ok ||
    bad "$1: want exit 1 and one 'berth: ' line, got exit $rc: $errout"
}

cd "$src/examples/webapp" || exit 1
run "$berth" config
expect_rc 0 "config"
expect_out "name: webapp" "config"
expect_out "published: \"8080\"" "config ports"
expect_out "condition: service_completed_successfully" "config depends_on"

run "$berth" config --format json
expect_rc 0 "json"
expect_out '"name": "webapp"' "json"

run "$berth" config --services
expect_rc 0 "services"
[ "$out" = "$(printf 'api\nmigrate\nweb\nworker')" ] && ok || bad "services: got '$out'"

run "$berth" config -q
expect_rc 0 "quiet"
[ -z "$out" ] && ok || bad "quiet printed output"

run "$berth" config -o "$work/model.yaml"
expect_rc 0 "-o"
grep -q "name: webapp" "$work/model.yaml" && ok || bad "-o did not write the model"

run env WEB_PORT=9999 "$berth" config
expect_out 'published: "9999"' "interpolation from the shell"

run "$berth" config --no-interpolate
expect_out '${WEB_PORT:-8080}' "no-interpolate"

cd "$work" || exit 1
printf 'services:\n  s:\n    image: from-stdin\n' >"$work/stdin.yaml"
run "$berth" -p stdinproj -f - config <"$work/stdin.yaml"
[ "$rc" -eq 0 ] && grep -q "image: from-stdin" "$work/out" && ok || bad "-f - (stdin): exit $rc $errout"

printf 'services:\n  web:\n    image: a\n    depends_on: [db]\n' >compose.yaml
run "$berth" config
expect_one_line_error "undefined dependency"
grep -q 'compose.yaml:4:' "$work/err" && ok || bad "error lacks file:line: $errout"

printf 'services:\n  web:\n\timage: a\n' >compose.yaml
run "$berth" config
expect_one_line_error "tab indentation"

{ echo 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'
  for i in $(seq 1 12); do printf 'a%d: &a%d [' "$i" "$i"; for j in $(seq 1 10); do printf '*a%d, ' $((i - 1)); done; echo 'x]'; done
} >compose.yaml
run timeout 10 "$berth" config
expect_one_line_error "alias bomb"

printf 'services:\n  web:\n    image: a\n' >compose.yaml
run "$berth" config --bogus
expect_one_line_error "unknown flag"
run "$berth" -p 'Bad.Name' config
expect_one_line_error "invalid project name"
run "$berth" up --bogus
expect_one_line_error "up with an unknown flag"
run "$berth" frobnicate
expect_one_line_error "unknown command"

rm -f compose.yaml
mkdir -p empty && cd empty || exit 1
# discovery walks up: only meaningful when no directory above holds a compose file
above=$(d=$(dirname "$PWD"); while :; do ls "$d"/compose.y*ml "$d"/docker-compose.y*ml 2>/dev/null; [ "$d" = / ] && break; d=$(dirname "$d"); done)
if [ -z "$above" ]; then
  run "$berth" config
  expect_one_line_error "no compose file"
  grep -q "no configuration file provided: not found" "$work/err" && ok || bad "no file: $errout"
else
  echo "skip: no-file check (a compose file exists above: $above)"
fi

if [ -n "$conf" ] && [ -d "$conf/compose/docker-compose-e2e/TestLocalComposeConfig" ]; then
  cd "$conf/compose/docker-compose-e2e/TestLocalComposeConfig" || exit 1
  run "$berth" config --variables --format json
  want='{
    "PORT": {
        "Name": "PORT",
        "DefaultValue": "8080",
        "PresenceValue": "",
        "Required": false
    }
}'
  [ "$out" = "$want" ] && ok || bad "--variables --format json: got: $out"
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
