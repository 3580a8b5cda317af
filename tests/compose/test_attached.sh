# Attached up prints the containers' output with compose's prefixes and returns when they have
# exited; --abort-on-container-exit stops the rest; --exit-code-from gives that service's code;
# SIGINT stops the stack (exit 130); `run`-less one-shots show in logs.
. "$(dirname "$0")/lib.sh"
make_busybox
cat >"$P/compose.yaml" <<'YAML'
name: t3
services:
  a:
    image: busybox
    command: ["sh", "-c", "echo hello from a; exit 0"]
  b:
    image: busybox
    command: ["sh", "-c", "echo hello from b; exit 0"]
YAML
say "attached up returns when all containers exited"
b up >"$T/out" 2>"$T/err" || fail "attached up failed: $(cat "$T/err")"
grep -q "^t3-a-1  | hello from a$" "$T/out" || fail "output of a: $(cat "$T/out")"
grep -q "^t3-b-1  | hello from b$" "$T/out" || fail "output of b: $(cat "$T/out")"

cat >"$P/compose.yaml" <<'YAML'
name: t3
services:
  quick:
    image: busybox
    command: ["sh", "-c", "echo done; exit 7"]
  slow:
    image: busybox
    init: true
    command: ["sleep", "100"]
YAML
say "--abort-on-container-exit --exit-code-from (a and b are orphans now)"
b down --remove-orphans 2>/dev/null
set +e
b up --abort-on-container-exit --exit-code-from quick >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc = 7 ] || fail "exit code $rc, want 7: $(cat "$T/err")"
[ -z "$(b ps -q slow)" ] || fail "slow still runs after the abort"

say "SIGINT stops the stack"
b down -t 0 2>"$T/down.err" || fail "down: $(cat "$T/down.err")"
(cd "$P" && exec "$BERTH" --root "$ROOT" up slow >"$T/out" 2>"$T/err") &
pid=$!
i=0
while [ -z "$(b ps -q slow 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$(b ps -q slow)" ] || fail "slow did not start: $(cat "$T/err")"
kill -INT $pid
set +e
wait $pid
rc=$?
set -e
[ $rc = 130 ] || fail "attached up exited $rc after SIGINT, want 130"
grep -q "Gracefully stopping" "$T/err" || fail "no 'Gracefully stopping': $(cat "$T/err")"
[ -z "$(b ps -q slow)" ] || fail "slow still runs after Ctrl-C"
echo PASS
