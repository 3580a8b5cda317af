# Project networks: services on several networks reach peers by name on each and nothing
# else; network_mode: service:NAME shares that service's network namespace; an external
# network must exist and is kept by down; ipam config and aliases are honoured.
. "$(dirname "$0")/lib.sh"
make_busybox
b network create t8-ext >/dev/null || fail "create the external network"
cat >"$P/compose.yaml" <<'YAML'
name: t8
services:
  db:
    image: busybox
    init: true
    command: ["sh", "-c", "mkdir -p /w && echo db > /w/i && httpd -f -p 80 -h /w"]
    networks: [back]
  api:
    image: busybox
    init: true
    command: ["sh", "-c", "mkdir -p /w && echo api > /w/i && httpd -f -p 80 -h /w"]
    networks:
      front: {aliases: [backend]}
      back: {}
  web:
    image: busybox
    init: true
    command: ["sleep", "1000"]
    networks:
      front: {ipv4_address: 10.123.7.50}
  sidecar:
    image: busybox
    init: true
    command: ["sleep", "1000"]
    network_mode: service:api
  outside:
    image: busybox
    init: true
    command: ["sleep", "1000"]
    networks: [ext]
networks:
  front:
    ipam:
      config: [{subnet: 10.123.7.0/24}]
  back: {}
  ext:
    external: true
    name: t8-ext
YAML
b up -d 2>"$T/err" || fail "up: $(cat "$T/err")"
get() { b exec -T "$1" timeout 5 wget -q -O - "http://$2/i" 2>/dev/null; }
# up -d returns once each command runs; the httpds listen a moment later
for _ in $(seq 50); do
	[ "$(get web api)" = api ] && [ "$(get api db)" = db ] && break
	sleep 0.1
done

say "names resolve on the networks a service shares, not across"
[ "$(get web api)" = api ] || fail "web -> api"
[ "$(get web backend)" = api ] || fail "web -> api by its alias"
[ "$(get api db)" = db ] || fail "api -> db"
if b exec -T web nslookup db >/dev/null 2>&1 && [ "$(get web db)" = db ]; then
	fail "web reached db, which is on a network web is not on"
fi

say "ipv4_address and the ipam subnet"
b exec -T web ip -4 addr show eth0 | grep -q "10.123.7.50/24" || fail "web's address: $(b exec -T web ip -4 addr)"

say "api has one interface per network"
[ "$(b exec -T api ip -o -4 addr show | grep -c 'eth[0-9]')" = 2 ] || fail "api interfaces: $(b exec -T api ip -o -4 addr)"

say "network_mode: service:api shares api's namespace"
[ "$(get sidecar 127.0.0.1)" = api ] || fail "sidecar does not see api's localhost"

say "external network"
b network inspect t8-ext | grep -q "t8-outside-1" || fail "outside is not on t8-ext"
b down -t 0 2>/dev/null || fail "down"
b network ls | grep -q " t8-ext " || fail "down removed the external network"
b network ls | grep -q "t8_front" && fail "down kept the project network"
b network rm t8-ext >/dev/null

say "a missing external network is an error"
if b up -d outside 2>"$T/err"; then fail "up with a missing external network"; fi
grep -q "network t8-ext declared as external, but could not be found" "$T/err" || fail "message: $(cat "$T/err")"
echo PASS
