/* build_mount: RUN --mount (buildkit's syntax: comma-separated key=value, type first or
 * anywhere; type=bind when none is given).
 *
 *   bind    source= (relative to from=: the context, a stage or an image), target=, rw;
 *           read-only unless rw. A stage or image with several layers is overlay-mounted
 *           read-only by the runner first ("overlays" in its spec). A read-only context
 *           directory whose tree holds files .dockerignore leaves out is shown through such a
 *           view too, its lowest layer the directory and above it a layer of whiteouts for
 *           what is left out, so the step sees only what is in the context.
 *   cache   id= (default: target), target=, sharing=shared|locked|private, mode=, uid=, gid=;
 *           a directory <root>/build/cache-mounts/<sha256(id)> that persists between builds
 *           until `builder prune`. locked: one step at a time (flock); private: a step that
 *           finds it in use gets a fresh empty directory for itself.
 *   secret  id=, target= (default /run/secrets/<id>), required=; the file from --secret
 *           (src= a file, env= a variable) bind-mounted read-only; the mount point is removed
 *           from the layer, so the secret is in no layer.
 *   tmpfs   target=, size=.
 * ssh mounts are refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sha256.h"
#include "base/strv.h"
#include "engine/build_int.h"
#include "engine/jsonx.h"
#include "engine/layer.h"

struct mount_opts {
        char *type, *target, *source, *from, *id, *sharing, *mode, *uid, *gid, *size, *env;
        bool rw, required;
};

static void
mount_opts_release(struct mount_opts *m)
{
        char **f[] = { &m->type, &m->target, &m->source, &m->from,  &m->id, &m->sharing,
                       &m->mode, &m->uid,    &m->gid,    &m->size,  &m->env };

        for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
                free(*f[i]);
                *f[i] = NULL;
        }
}

static bool
truthy(const char *v)
{
        return !v || !strcmp(v, "true") || !strcmp(v, "1");
}

static int
set_key(struct mount_opts *m, const char *k, const char *v, struct err *err)
{
        static const struct {
                const char *name;
                size_t off;
        } keys[] = {
                { "type", offsetof(struct mount_opts, type) },
                { "target", offsetof(struct mount_opts, target) },
                { "dst", offsetof(struct mount_opts, target) },
                { "destination", offsetof(struct mount_opts, target) },
                { "source", offsetof(struct mount_opts, source) },
                { "src", offsetof(struct mount_opts, source) },
                { "from", offsetof(struct mount_opts, from) },
                { "id", offsetof(struct mount_opts, id) },
                { "sharing", offsetof(struct mount_opts, sharing) },
                { "mode", offsetof(struct mount_opts, mode) },
                { "uid", offsetof(struct mount_opts, uid) },
                { "gid", offsetof(struct mount_opts, gid) },
                { "size", offsetof(struct mount_opts, size) },
                { "env", offsetof(struct mount_opts, env) },
        };

        if (!strcmp(k, "rw") || !strcmp(k, "readwrite")) {
                m->rw = truthy(v);
                return 0;
        }
        if (!strcmp(k, "ro") || !strcmp(k, "readonly")) {
                m->rw = !truthy(v);
                return 0;
        }
        if (!strcmp(k, "required")) {
                m->required = truthy(v);
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                if (!strcmp(k, keys[i].name)) {
                        char **slot = (char **)((char *)m + keys[i].off);

                        free(*slot);
                        *slot = xstrdup(v ? v : "");
                        return 0;
                }
        return err_setf(err, -EINVAL, "unexpected key '%s' in '--mount'", k);
}

static int
parse_mount(const char *spec, struct mount_opts *m, struct err *err)
{
        cleanup_strv char **parts = strv_split(spec, ",");

        *m = (struct mount_opts){ 0 };
        strv_foreach(p, parts) {
                const char *eq = strchr(p, '=');
                cleanup_free char *k = xstrndup(p, eq ? (size_t)(eq - p) : strlen(p));
                int r = set_key(m, k, eq ? eq + 1 : NULL, err);

                if (r < 0)
                        return r;
        }
        if (!m->type)
                m->type = xstrdup("bind");
        if (!m->target && (!strcmp(m->type, "bind") || !strcmp(m->type, "cache") ||
                           !strcmp(m->type, "tmpfs")))
                return err_setf(err, -EINVAL, "--mount %s: target is required", spec);
        return 0;
}

static void
add_mount(json_object *o, const char *type, const char *source, const char *target,
          const char *options)
{
        json_object *a = jsonx_get_type(o, "mounts", json_type_array), *m;

        if (!a) {
                a = json_object_new_array();
                json_object_object_add(o, "mounts", a);
        }
        m = json_object_new_object();
        jsonx_add_str(m, "type", type);
        if (source)
                jsonx_add_str(m, "source", source);
        jsonx_add_str(m, "target", target);
        if (options)
                jsonx_add_str(m, "options", options);
        json_object_array_add(a, m);
}

/* inside: a path below root given relative to it; ".." cannot leave it */
static char *
inside(const char *root, const char *rel)
{
        cleanup_free char *abs = xasprintf("/%s", rel ? rel : "");
        cleanup_free char *clean = path_clean(abs);

        return xasprintf("%s%s", root, strcmp(clean, "/") ? clean : "");
}

