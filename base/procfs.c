#include "procfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs.h"

#define STATUS_MAX (64u << 10) /* bytes: /proc/self/status is about 1.5 KiB */

int
procfs_parse_mask(const char *text, const char *field, uint64_t *ret)
{
        size_t n = strlen(field);

        for (const char *line = text; line && *line;) {
                if (strncmp(line, field, n) == 0 && line[n] == ':') {
                        char *end;
                        unsigned long long v;

                        errno = 0;
                        v = strtoull(line + n + 1, &end, 16);
                        if (errno || end == line + n + 1 || (*end != '\n' && *end != '\0'))
                                return -EINVAL;
                        *ret = (uint64_t)v;
                        return 0;
                }
                line = strchr(line, '\n');
                line = line ? line + 1 : NULL;
        }
        return -ENOENT;
}

int
procfs_status_mask(const char *field, uint64_t *ret)
{
        cleanup_free char *buf = NULL;
        struct err e = { 0 };
        int r = fs_read_capped("/proc/self/status", STATUS_MAX, &buf, NULL, &e);

        return r < 0 ? r : procfs_parse_mask(buf, field, ret);
}
