/* container_cp: `container cp` between a container's filesystem and the host (or a tar
 * stream), safe against anything the container put in its tree.
 *
 * The container's root: a running one's is /proc/PID/root (its own mount namespace, volumes
 * included), opened once as a directory fd after the pid was checked against the state's
 * start time. A stopped one's is its overlay (the image layers plus its upper dir), mounted
 * in a child process's private mount namespace with its volumes (binds) over it: it vanishes
 * with the child, whatever happens.
 *
 * Every container path is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
 * from that fd: a symlink "/x -> /" leads to the container's root, never the host's, and
 * ".." stops at it. Below the resolved start, the copy walks with *at() calls on directory
 * fds and O_NOFOLLOW, creating with O_EXCL, so no symlink is ever followed (symlinks are
 * copied as symlinks). A tar read from stdin is unpacked by layer_apply (the same
 * guarantees). Host paths are the caller's own and resolved normally.
 *
 * docker's rules: a file to an existing directory goes into it; to a missing path it becomes
 * that path (whose parent must exist); a directory to a missing path becomes it, to an
 * existing directory goes into it, or only its contents with SRC ending in "/."; a directory
 * onto a file is refused. -L follows a symlink SRC; -a keeps the source's uid/gid, otherwise
 * the copy belongs to root in the container, or to the caller on the host.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/archive_dl.h"
#include "engine/container.h"
#include "engine/jsonx.h"
#include "engine/layer.h"
#include "engine/runtime.h"

#define CP_DEPTH_MAX   256
#define CP_ENTRIES_MAX 1000000

/* One end of the copy: a directory fd and a name in it ("" = the directory itself). */
struct loc {
        int dirfd;
        char *name;
        char *label;    /* the name the user's path gave (a followed symlink's) */
        struct stat st; /* of the entry, never a symlink's when followed */
        int exists;
};

static void
loc_release(struct loc *l)
{
        if (l->dirfd >= 0)
                close(l->dirfd);
        free(l->name);
        free(l->label);
        l->dirfd = -1;
        l->name = l->label = NULL;
}

struct walk {
        const struct ctr_cp_opts *o;
        int to_container; /* ownership default: root in the container, else the caller */
        uint64_t entries;
        struct err *err;
};

/* ---- resolving ----------------------------------------------------------------------------- */

