/* container_log: --log-driver and --log-opt of `container run/create` (and compose's
 * `logging:`), checked and written into a container's config.
 *
 * Drivers: json-file (the default), local (kept in the same json-file lines, with docker's
 * local defaults: 20m per file, 5 files) and none (no log: `logs` says the driver cannot be
 * read). Options: max-size (go-units RAMInBytes, as docker's) and max-file (1..100). Docker
 * shows what was asked in HostConfig.LogConfig; the monitor reads the resolved limits from
 * the config's LogRotate {MaxSize, MaxFile} (monitor.h). Without options the log is capped
 * at MONITOR_LOG_MAX bytes with one older file, where docker's json-file would grow forever.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "compose/container_int.h"
#include "engine/monitor.h"
#include "spec/units.h"

#define LOG_SIZE_MAX (1ll << 30) /* bytes: `logs` reads a whole file into memory */

struct limits {
        long long size;
        long files;
        bool has_size, has_files;
};

static int
one_opt(const char *opt, struct limits *l, json_object *conf, struct err *err)
{
        const char *eq = strchr(opt, '=');
        cleanup_free char *key = eq ? xstrndup(opt, (size_t)(eq - opt)) : xstrdup(opt);
        char *end;

        if (!eq)
                return err_setf(err, -EINVAL, "invalid log-opt '%s': want KEY=VALUE", opt);
        if (!strcmp(key, "max-size")) {
                if (units_parse_bytes(eq + 1, &l->size, err) < 0)
                        return err_prefix(err, "log-opt max-size");
                if (l->size <= 0 || l->size > LOG_SIZE_MAX)
                        return err_setf(err, -EINVAL,
                                        "log-opt max-size '%s': want 1 byte to "
                                        "1 GiB",
                                        eq + 1);
                l->has_size = true;
        } else if (!strcmp(key, "max-file")) {
                errno = 0;
                l->files = strtol(eq + 1, &end, 10);
                if (errno || end == eq + 1 || *end || l->files < 1 ||
                    l->files > MONITOR_LOG_FILES_MAX)
                        return err_setf(err, -EINVAL, "log-opt max-file '%s': want 1 to %d", eq + 1,
                                        MONITOR_LOG_FILES_MAX);
                l->has_files = true;
        } else {
                return err_setf(err, -ENOTSUP,
                                "log-opt '%s' is not available (max-size and "
                                "max-file are)",
                                key);
        }
        json_object_object_add(conf, key, json_object_new_string(eq + 1));
        return 0;
}

/* resolved: docker's json-file defaults once a size is set (one file: it is truncated when
 * full), the local driver's, or berth's cap */
static void
resolved(const char *driver, struct limits *l)
{
        bool local = !strcmp(driver, "local");

        if (!l->has_size)
                l->size = local ? 20ll << 20 : MONITOR_LOG_MAX;
        if (!l->has_files)
                l->files = local ? 5 : l->has_size ? 1 : 2;
}

int
cmd_container_log_config(const char *driver, char *const *opts, json_object *cfg, json_object *hc,
                         struct err *err)
{
        json_object *lc, *conf = json_object_new_object(), *rot;
        struct limits l = { 0 };
        int r = 0;

        if (!driver)
                driver = "json-file";
        if (strcmp(driver, "json-file") && strcmp(driver, "local") && strcmp(driver, "none")) {
                json_object_put(conf);
                return err_setf(err, -ENOTSUP,
                                "logging driver '%s' is not available (json-file, "
                                "local and none are)",
                                driver);
        }
        for (size_t i = 0; r == 0 && opts && opts[i]; i++)
                r = strcmp(driver, "none") ? one_opt(opts[i], &l, conf, err)
                                           : err_setf(err, -EINVAL,
                                                      "logging driver none takes "
                                                      "no log-opt ('%s')",
                                                      opts[i]);
        if (r < 0) {
                json_object_put(conf);
                return r;
        }
        lc = json_object_new_object();
        json_object_object_add(lc, "Type", json_object_new_string(driver));
        json_object_object_add(lc, "Config", conf);
        json_object_object_add(hc, "LogConfig", lc);
        resolved(driver, &l);
        rot = json_object_new_object();
        json_object_object_add(rot, "Driver", json_object_new_string(driver));
        json_object_object_add(rot, "MaxSize", json_object_new_int64(l.size));
        json_object_object_add(rot, "MaxFile", json_object_new_int64(l.files));
        json_object_object_add(cfg, "LogRotate", rot);
        return 0;
}
