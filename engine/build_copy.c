/* build_copy: COPY and ADD.
 *
 * The work happens in a forked child in a mount namespace of its own: it mounts the overlay
 * of the stage (current layers + a fresh upper dir) and, for --from, a read-only view of the
 * other stage or image, then copies (build_copytree.c). Resolving paths in the mounted
 * overlay means parent directories, symlinks and /etc/passwd are seen exactly as in the
 * image, and what the copy changes lands in the upper dir, which becomes the step's layer.
 * COPY --link mounts an empty tree instead (plus a read-only view of the stage to look up
 * --chown names), so its layer holds only the copied files. The child reports a failure as
 * one line on a pipe, or on success docker's history text of the sources (build_srchash.c).
 * The mounts die with it.
 *
 * Source rules (docker's): a directory source copies its contents; several sources or a
 * destination ending in '/' mean a directory destination; wildcards (Go's filepath.Match)
 * in the last component; a context source must be in the context (.dockerignore applies);
 * ADD extracts a local tar archive (plain, gzip, bzip2, xz, zstd) into the destination
 * unless --unpack=false. ADD of URLs copies what build_fetch.c downloaded (mode 0600 unless
 * --chmod, never extracted).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/archive_dl.h"
#include "engine/build_copy_int.h"
#include "engine/build_int.h"
#include "engine/layer.h"

struct copy_plan {
        const struct dfstage_step *st;
        char *dst_mnt, *src_mnt; /* mount points; src_mnt NULL for the context */
        char *dst_opts;          /* overlay options of the destination */
        char **src_lowers;       /* the --from view's layers */
        char *look_mnt;          /* COPY --link: a read-only view of the stage (for --chown
                                  * names), the destination being empty; else NULL */
        char **look_lowers;
        const char *src_dir;     /* a plain source dir (ADD <url> downloads), else NULL */
        const char *ctx_root;
};

static bool
ctx_included(const struct copy_job *j, const char *rel)
{
        bool ex = false;

        if (j->ctx && !context_find(j->ctx, rel))
                return false;
        if (j->excl && dockerignore_excluded(j->excl, rel, &ex, NULL) == 0 && ex)
                return false;
        if (j->excl && j->base_len && strlen(rel) > j->base_len &&
            dockerignore_excluded(j->excl, rel + j->base_len, &ex, NULL) == 0 && ex)
                return false;
        return true;
}

static bool
has_wildcard(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

/* matches: names in dir (relative to the source root) that pattern's last part matches */
static int
matches(const struct copy_job *j, const char *dir, const char *pat, char ***ret, struct err *err)
{
        int fd = layer_open_in_root(j->srcfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return fd == -ENOENT || fd == -ENOTDIR ? 0 : err_setf(err, fd, "read '%s': %s", dir, strerror(-fd));
        }
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                    fnmatch(pat, de->d_name, 0) == 0)
                        strv_add(ret, de->d_name);
        closedir(d);
        strv_sort(*ret);
        return 0;
}

/* expand: the source paths (relative to the source root) a COPY source names */
static int
expand(const struct copy_job *j, const char *src, char ***ret, struct err *err)
{
        cleanup_free char *abs = xasprintf("/%s", src);
        cleanup_free char *clean = path_clean(abs);
        cleanup_free char *dir = path_dirname(clean), *base = path_basename(clean);
        cleanup_strv char **names = NULL;
        const char *d = dir[1] ? dir + 1 : "";
        int r;

        if (!strcmp(clean, "/")) {
                strv_add(ret, "");
                return 0;
        }
        if (j->ctx && has_wildcard(dir)) { /* a wildcard in a directory part: match every context path */
                for (size_t i = 0; i < j->ctx->n; i++)
                        if (fnmatch(clean + 1, j->ctx->entries[i].path, FNM_PATHNAME) == 0 &&
                            (!j->included || j->included(j, j->ctx->entries[i].path)))
                                strv_add(ret, j->ctx->entries[i].path);
                return 0;
        }
        if (!has_wildcard(base)) {
                if (j->included && !j->included(j, clean + 1))
                        return 0;
                strv_add(ret, clean + 1);
                return 0;
        }
        r = matches(j, d, base, &names, err);
        strv_foreach(n, names) {
                cleanup_free char *rel = *d ? xasprintf("%s/%s", d, n) : xstrdup(n);

                if (!j->included || j->included(j, rel))
                        strv_add(ret, rel);
        }
        return r;
}

