/* monitor: the per-container supervisor; see monitor.h for its socket protocol.
 *
 * Log format: docker's json-file driver, one JSON object per line:
 *   {"log":"hello\n","stream":"stdout","time":"2026-11-29T16:50:16.123456789Z"}
 * A line longer than MONITOR_LINE_MAX is written in pieces (only the last ends in "\n"), like
 * docker. log.json is renamed to log.json.1 once it passes MONITOR_LOG_MAX (one rotation).
 *
 * Restart policy (docker's): no; always; unless-stopped; on-failure[:N] (restart after a
 * non-zero exit, at most N times). A stop or kill through the socket ends the container for
 * good. The delay before a restart doubles from 100 ms up to one minute and falls back to
 * 100 ms after a run of at least 10 s.
 *
 * The loop is one poll(2) over: the container's stdout and stderr pipes, a signalfd for
 * SIGCHLD/SIGTERM, the listening socket, the healthcheck's output; timers are poll timeouts.
 * Single-threaded and allocation-light; the heap of the start is trimmed once the container
 * runs (malloc_trim), so an idle monitor's own memory stays a few hundred KiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/memshed.h"
#include "base/procfs.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "engine/monitor.h"
#include "engine/monitor_int.h"
#include "engine/volume.h"

#define WAITERS_MAX 32

struct mon {
        const char *root;
        struct ctr *c;
        struct mon_cfg cfg;
        struct rt_container *rc;
        pid_t pid;
        int pipes[2];   /* read ends of the container's stdout, stderr; -1 when closed */
        struct sbuf pend[2];
        int attach[2];  /* attached CLI's stdout, stderr; -1 when none */
        int in;         /* with a pty: the attached CLI's stdin to relay to it (fd 0), or -1 */
        int tty_in;     /* relay fd 0 to the pty on each start (attached, -i -t) */
        int status_fd;  /* attached CLI's status pipe; -1 when none */
        int log_fd;
        uint64_t log_size, log_max; /* log_max: bytes of log.json before it rotates */
        int log_files;              /* log.json and log.json.1.. kept; 0: no log */
        int sock, sigfd;
        int waiters[WAITERS_MAX];
        size_t nwait;
        int stopping;            /* stop/kill asked: no restart */
        int64_t kill_at;         /* ms: SIGKILL then (0 = none) */
        int64_t restart_at;      /* ms: restart then (0 = none) */
        int64_t started_ms;
        int restarts, last_code, done;
        int shed;                /* heavy work happened: memshed() before idling again */
        int mntns;               /* --rm: the container's mount namespace (see hold_mntns) */
        char error[ERR_MSG_MAX]; /* why the last start failed, for the attached CLI */
        struct mon_health health;
};

