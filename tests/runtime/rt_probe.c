/* rt-probe: the runtime's test driver. Runs one container from a root filesystem with docker
 * run-like flags mapped onto struct rt_config, waits for it and exits with its code (125, 126,
 * 127 when it could not run), then deletes it (unless --keep or --detach).
 *
 *   rt-probe [options] ROOTFS CMD [ARG...]
 *   rt-probe [options] --lower DIR... --upper DIR --work DIR CMD [ARG...]
 *   rt-probe --kill RUNDIR [SIGNAL] | --delete RUNDIR | --oom RUNDIR
 *   rt-probe --reap CMD [ARG...]   run CMD as a child subreaper: containers it leaves
 *                                  detached are reaped here once they die, not by PID 1
 *
 * "rt-probe __exe_attack FILE..." (reached through a "#!/proc/self/exe __exe_attack" script in a
 * container) plays CVE-2019-5736: it keeps an O_PATH fd of its own executable and execs a shell
 * that tries to write through it once this process image is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "engine/runtime.h"
#include "engine/runtime_int.h"

struct probe {
        struct rt_config cfg;
        char *id, *run_dir;
        char **argv, **env, **lowers, **group_add, **hosts, **dns, **dns_search, **dns_opts;
        char **caps_add, **caps_drop, **sysctls;
        char **pool; /* owns the strings mounts and devices point to */
        struct rt_mount *mounts;
        size_t n_mounts, cap_mounts;
        struct rt_device *devs;
        size_t n_devs, cap_devs;
        struct rt_ulimit *ulimits;
        size_t n_ulimits, cap_ulimits;
        int detach, keep, print_oom;
};

enum {
        O_ID = 256,
        O_RUNDIR,
        O_KEEP,
        O_GROUPADD,
        O_NETWORK,
        O_ADDHOST,
        O_DNS,
        O_DNSSEARCH,
        O_DNSOPT,
        O_IP,
        O_TMPFS,
        O_READONLY,
        O_DEVICE,
        O_CAPADD,
        O_CAPDROP,
        O_PRIV,
        O_SECOPT,
        O_SHM,
        O_ULIMIT,
        O_SYSCTL,
        O_MEMSWAP,
        O_PIDS,
        O_CPUS,
        O_SHARES,
        O_CPUSET,
        O_CGPARENT,
        O_INIT,
        O_PRINTOOM,
        O_LOWER,
        O_UPPER,
        O_WORK,
        O_KILL,
        O_DELETE,
        O_OOM,
        O_DOMAIN,
        O_CACHE,
};

static const struct option long_opts[] = {
        { "id", 1, NULL, O_ID },
        { "run-dir", 1, NULL, O_RUNDIR },
        { "detach", 0, NULL, 'd' },
        { "keep", 0, NULL, O_KEEP },
        { "user", 1, NULL, 'u' },
        { "group-add", 1, NULL, O_GROUPADD },
        { "workdir", 1, NULL, 'w' },
        { "env", 1, NULL, 'e' },
        { "hostname", 1, NULL, 'h' },
        { "domainname", 1, NULL, O_DOMAIN },
        { "network", 1, NULL, O_NETWORK },
        { "add-host", 1, NULL, O_ADDHOST },
        { "dns", 1, NULL, O_DNS },
        { "dns-search", 1, NULL, O_DNSSEARCH },
        { "dns-option", 1, NULL, O_DNSOPT },
        { "ip", 1, NULL, O_IP },
        { "volume", 1, NULL, 'v' },
        { "tmpfs", 1, NULL, O_TMPFS },
        { "read-only", 0, NULL, O_READONLY },
        { "device", 1, NULL, O_DEVICE },
        { "cap-add", 1, NULL, O_CAPADD },
        { "cap-drop", 1, NULL, O_CAPDROP },
        { "privileged", 0, NULL, O_PRIV },
        { "security-opt", 1, NULL, O_SECOPT },
        { "shm-size", 1, NULL, O_SHM },
        { "ulimit", 1, NULL, O_ULIMIT },
        { "sysctl", 1, NULL, O_SYSCTL },
        { "memory", 1, NULL, 'm' },
        { "memory-swap", 1, NULL, O_MEMSWAP },
        { "pids-limit", 1, NULL, O_PIDS },
        { "cpus", 1, NULL, O_CPUS },
        { "cpu-shares", 1, NULL, O_SHARES },
        { "cpuset-cpus", 1, NULL, O_CPUSET },
        { "cgroup-parent", 1, NULL, O_CGPARENT },
        { "init", 0, NULL, O_INIT },
        { "print-oom", 0, NULL, O_PRINTOOM },
        { "lower", 1, NULL, O_LOWER },
        { "upper", 1, NULL, O_UPPER },
        { "work", 1, NULL, O_WORK },
        { "kill", 1, NULL, O_KILL },
        { "delete", 1, NULL, O_DELETE },
        { "oom", 1, NULL, O_OOM },
        { "cache-dir", 1, NULL, O_CACHE },
        { NULL, 0, NULL, 0 },
};

