/* monitor_health: docker's HEALTHCHECK, run by the monitor.
 *
 * Config (docker's Healthcheck object): Test ["CMD", args…] | ["CMD-SHELL", "cmd"] | ["NONE"],
 * Interval, Timeout, StartPeriod, StartInterval (nanoseconds, 0 = docker's default 30 s, 30 s,
 * 0, 5 s), Retries (0 = 3). Results go to state.json "Health": {"Status": "starting" |
 * "healthy" | "unhealthy", "FailingStreak": N, "Log": [{"Start","End","ExitCode","Output"}]}
 * with the last MON_HEALTH_LOG_MAX results; a timed-out probe is ExitCode -1.
 *
 * A probe enters the container like exec does: setns(2) into its ipc, uts, net, cgroup, pid
 * and mount namespaces (mount last: it also moves the root to the container's), a second fork
 * to be inside the pid namespace, the container's cgroups, then execve. The intermediate
 * process relays the exit status; the probe dies with it (PR_SET_PDEATHSIG) on timeout.
 * Limitation: the probe keeps the monitor's capabilities and has no seccomp filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sched.h>

#include <sys/prctl.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/strv.h"
#include "engine/monitor.h"
#include "engine/monitor_int.h"

#define NS_DEFAULT(v, d) ((v) > 0 ? (v) / 1000000 : (d))

void
mon_health_init(struct mon_health *h, json_object *hc)
{
        char **test = mon_strv(hc, "Test");

        memset(h, 0, sizeof(*h));
        h->fd = -1;
        if (!test || !test[0] || strcmp(test[0], "NONE") == 0 || !test[1]) {
                strv_free(test);
                return;
        }
        if (strcmp(test[0], "CMD-SHELL") == 0) {
                strv_add(&h->test, "/bin/sh");
                strv_add(&h->test, "-c");
                strv_add(&h->test, test[1]);
        } else {
                h->test = strv_copy(test + 1);
        }
        strv_free(test);
        h->interval = NS_DEFAULT(mon_int(hc, "Interval"), 30000);
        h->timeout = NS_DEFAULT(mon_int(hc, "Timeout"), 30000);
        h->start_period = NS_DEFAULT(mon_int(hc, "StartPeriod"), 0);
        h->start_interval = NS_DEFAULT(mon_int(hc, "StartInterval"), 5000);
        h->retries = mon_int(hc, "Retries") > 0 ? (int)mon_int(hc, "Retries") : 3;
}

void
mon_health_free(struct mon_health *h)
{
        h->test = strv_free(h->test);
}

static int
in_start_period(const struct mon_health *h, int64_t t)
{
        return h->start_period > 0 && t < h->started + h->start_period;
}

void
mon_health_reset(struct mon_health *h, json_object *state)
{
        json_object *hs;

        if (!h->test)
                return;
        h->started = mon_now_ms();
        h->next = h->started + (in_start_period(h, h->started) ? h->start_interval : h->interval);
        hs = json_object_new_object();
        json_object_object_add(hs, "Status", json_object_new_string("starting"));
        json_object_object_add(hs, "FailingStreak", json_object_new_int(0));
        json_object_object_add(hs, "Log", json_object_new_array());
        json_object_object_add(state, "Health", hs);
}

int64_t
mon_health_deadline(const struct mon_health *h)
{
        if (!h->test)
                return 0;
        return h->pid ? h->deadline : h->next;
}

static void
enter(const struct ctr *c, pid_t pid, char *const *argv, int out)
{
        static const char *const ns[] = { "ipc", "uts", "net", "cgroup", "pid", "mnt" };
        struct rt_state st = { 0 };
        struct err e = { 0 };
        int fds[6], child, status;
        char path[64];

        for (size_t i = 0; i < 6; i++) {
                snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns[i]);
                fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        }
        rt_state_read(c->run_dir, &st, &e);
        strv_foreach(cg, st.cgroups) {
                char *p = xasprintf("%s/cgroup.procs", cg);
                int fd = open(p, O_WRONLY | O_CLOEXEC);
                free(p);
                if (fd >= 0 && write(fd, "0", 1) < 0) {
                        /* v1 controllers may be gone; the others still hold the probe */
                }
                if (fd >= 0)
                        close(fd);
        }
        dup2(out, 1);
        dup2(out, 2);
        for (size_t i = 0; i < 6; i++)
                if (fds[i] >= 0 && setns(fds[i], 0) < 0 && i == 5)
                        _exit(126);
        child = fork();
        if (child == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (chdir("/") < 0)
                        _exit(126);
                setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
                execvp(argv[0], argv);
                fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
                _exit(errno == ENOENT ? 127 : 126);
        }
        if (child < 0 || waitpid(child, &status, 0) < 0)
                _exit(126);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void