int64_t
mon_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
monitor_log_line(struct sbuf *sb, const char *data, size_t n, const char *stream,
                 const char *time_rfc3339)
{
        json_object *o = json_object_new_object();

        json_object_object_add(o, "log", json_object_new_string_len(data, (int)n));
        json_object_object_add(o, "stream", json_object_new_string(stream));
        json_object_object_add(o, "time", json_object_new_string(time_rfc3339));
        sbuf_adds(sb, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        sbuf_addch(sb, '\n');
        json_object_put(o);
}

void
monitor_log_limits(json_object *config, uint64_t *ret_size, int *ret_files)
{
        json_object *rot = json_object_object_get(config, "LogRotate");
        json_object *size = json_object_object_get(rot, "MaxSize");
        json_object *files = json_object_object_get(rot, "MaxFile");
        int64_t s = size ? json_object_get_int64(size) : 0;
        int64_t f = files ? json_object_get_int64(files) : 0;
        const char *driver = json_object_get_string(json_object_object_get(rot, "Driver"));

        *ret_size = s > 0 ? (uint64_t)s : MONITOR_LOG_MAX;
        *ret_files = f >= 1 && f <= MONITOR_LOG_FILES_MAX ? (int)f : 2;
        if (driver && !strcmp(driver, "none"))
                *ret_files = 0;
}

static void
log_open(struct mon *m)
{
        cleanup_free char *p = ctr_path(m->c, "log.json");
        struct stat st;

        if (m->log_fd >= 0)
                close(m->log_fd);
        m->log_fd = -1;
        if (!m->log_files)
                return;
        m->log_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        m->log_size = m->log_fd >= 0 && fstat(m->log_fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* log_rotate: log.json.K becomes log.json.K+1 (the oldest kept one is overwritten), log.json
 * becomes log.json.1; with one file, log.json starts over (docker's json-file with max-file 1) */
static void
log_rotate(struct mon *m)
{
        cleanup_free char *p = ctr_path(m->c, "log.json");

        if (m->log_files <= 1) {
                if (ftruncate(m->log_fd, 0) == 0)
                        m->log_size = 0;
                return;
        }
        for (int k = m->log_files - 2; k >= 1; k--) {
                cleanup_free char *from = xasprintf("%s.%d", p, k);
                cleanup_free char *to = xasprintf("%s.%d", p, k + 1);

                if (rename(from, to) < 0) {
                        /* not there yet: fewer rotations so far */
                }
        }
        {
                cleanup_free char *p1 = xasprintf("%s.1", p);

                if (rename(p, p1) == 0)
                        log_open(m);
        }
}

static void
log_emit(struct mon *m, const char *data, size_t n, int stream)
{
        cleanup_sbuf struct sbuf sb = SBUF_INIT;
        char now[40];

        if (m->log_fd < 0)
                return;
        ctr_now_rfc3339(now);
        monitor_log_line(&sb, data, n, stream ? "stderr" : "stdout", now);
        if (write(m->log_fd, sb.buf, sb.len) == (ssize_t)sb.len)
                m->log_size += sb.len;
        if (m->log_size >= m->log_max)
                log_rotate(m);
}

static void
log_flush(struct mon *m, int stream, int all)
{
        struct sbuf *p = &m->pend[stream];
        size_t off = 0;

        for (;;) {
                const char *nl = memchr(p->buf + off, '\n', p->len - off);
                size_t n = nl ? (size_t)(nl - (p->buf + off)) + 1 : p->len - off;

                if (n > MONITOR_LINE_MAX)
                        n = MONITOR_LINE_MAX;
                else if (!nl && !all && n < MONITOR_LINE_MAX)
                        break;
                if (n == 0)
                        break;
                log_emit(m, p->buf + off, n, stream);
                off += n;
        }
        memmove(p->buf, p->buf + off, p->len - off);
        sbuf_truncate(p, p->len - off);
}

/* pump: read what a stream has; returns 0 at EOF (the pipe is then closed). */
static int
pump(struct mon *m, int stream)
{
        char buf[8192];
        ssize_t n = read(m->pipes[stream], buf, sizeof(buf));

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 1;
        if (n <= 0) {
                close(m->pipes[stream]);
                m->pipes[stream] = -1;
                log_flush(m, stream, 1);
                return 0;
        }
        if (m->attach[stream] >= 0 && write(m->attach[stream], buf, (size_t)n) != n) {
                close(m->attach[stream]);
                m->attach[stream] = -1;
        }
        sbuf_add(&m->pend[stream], buf, (size_t)n);
        log_flush(m, stream, 0);
        return 1;
}

struct state_ctx {
        const char *status;
        struct mon *m;
        int exited;
        int oom;
        const char *error;
};

static void
set_state(json_object *st, void *ctx)
{
        struct state_ctx *s = ctx;
        char now[40];

        ctr_now_rfc3339(now);
        json_object_object_add(st, "Status", json_object_new_string(s->status));
        json_object_object_add(st, "Running",
                               json_object_new_boolean(strcmp(s->status, "running") == 0));
        json_object_object_add(st, "Pid", json_object_new_int(s->m->pid));
        json_object_object_add(st, "Paused", json_object_new_boolean(0));
        json_object_object_add(st, "MonitorPid", json_object_new_int(getpid()));
        json_object_object_add(st, "RestartCount", json_object_new_int(s->m->restarts));
        if (s->error)
                json_object_object_add(st, "Error", json_object_new_string(s->error));
        if (strcmp(s->status, "running") == 0) {
                json_object_object_add(st, "StartedAt", json_object_new_string(now));
                json_object_object_add(st, "Error", json_object_new_string(""));
                mon_health_reset(&s->m->health, st);
        }
        if (s->exited) {
                json_object_object_add(st, "FinishedAt", json_object_new_string(now));
                json_object_object_add(st, "ExitCode", json_object_new_int(s->m->last_code));
                json_object_object_add(st, "OOMKilled", json_object_new_boolean(s->oom));
        }
}

static void
record(struct mon *m, const char *status, int exited, int oom, const char *error)
{
        struct state_ctx s = { status, m, exited, oom, error };
        struct err e = { 0 };

        ctr_state_update(m->c, set_state, &s, &e);
}

static void
clear_paused(json_object *st, void *ctx)
{
        (void)ctx;
        json_object_object_add(st, "Paused", json_object_new_boolean(0));
}

/* kill_thaw: signal the container; a paused one is thawed after a signal meant to end it
 * (SIGKILL or the stop signal), so that it can act on it, as docker does. */
static int
kill_thaw(struct mon *m, int sig, int ends, struct err *err)
{
        struct err e = { 0 };
        int r = rt_kill(m->c->run_dir, sig, err);

        if (r == 0 && (ends || sig == SIGKILL) && rt_frozen(m->c->run_dir) > 0 &&
            rt_freeze(m->c->run_dir, 0, &e) == 0)
                ctr_state_update(m->c, clear_paused, NULL, &e);
        return r;
}

/* tell_started: the CLI waiting on the status pipe learns the command runs ("S"); a
 * detached CLI needs nothing more. */
static void
tell_started(struct mon *m)
{
        if (m->status_fd < 0)
                return;
        if (write(m->status_fd, "S\n", 2) < 0) {
                /* the CLI is gone */
        }
        if (m->attach[0] < 0) {
                close(m->status_fd);
                m->status_fd = -1;
        }
}

/* use_pty: with -t the container's output is its pty (logged as "stdout"); its window size
 * starts as the attached CLI's terminal's and follows "resize" requests. */
static void
use_pty(struct mon *m)
{
        int master = rt_container_take_pty(m->rc);
        struct winsize ws;

        if (master < 0)
                return;
        for (int s = 0; s < 2; s++)
                close(m->pipes[s]);
        m->pipes[0] = master;
        m->pipes[1] = -1;
        fcntl(master, F_SETFL, O_NONBLOCK);
        for (int fd = MONITOR_FD_ATTACH_OUT; m->attach[0] >= 0 && fd >= 0; fd -= 3)
                if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
                        ioctl(master, TIOCSWINSZ, &ws);
                        break;
                }
        m->in = m->tty_in ? 0 : -1;
}

/* relay_in: the attached CLI's stdin to the pty; its end becomes ^D. */
static void
relay_in(struct mon *m)
{
        char buf[4096];
        ssize_t n = read(m->in, buf, sizeof(buf));

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                m->in = -1;
                n = 1;
                buf[0] = '\004';
        }
        if (m->pipes[0] >= 0 && write(m->pipes[0], buf, (size_t)n) < 0) {
                /* the pty is gone: the container is ending */
        }
}

static int
auto_remove(const struct mon *m)
{
        return json_object_get_boolean(json_object_object_get(
                json_object_object_get(m->c->config, "HostConfig"), "AutoRemove"));
}

/* hold_mntns: with --rm, keep a reference to the container's mount namespace. When the last
 * process of a namespace exits, the kernel unmounts its tree and waits for an RCU grace period
 * (0.5-1.5 ms here) before the parent hears of the exit. Holding the namespace moves that
 * wait to the monitor's exit (release_mntns), after the CLI has its exit code and the record
 * is gone. Best effort: a container already gone is no error. */
static void
hold_mntns(struct mon *m)
{
        char path[64];

        if (!auto_remove(m) || m->mntns >= 0)
                return;
        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)m->pid);
        m->mntns = open(path, O_RDONLY | O_CLOEXEC);
}

