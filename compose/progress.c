/* progress: compose's live and plain views (see progress.h). The tty view redraws its lines
 * with VT100 cursor-up and erase-line sequences, which every terminal compose supports has. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "compose/progress.h"

static long long
now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
progress_init(struct progress *p, const char *mode, const char *title, FILE *out,
              struct err *err)
{
        *p = (struct progress){ .out = out, .title = title };
        if (!mode || strcmp(mode, "auto") == 0)
                p->mode = isatty(fileno(out)) ? PROGRESS_TTY : PROGRESS_PLAIN;
        else if (strcmp(mode, "tty") == 0)
                p->mode = PROGRESS_TTY;
        else if (strcmp(mode, "plain") == 0)
                p->mode = PROGRESS_PLAIN;
        else if (strcmp(mode, "quiet") == 0)
                p->mode = PROGRESS_QUIET;
        else if (strcmp(mode, "json") == 0)
                p->mode = PROGRESS_JSON;
        else
                return err_setf(err, -EINVAL, "invalid --progress '%s': want auto, tty, plain, "
                                "quiet or json", mode);
        return 0;
}

static bool
in_progress(const char *status)
{
        size_t n = strlen(status);

        return (n > 3 && strcmp(status + n - 3, "ing") == 0) || strcmp(status, "Recreate") == 0;
}

static struct progress_item *
item_of(struct progress *p, const char *id)
{
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->items[i].id, id) == 0)
                        return &p->items[i];
        if (p->n == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 16;
                p->items = xreallocarray(p->items, p->cap, sizeof(*p->items));
        }
        p->items[p->n] = (struct progress_item){ .id = xstrdup(id), .t0_ms = now_ms() };
        return &p->items[p->n++];
}

static void
redraw(struct progress *p)
{
        size_t done = 0;

        for (size_t i = 0; i < p->n; i++)
                done += p->items[i].done;
        if (p->drawn)
                fprintf(p->out, "\033[%zuA", p->drawn);
        fprintf(p->out, "\r\033[K[+] %s %zu/%zu\n", p->title, done, p->n);
        for (size_t i = 0; i < p->n; i++) {
                const struct progress_item *it = &p->items[i];
                long long end = it->done ? it->t1_ms : now_ms();
                const char *mark = it->failed ? "\033[31m✘\033[0m" : it->done ? "\033[32m✔\033[0m" : "⠿";
                fprintf(p->out, "\033[K %s %-40s %-12s %5.1fs\n", mark, it->id, it->status,
                        (double)(end - it->t0_ms) / 1000.0);
        }
        p->drawn = p->n + 1;
        fflush(p->out);
}

void
progress_event(struct progress *p, const char *id, const char *status)
{
        struct progress_item *it;

        if (p->mode == PROGRESS_QUIET)
                return;
        if (p->mode == PROGRESS_PLAIN) {
                fprintf(p->out, " %s  %s\n", id, status);
                fflush(p->out);
                return;
        }
        if (p->mode == PROGRESS_JSON) {
                fprintf(p->out, "{\"id\":\"%s\",\"status\":\"%s\"}\n", id, status);
                fflush(p->out);
                return;
        }
        it = item_of(p, id);
        free(it->status);
        it->status = xstrdup(status);
        it->failed = strcmp(status, "Error") == 0;
        it->done = !in_progress(status);
        if (it->done)
                it->t1_ms = now_ms();
        redraw(p);
}

void
progress_line(struct progress *p, const char *line)
{
        const char *tab = strchr(line, '\t');
        cleanup_free char *id = NULL;

        if (!tab)
                return;
        id = xstrndup(line, (size_t)(tab - line));
        progress_event(p, id, tab + 1);
}

void
progress_end(struct progress *p)
{
        if (p->mode == PROGRESS_TTY && p->n)
                redraw(p);
        for (size_t i = 0; i < p->n; i++) {
                free(p->items[i].id);
                free(p->items[i].status);
        }
        free(p->items);
        p->items = NULL;
        p->n = p->cap = p->drawn = 0;
}
