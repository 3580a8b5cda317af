# volumes_from: a service mounts another service's volumes (that service's container is
# created first, even without depends_on) or a container's; ":ro" makes them read-only; an
# unknown service is a clear error.
. "$(dirname "$0")/lib.sh"
make_busybox
cat >"$P/compose.yaml" <<'YAML'
name: t9
services:
  reader:
    image: busybox
    command: ["sh", "-c", "cat /data/f; echo w >/data/w 2>/dev/null || echo ro; sleep 1000"]
    volumes_from: ["store:ro"]
  writer:
    image: busybox
    command: ["sh", "-c", "echo w >/data/w && echo rw; sleep 1000"]
    volumes_from: [store]
  store:
    image: busybox
    command: ["sh", "-c", "echo stored >/data/f; sleep 1000"]
    volumes: [data:/data]
volumes:
  data: {}
YAML

say "up: the stores' volume in the others"
b up -d 2>"$T/up.err" || fail "up: $(cat "$T/up.err")"
grep "volumes_from" "$T/up.err" && fail "volumes_from still warned about: $(grep volumes_from "$T/up.err")"
# logs_have SERVICE LINE: within 5 s, the service's log has that line
logs_have() {
	for _ in $(seq 50); do
		b logs --no-log-prefix "$1" 2>/dev/null | grep -qx "$2" && return 0
		sleep 0.1
	done
	return 1
}
logs_have reader ro || fail "reader: $(b logs reader)"
logs_have writer rw || fail "writer: $(b logs writer)"
[ "$(b exec -T reader cat /data/w)" = w ] || fail "the writer's file in the reader"
[ "$(b container inspect -f '{{json .Mounts}}' t9-reader-1 | grep -o '"Destination":"/data","Driver":"local","Mode":"","RW":false')" ] ||
	fail "reader's mount: $(b container inspect -f '{{json .Mounts}}' t9-reader-1)"
b down -v -t 0 2>/dev/null || fail "down"

say "an unknown service is a clear error"
cat >"$P/compose.yaml" <<'YAML'
name: t9
services:
  a:
    image: busybox
    volumes_from: [nosuch]
YAML
if b up -d 2>"$T/err"; then fail "up with volumes_from an unknown service"; fi
grep -q "nosuch" "$T/err" || fail "unknown service: $(cat "$T/err")"
echo PASS
