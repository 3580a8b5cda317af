# create, start, stop, restart, kill, rm of a project; depends_on restart: true restarts the
# dependent when its dependency is recreated; up --no-deps SERVICE starts only that service;
# orphans are reported and removed with --remove-orphans; ls -a shows the project.
. "$(dirname "$0")/lib.sh"
make_busybox
cat >"$P/compose.yaml" <<'YAML'
name: t5
services:
  db:
    image: busybox
    init: true
    command: ["sleep", "1000"]
  app:
    image: busybox
    init: true
    command: ["sleep", "1000"]
    depends_on:
      db: {condition: service_started, restart: true}
YAML
started_at() { b container inspect "$1" | sed -n 's/.*"StartedAt": "\(.*\)".*/\1/p'; }

say "create makes containers without starting them"
b create 2>/dev/null || fail "create"
[ "$(b ps -aq | wc -l)" = 2 ] && [ -z "$(b ps -q)" ] || fail "after create: $(b ps -a)"
b ps -a | grep -q "t5-db-1 .*Created" || fail "status after create: $(b ps -a)"

say "progress views: tty (live, under script(1)), json, quiet"
if command -v script >/dev/null; then
	(cd "$P" && script -qc "$BERTH --root $ROOT start" /dev/null) >"$T/tty" 2>&1 || fail "start under a tty"
	grep -q '\[+\] Running 2/2' "$T/tty" || fail "no live view header: $(cat -v "$T/tty" | tail -3)"
	b stop -t 0 2>/dev/null
fi
b --progress json start 2>"$T/json" || fail "start --progress json"
grep -q '^{"id":"Container t5-db-1","status":"Started"}$' "$T/json" || fail "json progress: $(cat "$T/json")"
b stop -t 0 2>/dev/null
b --progress quiet start 2>"$T/quiet" || fail "start --progress quiet"
[ ! -s "$T/quiet" ] || fail "quiet progress printed: $(cat "$T/quiet")"
b stop -t 0 2>/dev/null

say "start, stop, restart"
b start 2>/dev/null || fail "start"
[ "$(b ps -q | wc -l)" = 2 ] || fail "after start: $(b ps -a)"
b stop -t 1 2>"$T/err" || fail "stop: $(cat "$T/err")"
[ -z "$(b ps -q)" ] || fail "after stop: $(b ps -a)"
grep -q "Container t5-app-1  Stopped" "$T/err" || fail "stop progress: $(cat "$T/err")"
b restart 2>/dev/null || fail "restart"
[ "$(b ps -q | wc -l)" = 2 ] || fail "after restart: $(b ps -a)"

say "restart: true: recreating db restarts app"
a1=$(started_at t5-app-1); aid=$(id_of t5-app-1)
sed -i '0,/"1000"/s//"1001"/' "$P/compose.yaml" # db's command (the first) changes
b up -d 2>"$T/err" || fail "up after the change: $(cat "$T/err")"
grep -q "Container t5-db-1  Recreate" "$T/err" || fail "db not recreated: $(cat "$T/err")"
grep -q "Container t5-app-1  Restarting" "$T/err" || fail "app not restarted: $(cat "$T/err")"
[ "$(id_of t5-app-1)" = "$aid" ] || fail "app was recreated instead of restarted"
[ "$(started_at t5-app-1)" != "$a1" ] || fail "app has its old start time"

say "kill"
b kill 2>/dev/null || fail "kill"
none_running() { [ -z "$(b ps -q)" ]; }
eventually none_running || fail "after kill: $(b ps -a)"

say "rm removes stopped containers"
b rm -f 2>/dev/null || fail "rm"
[ -z "$(b ps -aq)" ] || fail "after rm: $(b ps -a)"

say "up --no-deps app starts app alone"
b up -d --no-deps app 2>/dev/null || fail "up --no-deps"
[ "$(b ps -q | wc -l)" = 1 ] && [ -n "$(b ps -q app)" ] || fail "after up --no-deps: $(b ps -a)"

say "orphans"
b up -d 2>/dev/null
printf 'name: t5\nservices:\n  db:\n    image: busybox\n    init: true\n    command: ["sleep", "1001"]\n' >"$P/compose.yaml"
b up -d 2>"$T/err" || fail "up with an orphan: $(cat "$T/err")"
grep -q "Found orphan containers (\[t5-app-1\])" "$T/err" || fail "no orphan warning: $(cat "$T/err")"
b up -d --remove-orphans 2>/dev/null || fail "up --remove-orphans"
[ "$(b ps -aq | wc -l)" = 1 ] || fail "orphan not removed: $(b ps -a)"
b ls -a | grep -q "^t5 " || fail "ls -a: $(b ls -a)"
b down -t 0 2>/dev/null || fail "down"
echo PASS
