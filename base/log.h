/* log: diagnostics that library code reports without printing (only main prints).
 *
 * A struct logger is a sink supplied by the caller; library code calls log_warn()/log_debug()
 * and the sink decides. A NULL logger drops everything.
 */
#pragma once

enum log_level {
        LOG_ERROR,
        LOG_WARN,
        LOG_INFO,
        LOG_DEBUG
};

struct logger {
        void (*fn)(void *ctx, enum log_level level, const char *msg);
        void *ctx;
};

void log_emit(const struct logger *lg, enum log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
#define log_warn(lg, ...)  log_emit((lg), LOG_WARN, __VA_ARGS__)
#define log_info(lg, ...)  log_emit((lg), LOG_INFO, __VA_ARGS__)
#define log_debug(lg, ...) log_emit((lg), LOG_DEBUG, __VA_ARGS__)