static void
release_mntns(struct mon *m)
{
        if (m->mntns >= 0)
                close(m->mntns);
        m->mntns = -1;
}

static int
spawn(struct mon *m, struct err *err)
{
        int out[2], er[2], code = 125, r;
        sigset_t none, old;

        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0)
                return err_setf(err, -errno, "create pipes: %s", strerror(errno));
        m->cfg.rt.stdio[0] = 0;
        m->cfg.rt.stdio[1] = out[1];
        m->cfg.rt.stdio[2] = er[1];
        /* the container's first process is cloned with our signal mask: clear it for the
         * clone (it waits for rt_start, so no SIGCHLD of it can be missed meanwhile) */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, &old);
        r = rt_create(&m->cfg.rt, m->c->run_dir, &m->rc, err);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(out[1]);
        close(er[1]);
        m->pipes[0] = out[0];
        m->pipes[1] = er[0];
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        fcntl(er[0], F_SETFL, O_NONBLOCK);
        if (r < 0)
                return r;
        m->pid = rt_container_pid(m->rc);
        hold_mntns(m);
        if (m->cfg.rt.tty)
                use_pty(m);
        r = rt_start(m->rc, &code, err);
        if (r < 0) {
                struct rt_exit ex;
                struct err e2 = { 0 };
                rt_wait(m->rc, 0, &ex, &e2);
                m->rc = rt_container_free(m->rc);
                m->last_code = code;
                return r;
        }
        m->started_ms = mon_now_ms();
        record(m, "running", 0, 0, NULL);
        tell_started(m);
        return 0;
}

