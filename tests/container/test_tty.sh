# -t for run and exec: a real pty of the container's devpts, raw mode and restored mode of the
# CLI's terminal, the initial size and SIGWINCH resizes, -i through the pty, exit codes, and
# the log of a -t run (stream "stdout"). ptyrun.py gives the CLI a terminal.
. "$(dirname "$0")/lib.sh"
make_busybox
command -v python3 >/dev/null || skip "python3 is needed to provide a terminal"
PTY="python3 $(dirname "$0")/ptyrun.py"

say "run -it: a pty, its size, resizes, the exit code, the terminal restored"
RESIZE="40 120" $PTY 33 101 'busybox tty; busybox stty size; echo done\nexit 3\n' \
	"$BERTH" --root "$ROOT" container run -it --name t1 busybox sh >"$T/o1"
remember_id t1
grep -q '^/dev/pts/0$' "$T/o1" || fail "tty in run -it: $(cat "$T/o1")"
grep -q '^40 120$' "$T/o1" || fail "size after the resize: $(cat "$T/o1")"
grep -q '^EXIT 3$' "$T/o1" || fail "exit code of run -it: $(cat "$T/o1")"
grep -q '^MODE same$' "$T/o1" || fail "the terminal mode was not restored"
grep -q '"log":"done\\r\\n","stream":"stdout"' "$ROOT"/containers/*/log.json || fail "log of a -t run"
b container inspect t1 | grep -q '"Tty": true' || fail "inspect Config.Tty"

say "run -t without -i, no terminal: the size stays the kernel's default"
got=$(b container run -t --rm busybox sh -c 'busybox tty; echo $? $TERM')
[ "$(echo "$got" | tr -d '\r')" = "/dev/pts/0
0 xterm" ] || fail "run -t: '$got'"
[ "$(b container run --rm -t -e TERM=vt100 busybox sh -c 'echo $TERM' | tr -d '\r')" = vt100 ] ||
	fail "-e TERM wins over the tty's default"
$PTY 33 101 '' "$BERTH" --root "$ROOT" container run -t --rm busybox busybox stty size >"$T/o2"
grep -q '^33 101$' "$T/o2" || fail "run -t initial size: $(cat "$T/o2")"

say "exec -it / -t"
b container run -d --name c busybox sleep 1000 >/dev/null
remember_id c
RESIZE="41 121" $PTY 33 101 'busybox tty; busybox stty size; echo $$\nexit 4\n' \
	"$BERTH" --root "$ROOT" container exec -it c sh >"$T/o3"
grep -q '^/dev/pts/0$' "$T/o3" || fail "tty in exec -it: $(cat "$T/o3")"
grep -q '^41 121$' "$T/o3" || fail "exec size after the resize: $(cat "$T/o3")"
grep -q '^EXIT 4$' "$T/o3" || fail "exit code of exec -it: $(cat "$T/o3")"
grep -q '^MODE same$' "$T/o3" || fail "exec: the terminal mode was not restored"
$PTY 33 101 '' "$BERTH" --root "$ROOT" container exec -t c busybox stty size >"$T/o4"
grep -q '^33 101$' "$T/o4" || fail "exec -t initial size: $(cat "$T/o4")"
[ "$(b container exec -t c sh -c 'echo $TERM' | tr -d '\r')" = xterm ] || fail "exec -t: TERM"
[ -z "$(b container exec c sh -c 'echo $TERM')" ] || fail "exec without -t has no TERM"
got=$(b container exec -t c sh -c 'busybox tty; exit 5' || echo "rc=$?")
[ "$(echo "$got" | tr -d '\r')" = "/dev/pts/0
rc=5" ] || fail "exec -t without a terminal: '$got'"
[ -z "$(b container exec c sh -c 'ls /dev/pts | busybox grep -v ptmx')" ] || fail "pty left in the container"
echo PASS
