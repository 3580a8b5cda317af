/* volume: the named volume store (layout and rules in volume.h).
 *
 * volume.json is written last and removed first, both under volumes/.lock, so a volume
 * either exists whole or not at all for every reader; a directory without volume.json is the
 * leftover of a killed create and is taken over by the next create of that name.
 */
#include "engine/volume.h"

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
#include "base/strv.h"
#include "engine/container.h"
#include "engine/jsonx.h"
#include "engine/layer.h"

int
vol_name_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        if (n < 2 || n > VOL_NAME_MAX)
                return 0;
        if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
              (name[0] >= '0' && name[0] <= '9')))
                return 0;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
               n;
}

static int
check_name(const char *name, struct err *err)
{
        if (vol_name_valid(name))
                return 0;
        return err_setf(err, -EINVAL,
                        "\"%s\" includes invalid characters for a local volume name, only "
                        "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                        "directory, use absolute path",
                        name ? name : "");
}

int
vol_random_name(char ret[65], struct err *err)
{
        unsigned char b[32];

        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
                return err_setf(err, -EIO, "getrandom: %s", strerror(errno));
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(ret + 2 * i, 3, "%02x", b[i]);
        return 0;
}

char *
vol_path(const char *root, const char *name)
{
        return xasprintf("%s/volumes/%s/_data", root, name);
}

static char *
json_path(const char *root, const char *name)
{
        return xasprintf("%s/volumes/%s/volume.json", root, name);
}

int
vol_lock(const char *root, struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/volumes", root);
        cleanup_free char *path = xasprintf("%s/.lock", dir);
        int fd, r = fs_mkdir_p(dir, 0700, err);

        if (r < 0)
                return r;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return err_setf(err, -errno, "open lock '%s': %s", path, strerror(errno));
        while (flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR) {
                        r = -errno;
                        close(fd);
                        return err_setf(err, r, "lock '%s': %s", path, strerror(-r));
                }
        }
        return fd;
}

/* kv_object: {"K": "V"} from a K=V strv (a bare K has the value ""). */
static int
kv_object(char *const *kv, const char *what, json_object **ret, struct err *err)
{
        json_object *o = json_object_new_object();
        cleanup_strv char **sorted = strv_copy(kv);

        strv_sort(sorted); /* Go marshals a map sorted by key */
        strv_foreach(s, sorted) {
                const char *eq = strchr(s, '=');
                cleanup_free char *k = eq ? xstrndup(s, (size_t)(eq - s)) : xstrdup(s);

                if (!*k) {
                        json_object_put(o);
                        return err_setf(err, -EINVAL, "invalid %s '%s': want KEY=VALUE", what, s);
                }
                json_object_object_add(o, k, json_object_new_string(eq ? eq + 1 : ""));
        }
        *ret = o;
        return 0;
}

static int
words_in(const char *list, const char *const *allowed, size_t n)
{
        cleanup_strv char **words = strv_split(list ? list : "", ",");

        strv_foreach(w, words) {
                size_t i = 0;
                while (i < n && strncmp(w, allowed[i], strlen(allowed[i])) != 0)
                        i++;
                if (i == n)
                        return 0;
        }
        return 1;
}

static int
opts_supported(const char *type, const char *device, const char *o, struct err *err)
{
        static const char *const tmpfs_words[] = { "size=", "mode=", "uid=", "gid=", "nr_inodes=" };
        static const char *const bind_words[] = { "bind", "rbind" };
        struct stat sb;

        if (type && strcmp(type, "tmpfs") == 0) {
                if (!words_in(o, tmpfs_words, ARRAY_SIZE(tmpfs_words)))
                        return err_setf(err, -ENOTSUP,
                                        "invalid tmpfs volume option o=%s "
                                        "(size=, mode=, uid=, gid=, nr_inodes= are)",
                                        o);
                return 0;
        }
        if (!type && !device && !o)
                return 0;
        if ((!type || strcmp(type, "none") == 0) && o && device && strstr(o, "bind") &&
            words_in(o, bind_words, ARRAY_SIZE(bind_words))) {
                if (device[0] != '/' || stat(device, &sb) < 0 || !S_ISDIR(sb.st_mode))
                        return err_setf(err, -ENOENT,
                                        "invalid volume device '%s': not an "
                                        "existing absolute directory",
                                        device);
                return 0;
        }
        return err_setf(err, -ENOTSUP,
                        "local volume options type=%s device=%s o=%s are not "
                        "supported (type=tmpfs, or o=bind with device=PATH are)",
                        type ? type : "", device ? device : "", o ? o : "");
}