static int
open_dir(int rootfd, const char *path, int in_root)
{
        int fd;

        if (in_root)
                return layer_open_in_root(rootfd, path, O_PATH | O_DIRECTORY);
        fd = open(*path ? path : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* split: dirname and basename of p, docker's way ("a/b/" -> "a", "b"; "/" -> "/", ""). */
static void
split(const char *p, char **ret_dir, char **ret_base)
{
        cleanup_free char *clean = path_clean(*p ? p : ".");
        const char *slash = strrchr(clean, '/');

        if (!slash) {
                *ret_dir = xstrdup(".");
                *ret_base = strcmp(clean, ".") == 0 ? xstrdup("") : xstrdup(clean);
        } else {
                *ret_dir = slash == clean ? xstrdup("/") : xstrndup(clean, (size_t)(slash - clean));
                *ret_base = xstrdup(slash + 1);
        }
}

/* resolve_one: the entry path names, its final symlink not followed. */
static int
resolve_one(int rootfd, int in_root, const char *path, struct loc *ret, struct err *err)
{
        cleanup_free char *dir = NULL;
        int r;

        loc_release(ret);
        split(path, &dir, &ret->name);
        ret->dirfd = open_dir(rootfd, dir, in_root);
        if (ret->dirfd >= 0 && (!ret->name[0] || strcmp(ret->name, "..") == 0)) {
                /* "/" or a ".." the cleaning kept: the directory itself */
                close(ret->dirfd);
                ret->dirfd = open_dir(rootfd, path, in_root);
                free(ret->name);
                ret->name = xstrdup("");
        }
        if (ret->dirfd < 0)
                return err_setf(err, ret->dirfd, "%s: %s", path, strerror(-ret->dirfd));
        r = fstatat(ret->dirfd, ret->name, &ret->st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0
                    ? -errno
                    : 0;
        ret->exists = r == 0;
        if (r < 0 && r != -ENOENT)
                return err_setf(err, r, "%s: %s", path, strerror(-r));
        return 0;
}

/* resolve: resolve_one, then with follow the final symlinks are followed by hand (in the
 * root: an absolute target starts at the container's root), so that the result is always a
 * directory fd and a name that is no symlink. label is the name the path gave. */
static int
resolve(int rootfd, int in_root, const char *path, int follow, struct loc *ret, struct err *err)
{
        cleanup_free char *cur = xstrdup(path), *dir = NULL;
        int r = resolve_one(rootfd, in_root, cur, ret, err);

        split(path, &dir, &ret->label);
        for (int i = 0; r == 0 && follow && ret->exists && S_ISLNK(ret->st.st_mode); i++) {
                char target[4096];
                ssize_t n = readlinkat(ret->dirfd, ret->name, target, sizeof(target) - 1);
                char *next;

                if (i >= 40 || n < 0)
                        return err_setf(err, i >= 40 ? -ELOOP : -errno, "%s: %s", path,
                                        strerror(i >= 40 ? ELOOP : errno));
                target[n] = '\0';
                free(dir);
                split(cur, &dir, &next);
                free(next);
                next = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
                free(cur);
                cur = next;
                {
                        char *label = TAKE_PTR(ret->label);

                        r = resolve_one(rootfd, in_root, cur, ret, err);
                        ret->label = label;
                }
        }
        return r;
}

/* ---- copying one tree ----------------------------------------------------------------- */

static int copy_entry(struct walk *w, int sdir, const char *sname, const struct stat *st, int ddir,
                      const char *dname, int depth);

/* set_meta: owner, mode and times of what was just made at ddir/dname. It is opened O_PATH
 * without following and must still be of the source's type: a container that swapped it for
 * a symlink meanwhile gets nothing changed. The changes go through the fd (its
 * /proc/self/fd/N reaches exactly that inode), never through a name that could be a link. */
static void
set_meta(struct walk *w, int ddir, const char *dname, const struct stat *st)
{
        uid_t uid = w->o->archive ? st->st_uid : w->to_container ? 0 : geteuid();
        gid_t gid = w->o->archive ? st->st_gid : w->to_container ? 0 : getegid();
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        cleanup_close int fd = openat(ddir, *dname ? dname : ".", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat now;
        char path[64];

        if (fd < 0 || fstat(fd, &now) < 0 || (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT))
                return;
        if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
                /* ownership is best effort, as docker's on filesystems that refuse it */
        }
        if (S_ISLNK(st->st_mode)) {
                utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW);
                return;
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        chmod(path, st->st_mode & 07777);
        utimensat(AT_FDCWD, path, ts, 0);
}

static int
sys_fail(struct walk *w, const char *what, const char *name, int e)
{
        return err_setf(w->err, -e, "%s '%s': %s", what, name, strerror(e));
}

/* replace: make room for a non-directory: whatever non-directory is there goes. */
static int
replace(struct walk *w, int ddir, const char *dname)
{
        struct stat st;

        if (fstatat(ddir, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : sys_fail(w, "stat", dname, errno);
        if (S_ISDIR(st.st_mode))
                return err_setf(w->err, -EISDIR,
                                "cannot overwrite directory '%s' with a "
                                "non-directory",
                                dname);
        return unlinkat(ddir, dname, 0) < 0 ? sys_fail(w, "remove", dname, errno) : 0;
}

static int
copy_file(struct walk *w, int sdir, const char *sname, int ddir, const char *dname)
{
        cleanup_close int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        cleanup_close int out = -1;
        int r = in < 0 ? sys_fail(w, "open", sname, errno) : replace(w, ddir, dname);

        if (r < 0)
                return r;
        out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return sys_fail(w, "create", dname, errno);
        for (;;) {
                ssize_t n = sendfile(out, in, NULL, 1 << 20);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return sys_fail(w, "copy", dname, errno);
                if (n == 0)
                        return 0;
        }
}

static int
copy_dir(struct walk *w, int sdir, const char *sname, int ddir, const char *dname, int depth)
{
        cleanup_close int sfd = -1, dfd = -1;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (depth > CP_DEPTH_MAX)
                return err_setf(w->err, -ELOOP, "'%s': more than %d levels of directories", sname,
                                CP_DEPTH_MAX);
        if (*dname && mkdirat(ddir, dname, 0700) < 0 && errno != EEXIST)
                return sys_fail(w, "create directory", dname, errno);
        sfd = openat(sdir, *sname ? sname : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        dfd = openat(ddir, *dname ? dname : ".", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0 || dfd < 0)
                return sys_fail(w, sfd < 0 ? "open directory" : "a non-directory is in the way at",
                                sfd < 0 ? sname : dname, errno);
        d = fdopendir(fcntl(sfd, F_DUPFD_CLOEXEC, 3));
        if (!d)
                return sys_fail(w, "read directory", sname, errno);
        while (r == 0 && (de = readdir(d))) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        r = sys_fail(w, "stat", de->d_name, errno);
                else
                        r = copy_entry(w, sfd, de->d_name, &st, dfd, de->d_name, depth + 1);
        }
        closedir(d);
        return r;
}

static int
copy_entry(struct walk *w, int sdir, const char *sname, const struct stat *st, int ddir,
           const char *dname, int depth)
{
        char target[4096];
        ssize_t n;
        int r = 0;

        if (++w->entries > CP_ENTRIES_MAX)
                return err_setf(w->err, -EFBIG, "more than %d entries to copy", CP_ENTRIES_MAX);
        if (S_ISDIR(st->st_mode)) {
                r = copy_dir(w, sdir, sname, ddir, dname, depth);
        } else if (S_ISREG(st->st_mode)) {
                r = copy_file(w, sdir, sname, ddir, dname);
        } else if (S_ISLNK(st->st_mode)) {
                n = readlinkat(sdir, sname, target, sizeof(target) - 1);
                if (n < 0)
                        return sys_fail(w, "read link", sname, errno);
                target[n] = '\0';
                r = replace(w, ddir, dname);
                if (r == 0 && symlinkat(target, ddir, dname) < 0)
                        r = sys_fail(w, "create link", dname, errno);
        } else {
                r = replace(w, ddir, dname);
                if (r == 0 && mknodat(ddir, dname, st->st_mode, st->st_rdev) < 0)
                        r = sys_fail(w, "create", dname, errno);
        }
        if (r == 0)
                set_meta(w, ddir, dname, st);
        return r;
}

/* copy: src to dst by docker's rules (see the top). */
static int
copy(struct walk *w, const char *src_path, struct loc *src, const char *dst_path, struct loc *dst)
{
        size_t n = strlen(src_path);
        int contents = n >= 2 && strcmp(src_path + n - 2, "/.") == 0;
        int dst_dir = dst->exists && S_ISDIR(dst->st.st_mode);
        const char *dname = dst->name;
        cleanup_close int into = -1;

        if (!src->exists)
                return err_setf(w->err, -ENOENT, "could not find the file %s", src_path);
        if (S_ISDIR(src->st.st_mode) && dst->exists && !dst_dir)
                return err_setf(w->err, -ENOTDIR, "cannot copy a directory to a file: %s",
                                dst_path);
        if (!dst->exists && dst_path[0] && dst_path[strlen(dst_path) - 1] == '/' &&
            !S_ISDIR(src->st.st_mode))
                return err_setf(w->err, -ENOENT, "destination directory %s does not exist",
                                dst_path);
        if (dst_dir && !(contents && S_ISDIR(src->st.st_mode))) {
                /* into the existing directory, under the source's own name */
                into = openat(dst->dirfd, *dst->name ? dst->name : ".",
                              O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (into < 0)
                        return sys_fail(w, "open", dst_path, errno);
                return copy_entry(w, src->dirfd, src->name, &src->st, into,
                                  *src->label ? src->label : "root", 0);
        }
        return copy_entry(w, src->dirfd, src->name, &src->st, dst->dirfd, dname, 0);
}

/* ---- tar out (cp CONTAINER:PATH -) ----------------------------------------------------- */

static int tar_entry(struct walk *w, struct archive *a, int sdir, const char *sname,
                     const struct stat *st, const char *arcname, int depth);

static int
tar_data(struct walk *w, struct archive *a, int sdir, const char *sname)
{
        cleanup_close int fd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        char buf[65536];
        ssize_t n;

        if (fd < 0)
                return sys_fail(w, "open", sname, errno);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (archive_write_data(a, buf, (size_t)n) != n)
                        return err_setf(w->err, -EIO, "write tar: %s", archive_error_string(a));
        return n < 0 ? sys_fail(w, "read", sname, errno) : 0;
}

static int
tar_dir(struct walk *w, struct archive *a, int sdir, const char *sname, const char *arcname,
        int depth)
{
        cleanup_close int fd =
                openat(sdir, *sname ? sname : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (depth > CP_DEPTH_MAX)
                return err_setf(w->err, -ELOOP, "more than %d levels of directories", CP_DEPTH_MAX);
        if (fd < 0 || !(d = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3))))
                return sys_fail(w, "read directory", sname, errno);
        while (r == 0 && (de = readdir(d))) {
                cleanup_free char *child = NULL;
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                child = *arcname ? xasprintf("%s/%s", arcname, de->d_name) : xstrdup(de->d_name);
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        r = sys_fail(w, "stat", de->d_name, errno);
                else
                        r = tar_entry(w, a, fd, de->d_name, &st, child, depth + 1);
        }
        closedir(d);
        return r;
}

static int
tar_entry(struct walk *w, struct archive *a, int sdir, const char *sname, const struct stat *st,
          const char *arcname, int depth)
{
        struct archive_entry *e;
        char target[4096];
        ssize_t n;
        int r = 0;

        if (++w->entries > CP_ENTRIES_MAX)
                return err_setf(w->err, -EFBIG, "more than %d entries to copy", CP_ENTRIES_MAX);
        e = archive_entry_new();
        archive_entry_copy_stat(e, st);
        archive_entry_set_pathname(e, *arcname ? arcname : ".");
        if (S_ISLNK(st->st_mode)) {
                n = readlinkat(sdir, sname, target, sizeof(target) - 1);
                target[n < 0 ? 0 : n] = '\0';
                archive_entry_set_symlink(e, target);
        }
        if (!S_ISREG(st->st_mode))
                archive_entry_set_size(e, 0);
        if (archive_write_header(a, e) < ARCHIVE_WARN)
                r = err_setf(w->err, -EIO, "write tar: %s", archive_error_string(a));
        archive_entry_free(e);
        if (r == 0 && S_ISREG(st->st_mode))
                r = tar_data(w, a, sdir, sname);
        if (r == 0 && S_ISDIR(st->st_mode))
                r = tar_dir(w, a, sdir, sname, arcname, depth);
        return r;
}

static int
tar_out(struct walk *w, const char *src_path, struct loc *src, int fd)
{
        struct archive *a = archive_write_new();
        size_t n = strlen(src_path);
        int contents = n >= 2 && strcmp(src_path + n - 2, "/.") == 0;
        int r;

        if (!src->exists) {
                archive_write_free(a);
                return err_setf(w->err, -ENOENT, "could not find the file %s", src_path);
        }
        archive_write_set_format_pax_restricted(a);
        if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
                r = err_setf(w->err, -EIO, "write tar: %s", archive_error_string(a));
                archive_write_free(a);
                return r;
        }
        if (contents && S_ISDIR(src->st.st_mode))
                r = tar_dir(w, a, src->dirfd, src->name, "", 0);
        else
                r = tar_entry(w, a, src->dirfd, src->name, &src->st,
                              *src->label ? src->label : "root", 0);
        if (archive_write_close(a) != ARCHIVE_OK && r == 0)
                r = err_setf(w->err, -EIO, "write tar: %s", archive_error_string(a));
        archive_write_free(a);
        return r;
}

/* ---- the two directions, given the container's root fd -------------------------------- */

struct job {
        const struct ctr_cp_opts *o;
        const char *from; /* container path (from) or host path / "-" (to) */
        const char *to;
        int to_container;
};

static int
job_from(const struct job *j, int rootfd, struct err *err)
{
        struct walk w = { .o = j->o, .to_container = 0, .err = err };
        struct loc src = { .dirfd = -1 }, dst = { .dirfd = -1 };
        int r = resolve(rootfd, 1, j->from, j->o->follow, &src, err);

        if (r == 0 && strcmp(j->to, "-") == 0)
                r = tar_out(&w, j->from, &src, 1);
        else if (r == 0)
                r = resolve(AT_FDCWD, 0, j->to, 1, &dst, err);
        if (r == 0 && strcmp(j->to, "-") != 0)
                r = copy(&w, j->from, &src, j->to, &dst);
        loc_release(&src);
        loc_release(&dst);
        return r;
}

static int
tar_in(const struct job *j, int rootfd, struct err *err)
{
        struct layer_opts lo = { .mode = LAYER_MODE_MERGE,
                                 .flags = LAYER_NO_DEVICES |
                                          (j->o->archive ? 0 : LAYER_IGNORE_OWNER) };
        cleanup_close int dir = layer_open_in_root(rootfd, j->to, O_PATH | O_DIRECTORY);
        cleanup_close int rdir = -1;
        char path[64];

        if (dir < 0)
                return err_setf(err, dir,
                                "destination %s must be an existing directory when "
                                "copying from stdin: %s",
                                j->to, strerror(-dir));
        /* layer_apply resolves from its own O_PATH-free directory fd */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", dir);
        rdir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rdir < 0)
                return err_setf(err, -errno, "open %s: %s", j->to, strerror(errno));
        return layer_apply_fd(rdir, 0, &lo, NULL, err);
}

static int
job_to(const struct job *j, int rootfd, struct err *err)
{
        struct walk w = { .o = j->o, .to_container = 1, .err = err };
        struct loc src = { .dirfd = -1 }, dst = { .dirfd = -1 };
        int r;

        if (strcmp(j->from, "-") == 0)
                return tar_in(j, rootfd, err);
        r = resolve(AT_FDCWD, 0, j->from, j->o->follow, &src, err);
        if (r == 0)
                r = resolve(rootfd, 1, j->to, 1, &dst, err);
        if (r == 0)
                r = copy(&w, j->from, &src, j->to, &dst);
        loc_release(&src);
        loc_release(&dst);
        return r;
}

static int
job_run(const struct job *j, int rootfd, struct err *err)
{
        return j->to_container ? job_to(j, rootfd, err) : job_from(j, rootfd, err);
}

/* ---- the container's root -------------------------------------------------------------- */

/* running_root: /proc/PID/root of the running container, or -ESRCH. */
static int
running_root(const struct ctr *c)
{
        struct rt_state st;
        char path[64];
        int fd = -ESRCH;

        if (rt_state_read(c->run_dir, &st, NULL) < 0)
                return -ESRCH;
        if (rt_state_running(&st)) {
                snprintf(path, sizeof(path), "/proc/%d/root", (int)st.pid);
                fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                /* the same process still (not a reused pid) */
                if (fd >= 0 && !rt_state_running(&st)) {
                        close(fd);
                        fd = -ESRCH;
                }
        }
        rt_state_release(&st);
        return fd < 0 ? -ESRCH : fd;
}

static char *
overlay_options(const struct ctr *c)
{
        cleanup_strv char **lowers = jsonx_to_strv(jsonx_get(c->config, "LowerDirs"));
        cleanup_free char *up = ctr_path(c, "upper"), *wk = ctr_path(c, "work");
        struct sbuf sb = SBUF_INIT;

        sbuf_adds(&sb, "lowerdir=");
        for (size_t i = 0; lowers && lowers[i]; i++) {
                if (i)
                        sbuf_addch(&sb, ':');
                for (const char *p = lowers[i]; *p; p++) {
                        if (*p == ':' || *p == ',' || *p == '\\')
                                sbuf_addch(&sb, '\\');
                        sbuf_addch(&sb, *p);
                }
        }
        sbuf_addf(&sb, ",upperdir=%s,workdir=%s", up, wk);
        return sbuf_detach(&sb);
}

static int
has_opt(const char *opts, const char *want)
{
        cleanup_strv char **v = opts ? strv_split(opts, ",") : NULL;

        return strv_contains(v, want);
}

/* mount_binds: the container's bind mounts (HostConfig.Binds "src:dst[:opts]") over the
 * mounted root, so that a stopped container's volumes are copied as a running one's are.
 * Each target is resolved inside the root; one that does not exist there (a container never
 * started) is skipped; "ro" binds stay read-only. */
static int
mount_binds(const struct ctr *c, int rootfd, struct err *err)
{
        cleanup_strv char **binds =
                jsonx_to_strv(jsonx_get(jsonx_get(c->config, "HostConfig"), "Binds"));

        strv_foreach(b, binds) {
                cleanup_strv char **part = strv_split(b, ":");
                cleanup_close int fd = -1, top = -1;
                char path[64];

                if (strv_length(part) < 2 || (fd = layer_open_in_root(rootfd, part[1], O_PATH)) < 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                if (mount(part[0], path, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return err_setf(err, -errno, "mount the volume '%s': %s", part[0],
                                        strerror(errno));
                if (!has_opt(part[2], "ro"))
                        continue;
                /* the new mount is on top: reach it through the path, not the old fd */
                top = layer_open_in_root(rootfd, part[1], O_PATH);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", top);
                if (top < 0 || mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                        return err_setf(err, -EIO, "make the volume '%s' read-only", part[0]);
        }
        return 0;
}

/* stopped_child: in a private mount namespace, mount the overlay and run the job; reports a
 * failure as its message on errfd. Never returns. */
__attribute__((noreturn)) static void
stopped_child(const struct ctr *c, const struct job *j, const char *mnt, int errfd)
{
        cleanup_free char *data = overlay_options(c);
        struct err e = { 0 };
        int fd, r = 0;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                r = err_setf(&e, -errno, "private mount namespace: %s", strerror(errno));
        if (r == 0 && mount("overlay", mnt, "overlay", j->to_container ? 0 : MS_RDONLY, data) < 0)
                r = err_setf(&e, -errno, "mount the container's filesystem: %s", strerror(errno));
        if (r == 0) {
                fd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
                r = fd < 0 ? err_setf(&e, -errno, "open %s: %s", mnt, strerror(errno))
                           : mount_binds(c, fd, &e);
                if (r == 0)
                        r = job_run(j, fd, &e);
        }
        if (r < 0 && write(errfd, e.msg, strlen(e.msg)) < 0) {
                /* the parent is gone */
        }
        _exit(r < 0 ? 1 : 0);
}

static int
run_stopped(const struct ctr *c, const struct job *j, struct err *err)
{
        cleanup_free char *mnt = ctr_path(c, "cp.XXXXXX");
        char msg[ERR_MSG_MAX] = "";
        int p[2], status = 0;
        ssize_t n;
        pid_t pid;

        if (!mkdtemp(mnt))
                return err_setf(err, -errno, "create '%s': %s", mnt, strerror(errno));
        if (pipe2(p, O_CLOEXEC) < 0) {
                rmdir(mnt);
                return err_setf(err, -errno, "pipe: %s", strerror(errno));
        }
        fflush(stdout);
        pid = fork();
        if (pid == 0)
                stopped_child(c, j, mnt, p[1]);
        close(p[1]);
        n = pid > 0 ? read(p[0], msg, sizeof(msg) - 1) : 0;
        msg[n > 0 ? n : 0] = '\0';
        close(p[0]);
        while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        rmdir(mnt);
        if (pid < 0)
                return err_setf(err, -errno, "fork: %s", strerror(errno));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return err_setf(err, -EIO, "%s", msg[0] ? msg : "the copy process failed");
        return 0;
}

int
ctr_cp(const struct ctr *c, const char *from, const char *to, int to_container,
       const struct ctr_cp_opts *o, struct err *err)
{
        struct job j = { .o = o, .from = from, .to = to, .to_container = to_container };
        int rootfd, r;

        /* a tar on stdin or stdout: libarchive, loaded here before any fork */
        if (strcmp(to_container ? from : to, "-") == 0) {
                r = archive_dl_load(err);
                if (r < 0)
                        return r;
        }
        rootfd = running_root(c);
        if (rootfd == -ESRCH)
                return run_stopped(c, &j, err);
        r = job_run(&j, rootfd, err);
        close(rootfd);
        return r;
}