static int
die(const struct err *e, int code)
{
        fprintf(stderr, "rt-probe: %s\n", e->msg);
        return code;
}

static int
parse_i64(const char *s, int64_t *ret, struct err *err)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end)
                return err_setf(err, -EINVAL, "not a number: '%s'", s);
        *ret = v;
        return 0;
}

/* add_volume: -v SRC:DST[:OPTS] or --tmpfs DST[:OPTS] */
static void
add_mount(struct probe *pr, enum rt_mount_type type, const char *arg)
{
        char **parts = strv_split(arg, ":");
        size_t n = strv_length(parts), i = 0;
        struct rt_mount *m;

        GROW(pr->mounts, pr->cap_mounts, pr->n_mounts + 1);
        m = &pr->mounts[pr->n_mounts++];
        memset(m, 0, sizeof(*m));
        m->type = type;
        if (type == RT_MOUNT_BIND)
                m->source = n > i ? parts[i++] : NULL;
        m->target = n > i ? parts[i++] : NULL;
        m->options = n > i ? parts[i++] : NULL;
        strv_foreach(part, parts)
                strv_push(&pr->pool, part);
        free(parts);
}

static int
add_device(struct probe *pr, const char *arg)
{
        char **parts = strv_split(arg, ":");
        size_t n = strv_length(parts);

        GROW(pr->devs, pr->cap_devs, pr->n_devs + 1);
        pr->devs[pr->n_devs++] = (struct rt_device){ .host_path = parts[0],
                                                     .path = n > 1 ? parts[1] : NULL,
                                                     .access = n > 2 ? parts[2] : NULL };
        strv_foreach(part, parts)
                strv_push(&pr->pool, part);
        free(parts);
        return 0;
}

static int
add_ulimit(struct probe *pr, const char *arg, struct err *err)
{
        struct rt_ulimit u;
        int r = rt_ulimit_parse(arg, &u, err);

        if (r < 0)
                return r;
        GROW(pr->ulimits, pr->cap_ulimits, pr->n_ulimits + 1);
        pr->ulimits[pr->n_ulimits++] = u;
        return 0;
}

static int
security_opt(struct probe *pr, const char *arg, struct err *err)
{
        if (strcmp(arg, "no-new-privileges") == 0 || strcmp(arg, "no-new-privileges=true") == 0)
                pr->cfg.no_new_privileges = 1;
        else if (strncmp(arg, "seccomp=", 8) == 0)
                pr->cfg.seccomp = arg + 8;
        else
                return err_setf(err, -EINVAL, "unknown security option '%s'", arg);
        return 0;
}

