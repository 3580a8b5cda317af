# container top: docker's default columns for every process of the container's cgroup (host
# pids), the same rows the host's ps -ef gives; ps options; errors.
. "$(dirname "$0")/lib.sh"
make_busybox

b container run -d --name t busybox sh -c 'sleep 1000 & exec sleep 2000' >/dev/null
remember_id t
wait_for 5 sh -c "'$BERTH' --root '$ROOT' container top t | grep -q 'sleep 1000'" || fail "top: $(b container top t)"
b container top t >"$T/top"
head -n 1 "$T/top" | grep -q '^UID  *PID  *PPID  *C  *STIME  *TTY  *TIME  *CMD$' || fail "header: $(head -n 1 "$T/top")"
[ "$(wc -l <"$T/top")" = 3 ] || fail "two processes: $(cat "$T/top")"
# each row is ps -ef's for that pid (same fields but C, which moves with time: 0-99)
tail -n +2 "$T/top" | while read -r uid pid rest; do
	want=$(ps -ef | awk -v p="$pid" '$2 == p { $4 = "C"; $1 = $1; print }')
	got=$(echo "$uid $pid $rest" | awk '$4 >= 0 && $4 <= 99 { $4 = "C"; $1 = $1; print }')
	[ "$got" = "$want" ] || fail "row for $pid: '$got' want '$want'"
done
pid1=$(sed -n 's/.*"Pid":\([0-9]*\).*/\1/p' "$ROOT"/containers/*/state.json | head -n 1)
grep -q "^root  *$pid1 .*sleep 2000\$" "$T/top" || fail "PID 1 is the host pid $pid1: $(cat "$T/top")"

say "ps options"
b container top t -o pid,comm >"$T/top2"
[ "$(head -n 1 "$T/top2" | tr -s ' ')" = "PID COMMAND" ] || fail "-o header: $(cat "$T/top2")"
[ "$(tail -n +2 "$T/top2" | awk '{print $2}' | sort | tr '\n' ' ')" = "sleep sleep " ] || fail "-o rows: $(cat "$T/top2")"
expect_code 1 b container top t -o comm
grep -q "PID field" "$T/err" || fail "no PID column: $(cat "$T/err")"

say "not running"
b container stop -t 0 t >/dev/null
expect_code 1 b container top t
grep -q 'is not running' "$T/err" || fail "stopped: $(cat "$T/err")"
echo PASS
