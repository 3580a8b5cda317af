/* build_srchash: the source hashes docker's classic builder writes into the history of a
 * COPY/ADD step ("COPY file:<hex> in /dst "), reproduced exactly.
 *
 * Docker (builder/dockerfile/copy.go, pkg/tarsum) hashes each file as a tarsum v1 entry:
 * sha256 of the concatenated "name<n>mode<m>uid<u>gid<g>size<s>typeflag<t>linkname<l>
 * uname<u>gname<g>devmajor<M>devminor<m>" (mode and ids in decimal; no mtime), then the
 * security.capability xattr as "security.capability<value>" when set, then the file's
 * content. name is the path relative to the source root, with a '/' appended for a
 * directory. A single file source is "file:<hex>"; a directory is "dir:" + sha256 of the
 * sorted hashes of everything below it (the directory itself included unless it is the
 * root) joined by ','; several sources (or a wildcard matching several) are "multi:" +
 * sha256 of their "file:/dir:" texts joined by ',' in source order.
 *
 * What the header holds depends on where the files came from (checked against the
 * build-config corpus, recorded with docker 20.10):
 *  - the build context went through the docker CLI's tar: uid and gid 0, no user or group
 *    names, mode = permission bits only (st_mode & 07777);
 *  - an image or stage (COPY --from) is read from its filesystem: the real uid/gid, names
 *    looked up on the host (docker looks them up on the daemon's host), mode = full st_mode
 *    (file type bits included);
 *  - an ADD <url> download is a file named after the URL, mode 0100600, owned root:root.
 * Known difference: the docker CLI sends a second hard link to a file as a tar link entry;
 * it is hashed here as a regular file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/sha256.h"
#include "base/strv.h"
#include "engine/build_copy_int.h"
#include "engine/layer.h"

#define SRCHASH_DEPTH_MAX   256
#define SRCHASH_ENTRIES_MAX (1u << 22)

static char
typeflag(mode_t m)
{
        if (S_ISDIR(m))
                return '5';
        if (S_ISLNK(m))
                return '2';
        if (S_ISCHR(m))
                return '3';
        if (S_ISBLK(m))
                return '4';
        if (S_ISFIFO(m))
                return '6';
        return '0';
}

/* host_names: the host's user and group names of st's owner ("" when unknown) */
static void
host_names(const struct stat *st, struct sbuf *sb)
{
        char buf[4096];
        struct passwd pw, *pwp = NULL;
        struct group gr, *grp = NULL;

        if (getpwuid_r(st->st_uid, &pw, buf, sizeof(buf), &pwp) != 0)
                pwp = NULL;
        sbuf_addf(sb, "uname%s", pwp ? pw.pw_name : "");
        if (getgrgid_r(st->st_gid, &gr, buf, sizeof(buf), &grp) != 0)
                grp = NULL;
        sbuf_addf(sb, "gname%s", grp ? gr.gr_name : "");
}

/* header: the tarsum v1 header text of an entry */
static void
header(enum copy_hash_kind kind, const char *rel, const struct stat *st, const char *link,
       struct sbuf *sb)
{
        bool dev = S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode);
        unsigned mode = kind == COPY_HASH_CONTEXT ? st->st_mode & 07777u : st->st_mode;
        unsigned uid = kind == COPY_HASH_IMAGE ? st->st_uid : 0;
        unsigned gid = kind == COPY_HASH_IMAGE ? st->st_gid : 0;

        if (kind == COPY_HASH_URL)
                mode = S_IFREG | 0600;
        sbuf_addf(sb, "name%s%smode%uuid%ugid%usize%lld", rel, S_ISDIR(st->st_mode) ? "/" : "",
                  mode, uid, gid, S_ISREG(st->st_mode) ? (long long)st->st_size : 0LL);
        sbuf_addf(sb, "typeflag%clinkname%s", typeflag(st->st_mode), link ? link : "");
        if (kind == COPY_HASH_IMAGE)
                host_names(st, sb);
        else
                sbuf_adds(sb, kind == COPY_HASH_URL ? "unamerootgnameroot" : "unamegname");
        sbuf_addf(sb, "devmajor%udevminor%u", dev ? major(st->st_rdev) : 0,
                  dev ? minor(st->st_rdev) : 0);
}

