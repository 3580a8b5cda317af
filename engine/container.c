/* container: container records on disk (layout in container.h).
 *
 * config.json keys (docker-like): Id, Name, Created, Image, ImageID, Path, Args, Env,
 * WorkingDir, User, Hostname, Labels, LowerDirs, HostConfig{...}, Healthcheck{...}.
 * state.json keys: Status (created|running|restarting|exited|dead), Running, Pid, MonitorPid,
 * ExitCode, OOMKilled, StartedAt, FinishedAt, RestartCount, Error, Health{...}.
 * Every write is temp file + rename (fs_write_atomic); allocation of ids and names and
 * removal hold <root>/containers/.lock; state updates hold <dir>/state.lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/container.h"

struct ctr *
ctr_free(struct ctr *c)
{
        if (!c)
                return NULL;
        free(c->name);
        free(c->dir);
        free(c->run_dir);
        json_object_put(c->config);
        free(c);
        return NULL;
}

int
ctr_name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > CTR_NAME_MAX)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                            (ch >= '0' && ch <= '9');
                if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
                        return 0;
        }
        return 1;
}

char *
ctr_random_name(uint32_t rnd)
{
        static const char *const adj[] = {
                "brave", "calm", "clever", "eager", "gentle", "happy", "jolly", "keen",
                "lucid", "merry", "nifty", "proud", "quirky", "serene", "sharp", "witty",
        };
        static const char *const noun[] = {
                "anchor", "barge", "buoy", "cutter", "dinghy", "ferry", "galley", "harbor",
                "jetty", "keel", "lighthouse", "mooring", "pier", "quay", "skiff", "wharf",
        };

        return xasprintf("%s_%s", adj[rnd % ARRAY_SIZE(adj)],
                         noun[(rnd / ARRAY_SIZE(adj)) % ARRAY_SIZE(noun)]);
}

void
ctr_now_rfc3339(char out[40])
{
        struct timespec ts;
        struct tm tm;
        char base[24];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out, 40, "%s.%09ldZ", base, ts.tv_nsec);
}

char *
ctr_path(const struct ctr *c, const char *leaf)
{
        return xasprintf("%s/%s", c->dir, leaf);
}

static int
is_id(const char *s)
{
        size_t n = strlen(s);

        if (n != CTR_ID_LEN)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return 0;
        return 1;
}

static int
lock_file(const char *path, int op, struct err *err)
{
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

        if (fd < 0)
                return err_setf(err, -errno, "open lock '%s': %s", path, strerror(errno));
        while (flock(fd, op) < 0) {
                if (errno != EINTR) {
                        int r = -errno;
                        close(fd);
                        return err_setf(err, r, "lock '%s': %s", path, strerror(-r));
                }
        }
        return fd;
}

static int
root_lock(const char *root, struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/containers", root);
        cleanup_free char *path = xasprintf("%s/containers/.lock", root);
        int r = fs_mkdir_p(dir, 0700, err);

        if (r < 0)
                return r;
        fs_spread_subdirs(dir);
        return lock_file(path, LOCK_EX, err);
}

static int
read_json(const char *path, json_object **ret, struct err *err)
{
        cleanup_free char *buf = NULL;
        size_t len;
        json_object *o;
        int r = fs_read_capped(path, CTR_JSON_MAX, &buf, &len, err);

        if (r < 0)
                return r;
        o = json_tokener_parse(buf);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return err_setf(err, -EBADMSG, "read '%s': not a JSON object", path);
        }
        *ret = o;
        return 0;
}

/* write_json_as: durable (fsync) unless !sync: see ctr_state_write, CTR_CREATE_VOLATILE */
static int
write_json_as(const char *path, json_object *o, int sync, struct err *err)
{
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        return sync ? fs_write_atomic(path, s, strlen(s), 0600, err)
                    : fs_write_replace(path, s, strlen(s), 0600, err);
}

