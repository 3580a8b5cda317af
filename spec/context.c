/* context: the build-context walker (openat/fdopendir from one directory fd per level, no
 * symlink ever followed: every stat is AT_SYMLINK_NOFOLLOW, every open O_NOFOLLOW), the
 * content/tree digests described in context.h, and the persistent stat cache.
 *
 * Cache file format (text, one file per line, written atomically):
 *   berth-context-cache 1
 *   <sha256 hex> <size> <mtime s>.<ns> <ctime s>.<ns> <dev> <ino> <path, %XX-escaped>
 */
#include "context.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"

#define CACHE_MAGIC "berth-context-cache 1\n"
#define READ_CHUNK  (1u << 20)

/* --- a string -> index hash map (open addressing) --- */

struct pmap {
        const char **keys;
        size_t *vals;
        size_t cap, n;
};

static uint64_t
hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static void pmap_put(struct pmap *m, const char *key, size_t val);

static void
pmap_grow(struct pmap *m)
{
        struct pmap old = *m;

        m->cap = old.cap ? old.cap * 2 : 64;
        m->keys = xcalloc(m->cap, sizeof(*m->keys));
        m->vals = xcalloc(m->cap, sizeof(*m->vals));
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++)
                if (old.keys[i])
                        pmap_put(m, old.keys[i], old.vals[i]);
        free(old.keys);
        free(old.vals);
}

/* keys are borrowed: they must outlive the map */
static void
pmap_put(struct pmap *m, const char *key, size_t val)
{
        size_t i;

        if ((m->n + 1) * 2 > m->cap)
                pmap_grow(m);
        for (i = hash_str(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
                if (strcmp(m->keys[i], key) == 0) {
                        m->vals[i] = val;
                        return;
                }
        }
        m->keys[i] = key;
        m->vals[i] = val;
        m->n++;
}

static bool
pmap_get(const struct pmap *m, const char *key, size_t *ret)
{
        if (!m->cap)
                return false;
        for (size_t i = hash_str(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
                if (strcmp(m->keys[i], key) == 0) {
                        *ret = m->vals[i];
                        return true;
                }
        }
        return false;
}

static void
pmap_release(struct pmap *m)
{
        free(m->keys);
        free(m->vals);
        memset(m, 0, sizeof(*m));
}

/* --- the stat cache --- */

struct centry {
        char *path;
        uint64_t size, dev, ino;
        struct timespec mtime, ctime;
        uint8_t digest[SHA256_DIGEST_SIZE];
        bool seen;
};

struct cache {
        struct centry *e;
        size_t n;
        struct pmap idx;
        bool dirty;
};

static void
cache_release(struct cache *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->e[i].path);
        free(c->e);
        pmap_release(&c->idx);
        memset(c, 0, sizeof(*c));
}

static int
hexval(char ch)
{
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        return -1;
}

static bool
parse_u64(const char **p, char end, uint64_t *ret)
{
        uint64_t v = 0;
        const char *s = *p;

        if (*s < '0' || *s > '9')
                return false;
        for (; *s >= '0' && *s <= '9'; s++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return false;
                v = v * 10 + (uint64_t)(*s - '0');
        }
        if (*s != end)
                return false;
        *p = s + 1;
        *ret = v;
        return true;
}

static bool
parse_time(const char **p, struct timespec *ts)
{
        uint64_t s, ns;

        if (!parse_u64(p, '.', &s) || !parse_u64(p, ' ', &ns) || ns >= 1000000000ULL ||
            s > INT64_MAX)
                return false;
        ts->tv_sec = (time_t)s;
        ts->tv_nsec = (long)ns;
        return true;
}

static char *
unescape(const char *s)
{
        struct sbuf sb = SBUF_INIT;

        for (; *s; s++) {
                if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
                        sbuf_addch(&sb, (char)(hexval(s[1]) * 16 + hexval(s[2])));
                        s += 2;
                } else {
                        sbuf_addch(&sb, *s);
                }
        }
        return sbuf_detach(&sb);
}