static int
opt_process(struct probe *pr, int c, const char *arg)
{
        switch (c) {
        case O_ID:
                pr->id = xstrdup(arg);
                return 1;
        case O_RUNDIR:
                pr->run_dir = xstrdup(arg);
                return 1;
        case 'd':
                pr->detach = 1;
                return 1;
        case O_KEEP:
                pr->keep = 1;
                return 1;
        case 'u':
                pr->cfg.user = arg;
                return 1;
        case O_GROUPADD:
                strv_add(&pr->group_add, arg);
                return 1;
        case 'w':
                pr->cfg.cwd = arg;
                return 1;
        case 'e':
                strv_add(&pr->env, arg);
                return 1;
        case 'h':
                pr->cfg.hostname = arg;
                return 1;
        case O_DOMAIN:
                pr->cfg.domainname = arg;
                return 1;
        case O_INIT:
                pr->cfg.init = 1;
                return 1;
        case O_PRINTOOM:
                pr->print_oom = 1;
                return 1;
        case O_LOWER:
                strv_add(&pr->lowers, arg);
                return 1;
        case O_UPPER:
                pr->cfg.upperdir = arg;
                return 1;
        case O_WORK:
                pr->cfg.workdir = arg;
                return 1;
        case O_CACHE:
                pr->cfg.cache_dir = arg;
                return 1;
        default:
                return 0;
        }
}

static int
opt_net(struct probe *pr, int c, const char *arg)
{
        switch (c) {
        case O_NETWORK:
                pr->cfg.net = strcmp(arg, "none") == 0   ? RT_NET_NONE
                              : strcmp(arg, "host") == 0 ? RT_NET_HOST
                                                         : RT_NET_NETNS;
                pr->cfg.netns_path = pr->cfg.net == RT_NET_NETNS ? arg : NULL;
                return 1;
        case O_ADDHOST:
                strv_add(&pr->hosts, arg);
                return 1;
        case O_DNS:
                strv_add(&pr->dns, arg);
                return 1;
        case O_DNSSEARCH:
                strv_add(&pr->dns_search, arg);
                return 1;
        case O_DNSOPT:
                strv_add(&pr->dns_opts, arg);
                return 1;
        case O_IP:
                pr->cfg.ip = arg;
                return 1;
        default:
                return 0;
        }
}

static int
opt_security(struct probe *pr, int c, const char *arg, struct err *err)
{
        switch (c) {
        case 'v':
                add_mount(pr, RT_MOUNT_BIND, arg);
                return 1;
        case O_TMPFS:
                add_mount(pr, RT_MOUNT_TMPFS, arg);
                return 1;
        case O_READONLY:
                pr->cfg.readonly_rootfs = 1;
                return 1;
        case O_DEVICE:
                return add_device(pr, arg) < 0 ? -1 : 1;
        case O_CAPADD:
                strv_add(&pr->caps_add, arg);
                return 1;
        case O_CAPDROP:
                strv_add(&pr->caps_drop, arg);
                return 1;
        case O_PRIV:
                pr->cfg.privileged = 1;
                return 1;
        case O_SECOPT:
                return security_opt(pr, arg, err) < 0 ? -1 : 1;
        case O_SYSCTL:
                strv_add(&pr->sysctls, arg);
                return 1;
        case O_ULIMIT:
                return add_ulimit(pr, arg, err) < 0 ? -1 : 1;
        default:
                return 0;
        }
}

static int
opt_resources(struct probe *pr, int c, const char *arg, struct err *err)
{
        int64_t v = 0;
        int r = 0;

        switch (c) {
        case O_SHM:
                r = rt_size_parse(arg, &v, err);
                pr->cfg.shm_size = (uint64_t)v;
                break;
        case 'm':
                r = rt_size_parse(arg, &pr->cfg.memory, err);
                break;
        case O_MEMSWAP:
                r = strcmp(arg, "-1") == 0 ? (pr->cfg.memory_swap = -1, 0)
                                           : rt_size_parse(arg, &pr->cfg.memory_swap, err);
                break;
        case O_PIDS:
                r = parse_i64(arg, &pr->cfg.pids_limit, err);
                break;
        case O_CPUS:
                pr->cfg.nano_cpus = (int64_t)(strtod(arg, NULL) * 1e9);
                break;
        case O_SHARES:
                r = parse_i64(arg, &pr->cfg.cpu_shares, err);
                break;
        case O_CPUSET:
                pr->cfg.cpuset_cpus = arg;
                break;
        case O_CGPARENT:
                pr->cfg.cgroup_parent = arg;
                break;
        default:
                return 0;
        }
        return r < 0 ? -1 : 1;
}

