/* stack_logs: the log view of several containers at once, as compose prints it:
 * "webapp-api-1  | line", one colour per container on a terminal.
 *
 * Each container's log.json (docker json-file lines written by its monitor) is read from
 * where we left it; a rotation (log.json renamed to log.json.1 by the monitor) shows as a
 * new inode at the path and the file is reopened from its start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/sbuf.h"
#include "compose/container_int.h"
#include "compose/stack.h"
#include "engine/monitor.h"

#define LOG_SLACK (4u << 20) /* bytes a file may pass its max-size by: the last line */

static const int colors[] = { 36, 33, 32, 35, 34, 96, 93, 92, 95, 94 };

int
stack_logs_add(struct stack_logs *l, const struct ctr *c)
{
        struct stack_log_src *src;
        size_t w = strlen(c->name);

        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].id, c->id) == 0)
                        return 0;
        l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
        src = &l->v[l->n];
        *src = (struct stack_log_src){ .fd = -1, .color = colors[l->n % 10] };
        memcpy(src->id, c->id, sizeof(src->id));
        src->name = xstrdup(c->name);
        src->path = ctr_path(c, "log.json");
        monitor_log_limits(c->config, &src->size, &src->files);
        sbuf_init(&src->pend);
        l->n++;
        if (w > l->width)
                l->width = w;
        return 1;
}

void
stack_logs_release(struct stack_logs *l)
{
        for (size_t i = 0; i < l->n; i++) {
                if (l->v[i].fd >= 0)
                        close(l->v[i].fd);
                free(l->v[i].name);
                free(l->v[i].path);
                sbuf_release(&l->v[i].pend);
        }
        free(l->v);
        *l = (struct stack_logs){ 0 };
}

static void
prefix(const struct stack_logs *l, const struct stack_log_src *src, FILE *out)
{
        if (l->no_prefix)
                return;
        if (l->color)
                fprintf(out, "\033[%dm%-*s  |\033[0m ", src->color, (int)l->width, src->name);
        else
                fprintf(out, "%-*s  | ", (int)l->width, src->name);
}

static void
emit(const struct stack_logs *l, const struct stack_log_src *src, const char *line, size_t n)
{
        cleanup_free char *copy = xstrndup(line, n);
        json_object *j = json_tokener_parse(copy);
        json_object *lg = NULL, *tm = NULL;
        const char *t, *text;
        size_t len;

        if (!j)
                return;
        json_object_object_get_ex(j, "log", &lg);
        json_object_object_get_ex(j, "time", &tm);
        t = tm ? json_object_get_string(tm) : "";
        if (lg && (!l->since || cmd_container_parse_time(t) >= l->since) &&
            (!l->until || cmd_container_parse_time(t) <= l->until)) {
                text = json_object_get_string(lg);
                len = (size_t)json_object_get_string_len(lg);
                prefix(l, src, stdout);
                if (l->timestamps)
                        printf("%s ", t);
                fwrite(text, 1, len, stdout);
                if (!len || text[len - 1] != '\n')
                        putchar('\n');
        }
        json_object_put(j);
}

static void
lines_of(const struct stack_logs *l, const struct stack_log_src *src, struct sbuf *sb,
         bool keep_partial)
{
        size_t off = 0;
        char *nl;

        while ((nl = memchr(sb->buf + off, '\n', sb->len - off))) {
                emit(l, src, sb->buf + off, (size_t)(nl - (sb->buf + off)));
                off = (size_t)(nl - sb->buf) + 1;
        }
        if (!keep_partial)
                off = sb->len;
        memmove(sb->buf, sb->buf + off, sb->len - off);
        sbuf_truncate(sb, sb->len - off);
}

/* history: what is there already (the rotated files oldest first, then log.json), the last
 * tail lines of it. */
static void
history(struct stack_logs *l, struct stack_log_src *src)
{
        cleanup_free char *b0 = NULL;
        cleanup_sbuf struct sbuf all = SBUF_INIT;
        struct err e = { 0 };
        struct stat st;
        size_t n0 = 0, lines = 0, start = 0;

        for (int k = src->files - 1; k >= 1; k--) {
                cleanup_free char *pk = xasprintf("%s.%d", src->path, k);
                cleanup_free char *bk = NULL;
                size_t nk = 0;

                if (fs_read_capped(pk, src->size + LOG_SLACK, &bk, &nk, &e) == 0)
                        sbuf_add(&all, bk, nk);
        }
        src->fd = open(src->path, O_RDONLY | O_CLOEXEC);
        if (src->fd >= 0 && fstat(src->fd, &st) == 0) {
                src->ino = st.st_ino;
                if (fs_read_fd_capped(src->fd, "log.json", src->size + LOG_SLACK, &b0, &n0, &e) == 0)
                        sbuf_add(&all, b0, n0);
        }
        if (l->tail >= 0) {
                for (size_t i = all.len; i-- > 0;)
                        if (all.buf[i] == '\n' && i + 1 < all.len && ++lines > (size_t)l->tail) {
                                start = i + 1;
                                break;
                        }
                if (l->tail == 0)
                        start = all.len;
        }
        sbuf_add(&src->pend, all.buf + start, all.len - start);
        lines_of(l, src, &src->pend, true);
        src->started = true;
}

void
stack_logs_pump(struct stack_logs *l)
{
        char buf[8192];

        for (size_t i = 0; i < l->n; i++) {
                struct stack_log_src *src = &l->v[i];
                struct stat st;
                ssize_t n;
                if (!src->started) {
                        history(l, src);
                        continue;
                }
                if (src->fd < 0)
                        src->fd = open(src->path, O_RDONLY | O_CLOEXEC);
                if (src->fd < 0)
                        continue;
                while ((n = read(src->fd, buf, sizeof(buf))) > 0) {
                        sbuf_add(&src->pend, buf, (size_t)n);
                        lines_of(l, src, &src->pend, true);
                }
                if (stat(src->path, &st) == 0 && src->ino && st.st_ino != src->ino) {
                        close(src->fd);
                        src->fd = open(src->path, O_RDONLY | O_CLOEXEC);
                        src->ino = src->fd >= 0 ? st.st_ino : 0;
                        sbuf_reset(&src->pend);
                } else if (!src->ino && fstat(src->fd, &st) == 0) {
                        src->ino = st.st_ino;
                }
        }
        fflush(stdout);
}
