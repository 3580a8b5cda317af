/* build_runner: `berth builder __run`, the process that runs one RUN step in a container.
 *
 * The builder starts it from a sealed copy of its own binary (so rt_create's CVE-2019-5736
 * check holds) with the step as JSON on stdin:
 *   {"id", "run_dir", "lowers": [top-most first], "upper", "work", "argv", "env", "cwd",
 *    "user", "net": "host"|"none", "extra_hosts", "shm_size",
 *    "mounts": [{"type": "bind"|"tmpfs", "source", "target", "options"}]}
 * plus "overlays": [{"lowers", "target"}], read-only views of other stages or images that
 * bind mounts read from: the runner mounts them in a mount namespace of its own, which the
 * container's inherits (so nothing is mounted on the host), and stdout/stderr as the step's
 * output. It exits with the command's exit code, or 125
 * after printing why the container could not be created or started.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <sys/syscall.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/build_int.h"
#include "engine/jsonx.h"
#include "engine/runtime.h"

#define SPEC_MAX (16u << 20)

struct runner {
        json_object *spec;
        char **lowers, **argv, **env, **hosts;
        struct rt_mount *mounts;
        size_t nmounts;
        struct rt_config cfg;
};

static void
runner_release(struct runner *r)
{
        strv_free(r->lowers);
        strv_free(r->argv);
        strv_free(r->env);
        strv_free(r->hosts);
        free(r->mounts);
        if (r->spec)
                json_object_put(r->spec);
}

static int
read_mounts(struct runner *r, struct err *err)
{
        json_object *a = jsonx_get_type(r->spec, "mounts", json_type_array);
        size_t n = a ? json_object_array_length(a) : 0;

        if (n > RT_MOUNTS_MAX)
                return err_setf(err, -E2BIG, "too many RUN mounts");
        r->mounts = n ? xcalloc(n, sizeof(*r->mounts)) : NULL;
        for (size_t i = 0; i < n; i++) {
                json_object *m = json_object_array_get_idx(a, i);
                const char *type = jsonx_str(m, "type");

                r->mounts[i] = (struct rt_mount){
                        .type = type && !strcmp(type, "tmpfs") ? RT_MOUNT_TMPFS : RT_MOUNT_BIND,
                        .source = jsonx_str(m, "source"),
                        .target = jsonx_str(m, "target"),
                        .options = jsonx_str(m, "options"),
                };
        }
        r->nmounts = n;
        return 0;
}

static int
runner_config(struct runner *r, struct err *err)
{
        struct rt_config *c = &r->cfg;
        const char *net = jsonx_str(r->spec, "net");

        rt_config_init(c);
        r->lowers = jsonx_to_strv(jsonx_get(r->spec, "lowers"));
        r->argv = jsonx_to_strv(jsonx_get(r->spec, "argv"));
        r->env = jsonx_to_strv(jsonx_get(r->spec, "env"));
        r->hosts = jsonx_to_strv(jsonx_get(r->spec, "extra_hosts"));
        c->id = jsonx_str(r->spec, "id");
        c->lowerdirs = r->lowers;
        c->upperdir = jsonx_str(r->spec, "upper");
        c->workdir = jsonx_str(r->spec, "work");
        c->argv = r->argv;
        c->env = r->env;
        c->cwd = jsonx_str(r->spec, "cwd");
        c->user = jsonx_str(r->spec, "user");
        c->net = net && !strcmp(net, "none") ? RT_NET_NONE : RT_NET_HOST;
        c->extra_hosts = r->hosts;
        c->shm_size = (uint64_t)jsonx_int(r->spec, "shm_size", 0);
        if (!c->id || !c->upperdir || !c->workdir || !r->argv || !r->argv[0])
                return err_setf(err, -EINVAL, "builder __run: incomplete step");
        return read_mounts(r, err);
}

static int
mount_view(json_object *ov, struct err *err)
{
        const char *target = jsonx_str(ov, "target");
        cleanup_strv char **lowers = jsonx_to_strv(jsonx_get(ov, "lowers"));
        cleanup_free char *joined = strv_join(lowers, ":");
        cleanup_free char *opts = xasprintf("lowerdir=%s", joined ? joined : "");
        int rc;

        if (!target || !lowers)
                return err_setf(err, -EINVAL, "builder __run: bad overlay");
        if (mkdir(target, 0755) < 0 && errno != EEXIST)
                return err_setf(err, -errno, "mkdir '%s': %s", target, strerror(errno));
        /* overlayfs needs two lower dirs when it has no upper dir */
        if (strv_length(lowers) == 1)
                rc = mount(lowers[0], target, NULL, MS_BIND | MS_REC, NULL);
        else
                rc = mount("overlay", target, "overlay", MS_RDONLY, opts);
        if (rc < 0)
                return err_setf(err, -errno, "mount a view of a stage at '%s': %s", target,
                                strerror(errno));
        return 0;
}

