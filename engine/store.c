/* store: the OCI image layout on disk (image-spec image-layout.md) plus berth's locks.
 *
 * Blobs are written to <store>/ingest/<unique> while hashed, fdatasync'ed and renamed to
 * blobs/sha256/<hex> only when the digest is known (and matches what the caller expected),
 * so a blob file never holds anything but its digest's content. Locks are flock(2) on
 * files in <store>: they vanish with the process that held them, so a crash never leaves
 * the store locked.
 */
#include "engine/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"

#define OCI_LAYOUT "{\"imageLayoutVersion\":\"1.0.0\"}"

static int
open_dir(const char *path, int *ret, struct err *err)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return err_setf(err, -errno, "open '%s': %s", path, strerror(errno));
        *ret = fd;
        return 0;
}

static int
make_dirs(struct store *s, struct err *err)
{
        const char *sub[] = { "blobs/sha256", "ingest", "holds" };
        int r = fs_mkdir_p(s->layers, 0700, err);

        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(sub); i++) {
                cleanup_free char *p = xasprintf("%s/%s", s->dir, sub[i]);

                r = fs_mkdir_p(p, 0700, err);
        }
        return r;
}

static int
write_layout(struct store *s, struct err *err)
{
        cleanup_free char *p = xasprintf("%s/oci-layout", s->dir);

        if (fs_exists(p))
                return 0;
        return fs_write_atomic(p, OCI_LAYOUT, strlen(OCI_LAYOUT), 0644, err);
}

