# container pause/unpause (cgroup freezer), the "paused" status in ls and inspect, exec
# refused while paused, stop/kill/rm -f of a paused container; container restart [-t N].
. "$(dirname "$0")/lib.sh"
make_busybox

b container run -d --name p busybox sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done' >/dev/null
remember_id p
pid1=$(sed -n 's/.*"Pid":\([0-9]*\).*/\1/p' "$ROOT"/containers/*/state.json | head -n 1)

say "pause freezes every process"
[ "$(b container pause p)" = p ] || fail "pause output"
[ "$(state_of p Status)" = paused ] || fail "inspect Status: $(state_of p Status)"
b container inspect p | grep -q '"Paused": true' || fail "inspect Paused"
b container inspect p | grep -q '"Running": true' || fail "inspect Running while paused"
b container ls | grep -q 'Up .* (Paused) .*p$' || fail "ls: $(b container ls)"
n1=$(cat /proc/$pid1/root/tmp/n); sleep 0.3; n2=$(cat /proc/$pid1/root/tmp/n)
[ "$n1" = "$n2" ] || fail "the container still runs while paused ($n1 -> $n2)"
expect_code 1 b container pause p
grep -q 'already paused' "$T/err" || fail "pause twice: $(cat "$T/err")"
expect_code 125 b container exec p true
grep -q 'is paused' "$T/err" || fail "exec while paused: $(cat "$T/err")"

say "unpause"
[ "$(b container unpause p)" = p ] || fail "unpause output"
[ "$(state_of p Status)" = running ] || fail "status after unpause: $(state_of p Status)"
sleep 0.3
[ "$(cat /proc/$pid1/root/tmp/n)" != "$n2" ] || fail "does not run after unpause"
expect_code 1 b container unpause p
grep -q 'not paused' "$T/err" || fail "unpause twice: $(cat "$T/err")"

say "stop of a paused container"
b container pause p >/dev/null
b container stop -t 1 p >/dev/null || fail "stop of a paused container"
[ "$(state_of p Status)" = exited ] || fail "after stop: $(state_of p Status)"
b container inspect p | grep -q '"Paused": false' || fail "Paused after stop"
expect_code 1 b container pause p

say "kill and rm -f of a paused container"
b container run -d --name k busybox sleep 1000 >/dev/null
remember_id k
b container pause k >/dev/null
b container kill k >/dev/null || fail "kill of a paused container"
wait_for 5 sh -c "[ \"\$('$BERTH' --root '$ROOT' container inspect k | sed -n 's/^ *\"Status\": \"\([a-z]*\)\".*/\1/p' | head -n1)\" = exited ]" ||
	fail "kill of a paused container: $(state_of k Status)"
[ "$(state_of k ExitCode)" = 137 ] || fail "kill exit code $(state_of k ExitCode)"
b container run -d --name r busybox sleep 1000 >/dev/null
remember_id r
b container pause r >/dev/null
b container rm -f r >/dev/null || fail "rm -f of a paused container"

say "restart"
b container run -d --name rs busybox sh -c 'echo started; sleep 1000' >/dev/null
remember_id rs
[ "$(b container restart -t 0 rs)" = rs ] || fail "restart output"
[ "$(state_of rs Status)" = running ] || fail "after restart: $(state_of rs Status)"
[ "$(b container logs rs | grep -c started)" = 2 ] || fail "restart: two runs logged"
b container stop -t 0 rs >/dev/null
b container restart rs >/dev/null
[ "$(state_of rs Status)" = running ] || fail "restart of a stopped container"
echo PASS
