/* memshed: see memshed.h. */
#include "memshed.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fs.h"

#define SMAPS_MAX   (4u << 20) /* bytes: a monitor's smaps is a few KiB */
#define RANGES_MAX  16
#define STACK_KEEP  (16u << 10) /* bytes below the caller's frame kept: memshed's own frames */

struct entry {
        unsigned long start, end, ino, anon;
        char perms[5];
        int stack;
};

/* header: parse "start-end perms offset dev inode [path]"; 1 when line is one. */
static int
header(const char *line, struct entry *e)
{
        char path[32] = "";

        memset(e, 0, sizeof(*e));
        if (sscanf(line, "%lx-%lx %4s %*x %*x:%*x %lu %31s", &e->start, &e->end, e->perms,
                   &e->ino, path) < 4)
                return 0;
        e->stack = strcmp(path, "[stack]") == 0;
        return 1;
}

static int
droppable(const struct entry *e, unsigned long exe_ino)
{
        return e->end > e->start && e->ino == exe_ino && e->perms[1] != 'w' &&
               e->perms[3] == 'p' && e->anon == 0;
}

/* walk: each mapping of smaps; *ret_stack gets the stack's start (0 when not found). */
static size_t
walk(const char *smaps, unsigned long exe_ino, unsigned long (*ranges)[2], size_t max,
     unsigned long *ret_stack)
{
        struct entry cur = { 0 }, next;
        int have = 0;
        size_t n = 0;

        *ret_stack = 0;
        for (const char *p = smaps; p && *p;) {
                const char *eol = strchr(p, '\n');
                int last = !eol || !eol[1];

                if (header(p, &next)) {
                        if (have && droppable(&cur, exe_ino) && n < max) {
                                ranges[n][0] = cur.start;
                                ranges[n++][1] = cur.end;
                        }
                        if (next.stack)
                                *ret_stack = next.start;
                        cur = next;
                        have = 1;
                } else if (strncmp(p, "Anonymous:", 10) == 0) {
                        cur.anon = strtoul(p + 10, NULL, 10);
                }
                if (last && have && droppable(&cur, exe_ino) && n < max) {
                        ranges[n][0] = cur.start;
                        ranges[n++][1] = cur.end;
                }
                p = eol ? eol + 1 : NULL;
        }
        return n;
}

size_t
memshed_parse(const char *smaps, unsigned long exe_ino, unsigned long (*ranges)[2], size_t max)
{
        unsigned long stack;

        return walk(smaps, exe_ino, ranges, max, &stack);
}

__attribute__((noinline)) void
memshed(void)
{
        cleanup_free char *text = NULL;
        unsigned long ranges[RANGES_MAX][2], stack;
        uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
        struct stat st;
        size_t n;

        if (stat("/proc/self/exe", &st) < 0 ||
            fs_read_capped("/proc/self/smaps", SMAPS_MAX, &text, NULL, NULL) < 0)
                return;
        n = walk(text, (unsigned long)st.st_ino, ranges, RANGES_MAX, &stack);
        for (size_t i = 0; i < n; i++) {
                void *a = (void *)ranges[i][0];
                size_t len = ranges[i][1] - ranges[i][0];

                madvise(a, len, MADV_RANDOM);
                madvise(a, len, MADV_DONTNEED);
        }
        /* the stack grows down: below the frames still in use is only what startup left */
        if (stack && sp > stack + STACK_KEEP) {
                uintptr_t end = (sp - STACK_KEEP) & ~(uintptr_t)4095;

                if (end > stack)
                        madvise((void *)stack, end - stack, MADV_DONTNEED);
        }
}
