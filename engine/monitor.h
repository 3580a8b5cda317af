/* monitor: the per-container supervisor (`berth-monitor --root ROOT container __monitor
 * --attach|--detached ID`).
 *
 * It runs from the small executable berth-monitor (compose/monitor_main.c), installed next
 * to berth, which links only the runtime: the CLI finds it with monitor_exe_path(), makes a
 * sealed copy of it (rt_exe_sealed_copy, runtime.h) and fexecve(3)s that in a grandchild, so
 * the monitor is protected against CVE-2019-5736 from its first instruction (its
 * rt_exe_protect() still runs and re-executes from a sealed copy if it was started from the
 * file). The same executable runs a network's DNS responder: `berth-monitor --root ROOT __dns
 * [--ready-fd 3] NETWORK` (compose/network_int.h).
 *
 * One monitor per running container, detached from the CLI (its own session, stdio on
 * /dev/null): it creates the container with the runtime (runtime.h) and is its parent, writes
 * its output to <dir>/log.json as docker's json-file lines (with -t: the pty's, as "stdout",
 * and an attached -i CLI's stdin relayed to the pty), records the exit in state.json,
 * applies the restart policy, runs the healthcheck, and answers on <run_dir>/monitor.sock.
 *
 * Socket protocol: one request line, one or more reply lines, then the monitor closes.
 *   "status\n"      -> the state.json object on one line
 *   "kill SIG\n"    -> "ok\n" or "error MSG\n"
 *   "stop SECS\n"   -> (stop signal, SIGKILL after SECS) "exited CODE\n" once it has exited
 *   "wait\n"        -> "exited CODE\n" once the container has exited for good
 *   "resize R C\n"  -> "ok\n" (the -t container's pty is now R rows, C columns) or "error MSG\n"
 * Unix socket paths are capped at 108 bytes, so both sides reach the socket through
 * /proc/self/fd/N/monitor.sock with N an O_PATH fd of the run dir.
 */
#pragma once

#include "base/err.h"
#include "engine/container.h"

#define MONITOR_EXE       "berth-monitor"
#define MONITOR_SOCK      "monitor.sock"
#define MONITOR_LOG_MAX   (10u << 20) /* bytes of log.json before it rotates to log.json.1 */
#define MONITOR_LOG_FILES_MAX 100     /* --log-opt max-file: log.json and log.json.1..99 */
#define MONITOR_LINE_MAX  16384       /* docker splits longer lines into 16 KiB pieces */
#define MONITOR_FD_ATTACH_OUT 3       /* optional: copy of the container's stdout (attached run) */
#define MONITOR_FD_ATTACH_ERR 4
#define MONITOR_FD_STATUS     5       /* optional: "S\n" once the command runs (then closed
                                       * unless attached), "CODE[ WHY]\n" at the first exit */

/* monitor_run: supervise container c until it has exited for good (and is removed when
 * AutoRemove). attach: fds 3 and 4 above are open; fd 5 is used when open; fd 0 is the
 * container's stdin (/dev/null unless the CLI passed its own for -i). Returns 0 or -errno with err set (the caller only logs it: nobody watches). */
int monitor_run(const char *root, struct ctr *c, int attach, int interactive,
                struct err *err);

/* monitor_exe_path: the path of berth-monitor, in the directory of the running berth
 * (/proc/self/exe). -ENOENT with a clear message when it is missing. *ret_path owned. */
int monitor_exe_path(char **ret_path, struct err *err);
/* monitor_exe_path_in: the same next to the binary the symlink self points to (for tests). */
int monitor_exe_path_in(const char *self, char **ret_path, struct err *err);

/* monitor_exe_open: a sealed copy of berth-monitor (at path) to fexecve for a new monitor of
 * the root whose runtime root is run_root: the one the newest running monitor executes when
 * it checks out (sealed, same bytes; monitor_exe.c), else a fresh one (rt_exe_sealed_copy).
 * *ret_fd owned, O_CLOEXEC. */
int monitor_exe_open(const char *run_root, const char *path, int *ret_fd, struct err *err);
/* monitor_exe_note: record this process (a monitor running from its sealed copy) as the one
 * whose copy the next monitor of run_root may share. Best effort. */
void monitor_exe_note(const char *run_root);

/* monitor_request: send one request line to c's monitor and return its first reply line
 * (owned, without the newline). -ENOENT / -ECONNREFUSED when no monitor runs. */
int monitor_request(const struct ctr *c, const char *line, char **ret_reply, struct err *err);

/* monitor_alive: 1 when c's monitor answers on its socket (a killed monitor's socket file
 * refuses connections), else 0. */
/* monitor_log_limits: the rotation of a container's log from its config's LogRotate
 * (compose/container_log.c): bytes per file and files kept (log.json, then log.json.1 up to
 * log.json.FILES-1, newest first); 0 files for the driver "none" (no log at all). Without
 * LogRotate: MONITOR_LOG_MAX and 2. */
void monitor_log_limits(json_object *config, uint64_t *ret_size, int *ret_files);

int monitor_alive(const struct ctr *c);

/* monitor_parse_signal: "TERM", "SIGTERM", "15" -> 15; -1 when invalid. */
int monitor_parse_signal(const char *s);

/* monitor_health_apply: the healthcheck state machine, pure for tests. health is state's
 * "Health" object; ok is the result of one probe; in_start_period when the probe ended
 * before start_period ran out; retries is the failing streak that makes "unhealthy". */
void monitor_health_apply(json_object *health, int ok, int in_start_period, int retries);

/* monitor_log_line: append one docker json-file line for data (a line including its '\n',
 * or a piece of a longer one) to sb. stream is "stdout" or "stderr". */
struct sbuf;
void monitor_log_line(struct sbuf *sb, const char *data, size_t n, const char *stream,
                      const char *time_rfc3339);
