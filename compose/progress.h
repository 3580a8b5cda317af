/* progress: compose v2's view of what a command does to networks, volumes and containers.
 *
 * Each resource is one line, "Container webapp-api-1" with its latest status. On a terminal
 * (--progress tty, or auto on a tty) the lines are redrawn in place under a "[+] Running 3/4"
 * header with a mark and the time since the resource was first seen; otherwise (plain) every
 * event is one line " Container webapp-api-1  Started", as compose prints it; json prints one
 * object per event; quiet prints nothing. Everything goes to stderr, as compose's does.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "base/err.h"

enum progress_mode { PROGRESS_PLAIN, PROGRESS_TTY, PROGRESS_QUIET, PROGRESS_JSON };

struct progress_item {
        char *id;      /* "Container webapp-api-1" */
        char *status;  /* "Started" */
        long long t0_ms, t1_ms;
        bool done, failed;
};

struct progress {
        enum progress_mode mode;
        FILE *out;
        const char *title;  /* "Running", "Stopping", … (borrowed) */
        struct progress_item *items;
        size_t n, cap;
        size_t drawn;       /* lines on screen (tty) */
};

/* progress_init: mode from --progress (NULL/"auto": tty when out is a terminal). -EINVAL
 * for an unknown mode. */
int progress_init(struct progress *p, const char *mode, const char *title, FILE *out,
                  struct err *err);
/* progress_event: the resource id now has status (a "…ing" status is in progress; Error marks
 * it failed). */
void progress_event(struct progress *p, const char *id, const char *status);
/* progress_line: an event as the dag protocol carries it: "ID\tSTATUS". */
void progress_line(struct progress *p, const char *line);
/* progress_end: the final redraw; frees the items. */
void progress_end(struct progress *p);
