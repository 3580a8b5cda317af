/* The per-network DNS responder as a process of its own: `berth-monitor --root R __dns NAME`
 * (the small executable of engine/monitor.h, which also runs container monitors).
 *
 * Why a process per network and not a task of the container monitors: a network outlives
 * any one container (and may have none), the responder must answer while containers come
 * and go, and berth has no daemon. One small process per network, started by
 * `network create` (and again on use if it died), stopped by PID on `network rm`, keeps the
 * failure domain to one network and needs no coordination between monitors. It listens on
 * the bridge's gateway address, port 53, in the host netns (so host upstreams such as
 * 127.0.0.53 stay reachable), and re-reads its name table from the network's IPAM record
 * whenever the file changes (net/dns.h), so a joining container resolves at once.
 *
 * Start-up handshake: the parent passes the write end of a pipe as fd 3 (--ready-fd 3); the
 * child writes "ok\n" once its socket is bound and its PID file written, or its error. The
 * PID file is trusted only if /proc/PID/cmdline is `… --root ROOT __dns … NAME`, so a
 * recycled PID is never signalled.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/syscall.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/memshed.h"
#include "base/sha256.h"
#include "base/strv.h"
#include "compose/network_int.h"
#include "engine/monitor.h"
#include "net/dns.h"
#include "net/ipam.h"

#define READY_MAX 512

void
network_paths_init(const struct cli_globals *g, struct network_paths *p)
{
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];

        p->meta_dir = xasprintf("%s/networks", g->root);
        p->ipam_dir = xasprintf("%s/net/ipam", g->root);
        p->nat_dir = xasprintf("%s/net/nat", g->root);
        p->run_dir = xasprintf("%s/networks", g->run_root);
        if (strcmp(g->root, "/var/lib/berth") == 0) {
                snprintf(p->table, sizeof(p->table), "berth");
                return;
        }
        sha256_buf(g->root, strlen(g->root), d);
        sha256_hex(d, hex);
        snprintf(p->table, sizeof(p->table), "berth_%.8s", hex);
}

void
network_paths_release(struct network_paths *p)
{
        free(p->meta_dir);
        free(p->ipam_dir);
        free(p->nat_dir);
        free(p->run_dir);
}

static char *
pid_path(const struct cli_globals *g, const char *name)
{
        return xasprintf("%s/networks/%s/dns.pid", g->run_root, name);
}

/* is_ours: whether pid runs `berth --root ROOT __dns ... NAME`. */
static bool
is_ours(const struct cli_globals *g, pid_t pid, const char *name)
{
        cleanup_free char *path = xasprintf("/proc/%d/cmdline", (int)pid), *buf = NULL;
        const char *args[64];
        size_t len, n = 0;
        struct err e = { 0 };

        if (fs_read_capped(path, 64 * 1024, &buf, &len, &e) < 0)
                return false;
        for (size_t i = 0; i < len && n < ARRAY_SIZE(args); i += strlen(buf + i) + 1)
                args[n++] = buf + i;
        return n >= 5 && strcmp(args[1], "--root") == 0 && strcmp(args[2], g->root) == 0 &&
               strcmp(args[3], "__dns") == 0 && strcmp(args[n - 1], name) == 0;
}

/* running_pid: the responder's PID if it runs, else 0. */
static pid_t
running_pid(const struct cli_globals *g, const char *name)
{
        cleanup_free char *path = pid_path(g, name), *buf = NULL;
        struct err e = { 0 };
        size_t len;
        char *end;
        long v;

        if (fs_read_capped(path, 64, &buf, &len, &e) < 0)
                return 0;
        errno = 0;
        v = strtol(buf, &end, 10);
        if (errno || end == buf || v <= 1 || v > INT_MAX)
                return 0;
        return is_ours(g, (pid_t)v, name) ? (pid_t)v : 0;
}

/* spawn_child: in the child after fork: exec the responder with the pipe as fd 3. Only
 * async-signal-safe calls (no allocation) between fork and exec. */
static void __attribute__((noreturn))
spawn_child(int ready_fd, const char *exe, char *const *argv)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        setsid();
        if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
        }
        if (dup2(ready_fd, 3) < 0)
                _exit(127);
        execv(exe, argv);
        _exit(127);
}