static bool
is_archive(int fd)
{
        unsigned char h[512];
        ssize_t n = pread(fd, h, sizeof(h), 0);

        if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
                return true;
        if (n >= 3 && !memcmp(h, "BZh", 3))
                return true;
        if (n >= 6 && !memcmp(h, "\xfd" "7zXZ\0", 6))
                return true;
        if (n >= 4 && !memcmp(h, "\x28\xb5\x2f\xfd", 4))
                return true;
        return n >= 262 && !memcmp(h + 257, "ustar", 5);
}

/* extract: ADD of a local archive: unpack into the destination directory */
static int
extract(const struct copy_job *j, int afd, const char *dest, struct err *err)
{
        cleanup_close int dfd = copy_mkdir_p(j, dest, err);
        struct layer_opts o = { .mode = LAYER_MODE_MERGE, .flags = LAYER_NO_BLOB_DIGEST | LAYER_NO_DIFF_ID };

        if (dfd < 0)
                return dfd;
        return layer_apply_fd(dfd, afd, &o, NULL, err);
}

static int
open_src(const struct copy_job *j, const char *rel, int flags, struct err *err)
{
        int fd = layer_open_in_root(j->srcfd, *rel ? rel : ".", flags | O_CLOEXEC);

        if (fd < 0)
                return err_setf(err, fd, "file not found in build context or excluded by "
                                ".dockerignore: stat %s: %s", rel, strerror(-fd));
        return fd;
}

static int
copy_file_source(const struct copy_job *j, const char *rel, const char *target, struct err *err)
{
        cleanup_free char *sdir = path_dirname(rel), *sname = path_basename(rel);
        cleanup_free char *tdir = path_dirname(target), *tname = path_basename(target);
        cleanup_close int sfd = open_src(j, strcmp(sdir, ".") ? sdir : "", O_RDONLY | O_DIRECTORY, err);
        cleanup_close int dfd = -1;

        if (sfd < 0)
                return sfd;
        dfd = copy_mkdir_p(j, tdir, err);
        if (dfd < 0)
                return dfd;
        return copy_entry(j, sfd, sname, rel, dfd, tname, 0, err);
}

static int
copy_source(struct copy_job *j, const struct dfstage_step *st, const char *rel,
            bool dest_dir, struct err *err)
{
        cleanup_close int fd = open_src(j, rel, O_RDONLY, err);
        cleanup_free char *target = NULL, *base = path_basename(rel);
        const char *dest = st->dest;
        struct stat sb;

        if (fd < 0)
                return fd;
        if (fstat(fd, &sb) < 0)
                return err_setf(err, -errno, "stat '%s': %s", rel, strerror(errno));
        if (S_ISDIR(sb.st_mode)) {
                cleanup_free char *t = st->parents && *rel ? path_join(dest, rel) : xstrdup(dest);
                cleanup_close int dfd = copy_mkdir_p(j, t, err);

                j->base_len = *rel ? strlen(rel) + 1 : 0;
                return dfd < 0 ? dfd : copy_contents(j, fd, rel, dfd, err);
        }
        if (st->cmd == DF_ADD && st->unpack != 0 && S_ISREG(sb.st_mode) && is_archive(fd))
                return extract(j, fd, dest, err);
        if (st->parents)
                target = path_join(dest, rel);
        else if (dest_dir)
                target = path_join(dest, base);
        else
                target = path_clean(dest);
        return copy_file_source(j, rel, target, err);
}

static int
copy_inline(const struct copy_job *j, const struct dfstage_step *st, bool dest_dir,
            struct err *err)
{
        mode_t mode = S_IFREG | 0644;

