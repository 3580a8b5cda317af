/* store_layers: unpacked layers keyed by chain ID, garbage collection and the store check.
 *
 * A layer is unpacked into <root>/layers/.tmp-<unique>/diff, described by layer.json next to
 * it, the filesystem is synced, and the directory renamed to <root>/layers/<chain-hex>: a
 * layer dir that exists is complete. A per-layer flock ("<chain-hex>.lock") makes concurrent
 * unpackers of the same layer wait for each other instead of doing the work twice.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/jsonx.h"
#include "engine/store.h"

char *
store_layer_diff_path(const struct store *s, const char *chain_id)
{
        return xasprintf("%s/%s/diff", s->layers, digest_hex(chain_id));
}

static int
parse_layer(const char *buf, size_t len, struct store_layer *ret, struct err *err)
{
        json_object *o = NULL;
        const char *chain, *diff, *parent;
        int r = jsonx_parse(buf, len, 65536, "layer record", &o, err);

        if (r < 0)
                return r;
        chain = jsonx_str(o, "chain_id");
        diff = jsonx_str(o, "diff_id");
        parent = jsonx_str(o, "parent");
        if (!digest_valid(chain) || !digest_valid(diff) || (parent && !digest_valid(parent))) {
                json_object_put(o);
                return err_setf(err, -EINVAL, "layer record: missing or invalid digests");
        }
        *ret = (struct store_layer){ .size = (uint64_t)jsonx_int(o, "size", 0),
                                     .tar_size = (uint64_t)jsonx_int(o, "tar_size", 0) };
        memcpy(ret->chain_id, chain, DIGEST_STR_SIZE);
        memcpy(ret->diff_id, diff, DIGEST_STR_SIZE);
        if (parent)
                memcpy(ret->parent, parent, DIGEST_STR_SIZE);
        json_object_put(o);
        return 0;
}

int
store_layer_get(struct store *s, const char *chain_id, struct store_layer *ret, struct err *err)
{
        cleanup_free char *p = NULL, *buf = NULL;
        size_t len;
        int r;

        if (!digest_valid(chain_id))
                return err_setf(err, -EINVAL, "invalid chain ID '%s'", chain_id);
        p = xasprintf("%s/%s/layer.json", s->layers, digest_hex(chain_id));
        r = fs_read_capped(p, 65536, &buf, &len, err);
        if (r < 0)
                return r == -ENOENT ? err_setf(err, r, "layer %s is not unpacked", chain_id) : r;
        return parse_layer(buf, len, ret, err);
}

static int
write_layer_json(const char *dir, const struct store_layer *l, struct err *err)
{
        cleanup_free char *p = xasprintf("%s/layer.json", dir);
        cleanup_free char *text = NULL;
        json_object *o = json_object_new_object();

        jsonx_add_str(o, "chain_id", l->chain_id);
        jsonx_add_str(o, "diff_id", l->diff_id);
        if (l->parent[0])
                jsonx_add_str(o, "parent", l->parent);
        jsonx_add_int(o, "size", (int64_t)l->size);
        jsonx_add_int(o, "tar_size", (int64_t)l->tar_size);
        text = jsonx_string(o, NULL);
        json_object_put(o);
        return fs_write_atomic(p, text, strlen(text), 0644, err);
}

/* A layer being unpacked: the temp dir and its diff/ fd. */
struct tmp_layer {
        char name[64];
        char *path;
        int difffd;
};

static int
tmp_layer_new(struct store *s, struct tmp_layer *t, struct err *err)
{
        cleanup_free char *diff = NULL;
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(t->name, sizeof(t->name), ".tmp-%d-%ld-%ld", (int)getpid(), (long)ts.tv_sec,
                 ts.tv_nsec);
        t->path = xasprintf("%s/%s", s->layers, t->name);
        t->difffd = -1;
        diff = xasprintf("%s/diff", t->path);
        if (mkdirat(s->layersfd, t->name, 0700) < 0 || mkdir(diff, 0755) < 0)
                return err_setf(err, -errno, "create layer dir '%s': %s", t->path, strerror(errno));
        t->difffd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->difffd < 0)
                return err_setf(err, -errno, "open '%s': %s", diff, strerror(errno));
        return 0;
}

static void
tmp_layer_release(struct store *s, struct tmp_layer *t)
{
        if (t->difffd >= 0)
                close(t->difffd);
        if (t->path && t->name[0])
                layer_remove_tree(s->layersfd, t->name, NULL);
        free(t->path);
        t->path = NULL;
}