int
store_open(const char *root, struct store **ret, struct err *err)
{
        struct store *s = xcalloc(1, sizeof(*s));
        cleanup_free char *cwd = NULL;
        cleanup_free char *blobs = NULL, *ingest = NULL;
        int r = path_getcwd(&cwd, err);

        s->dirfd = s->blobsfd = s->ingestfd = s->layersfd = s->index_lock = s->gc_lock = -1;
        if (r < 0) {
                store_free(s);
                return r;
        }
        s->root = path_abs(cwd, root);
        s->dir = xasprintf("%s/store", s->root);
        s->layers = xasprintf("%s/layers", s->root);
        blobs = xasprintf("%s/blobs/sha256", s->dir);
        ingest = xasprintf("%s/ingest", s->dir);
        r = make_dirs(s, err);
        if (r == 0)
                r = write_layout(s, err);
        if (r == 0)
                r = open_dir(s->dir, &s->dirfd, err);
        if (r == 0)
                r = open_dir(blobs, &s->blobsfd, err);
        if (r == 0)
                r = open_dir(ingest, &s->ingestfd, err);
        if (r == 0)
                r = open_dir(s->layers, &s->layersfd, err);
        if (r < 0) {
                err_prefix(err, "open image store '%s'", s->dir);
                store_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

static void
close_fd(int fd)
{
        if (fd >= 0)
                close(fd);
}

struct store *
store_free(struct store *s)
{
        if (!s)
                return NULL;
        store_prefetch_discard(s);
        close_fd(s->dirfd);
        close_fd(s->blobsfd);
        close_fd(s->ingestfd);
        close_fd(s->layersfd);
        close_fd(s->index_lock);
        close_fd(s->gc_lock);
        free(s->root);
        free(s->dir);
        free(s->layers);
        free(s);
        return NULL;
}

/* lock_file: open <store>/name and flock it; returns the fd. */
static int
lock_file(struct store *s, const char *name, int op, struct err *err)
{
        int fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

        if (fd < 0)
                return err_setf(err, -errno, "lock '%s/%s': %s", s->dir, name, strerror(errno));
        while (flock(fd, op) < 0) {
                int r = -errno;

                if (r == -EINTR)
                        continue;
                close(fd);
                return err_setf(err, r, "lock '%s/%s': %s", s->dir, name, strerror(-r));
        }
        return fd;
}

int
store_pin(struct store *s, struct err *err)
{
        int fd;

        if (s->pins++ > 0)
                return 0;
        fd = lock_file(s, "gc.lock", LOCK_SH, err);
        if (fd < 0) {
                s->pins = 0;
                return fd;
        }
        s->gc_lock = fd;
        return 0;
}

void
store_unpin(struct store *s)
{
        if (s->pins == 0 || --s->pins > 0)
                return;
        close(s->gc_lock);
        s->gc_lock = -1;
}

/* ---- blobs ---- */

static int
check_digest(const char *digest, struct err *err)
{
        if (!digest_valid(digest))
                return err_setf(err, -EINVAL, "invalid digest '%s'", digest ? digest : "");
        return 0;
}

int
store_blob_has(struct store *s, const char *digest)
{
        return digest_valid(digest) && faccessat(s->blobsfd, digest_hex(digest), F_OK, 0) == 0;
}

char *
store_blob_path(const struct store *s, const char *digest)
{
        return xasprintf("%s/blobs/sha256/%s", s->dir, digest_hex(digest));
}

int
store_blob_open(struct store *s, const char *digest, int *ret_fd, uint64_t *ret_size,
                struct err *err)
{
        struct stat st;
        int fd, r = check_digest(digest, err);

        if (r < 0)
                return r;
        fd = openat(s->blobsfd, digest_hex(digest), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_setf(err, -errno, "blob %s: %s", digest,
                                errno == ENOENT ? "not in the store" : strerror(errno));
        if (fstat(fd, &st) < 0) {
                r = -errno;
                close(fd);
                return err_setf(err, r, "blob %s: %s", digest, strerror(-r));
        }
        if (ret_size)
                *ret_size = (uint64_t)st.st_size;
        *ret_fd = fd;
        return 0;
}

int
store_blob_read(struct store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                struct err *err)
{
        cleanup_close int fd = -1;
        cleanup_free char *buf = NULL;
        char got[DIGEST_STR_SIZE];
        size_t len;
        int r = store_blob_open(s, digest, &fd, NULL, err);

        if (r < 0)
                return r;
        r = fs_read_fd_capped(fd, digest, max, &buf, &len, err);
        if (r < 0)
                return r;
        digest_buf(buf, len, got);
        if (strcmp(got, digest) != 0)
                return err_setf(err, -EBADMSG, "blob %s: content does not match its digest (%s)",
                                digest, got);
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

struct store_writer {
        struct store *s;
        int fd;
        char name[96];
        struct digester d;
        uint64_t kicked; /* bytes handed to writeback so far */
        int failed;
        bool keep; /* resumable: an uncommitted file stays for the next writer of its name */
};

#define WRITEBACK_STEP (8u << 20)

int
store_writer_new(struct store *s, struct store_writer **ret, struct err *err)
{
        struct store_writer *w = xcalloc(1, sizeof(*w));
        struct timespec ts;

        w->s = s;
        digester_init(&w->d);
        for (int i = 0; i < 100; i++) {
                clock_gettime(CLOCK_REALTIME, &ts);
                snprintf(w->name, sizeof(w->name), "%d-%ld-%ld-%d", (int)getpid(), (long)ts.tv_sec,
                         ts.tv_nsec, i);
                w->fd = openat(s->ingestfd, w->name,
                               O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (w->fd >= 0 || errno != EEXIST)
                        break;
        }
        if (w->fd < 0) {
                int r = err_setf(err, -errno, "write blob into '%s/ingest': %s", s->dir,
                                 strerror(errno));

                free(w);
                return r;
        }
        *ret = w;
        return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
        while (n) {
                ssize_t k = write(fd, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

int
store_writer_write(struct store_writer *w, const void *data, size_t n, struct err *err)
{
        int r = w->failed ? w->failed : write_all(w->fd, data, n);

        if (r < 0) {
                w->failed = r;
                return err_setf(err, r, "write blob: %s", strerror(-r));
        }
        digester_update(&w->d, data, n);
        /* start writeback in steps, so that the fdatasync at commit finds little to do */
        if (w->d.bytes - w->kicked >= WRITEBACK_STEP) {
                sync_file_range(w->fd, (off_t)w->kicked, (off_t)(w->d.bytes - w->kicked),
                                SYNC_FILE_RANGE_WRITE);
                w->kicked = w->d.bytes;
        }
        return 0;
}

int
store_writer_sink(void *w, const void *data, size_t n)
{
        return store_writer_write(w, data, n, NULL);
}

static int
writer_place(struct store_writer *w, const char *hex, bool *ret_created, struct err *err)
{
        *ret_created = faccessat(w->s->blobsfd, hex, F_OK, 0) != 0;
        if (!*ret_created) {
                unlinkat(w->s->ingestfd, w->name, 0);
                return 0;
        }
        if (fdatasync(w->fd) < 0 || renameat(w->s->ingestfd, w->name, w->s->blobsfd, hex) < 0)
                return err_setf(err, -errno, "store blob sha256:%s: %s", hex, strerror(errno));
        return 0;
}

int
store_writer_commit(struct store_writer *w, const char *expect, char ret_digest[DIGEST_STR_SIZE],
                    uint64_t *ret_size, bool *ret_created, struct err *err)
{
        char got[DIGEST_STR_SIZE];
        uint64_t size = w->d.bytes;
        bool created;
        int r;

        if (w->failed)
                return err_setf(err, w->failed, "write blob: %s", strerror(-w->failed));
        digester_final(&w->d, got);
        if (expect && strcmp(expect, got) != 0) {
                unlinkat(w->s->ingestfd, w->name, 0); /* never resume from wrong bytes */
                w->name[0] = '\0';
                return err_setf(err, -EBADMSG, "blob digest mismatch: expected %s, got %s", expect,
                                got);
        }
        r = writer_place(w, digest_hex(got), &created, err);
        if (r < 0)
                return r;
        w->name[0] = '\0';
        if (ret_digest)
                memcpy(ret_digest, got, DIGEST_STR_SIZE);
        if (ret_size)
                *ret_size = size;
        if (ret_created)
                *ret_created = created;
        return 0;
}

struct store_writer *
store_writer_free(struct store_writer *w)
{
        if (!w)
                return NULL;
        /* an empty resumable file has nothing to resume */
        if (w->name[0] && (!w->keep || w->d.bytes == 0))
                unlinkat(w->s->ingestfd, w->name, 0);
        close(w->fd);
        free(w);
        return NULL;
}

int
store_blob_write(struct store *s, const void *data, size_t len, char *ret_digest, struct err *err)
{
        struct store_writer *w;
        int r = store_writer_new(s, &w, err);

        if (r < 0)
                return r;
        r = store_writer_write(w, data, len, err);
        if (r == 0)
                r = store_writer_commit(w, NULL, ret_digest, NULL, NULL, err);
        store_writer_free(w);
        return r;
}

int
store_blob_verify(struct store *s, const char *digest, uint64_t *ret_size, struct err *err)
{
        cleanup_close int fd = -1;
        char got[DIGEST_STR_SIZE];
        int r = store_blob_open(s, digest, &fd, NULL, err);

        if (r < 0)
                return r;
        r = digest_fd(fd, digest, got, ret_size, err);
        if (r < 0)
                return r;
        if (strcmp(got, digest) != 0)
                return err_setf(err, -EBADMSG, "blob %s: content does not match its digest",
                                digest);
        return 0;
}

/* ---- holds ---- */

int
store_hold(struct store *s, const char *holder, const char *image_id, int durable,
           struct err *err)
{
        cleanup_free char *p = xasprintf("%s/holds/%s", s->dir, holder);
        cleanup_free char *body = xasprintf("%s\n", image_id);
        int r = store_check_holder(holder, err);

        if (r == 0)
                r = check_digest(image_id, err);
        if (r < 0)
                return r;
        return durable ? fs_write_atomic(p, body, strlen(body), 0644, err)
                       : fs_write_replace(p, body, strlen(body), 0644, err);
}

int
store_unhold(struct store *s, const char *holder, struct err *err)
{
        cleanup_free char *p = xasprintf("holds/%s", holder);
        int r = store_check_holder(holder, err);

        if (r < 0)
                return r;
        if (unlinkat(s->dirfd, p, 0) < 0 && errno != ENOENT)
                return err_setf(err, -errno, "remove hold '%s': %s", holder, strerror(errno));
        return 0;
}

int
store_holds_of(struct store *s, const char *image_id, struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/holds", s->dir);
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        if (!d)
                return err_setf(err, -errno, "read '%s': %s", dir, strerror(errno));
        while ((de = readdir(d))) {
                cleanup_free char *p = NULL, *buf = NULL;

                if (de->d_name[0] == '.')
                        continue;
                p = xasprintf("%s/%s", dir, de->d_name);
                if (fs_read_capped(p, 256, &buf, NULL, NULL) < 0)
                        continue;
                buf[strcspn(buf, "\n")] = '\0';
                n += strcmp(buf, image_id) == 0;
        }
        closedir(d);
        return n;
}

#define RESUMABLE_MAX_AGE (7 * 24 * 3600) /* seconds an unclaimed partial blob is kept */

/* rehash: digest what an earlier writer left in w's file; the offset ends at its end. */
static int
rehash(struct store_writer *w, struct err *err)
{
        cleanup_free char *buf = xmalloc(1u << 20);
        ssize_t n;

        while ((n = read(w->fd, buf, 1u << 20)) > 0)
                digester_update(&w->d, buf, (size_t)n);
        if (n < 0)
                return err_setf(err, -errno, "read partial blob '%s': %s", w->name,
                                strerror(errno));
        w->kicked = w->d.bytes;
        return 0;
}

int
store_writer_resume(struct store *s, const char *name, struct store_writer **ret,
                    uint64_t *ret_offset, struct err *err)
{
        struct store_writer *w;
        int fd, r;

        if (!*name || strlen(name) >= sizeof(w->name) || strchr(name, '/') || name[0] == '.' ||
            (name[0] >= '0' && name[0] <= '9'))
                return err_setf(err, -EINVAL, "invalid ingest name '%s'", name);
        fd = openat(s->ingestfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return err_setf(err, -errno, "open '%s/ingest/%s': %s", s->dir, name,
                                strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                close(fd);
                return err_setf(err, r, "blob '%s' is being written by another process", name);
        }
        w = xcalloc(1, sizeof(*w));
        w->s = s;
        w->fd = fd;
        w->keep = true;
        snprintf(w->name, sizeof(w->name), "%s", name);
        digester_init(&w->d);
        r = rehash(w, err);
        if (r < 0) {
                store_writer_free(w);
                return r;
        }
        *ret = w;
        *ret_offset = w->d.bytes;
        return 0;
}

int
store_writer_reset(struct store_writer *w, struct err *err)
{
        if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
                return err_setf(err, -errno, "reset blob '%s': %s", w->name, strerror(errno));
        digester_init(&w->d);
        w->kicked = 0;
        w->failed = 0;
        return 0;
}

/* sweep_resumable: remove a resumable partial blob nobody holds that is older than a week. */
static void
sweep_resumable(struct store *s, const char *name)
{
        cleanup_close int fd = openat(s->ingestfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;

        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0)
                return;
        if (time(NULL) - st.st_mtime > RESUMABLE_MAX_AGE)
                unlinkat(s->ingestfd, name, 0);
}

/* An ingest file is named "<pid>-…" by the process writing it: a name whose process is gone
 * was left by a killed writer and is never renamed into place. Resumable files (named by
 * their users, not starting with a digit) stay for the next writer, up to a week. */
void
store_ingest_sweep(struct store *s)
{
        int fd = openat(s->ingestfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);

                if (de->d_name[0] == '.')
                        continue;
                if (end == de->d_name) {
                        sweep_resumable(s, de->d_name);
                        continue;
                }
                if (*end != '-' || pid <= 0)
                        continue;
                if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
                        unlinkat(s->ingestfd, de->d_name, 0);
        }
        closedir(d);
}