        if (j->chmod)
                copy_chmod_apply(j->chmod, S_IFREG | 0644, &mode); /* validated in job_flags */
        for (size_t i = 0; i < st->ninl; i++) {
                cleanup_free char *target = dest_dir ? path_join(st->dest, st->inl[i].name)
                                                     : path_clean(st->dest);
                cleanup_free char *dir = path_dirname(target), *name = path_basename(target);
                cleanup_close int dfd = copy_mkdir_p(j, dir, err);
                cleanup_close int fd = -1;
                size_t len = strlen(st->inl[i].data);

                if (dfd < 0)
                        return dfd;
                fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (fd < 0 || write(fd, st->inl[i].data, len) != (ssize_t)len ||
                    fchown(fd, j->uid, j->gid) < 0 ||
                    fchmod(fd, mode & 07777) < 0)
                        return err_setf(err, -errno, "write '%s': %s", target, strerror(errno));
        }
        return 0;
}

static bool
dest_is_dir(const struct copy_job *j, const struct dfstage_step *st, size_t nsrc)
{
        size_t n = strlen(st->dest);
        cleanup_close int fd = -1;

        if (n && st->dest[n - 1] == '/')
                return true;
        if (nsrc > 1)
                return true;
        fd = layer_open_in_root(j->rootfd, st->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0;
}

/* make_workdir: WORKDIR creates its directory (the canonical step is ["WORKDIR", path, user]);
 * the directories it creates belong to the USER in effect, as BuildKit does (the classic
 * builder makes them root's) */
static int
make_workdir(struct copy_job *j, const struct dfstage_step *st, struct err *err)
{
        json_object *a = json_tokener_parse(st->canon);
        const char *path = a ? json_object_get_string(json_object_array_get_idx(a, 1)) : NULL;
        const char *user = a ? json_object_get_string(json_object_array_get_idx(a, 2)) : NULL;
        int fd = 0;

        if (path && user && *user)
                fd = copy_resolve_user(j->rootfd, user, &j->uid, &j->gid, err);
        if (fd == 0)
                fd = path ? copy_mkdir_p(j, path, err) : err_setf(err, -EINVAL, "WORKDIR: no path");

        if (a)
                json_object_put(a);
        if (fd >= 0)
                close(fd);
        return fd < 0 ? fd : 0;
}

/* src_text: docker's history text of the sources rels (NULL with heredoc sources) */
static int
src_text(const struct copy_job *j, const struct dfstage_step *st, char *const *rels,
         char **ret, struct err *err)
{
        cleanup_strv char **texts = NULL;

        if (st->ninl || !rels)
                return 0;
        strv_foreach(rel, rels) {
                char *t = NULL;
                int r = copy_src_hash(j, rel, &t, err);

                if (r < 0)
                        return r;
                strv_push(&texts, t);
        }
        *ret = strv_length(texts) == 1 ? xstrdup(texts[0]) : copy_hash_join("multi", texts);
        return 0;
}

static int
copy_all(struct copy_job *j, const struct dfstage_step *st, char **ret_src, struct err *err)
{
        cleanup_strv char **rels = NULL;
        bool dir;
        int r = 0;

        if (st->cmd == DF_WORKDIR)
                return make_workdir(j, st, err);
        strv_foreach(src, st->srcs) {
                size_t before = strv_length(rels);

                r = expand(j, src, &rels, err);
                if (r < 0)
                        return r;
                if (strv_length(rels) == before)
                        return err_setf(err, -ENOENT, "file not found in build context or "
                                        "excluded by .dockerignore: stat %s: file does not exist",
                                        src);
        }
        r = src_text(j, st, rels, ret_src, err);
        if (r < 0)
                return r;
        dir = dest_is_dir(j, st, strv_length(rels) + st->ninl);
        strv_foreach(rel, rels) {
                r = copy_source(j, st, rel, dir, err);
                if (r < 0)
                        return r;
        }
        return copy_inline(j, st, dir, err);
}

static int
mount_overlay(const char *target, char *const *lowers, const char *upper, const char *work,
              struct err *err)
{
        cleanup_free char *joined = strv_join(lowers, ":");
        cleanup_free char *opts = upper ? xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", joined,
                                                    upper, work)
                                        : xasprintf("lowerdir=%s", joined);
        int rc;

        if (mkdir(target, 0755) < 0 && errno != EEXIST)
                return err_setf(err, -errno, "mkdir '%s': %s", target, strerror(errno));
        if (!upper && strv_length(lowers) == 1)
                rc = mount(lowers[0], target, NULL, MS_BIND | MS_REC, NULL);
        else
                rc = mount("overlay", target, "overlay", upper ? 0 : MS_RDONLY, opts);
        if (rc < 0)
                return err_setf(err, -errno, "mount overlay at '%s': %s", target, strerror(errno));
        return 0;
}