/* await_ready: the child's "ok" or its error message. */
static int
await_ready(int fd, pid_t pid, const char *name, struct err *err)
{
        char buf[READY_MAX];
        size_t len = 0;
        ssize_t k;

        while (len < sizeof(buf) - 1 && (k = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        break;
                len += (size_t)k;
        }
        buf[len] = '\0';
        if (strcmp(buf, "ok\n") == 0)
                return 0;
        waitpid(pid, NULL, 0);
        buf[strcspn(buf, "\n")] = '\0';
        return err_setf(err, -EIO, "start the DNS responder of network '%s': %s", name,
                        len ? buf : "it exited before it was ready");
}

/* dns_lock: RUN_ROOT/networks/NAME/dns.lock, held exclusively (an fd to close). */
static int
dns_lock(const struct cli_globals *g, const char *name, struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/networks/%s", g->run_root, name);
        cleanup_free char *path = xasprintf("%s/dns.lock", dir);
        int r = fs_mkdir_p(dir, 0700, err), fd;

        if (r < 0)
                return r;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return err_setf(err, -errno, "open '%s': %s", path, strerror(errno));
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        close(fd);
                        return err_setf(err, r, "lock '%s': %s", path, strerror(-r));
                }
        return fd;
}

int
network_dns_start(const struct cli_globals *g, const char *name, struct err *err)
{
        cleanup_strv char **argv = NULL;
        cleanup_free char *exe = NULL;
        int p[2];
        pid_t pid;
        int r;

        /* two commands joining containers to this network at once must not both start a
         * responder (UDP port sharing would let both bind): check and start under a lock */
        cleanup_close int lock = dns_lock(g, name, err);

        if (lock < 0)
                return lock;
        if (running_pid(g, name) > 0)
                return 0;
        r = monitor_exe_path(&exe, err);
        if (r < 0)
                return err_prefix(err, "start the DNS responder");
        strv_add(&argv, MONITOR_EXE);
        strv_add(&argv, "--root");
        strv_add(&argv, g->root);
        strv_add(&argv, "__dns");
        strv_add(&argv, "--ready-fd");
        strv_add(&argv, "3");
        strv_add(&argv, name);
        if (pipe2(p, O_CLOEXEC) < 0)
                return err_setf(err, -errno, "start the DNS responder: pipe: %s", strerror(errno));
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(p[0]);
                close(p[1]);
                return err_setf(err, r, "start the DNS responder: fork: %s", strerror(-r));
        }
        if (pid == 0)
                spawn_child(p[1], exe, argv);
        close(p[1]);
        r = await_ready(p[0], pid, name, err);
        close(p[0]);
        return r;
}

/* pid_alive: whether pid still runs; a zombie does not (its parent, perhaps an init that
 * does not reap, may keep it for a while), nor does our own child once reaped. */