static int
parse(struct probe *pr, int argc, char **argv, struct err *err)
{
        int c;

        while ((c = getopt_long(argc, argv, "+du:w:e:h:v:m:", long_opts, NULL)) != -1) {
                int r = opt_process(pr, c, optarg);

                if (!r)
                        r = opt_net(pr, c, optarg);
                if (!r)
                        r = opt_security(pr, c, optarg, err);
                if (!r)
                        r = opt_resources(pr, c, optarg, err);
                if (r < 0)
                        return -EINVAL;
                if (!r)
                        return err_setf(err, -EINVAL,
                                        "bad option (see the comment at the top of "
                                        "rt_probe.c)");
        }
        if (!pr->lowers && optind < argc)
                pr->cfg.rootfs = argv[optind++];
        if (optind >= argc)
                return err_setf(err, -EINVAL, "usage: rt-probe [options] ROOTFS CMD [ARG...]");
        for (int i = optind; i < argc; i++)
                strv_add(&pr->argv, argv[i]);
        return 0;
}

static void
finish_config(struct probe *pr)
{
        struct rt_config *cfg = &pr->cfg;

        if (!pr->id) {
                unsigned char raw[32];
                char *hex = xmalloc(65);

                if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
                        memset(raw, 0x5a, sizeof(raw));
                for (size_t i = 0; i < sizeof(raw); i++)
                        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
                pr->id = hex;
        }
        if (!pr->run_dir)
                pr->run_dir = xasprintf("/run/berth-rt-probe/%s", pr->id);
        if (!cfg->cache_dir && mkdir("/run/berth-rt-probe", 0700) < 0 && errno != EEXIST)
                cfg->cache_dir = NULL;
        else if (!cfg->cache_dir &&
                 (mkdir("/run/berth-rt-probe/cache", 0700) == 0 || errno == EEXIST))
                cfg->cache_dir = "/run/berth-rt-probe/cache";
        cfg->id = pr->id;
        cfg->argv = pr->argv;
        cfg->env = pr->env;
        cfg->lowerdirs = pr->lowers;
        cfg->group_add = pr->group_add;
        cfg->extra_hosts = pr->hosts;
        cfg->dns = pr->dns;
        cfg->dns_search = pr->dns_search;
        cfg->dns_options = pr->dns_opts;
        cfg->cap_add = pr->caps_add;
        cfg->cap_drop = pr->caps_drop;
        cfg->sysctls = pr->sysctls;
        cfg->mounts = pr->mounts;
        cfg->n_mounts = pr->n_mounts;
        cfg->devices = pr->devs;
        cfg->n_devices = pr->n_devs;
        cfg->ulimits = pr->ulimits;
        cfg->n_ulimits = pr->n_ulimits;
}

/* wait_forwarding: wait for the container, forwarding SIGINT/SIGTERM/SIGHUP to it. */
static int
wait_forwarding(struct rt_container *c, struct rt_exit *ex, struct err *err)
{
        sigset_t set;
        int sfd, r;

        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        sfd = signalfd(-1, &set, SFD_CLOEXEC);
        while ((r = rt_wait(c, 1, ex, err)) == -EAGAIN) {
                struct pollfd p[2] = { { .fd = rt_container_pidfd(c), .events = POLLIN },
                                       { .fd = sfd, .events = POLLIN } };
                struct signalfd_siginfo si;

                poll(p, 2, p[0].fd >= 0 ? -1 : 50);
                if ((p[1].revents & POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si))
                        kill(rt_container_pid(c), (int)si.ssi_signo);
        }
        if (sfd >= 0)
                close(sfd);
        return r;
}