static int
check_opts(json_object *opts, struct err *err)
{
        json_object_object_foreach(opts, k, v)
        {
                (void)v;
                if (strcmp(k, "type") && strcmp(k, "device") && strcmp(k, "o"))
                        return err_setf(err, -EINVAL, "invalid option key: \"%s\"", k);
        }
        return opts_supported(jsonx_str(opts, "type"), jsonx_str(opts, "device"),
                              jsonx_str(opts, "o"), err);
}

static json_object *
new_record(const char *root, const char *name, json_object *labels, json_object *opts)
{
        json_object *o = json_object_new_object();
        cleanup_free char *mp = vol_path(root, name);
        char now[32];
        time_t t = time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
        jsonx_add_str(o, "CreatedAt", now);
        jsonx_add_str(o, "Driver", "local");
        json_object_object_add(o, "Labels", labels);
        jsonx_add_str(o, "Mountpoint", mp);
        jsonx_add_str(o, "Name", name);
        json_object_object_add(o, "Options", json_object_object_length(opts) ? opts : NULL);
        if (!json_object_object_length(opts))
                json_object_put(opts);
        jsonx_add_str(o, "Scope", "local");
        return o;
}

static int
write_record(const char *root, const char *name, json_object *rec, struct err *err)
{
        cleanup_free char *data = vol_path(root, name);
        cleanup_free char *jp = json_path(root, name);
        cleanup_free char *text = jsonx_string(rec, NULL);
        int r = fs_mkdir_p(data, 0755, err);

        if (r < 0)
                return r;
        /* docker's _data is 0755 root whatever the umask */
        if (chmod(data, 0755) < 0)
                return err_setf(err, -errno, "chmod '%s': %s", data, strerror(errno));
        return fs_write_atomic(jp, text, strlen(text), 0600, err);
}

/* create_locked: write the record unless the volume exists; takes lab and opt. */
static int
create_locked(const char *root, const char *name, json_object *lab, json_object *opt,
              int *ret_created, struct err *err)
{
        cleanup_free char *jp = json_path(root, name);
        json_object *rec;
        int r;

        if (fs_exists(jp)) {
                json_object_put(lab);
                json_object_put(opt);
                *ret_created = 0;
                return 0;
        }
        rec = new_record(root, name, lab, opt);
        r = write_record(root, name, rec, err);
        json_object_put(rec);
        if (r == 0)
                *ret_created = 1;
        return r;
}

int
vol_create(const char *root, const char *name, char *const *labels, char *const *opts,
           int *ret_created, struct err *err)
{
        json_object *lab = NULL, *opt = NULL;
        cleanup_close int fd = -1;
        int r = check_name(name, err);

        if (r == 0)
                r = kv_object(labels, "label", &lab, err);
        if (r == 0)
                r = kv_object(opts, "driver option", &opt, err);
        if (r == 0)
                r = check_opts(opt, err);
        if (r == 0)
                fd = r = vol_lock(root, err);
        if (r < 0) {
                json_object_put(lab);
                json_object_put(opt);
                return r;
        }
        return create_locked(root, name, lab, opt, ret_created, err);
}

static int
read_record(const char *root, const char *name, json_object **ret, struct err *err)
{
        cleanup_free char *jp = NULL;
        cleanup_free char *buf = NULL;
        size_t len;
        int r;

        if (!vol_name_valid(name))
                return err_setf(err, -ENOENT, "get %s: no such volume", name ? name : "");
        jp = json_path(root, name);
        r = fs_read_capped(jp, VOL_JSON_MAX, &buf, &len, NULL);
        if (r == -ENOENT)
                return err_setf(err, -ENOENT, "get %s: no such volume", name);
        if (r < 0)
                return err_setf(err, r, "read '%s': %s", jp, strerror(-r));
        return jsonx_parse(buf, len, VOL_JSON_MAX, jp, ret, err);
}

int
vol_inspect(const char *root, const char *name, json_object **ret, struct err *err)
{
        json_object *rec = NULL;
        cleanup_free char *mp = vol_path(root, name);
        int r = read_record(root, name, &rec, err);

        if (r < 0)
                return r;
        if (!json_object_is_type(rec, json_type_object)) {
                json_object_put(rec);
                return err_setf(err, -EINVAL, "volume '%s': volume.json is not an object", name);
        }
        jsonx_add_str(rec, "Mountpoint", mp);
        *ret = rec;
        return 0;
}