static bool
parse_line(const char *line, struct centry *e)
{
        const char *p = line + 2 * SHA256_DIGEST_SIZE + 1;

        memset(e, 0, sizeof(*e));
        if (strlen(line) <= 2 * SHA256_DIGEST_SIZE || line[2 * SHA256_DIGEST_SIZE] != ' ')
                return false;
        for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
                int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);

                if (hi < 0 || lo < 0)
                        return false;
                e->digest[i] = (uint8_t)(hi * 16 + lo);
        }
        if (!parse_u64(&p, ' ', &e->size) || !parse_time(&p, &e->mtime) ||
            !parse_time(&p, &e->ctime) || !parse_u64(&p, ' ', &e->dev) ||
            !parse_u64(&p, ' ', &e->ino) || !*p)
                return false;
        e->path = unescape(p);
        return true;
}

static void
cache_add(struct cache *c, struct centry *e)
{
        size_t i;

        if (pmap_get(&c->idx, e->path, &i)) {
                char *keep = c->e[i].path; /* the map's key points at it */

                free(e->path);
                c->e[i] = *e;
                c->e[i].path = keep;
                return;
        }
        c->e = xreallocarray(c->e, c->n + 1, sizeof(*c->e));
        c->e[c->n] = *e;
        pmap_put(&c->idx, c->e[c->n].path, c->n);
        c->n++;
}

/* a missing, unreadable, oversized or malformed cache is simply empty */
static void
cache_load(struct cache *c, const char *path)
{
        cleanup_free char *text = NULL;
        size_t len;
        char *line, *nl;

        if (!path || fs_read_capped(path, CONTEXT_MAX_CACHE, &text, &len, NULL) < 0)
                return;
        if (strncmp(text, CACHE_MAGIC, strlen(CACHE_MAGIC)) != 0)
                return;
        for (line = text + strlen(CACHE_MAGIC); *line; line = nl + 1) {
                struct centry e;

                nl = strchr(line, '\n');
                if (!nl || c->n >= CONTEXT_MAX_ENTRIES)
                        break;
                *nl = '\0';
                if (!parse_line(line, &e)) {
                        cache_release(c);
                        return;
                }
                cache_add(c, &e);
        }
}

static void
escape_path(struct sbuf *sb, const char *p)
{
        for (; *p; p++) {
                unsigned char ch = (unsigned char)*p;

                if (ch <= ' ' || ch == '%' || ch == 0x7f)
                        sbuf_addf(sb, "%%%02x", ch);
                else
                        sbuf_addch(sb, (char)ch);
        }
}

static int
cache_save(struct cache *c, const char *path, struct err *err)
{
        cleanup_sbuf struct sbuf sb = SBUF_INIT;

        sbuf_adds(&sb, CACHE_MAGIC);
        for (size_t i = 0; i < c->n; i++) {
                const struct centry *e = &c->e[i];
                char hex[SHA256_HEX_SIZE];

                if (!e->seen)
                        continue;
                sha256_hex(e->digest, hex);
                sbuf_addf(&sb, "%s %" PRIu64 " %lld.%09ld %lld.%09ld %" PRIu64 " %" PRIu64 " ", hex,
                          e->size, (long long)e->mtime.tv_sec, e->mtime.tv_nsec,
                          (long long)e->ctime.tv_sec, e->ctime.tv_nsec, e->dev, e->ino);
                escape_path(&sb, e->path);
                sbuf_addch(&sb, '\n');
        }
        return fs_write_atomic(path, sb.buf, sb.len, 0600, err);
}

/* --- digests --- */