static void
notify_waiters(struct mon *m)
{
        char line[32];
        int n = snprintf(line, sizeof(line), "exited %d\n", m->last_code);

        for (size_t i = 0; i < m->nwait; i++) {
                if (write(m->waiters[i], line, (size_t)n) < 0) {
                        /* the client is gone; nothing to tell */
                }
                close(m->waiters[i]);
        }
        m->nwait = 0;
}

static void
tell_status(struct mon *m)
{
        char line[ERR_MSG_MAX + 32];
        int n;

        if (m->status_fd < 0)
                return;
        n = snprintf(line, sizeof(line), "%d%s%s\n", m->last_code, m->error[0] ? " " : "",
                     m->error);
        if (write(m->status_fd, line, (size_t)n) < 0) {
                /* the attached CLI is gone */
        }
        close(m->status_fd);
        m->status_fd = -1;
        for (int s = 0; s < 2; s++)
                if (m->attach[s] >= 0) {
                        close(m->attach[s]);
                        m->attach[s] = -1;
                }
}

static int
want_restart(struct mon *m)
{
        json_object *hc = NULL, *rp = NULL;
        const char *name;
        int64_t max;

        if (m->stopping)
                return 0;
        json_object_object_get_ex(m->c->config, "HostConfig", &hc);
        if (hc)
                json_object_object_get_ex(hc, "RestartPolicy", &rp);
        name = mon_str(rp, "Name");
        max = mon_int(rp, "MaximumRetryCount");
        if (!name || strcmp(name, "no") == 0 || strcmp(name, "") == 0)
                return 0;
        if (strcmp(name, "on-failure") == 0)
                return m->last_code != 0 && (max <= 0 || m->restarts < max);
        return 1;
}

int64_t
mon_backoff(int restarts, int64_t ran_ms)
{
        int64_t d = 100;

        if (ran_ms >= 10000)
                return d;
        for (int i = 0; i < restarts && d < 60000; i++)
                d *= 2;
        return d < 60000 ? d : 60000;
}

/* finish: the container ended for good: its runtime state goes, and with --rm its record.
 * exited_recorded: the record already says "exited" (a --rm run skips that write when the
 * record goes anyway, and makes it only if the removal fails). */
static void
finish(struct mon *m, int exited_recorded, int oom)
{
        struct err e = { 0 };

        rt_delete(m->c->run_dir, &e);
        if (auto_remove(m)) {
                ctr_image_unhold(m->root, m->c->id);
                ctr_net_leave(m->c, 0, &e);
                if (ctr_remove(m->c, &e) == 0) /* --rm takes its anonymous volumes along */
                        vol_remove_anonymous(m->root, m->c->config, &e);
                else if (!exited_recorded)
                        record(m, "exited", 1, oom, NULL);
        }
        tell_status(m);
        notify_waiters(m);
        m->done = 1;
}

