/* build_progress: what a build shows while it runs.
 *
 * plain: "#N [stage k/n] INSTR ..." when a step starts, "#N <line>" for each line it prints,
 *        then "#N CACHED", "#N DONE 0.3s" or "#N ERROR" (docker buildx's plain layout).
 * tty:   the same step line, redrawn in place with the last BUILD_OUTPUT_TAIL output lines
 *        under it while the step runs (ANSI: cursor up, erase below); when it ends, only the
 *        step line stays, with CACHED or its duration.
 * quiet: nothing.
 * In every mode a failing step's whole output is kept so the error can be shown.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>

#include "base/alloc.h"
#include "engine/build_int.h"

#define TTY_LINE_MAX 120

static int64_t
now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
build_progress_init(struct build_progress_state *p, enum build_progress mode, FILE *out)
{
        *p = (struct build_progress_state){ .mode = mode, .out = out ? out : stderr };
        sbuf_init(&p->output);
        sbuf_init(&p->partial);
        if (p->mode == BUILD_PROGRESS_AUTO)
                p->mode = isatty(fileno(p->out)) ? BUILD_PROGRESS_TTY : BUILD_PROGRESS_PLAIN;
        p->cols = TTY_LINE_MAX;
        if (p->mode == BUILD_PROGRESS_TTY) {
                struct winsize ws = { 0 };

                if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
                        p->cols = ws.ws_col - 1;
        }
}

static void
tail_clear(struct build_progress_state *p)
{
        for (size_t i = 0; i < BUILD_OUTPUT_TAIL; i++) {
                free(p->tail[i]);
                p->tail[i] = NULL;
        }
}

void
build_progress_release(struct build_progress_state *p)
{
        tail_clear(p);
        free(p->title);
        p->title = NULL;
        sbuf_release(&p->output);
        sbuf_release(&p->partial);
}

static size_t
tail_count(const struct build_progress_state *p)
{
        size_t n = 0;

        while (n < BUILD_OUTPUT_TAIL && p->tail[n])
                n++;
        return n;
}

/* tty_draw: erase what the step drew (1 + tail lines) and draw it again */
static void
tty_draw(struct build_progress_state *p, size_t erase, const char *status)
{
        char *line = xasprintf("#%d %s%s%s", p->step, p->title, status ? " " : "",
                               status ? status : "");
        size_t len = strlen(line);

        if (status && len > (size_t)p->cols && (size_t)p->cols > strlen(status) + 8)
                /* keep the status visible */
                snprintf(line + p->cols - strlen(status) - 4, strlen(status) + 5, "... %s", status);
        if (erase)
                fprintf(p->out, "\033[%zuA", erase);
        fprintf(p->out, "\r\033[J%.*s\n", p->cols, line);
        free(line);
        if (!status)
                for (size_t i = 0; i < tail_count(p); i++)
                        fprintf(p->out, "  %.*s\n", p->cols - 2, p->tail[i]);
        fflush(p->out);
}

void
build_progress_step(struct build_progress_state *p, const char *title)
{
        free(p->title);
        p->title = xstrdup(title);
        p->step++;
        tail_clear(p);
        sbuf_reset(&p->output);
        sbuf_reset(&p->partial);
        p->start_ns = now_ns();
        if (p->mode == BUILD_PROGRESS_PLAIN)
                fprintf(p->out, "#%d %s\n", p->step, title);
        else if (p->mode == BUILD_PROGRESS_TTY)
                tty_draw(p, 0, NULL);
        if (p->mode != BUILD_PROGRESS_QUIET)
                fflush(p->out);
}

static void
one_line(struct build_progress_state *p, const char *line)
{
        size_t n = tail_count(p), drawn = 1 + n;

        if (p->mode == BUILD_PROGRESS_PLAIN) {
                fprintf(p->out, "#%d %.3f %s\n", p->step,
                        (double)(now_ns() - p->start_ns) / 1e9, line);
                return;
        }
        if (p->mode != BUILD_PROGRESS_TTY)
                return;
        if (n == BUILD_OUTPUT_TAIL) {
                free(p->tail[0]);
                memmove(p->tail, p->tail + 1, (BUILD_OUTPUT_TAIL - 1) * sizeof(*p->tail));
                p->tail[--n] = NULL;
        }
        p->tail[n] = xstrdup(line);
        tty_draw(p, drawn, NULL);
}

void
build_progress_output(struct build_progress_state *p, const char *data, size_t n)
{
        sbuf_add(&p->output, data, n);
        for (size_t i = 0; i < n; i++) {
                if (data[i] != '\n') {
                        sbuf_addch(&p->partial, data[i]);
                        continue;
                }
                one_line(p, p->partial.buf ? p->partial.buf : "");
                sbuf_reset(&p->partial);
        }
        if (p->mode == BUILD_PROGRESS_PLAIN)
                fflush(p->out);
}

void
build_progress_done(struct build_progress_state *p, bool cached, bool failed)
{
        char status[64];
        double secs = (double)(now_ns() - p->start_ns) / 1e9;

        if (p->partial.len) {
                one_line(p, p->partial.buf);
                sbuf_reset(&p->partial);
        }
        if (cached)
                snprintf(status, sizeof(status), "CACHED");
        else
                snprintf(status, sizeof(status), "%s %.1fs", failed ? "ERROR" : "DONE", secs);
        if (p->mode == BUILD_PROGRESS_PLAIN)
                fprintf(p->out, "#%d %s\n", p->step, status);
        else if (p->mode == BUILD_PROGRESS_TTY)
                tty_draw(p, 1 + tail_count(p), status);
        if (p->mode != BUILD_PROGRESS_QUIET)
                fflush(p->out);
}

void
build_progress_note(struct build_progress_state *p, const char *fmt, ...)
{
        va_list ap;

        if (p->mode == BUILD_PROGRESS_QUIET)
                return;
        va_start(ap, fmt);
        vfprintf(p->out, fmt, ap);
        va_end(ap);
        fputc('\n', p->out);
        fflush(p->out);
}