static void
entry_digest(const struct sha256 *proto, struct context_entry *e)
{
        static const char tag[] = "berth-context-entry-v1";
        struct sha256 h = *proto;
        char meta[96];
        int n = snprintf(meta, sizeof(meta), "%c %o %u %u", (char)e->type, (unsigned)e->mode,
                         (unsigned)e->uid, (unsigned)e->gid);

        sha256_update(&h, tag, sizeof(tag));
        sha256_update(&h, meta, (size_t)n + 1);
        sha256_update(&h, e->content, SHA256_DIGEST_SIZE);
        sha256_final(&h, e->digest);
}

/* --- the walk --- */

struct walker {
        struct context *c;
        const struct context_opts *o;
        struct cache cache;
        uint8_t *buf;
        struct timespec start; /* coarse clock at the start: newer files are not cached */
        struct sha256 proto;   /* an initialised context to copy (sha256_init is not free) */
        struct err *err;
};

static struct context_entry *
add_entry(struct walker *w, const char *path, const struct stat *st, enum context_type type,
          size_t *ret_idx)
{
        struct context *c = w->c;
        struct context_entry *e;

        c->entries = xreallocarray(c->entries, c->n + 1, sizeof(*c->entries));
        e = &c->entries[c->n];
        memset(e, 0, sizeof(*e));
        e->path = xstrdup(path);
        e->type = type;
        e->mode = st->st_mode & 07777;
        e->uid = st->st_uid;
        e->gid = st->st_gid;
        e->size = type == CONTEXT_FILE ? (uint64_t)st->st_size : 0;
        if (ret_idx)
                *ret_idx = c->n;
        c->n++;
        return e;
}