static void
on_exit_(struct mon *m, const struct rt_exit *ex)
{
        int64_t ran;

        for (int s = 0; s < 2; s++)
                while (m->pipes[s] >= 0 && pump(m, s) > 0) {
                }
        m->last_code = ex->code;
        m->pid = 0;
        m->kill_at = 0;
        m->rc = rt_container_free(m->rc);
        mon_health_stop(&m->health);
        if (!want_restart(m)) {
                /* the exit is recorded before anything is torn down, unless --rm removes it */
                if (!auto_remove(m))
                        record(m, "exited", 1, ex->oom_killed, NULL);
                finish(m, !auto_remove(m), ex->oom_killed);
                return;
        }
        record(m, "exited", 1, ex->oom_killed, NULL);
        ran = mon_now_ms() - m->started_ms;
        m->restart_at = mon_now_ms() + mon_backoff(m->restarts, ran);
        record(m, "restarting", 1, ex->oom_killed, NULL);
        tell_status(m);
}

static void
do_restart(struct mon *m)
{
        struct err e = { 0 };
        struct err e2 = { 0 };

        m->restart_at = 0;
        m->restarts++;
        m->shed = 1;
        release_mntns(m); /* the overlay must be unmounted before the next one mounts */
        rt_delete(m->c->run_dir, &e2);
        if (spawn(m, &e) < 0) {
                struct rt_exit ex = { .code = m->last_code ? m->last_code : 125 };
                snprintf(m->error, sizeof(m->error), "%s", e.msg);
                record(m, "exited", 1, 0, e.msg);
                on_exit_(m, &ex);
        }
}

static int
parse_signal(const char *s)
{
        static const struct {
                const char *n;
                int sig;
        } t[] = {
                { "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
                { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "STOP", SIGSTOP },
                { "CONT", SIGCONT }, { "ALRM", SIGALRM }, { "WINCH", SIGWINCH },
        };
        char *end;
        long v;

        if (!s || !*s)
                return -1;
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                if (strcasecmp(s, t[i].n) == 0)
                        return t[i].sig;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v <= 0 || v >= 65)
                return -1;
        return (int)v;
}

int
monitor_parse_signal(const char *s)
{
        return parse_signal(s);
}

static void
reply(int fd, const char *line)
{
        if (write(fd, line, strlen(line)) < 0) {
                /* the client is gone */
        }
}

static void
req_resize(struct mon *m, const char *arg, int fd)
{
        unsigned rows = 0, cols = 0;
        struct winsize ws = { 0 };

        if (sscanf(arg, "%u %u", &rows, &cols) != 2 || !rows || !cols || rows > 65535 ||
            cols > 65535) {
                reply(fd, "error bad size\n");
                return;
        }
        ws.ws_row = (unsigned short)rows;
        ws.ws_col = (unsigned short)cols;
        if (!m->cfg.rt.tty || m->pipes[0] < 0 || ioctl(m->pipes[0], TIOCSWINSZ, &ws) < 0) {
                reply(fd, "error no tty\n");
                return;
        }
        reply(fd, "ok\n");
}

static void
add_waiter(struct mon *m, int fd)
{
        if (m->nwait >= WAITERS_MAX) {
                reply(fd, "error too many waiters\n");
                close(fd);
                return;
        }
        m->waiters[m->nwait++] = fd;
}

static void
req_status(struct mon *m, int fd)
{
        struct err e = { 0 };
        json_object *st = NULL;

        if (ctr_state_read(m->c, &st, &e) < 0) {
                reply(fd, "error no state\n");
                return;
        }
        reply(fd, json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN));
        reply(fd, "\n");
        json_object_put(st);
}

static int
stop_signal(struct mon *m)
{
        const char *ss = mon_str(m->c->config, "StopSignal");
        int sig = ss ? parse_signal(ss) : SIGTERM;

        return sig > 0 ? sig : SIGTERM;
}