static void
probe_release(struct probe *pr)
{
        char **vs[] = { pr->argv,     pr->env,       pr->lowers,     pr->group_add,
                        pr->hosts,    pr->dns,       pr->dns_search, pr->dns_opts,
                        pr->caps_add, pr->caps_drop, pr->sysctls,    pr->pool };

        for (size_t i = 0; i < ARRAY_SIZE(vs); i++)
                strv_free(vs[i]);
        free(pr->id);
        free(pr->run_dir);
        free(pr->mounts);
        free(pr->devs);
        free(pr->ulimits);
}

static int
run(struct probe *pr, struct err *err)
{
        struct rt_container *c = NULL;
        struct rt_exit ex = { 0 };
        int code = 125, r;

        r = rt_create(&pr->cfg, pr->run_dir, &c, err);
        if (r < 0)
                return die(err, 125);
        r = rt_start(c, &code, err);
        if (r < 0)
                fprintf(stderr, "rt-probe: %s\n", err->msg);
        if (r == 0 && pr->detach) {
                printf("%d\n", (int)rt_container_pid(c));
                rt_container_free(c);
                return 0;
        }
        err_clear(err);
        if (wait_forwarding(c, &ex, err) < 0)
                fprintf(stderr, "rt-probe: %s\n", err->msg);
        else if (r == 0)
                code = ex.code;
        if (pr->print_oom)
                fprintf(stderr, "oom=%s\n", ex.oom_killed ? "true" : "false");
        rt_container_free(c);
        err_clear(err);
        if (!pr->keep && rt_delete(pr->run_dir, err) < 0)
                fprintf(stderr, "rt-probe: %s\n", err->msg);
        return code;
}

static int
admin(int argc, char **argv, struct err *err)
{
        int64_t sig = SIGKILL;

        if (strcmp(argv[1], "--kill") == 0 && argc >= 3) {
                if (argc > 3 && parse_i64(argv[3], &sig, err) < 0)
                        return die(err, 1);
                return rt_kill(argv[2], (int)sig, err) < 0 ? die(err, 1) : 0;
        }
        if (strcmp(argv[1], "--delete") == 0 && argc >= 3)
                return rt_delete(argv[2], err) < 0 ? die(err, 1) : 0;
        if (strcmp(argv[1], "--oom") == 0 && argc >= 3) {
                int r = rt_oom_killed(argv[2], err);

                if (r < 0)
                        return die(err, 1);
                printf("oom=%s\n", r ? "true" : "false");
                return 0;
        }
        return -1;
}

static int
reap(char **argv)
{
        int status, code = 125;
        pid_t child, w;

        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        child = fork();
        if (child == 0) {
                execvp(argv[0], argv);
                _exit(127);
        }
        if (child < 0)
                return 125;
        while ((w = wait(&status)) > 0 || (w < 0 && errno == EINTR))
                if (w == child)
                        code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return code;
}

/* exe_attack: see the top comment. fd 3 stays open (no O_CLOEXEC) across the exec. */
static int
exe_attack(void)
{
        int fd = open("/proc/self/exe", O_PATH);

        if (fd < 0 || dup2(fd, 3) < 0)
                return 1;
        execl("/bin/sh", "sh", "-c",
              "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.1; "
              "if echo PWNED >> /proc/self/fd/3; then echo ATTACK-WROTE; exit 0; fi; done 2>/dev/null; "
              "echo ATTACK-BLOCKED",
              (char *)NULL);
        return 1;
}

int
main(int argc, char **argv)
{
        struct probe pr = { 0 };
        struct err err = { 0 };
        int r;

        if (argc > 1 && strcmp(argv[1], "__exe_attack") == 0)
                return exe_attack();
        if (argc > 2 && strcmp(argv[1], "--reap") == 0)
                return reap(argv + 2);
        if (rt_exe_protect(argv, &err) < 0)
                return die(&err, 125);
        if (argc > 1 && (r = admin(argc, argv, &err)) >= 0)
                return r;
        rt_config_init(&pr.cfg);
        if (parse(&pr, argc, argv, &err) < 0) {
                probe_release(&pr);
                return die(&err, 125);
        }
        finish_config(&pr);
        r = run(&pr, &err);
        probe_release(&pr);
        return r;
}