static bool
same_time(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool
before(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int
read_digest(struct walker *w, int dfd, const char *name, const char *path, struct stat *st,
            uint8_t out[SHA256_DIGEST_SIZE])
{
        cleanup_close int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        struct sha256 h = w->proto;
        struct stat after;

        if (fd < 0)
                return err_setf(w->err, -errno, "open '%s' in the build context: %s", path,
                                strerror(errno));
        for (;;) {
                ssize_t n = read(fd, w->buf, READ_CHUNK);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_setf(w->err, -errno, "read '%s' in the build context: %s", path,
                                        strerror(errno));
                if (n == 0)
                        break;
                sha256_update(&h, w->buf, (size_t)n);
                w->c->stats.bytes_hashed += (uint64_t)n;
        }
        sha256_final(&h, out);
        w->c->stats.files_hashed++;
        /* what we read is what fstat now describes, or the file moved under us */
        if (fstat(fd, &after) < 0 || after.st_size != st->st_size ||
            !same_time(&after.st_mtim, &st->st_mtim))
                st->st_mtim = w->start; /* never cacheable */
        return 0;
}

static int
file_digest(struct walker *w, int dfd, const char *name, struct context_entry *e, struct stat *st)
{
        struct centry ce = { 0 };
        size_t i;
        int r;

        if (pmap_get(&w->cache.idx, e->path, &i)) {
                struct centry *c = &w->cache.e[i];

                if (c->size == (uint64_t)st->st_size && same_time(&c->mtime, &st->st_mtim) &&
                    same_time(&c->ctime, &st->st_ctim) && c->ino == st->st_ino &&
                    c->dev == st->st_dev) {
                        memcpy(e->content, c->digest, SHA256_DIGEST_SIZE);
                        c->seen = true;
                        w->c->stats.files_cached++;
                        return 0;
                }
        }
        r = read_digest(w, dfd, name, e->path, st, e->content);
        if (r < 0 || !w->o->cache)
                return r;
        if (!before(&st->st_mtim, &w->start) || !before(&st->st_ctim, &w->start))
                return 0;
        ce.path = xstrdup(e->path);
        ce.size = (uint64_t)st->st_size;
        ce.mtime = st->st_mtim;
        ce.ctime = st->st_ctim;
        ce.dev = st->st_dev;
        ce.ino = st->st_ino;
        ce.seen = true;
        memcpy(ce.digest, e->content, SHA256_DIGEST_SIZE);
        cache_add(&w->cache, &ce);
        w->cache.dirty = true;
        return 0;
}

static void
digest_of(const struct walker *w, const void *data, size_t n, uint8_t out[SHA256_DIGEST_SIZE])
{
        struct sha256 h = w->proto;

        sha256_update(&h, data, n);
        sha256_final(&h, out);
}

static int
leaf_entry(struct walker *w, int dfd, const char *name, const char *path, struct stat *st,
           size_t *ret_idx)
{
        enum context_type t = S_ISREG(st->st_mode)   ? CONTEXT_FILE
                              : S_ISLNK(st->st_mode) ? CONTEXT_SYMLINK
                                                     : CONTEXT_OTHER;
        struct context_entry *e = add_entry(w, path, st, t, ret_idx);
        char target[4096];
        ssize_t n;

        switch (t) {
        case CONTEXT_FILE:
                return file_digest(w, dfd, name, e, st);
        case CONTEXT_SYMLINK:
                n = readlinkat(dfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return err_setf(w->err, -errno, "readlink '%s' in the build context: %s",
                                        path, strerror(errno));
                target[n] = '\0';
                e->link = xstrdup(target);
                digest_of(w, target, (size_t)n, e->content);
                return 0;
        default: {
                char what[64];
                int len = snprintf(what, sizeof(what), "%o %ju", (unsigned)(st->st_mode & S_IFMT),
                                   (uintmax_t)st->st_rdev);

                digest_of(w, what, (size_t)len, e->content);
                return 0;
        }
        }
}

static int
cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names in a directory, sorted; dfd stays open (the listing uses a dup) */
static int
list_dir(struct walker *w, int dfd, const char *path, char ***ret)
{
        int fd = dup(dfd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        char **names = NULL;
        struct dirent *de;
        size_t n = 0;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return err_setf(w->err, -errno, "open directory '%s' in the build context: %s",
                                *path ? path : ".", strerror(errno));
        }
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (w->c->n + ++n > CONTEXT_MAX_ENTRIES) {
                        closedir(d);
                        strv_free(names);
                        return err_setf(w->err, -EFBIG, "build context has more than %u entries",
                                        CONTEXT_MAX_ENTRIES);
                }
                strv_add(&names, de->d_name);
        }
        closedir(d);
        if (names)
                qsort(names, n, sizeof(char *), cmp_names);
        *ret = names;
        return 0;
}

static int walk_dir(struct walker *w, int dfd, const char *rel, int depth,
                    uint8_t tree[SHA256_DIGEST_SIZE], size_t *ret_count);

/* a subdirectory: listed when it is included or holds something included */
static int
sub_dir(struct walker *w, int dfd, const char *name, const char *path, struct stat *st,
        bool excluded, int depth, size_t *ret_idx)
{
        cleanup_close int sub = -1;
        size_t idx, count = 0;
        uint8_t tree[SHA256_DIGEST_SIZE];
        int r;

        if (excluded && !dockerignore_has_exceptions(w->o->ignore))
                return 0;
        sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
                return err_setf(w->err, -errno, "open directory '%s' in the build context: %s",
                                path, strerror(errno));
        add_entry(w, path, st, CONTEXT_DIR, &idx);
        r = walk_dir(w, sub, path, depth, tree, &count);
        if (r < 0)
                return r;
        if (excluded && count == 0) {
                free(w->c->entries[idx].path);
                w->c->n = idx;
                return 0;
        }
        memcpy(w->c->entries[idx].content, tree, SHA256_DIGEST_SIZE);
        *ret_idx = idx;
        return 1;
}

static int
walk_entry(struct walker *w, int dfd, const char *name, const char *rel, int depth,
           struct sha256 *tree)
{
        cleanup_free char *path = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
        bool excluded = false;
        struct stat st;
        size_t idx = SIZE_MAX;
        int r;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0; /* removed while we walked */
                return err_setf(w->err, -errno, "stat '%s' in the build context: %s", path,
                                strerror(errno));
        }
        r = dockerignore_excluded(w->o->ignore, path, &excluded, w->err);
        if (r < 0)
                return r;
        if (S_ISDIR(st.st_mode)) {
                if (depth + 1 > CONTEXT_MAX_DEPTH)
                        return err_setf(w->err, -EFBIG,
                                        "'%s': build context nested more than "
                                        "%d directories deep",
                                        path, CONTEXT_MAX_DEPTH);
                r = sub_dir(w, dfd, name, path, &st, excluded, depth + 1, &idx);
        } else if (!excluded) {
                r = leaf_entry(w, dfd, name, path, &st, &idx);
        }
        if (r < 0 || idx == SIZE_MAX)
                return r < 0 ? r : 0;
        entry_digest(&w->proto, &w->c->entries[idx]);
        sha256_update(tree, name, strlen(name) + 1);
        sha256_update(tree, w->c->entries[idx].digest, SHA256_DIGEST_SIZE);
        return 1;
}

static int
walk_dir(struct walker *w, int dfd, const char *rel, int depth, uint8_t tree[SHA256_DIGEST_SIZE],
         size_t *ret_count)
{
        cleanup_strv char **names = NULL;
        struct sha256 h = w->proto;
        int r = list_dir(w, dfd, rel, &names);

        if (r < 0)
                return r;
        *ret_count = 0;
        strv_foreach(name, names) {
                r = walk_entry(w, dfd, name, rel, depth, &h);
                if (r < 0)
                        return r;
                *ret_count += (size_t)r;
        }
        sha256_final(&h, tree);
        return 0;
}

static void
build_index(struct context *c)
{
        struct pmap *m = xcalloc(1, sizeof(*m));

        for (size_t i = 0; i < c->n; i++)
                pmap_put(m, c->entries[i].path, i);
        c->index = m;
}

int
context_walk(const char *root, const struct context_opts *opts, struct context **ret,
             struct err *err)
{
        static const struct context_opts none = { 0 };
        struct walker w = { .o = opts ? opts : &none, .err = err };
        cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        size_t count;
        int r;

        if (fd < 0)
                return err_setf(err, -errno, "open build context '%s': %s", root, strerror(errno));
        clock_gettime(CLOCK_REALTIME_COARSE, &w.start);
        sha256_init(&w.proto);
        w.c = xcalloc(1, sizeof(*w.c));
        w.c->root = xstrdup(root);
        w.buf = xmalloc(READ_CHUNK);
        cache_load(&w.cache, w.o->cache);
        r = walk_dir(&w, fd, "", 0, w.c->digest, &count);
        for (size_t i = 0; r == 0 && !w.cache.dirty && i < w.cache.n; i++)
                w.cache.dirty = !w.cache.e[i].seen; /* a file went away */
        if (r == 0 && w.o->cache && w.cache.dirty) {
                r = cache_save(&w.cache, w.o->cache, err);
                w.c->stats.cache_written = r == 0;
        }
        free(w.buf);
        cache_release(&w.cache);
        if (r < 0) {
                context_free(w.c);
                return r;
        }
        build_index(w.c);
        *ret = w.c;
        return 0;
}

struct context *
context_free(struct context *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                free(c->entries[i].path);
                free(c->entries[i].link);
        }
        free(c->entries);
        if (c->index) {
                pmap_release(c->index);
                free(c->index);
        }
        free(c->root);
        free(c);
        return NULL;
}

