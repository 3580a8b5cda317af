/* runtime_limits: docker's spellings of resource settings: --sysctl "name=value" (the
 * namespaced sysctls docker allows, sysctl(8) dotted names -> /proc/sys paths), --ulimit
 * "name=soft[:hard]" (setrlimit(2) resources) and byte sizes ("64m", go-units RAMInBytes).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "engine/runtime_int.h"

#define SYSCTL_MAX 256

static const char *const sysctl_names[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/* sysctl_path: "net.ipv4.ip_forward" -> "net/ipv4/ip_forward"; NULL when a component is
 * empty or "..". */
static char *
sysctl_path(const char *key)
{
        char *p = xstrdup(key);

        for (char *c = p; *c; c++)
                if (*c == '.')
                        *c = '/';
        for (char *c = p; c;) {
                char *slash = strchr(c, '/');
                size_t n = slash ? (size_t)(slash - c) : strlen(c);

                if (n == 0 || (n == 2 && c[0] == '.' && c[1] == '.')) {
                        free(p);
                        return NULL;
                }
                c = slash ? slash + 1 : NULL;
        }
        return p;
}

static int
sysctl_allowed(const char *key)
{
        for (size_t i = 0; i < ARRAY_SIZE(sysctl_names); i++)
                if (strcmp(key, sysctl_names[i]) == 0)
                        return 1;
        return strncmp(key, "net.", 4) == 0 || strncmp(key, "fs.mqueue.", 10) == 0;
}

int
rt_sysctl_check(const char *kv, int host_net, char **ret_path, char **ret_value, struct err *err)
{
        const char *eq = strchr(kv, '=');
        cleanup_free char *key = eq ? xstrndup(kv, (size_t)(eq - kv)) : NULL;
        char *path;

        if (!key || !*key || strlen(kv) > SYSCTL_MAX)
                return err_setf(err, -EINVAL,
                                "invalid argument \"%s\" for \"--sysctl\" flag: "
                                "expected name=value",
                                kv);
        if (!sysctl_allowed(key))
                return err_setf(err, -EINVAL,
                                "invalid argument \"%s\" for \"--sysctl\" flag: "
                                "sysctl '%s' is not allowed",
                                kv, kv);
        if (host_net && strncmp(key, "net.", 4) == 0)
                return err_setf(err, -EINVAL,
                                "sysctl \"%s\" not allowed in host network "
                                "namespace",
                                key);
        path = sysctl_path(key);
        if (!path)
                return err_setf(err, -EINVAL,
                                "invalid argument \"%s\" for \"--sysctl\" flag: "
                                "bad name",
                                kv);
        *ret_path = path;
        *ret_value = xstrdup(eq + 1);
        return 0;
}

struct rlim_name {
        const char *name;
        int resource;
};

static const struct rlim_name rlim_names[] = {
        { "core", RLIMIT_CORE },         { "cpu", RLIMIT_CPU },
        { "data", RLIMIT_DATA },         { "fsize", RLIMIT_FSIZE },
        { "locks", RLIMIT_LOCKS },       { "memlock", RLIMIT_MEMLOCK },
        { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
        { "nofile", RLIMIT_NOFILE },     { "nproc", RLIMIT_NPROC },
        { "rss", RLIMIT_RSS },           { "rtprio", RLIMIT_RTPRIO },
        { "rttime", RLIMIT_RTTIME },     { "sigpending", RLIMIT_SIGPENDING },
        { "stack", RLIMIT_STACK },
};

static int
parse_limit(const char *s, size_t len, uint64_t *ret)
{
        char buf[32];
        long long v;
        char *end;

        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (strcmp(buf, "unlimited") == 0 || strcmp(buf, "-1") == 0) {
                *ret = RT_ULIMIT_UNLIMITED;
                return 0;
        }
        errno = 0;
        v = strtoll(buf, &end, 10);
        if (errno || *end || end == buf || v < 0)
                return -EINVAL;
        *ret = (uint64_t)v;
        return 0;
}

int
rt_ulimit_parse(const char *spec, struct rt_ulimit *ret, struct err *err)
{
        const char *eq = strchr(spec, '='), *colon;
        struct rt_ulimit u = { .resource = -1 };

        for (size_t i = 0; eq && i < ARRAY_SIZE(rlim_names); i++)
                if (strlen(rlim_names[i].name) == (size_t)(eq - spec) &&
                    strncmp(spec, rlim_names[i].name, (size_t)(eq - spec)) == 0)
                        u.resource = rlim_names[i].resource;
        if (!eq || u.resource < 0)
                return err_setf(err, -EINVAL, "invalid ulimit type: %.*s",
                                eq ? (int)(eq - spec) : (int)strlen(spec), spec);
        colon = strchr(eq + 1, ':');
        if (parse_limit(eq + 1, colon ? (size_t)(colon - eq - 1) : strlen(eq + 1), &u.soft) < 0 ||
            (colon && parse_limit(colon + 1, strlen(colon + 1), &u.hard) < 0))
                return err_setf(err, -EINVAL, "invalid ulimit argument: %s", spec);
        if (!colon)
                u.hard = u.soft;
        if (u.soft > u.hard)
                return err_setf(err, -EINVAL,
                                "ulimit soft limit must be less than or equal to "
                                "hard limit: %s",
                                spec);
        *ret = u;
        return 0;
}

int
rt_size_parse(const char *s, int64_t *ret, struct err *err)
{
        static const char units[] = "bkmgtp";
        const char *u;
        char *end;
        double v, mult = 1;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || !isdigit((unsigned char)s[0]) || !isfinite(v))
                return err_setf(err, -EINVAL, "invalid size: '%s'", s);
        u = *end ? strchr(units, tolower((unsigned char)*end)) : units;
        if (!u)
                return err_setf(err, -EINVAL, "invalid size: '%s'", s);
        for (const char *c = units; c < u; c++)
                mult *= 1024;
        if (*end)
                end++;
        if (*end && strcasecmp(end, "b") != 0 && strcasecmp(end, "ib") != 0)
                return err_setf(err, -EINVAL, "invalid size: '%s'", s);
        if (v * mult >= 9.2e18)
                return err_setf(err, -ERANGE, "invalid size: '%s': too large", s);
        *ret = (int64_t)(v * mult);
        return 0;
}
