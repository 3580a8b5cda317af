# Images for a stack: `build` builds services with a build: section as <project>-<service>;
# `up` builds what is missing, `up --build` rebuilds and recreates only when the image
# changed; `pull` and `up` pull missing images from a registry (Debian's docker-registry on
# 127.0.0.1, stopped by PID); `pull_policy: never` refuses; `push` pushes a built image.
. "$(dirname "$0")/lib.sh"
make_busybox
export DOCKER_CONFIG="$T/docker"

mkdir -p "$P/app"
cat >"$P/app/Dockerfile" <<'EOF2'
FROM busybox AS gen
RUN echo generated > /artifact
FROM busybox
COPY --from=gen /artifact /artifact
COPY message.txt /message.txt
CMD ["sleep", "1000"]
EOF2
echo one >"$P/app/message.txt"
cat >"$P/compose.yaml" <<'YAML'
name: t7
services:
  app:
    build: ./app
    init: true
YAML

say "build"
b build 2>"$T/err" || fail "build: $(cat "$T/err")"
b image ls | grep -q "^t7-app " || fail "no t7-app image: $(b image ls)"

say "up uses it; up --build with nothing changed keeps the container"
b up -d 2>/dev/null || fail "up"
[ "$(b exec -T app cat /artifact /message.txt | tr '\n' ' ')" = "generated one " ] || fail "content"
c1=$(id_of t7-app-1)
b up -d --build 2>/dev/null || fail "up --build"
[ "$(id_of t7-app-1)" = "$c1" ] || fail "up --build recreated an unchanged service"

say "a changed file: up --build rebuilds and recreates"
echo two >"$P/app/message.txt"
b up -d --build 2>"$T/err" || fail "up --build after a change: $(cat "$T/err")"
grep -q "Container t7-app-1  Recreate" "$T/err" || fail "not recreated: $(cat "$T/err")"
[ "$(b exec -T app cat /message.txt)" = two ] || fail "old content after rebuild"
b down -t 0 2>/dev/null

say "a failing build is one clear error and exit 1"
printf 'FROM busybox\nRUN exit 9\n' >"$P/app/Dockerfile"
if b build 2>"$T/err"; then fail "a failing build succeeded"; fi
grep -q "exit code: 9" "$T/err" || fail "failing build: $(cat "$T/err")"

command -v docker-registry >/dev/null 2>&1 || { echo "PASS (registry part skipped: no docker-registry)"; exit 0; }
say "pull from a registry on 127.0.0.1"
port=$(free_port)
mkdir -p "$T/reg"
printf 'version: 0.1\nstorage:\n  filesystem: {rootdirectory: %s}\nhttp: {addr: 127.0.0.1:%s}\n' "$T/reg" "$port" >"$T/reg.yml"
docker-registry serve "$T/reg.yml" >"$T/reg.log" 2>&1 &
regpid=$!
stop_registry() { kill "$regpid" 2>/dev/null || true; wait "$regpid" 2>/dev/null || true; }
trap '_r=$?; stop_registry; (exit $_r); cleanup' EXIT
eventually curl -s -o /dev/null "http://127.0.0.1:$port/v2/" || fail "registry did not start"
REG=127.0.0.1:$port
b image tag busybox "$REG/bb:1" || fail "tag"
b image push -q "$REG/bb:1" >/dev/null 2>&1 || fail "push to the test registry"
b image rm "$REG/bb:1" >/dev/null || fail "rm the local tag"
cat >"$P/compose.yaml" <<YAML
name: t7
services:
  web:
    image: $REG/bb:1
    init: true
    command: ["sleep", "1000"]
  job:
    image: $REG/bb:1
    pull_policy: never
    command: ["true"]
    profiles: [never]
YAML
b pull 2>"$T/err" || fail "pull: $(cat "$T/err")"
grep -q "Image $REG/bb:1  Pulled" "$T/err" || fail "pull progress: $(cat "$T/err")"
b image rm "$REG/bb:1" >/dev/null
b up -d 2>"$T/err" || fail "up with a missing image: $(cat "$T/err")"
grep -q "Pulled" "$T/err" || fail "up did not pull: $(cat "$T/err")"
[ -n "$(b ps -q web)" ] || fail "web does not run"
b down -t 0 2>/dev/null
b image rm "$REG/bb:1" >/dev/null
if b --profile never up -d job 2>"$T/err"; then fail "pull_policy: never pulled"; fi
grep -q "pull_policy: never" "$T/err" || fail "pull_policy never: $(cat "$T/err")"

say "a build pulls a missing base image (and --pull always pulls)"
printf 'FROM %s/bb:1\nRUN echo built > /built\n' "$REG" >"$P/app/Dockerfile"
cat >"$P/compose.yaml" <<YAML
name: t7
services:
  app:
    build: ./app
YAML
b image rm "$REG/bb:1" >/dev/null 2>&1 || true
b build 2>"$T/err" || fail "build with a base image to pull: $(cat "$T/err")"
b image ls | grep -q "^$REG/bb " || fail "base image not pulled: $(b image ls)"
b build --pull 2>"$T/err" || fail "build --pull: $(cat "$T/err")"
grep -q "pulling $REG/bb:1" "$T/err" || fail "--pull did not pull: $(cat "$T/err")"

say "push a built image"
printf 'FROM busybox\nCMD ["true"]\n' >"$P/app/Dockerfile"
cat >"$P/compose.yaml" <<YAML
name: t7
services:
  app:
    build: ./app
    image: $REG/built:2
YAML
b build 2>/dev/null || fail "build for push"
b push 2>"$T/err" || fail "push: $(cat "$T/err")"
curl -s "http://$REG/v2/built/tags/list" | grep -q '"2"' || fail "tag not in the registry"
echo PASS
