/* build_exec: a RUN step, from the builder's side.
 *
 * The step runs in `builder __run` (build_runner.c), started by fexecve(2) from a protected
 * /proc/self/exe (rt_exe_open_protected) opened once per build, so that the builder itself (a library
 * call, maybe in a process that never protected itself) does not have to be re-executed.
 * Its output comes back through a pipe into the progress view. Afterwards the paths the
 * runtime had to create in the upper dir only to mount something there (/proc, /dev,
 * /etc/hosts, a secret's file, ...) are removed when they did not exist in the image, as
 * docker's builders do, and the upper dir is committed as the step's layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/build_int.h"
#include "engine/jsonx.h"
#include "engine/layer.h"
#include "engine/runtime.h"

/* paths the runtime mounts over in every container */
static const char *const runtime_paths[] = {
        "/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf",
};

/* protected_exe: this binary, protected from the step (rt_exe_open_protected), once a build */
static int
protected_exe(struct build *b, struct err *err)
{
        if (b->exefd >= 0)
                return 0;
        return rt_exe_open_protected("/proc/self/exe", &b->exefd, err);
}

/* in_lowers: whether path exists in the image below (the top-most layer that has it) */
static bool
in_lowers(char *const *lowers, const char *path, struct stat *ret)
{
        strv_foreach(l, lowers) {
                cleanup_close int fd = open(l, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                struct stat st;

                if (fd < 0)
                        continue;
                if (fstatat(fd, path + 1, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        if (S_ISCHR(st.st_mode) && st.st_rdev == 0)
                                return false; /* a whiteout */
                        if (ret)
                                *ret = st;
                        return true;
                }
        }
        return false;
}

/* prune_mountpoint: remove path and its parents from upper while each is an empty file or
 * dir that the image did not have (or an empty dir the copy-up left unchanged) */
static void
prune_mountpoint(int upfd, char *const *lowers, const char *target)
{
        cleanup_free char *p = target[0] == '/' ? path_clean(target) : xasprintf("/%s", target);

        while (strcmp(p, "/") != 0) {
                struct stat st, low;
                bool had = in_lowers(lowers, p, &low);
                char *slash;

                if (fstatat(upfd, p + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        break;
                if (S_ISREG(st.st_mode) && st.st_size == 0 && !had)
                        unlinkat(upfd, p + 1, 0);
                else if (S_ISDIR(st.st_mode) &&
                         (!had || (S_ISDIR(low.st_mode) && low.st_mode == st.st_mode &&
                                   low.st_uid == st.st_uid && low.st_gid == st.st_gid)))
                        unlinkat(upfd, p + 1, AT_REMOVEDIR); /* fails when not empty */
                else
                        break;
                slash = strrchr(p, '/');
                *(slash == p ? slash + 1 : slash) = '\0';
        }
}

static void
prune_mountpoints(const char *upper, char *const *lowers, char *const *targets)
{
        cleanup_close int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return;
        for (size_t i = 0; i < ARRAY_SIZE(runtime_paths); i++)
                prune_mountpoint(fd, lowers, runtime_paths[i]);
        strv_foreach(t, targets)
                prune_mountpoint(fd, lowers, t);
}

/* run_argv: the command; heredocs are appended to the shell text (or, for a bare
 * "RUN <<EOF", the body is the script), as buildkit does */
static char **
run_argv(const struct dfstage_step *st)
{
        char **v = strv_copy(st->argv);
        size_t n = strv_length(v);
        struct sbuf sb = SBUF_INIT;

        if (!st->nheredocs || n == 0)
                return v;
        if (st->nheredocs == 1 && v[n - 1][0] == '<' && v[n - 1][1] == '<' &&
            !strchr(v[n - 1], ' ')) {
                free(v[n - 1]);
                v[n - 1] = dockerfile_heredoc_body(&st->heredocs[0]);
                return v;
        }
        sbuf_adds(&sb, v[n - 1]);
        for (size_t i = 0; i < st->nheredocs; i++) {
                cleanup_free char *body = dockerfile_heredoc_body(&st->heredocs[i]);

                sbuf_addf(&sb, "\n%s%s\n", body, st->heredocs[i].name);
        }
        free(v[n - 1]);
        v[n - 1] = sbuf_detach(&sb);
        return v;
}

/* shebang_script: a bare "RUN <<EOF" whose body starts with "#!" is run as a script (as
 * buildkit does): the body is bind-mounted executable at /dev/pipes/<name> (inside the
 * container's /dev tmpfs, so nothing lands in the layer) and is the command. 0 when the step
 * is not one. */
static int
shebang_script(struct build *b, const struct dfstage_step *st, json_object *o,
               struct build_mounts *m, struct err *err)
{
        cleanup_free char *body = NULL, *path = NULL, *target = NULL;
        size_t n = strv_length(st->argv);
        json_object *mounts, *mt;
        int r;

        if (st->nheredocs != 1 || n == 0 || strncmp(st->argv[n - 1], "<<", 2) != 0 ||
            strchr(st->argv[n - 1], ' '))
                return 0;
        body = dockerfile_heredoc_body(&st->heredocs[0]);
        if (strncmp(body, "#!", 2) != 0)
                return 0;
        path = xasprintf("%s/h%u", b->tmp, b->seq++);
        r = fs_write_atomic(path, body, strlen(body), 0755, err);
        if (r < 0)
                return r;
        strv_add(&m->scratch, path);
        target = xasprintf("/dev/pipes/%s", st->heredocs[0].name);
        mounts = jsonx_get_type(o, "mounts", json_type_array);
        if (!mounts) {
                mounts = json_object_new_array();
                json_object_object_add(o, "mounts", mounts);
        }
        mt = json_object_new_object();
        jsonx_add_str(mt, "type", "bind");
        jsonx_add_str(mt, "source", path);
        jsonx_add_str(mt, "target", target);
        jsonx_add_str(mt, "options", "ro");
        json_object_array_add(mounts, mt);
        json_object_object_add(o, "argv", jsonx_strv((char *[]){ target, NULL }));
        return 0;
}

static const char *
run_network(const struct build *b, const struct dfstage_step *st)
{
        const char *n = st->network ? st->network : b->o->network;

        return n && !strcmp(n, "none") ? "none" : "host";
}

static json_object *
run_spec(struct build *b, const struct dfstage_step *st, char *const *lowers, const char *upper,
         const char *work, const char *id)
{
        json_object *o = json_object_new_object();
        cleanup_strv char **env = strv_copy(st->env);
        cleanup_strv char **argv = run_argv(st);
        cleanup_free char *run_dir = xasprintf("%s/build/%s", b->o->run_root, id);

        strv_foreach(e, st->proxy_env)
                strv_add(&env, e);
        jsonx_add_str(o, "id", id);
        jsonx_add_str(o, "run_dir", run_dir);
        json_object_object_add(o, "lowers", jsonx_strv(lowers));
        jsonx_add_str(o, "upper", upper);
        jsonx_add_str(o, "work", work);
        json_object_object_add(o, "argv", jsonx_strv(argv));
        json_object_object_add(o, "env", jsonx_strv(env));
        jsonx_add_str(o, "cwd", st->workdir);
        jsonx_add_str(o, "user", st->user);
        jsonx_add_str(o, "net", run_network(b, st));
        json_object_object_add(o, "extra_hosts", jsonx_strv(b->o->extra_hosts));
        jsonx_add_int(o, "shm_size", b->o->shm_size);
        return o;
}

/* spawn: start the runner with spec on its stdin and its output on *ret_out */
static int
spawn(struct build *b, const char *spec, pid_t *ret_pid, int *ret_out, struct err *err)
{
        static char path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        static char a0[] = "berth", a1[] = "builder", a2[] = "__run";
        char *const env[] = { path, NULL };
        char *const argv[] = { a0, a1, a2, NULL };
        int in[2], out[2];
        pid_t pid;

        if (pipe2(in, O_CLOEXEC) < 0)
                return err_setf(err, -errno, "pipe: %s", strerror(errno));
        if (pipe2(out, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                return err_setf(err, -errno, "pipe: %s", strerror(errno));
        }
        pid = fork();
        if (pid == 0) {
                setpgid(0, 0); /* see build_runner.c: Ctrl-C is the builder's to handle */
                if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
                        _exit(125);
                fexecve(b->exefd, argv, env);
                _exit(125);
        }
        close(in[0]);
        close(out[1]);
        if (pid < 0) {
                close(in[1]);
                close(out[0]);
                return err_setf(err, -errno, "fork: %s", strerror(errno));
        }
        /* a spec larger than the pipe would block: the runner reads it all before writing */
        for (size_t off = 0, len = strlen(spec); off < len;) {
                ssize_t n = write(in[1], spec + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                off += (size_t)n;
        }
        close(in[1]);
        *ret_pid = pid;
        *ret_out = out[0];
        return 0;
}

static int
collect(struct build *b, pid_t pid, int out)
{
        char buf[8192];
        int status = 0;

        for (;;) {
                ssize_t n = read(out, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                build_progress_output(&b->prog, buf, (size_t)n);
        }
        close(out);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
run_failed(const struct dfstage_step *st, int code, struct err *err)
{
        cleanup_strv char **argv = run_argv(st);
        cleanup_free char *cmd = strv_join(argv, " ");

        return err_setf(err, -ECHILD, "process \"%s\" did not complete successfully: exit code: %d",
                        cmd, code);
}

int
build_exec_run(struct build *b, const struct dfstage_step *st, struct build_img *im,
               struct err *err)
{
        cleanup_free char *upper = NULL, *work = NULL, *spec = NULL;
        cleanup_strv char **lowers = build_img_lowers(b->s, im);
        struct build_mounts mnt = { 0 };
        char id[32];
        json_object *o;
        pid_t pid = -1;
        int out = -1, code, r = protected_exe(b, err);

        if (r == 0)
                r = build_stage_dirs(b, &upper, &work, err);
        if (r < 0)
                return r;
        if (!lowers)
                strv_push(&lowers, xasprintf("%s/empty", b->tmp));
        snprintf(id, sizeof(id), "build-%d-%u", (int)getpid(), b->seq);
        o = run_spec(b, st, lowers, upper, work, id);
        r = build_mounts_add(b, st, o, &mnt, err);
        if (r == 0)
                r = shebang_script(b, st, o, &mnt, err);
        if (r == 0) {
                spec = jsonx_string(o, NULL);
                r = spawn(b, spec, &pid, &out, err);
        }
        json_object_put(o);
        if (r == 0) {
                code = collect(b, pid, out);
                r = code ? run_failed(st, code, err) : 0;
        }
        if (r == 0)
                prune_mountpoints(upper, lowers, mnt.targets);
        build_mounts_release(&mnt);
        if (r < 0)
                return r;
        build_rm(work, NULL);
        return build_commit_upper(b, upper, im, err);
}
