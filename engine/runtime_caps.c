/* runtime_caps: capability sets as docker computes them (moby oci/caps TweakCapabilities) and
 * capability names as libcap spells them (cap_from_name(3), "cap_chown").
 *
 * A set is a 64-bit mask, bit N = capability N, the shape of /proc/PID/status CapEff.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/capability.h>
#include <sys/prctl.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/procfs.h"
#include "engine/runtime_int.h"

#define CAP_NAME_MAX 64

int
rt_cap_parse(const char *name, int *ret_cap, struct err *err)
{
        char buf[CAP_NAME_MAX + 8];
        size_t len = strlen(name), off = 0;
        cap_value_t v;

        if (len == 0 || len > CAP_NAME_MAX)
                return err_setf(err, -EINVAL, "unknown capability: \"%s\"", name);
        if (strncasecmp(name, "cap_", 4) != 0) {
                memcpy(buf, "cap_", 4);
                off = 4;
        }
        for (size_t i = 0; i <= len; i++)
                buf[off + i] = (char)tolower((unsigned char)name[i]);
        if (cap_from_name(buf, &v) != 0 || v < 0 || v > 63)
                return err_setf(err, -EINVAL, "unknown capability: \"%s\"", name);
        *ret_cap = (int)v;
        return 0;
}

static int
is_all(const char *s)
{
        return strcasecmp(s, "ALL") == 0 || strcasecmp(s, "CAP_ALL") == 0;
}

static int
list_has_all(char *const *list)
{
        for (size_t i = 0; list && list[i]; i++)
                if (is_all(list[i]))
                        return 1;
        return 0;
}

/* list_mask: the capabilities named in list ("ALL" entries skipped); with must_exist, each
 * must be one this host can grant. */
static int
list_mask(char *const *list, uint64_t all_mask, int must_exist, uint64_t *ret, struct err *err)
{
        uint64_t m = 0;

        for (size_t i = 0; list && list[i]; i++) {
                int cap, r;

                if (is_all(list[i]))
                        continue;
                r = rt_cap_parse(list[i], &cap, err);
                if (r < 0)
                        return r;
                if (must_exist && !(all_mask & (1ULL << cap)))
                        return err_setf(err, -EINVAL,
                                        "capability \"%s\" is not available on this host", list[i]);
                m |= 1ULL << cap;
        }
        *ret = m;
        return 0;
}

int
rt_caps_compute(uint64_t basics, char *const *add, char *const *drop, int privileged,
                uint64_t all_mask, uint64_t *ret, struct err *err)
{
        uint64_t add_m, drop_m;
        int r;

        if (privileged) {
                *ret = all_mask;
                return 0;
        }
        r = list_mask(add, all_mask, 1, &add_m, err);
        if (r == 0)
                r = list_mask(drop, all_mask, 0, &drop_m, err);
        if (r < 0)
                return r;
        if (list_has_all(add))
                *ret = all_mask & ~drop_m;
        else if (list_has_all(drop))
                *ret = add_m;
        else
                *ret = ((basics & ~drop_m) | add_m) & all_mask;
        return 0;
}

int
rt_cap_last(void)
{
        cleanup_free char *buf = NULL;
        long v;
        char *end;

        if (fs_read_capped("/proc/sys/kernel/cap_last_cap", 64, &buf, NULL, NULL) < 0)
                return CAP_LAST_CAP;
        errno = 0;
        v = strtol(buf, &end, 10);
        if (errno || end == buf || v < 0 || v > 63)
                return CAP_LAST_CAP;
        return (int)v;
}

uint64_t
rt_caps_all(void)
{
        int last = rt_cap_last();
        uint64_t m = 0;

        /* one read of the bounding set, not one prctl per capability */
        if (procfs_status_mask("CapBnd", &m) == 0)
                return last >= 63 ? m : m & ((1ull << (last + 1)) - 1);
        m = 0;
        for (int c = 0; c <= last; c++)
                if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
                        m |= 1ULL << c;
        return m;
}