static int
req_kill(struct mon *m, int sig, int fd)
{
        struct err e = { 0 };

        m->stopping = 1;
        if (!m->rc) {
                m->restart_at = 0;
                reply(fd, "ok\n");
                finish(m, 1, 0);
                return 0;
        }
        if (kill_thaw(m, sig, sig == stop_signal(m), &e) < 0) {
                reply(fd, "error ");
                reply(fd, e.msg);
                reply(fd, "\n");
                return 0;
        }
        reply(fd, "ok\n");
        return 0;
}

static void
req_stop(struct mon *m, const char *arg, int fd)
{
        const char *ss = mon_str(m->c->config, "StopSignal");
        int sig = ss ? parse_signal(ss) : SIGTERM;
        long secs = 10;
        struct err e = { 0 };

        if (arg && *arg) {
                char *end;
                errno = 0;
                secs = strtol(arg, &end, 10);
                if (errno || *end || secs < -1 || secs > 86400)
                        secs = 10;
        }
        m->stopping = 1;
        if (!m->rc) {
                m->restart_at = 0;
                add_waiter(m, fd);
                finish(m, 1, 0);
                return;
        }
        add_waiter(m, fd);
        kill_thaw(m, sig > 0 ? sig : SIGTERM, 1, &e);
        if (secs >= 0)
                m->kill_at = mon_now_ms() + secs * 1000;
}

static void
on_client(struct mon *m)
{
        char line[128];
        struct timeval tv = { .tv_sec = 1 };
        int fd = accept4(m->sock, NULL, NULL, SOCK_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        n = read(fd, line, sizeof(line) - 1);
        if (n <= 0) {
                close(fd);
                return;
        }
        line[n] = 0;
        line[strcspn(line, "\n")] = 0;
        if (strcmp(line, "status") == 0) {
                req_status(m, fd);
        } else if (strncmp(line, "kill ", 5) == 0) {
                int sig = parse_signal(line + 5);
                if (sig < 0)
                        reply(fd, "error invalid signal\n");
                else
                        req_kill(m, sig, fd);
        } else if (strncmp(line, "stop", 4) == 0) {
                req_stop(m, line[4] ? line + 5 : NULL, fd);
                return;
        } else if (strncmp(line, "resize ", 7) == 0) {
                req_resize(m, line + 7, fd);
        } else if (strcmp(line, "wait") == 0) {
                add_waiter(m, fd);
                return;
        } else {
                reply(fd, "error unknown request\n");
        }
        close(fd);
}

static int
dir_path_fd(const char *dir, struct err *err)
{
        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return err_setf(err, -errno, "open '%s': %s", dir, strerror(errno));
        return fd;
}

static int
sock_addr(int dfd, struct sockaddr_un *a)
{
        memset(a, 0, sizeof(*a));
        a->sun_family = AF_UNIX;
        snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/%s", dfd, MONITOR_SOCK);
        return 0;
}

static int
listen_sock(struct mon *m, struct err *err)
{
        cleanup_close int dfd = -1;
        struct sockaddr_un a;
        int fd, r = fs_mkdir_p(m->c->run_dir, 0700, err);

        if (r < 0)
                return r;
        dfd = dir_path_fd(m->c->run_dir, err);
        if (dfd < 0)
                return dfd;
        sock_addr(dfd, &a);
        unlinkat(dfd, MONITOR_SOCK, 0);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return err_setf(err, -errno, "create socket: %s", strerror(errno));
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
                r = -errno;
                close(fd);
                return err_setf(err, r, "listen on %s/%s: %s", m->c->run_dir, MONITOR_SOCK,
                                strerror(-r));
        }
        m->sock = fd;
        return 0;
}

static void
on_signal(struct mon *m)
{
        struct signalfd_siginfo si;
        struct rt_exit ex;
        struct err e = { 0 };

        while (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGTERM && m->rc) {
                        m->stopping = 1;
                        kill_thaw(m, SIGTERM, 1, &e);
                }
        }
        mon_health_reap(&m->health, m->c);
        if (m->rc && rt_wait(m->rc, 1, &ex, &e) == 0)
                on_exit_(m, &ex);
}

