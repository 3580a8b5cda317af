/* monitor_health: docker's HEALTHCHECK, run by the monitor.
 *
 * Config (docker's Healthcheck object): Test ["CMD", args…] | ["CMD-SHELL", "cmd"] | ["NONE"],
 * Interval, Timeout, StartPeriod, StartInterval (nanoseconds, 0 = docker's default 30 s, 30 s,
 * 0, 5 s), Retries (0 = 3). Results go to state.json "Health": {"Status": "starting" |
 * "healthy" | "unhealthy", "FailingStreak": N, "Log": [{"Start","End","ExitCode","Output"}]}
 * with the last MON_HEALTH_LOG_MAX results; a timed-out probe is ExitCode -1.
 *
 * A probe runs like `container exec` (rt_exec, runtime.h): in the container's namespaces and
 * cgroups, with its user, environment, working directory, capabilities, seccomp filter and
 * no-new-privileges; it is the monitor's child, killed on timeout. No probe runs while the
 * container is paused (it would freeze too).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
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

static void record(struct mon_health *h, const struct ctr *c, int code);

/* start_probe: the probe runs like `container exec` (rt_exec): the container's namespaces,
 * cgroups, user, environment, working directory, capabilities and seccomp filter. A probe
 * that cannot start is a result at once (126/127 with the reason as output). */
static void
start_probe(struct mon_health *h, const struct ctr *c, const struct rt_config *rc, int64_t now)
{
        cleanup_free char *hostname = rc->hostname ? NULL : xstrndup(c->id, 12);
        cleanup_close int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        struct rt_exec_config x = {
                .argv = h->test, .env = rc->env, .cwd = rc->cwd, .user = rc->user,
                .hostname = rc->hostname ? rc->hostname : hostname,
                .cap_add = rc->cap_add, .cap_drop = rc->cap_drop, .privileged = rc->privileged,
                .seccomp = rc->seccomp, .no_new_privileges = rc->no_new_privileges,
                .cache_dir = rc->cache_dir,
        };
        struct rt_exec_proc proc;
        struct err e = { 0 };
        int p[2], code = 125;

        if (pipe2(p, O_CLOEXEC) < 0)
                return;
        x.stdio[0] = devnull;
        x.stdio[1] = x.stdio[2] = p[1];
        h->out_len = 0;
        h->timed_out = 0;
        h->probe_start = now;
        ctr_now_rfc3339(h->start_time);
        if (rt_exec(c->run_dir, &x, &proc, &code, &e) < 0) {
                close(p[0]);
                close(p[1]);
                h->out_len = (size_t)snprintf(h->out, sizeof(h->out), "%s", e.msg);
                if (h->out_len >= sizeof(h->out))
                        h->out_len = sizeof(h->out) - 1;
                record(h, c, code);
                return;
        }
        close(p[1]);
        rt_exec_proc_release(&proc);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        h->pid = proc.pid;
        h->fd = p[0];
        h->deadline = now + h->timeout;
}

void
mon_health_tick(struct mon_health *h, const struct ctr *c, const struct rt_config *rc, pid_t pid,
                int64_t now)
{
        if (!h->test || pid <= 0)
                return;
        if (h->pid && now >= h->deadline && !h->timed_out) {
                h->timed_out = 1;
                kill(h->pid, SIGKILL);
                return;
        }
        if (!h->pid && h->next && now >= h->next && rt_frozen(c->run_dir) > 0) {
                /* paused: a probe would freeze with it; try again later */
                h->next = now + h->interval;
                return;
        }
        if (!h->pid && h->next && now >= h->next)
                start_probe(h, c, rc, now);
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

/* record: one probe result (code, with h->out) into state.json; the next probe is scheduled. */
static void
record(struct mon_health *h, const struct ctr *c, int code)
{
        struct result res = { h, code, in_start_period(h, h->probe_start) };
        struct err e = { 0 };
        int64_t now = mon_now_ms();

        ctr_state_update(c, add_result, &res, &e);
        h->next = now + (in_start_period(h, now) ? h->start_interval : h->interval);
}

void
mon_health_reap(struct mon_health *h, const struct ctr *c)
{
        int status;

        if (!h->pid || waitpid(h->pid, &status, WNOHANG) != h->pid)
                return;
        for (int i = 0; i < 64 && h->fd >= 0 && h->out_len < sizeof(h->out); i++)
                mon_health_read(h);
        if (h->fd >= 0)
                close(h->fd);
        h->fd = -1;
        h->pid = 0;
        record(h, c, h->timed_out ? -1 : WIFEXITED(status) ? WEXITSTATUS(status)
                                                          : 128 + WTERMSIG(status));
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
