/* build_copytree: the file operations of COPY/ADD, fd-relative throughout.
 *
 * The destination is a root fd (the overlay of the stage being built); every destination
 * path is resolved in it with openat2(RESOLVE_IN_ROOT), so a symlink in the image cannot
 * send a write outside. Sources are walked from a directory fd with O_NOFOLLOW; symlinks are
 * copied as symlinks. Ownership is the --chown user (0:0 by default, as docker), the mode
 * the source's unless --chmod, the mtime the source's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/build_copy_int.h"
#include "engine/layer.h"

#define COPY_DEPTH_MAX 256

/* id_lookup: the id of name in an /etc/passwd or /etc/group text; -1 when absent. field 2
 * is the id, field 3 (passwd) the primary group, returned through gid when asked. */
static long
id_lookup(const char *text, const char *name, long *gid)
{
        cleanup_strv char **lines = strv_split(text ? text : "", "\n");

        strv_foreach(l, lines) {
                cleanup_strv char **f = strv_split(l, ":");

                if (strv_length(f) < 3 || strcmp(f[0], name) != 0)
                        continue;
                if (gid)
                        *gid = strv_length(f) > 3 ? strtol(f[3], NULL, 10) : 0;
                return strtol(f[2], NULL, 10);
        }
        return -1;
}

static char *
read_in_root(int rootfd, const char *path)
{
        cleanup_close int fd = layer_open_in_root(rootfd, path, O_RDONLY | O_CLOEXEC);
        char *buf = NULL;
        size_t len;

        if (fd < 0 || fs_read_fd_capped(fd, path, 8u << 20, &buf, &len, NULL) < 0)
                return NULL;
        return buf;
}

static bool
numeric(const char *s, long *ret)
{
        char *end;

        if (!*s)
                return false;
        errno = 0;
        *ret = strtol(s, &end, 10);
        return !*end && errno == 0 && *ret >= 0 && *ret <= 0x7fffffff;
}

int
copy_resolve_chown(int rootfd, const char *spec, uid_t *uid, gid_t *gid, struct err *err)
{
        cleanup_free char *user = xstrdup(spec);
        cleanup_free char *passwd = NULL, *group = NULL;
        char *colon = strchr(user, ':');
        long u, g = -1;

        if (colon)
                *colon++ = '\0';
        if (!numeric(user, &u)) {
                passwd = read_in_root(rootfd, "/etc/passwd");
                u = id_lookup(passwd, user, &g);
                if (u < 0)
                        return err_setf(err, -EINVAL, "unable to convert uid/gid chown string to "
                                        "host mapping: can't find uid for user %s", user);
        } else if (!colon)
                g = u;
        if (colon && !numeric(colon, &g)) {
                group = read_in_root(rootfd, "/etc/group");
                g = id_lookup(group, colon, NULL);
                if (g < 0)
                        return err_setf(err, -EINVAL, "unable to convert uid/gid chown string to "
                                        "host mapping: can't find gid for group %s", colon);
        }
        *uid = (uid_t)u;
        *gid = (gid_t)(g < 0 ? 0 : g);
        return 0;
}

/* uid_primary_gid: the group of the /etc/passwd entry with uid u (0 when there is none) */
static long
uid_primary_gid(int rootfd, long u)
{
        cleanup_free char *passwd = read_in_root(rootfd, "/etc/passwd");
        cleanup_strv char **lines = strv_split(passwd ? passwd : "", "\n");
        long id;

        strv_foreach(l, lines) {
                cleanup_strv char **f = strv_split(l, ":");

                if (strv_length(f) > 3 && numeric(f[2], &id) && id == u && numeric(f[3], &id))
                        return id;
        }
        return 0;
}

int
copy_resolve_user(int rootfd, const char *spec, uid_t *uid, gid_t *gid, struct err *err)
{
        long u;

        if (strchr(spec, ':') || !numeric(spec, &u)) {
                int r = copy_resolve_chown(rootfd, spec, uid, gid, err);

                return r < 0 ? err_prefix(err, "USER %s", spec) : 0;
        }
        *uid = (uid_t)u;
        *gid = (gid_t)uid_primary_gid(rootfd, u);
        return 0;
}

/* copy_mkdir_p: make the absolute dir path in the destination root (created dirs: 0755,
 * owned uid:gid, root's for --link; symlinks on the way followed inside the root); returns
 * an fd of it */