static int
hash_content(int fd, const char *rel, struct sha256 *c, struct err *err)
{
        char buf[65536], cap[1024];
        ssize_t n = fgetxattr(fd, "security.capability", cap, sizeof(cap));

        if (n > 0) {
                sha256_update(c, "security.capability", strlen("security.capability"));
                sha256_update(c, cap, (size_t)n);
        }
        while ((n = read(fd, buf, sizeof(buf))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_setf(err, -errno, "read '%s': %s", rel, strerror(errno));
                sha256_update(c, buf, (size_t)n);
        }
        return 0;
}

/* entry_hash: the tarsum hex of dfd/name (rel: its path from the source root) */
static int
entry_hash(const struct copy_job *j, int dfd, const char *name, const char *rel,
           char out[SHA256_HEX_SIZE], struct err *err)
{
        struct sbuf sb = SBUF_INIT;
        char link[4096] = "";
        uint8_t d[SHA256_DIGEST_SIZE];
        struct sha256 c;
        struct stat st;
        int r = 0;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return err_setf(err, -errno, "stat '%s': %s", rel, strerror(errno));
        if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlinkat(dfd, name, link, sizeof(link) - 1);

                link[n > 0 ? n : 0] = '\0';
        }
        header(j->hash_kind, rel, &st, link, &sb);
        sha256_init(&c);
        sha256_update(&c, sb.buf, sb.len);
        sbuf_release(&sb);
        if (S_ISREG(st.st_mode)) {
                cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

                r = fd < 0 ? err_setf(err, -errno, "open '%s': %s", rel, strerror(errno))
                           : hash_content(fd, rel, &c, err);
        }
        sha256_final(&c, d);
        sha256_hex(d, out);
        return r;
}

/* the entry hashes of a directory source (a growable array: trees can be large) */
struct hashes {
        char (*v)[SHA256_HEX_SIZE];
        size_t n, cap;
};

static void
hashes_add(struct hashes *h, const char hex[SHA256_HEX_SIZE])
{
        if (h->n == h->cap) {
                h->cap = h->cap ? 2 * h->cap : 64;
                h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
        }
        memcpy(h->v[h->n++], hex, SHA256_HEX_SIZE);
}

static int
cmp_hex(const void *a, const void *b)
{
        return strcmp(a, b);
}

/* hashes_text: "dir:" + sha256 of the sorted hashes joined by ',' (owned); h is released */
static char *
hashes_text(struct hashes *h)
{
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        struct sha256 c;

        if (h->n)
                qsort(h->v, h->n, sizeof(*h->v), cmp_hex);
        sha256_init(&c);
        for (size_t i = 0; i < h->n; i++) {
                if (i)
                        sha256_update(&c, ",", 1);
                sha256_update(&c, h->v[i], SHA256_HEX_SIZE - 1);
        }
        sha256_final(&c, d);
        sha256_hex(d, hex);
        free(h->v);
        *h = (struct hashes){ 0 };
        return xasprintf("dir:%s", hex);
}

static int hash_children(const struct copy_job *j, int fd, const char *rel, int depth,
                         struct hashes *acc, struct err *err);

/* hash_tree: dfd/name and, for a directory, everything below it, into acc */
static int
hash_tree(const struct copy_job *j, int dfd, const char *name, const char *rel, int depth,
          struct hashes *acc, struct err *err)
{
        char hex[SHA256_HEX_SIZE];
        cleanup_close int fd = -1;
        struct stat st;
        int r;

        if (depth > SRCHASH_DEPTH_MAX || acc->n >= SRCHASH_ENTRIES_MAX)
                return err_setf(err, -E2BIG, "COPY: '%s': too deep or too many files", rel);
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return err_setf(err, -errno, "stat '%s': %s", rel, strerror(errno));
        if (S_ISSOCK(st.st_mode))
                return 0; /* docker's tar leaves sockets out */
        if (!j->included || j->included(j, rel)) {
                r = entry_hash(j, dfd, name, rel, hex, err);
                if (r < 0)
                        return r;
                hashes_add(acc, hex);
        }
        if (!S_ISDIR(st.st_mode))
                return 0;
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_setf(err, -errno, "open '%s': %s", rel, strerror(errno));
        return hash_children(j, fd, rel, depth + 1, acc, err);
}