int
vol_list(const char *root, char ***ret_names, struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/volumes", root);
        cleanup_strv char **names = NULL;
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        if (!d) {
                if (errno != ENOENT)
                        return err_setf(err, -errno, "list '%s': %s", dir, strerror(errno));
                *ret_names = NULL;
                return 0;
        }
        while ((de = readdir(d)) && n < VOL_MAX) {
                cleanup_free char *jp = NULL;
                if (!vol_name_valid(de->d_name))
                        continue;
                jp = json_path(root, de->d_name);
                if (!fs_exists(jp))
                        continue;
                strv_add(&names, de->d_name);
                n++;
        }
        closedir(d);
        strv_sort(names);
        *ret_names = TAKE_PTR(names);
        return (int)n;
}

/* ---- references from container records ---- */

static void
add_unique(char ***v, const char *s)
{
        if (s && *s && !strv_contains(*v, s))
                strv_add(v, s);
}

static void
names_from_binds(json_object *binds, char ***v)
{
        size_t n =
                json_object_is_type(binds, json_type_array) ? json_object_array_length(binds) : 0;

        for (size_t i = 0; i < n; i++) {
                const char *b = json_object_get_string(json_object_array_get_idx(binds, i));
                cleanup_strv char **parts = b ? strv_split(b, ":") : NULL;

                if (strv_length(parts) >= 2 && vol_name_valid(parts[0]))
                        add_unique(v, parts[0]);
        }
}

static void
names_from_mounts(json_object *mounts, const char *key, char ***v)
{
        size_t n =
                json_object_is_type(mounts, json_type_array) ? json_object_array_length(mounts) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *m = json_object_array_get_idx(mounts, i);
                const char *type = jsonx_str(m, "Type");

                if (type && strcmp(type, "volume") == 0)
                        add_unique(v, jsonx_str(m, key));
        }
}

char **
vol_config_names(json_object *config)
{
        json_object *hc = jsonx_get(config, "HostConfig");
        char **v = NULL;

        names_from_binds(jsonx_get(hc, "Binds"), &v);
        names_from_mounts(jsonx_get(hc, "Mounts"), "Source", &v);
        names_from_mounts(jsonx_get(config, "Mounts"), "Name", &v);
        return v;
}

static int
config_of(const char *root, const char *id, json_object **ret)
{
        cleanup_free char *p = xasprintf("%s/containers/%s/config.json", root, id);
        cleanup_free char *buf = NULL;
        size_t len;
        int r = fs_read_capped(p, CTR_JSON_MAX, &buf, &len, NULL);

        return r < 0 ? r : jsonx_parse(buf, len, CTR_JSON_MAX, p, ret, NULL);
}

/* scan: call fn with the volume names of each container record. */
static int
scan(const char *root, void (*fn)(const char *id, char **names, void *ctx), void *ctx,
     struct err *err)
{
        cleanup_strv char **ids = NULL;
        int r = ctr_list(root, &ids, err);

        if (r < 0)
                return r;
        strv_foreach(id, ids) {
                json_object *cfg = NULL;
                cleanup_strv char **names = NULL;

                if (config_of(root, id, &cfg) < 0)
                        continue; /* a half-made or half-removed record */
                names = vol_config_names(cfg);
                fn(id, names, ctx);
                json_object_put(cfg);
        }
        return 0;
}

struct users_ctx {
        const char *name;
        char **ids;
};

static void
users_fn(const char *id, char **names, void *ctx)
{
        struct users_ctx *u = ctx;

        if (strv_contains(names, u->name))
                strv_add(&u->ids, id);
}

int
vol_users(const char *root, const char *name, char ***ret_ids, struct err *err)
{
        struct users_ctx u = { .name = name };
        int r = scan(root, users_fn, &u, err);

        if (r < 0) {
                strv_free(u.ids);
                return r;
        }
        *ret_ids = u.ids;
        return 0;
}

static void
used_fn(const char *id, char **names, void *ctx)
{
        char ***all = ctx;

        (void)id;
        strv_foreach(n, names)
                add_unique(all, n);
}

int
vol_used_names(const char *root, char ***ret_names, struct err *err)
{
        char **all = NULL;
        int r = scan(root, used_fn, &all, err);

        if (r < 0) {
                strv_free(all);
                return r;
        }
        strv_sort(all);
        *ret_names = all;
        return 0;
}

/* ---- removal ---- */

static int
in_use(const char *root, const char *name, struct err *err)
{
        cleanup_strv char **users = NULL;
        cleanup_free char *list = NULL;
        int r = vol_users(root, name, &users, err);

        if (r < 0 || !users)
                return r;
        list = strv_join(users, ", ");
        return err_setf(err, -EBUSY, "remove %s: volume is in use - [%s]", name, list);
}

