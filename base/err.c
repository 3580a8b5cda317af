#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
err_setf_at(struct err *err, const char *src_file, int src_line, int code, const char *fmt, ...)
{
        va_list ap;

        /* a non-negative code is a caller's mistake; EINVAL is the honest fallback */
        if (code >= 0)
                code = -EINVAL;
        if (!err || err->code)
                return code;
        err->code = code;
        err->src_file = src_file;
        err->src_line = src_line;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        return code;
}

int
err_prefix(struct err *err, const char *fmt, ...)
{
        char out[2 * ERR_MSG_MAX + 2];
        va_list ap;
        int n;

        if (!err)
                return -1;
        va_start(ap, fmt);
        n = vsnprintf(out, ERR_MSG_MAX, fmt, ap);
        va_end(ap);
        if (n < 0)
                return err->code;
        n = n < ERR_MSG_MAX ? n : ERR_MSG_MAX - 1;
        memcpy(out + n, ": ", 2);
        memcpy(out + n + 2, err->msg, ERR_MSG_MAX);
        out[sizeof(out) - 1] = '\0';
        memcpy(err->msg, out, ERR_MSG_MAX - 1);
        err->msg[ERR_MSG_MAX - 1] = '\0';
        return err->code;
}

int
err_exit_code(struct err *err, int code, int r)
{
        if (err)
                err->exit_code = code;
        return r;
}

void
err_clear(struct err *err)
{
        if (err)
                memset(err, 0, sizeof(*err));
}

int
err_is_set(const struct err *err)
{
        return err && err->code != 0;
}