/* add_view: a read-only overlay of lowers (top-most first) for the runner to mount at a dir
 * of its own, returned (owned) */
static char *
add_view(struct build *b, char *const *lowers, json_object *o)
{
        json_object *a = jsonx_get_type(o, "overlays", json_type_array), *ov;
        char *dir = xasprintf("%s/m%u", b->tmp, b->seq++);

        if (!a) {
                a = json_object_new_array();
                json_object_object_add(o, "overlays", a);
        }
        ov = json_object_new_object();
        json_object_object_add(ov, "lowers", jsonx_strv(lowers));
        jsonx_add_str(ov, "target", dir);
        json_object_array_add(a, ov);
        return dir;
}

/* overlay_of: a read-only view of im for the runner to mount at a dir of its own */
static char *
overlay_of(struct build *b, const struct build_img *im, json_object *o)
{
        cleanup_strv char **lowers = build_img_lowers(b->s, im);

        if (!lowers)
                strv_push(&lowers, xasprintf("%s/empty", b->tmp));
        return add_view(b, lowers, o);
}

#define HIDE_DEPTH_MAX 256

/* ctx_has_below: whether the context holds something below dir (an excluded directory can
 * still have entries a "!pattern" brings back) */
static bool
ctx_has_below(const struct context *c, const char *dir)
{
        size_t n = strlen(dir);

        for (size_t i = 0; i < c->n; i++)
                if (!strncmp(c->entries[i].path, dir, n) && c->entries[i].path[n] == '/')
                        return true;
        return false;
}

static int hide_walk(struct build *b, int dfd, int wfd, const char *rel, int depth, size_t *n,
                     struct err *err);

/* hide_one: the entry name of dfd (rel: its context path) hidden by a whiteout in wfd, or,
 * for a directory, walked */
static int
hide_one(struct build *b, int dfd, int wfd, const char *name, const char *rel, int depth,
         size_t *n, struct err *err)
{
        cleanup_close int sub = -1, wsub = -1;
        bool in = context_find(b->ctx, rel) != NULL;
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return err_setf(err, -errno, "stat '%s': %s", rel, strerror(errno));
        if (!in && !(S_ISDIR(st.st_mode) && ctx_has_below(b->ctx, rel))) {
                (*n)++;
                if (mknodat(wfd, name, S_IFCHR, makedev(0, 0)) < 0)
                        return err_setf(err, -errno, "hide '%s': %s", rel, strerror(errno));
                return 0;
        }
        if (!S_ISDIR(st.st_mode))
                return 0;
        if (mkdirat(wfd, name, 0755) < 0 && errno != EEXIST)
                return err_setf(err, -errno, "mkdir: %s", strerror(errno));
        sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        wsub = openat(wfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 || wsub < 0)
                return err_setf(err, -errno, "open '%s': %s", rel, strerror(errno));
        return hide_walk(b, sub, wsub, rel, depth + 1, n, err);
}

/* hide_walk: whiteouts in wfd for what below dfd (rel: its context path, "" for the root) the
 * context leaves out; *n counts them */
