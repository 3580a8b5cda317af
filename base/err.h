/* err: the one error value every fallible berth function fills.
 *
 * Contract: a function that can fail returns 0 (or a count) on success and a negative errno
 * on failure, and fills *err exactly once at the place that failed. Callers either pass the
 * code up unchanged or add context in front with err_prefix(). Only main() prints.
 * err may be NULL: the message is then dropped but the return code still says what failed.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define ERR_MSG_MAX 1024

struct err {
        int code;              /* negative errno, 0 when unset */
        char msg[ERR_MSG_MAX]; /* one line, lower case, what failed then why */
        const char *src_file;  /* where in berth's source it was set (for --debug) */
        int src_line;
        int exit_code; /* the process exit code main() uses for this failure; 0 = 1 */
};

/* err_setf: fill err (if not already set) and return code (a negative errno). */
int err_setf_at(struct err *err, const char *src_file, int src_line, int code, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
#define err_setf(err, code, ...) err_setf_at((err), __FILE__, __LINE__, (code), __VA_ARGS__)

/* err_prefix: put "context: " in front of an already-set message; returns err->code.
 * Used by callers that know which object the failure was about. */
int err_prefix(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* err_exit_code: make main() exit with code (docker's 125/126/127) for the failure r; returns r.
 * The message stays the one the failing function set. */
int err_exit_code(struct err *err, int code, int r);

/* err_clear: forget a previous failure (after a caller chose to recover from it). */
void err_clear(struct err *err);

/* err_is_set: whether a failure has been recorded. */
int err_is_set(const struct err *err);