static int
hash_children(const struct copy_job *j, int fd, const char *rel, int depth, struct hashes *acc,
              struct err *err)
{
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        cleanup_strv char **names = NULL;
        struct dirent *de;
        int r = 0;

        if (!d) {
                if (dup_fd >= 0)
                        close(dup_fd);
                return err_setf(err, -errno, "read '%s': %s", rel, strerror(errno));
        }
        for (errno = 0; (de = readdir(d)); errno = 0)
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        strv_add(&names, de->d_name);
        if (errno)
                r = err_setf(err, -errno, "read '%s': %s", rel, strerror(errno));
        closedir(d);
        if (r < 0)
                return r;
        strv_foreach(n, names) {
                cleanup_free char *sub = *rel ? xasprintf("%s/%s", rel, n) : xstrdup(n);

                r = hash_tree(j, fd, n, sub, depth, acc, err);
                if (r < 0)
                        break;
        }
        return r;
}

char *
copy_hash_join(const char *prefix, char *const *texts)
{
        cleanup_free char *joined = strv_join(texts, ",");
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];

        sha256_buf(joined ? joined : "", joined ? strlen(joined) : 0, d);
        sha256_hex(d, hex);
        return xasprintf("%s:%s", prefix, hex);
}

/* resolved: rel with the symlinks on its way followed inside the source root, as docker
 * hashes the file a symlink source names (owned) */
static char *
resolved(const struct copy_job *j, int fd, const char *rel)
{
        char root[4096], path[4096];
        cleanup_free char *rp = xasprintf("/proc/self/fd/%d", j->srcfd);
        cleanup_free char *fp = xasprintf("/proc/self/fd/%d", fd);
        ssize_t a = readlink(rp, root, sizeof(root) - 1), b = readlink(fp, path, sizeof(path) - 1);
        size_t n;

        if (a <= 0 || b <= 0)
                return xstrdup(rel);
        root[a] = path[b] = '\0';
        n = strlen(root);
        if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
                return xstrdup(rel);
        return xstrdup(path[n] == '/' ? path + n + 1 : "");
}

int
copy_src_hash(const struct copy_job *j, const char *rel, char **ret, struct err *err)
{
        cleanup_close int fd = layer_open_in_root(j->srcfd, *rel ? rel : ".", O_PATH | O_CLOEXEC);
        cleanup_free char *real = NULL, *dir = NULL, *base = NULL;
        cleanup_close int pfd = -1;
        struct hashes acc = { 0 };
        char hex[SHA256_HEX_SIZE];
        struct stat st;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0)
                return err_setf(err, fd < 0 ? fd : -errno, "stat %s: %s", rel,
                                strerror(fd < 0 ? -fd : errno));
        real = resolved(j, fd, rel);
        if (S_ISDIR(st.st_mode) && !*real) { /* the root: its entries, not itself */
                cleanup_close int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                r = dfd < 0 ? err_setf(err, -errno, "open the source root: %s", strerror(errno))
                            : hash_children(j, dfd, "", 0, &acc, err);
                if (r == 0)
                        *ret = hashes_text(&acc);
                free(acc.v);
                return r;
        }
        dir = strrchr(real, '/') ? xstrndup(real, (size_t)(strrchr(real, '/') - real)) : xstrdup(".");
        base = xstrdup(strrchr(real, '/') ? strrchr(real, '/') + 1 : real);
        pfd = layer_open_in_root(j->srcfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return err_setf(err, pfd, "open %s: %s", dir, strerror(-pfd));
        if (S_ISDIR(st.st_mode)) {
                r = hash_tree(j, pfd, base, real, 0, &acc, err);
                if (r == 0)
                        *ret = hashes_text(&acc);
                free(acc.v);
                return r;
        }
        r = entry_hash(j, pfd, base, real, hex, err);
        if (r == 0)
                *ret = xasprintf("file:%s", hex);
        return r;
}