static int
timeout_ms(struct mon *m)
{
        int64_t now = mon_now_ms(), next = INT64_MAX;
        int64_t h = mon_health_deadline(&m->health);

        if (m->kill_at)
                next = m->kill_at;
        if (m->restart_at && m->restart_at < next)
                next = m->restart_at;
        if (h && h < next)
                next = h;
        if (next == INT64_MAX)
                return -1;
        return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

static void
on_timers(struct mon *m)
{
        int64_t now = mon_now_ms();
        struct err e = { 0 };

        if (m->kill_at && now >= m->kill_at) {
                m->kill_at = 0;
                kill_thaw(m, SIGKILL, 1, &e);
        }
        if (m->restart_at && now >= m->restart_at)
                do_restart(m);
        if (m->rc)
                mon_health_tick(&m->health, m->c, &m->cfg.rt, m->pid, now);
}

/* shed: back to idling after work: what the work touched goes back to the kernel */
static void
shed(struct mon *m)
{
        if (!m->shed || m->done)
                return;
        m->shed = 0;
        malloc_trim(0);
        memshed();
}

static void
loop(struct mon *m)
{
        while (!m->done) {
                shed(m);
                struct pollfd p[6] = {
                        { .fd = m->sigfd, .events = POLLIN },
                        { .fd = m->sock, .events = POLLIN },
                        { .fd = m->pipes[0], .events = POLLIN },
                        { .fd = m->pipes[1], .events = POLLIN },
                        { .fd = m->health.fd, .events = POLLIN },
                        { .fd = m->pipes[0] >= 0 ? m->in : -1, .events = POLLIN },
                };
                int n = poll(p, 6, timeout_ms(m));

                if (n < 0 && errno != EINTR)
                        break;
                for (int s = 0; s < 2; s++)
                        if (n > 0 && p[2 + s].revents && m->pipes[s] >= 0)
                                pump(m, s);
                /* a health probe, a signal, a request or a restart ran code idling does not */
                m->shed = n > 0 && (p[0].revents || p[1].revents || p[4].revents);
                if (n > 0 && p[4].revents)
                        mon_health_read(&m->health);
                if (n > 0 && p[5].revents && m->in >= 0)
                        relay_in(m);
                if (n > 0 && p[0].revents)
                        on_signal(m);
                if (n > 0 && p[1].revents && !m->done)
                        on_client(m);
                if (!m->done)
                        on_timers(m);
        }
}

static void
ignore(int sig)
{
        (void)sig;
}

/* reset_signals: a container inherits its creator's signal mask and ignored signals, and
 * docker's start with none; so nothing is SIG_IGN here (SIGPIPE, which the monitor must
 * survive when an attached CLI goes away, gets a no-op handler: exec resets handlers). */
static void
reset_signals(void)
{
        struct sigaction dfl = { .sa_handler = SIG_DFL }, noop = { .sa_handler = ignore };
        uint64_t ign = ~0ull; /* unknown: reset them all */

        /* exec reset every handled signal; only the ignored ones (SigIgn) came along */
        procfs_status_mask("SigIgn", &ign);
        for (int sig = 1; sig < NSIG && sig <= 64; sig++)
                if (sig != SIGKILL && sig != SIGSTOP && (ign & (1ull << (sig - 1))))
                        sigaction(sig, &dfl, NULL);
        sigaction(SIGPIPE, &noop, NULL);
        sigaction(SIGTERM, &noop, NULL);
}

static int
setup(struct mon *m, int attach, struct err *err)
{
        sigset_t set;
        cleanup_free char *cache = xasprintf("%s/cache", m->root);
        int r;

        reset_signals();
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m->sigfd < 0)
                return err_setf(err, -errno, "signalfd: %s", strerror(errno));
        m->attach[0] = attach ? MONITOR_FD_ATTACH_OUT : -1;
        m->attach[1] = attach ? MONITOR_FD_ATTACH_ERR : -1;
        m->status_fd = fcntl(MONITOR_FD_STATUS, F_GETFD) >= 0 ? MONITOR_FD_STATUS : -1;
        for (int i = 0; i < 3; i++)
                fcntl(MONITOR_FD_ATTACH_OUT + i, F_SETFD, FD_CLOEXEC);
        r = fs_mkdir_p(cache, 0700, err);
        if (r >= 0)
                r = mon_cfg_build(&m->cfg, m->c, m->root, err);
        if (r >= 0)
                r = listen_sock(m, err);
        if (r >= 0)
                mon_health_init(&m->health, json_object_object_get(m->c->config, "Healthcheck"));
        monitor_log_limits(m->c->config, &m->log_max, &m->log_files);
        log_open(m);
        return r;
}