static int
job_flags(struct copy_job *j, const struct dfstage_step *st, struct err *err)
{
        mode_t m;

        j->chmod = NULL;
        if (st->chown && *st->chown) {
                int r = copy_resolve_chown(j->lookfd >= 0 ? j->lookfd : j->rootfd, st->chown,
                                           &j->uid, &j->gid, err);

                if (r < 0)
                        return r;
        }
        if (st->chmod && *st->chmod) {
                if (copy_chmod_apply(st->chmod, S_IFREG | 0644, &m) < 0)
                        return err_setf(err, -EINVAL, "invalid chmod parameter: '%s'. it should be "
                                        "octal string and between 0 and 07777, or a symbolic mode "
                                        "such as u+x, go-w, a=rX", st->chmod);
                j->chmod = st->chmod;
        }
        if (st->excludes)
                return dockerignore_new(st->excludes, &j->excl, err);
        return 0;
}

struct copy_child {
        const struct copy_plan *p;
        char **lowers;
        const char *upper, *work;
        const struct context *ctx;
};

static int
child_copy(const struct copy_child *c, char **ret_src, struct err *err)
{
        struct copy_job j = { .rootfd = -1, .srcfd = -1, .lookfd = -1, .included = ctx_included };
        const struct copy_plan *p = c->p;
        cleanup_close int lookfd = -1;
        int r = 0;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return err_setf(err, -errno, "private mount namespace: %s", strerror(errno));
        r = mount_overlay(p->dst_mnt, c->lowers, c->upper, c->work, err);
        if (r == 0 && p->src_mnt)
                r = mount_overlay(p->src_mnt, p->src_lowers, NULL, NULL, err);
        if (r == 0 && p->look_mnt)
                r = mount_overlay(p->look_mnt, p->look_lowers, NULL, NULL, err);
        if (r < 0)
                return r;
        if (p->look_mnt && (lookfd = open(p->look_mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                return err_setf(err, -errno, "open '%s': %s", p->look_mnt, strerror(errno));
        j.lookfd = lookfd;
        j.link = p->look_mnt != NULL;
        j.rootfd = open(p->dst_mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        j.srcfd = open(p->src_mnt ? p->src_mnt : p->src_dir ? p->src_dir : p->ctx_root,
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        j.ctx = p->src_mnt || p->src_dir ? NULL : c->ctx;
        j.hash_kind = p->src_mnt ? COPY_HASH_IMAGE : p->src_dir ? COPY_HASH_URL : COPY_HASH_CONTEXT;
        if (j.rootfd < 0 || j.srcfd < 0)
                return err_setf(err, -errno, "open the copy roots: %s", strerror(errno));
        r = job_flags(&j, p->st, err);
        if (r == 0)
                r = copy_all(&j, p->st, ret_src, err);
        dockerignore_free(j.excl);
        return r;
}

/* run_child: the copy in a child; on success it reports the sources' history text on the
 * pipe (*ret_src, NULL when there is none), on failure the error */
static int
run_child(const struct copy_child *c, char **ret_src, struct err *err)
{
        int pfd[2], status = 0;
        char msg[ERR_MSG_MAX] = "";
        ssize_t n;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return err_setf(err, -errno, "pipe: %s", strerror(errno));
        pid = fork();
        if (pid == 0) {
                struct err e = { 0 };
                char *src = NULL;
                int r = child_copy(c, &src, &e);
                const char *out = r < 0 ? e.msg : src ? src : "";

                close(pfd[0]);
                if (*out && write(pfd[1], out, strlen(out)) < 0)
                        _exit(2);
                _exit(r < 0 ? (-r & 0x7f) : 0);
        }
        close(pfd[1]);
        if (pid < 0) {
                close(pfd[0]);
                return err_setf(err, -errno, "fork: %s", strerror(errno));
        }
        n = read(pfd[0], msg, sizeof(msg) - 1);
        msg[n > 0 ? n : 0] = '\0';
        close(pfd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                *ret_src = msg[0] ? xstrdup(msg) : NULL;
                return 0;
        }
        return err_setf(err, WIFEXITED(status) && WEXITSTATUS(status) > 2 ? -WEXITSTATUS(status) : -EIO,
                        "%s", msg[0] ? msg : "the copy failed");
}

/* url_step: the ADD <url> step as a copy of its downloads */
static struct dfstage_step
url_step(const struct dfstage_step *st, char ***names)
{
        struct dfstage_step u = *st;

        strv_foreach(src, st->srcs)
                strv_push(names, build_url_name(src));
        u.srcs = *names;
        u.unpack = 0;
        u.chmod = st->chmod ? st->chmod : (char *)"600";
        return u;
}

/* plan_mounts: the mount points and layer lists of the copy child */
static void
plan_mounts(struct build *b, const struct dfstage_step *st, const struct build_img *from,
            struct copy_plan *p, char ***lowers)
{
        if (!*lowers)
                strv_push(lowers, xasprintf("%s/empty", b->tmp));
        if (st->link && st->cmd != DF_WORKDIR) { /* copy into an empty tree: the layer holds
                                                  * only the copied files */
                p->look_mnt = xasprintf("%s/l%u", b->tmp, b->seq++);
                p->look_lowers = TAKE_PTR(*lowers);
                strv_push(lowers, xasprintf("%s/empty", b->tmp));
        }
        p->dst_mnt = xasprintf("%s/d%u", b->tmp, b->seq++);
        if (st->from) {
                p->src_mnt = xasprintf("%s/v%u", b->tmp, b->seq++);
                p->src_lowers = build_img_lowers(b->s, from);
                if (!p->src_lowers)
                        strv_push(&p->src_lowers, xasprintf("%s/empty", b->tmp));
        }
}

int
build_exec_copy(struct build *b, const struct dfstage_step *st, struct build_img *im,
                char **ret_src, struct err *err)
{
        cleanup_free char *upper = NULL, *work = NULL;
        cleanup_strv char **lowers = build_img_lowers(b->s, im);
        struct build_img from = { 0 };
        cleanup_strv char **names = NULL;
        struct dfstage_step u;
        struct copy_plan p = { .st = st, .ctx_root = b->ctx ? b->ctx->root : "/nonexistent" };
        struct copy_child c = { .p = &p, .ctx = b->ctx };
        int r = 0;

        if (st->cmd == DF_ADD && b->url_dir && st->srcs && build_is_url(st->srcs[0])) {
                u = url_step(st, &names);
                p.st = &u;
                p.src_dir = b->url_dir;
        }
        if (st->cmd == DF_ADD && st->unpack != 0) /* the child may unpack: load before fork */
                r = archive_dl_load(err);
        if (r == 0 && st->from)
                r = build_from_img(b, st->from, st->from_stage, &from, err);
        if (r == 0)
                r = build_stage_dirs(b, &upper, &work, err);
        if (r < 0) {
                build_img_release(&from);
                return r;
        }
        plan_mounts(b, st, &from, &p, &lowers);
        c.lowers = lowers;
        c.upper = upper;
        c.work = work;
        r = run_child(&c, ret_src, err);
        rmdir(p.dst_mnt);
        if (p.src_mnt)
                rmdir(p.src_mnt);
        if (p.look_mnt)
                rmdir(p.look_mnt);
        free(p.dst_mnt);
        free(p.src_mnt);
        free(p.look_mnt);
        strv_free(p.src_lowers);
        strv_free(p.look_lowers);
        build_img_release(&from);
        build_rm(work, NULL);
        return r < 0 ? r : build_commit_upper(b, upper, im, err);
}