static bool
pid_alive(pid_t pid)
{
        cleanup_free char *path = xasprintf("/proc/%d/stat", (int)pid), *buf = NULL;
        struct err e = { 0 };
        const char *paren;
        size_t len;

        waitpid(pid, NULL, WNOHANG);
        if (fs_read_capped(path, 4096, &buf, &len, &e) < 0)
                return false;
        paren = strrchr(buf, ')');
        return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

int
network_dns_stop(const struct cli_globals *g, const char *name, struct err *err)
{
        cleanup_free char *path = pid_path(g, name);
        cleanup_free char *lock_path = xasprintf("%s/networks/%s/dns.lock", g->run_root, name);
        cleanup_close int lock = dns_lock(g, name, err);
        cleanup_close int pfd = -1;
        pid_t pid;
        struct timespec ts = { 0, 10 * 1000 * 1000 };

        if (lock < 0)
                return lock;
        pid = running_pid(g, name);
        /* a pidfd to wait on without polling; it names the responder if it still runs after
         * the pidfd was made (is_ours) */
        pfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
        if (pfd >= 0 && !is_ours(g, pid, name))
                pid = 0;
        if (pid > 0 && kill(pid, SIGTERM) < 0 && errno != ESRCH)
                return err_setf(err, -errno, "stop the DNS responder of network '%s' (pid %d): %s",
                                name, (int)pid, strerror(errno));
        if (pid > 0 && pfd >= 0)
                poll(&(struct pollfd){ .fd = pfd, .events = POLLIN }, 1, 2000);
        for (int i = 0; pid > 0 && i < 200 && pid_alive(pid); i++)
                nanosleep(&ts, NULL);
        if (pid > 0 && pid_alive(pid)) {
                kill(pid, SIGKILL);
                for (int i = 0; i < 100 && pid_alive(pid); i++)
                        nanosleep(&ts, NULL);
        }
        if (unlink(path) < 0 && errno != ENOENT)
                return err_setf(err, -errno, "remove '%s': %s", path, strerror(errno));
        /* the lock file goes with the pid file, so that the network's run dir can go */
        unlink(lock_path);
        return 0;
}

/* ---- the responder process ----------------------------------------------------------- */

static int
stop_fd_open(struct err *err)
{
        sigset_t set;
        int fd;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return err_setf(err, -errno, "signalfd: %s", strerror(errno));
        return fd;
}

static void
ready_say(int fd, const char *msg)
{
        if (fd < 0)
                return;
        if (write(fd, msg, strlen(msg)) < 0 || write(fd, "\n", 1) < 0) {
                /* the parent went away: nothing to tell */
        }
        close(fd);
}

/* dns_listen_record: bind gateway:53 and write the PID file. */
static int
dns_listen_record(const struct cli_globals *g, const char *name, uint32_t gw, int *ret_fd,
                  struct err *err)
{
        cleanup_free char *path = pid_path(g, name), *dir = path_dirname(path);
        cleanup_free char *pid = xasprintf("%d\n", (int)getpid());
        int r = net_dns_listen(gw, 53, ret_fd, err);

        if (r == 0)
                r = fs_mkdir_p(dir, 0700, err);
        if (r == 0)
                r = fs_write_atomic(path, pid, strlen(pid), 0644, err);
        return r;
}

static int
dns_run(const struct cli_globals *g, const char *name, int ready_fd, struct err *err)
{
        struct network_paths p = { 0 };
        struct ipam_network *n = NULL;
        struct sockaddr_in up[DNS_UPSTREAM_MAX];
        struct net_dns_server_config c = { .fd = -1, .upstreams = up };
        struct err ignore = { 0 };
        cleanup_free char *table = NULL;
        int r;

        network_paths_init(g, &p);
        table = xasprintf("%s/%s.json", p.ipam_dir, name);
        r = ipam_network_load(p.ipam_dir, name, &n, err);
        if (r == 0 && net_dns_resolv_upstreams("/etc/resolv.conf", up, DNS_UPSTREAM_MAX,
                                               &c.n_upstreams, &ignore) < 0)
                c.n_upstreams = 0;
        c.table_path = table;
        c.stop_fd = r < 0 ? -1 : stop_fd_open(err);
        if (r == 0 && c.stop_fd < 0)
                r = c.stop_fd;
        if (r == 0)
                r = dns_listen_record(g, name, n->gateway, &c.fd, err);
        ready_say(ready_fd, r < 0 ? err->msg : "ok");
        if (r == 0) {
                memshed(); /* it idles for the network's lifetime (base/memshed.h) */
                r = net_dns_serve(&c, err);
        }
        if (c.fd >= 0)
                close(c.fd);
        if (c.stop_fd >= 0)
                close(c.stop_fd);
        if (running_pid(g, name) == getpid()) {
                cleanup_free char *pp = pid_path(g, name);

                unlink(pp);
        }
        ipam_network_free(n);
        network_paths_release(&p);
        return r;
}

/* cmd_network_dns: `berth-monitor --root R __dns [--ready-fd 3] NAME` (started by network
 * create and on first use; compose/monitor_main.c). */
int
cmd_network_dns(struct cli_globals *g, int argc, char **argv, struct err *err)
{
        int ready_fd = -1;
        int i = 1;

        if (argc > 3 && strcmp(argv[1], "--ready-fd") == 0) {
                ready_fd = strcmp(argv[2], "3") == 0 ? 3 : -1;
                i = 3;
        }
        if (ready_fd >= 0)
                fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
        if (argc != i + 1)
                return err_setf(err, -EINVAL, "usage: berth-monitor --root ROOT __dns [--ready-fd 3] NETWORK");
        prctl(PR_SET_NAME, "berth-dns", 0, 0, 0); /* what ps and ss show */
        return dns_run(g, argv[i], ready_fd, err);
}