static int
lock_layer(struct store *s, const char *chain_id, struct err *err)
{
        cleanup_free char *name = xasprintf("%s.lock", digest_hex(chain_id));
        int fd = openat(s->layersfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

        if (fd < 0)
                return err_setf(err, -errno, "lock layer %s: %s", chain_id, strerror(errno));
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        int r = -errno;

                        close(fd);
                        return err_setf(err, r, "lock layer %s: %s", chain_id, strerror(-r));
                }
        return fd;
}

/* publish: sync the unpacked tree and rename it into place (unless someone was faster). */
static int
publish(struct store *s, struct tmp_layer *t, struct store_layer *l, struct err *err)
{
        const char *hex = digest_hex(l->chain_id);
        int r = write_layer_json(t->path, l, err);

        if (r < 0)
                return r;
        if (syncfs(s->layersfd) < 0)
                return err_setf(err, -errno, "sync layers: %s", strerror(errno));
        if (renameat(s->layersfd, t->name, s->layersfd, hex) < 0) {
                if (errno != EEXIST && errno != ENOTEMPTY)
                        return err_setf(err, -errno, "store layer %s: %s", l->chain_id,
                                        strerror(errno));
                return 0; /* already there: tmp_layer_release removes ours */
        }
        t->name[0] = '\0';
        return 0;
}

static void
fill_layer(struct store_layer *l, const char *parent, const struct layer_stats *st)
{
        *l = (struct store_layer){ .size = st->content_bytes, .tar_size = st->tar_bytes };
        memcpy(l->diff_id, st->diff_id, DIGEST_STR_SIZE);
        digest_chain(parent, st->diff_id, l->chain_id);
        if (parent)
                snprintf(l->parent, sizeof(l->parent), "%s", parent);
}

struct store_pending {
        char blob[DIGEST_STR_SIZE];
        char diff_id[DIGEST_STR_SIZE];
        struct tmp_layer t;
        uint64_t size, tar_size;
};

/* publish_pending: a tree prefetched from this blob, when there is one (1), else 0. */
static int
publish_pending(struct store *s, const char *parent, const char *diff_id, const char *blob,
                struct store_layer *ret, struct err *err)
{
        struct store_pending p;
        struct layer_stats st = { 0 };
        size_t i;
        int r;

        for (i = 0; i < s->npending && strcmp(s->pending[i].blob, blob) != 0; i++)
                ;
        if (i == s->npending)
                return 0;
        p = s->pending[i];
        s->pending[i] = s->pending[--s->npending];
        if (strcmp(p.diff_id, diff_id) != 0)
                r = err_setf(err, -EBADMSG, "layer %s uncompresses to %s, not to its diff ID %s",
                             blob, p.diff_id, diff_id);
        else {
                st.content_bytes = p.size;
                st.tar_bytes = p.tar_size;
                memcpy(st.diff_id, diff_id, DIGEST_STR_SIZE);
                fill_layer(ret, parent, &st);
                r = publish(s, &p.t, ret, err);
        }
        tmp_layer_release(s, &p.t);
        return r < 0 ? r : 1;
}

static int
unpack_locked(struct store *s, const char *parent, const char *diff_id, const char *blob,
              struct store_layer *ret, struct err *err)
{
        struct tmp_layer t = { 0 };
        cleanup_close int fd = -1;
        /* the blob was verified when stored; a blob that is its own diff ID needs no hashing */
        struct layer_opts o = { .mode = LAYER_MODE_OVERLAY,
                                .flags = LAYER_NO_BLOB_DIGEST |
                                         (strcmp(blob, diff_id) == 0 ? LAYER_NO_DIFF_ID : 0) };
        struct layer_stats st;
        int r = publish_pending(s, parent, diff_id, blob, ret, err);

        if (r != 0)
                return r < 0 ? r : 0;
        r = store_blob_open(s, blob, &fd, NULL, err);
        if (r == 0)
                r = tmp_layer_new(s, &t, err);
        if (r == 0)
                r = layer_apply_fd(t.difffd, fd, &o, &st, err);
        if (r == 0 && (o.flags & LAYER_NO_DIFF_ID))
                memcpy(st.diff_id, diff_id, DIGEST_STR_SIZE);
        if (r == 0 && strcmp(st.diff_id, diff_id) != 0)
                r = err_setf(err, -EBADMSG, "layer %s uncompresses to %s, not to its diff ID %s",
                             blob, st.diff_id, diff_id);
        if (r == 0) {
                fill_layer(ret, parent, &st);
                r = publish(s, &t, ret, err);
        }
        tmp_layer_release(s, &t);
        return r;
}

