# container run: exit codes, --rm, names, env/workdir/user, ls and inspect output shape, and
# flags berth does not have yet fail plainly.
. "$(dirname "$0")/lib.sh"
make_busybox

say "run --rm true: exit 0, nothing left"
expect_code 0 b container run --rm busybox true
[ -z "$(b container ls -aq)" ] || fail "--rm left a container"

say "exit codes: own code, 127 not found, 126 not executable, 125 berth errors"
expect_code 3 b container run --rm busybox sh -c 'exit 3'
expect_code 127 b container run --rm busybox /no/such/command
expect_code 126 b container run --rm busybox /bin/noexec
# (--pull never: without it, run would ask docker.io for the image, as docker does)
expect_code 125 b container run --rm --pull never no-such-image true
grep -q "no such image\|No such image" "$T/err" || fail "unknown image: $(cat "$T/err")"
expect_code 125 b container run --rm --pull sometimes busybox true
grep -q "invalid pull option: 'sometimes'" "$T/err" || fail "bad --pull: $(cat "$T/err")"
# a registry nobody listens on (127.0.0.1:1): the pull is tried and fails plainly
expect_code 125 b container run --rm 127.0.0.1:1/no-such-image true
grep -q "Unable to find image '127.0.0.1:1/no-such-image' locally" "$T/err" || fail "auto pull: $(cat "$T/err")"
grep -q "pull '127.0.0.1:1/no-such-image'" "$T/err" || fail "auto pull error: $(cat "$T/err")"
expect_code 125 b container run --bogus-flag busybox true
expect_code 125 b container run --volumes-from x busybox true
grep -q "volumes-from: no such container: x" "$T/err" || fail "--volumes-from x: $(cat "$T/err")"
expect_code 125 b container run --rm --restart always busybox true
[ -z "$(b container ls -aq)" ] || fail "failed runs left containers"

say "output, env, workdir, user, hostname"
out=$(b container run --rm -e FOO=bar -w /tmp busybox sh -c 'echo $FOO $(pwd) $(id -u)')
[ "$out" = "bar /tmp 0" ] || fail "env/workdir/user: got '$out'"
out=$(b container run --rm --hostname box busybox hostname)
[ "$out" = "box" ] || fail "hostname: got '$out'"
out=$(b container run --rm busybox sh -c 'echo err >&2; echo out' 2>/dev/null)
[ "$out" = "out" ] || fail "stdout/stderr separation: got '$out'"

say "the container starts with no blocked or ignored signals; an attached run forwards TERM"
b container run --rm busybox cat /proc/self/status >"$T/status"
grep -q '^SigBlk:.0000000000000000$' "$T/status" || fail "blocked signals: $(grep SigBlk "$T/status")"
grep -q '^SigIgn:.0000000000000000$' "$T/status" || fail "ignored signals: $(grep SigIgn "$T/status")"
"$BERTH" --root "$ROOT" container run --rm busybox sh -c 'trap "echo got TERM; exit 7" TERM; while true; do sleep 0.1; done' >"$T/fwd" &
cli=$!
sleep 1
kill -TERM $cli
set +e
wait $cli
code=$?
set -e
[ $code -eq 7 ] || fail "forwarded TERM: exit $code, want 7"
grep -q 'got TERM' "$T/fwd" || fail "forwarded TERM: output '$(cat "$T/fwd")'"