static int
hide_walk(struct build *b, int dfd, int wfd, const char *rel, int depth, size_t *n,
          struct err *err)
{
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        cleanup_strv char **names = NULL;
        struct dirent *de;
        int r = 0;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return err_setf(err, -errno, "read '%s': %s", rel, strerror(errno));
        }
        if (depth > HIDE_DEPTH_MAX) {
                closedir(d);
                return err_setf(err, -E2BIG, "--mount source: '%s' is too deep", rel);
        }
        for (errno = 0; (de = readdir(d)); errno = 0)
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        strv_add(&names, de->d_name);
        if (errno)
                r = err_setf(err, -errno, "read '%s': %s", rel, strerror(errno));
        closedir(d);
        if (r < 0)
                return r;
        strv_foreach(name, names) {
                cleanup_free char *sub = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);

                r = hide_one(b, dfd, wfd, name, sub, depth, n, err);
                if (r < 0)
                        break;
        }
        return r;
}

/* context_view: the directory to bind for the context path src (real, inside root): src
 * itself, or a view hiding what .dockerignore leaves out below it (*ret owned) */
static int
context_view(struct build *b, const char *root, const char *src, json_object *o, char **ret,
             struct err *err)
{
        const char *rel = src + strlen(root);
        cleanup_free char *wdir = xasprintf("%s/w%u", b->tmp, b->seq++);
        cleanup_close int dfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC), wfd = -1;
        cleanup_strv char **lowers = NULL;
        size_t n = 0;
        int r;

        if (dfd < 0) { /* a file: nothing to hide */
                *ret = xstrdup(src);
                return 0;
        }
        if (mkdir(wdir, 0755) < 0 || (wfd = open(wdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                return err_setf(err, -errno, "mkdir '%s': %s", wdir, strerror(errno));
        r = hide_walk(b, dfd, wfd, *rel == '/' ? rel + 1 : rel, 0, &n, err);
        if (r < 0)
                return r;
        if (n == 0) {
                *ret = xstrdup(src);
                return 0;
        }
        strv_add(&lowers, wdir);
        strv_add(&lowers, src);
        *ret = add_view(b, lowers, o);
        return 0;
}

/* context_path: source inside the context, symlinks resolved and kept inside it */
static int
context_path(struct build *b, const char *source, char **ret, struct err *err)
{
        cleanup_free char *root = realpath(b->ctx->root, NULL);
        cleanup_free char *p = root ? inside(root, source) : NULL;
        char *real = p ? realpath(p, NULL) : NULL;
        size_t n = root ? strlen(root) : 0;

        if (!real)
                return err_setf(err, -ENOENT, "--mount source '%s' is not in the build context",
                                source ? source : "");
        if (strncmp(real, root, n) != 0 || (real[n] != '/' && real[n] != '\0')) {
                free(real);
                return err_setf(err, -EPERM, "--mount source '%s' leaves the build context",
                                source);
        }
        *ret = real;
        return 0;
}

static int
mount_bind(struct build *b, const struct mount_opts *m, json_object *o, struct err *err)
{
        cleanup_free char *src = NULL, *dir = NULL;
        struct build_img im = { 0 };
        int r;

        if (!m->from || !*m->from || !strcmp(m->from, "context")) {
                cleanup_free char *abs = xasprintf("/%s", m->source ? m->source : "");
                cleanup_free char *rel = path_clean(abs);

                /* a source .dockerignore leaves out is not in the context */
                if (strcmp(rel, "/") != 0 && b->ctx && !context_find(b->ctx, rel + 1))
                        return err_setf(err, -ENOENT, "--mount source '%s' is not in the build "
                                        "context (or .dockerignore excludes it)", m->source);
                r = context_path(b, m->source, &src, err);
                if (r == 0 && !m->rw && b->ctx) {
                        cleanup_free char *root = realpath(b->ctx->root, NULL);

                        dir = TAKE_PTR(src);
                        r = root ? context_view(b, root, dir, o, &src, err)
                                 : err_setf(err, -errno, "build context: %s", strerror(errno));
                }
        } else {
                r = build_from_img(b, m->from, dfstage_find_stage(b->plan, m->from), &im, err);
                if (r == 0) {
                        dir = overlay_of(b, &im, o);
                        src = inside(dir, m->source);
                }
                build_img_release(&im);
        }
        if (r == 0)
                add_mount(o, "bind", src, m->target, m->rw ? "rw" : "ro");
        return r;
}

static int
cache_lock(const char *dir, bool wait, struct build_mounts *mm, struct err *err)
{
        cleanup_free char *p = xasprintf("%s.lock", dir);
        int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

        if (fd < 0)
                return err_setf(err, -errno, "lock cache mount: %s", strerror(errno));
        while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
                int e = errno;

                if (e == EINTR)
                        continue;
                close(fd);
                return e == EWOULDBLOCK ? 1 : err_setf(err, -e, "lock cache mount: %s", strerror(e));
        }
        mm->locks = xreallocarray(mm->locks, mm->nlocks + 1, sizeof(*mm->locks));
        mm->locks[mm->nlocks++] = fd;
        return 0;
}

static int
cache_dir(struct build *b, const struct mount_opts *m, char **ret, struct err *err)
{
        const char *id = m->id && *m->id ? m->id : m->target;
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        cleanup_free char *base = xasprintf("%s/build/cache-mounts", b->o->root);
        char *dir;
        int r = fs_mkdir_p(base, 0700, err);

        sha256_buf(id, strlen(id), d);
        sha256_hex(d, hex);
        dir = xasprintf("%s/%s", base, hex);
        if (r == 0 && mkdir(dir, 0755) == 0) {
                long mode = m->mode ? strtol(m->mode, NULL, 8) : 0755;
                long uid = m->uid ? strtol(m->uid, NULL, 10) : 0, gid = m->gid ? strtol(m->gid, NULL, 10) : 0;

                if (chmod(dir, (mode_t)(mode & 07777)) < 0 || chown(dir, (uid_t)uid, (gid_t)gid) < 0)
                        r = err_setf(err, -errno, "cache mount '%s': %s", id, strerror(errno));
        } else if (r == 0 && errno != EEXIST)
                r = err_setf(err, -errno, "cache mount '%s': %s", id, strerror(errno));
        if (r < 0) {
                free(dir);
                return r;
        }
        *ret = dir;
        return 0;
}

static int
mount_cache(struct build *b, const struct mount_opts *m, json_object *o, struct build_mounts *mm,
            struct err *err)
{
        const char *sharing = m->sharing ? m->sharing : "shared";
        cleanup_free char *dir = NULL;
        int r;

        if (strcmp(sharing, "shared") && strcmp(sharing, "locked") && strcmp(sharing, "private"))
                return err_setf(err, -EINVAL, "--mount type=cache: invalid sharing '%s'", sharing);
        r = cache_dir(b, m, &dir, err);
        if (r == 0 && strcmp(sharing, "shared") != 0)
                r = cache_lock(dir, strcmp(sharing, "locked") == 0, mm, err);
        if (r == 1) { /* private and in use: a fresh one for this step */
                free(dir);
                dir = xasprintf("%s/c%u", b->tmp, b->seq++);
                r = mkdir(dir, 0755) < 0 ? err_setf(err, -errno, "mkdir: %s", strerror(errno)) : 0;
        }
        if (r == 0)
                add_mount(o, "bind", dir, m->target, "rw");
        return r;
}

/* secret_field: the value of key in a "--secret id=…,src=…" spec, or NULL (owned) */
static char *
secret_field(const char *spec, const char *const *keys)
{
        cleanup_strv char **parts = strv_split(spec, ",");

        strv_foreach(p, parts)
                for (size_t k = 0; keys[k]; k++) {
                        size_t n = strlen(keys[k]);

                        if (!strncmp(p, keys[k], n) && p[n] == '=')
                                return xstrdup(p + n + 1);
                }
        return NULL;
}

static const char *
env_value(char *const *env, const char *name)
{
        size_t n = strlen(name);

        strv_foreach(e, env)
                if (!strncmp(e, name, n) && e[n] == '=')
                        return e + n + 1;
        return NULL;
}

/* secret_source: the --secret entry for id: its file, or its env value written to a scratch
 * file (outside every layer); *ret NULL when not given */
static int
secret_source(struct build *b, const char *id, struct build_mounts *mm, char **ret,
              struct err *err)
{
        *ret = NULL;
        strv_foreach(sec, b->o->secrets) {
                cleanup_free char *sid = secret_field(sec, (const char *[]){ "id", NULL });
                cleanup_free char *src = secret_field(sec, (const char *[]){ "src", "source", NULL });
                cleanup_free char *env = secret_field(sec, (const char *[]){ "env", NULL });
                const char *val;

                if (!sid || strcmp(sid, id) != 0)
                        continue;
                if (src) {
                        *ret = TAKE_PTR(src);
                        return 0;
                }
                val = env_value(b->o->environ_, env ? env : id);
                if (!val)
                        return err_setf(err, -ENOENT, "secret '%s': environment variable '%s' "
                                        "is not set", id, env ? env : id);
                *ret = xasprintf("%s/s%u", b->tmp, b->seq++);
                strv_add(&mm->scratch, *ret);
                return fs_write_atomic(*ret, val, strlen(val), 0400, err);
        }
        return 0;
}

static int
mount_secret(struct build *b, const struct mount_opts *m, json_object *o, struct build_mounts *mm,
             struct err *err)
{
        const char *id = m->id && *m->id ? m->id : NULL;
        cleanup_free char *src = NULL, *target = NULL, *base = NULL;
        struct stat st;
        int r;

        if (!id && m->target)
                id = base = path_basename(m->target);
        if (!id)
                return err_setf(err, -EINVAL, "--mount type=secret: id or target is required");
        r = secret_source(b, id, mm, &src, err);
        if (r < 0)
                return r;
        if (!src)
                return m->required ? err_setf(err, -ENOENT, "secret '%s' is required but was "
                                              "not given (--secret id=%s,src=FILE)", id, id)
                                   : 0;
        if (stat(src, &st) < 0 || !S_ISREG(st.st_mode))
                return err_setf(err, -ENOENT, "secret '%s': '%s' is not a readable file", id, src);
        if (st.st_size > (off_t)BUILD_SECRET_MAX)
                return err_setf(err, -EFBIG, "secret '%s' is larger than 500 KiB", id);
        target = m->target ? xstrdup(m->target) : xasprintf("/run/secrets/%s", id);
        add_mount(o, "bind", src, target, "ro");
        strv_add(&mm->targets, target);
        return 0;
}

static int
add_one(struct build *b, const char *spec, json_object *o, struct build_mounts *mm,
        struct err *err)
{
        struct mount_opts m;
        int r = parse_mount(spec, &m, err);

        if (r < 0) {
                mount_opts_release(&m);
                return r;
        }
        if (!strcmp(m.type, "bind"))
                r = mount_bind(b, &m, o, err);
        else if (!strcmp(m.type, "cache"))
                r = mount_cache(b, &m, o, mm, err);
        else if (!strcmp(m.type, "secret"))
                r = mount_secret(b, &m, o, mm, err);
        else if (!strcmp(m.type, "tmpfs")) {
                cleanup_free char *opt = m.size ? xasprintf("size=%s", m.size) : NULL;

                add_mount(o, "tmpfs", NULL, m.target, opt);
        } else
                r = err_setf(err, -ENOTSUP, "--mount type=%s is not supported by this builder",
                             m.type);
        if (r == 0 && m.target && strcmp(m.type, "secret") != 0)
                strv_add(&mm->targets, m.target);
        mount_opts_release(&m);
        return r;
}

int
build_mounts_add(struct build *b, const struct dfstage_step *st, json_object *o,
                 struct build_mounts *m, struct err *err)
{
        strv_foreach(spec, st->mounts) {
                int r = add_one(b, spec, o, m, err);

                if (r < 0)
                        return err_prefix(err, "RUN --mount=%s", spec);
        }
        return 0;
}

void
build_mounts_release(struct build_mounts *m)
{
        for (size_t i = 0; i < m->nlocks; i++)
                close(m->locks[i]);
        free(m->locks);
        strv_foreach(p, m->scratch)
                build_rm(p, NULL);
        strv_free(m->scratch);
        strv_free(m->targets);
        *m = (struct build_mounts){ 0 };
}