int
copy_mkdir_p(const struct copy_job *j, const char *path, struct err *err)
{
        cleanup_strv char **parts = strv_split(path, "/");
        struct sbuf prefix = SBUF_INIT;
        int fd = layer_open_in_root(j->rootfd, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        strv_foreach(p, parts) {
                int next;

                if (!*p || fd < 0)
                        continue;
                sbuf_addf(&prefix, "/%s", p);
                next = layer_open_in_root(j->rootfd, prefix.buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (next == -ENOENT) {
                        if (mkdirat(fd, p, 0755) < 0 ||
                            fchownat(fd, p, j->link ? 0 : j->uid, j->link ? 0 : j->gid,
                                     AT_SYMLINK_NOFOLLOW) < 0)
                                next = -errno;
                        else
                                next = layer_open_in_root(j->rootfd, prefix.buf,
                                                          O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                }
                close(fd);
                fd = next;
        }
        if (fd < 0)
                err_setf(err, fd, "mkdir '%s': %s", path, strerror(-fd));
        sbuf_release(&prefix);
        return fd;
}

static int
set_meta(const struct copy_job *j, int dfd, const char *name, const struct stat *st)
{
        mode_t mode = st->st_mode;
        struct timespec ts[2] = { st->st_atim, st->st_mtim };

        if (j->chmod && copy_chmod_apply(j->chmod, st->st_mode, &mode) < 0)
                return -EINVAL; /* validated in job_flags: not reached */
        mode &= 07777;

        if (fchownat(dfd, name, j->uid, j->gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISLNK(st->st_mode) && fchmodat(dfd, name, mode, 0) < 0)
                return -errno;
        if (utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int
copy_data(int in, int out)
{
        for (;;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);

                if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
                        char buf[65536];

                        n = read(in, buf, sizeof(buf));
                        if (n > 0 && write(out, buf, (size_t)n) != n)
                                return -EIO;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : 0;
        }
}

static int
copy_file(const struct copy_job *j, int sfd, const char *sname, int dfd, const char *dname,
          const struct stat *st)
{
        cleanup_close int in = openat(sfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int out = -1;
        int r;

        if (in < 0)
                return -errno;
        out = openat(dfd, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0 && (errno == ELOOP || errno == EISDIR || errno == ETXTBSY)) {
                layer_remove_tree(dfd, dname, NULL);
                out = openat(dfd, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                             0600);
        }
        if (out < 0)
                return -errno;
        r = copy_data(in, out);
        return r < 0 ? r : set_meta(j, dfd, dname, st);
}

static int
copy_link(const struct copy_job *j, int sfd, const char *sname, int dfd, const char *dname,
          const struct stat *st)
{
        char target[4096];
        ssize_t n = readlinkat(sfd, sname, target, sizeof(target) - 1);

        if (n < 0)
                return -errno;
        target[n] = '\0';
        unlinkat(dfd, dname, 0);
        if (symlinkat(target, dfd, dname) < 0)
                return -errno;
        return set_meta(j, dfd, dname, st);
}

static int copy_dir(const struct copy_job *j, int sfd, const char *rel, int dfd, int depth,
                    struct err *err);

int
copy_entry(const struct copy_job *j, int sfd, const char *sname, const char *rel, int dfd,
           const char *dname, int depth, struct err *err)
{
        struct stat st;
        int r = 0;

        if (j->included && !j->included(j, rel))
                return 0;
        if (fstatat(sfd, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return err_setf(err, -errno, "copy '%s': %s", rel, strerror(errno));
        if (S_ISDIR(st.st_mode)) {
                cleanup_close int s2 = openat(sfd, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                cleanup_close int d2 = -1;

                if (mkdirat(dfd, dname, 0755) < 0 && errno != EEXIST)
                        return err_setf(err, -errno, "mkdir '%s': %s", dname, strerror(errno));
                d2 = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s2 < 0 || d2 < 0)
                        return err_setf(err, -errno, "copy '%s': %s", rel, strerror(errno));
                r = copy_dir(j, s2, rel, d2, depth + 1, err);
                if (r == 0)
                        r = set_meta(j, dfd, dname, &st);
        } else if (S_ISREG(st.st_mode))
                r = copy_file(j, sfd, sname, dfd, dname, &st);
        else if (S_ISLNK(st.st_mode))
                r = copy_link(j, sfd, sname, dfd, dname, &st);
        if (r < 0 && !err_is_set(err))
                return err_setf(err, r, "copy '%s': %s", rel, strerror(-r));
        return r;
}

static int
copy_dir(const struct copy_job *j, int sfd, const char *rel, int dfd, int depth, struct err *err)
{
        int fd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        cleanup_strv char **names = NULL;
        struct dirent *de;

        if (depth > COPY_DEPTH_MAX)
                return err_setf(err, -ELOOP, "copy '%s': too deep", rel);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return err_setf(err, -errno, "read dir '%s': %s", rel, strerror(errno));
        }
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        strv_add(&names, de->d_name);
        closedir(d);
        strv_sort(names);
        strv_foreach(n, names) {
                cleanup_free char *crel = *rel ? xasprintf("%s/%s", rel, n) : xstrdup(n);
                int r = copy_entry(j, sfd, n, crel, dfd, n, depth, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

int
copy_contents(const struct copy_job *j, int sfd, const char *rel, int dfd, struct err *err)
{
        return copy_dir(j, sfd, rel, dfd, 0, err);
}