/* "a/b", "./a/b", "/a/b" -> "a/b"; the root -> "" (never above the root) */
static char *
rel_path(const char *p)
{
        cleanup_free char *abs = xasprintf("/%s", p);
        cleanup_free char *clean = path_clean(abs);

        return xstrdup(clean + 1);
}

static const struct context_entry *
find_rel(const struct context *c, const char *rel)
{
        size_t i;

        if (!c->index || !pmap_get(c->index, rel, &i))
                return NULL;
        return &c->entries[i];
}

const struct context_entry *
context_find(const struct context *c, const char *path)
{
        cleanup_free char *rel = rel_path(path);

        return find_rel(c, rel);
}

/* follow symlinks in the leading components, inside the context only (a ".." at the root
 * stays at the root, an absolute target starts again at the root) */
static int
resolve_in_root(const struct context *c, const char *rel, char **ret, struct err *err)
{
        cleanup_strv char **todo = strv_split(rel, "/");
        cleanup_strv char **out = NULL;
        size_t pos = 0, hops = 0;

        while (todo[pos]) {
                const char *comp = todo[pos++];
                const struct context_entry *e;
                cleanup_free char *cand = NULL;

                if (!*comp || strcmp(comp, ".") == 0)
                        continue;
                if (strcmp(comp, "..") == 0) {
                        size_t n = strv_length(out);

                        if (n > 0) {
                                free(out[n - 1]);
                                out[n - 1] = NULL;
                        }
                        continue;
                }
                strv_add(&out, comp);
                if (!todo[pos])
                        break; /* the source itself is not followed */
                cand = strv_join(out, "/");
                e = find_rel(c, cand);
                if (!e || e->type != CONTEXT_SYMLINK)
                        continue;
                if (++hops > 40)
                        return err_setf(err, -ELOOP, "'%s': too many levels of symbolic links",
                                        rel);
                size_t n = strv_length(out);
                free(out[n - 1]);
                out[n - 1] = NULL;
                if (e->link[0] == '/')
                        out = strv_free(out);
                cleanup_strv char **rest = strv_copy(todo + pos);
                cleanup_strv char **link = strv_split(e->link, "/");
                strv_free(todo);
                todo = NULL;
                strv_foreach(x, link)
                        strv_add(&todo, x);
                strv_foreach(x, rest)
                        strv_add(&todo, x);
                if (!todo)
                        todo = xcalloc(1, sizeof(char *));
                pos = 0;
        }
        *ret = strv_join(out, "/");
        return 0;
}

