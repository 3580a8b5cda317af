# container exec: output, exit codes (the command's, 126, 127, 125), -u -w -e --env-file -i
# -d, the container's namespaces, cgroups, capabilities, seccomp and no-new-privileges, only
# fds 0, 1, 2 in the exec'd process, and the CLI running as berth-monitor from a sealed copy.
. "$(dirname "$0")/lib.sh"
make_busybox

b container run -d --name c1 busybox sleep 1000 >/dev/null
remember_id c1
pid1=$(sed -n 's/.*"Pid":\([0-9]*\).*/\1/p' "$ROOT"/containers/*/state.json | head -n 1)

say "output and exit codes"
[ "$(b container exec c1 echo hi)" = hi ] || fail "exec echo"
expect_code 7 b container exec c1 sh -c 'exit 7'
expect_code 127 b container exec c1 nosuch
grep -q 'executable file not found' "$T/err" || fail "127 message: $(cat "$T/err")"
expect_code 126 b container exec c1 /bin/noexec
expect_code 126 b container exec -w /nonexistent c1 true
expect_code 125 b container exec -u nobody c1 true
grep -q 'unable to find user nobody' "$T/err" || fail "user message: $(cat "$T/err")"
expect_code 125 b container exec nosuchcontainer true
expect_code 137 b container exec c1 sh -c 'kill -9 $$'

say "-u -w -e --env-file -i"
printf 'FROMFILE=1\n# comment\n' >"$T/envfile"
got=$(b container exec -u 1000:1000 -w /tmp -e FOO=bar --env-file "$T/envfile" c1 \
	sh -c 'id -u; id -g; pwd; echo $FOO $FROMFILE; echo $HOME; echo $HOSTNAME')
want=$(printf '1000\n1000\n/tmp\nbar 1\n/\n%s' "$(b container inspect c1 | sed -n 's/^ *"Id": "\([0-9a-f]\{12\}\).*/\1/p')")
[ "$got" = "$want" ] || fail "user/workdir/env: '$got' want '$want'"
[ "$(echo piped | b container exec -i c1 cat)" = piped ] || fail "-i"
[ -z "$(echo piped | b container exec c1 cat)" ] || fail "stdin without -i must be empty"

say "the container's namespaces, cgroups and privileges"
for ns in mnt pid uts ipc net; do
	inner=$(b container exec c1 busybox readlink /proc/self/ns/$ns)
	[ "$inner" = "$(readlink /proc/$pid1/ns/$ns)" ] || fail "ns $ns: $inner vs $(readlink /proc/$pid1/ns/$ns)"
done
[ "$(b container exec c1 cat /proc/1/cmdline | tr '\0' ' ')" = "sleep 1000 " ] || fail "pid 1 is not the container's"
[ "$(b container exec c1 sh -c 'cat /proc/self/cgroup')" = "$(cat /proc/$pid1/cgroup)" ] || fail "cgroups differ"
for k in CapEff CapBnd CapPrm Seccomp NoNewPrivs; do
	inner=$(b container exec c1 busybox grep "^$k:" /proc/self/status)
	[ "$inner" = "$(grep "^$k:" /proc/$pid1/status)" ] || fail "$k: $inner vs $(grep "^$k:" /proc/$pid1/status)"
done
b container exec -u 1000 c1 busybox grep -q '^CapEff:.*0000000000000000$' /proc/self/status || fail "non-root caps"
b container exec --privileged c1 sh -c 'busybox grep ^CapEff: /proc/self/status' | grep -qv a80425fb || fail "--privileged"
b container run -d --name nnp --security-opt no-new-privileges busybox sleep 1000 >/dev/null
remember_id nnp
b container exec nnp busybox grep -q '^NoNewPrivs:.1' /proc/self/status || fail "no-new-privileges"

say "only fds 0, 1, 2 reach the exec'd process"
got=$(b container exec c1 sh -c 'exec ls /proc/self/fd' 5</etc/hostname 7>"$T/fd7" | tr '\n' ' ')
[ "$got" = "0 1 2 3 " ] || fail "fds of the exec'd process (3 is ls's own): '$got'"

say "-d"
b container exec -d c1 sh -c 'sleep 0.3; touch /tmp/detached'
wait_for 5 b container exec c1 test -f /tmp/detached || fail "exec -d did not run"
expect_code 127 b container exec -d c1 nosuch
b container run -d --name dd busybox sleep 1000 >/dev/null
remember_id dd
b container exec -d dd sleep 0.1
sleep 0.5
b container kill dd >/dev/null
wait_for 5 sh -c "[ \"\$('$BERTH' --root '$ROOT' container inspect dd | sed -n 's/^ *\"Status\": \"\([a-z]*\)\".*/\1/p' | head -n1)\" = exited ]" ||
	fail "a finished exec -d keeps the container from ending"

say "a killed exec CLI leaves nothing that keeps the container from ending"
b container run -d --name kc busybox sleep 1000 >/dev/null
remember_id kc
# kill -9 of the CLI at random points of an exec, ten times
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$BERTH" --root "$ROOT" container exec kc sleep 0.2 &
	cli=$!
	sleep "0.0$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%02d", int(rand() * 30) }')"
	kill -9 $cli 2>/dev/null || true
	wait $cli 2>/dev/null || true
