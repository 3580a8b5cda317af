# A failed dependency stops up with compose's message naming it; an unhealthy one too;
# required: false lets the dependent start anyway; a broken file or an unknown service is one
# clear error line; an image that is missing is said plainly.
. "$(dirname "$0")/lib.sh"
make_busybox

say "service_completed_successfully with a failing job"
cat >"$P/compose.yaml" <<'YAML'
name: t2
services:
  job:
    image: busybox
    command: ["sh", "-c", "exit 3"]
  app:
    image: busybox
    command: ["sleep", "100"]
    depends_on:
      job: {condition: service_completed_successfully}
YAML
if b up -d 2>"$T/err"; then fail "up succeeded with a failing dependency"; fi
grep -q 'service "job" didn'"'"'t complete successfully: exit 3' "$T/err" || fail "message: $(cat "$T/err")"
# as compose: every container is created first; app is never started
[ -z "$(b ps -q app)" ] || fail "app was started although its dependency failed"
b ps -a app | grep -q "Created" || fail "app: $(b ps -a app)"
b down 2>/dev/null

say "service_healthy with an unhealthy dependency"
cat >"$P/compose.yaml" <<'YAML'
name: t2
services:
  db:
    image: busybox
    init: true
    command: ["sleep", "100"]
    healthcheck: {test: ["CMD", "false"], interval: 100ms, retries: 2}
  app:
    image: busybox
    command: ["sleep", "100"]
    depends_on:
      db: {condition: service_healthy}
YAML
if b up -d 2>"$T/err"; then fail "up succeeded with an unhealthy dependency"; fi
grep -q "dependency failed to start: container t2-db-1 is unhealthy" "$T/err" || fail "message: $(cat "$T/err")"
b down -t 0 2>/dev/null

say "required: false"
cat >"$P/compose.yaml" <<'YAML'
name: t2
services:
  job:
    image: busybox
    command: ["sh", "-c", "exit 1"]
  app:
    image: busybox
    init: true
    command: ["sleep", "100"]
    depends_on:
      job: {condition: service_completed_successfully, required: false}
YAML
b up -d 2>"$T/err" || fail "up failed with an optional dependency: $(cat "$T/err")"
[ -n "$(b ps -q app)" ] || fail "app is not running"
b down -t 0 2>/dev/null

say "clear errors"
printf 'services:\n  a:\n    image: [\n' >"$P/compose.yaml"
if b up -d 2>"$T/err"; then fail "a broken file was accepted"; fi
[ "$(wc -l <"$T/err")" = 1 ] && grep -q "compose.yaml:" "$T/err" || fail "broken file: $(cat "$T/err")"
# a registry on 127.0.0.1 where nothing listens: the pull fails at once, nothing leaves the host
printf 'name: t2\nservices:\n  a:\n    image: 127.0.0.1:1/nosuchimage\n' >"$P/compose.yaml"
if b up -d 2>"$T/err"; then fail "a missing image was accepted"; fi
grep -q "^berth: pull 127.0.0.1:1/nosuchimage: .*" "$T/err" || fail "missing image: $(cat "$T/err")"
[ "$(grep -c '^berth:' "$T/err")" = 1 ] || fail "more than one error line: $(cat "$T/err")"
printf 'name: t2\nservices:\n  a:\n    image: nosuchimage\n    pull_policy: never\n' >"$P/compose.yaml"
if b up -d 2>"$T/err"; then fail "a missing image was accepted"; fi
grep -q "no such image: nosuchimage" "$T/err" || fail "missing image: $(cat "$T/err")"
printf 'name: t2\nservices:\n  a:\n    image: busybox\n' >"$P/compose.yaml"
if b up -d nosuchservice 2>"$T/err"; then fail "an unknown service was accepted"; fi
grep -q "no such service: nosuchservice" "$T/err" || fail "unknown service: $(cat "$T/err")"
if b up --bogus 2>"$T/err"; then fail "an unknown flag was accepted"; fi
grep -q "unknown flag '--bogus'" "$T/err" || fail "unknown flag: $(cat "$T/err")"
echo PASS