static const char *
jstr(json_object *o, const char *key)
{
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static struct ctr *
ctr_load(const char *root, const char *run_root, const char *id, struct err *err)
{
        struct ctr *c = xcalloc(1, sizeof(*c));
        cleanup_free char *cfg = NULL;
        const char *name;

        memcpy(c->id, id, CTR_ID_LEN);
        c->dir = xasprintf("%s/containers/%s", root, id);
        c->run_dir = xasprintf("%s/containers/%s", run_root, id);
        cfg = ctr_path(c, "config.json");
        if (read_json(cfg, &c->config, err) < 0)
                return ctr_free(c);
        name = jstr(c->config, "Name");
        c->name = xstrdup(name ? name : id);
        return c;
}

int
ctr_list(const char *root, char ***ret_ids, struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/containers", root);
        cleanup_strv char **ids = NULL;
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        if (!d) {
                if (errno != ENOENT)
                        return err_setf(err, -errno, "list '%s': %s", dir, strerror(errno));
                *ret_ids = NULL;
                return 0;
        }
        while ((de = readdir(d)) && n < CTR_MAX) {
                if (!is_id(de->d_name))
                        continue;
                strv_add(&ids, de->d_name);
                n++;
        }
        closedir(d);
        strv_sort(ids);
        *ret_ids = TAKE_PTR(ids);
        return (int)n;
}

/* ---- the name index ------------------------------------------------------------------------
 * <root>/containers/.names/<name> is a symlink to the id that has the name: lookups and the
 * uniqueness check by name are one readlink instead of a parse of every config.json. It is
 * written under the containers lock at create and removed at ctr_remove; a link whose
 * container has gone (a crash between the two) is stale and counts as absent. A root made
 * before the index existed gets it built from the records on first use (.names/.complete). */

static char *
names_dir(const char *root)
{
        return xasprintf("%s/containers/.names", root);
}

/* index_get: the id the index gives name (verified against the record), else 0. */
static int
index_get(const char *root, const char *run_root, const char *name, char ret[65])
{
        cleanup_free char *dir = names_dir(root);
        cleanup_free char *link = NULL;
        struct err e = { 0 };
        struct ctr *c;
        ssize_t n;
        char id[CTR_ID_LEN + 2];

        if (!ctr_name_valid(name))
                return 0;
        link = xasprintf("%s/%s", dir, name);
        n = readlink(link, id, sizeof(id) - 1);
        if (n != CTR_ID_LEN)
                return 0;
        id[n] = 0;
        c = ctr_load(root, run_root, id, &e);
        if (!c || strcmp(c->name, name) != 0) {
                ctr_free(c);
                return 0;
        }
        ctr_free(c);
        memcpy(ret, id, CTR_ID_LEN + 1);
        return 1;
}

/* index_complete: the index covers every record (built now when the root predates it). */
static int
index_complete(const char *root, const char *run_root, char **ids)
{
        cleanup_free char *dir = names_dir(root);
        cleanup_free char *mark = xasprintf("%s/.complete", dir);
        struct err e = { 0 };

        if (fs_exists(mark))
                return 1;
        if (fs_mkdir_p(dir, 0700, &e) < 0)
                return 0;
        strv_foreach(id, ids) {
                struct ctr *c = ctr_load(root, run_root, id, &e);
                cleanup_free char *link = c ? xasprintf("%s/%s", dir, c->name) : NULL;
                if (link && symlink(id, link) < 0 && errno == EEXIST) {
                        unlink(link);
                        if (symlink(id, link) < 0) {
                                /* best effort: the scan remains the fallback */
                        }
                }
                ctr_free(c);
        }
        return fs_write_atomic(mark, "", 0, 0600, &e) == 0;
}

static void
index_put(const char *root, const char *name, const char *id)
{
        cleanup_free char *dir = names_dir(root);
        cleanup_free char *link = xasprintf("%s/%s", dir, name);
        struct err e = { 0 };

        unlink(link);
        if (fs_mkdir_p(dir, 0700, &e) < 0 || symlink(id, link) < 0) {
                /* a missing link only makes lookups of this name fall back to a scan */
        }
}

static void
index_drop(const char *root, const char *name, const char *id)
{
        cleanup_free char *dir = names_dir(root);
        cleanup_free char *link = xasprintf("%s/%s", dir, name);
        char have[CTR_ID_LEN + 2];
        ssize_t n = readlink(link, have, sizeof(have) - 1);

        if (n == CTR_ID_LEN && memcmp(have, id, CTR_ID_LEN) == 0)
                unlink(link);
}

/* find: the id ref means among ids (name match first, like docker, then id, then prefix). */
static int
find(const char *root, const char *run_root, char **ids, const char *ref, char ret[65],
     struct err *err)
{
        const char *want = ref[0] == '/' ? ref + 1 : ref;
        const char *hit = NULL;
        size_t n = strlen(ref);
        cleanup_free char *mark = xasprintf("%s/containers/.names/.complete", root);

        if (index_get(root, run_root, want, ret))
                return 0;
        strv_foreach(id, ids) {
                struct err e = { 0 };
                if (fs_exists(mark))
                        break; /* the index is complete: no record has this name */
                struct ctr *c = ctr_load(root, run_root, id, &e);
                int same = c && strcmp(c->name, want) == 0;
                ctr_free(c);
                if (same) {
                        memcpy(ret, id, 65);
                        return 0;
                }
        }
        strv_foreach(id, ids) {
                if (n == 0 || strncmp(id, ref, n) != 0)
                        continue;
                if (hit && n < CTR_ID_LEN)
                        return err_setf(err, -EINVAL, "multiple containers match '%s'", ref);
                hit = id;
        }
        if (!hit)
                return err_setf(err, -ENOENT, "no such container: %s", ref);
        memcpy(ret, hit, 65);
        return 0;
}

int
ctr_open(const char *root, const char *run_root, const char *ref, struct ctr **ret,
         struct err *err)
{
        cleanup_strv char **ids = NULL;
        char id[CTR_ID_LEN + 1];
        struct ctr *c;
        struct err e = { 0 };
        int r;

        /* a full id first, as docker does: one config read, not one per container */
        c = is_id(ref) ? ctr_load(root, run_root, ref, &e) : NULL;
        if (c) {
                *ret = c;
                return 0;
        }
        r = ctr_list(root, &ids, err);
        if (r < 0)
                return r;
        r = find(root, run_root, ids, ref, id, err);
        if (r < 0)
                return r;
        c = ctr_load(root, run_root, id, err);
        if (!c)
                return err->code ? err->code : -EIO;
        *ret = c;
        return 0;
}

static int
name_taken(const char *root, const char *run_root, char **ids, const char *name)
{
        char found[CTR_ID_LEN + 1];

        if (index_complete(root, run_root, ids))
                return index_get(root, run_root, name, found);
        strv_foreach(id, ids) {
                struct err e = { 0 };
                struct ctr *c = ctr_load(root, run_root, id, &e);
                int same = c && strcmp(c->name, name) == 0;
                ctr_free(c);
                if (same)
                        return 1;
        }
        return 0;
}

static char *
pick_name(const char *root, const char *run_root, char **ids, const char *name,
          struct err *err)
{
        uint32_t rnd = 0;

        if (name) {
                if (name[0] == '/')
                        name++;
                if (!ctr_name_valid(name)) {
                        err_setf(err, -EINVAL,
                                 "invalid container name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                 "are allowed",
                                 name);
                        return NULL;
                }
                if (name_taken(root, run_root, ids, name)) {
                        err_setf(err, -EEXIST,
                                 "Conflict. The container name \"/%s\" is already in use", name);
                        return NULL;
                }
                return xstrdup(name);
        }
        for (int tries = 0;; tries++) {
                char *cand;
                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        rnd = (uint32_t)time(NULL) + (uint32_t)tries;
                cand = tries < 8 ? ctr_random_name(rnd) : xasprintf("berth_%08x", rnd);
                if (!name_taken(root, run_root, ids, cand))
                        return cand;
                free(cand);
        }
}

static int
new_id(char out[65], struct err *err)
{
        unsigned char b[32];

        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                return err_setf(err, -EIO, "make container id: getrandom failed");
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(out + 2 * i, 3, "%02x", b[i]);
        return 0;
}

static int
write_new(struct ctr *c, json_object *config, int sync, struct err *err)
{
        cleanup_free char *up = ctr_path(c, "upper");
        cleanup_free char *wk = ctr_path(c, "work");
        cleanup_free char *cfg = ctr_path(c, "config.json");
        cleanup_free char *st = ctr_path(c, "state.json");
        json_object *state = json_object_new_object();
        char now[40];
        int r;

        ctr_now_rfc3339(now);
        json_object_object_add(config, "Id", json_object_new_string(c->id));
        json_object_object_add(config, "Name", json_object_new_string(c->name));
        json_object_object_add(config, "Created", json_object_new_string(now));
        json_object_object_add(state, "Status", json_object_new_string("created"));
        r = fs_mkdir_p(up, 0755, err);
        if (r >= 0)
                r = fs_mkdir_p(wk, 0700, err);
        if (r >= 0)
                r = write_json_as(st, state, sync, err);
        /* config.json last: a directory without it is a half-made container ls ignores */
        if (r >= 0)
                r = write_json_as(cfg, config, sync, err);
        json_object_put(state);
        return r;
}

/* spread_run_dirs: the monitors make the containers' runtime dirs under run_root; they
 * churn as much as the records (fs_spread_subdirs) */
static void
spread_run_dirs(const char *run_root)
{
        cleanup_free char *dir = xasprintf("%s/containers", run_root);

        if (fs_mkdir_p(dir, 0700, &(struct err){ 0 }) == 0)
                fs_spread_subdirs(dir);
}

int
ctr_create(const char *root, const char *run_root, const char *name, json_object *config,
           unsigned flags, struct ctr **ret, struct err *err)
{
        cleanup_close int lock = root_lock(root, err);
        cleanup_strv char **ids = NULL;
        struct ctr *c;
        int r;

        if (lock < 0)
                return lock;
        spread_run_dirs(run_root);
        r = ctr_list(root, &ids, err);
        if (r < 0)
                return r;
        c = xcalloc(1, sizeof(*c));
        c->name = pick_name(root, run_root, ids, name, err);
        if (!c->name) {
                ctr_free(c);
                return err->code;
        }
        r = new_id(c->id, err);
        if (r >= 0) {
                c->dir = xasprintf("%s/containers/%s", root, c->id);
                c->run_dir = xasprintf("%s/containers/%s", run_root, c->id);
                r = write_new(c, config, !(flags & CTR_CREATE_VOLATILE), err);
        }
        if (r < 0) {
                if (c->dir)
                        ctr_remove(c, &(struct err){ 0 });
                ctr_free(c);
                return r;
        }
        index_put(root, c->name, c->id);
        c->config = json_object_get(config);
        *ret = c;
        return 0;
}

int
ctr_state_read(const struct ctr *c, json_object **ret, struct err *err)
{
        cleanup_free char *p = ctr_path(c, "state.json");

        return read_json(p, ret, err);
}

int
ctr_state_write(const struct ctr *c, json_object *state, struct err *err)
{
        cleanup_free char *p = ctr_path(c, "state.json");

        /* the monitor's status updates (started, exited, health): no fsync, a reboot stops
         * every container anyway; create's first write is durable unless CTR_CREATE_VOLATILE */
        return write_json_as(p, state, 0, err);
}

int
ctr_state_update(const struct ctr *c, ctr_state_fn fn, void *ctx, struct err *err)
{
        cleanup_free char *lp = ctr_path(c, "state.lock");
        cleanup_close int lock = lock_file(lp, LOCK_EX, err);
        json_object *st = NULL;
        int r;

        if (lock < 0)
                return lock;
        r = ctr_state_read(c, &st, err);
        if (r == -ENOENT) {
                err_clear(err);
                st = json_object_new_object();
                r = 0;
        }
        if (r < 0)
                return r;
        fn(st, ctx);
        r = ctr_state_write(c, st, err);
        json_object_put(st);
        return r;
}

static int
rm_tree_at(int dfd, const char *name, int depth)
{
        int fd, r = 0;
        DIR *d;
        struct dirent *de;

        if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return -errno;
        if (depth > 4096)
                return -ELOOP;
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                int q = rm_tree_at(dirfd(d), de->d_name, depth + 1);
                if (q < 0)
                        r = q;
        }
        closedir(d);
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

int
ctr_remove(const struct ctr *c, struct err *err)
{
        cleanup_free char *parent = path_dirname(c->dir);
        cleanup_free char *root = path_dirname(parent);
        cleanup_close int lock = root_lock(root, err);
        cleanup_close int pfd = -1;
        cleanup_free char *cfg = ctr_path(c, "config.json");
        int r;

        if (lock < 0)
                return lock;
        /* config.json first: from here on the container no longer exists for lookups */
        if (unlink(cfg) < 0 && errno != ENOENT)
                return err_setf(err, -errno, "remove '%s': %s", cfg, strerror(errno));
        index_drop(root, c->name, c->id);
        pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return err_setf(err, -errno, "open '%s': %s", parent, strerror(errno));
        r = rm_tree_at(pfd, c->id, 0);
        if (r < 0)
                return err_setf(err, r, "remove '%s': %s", c->dir, strerror(-r));
        /* a monitor killed with -9 leaves its socket behind */
        cleanup_free char *sock = xasprintf("%s/monitor.sock", c->run_dir);
        unlink(sock);
        rmdir(c->run_dir);
        return 0;
}
