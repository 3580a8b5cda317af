/* runtime_init: the built-in --init, a PID 1 in the spirit of tini (docker-init): it runs the
 * command as its only child, forwards every signal it gets to it, reaps all children
 * (orphans re-parent to PID 1 in a pid namespace), and exits with the command's status,
 * 128+N when signal N killed it. Signals are taken synchronously (all blocked, sigwaitinfo),
 * so there is no handler and no race with waitpid.
 *
 * It is the runtime's own code, so it makes itself non-dumpable: the container's processes
 * then cannot open /proc/1/exe, /proc/1/mem or /proc/1/fd without CAP_SYS_PTRACE.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/wait.h>

#include "engine/runtime_int.h"

static int
status_code(int status)
{
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

/* wipe_args: "berth-init" over the caller's argv, zeroes over its environ. The last byte of
 * the argv area is made non-zero so that /proc/1/cmdline reads as a process title, up to the
 * first NUL (fs/proc/base.c get_mm_cmdline). */
static void
wipe_args(const uintptr_t a[4])
{
        static const char name[] = "berth-init";
        char *p = (char *)a[0];
        size_t len = a[1] > a[0] ? a[1] - a[0] : 0;

        if (len > sizeof(name)) {
                memset(p, 0, len);
                memcpy(p, name, sizeof(name));
                p[len - 1] = ' ';
        }
        if (a[3] > a[2])
                memset((void *)a[2], 0, a[3] - a[2]);
}

void
rt_init_run(int sock, const uintptr_t args_area[4], void (*exec_fn)(const void *ctx),
            const void *ctx)
{
        sigset_t all, old;
        pid_t child;

        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &old);
        child = _Fork();
        if (child == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                exec_fn(ctx);
        }
        if (child < 0)
                _exit(125);
        close(sock);
        wipe_args(args_area);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        prctl(PR_SET_NAME, "berth-init", 0, 0, 0);
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si), status;
                pid_t pid;

                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        kill(child, sig);
                        continue;
                }
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                        if (pid == child)
                                _exit(status_code(status));
        }
}