done
sleep 0.6
left=$(ps -eo args | grep -c "^[^ ]* --root $ROOT container exec" || true)
[ "$left" = 0 ] || fail "$left exec processes outlived their command"
b container kill kc >/dev/null
wait_for 5 sh -c "[ \"\$('$BERTH' --root '$ROOT' container inspect kc | sed -n 's/^ *\"Status\": \"\([a-z]*\)\".*/\1/p' | head -n1)\" = exited ]" ||
	fail "the exec'd process outlived its CLI unreaped"

say "the CLI runs from a protected berth-monitor (a read-only private clone or a sealed copy)"
"$BERTH" --root "$ROOT" container exec c1 sleep 3 &
cli=$!
sleep 0.5
exe=$(readlink /proc/$cli/exe || true)
cmd=$(tr '\0' ' ' </proc/$cli/cmdline || true)
wait $cli || fail "exec sleep"
case "$exe" in /memfd:berth* | /) ;; *) fail "exec CLI runs from '$exe', not a protected copy" ;; esac
# it became berth-monitor (static, the file the monitors run), the same process
case "$cmd" in "berth-monitor --root $ROOT container exec c1 sleep 3 ") ;;
*) fail "exec CLI runs '$cmd', not berth-monitor's exec" ;; esac

say "healthcheck probes run like exec: the container's privileges and environment"
b container run -d --name hc -e MARK=yes --health-interval 200ms --health-retries 1 \
	--health-cmd 'busybox grep -q "^CapEff:.00000000a80425fb" /proc/self/status && busybox grep -q "^Seccomp:.2" /proc/self/status && test "$MARK" = yes' \
	busybox sleep 1000 >/dev/null
remember_id hc
wait_for 10 sh -c "'$BERTH' --root '$ROOT' container inspect hc | grep -q '\"Status\": \"healthy\"'" ||
	fail "probe with the container's caps/seccomp/env never healthy: $(b container inspect hc | grep -A3 Output)"
b container rm -f hc >/dev/null

say "an exec'd process has the container's --ulimit values"
b container run -d --name ul --network none --ulimit nofile=123:456 busybox sleep 1000 >/dev/null
remember_id ul
[ "$(b container exec ul sh -c 'ulimit -n')" = 123 ] || fail "exec soft nofile: $(b container exec ul sh -c 'ulimit -n')"
[ "$(b container exec ul sh -c 'ulimit -Hn')" = 456 ] || fail "exec hard nofile: $(b container exec ul sh -c 'ulimit -Hn')"
b container rm -f ul >/dev/null

say "stopped and paused containers"
b container stop -t 0 nnp >/dev/null
expect_code 125 b container exec nnp true
grep -q 'is not running' "$T/err" || fail "not running message: $(cat "$T/err")"
echo "PASS"
