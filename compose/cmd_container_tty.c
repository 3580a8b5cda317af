/* cmd_container_tty: the CLI's side of a container's pty (`exec -t`, `run -t`).
 *
 * Our terminal goes into raw mode (when -i and stdin is one) so that every key, ^C included,
 * reaches the container's line discipline, and is restored however we leave. exec -t holds
 * the pty master itself and relays (cmd_container_tty_relay); run -t leaves the relaying to
 * the monitor, which owns the master, and only sends it window sizes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "compose/container_int.h"

#define RELAY_BUF 16384

int
cmd_container_tty_raw(struct termios *saved)
{
        struct termios t;

        if (!isatty(0) || tcgetattr(0, saved) < 0)
                return 0;
        t = *saved;
        cfmakeraw(&t);
        return tcsetattr(0, TCSANOW, &t) == 0;
}

void
cmd_container_tty_restore(const struct termios *saved)
{
        tcsetattr(0, TCSANOW, saved);
}

int
cmd_container_tty_size(unsigned short *ret_rows, unsigned short *ret_cols)
{
        struct winsize ws;

        for (int fd = 0; fd < 3; fd++)
                if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
                        *ret_rows = ws.ws_row;
                        *ret_cols = ws.ws_col;
                        return 1;
                }
        return 0;
}

static void
copy_size(int master)
{
        struct winsize ws = { 0 };

        if (cmd_container_tty_size(&ws.ws_row, &ws.ws_col))
                ioctl(master, TIOCSWINSZ, &ws);
}

static int
write_all(int fd, const char *buf, size_t n)
{
        while (n) {
                ssize_t w = write(fd, buf, n);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                buf += w;
                n -= (size_t)w;
        }
        return 0;
}

/* pass: copy what from has to to; 0 at end-of-file or error (a pty master reads EIO once
 * every slave fd is closed). */
static int
pass(int from, int to)
{
        char buf[RELAY_BUF];
        ssize_t n = read(from, buf, sizeof(buf));

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 1;
        return n > 0 && write_all(to, buf, (size_t)n) == 0;
}

static void
on_signal(int sigfd, int master, int pidfd)
{
        struct signalfd_siginfo si;

        if (read(sigfd, &si, sizeof(si)) != sizeof(si))
                return;
        if (si.ssi_signo == SIGWINCH)
                copy_size(master);
        else
                syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
}

/* drain: what the process wrote just before it ended (others may hold the slave open, so
 * only what is there now). */
static void
drain(int master)
{
        fcntl(master, F_SETFL, O_NONBLOCK);
        while (pass(master, 1) > 0) {
                struct pollfd pf = { .fd = master, .events = POLLIN };

                if (poll(&pf, 1, 0) <= 0)
                        break;
        }
}

int
cmd_container_tty_relay(int master, int interactive, int pidfd, int sigfd, pid_t pid)
{
        struct termios saved;
        int raw = interactive && cmd_container_tty_raw(&saved), in = interactive ? 0 : -1;
        int out = master, status = 0;

        copy_size(master);
        for (;;) {
                struct pollfd pf[4] = { { .fd = out, .events = POLLIN },
                                        { .fd = in, .events = POLLIN },
                                        { .fd = sigfd, .events = POLLIN },
                                        { .fd = pidfd, .events = POLLIN } };

                if (poll(pf, 4, -1) < 0 && errno != EINTR)
                        break;
                if (pf[0].revents && !pass(master, 1))
                        out = -1; /* EIO: every slave is closed */
                if (pf[1].revents && !pass(0, master)) {
                        in = -1;
                        write_all(master, "\004", 1); /* end of input, as ^D */
                }
                if (pf[2].revents)
                        on_signal(sigfd, master, pidfd);
                if (pf[3].revents)
                        break;
        }
        if (out >= 0)
                drain(master);
        if (raw)
                cmd_container_tty_restore(&saved);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