static void
source_add(struct sha256 *h, const char *path, const uint8_t digest[SHA256_DIGEST_SIZE])
{
        sha256_update(h, path, strlen(path) + 1);
        sha256_update(h, digest, SHA256_DIGEST_SIZE);
}

int
context_source_digest(const struct context *c, const char *src, uint8_t out[SHA256_DIGEST_SIZE],
                      struct err *err)
{
        static const char tag[] = "berth-context-source-v1";
        cleanup_free char *rel = rel_path(src);
        cleanup_free char *resolved = NULL;
        const struct context_entry *e;
        struct sha256 h;
        size_t matches = 0;
        int r;

        sha256_init(&h);
        sha256_update(&h, tag, sizeof(tag));
        if (strpbrk(rel, "*?[\\")) {
                for (size_t i = 0; i < c->n; i++) {
                        if (fnmatch(rel, c->entries[i].path, FNM_PATHNAME) != 0)
                                continue;
                        source_add(&h, c->entries[i].path, c->entries[i].digest);
                        matches++;
                }
                if (matches == 0)
                        return err_setf(err, -ENOENT,
                                        "no source files in the build context "
                                        "match '%s'",
                                        src);
                sha256_final(&h, out);
                return 0;
        }
        if (!*rel) {
                source_add(&h, "", c->digest);
                sha256_final(&h, out);
                return 0;
        }
        r = resolve_in_root(c, rel, &resolved, err);
        if (r < 0)
                return r;
        e = find_rel(c, resolved);
        if (!e)
                return err_setf(err, -ENOENT, "'%s' not found in the build context", src);
        source_add(&h, rel, e->digest);
        sha256_final(&h, out);
        return 0;
}
