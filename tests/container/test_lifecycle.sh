# Detached containers: logs, stop, restart policy, healthchecks, kill -9 of the monitor
# followed by rm -f; prints the monitor's memory use.
. "$(dirname "$0")/lib.sh"
make_busybox

say "-d, logs, stop"
b container run -d --name web busybox sh -c 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done' >/dev/null
remember_id web
wait_for 5 sh -c "'$BERTH' --root '$ROOT' container logs web | grep -q 'line 3'" || fail "logs"
[ "$(b container logs --tail 1 web | wc -l)" -eq 1 ] || fail "logs --tail 1"
b container logs -t web | head -n 1 | grep -q '^20[0-9-]*T[0-9:.]*Z line 0$' || fail "logs -t"
# --since/--until: RFC 3339 from a line's own time, unix seconds, a duration back from now
t2=$(b container logs -t web | sed -n 's/^\([^ ]*\) line 2$/\1/p')
[ "$(b container logs --until "$t2" web | tail -n 1)" = "line 2" ] || fail "logs --until: $(b container logs --until "$t2" web)"
[ "$(b container logs --since "$t2" web | head -n 1)" = "line 2" ] || fail "logs --since RFC 3339"
[ -z "$(b container logs --until 1 web)" ] || fail "logs --until 1 (1970) printed lines"
[ -z "$(b container logs --since 0s --until 1h web)" ] || fail "logs --since 0s --until 1h ago"
[ -n "$(b container logs --since 1h web)" ] || fail "logs --since 1h"
expect_code 1 b container logs --until yesterday web
grep -q "invalid --until 'yesterday'" "$T/err" || fail "bad --until: $(cat "$T/err")"
grep -q '"stream":"stdout","time":"' "$ROOT"/containers/*/log.json || fail "json-file log format"
b container ls | grep -q 'Up .* web$' || fail "ls shows web up"
expect_code 1 b container rm web
grep -q 'container is running' "$T/err" || fail "rm of a running container: $(cat "$T/err")"
mon=$(sed -n 's/.*"MonitorPid":\([0-9]*\).*/\1/p' "$ROOT"/containers/*/state.json | head -n 1)
if [ -n "$mon" ] && [ -r "/proc/$mon/status" ]; then
	echo "monitor RSS: $(grep -E 'VmRSS|RssAnon|RssFile' "/proc/$mon/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
	[ -r "/proc/$mon/smaps_rollup" ] && echo "monitor PSS: $(grep '^Pss:' "/proc/$mon/smaps_rollup" | tr -s ' ')"
fi
b container stop -t 1 web >/dev/null
[ "$(state_of web Status)" = exited ] || fail "stop: status $(state_of web Status)"
[ "$(state_of web ExitCode)" = 137 ] || fail "sh as PID 1 ignores TERM: want 137, got $(state_of web ExitCode)"
expect_code 1 b container kill web

say "--log-opt max-size/max-file rotate the log; --log-driver none keeps none"
b container run --network none --name rot --log-opt max-size=1k --log-opt max-file=3 busybox \
	sh -c 'i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done' >/dev/null
remember_id rot
d=$(dirname "$(ls "$ROOT"/containers/*/log.json.2)")
[ ! -e "$d/log.json.3" ] || fail "max-file 3 kept a fourth file"
for f in "$d"/log.json*; do [ "$(stat -c %s "$f")" -lt 1200 ] || fail "$f passed max-size 1k"; done
[ "$(b container logs rot | tail -n 1)" = line-299 ] || fail "rotated logs end: $(b container logs rot | tail -n 1)"
[ "$(b container logs rot | head -n 1)" != line-0 ] || fail "the oldest lines were kept"
b container inspect -f '{{json .HostConfig.LogConfig}}' rot | grep -qx '{"Type":"json-file","Config":{"max-size":"1k","max-file":"3"}}' ||
	fail "LogConfig: $(b container inspect -f '{{json .HostConfig.LogConfig}}' rot)"
b container rm rot >/dev/null
[ "$(b container run --rm --network none --log-driver none busybox echo shown)" = shown ] || fail "driver none: attached output"
b container run -d --network none --name nolog --log-driver none busybox true >/dev/null
remember_id nolog
b container wait nolog >/dev/null
expect_code 1 b container logs nolog
grep -q "configured logging driver does not support reading" "$T/err" || fail "logs of none: $(cat "$T/err")"
b container rm nolog >/dev/null
expect_code 125 b container run --rm --log-driver syslog busybox true
grep -q "logging driver 'syslog' is not available" "$T/err" || fail "syslog: $(cat "$T/err")"
expect_code 125 b container run --rm --log-opt max-file=0 busybox true

say "logs -f follows until the container ends"
b container run -d --name fol busybox sh -c 'echo a; sleep 0.5; echo b >&2; sleep 0.3' >/dev/null
remember_id fol
out=$(b container logs -f fol 2>&1)
[ "$out" = "a
b" ] || fail "logs -f: '$out'"

say "restart on-failure:2"
b container run -d --name flaky --restart on-failure:2 busybox sh -c 'echo run; exit 5' >/dev/null
remember_id flaky
wait_for 10 sh -c "'$BERTH' --root '$ROOT' container inspect flaky | grep -q '\"RestartCount\": 2'" ||
	fail "restart count: $(b container inspect flaky | grep RestartCount)"
wait_for 5 sh -c "'$BERTH' --root '$ROOT' container inspect flaky | grep -q '\"Status\": \"exited\"'" ||
	fail "flaky should end exited"
[ "$(b container logs flaky | grep -c run)" -eq 3 ] || fail "3 runs logged"
[ "$(b container wait flaky)" = 5 ] || fail "wait flaky"

say "healthcheck: healthy, then unhealthy"
b container run -d --name hc --health-cmd 'test -f /tmp/ok' --health-interval 200ms \
	--health-retries 2 busybox sh -c 'touch /tmp/ok; sleep 2; rm /tmp/ok; sleep 100' >/dev/null
remember_id hc
wait_for 5 sh -c "'$BERTH' --root '$ROOT' container inspect hc | grep -q '\"Status\": \"healthy\"'" ||
	fail "never healthy"
b container ls | grep -q '(healthy) .*hc$' || fail "ls shows (healthy)"
wait_for 8 sh -c "'$BERTH' --root '$ROOT' container inspect hc | grep -q '\"Status\": \"unhealthy\"'" ||
	fail "never unhealthy"

say "kill -9 of the monitor, then rm -f cleans everything"
id=$(b container inspect hc | sed -n 's/^ *"Id": "\([0-9a-f]*\)".*/\1/p')
pid=$(sed -n 's/.*"Pid":\([0-9]*\).*/\1/p' "$ROOT/containers/$id/state.json")
mon=$(sed -n 's/.*"MonitorPid":\([0-9]*\).*/\1/p' "$ROOT/containers/$id/state.json")
kill -9 "$mon"
b container rm -f hc >/dev/null
sleep 0.2
if [ -r "/proc/$pid/stat" ] && ! grep -q ') Z' "/proc/$pid/stat"; then
	fail "container process $pid survived rm -f"
fi
[ ! -e "$ROOT/containers/$id" ] || fail "record left"
[ ! -e "$ROOT/run/containers/$id" ] || fail "run dir left"
[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null)" ] || fail "cgroups left"
echo "ok"