static void
teardown(struct mon *m)
{
        cleanup_close int dfd = open(m->c->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (dfd >= 0)
                unlinkat(dfd, MONITOR_SOCK, 0);
        rmdir(m->c->run_dir);
        mon_health_stop(&m->health);
        mon_health_free(&m->health);
        for (int s = 0; s < 2; s++) {
                if (m->pipes[s] >= 0)
                        close(m->pipes[s]);
                sbuf_release(&m->pend[s]);
        }
        if (m->sock >= 0)
                close(m->sock);
        if (m->sigfd >= 0)
                close(m->sigfd);
        if (m->log_fd >= 0)
                close(m->log_fd);
        mon_cfg_release(&m->cfg);
        release_mntns(m); /* last: nobody waits for its grace period (hold_mntns) */
}

int
monitor_run(const char *root, struct ctr *c, int attach, int interactive, struct err *err)
{
        struct mon m = { .root = root, .c = c, .pipes = { -1, -1 }, .log_fd = -1, .sock = -1,
                         .sigfd = -1, .status_fd = -1, .attach = { -1, -1 }, .in = -1,
                         .mntns = -1 };
        int r;

        m.tty_in = attach && interactive;
        sbuf_init(&m.pend[0]);
        sbuf_init(&m.pend[1]);
        mon_health_init(&m.health, NULL);
        r = setup(&m, attach, err);
        if (r >= 0)
                r = spawn(&m, err);
        /* what building the config and creating the container took (seccomp filter, netlink
         * caches, the startup code's pages) goes back to the kernel before the loop: the
         * monitor idles for the container's lifetime (base/memshed.h) */
        m.shed = 1;
        if (r < 0) {
                if (!m.last_code)
                        m.last_code = 125;
                snprintf(m.error, sizeof(m.error), "%s", err->msg);
                record(&m, "exited", 1, 0, err->msg);
                finish(&m, 1, 0);
        }
        loop(&m);
        teardown(&m);
        return r;
}

int
monitor_request(const struct ctr *c, const char *line, char **ret_reply, struct err *err)
{
        cleanup_close int dfd = dir_path_fd(c->run_dir, err);
        cleanup_close int fd = -1;
        cleanup_sbuf struct sbuf sb = SBUF_INIT;
        cleanup_free char *req = NULL;
        struct sockaddr_un a;
        char buf[4096];
        ssize_t n;

        if (dfd < 0)
                return dfd;
        sock_addr(dfd, &a);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return err_setf(err, -errno, "create socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
                return err_setf(err, -errno, "connect to the monitor of %s: %s", c->name,
                                strerror(errno));
        /* one write (the monitor may answer and close after the first), and no SIGPIPE */
        req = xasprintf("%s\n", line);
        if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
                return err_setf(err, -errno, "talk to the monitor of %s: %s", c->name,
                                strerror(errno));
        while ((n = read(fd, buf, sizeof(buf))) > 0 && sb.len < CTR_JSON_MAX) {
                sbuf_add(&sb, buf, (size_t)n);
                if (memchr(buf, '\n', (size_t)n))
                        break;
        }
        if (sb.len == 0)
                return err_setf(err, -ECONNRESET, "the monitor of %s closed without a reply",
                                c->name);
        sbuf_truncate(&sb, strcspn(sb.buf, "\n"));
        *ret_reply = sbuf_detach(&sb);
        return 0;
}

int
monitor_alive(const struct ctr *c)
{
        cleanup_close int dfd = open(c->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        cleanup_close int fd = -1;
        struct sockaddr_un a;

        if (dfd < 0)
                return 0;
        sock_addr(dfd, &a);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        return fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}