static int
mount_views(struct runner *r, struct err *err)
{
        json_object *a = jsonx_get_type(r->spec, "overlays", json_type_array);
        size_t n = a ? json_object_array_length(a) : 0;

        if (n == 0)
                return 0;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return err_setf(err, -errno, "private mount namespace: %s", strerror(errno));
        for (size_t i = 0; i < n; i++) {
                int rc = mount_view(json_object_array_get_idx(a, i), err);

                if (rc < 0)
                        return rc;
        }
        return 0;
}

/* wait_or_orphan: the container's exit; SIGKILL it first if the builder dies */
static int
wait_or_orphan(struct rt_container *c, const char *run_dir, struct rt_exit *ex, struct err *err)
{
        cleanup_close int parent = (int)syscall(SYS_pidfd_open, getppid(), 0);
        int cfd = rt_container_pidfd(c);

        for (;;) {
                struct pollfd p[2] = { { .fd = cfd, .events = POLLIN },
                                       { .fd = parent, .events = POLLIN } };
                int r = rt_wait(c, 1, ex, NULL);

                if (r != -EAGAIN)
                        return r < 0 ? rt_wait(c, 0, ex, err) : 0;
                if (poll(p, 2, cfd < 0 || parent < 0 ? 100 : -1) > 0 && (p[1].revents & POLLIN))
                        rt_kill(run_dir, SIGKILL, NULL);
                if (parent >= 0 && getppid() == 1)
                        rt_kill(run_dir, SIGKILL, NULL);
        }
}

static int
runner_start(struct runner *r, int *ret_code, struct err *err)
{
        const char *run_dir = jsonx_str(r->spec, "run_dir");
        struct rt_container *c = NULL;
        struct rt_exit ex = { 0 };
        cleanup_close int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int rc;

        if (!run_dir)
                return err_setf(err, -EINVAL, "builder __run: no run_dir");
        r->cfg.mounts = r->mounts;
        r->cfg.n_mounts = r->nmounts;
        r->cfg.stdio[0] = null;
        rc = rt_create(&r->cfg, run_dir, &c, err);
        if (rc == 0) {
                rc = rt_start(c, ret_code, err);
                if (rc == 0 && wait_or_orphan(c, run_dir, &ex, err) == 0)
                        *ret_code = ex.code;
                else if (rc < 0)
                        rt_wait(c, 0, &ex, NULL);
        }
        rt_container_free(c);
        rt_delete(run_dir, NULL);
        return rc;
}

int
build_runner_main(void)
{
        struct runner r = { 0 };
        cleanup_free char *buf = NULL;
        struct err err = { 0 };
        size_t len;
        int code = 125;
        int rc = fs_read_fd_capped(0, "stdin", SPEC_MAX, &buf, &len, &err);

        if (rc == 0)
                rc = jsonx_parse(buf, len, SPEC_MAX, "RUN step", &r.spec, &err);
        if (rc == 0)
                rc = runner_config(&r, &err);
        if (rc == 0)
                rc = mount_views(&r, &err);
        if (rc == 0)
                rc = runner_start(&r, &code, &err);
        if (rc < 0) {
                fprintf(stderr, "berth: %s\n", err.msg);
                code = code != 0 ? code : 125;
        }
        runner_release(&r);
        fflush(stdout);
        return code;
}