int
store_layer_unpack(struct store *s, const char *parent, const char *diff_id, const char *blob,
                   struct store_layer *ret, struct err *err)
{
        char chain[DIGEST_STR_SIZE];
        int lockfd, r;

        digest_chain(parent, diff_id, chain);
        if (store_layer_get(s, chain, ret, NULL) == 0)
                return 0;
        r = store_pin(s, err);
        if (r < 0)
                return r;
        lockfd = lock_layer(s, chain, err);
        r = lockfd;
        if (lockfd >= 0) {
                r = store_layer_get(s, chain, ret, NULL);
                if (r < 0)
                        r = unpack_locked(s, parent, diff_id, blob, ret, err);
                close(lockfd);
        }
        store_unpin(s);
        return r < 0 ? r : 0;
}

/* adopt_locked: move dir into a temp layer dir as its diff/, then publish it like an unpack. */
static int
adopt_locked(struct store *s, const char *dir, struct store_layer *l, struct err *err)
{
        struct tmp_layer t = { 0 };
        cleanup_free char *diff = NULL;
        struct timespec ts;
        int r;

        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(t.name, sizeof(t.name), ".tmp-%d-%ld-%ld", (int)getpid(), (long)ts.tv_sec,
                 ts.tv_nsec);
        t.path = xasprintf("%s/%s", s->layers, t.name);
        t.difffd = -1;
        diff = xasprintf("%s/diff", t.path);
        if (mkdirat(s->layersfd, t.name, 0700) < 0)
                r = err_setf(err, -errno, "create layer dir '%s': %s", t.path, strerror(errno));
        else if (rename(dir, diff) < 0)
                r = err_setf(err, -errno, "move '%s' into the layer store: %s", dir,
                             strerror(errno));
        else
                r = publish(s, &t, l, err);
        tmp_layer_release(s, &t);
        return r;
}

/* remove_dir: drop an adopted dir that turned out not to be needed */
static int
remove_dir(const char *dir, struct err *err)
{
        cleanup_free char *parent = path_dirname(dir), *base = path_basename(dir);
        cleanup_close int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return err_setf(err, -errno, "open '%s': %s", parent, strerror(errno));
        return layer_remove_tree(fd, base, err);
}

int
store_layer_adopt(struct store *s, const char *parent, const char *dir,
                  const struct layer_stats *st, struct store_layer *ret, struct err *err)
{
        int lockfd, r;

        fill_layer(ret, parent, st);
        if (store_layer_get(s, ret->chain_id, ret, NULL) == 0)
                return remove_dir(dir, err);
        lockfd = lock_layer(s, ret->chain_id, err);
        if (lockfd < 0)
                return lockfd;
        r = store_layer_get(s, ret->chain_id, ret, NULL);
        if (r < 0)
                r = adopt_locked(s, dir, ret, err);
        else
                r = remove_dir(dir, err);
        close(lockfd);
        return r;
}

/* A thread that hashes and writes the blob while the caller unpacks: the two halves of an
 * import each take about as long, and machines have more than one CPU. */
struct bg_writer {
        struct store_writer *w;
        int rfd, wfd;
        pthread_t th;
        int r;
};

static void *
bg_main(void *arg)
{
        struct bg_writer *bg = arg;
        char *buf = xmalloc(1 << 20);

        for (;;) {
                ssize_t n = read(bg->rfd, buf, 1 << 20);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n < 0 && !bg->r)
                                bg->r = -errno;
                        break;
                }
                if (!bg->r)
                        bg->r = store_writer_write(bg->w, buf, (size_t)n, NULL);
        }
        free(buf);
        return NULL;
}

