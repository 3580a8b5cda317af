# exec and run: exit codes, environment and user, one-off naming and labels, --rm, -d,
# --service-ports, --no-deps and dependencies started first; images, pause/unpause, top and
# cp by service; down removes one-off containers too.
. "$(dirname "$0")/lib.sh"
make_busybox
PORT=$(free_port)
cat >"$P/compose.yaml" <<YAML
name: t6
services:
  db:
    image: busybox
    init: true
    command: ["sleep", "1000"]
    logging:
      driver: json-file
      options: {max-size: 1m, max-file: "2", compress: "true"}
  app:
    image: busybox
    init: true
    command: ["sleep", "1000"]
    environment: {GREETING: hello}
    ports: ["127.0.0.1:$PORT:80"]
    depends_on: [db]
YAML

say "run starts the dependencies first and exits with the command's code"
set +e
b run --rm app sh -c 'echo "$GREETING"; exit 5' >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc = 5 ] || fail "run exit code $rc, want 5: $(cat "$T/err")"
grep -qx hello "$T/out" || fail "run output: $(cat "$T/out")"
[ -n "$(b ps -q db)" ] || fail "db was not started for run"
[ -z "$(b ps -q app)" ] || fail "run started the service's own container"
[ -z "$(b ps -aq app)" ] || fail "--rm left the one-off container"

say "run -d names the one-off as compose does, without ports unless --service-ports"
name=$(b run -d app sleep 100 2>/dev/null)
case "$name" in t6-app-run-*) ;; *) fail "one-off name '$name'" ;; esac
b container inspect "$name" | grep -q '"com.docker.compose.oneoff": "True"' || fail "oneoff label"
[ -z "$(b container port "$name")" ] || fail "one-off published ports without --service-ports"
name2=$(b run -d --service-ports --name t6-custom app sleep 100 2>/dev/null)
[ "$name2" = t6-custom ] || fail "--name: '$name2'"
b container port t6-custom | grep -q "127.0.0.1:$PORT" || fail "--service-ports: $(b container port t6-custom)"
b rm -sf 2>/dev/null; b container rm -f t6-custom >/dev/null

say "run --no-deps, -e, -u, -w, --entrypoint"
b down -t 0 2>/dev/null
out=$(b run --rm --no-deps -e X=1 -u nobody -w /tmp app sh -c 'echo $X $(id -u) $(pwd)' 2>/dev/null)
[ "$out" = "1 65534 /tmp" ] || fail "run flags gave '$out'"
[ -z "$(b ps -aq db)" ] || fail "--no-deps started db"
out=$(b run --rm --no-deps --entrypoint echo app one two 2>/dev/null)
[ "$out" = "one two" ] || fail "--entrypoint gave '$out'"

say "exec"
b up -d 2>"$T/up.err"
grep -q "logging option 'compress' is not supported" "$T/up.err" || fail "no warning for compress: $(cat "$T/up.err")"
[ "$(b container inspect -f '{{json .HostConfig.LogConfig}}' t6-db-1)" = '{"Type":"json-file","Config":{"max-size":"1m","max-file":"2"}}' ] ||
	fail "logging options: $(b container inspect -f '{{json .HostConfig.LogConfig}}' t6-db-1)"
[ "$(b exec -T app sh -c 'echo $GREETING')" = hello ] || fail "exec env"
set +e
b exec -T app sh -c 'exit 3'; rc=$?
b exec -T app nosuchcommand 2>/dev/null; rc2=$?
set -e
[ $rc = 3 ] || fail "exec exit code $rc"
[ $rc2 = 127 ] || fail "exec of a missing command: $rc2"
[ "$(b exec -T -u nobody app id -u)" = 65534 ] || fail "exec -u"
if b exec -T nosuch true 2>"$T/err"; then fail "exec on an unknown service"; fi
grep -q "no such service: nosuch" "$T/err" || fail "exec unknown service: $(cat "$T/err")"

say "images: one row per container with its image's size; -q; --format json"
out=$(b images app)
echo "$out" | head -n 1 | grep -q '^CONTAINER  *REPOSITORY  *TAG  *IMAGE ID  *SIZE$' || fail "images header: $out"
echo "$out" | grep -Eq '^t6-app-1  *busybox  *latest  *[0-9a-f]{12}  *[0-9.]+[kMG]?B$' || fail "images row: $out"
b images -q app | grep -Eqx 'sha256:[0-9a-f]{64}' || fail "images -q: $(b images -q app)"
b images --format json | grep -q '"ContainerName":"t6-app-1","Repository":"busybox","Tag":"latest","Size":[1-9]' ||
	fail "images --format json: $(b images --format json)"
if b images --format yaml 2>"$T/err"; then fail "images --format yaml"; fi
grep -q "invalid format 'yaml'" "$T/err" || fail "images bad format: $(cat "$T/err")"

say "top, pause, unpause, cp"
b top app | grep -q "sleep 1000" || fail "top: $(b top app)"
b pause app >/dev/null 2>&1 || fail "pause"
b ps app | grep -q "(Paused)" || fail "not paused: $(b ps app)"
b unpause app >/dev/null 2>&1 || fail "unpause"
echo payload >"$T/file"
b cp "$T/file" app:/tmp/file || fail "cp into the service"
[ "$(b exec -T app cat /tmp/file)" = payload ] || fail "cp content"
b cp app:/tmp/file "$T/back" || fail "cp out of the service"
[ "$(cat "$T/back")" = payload ] || fail "cp back"

say "down removes one-off containers too"
b run -d app sleep 100 >/dev/null 2>&1
b down -t 0 2>/dev/null || fail "down"
[ -z "$(b container ls -aq)" ] || fail "containers after down: $(b container ls -a)"
echo PASS