start_probe(struct mon_health *h, const struct ctr *c, pid_t pid, int64_t now)
{
        int p[2];
        pid_t child;

        if (pipe2(p, O_CLOEXEC) < 0)
                return;
        child = fork();
        if (child == 0) {
                int devnull = open("/dev/null", O_RDONLY);
                if (devnull >= 0)
                        dup2(devnull, 0);
                signal(SIGPIPE, SIG_DFL);
                sigset_t all;
                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                enter(c, pid, h->test, p[1]);
        }
        close(p[1]);
        if (child < 0) {
                close(p[0]);
                return;
        }
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        h->pid = child;
        h->fd = p[0];
        h->out_len = 0;
        h->timed_out = 0;
        h->probe_start = now;
        h->deadline = now + h->timeout;
        ctr_now_rfc3339(h->start_time);
}

void
mon_health_tick(struct mon_health *h, const struct ctr *c, pid_t pid, int64_t now)
{
        if (!h->test || pid <= 0)
                return;
        if (h->pid && now >= h->deadline && !h->timed_out) {
                h->timed_out = 1;
                kill(h->pid, SIGKILL);
                return;
        }
        if (!h->pid && h->next && now >= h->next)
                start_probe(h, c, pid, now);
}

void
mon_health_read(struct mon_health *h)
{
        char buf[1024];
        ssize_t n;

        if (h->fd < 0)
                return;
        n = read(h->fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                close(h->fd);
                h->fd = -1;
                return;
        }
        if ((size_t)n > sizeof(h->out) - h->out_len)
                n = (ssize_t)(sizeof(h->out) - h->out_len);
        memcpy(h->out + h->out_len, buf, (size_t)n);
        h->out_len += (size_t)n;
}

void
monitor_health_apply(json_object *health, int ok, int in_start, int retries)
{
        json_object *st = json_object_object_get(health, "Status");
        int streak = (int)json_object_get_int(json_object_object_get(health, "FailingStreak"));
        const char *status = st ? json_object_get_string(st) : "starting";

        if (ok) {
                json_object_object_add(health, "Status", json_object_new_string("healthy"));
                json_object_object_add(health, "FailingStreak", json_object_new_int(0));
                return;
        }
        if (in_start && strcmp(status, "starting") == 0)
                return;
        streak++;
        json_object_object_add(health, "FailingStreak", json_object_new_int(streak));
        if (streak >= retries)
                json_object_object_add(health, "Status", json_object_new_string("unhealthy"));
}

struct result {
        struct mon_health *h;
        int code;
        int in_start;
};

static void
add_result(json_object *state, void *ctx)
{
        struct result *res = ctx;
        struct mon_health *h = res->h;
        json_object *health = json_object_object_get(state, "Health");
        json_object *log, *e = json_object_new_object();
        char end[40];

        if (!health) {
                json_object_put(e);
                return;
        }
        ctr_now_rfc3339(end);
        json_object_object_add(e, "Start", json_object_new_string(h->start_time));
        json_object_object_add(e, "End", json_object_new_string(end));
        json_object_object_add(e, "ExitCode", json_object_new_int(res->code));
        if (h->timed_out)
                json_object_object_add(e, "Output",
                                       json_object_new_string("Health check exceeded timeout"));
        else
                json_object_object_add(e, "Output",
                                       json_object_new_string_len(h->out, (int)h->out_len));
        log = json_object_object_get(health, "Log");
        if (!log || !json_object_is_type(log, json_type_array)) {
                log = json_object_new_array();
                json_object_object_add(health, "Log", log);
        }
        json_object_array_add(log, e);
        if (json_object_array_length(log) > MON_HEALTH_LOG_MAX)
                json_object_array_del_idx(log, 0, json_object_array_length(log) - MON_HEALTH_LOG_MAX);
        monitor_health_apply(health, res->code == 0, res->in_start, h->retries);
}

void
mon_health_reap(struct mon_health *h, const struct ctr *c)
{
        struct result res = { h, 0, 0 };
        struct err e = { 0 };
        int status;
        int64_t now = mon_now_ms();

        if (!h->pid || waitpid(h->pid, &status, WNOHANG) != h->pid)
                return;
        for (int i = 0; i < 64 && h->fd >= 0 && h->out_len < sizeof(h->out); i++)
                mon_health_read(h);
        if (h->fd >= 0)
                close(h->fd);
        h->fd = -1;
        h->pid = 0;
        res.code = h->timed_out ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        res.in_start = in_start_period(h, h->probe_start);
        ctr_state_update(c, add_result, &res, &e);
        h->next = now + (in_start_period(h, now) ? h->start_interval : h->interval);
}

void
mon_health_stop(struct mon_health *h)
{
        int status;

        if (h->pid) {
                kill(h->pid, SIGKILL);
                waitpid(h->pid, &status, 0);
                h->pid = 0;
        }
        if (h->fd >= 0)
                close(h->fd);
        h->fd = -1;
        h->next = 0;
}