static int
write_all(int fd, const void *data, size_t n)
{
        const char *p = data;

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

static int
bg_sink(void *ctx, const void *data, size_t n)
{
        return write_all(((struct bg_writer *)ctx)->wfd, data, n);
}

/* pipe_thread: a pipe whose ends are stored in *rfd and *wfd before fn starts reading *rfd. */
static int
pipe_thread(int *rfd, int *wfd, pthread_t *th, void *(*fn)(void *), void *arg, struct err *err)
{
        int fds[2], r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return err_setf(err, -errno, "pipe: %s", strerror(errno));
        fcntl(fds[1], F_SETPIPE_SZ, 1 << 20); /* fewer wakeups; the default works too */
        *rfd = fds[0];
        *wfd = fds[1];
        r = pthread_create(th, NULL, fn, arg);
        if (r != 0) {
                close(fds[0]);
                close(fds[1]);
                *rfd = *wfd = -1;
                return err_setf(err, -r, "start thread: %s", strerror(r));
        }
        return 0;
}

static int
bg_join(struct bg_writer *bg)
{
        close(bg->wfd);
        pthread_join(bg->th, NULL);
        close(bg->rfd);
        return bg->r;
}

int
store_layer_ingest(struct store *s, const char *parent, layer_read_fn rd, void *ctx,
                   struct store_layer *ret, struct err *err)
{
        struct tmp_layer t = { 0 };
        struct store_writer *w = NULL;
        /* the blob writer hashes the uncompressed tar: that digest is the diff ID */
        struct layer_opts o = { .mode = LAYER_MODE_OVERLAY,
                                .tee = bg_sink,
                                .tee_tar = true,
                                .flags = LAYER_NO_BLOB_DIGEST | LAYER_NO_DIFF_ID };
        struct bg_writer bg = { 0 };
        struct layer_stats st;
        int wr, lockfd = -1, r = store_writer_new(s, &w, err);

        bg.w = w;
        o.tee_ctx = &bg;
        if (r == 0)
                r = tmp_layer_new(s, &t, err);
        if (r == 0)
                r = pipe_thread(&bg.rfd, &bg.wfd, &bg.th, bg_main, &bg, err);
        if (r == 0) {
                r = layer_apply(t.difffd, rd, ctx, &o, &st, err);
                wr = bg_join(&bg);
                if (r == 0 && wr < 0)
                        r = err_setf(err, wr, "write layer blob: %s", strerror(-wr));
        }
        if (r == 0)
                r = store_writer_commit(w, NULL, st.diff_id, NULL, NULL, err);
        if (r == 0) {
                fill_layer(ret, parent, &st);
                r = lockfd = lock_layer(s, ret->chain_id, err);
        }
        if (r >= 0 && store_layer_get(s, ret->chain_id, ret, NULL) < 0)
                r = publish(s, &t, ret, err);
        if (lockfd >= 0)
                close(lockfd);
        tmp_layer_release(s, &t);
        store_writer_free(w);
        return r < 0 ? r : 0;
}

/* ---- prefetch ---- */

struct store_prefetch {
        int rfd, wfd;
        pthread_t th;
        struct tmp_layer t;
        struct layer_stats st;
        struct err err;
        int r;
        bool failed; /* feeding stopped */
};

static void *
prefetch_main(void *arg)
{
        struct store_prefetch *p = arg;
        struct layer_opts o = { .mode = LAYER_MODE_OVERLAY,
                                .flags = LAYER_NO_BLOB_DIGEST | LAYER_DIFF_ID_IF_COMPRESSED };
        char buf[65536];

        p->r = layer_apply_fd(p->t.difffd, p->rfd, &o, &p->st, &p->err);
        for (;;) { /* after a failure, keep reading so that the feeder never blocks */
                ssize_t n = read(p->rfd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
        }
        return NULL;
}

int
store_prefetch_start(struct store *s, struct store_prefetch **ret, struct err *err)
{
        struct store_prefetch *p = xcalloc(1, sizeof(*p));
        int r = tmp_layer_new(s, &p->t, err);

        if (r == 0)
                r = pipe_thread(&p->rfd, &p->wfd, &p->th, prefetch_main, p, err);
        if (r < 0) {
                tmp_layer_release(s, &p->t);
                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

void
store_prefetch_feed(struct store_prefetch *p, const void *data, size_t n)
{
        if (p && !p->failed && write_all(p->wfd, data, n) < 0)
                p->failed = true;
}

void
store_prefetch_finish(struct store *s, struct store_prefetch *p, const char *blob)
{
        struct store_pending *pe;

        if (!p)
                return;
        close(p->wfd);
        pthread_join(p->th, NULL);
        close(p->rfd);
        if (!blob || p->r < 0 || p->failed) {
                tmp_layer_release(s, &p->t);
                free(p);
                return;
        }
        s->pending = xreallocarray(s->pending, s->npending + 1, sizeof(*s->pending));
        pe = &s->pending[s->npending++];
        *pe = (struct store_pending){ .t = p->t,
                                      .size = p->st.content_bytes,
                                      .tar_size = p->st.tar_bytes };
        snprintf(pe->blob, sizeof(pe->blob), "%s", blob);
        snprintf(pe->diff_id, sizeof(pe->diff_id), "%s", p->st.compressed ? p->st.diff_id : blob);
        free(p);
}

void
store_prefetch_discard(struct store *s)
{
        for (size_t i = 0; i < s->npending; i++)
                tmp_layer_release(s, &s->pending[i].t);
        free(s->pending);
        s->pending = NULL;
        s->npending = 0;
}