static int
remove_locked(const char *root, const char *name, struct err *err)
{
        cleanup_free char *jp = json_path(root, name);
        cleanup_free char *dir = xasprintf("%s/volumes", root);
        cleanup_close int dfd = -1;
        int r = in_use(root, name, err);

        if (r < 0)
                return r;
        /* volume.json first: from here on the volume no longer exists for lookups */
        if (unlink(jp) < 0)
                return err_setf(err, -errno, "remove '%s': %s", jp, strerror(errno));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return err_setf(err, -errno, "open '%s': %s", dir, strerror(errno));
        r = layer_remove_tree(dfd, name, err);
        return r < 0 ? err_prefix(err, "remove %s", name) : 0;
}

int
vol_remove(const char *root, const char *name, int force, struct err *err)
{
        cleanup_free char *jp = NULL;
        cleanup_close int fd = -1;

        if (!vol_name_valid(name) && !force)
                return err_setf(err, -ENOENT, "get %s: no such volume", name ? name : "");
        if (!vol_name_valid(name))
                return 0;
        fd = vol_lock(root, err);
        if (fd < 0)
                return fd;
        jp = json_path(root, name);
        if (!fs_exists(jp))
                return force ? 0 : err_setf(err, -ENOENT, "get %s: no such volume", name);
        return remove_locked(root, name, err);
}

static int
partial(const char *root, const char *name, time_t older_than)
{
        cleanup_free char *dir = xasprintf("%s/volumes/%s", root, name);
        cleanup_free char *jp = json_path(root, name);
        struct stat sb;

        return vol_name_valid(name) && lstat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
               sb.st_mtime < older_than && !fs_exists(jp);
}

int
vol_prune_partial(const char *root, int age, struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/volumes", root);
        cleanup_close int fd = -1, dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        time_t older_than = time(NULL) - age;
        struct dirent *de;
        DIR *d;
        int n = 0, r = 0;

        if (dfd < 0)
                return errno == ENOENT
                               ? 0
                               : err_setf(err, -errno, "open '%s': %s", dir, strerror(errno));
        fd = vol_lock(root, err);
        d = fd < 0 ? NULL : opendir(dir);
        if (!d)
                return fd < 0 ? fd : err_setf(err, -errno, "list '%s': %s", dir, strerror(errno));
        while (r == 0 && (de = readdir(d))) {
                if (!partial(root, de->d_name, older_than))
                        continue;
                r = layer_remove_tree(dfd, de->d_name, err);
                n += r == 0;
        }
        closedir(d);
        return r < 0 ? r : n;
}

static int
is_anonymous(const char *root, const char *name)
{
        json_object *rec = NULL;
        int anon;

        if (read_record(root, name, &rec, NULL) < 0)
                return 0;
        anon = jsonx_get(jsonx_get(rec, "Labels"), VOL_ANON_LABEL) != NULL;
        json_object_put(rec);
        return anon;
}

int
vol_remove_anonymous(const char *root, json_object *config, struct err *err)
{
        cleanup_strv char **names = vol_config_names(config);
        int first = 0;

        strv_foreach(n, names) {
                struct err e = { 0 };
                int r;

                if (!is_anonymous(root, n))
                        continue;
                r = vol_remove(root, n, 1, &e);
                if (r == -EBUSY)
                        continue; /* another container still has it */
                if (r < 0 && first == 0) {
                        first = r;
                        err_setf(err, r, "%s", e.msg);
                }
        }
        return first;
}

/* ---- mounting ---- */

int
vol_source(const char *root, const char *name, struct vol_source *ret, struct err *err)
{
        json_object *rec = NULL;
        json_object *opts;
        const char *type, *o, *device;
        int r = read_record(root, name, &rec, err);

        if (r < 0)
                return r;
        opts = jsonx_get(rec, "Options");
        type = jsonx_str(opts, "type");
        o = jsonx_str(opts, "o");
        device = jsonx_str(opts, "device");
        memset(ret, 0, sizeof(*ret));
        if (type && strcmp(type, "tmpfs") == 0) {
                ret->tmpfs = 1;
                ret->options = o && *o ? xstrdup(o) : NULL;
        } else if (o && strstr(o, "bind") && device) {
                ret->path = xstrdup(device);
        } else {
                ret->path = vol_path(root, name);
        }
        json_object_put(rec);
        return 0;
}

void
vol_source_release(struct vol_source *s)
{
        free(s->path);
        free(s->options);
        memset(s, 0, sizeof(*s));
}
