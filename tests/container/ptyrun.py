# ptyrun.py ROWS COLS INPUT CMD...: run CMD on a new pty of ROWS x COLS (a terminal for the
# tty tests), write INPUT (backslash escapes allowed) once it has started, resize the pty to
# $RESIZE ("ROWS COLS") before that when set; print what CMD wrote, then "MODE same|changed"
# (the terminal's mode after CMD ended compared with before) and "EXIT code".
import fcntl, os, pty, select, struct, sys, termios, time

rows, cols = int(sys.argv[1]), int(sys.argv[2])
data = sys.argv[3].encode().decode('unicode_escape').encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[4], sys.argv[4:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
before = termios.tcgetattr(fd)
out, step, start = b'', 0, time.time()
while time.time() - start < 30:
    t = time.time() - start
    if step == 0 and t > 0.6 and os.environ.get('RESIZE'):
        r, c = map(int, os.environ['RESIZE'].split())
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))
        step = 1
    if step < 2 and t > 1.0:
        os.write(fd, data)
        step = 2
    ready, _, _ = select.select([fd], [], [], 0.05)
    if ready:
        try:
            b = os.read(fd, 4096)
        except OSError:
            break
        if not b:
            break
        out += b
else:
    os.kill(pid, 9)
after = termios.tcgetattr(fd)
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace').replace('\r', ''))
print('\nMODE', 'same' if before == after else 'changed')
print('EXIT', os.waitstatus_to_exitcode(st))
