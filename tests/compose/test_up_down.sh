# up -d brings a stack up in dependency order (a one-shot job gated by
# service_completed_successfully, health-gated services), names resolve between services, a
# named volume is shared, a port is published on 127.0.0.1; ps/logs/port show it; a second up
# changes nothing; down removes containers and network but keeps the volume; down -v removes it.
. "$(dirname "$0")/lib.sh"
make_busybox
PORT=$(free_port)
cat >"$P/compose.yaml" <<YAML
name: t1
services:
  migrate:
    image: busybox
    command: ["sh", "-c", "echo schema > /data/schema && echo migrated"]
    volumes: [data:/data]
  api:
    image: busybox
    init: true
    command: ["sh", "-c", "mkdir -p /www && cp /data/schema /www/health && httpd -f -p 8081 -h /www"]
    volumes: [data:/data]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:8081/health"]
      interval: 200ms
      retries: 50
    depends_on:
      migrate: {condition: service_completed_successfully}
  web:
    image: busybox
    init: true
    command: ["sh", "-c", "mkdir -p /www && wget -q -O /www/index.html http://api:8081/health && httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:$PORT:80"]
    depends_on:
      api: {condition: service_healthy}
volumes:
  data: {}
YAML

say "up -d"
b up -d 2>"$T/up.err" || { cat "$T/up.err"; fail "up -d failed"; }
grep -q "Container t1-web-1  Started" "$T/up.err" || fail "no progress line for web: $(cat "$T/up.err")"
grep -q 'Volume "t1_data"  Created' "$T/up.err" || fail "no volume line"
grep -q "Network t1_default  Created" "$T/up.err" || fail "no network line"

say "order: migrate finished before api started, api healthy before web started"
fin=$(b container inspect t1-migrate-1 | sed -n 's/.*"FinishedAt": "\(.*\)".*/\1/p')
st=$(b container inspect t1-api-1 | sed -n 's/.*"StartedAt": "\(.*\)".*/\1/p')
[ -n "$fin" ] && [ -n "$st" ] && [ "$(printf '%s\n%s\n' "$fin" "$st" | sort | head -1)" = "$fin" ] ||
	fail "api started ($st) before migrate finished ($fin)"

say "the published port serves what web fetched from api by name (through the volume)"
# up -d returns once web's command runs; its httpd listens a moment later
for _ in $(seq 50); do
	out=$(wget -q -T 5 -O - "http://127.0.0.1:$PORT/index.html" 2>&1 || curl -s -m 5 "http://127.0.0.1:$PORT/index.html")
	[ "$out" = schema ] && break
	sleep 0.1
done
[ "$out" = schema ] || fail "published port answered '$out'"

say "ps"
b ps >"$T/ps"
head -1 "$T/ps" | grep -q "^NAME *IMAGE *COMMAND *SERVICE *CREATED *STATUS *PORTS" || fail "ps header: $(head -1 "$T/ps")"
[ "$(wc -l <"$T/ps")" = 3 ] || fail "ps shows $(wc -l <"$T/ps") lines (want header + api + web)"
grep -q "t1-api-1 .*(healthy)" "$T/ps" || fail "api not healthy in ps: $(cat "$T/ps")"
grep -q "127.0.0.1:$PORT->80/tcp" "$T/ps" || fail "ports column: $(cat "$T/ps")"
[ "$(b ps -a -q | wc -l)" = 3 ] || fail "ps -a -q"
[ "$(b ps --services | tr '\n' ' ')" = "migrate api web " ] || fail "ps --services: $(b ps --services)"
b ps -a --format json | grep -q '"Service":"migrate"' || fail "ps --format json"
[ "$(b ps --status exited -q | wc -l)" = 1 ] || fail "ps --status exited"

say "logs"
b logs migrate | grep -q "^t1-migrate-1  | migrated$" || fail "logs: $(b logs migrate)"
b logs --no-log-prefix migrate | grep -qx migrated || fail "logs --no-log-prefix"
b logs --since 1h --no-log-prefix migrate | grep -qx migrated || fail "logs --since 1h"
[ -z "$(b logs --until 1 migrate)" ] || fail "logs --until 1 (1970) printed lines"
b logs --index 1 --no-log-prefix migrate | grep -qx migrated || fail "logs --index 1"
[ -z "$(b logs --index 2 migrate)" ] || fail "logs --index 2 (no such replica) printed lines"
b port web 80 | grep -qx "127.0.0.1:$PORT" || fail "port: $(b port web 80)"
b ls | grep -q "^t1 .*running(2), exited(1)" || fail "ls: $(b ls)"

say "a second up changes nothing running"
a1=$(id_of t1-api-1); w1=$(id_of t1-web-1)
b up -d 2>"$T/up2.err" || fail "second up failed: $(cat "$T/up2.err")"
grep -q "Container t1-api-1  Running" "$T/up2.err" || fail "api not reported Running: $(cat "$T/up2.err")"
[ "$(id_of t1-api-1)" = "$a1" ] && [ "$(id_of t1-web-1)" = "$w1" ] || fail "containers were recreated"

say "a changed service is recreated, the others are not"
sed -i 's/httpd -f -p 80 -h/httpd -f -v -p 80 -h/' "$P/compose.yaml"
b up -d 2>"$T/up3.err" || fail "third up failed: $(cat "$T/up3.err")"
grep -q "Container t1-web-1  Recreate" "$T/up3.err" || fail "web not recreated: $(cat "$T/up3.err")"
[ "$(id_of t1-api-1)" = "$a1" ] || fail "api was recreated"
[ "$(id_of t1-web-1)" != "$w1" ] || fail "web kept its container"

say "scale up and down"
b up -d --scale api=3 2>/dev/null || fail "scale up"
[ "$(b ps -q api | wc -l)" = 3 ] || fail "api not scaled to 3: $(b ps api)"
b up -d 2>/dev/null || fail "scale back"
[ "$(b ps -q api | wc -l)" = 1 ] || fail "api not scaled back to 1"

say "down keeps the named volume, down -v removes it"
b down -t 2 2>"$T/down.err" || fail "down: $(cat "$T/down.err")"
[ -z "$(b ps -aq)" ] || fail "containers left after down"
b volume ls -q | grep -qx t1_data || fail "volume removed by down"
[ -z "$(ls "$ROOT/networks" 2>/dev/null)" ] || fail "network left after down"
b down -v 2>/dev/null || fail "down -v"
! b volume ls -q | grep -qx t1_data || fail "volume kept by down -v"
echo "PASS"