say "flags reach the runtime"
mkdir -p "$T/host"
echo fromhost >"$T/host/f"
out=$(b container run --rm --read-only --tmpfs /scratch busybox sh -c 'touch /x 2>/dev/null || echo ro; touch /scratch/y && echo tmp')
[ "$out" = "ro
tmp" ] || fail "--read-only --tmpfs: '$out'"
out=$(b container run --rm -v "$T/host:/h:ro" busybox sh -c 'cat /h/f; touch /h/z 2>/dev/null || echo ro')
[ "$out" = "fromhost
ro" ] || fail "-v :ro: '$out'"
out=$(b container run --rm --ulimit nofile=100:200 busybox sh -c 'ulimit -n')
[ "$out" = 100 ] || fail "--ulimit: '$out'"
b container run --rm --cap-drop ALL --security-opt no-new-privileges busybox cat /proc/self/status >"$T/st"
grep -q '^CapEff:.0000000000000000$' "$T/st" || fail "--cap-drop ALL"
grep -q '^NoNewPrivs:.1$' "$T/st" || fail "no-new-privileges"
b container run --rm --add-host foo:1.2.3.4 busybox cat /etc/hosts | grep -q '^1.2.3.4.foo$' || fail "--add-host"
[ "$(b container run --rm --entrypoint echo busybox a b)" = "a b" ] || fail "--entrypoint"
expect_code 125 b container run --rm --memory 12q busybox true
expect_code 125 b container run --rm --health-interval 5x busybox true
expect_code 125 b container run --rm --log-driver gelf busybox true
grep -q "logging driver 'gelf' is not available" "$T/err" || fail "--log-driver gelf: $(cat "$T/err")"

say "names: unique, conflict refused, random default"
b container create --name one busybox true >/dev/null
remember_id one
expect_code 125 b container create --name one busybox true
grep -q 'already in use' "$T/err" || fail "name conflict message: $(cat "$T/err")"
id=$(b container create busybox true)
[ ${#id} -eq 64 ] || fail "create printed '$id', want a 64-hex id"
name=$(b container inspect "$id" | sed -n 's/^ *"Name": "\/\(.*\)",$/\1/p')
echo "$name" | grep -q '^[a-z]*_[a-z]*$' || fail "random name '$name'"

say "ls and inspect shape"
b container ls -a >"$T/ls"
head -n 1 "$T/ls" | grep -q '^CONTAINER ID *IMAGE *COMMAND *CREATED *STATUS *PORTS *NAMES$' ||
	fail "ls header: $(head -n 1 "$T/ls")"
grep -q ' Created .* one$' "$T/ls" || fail "ls row for 'one': $(cat "$T/ls")"
[ "$(b container ls -q | wc -l)" -eq 0 ] || fail "ls without -a shows stopped containers"
[ "$(b container ls -aq | wc -l)" -eq 2 ] || fail "ls -aq: $(b container ls -aq)"
b container ls -a --format json | head -n 1 | grep -q '"Names":"' || fail "ls --format json"
b container inspect one | grep -q '"Status": "created"' || fail "inspect State.Status"
[ "$(b container inspect -f '{{.State.Status}} {{.Name}} {{json .Config.Cmd}}' one)" = 'created /one ["true"]' ] ||
	fail "inspect -f: $(b container inspect -f '{{.State.Status}} {{.Name}} {{json .Config.Cmd}}' one)"
[ "$(b container inspect --format '{{.Id}}' one "$id" | tail -n 1)" = "$id" ] || fail "inspect --format, two containers"
expect_code 1 b container inspect -f '{{.State.Status' one
b container ls -a --format 'table {{.Names}}\t{{.State}}' >"$T/ls"
head -n 1 "$T/ls" | grep -q '^NAMES *STATE$' || fail "ls --format table: $(cat "$T/ls")"
grep -q '^one *created$' "$T/ls" || fail "ls --format table row: $(cat "$T/ls")"
b container ls -a --no-trunc --format '{{.ID}} {{.Names}}' | grep -qx "$id [a-z_]*" || fail "ls --no-trunc --format"
b container ls -a --no-trunc | grep -q "^$id " || fail "ls --no-trunc: full ids"
b container start one >/dev/null
[ "$(b container wait one)" = 0 ] || fail "wait one"
[ "$(state_of one Status)" = exited ] || fail "status after start+wait: $(state_of one Status)"
say "start -a and -i: attached to the output (and stdin), with the container's exit code"
b container create --name att busybox sh -c 'echo out; echo err >&2; exit 3' >/dev/null
remember_id att
set +e
b container start -a att >"$T/out" 2>"$T/err"
code=$?
set -e
[ $code = 3 ] || fail "start -a exit code $code, want 3"
[ "$(cat "$T/out")" = out ] && [ "$(cat "$T/err")" = err ] || fail "start -a output: $(cat "$T/out" "$T/err")"
b container create -i --name cat busybox cat >/dev/null
remember_id cat
[ "$(echo piped | b container start -i cat)" = piped ] || fail "start -i"
expect_code 1 b container start -a att cat
grep -q "cannot start and attach multiple containers" "$T/err" || fail "start -a of two: $(cat "$T/err")"
b container rm att cat >/dev/null
b container rm one "$id" >/dev/null
[ -z "$(b container ls -aq)" ] || fail "rm left containers"
expect_code 1 b container inspect one
echo "ok"
