#include "log.h"

#include <stdarg.h>
#include <stdlib.h>

#include "alloc.h"

void
log_emit(const struct logger *lg, enum log_level level, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        if (!lg || !lg->fn)
                return;
        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        lg->fn(lg->ctx, level, msg);
        free(msg);
}
