/* container_int: private helpers shared by compose/cmd_container*.c. */
#pragma once

#include <stdint.h>

#include <sys/types.h>

#include <json-c/json.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "compose/cli.h"
#include "engine/container.h"

/* cmd_container_run.c: `container run` and `container create`. */
int cmd_container_run(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container_create(struct cli_globals *g, int argc, char **argv, struct err *err);
/* cmd_container_create_ex: `container create` for callers inside berth (compose): argv is a
 * `create` command line (argv[0] "create"); extra (borrowed, may be NULL) holds config.json
 * keys that no flag expresses (Healthcheck in exec form, Entrypoint lists, compose labels):
 * they replace the flags' keys, objects merged one level deep. Prints nothing. */
int cmd_container_create_ex(struct cli_globals *g, int argc, char **argv, json_object *extra,
                            struct ctr **ret, struct err *err);
/* cmd_container_spawn: start c's monitor. attach: the monitor copies the container's output
 * to our stdout/stderr and run waits; interactive: our stdin becomes the container's.
 * Returns the container's exit code when attached, 0 detached (or the 125/126/127 of a start
 * that failed, with err filled). */
int cmd_container_spawn(struct cli_globals *g, struct ctr *c, int attach, int interactive,
                        struct err *err);

/* cmd_container_net.c: what `container run` asks of networks. */
#define CMD_CONTAINER_NETS_MAX 32 /* --network values (endpoints) per container */
struct cmd_container_net {
        char **networks; /* --network values in order: NAME, name=NAME[,alias=A][,ip=IP],
                          * none, host, container:ID, bridge/default; NULL: the default */
        const char *ip;  /* --ip (the first network's), or NULL */
        char **aliases;  /* --network-alias (the first network's) */
        char **ports;    /* -p/--publish */
};
/* cmd_container_net_mode: check cn as docker does (none/host/container:ID alone, no -p with
 * container:ID, no aliases or --ip on the default bridge, ...) and give HostConfig's
 * NetworkMode (owned): "bridge" without --network, the first network's name, "none",
 * "host" or "container:<full id>". */
int cmd_container_net_mode(const struct cli_globals *g, const struct cmd_container_net *cn,
                           char **ret, struct err *err);
/* cmd_container_net_join: repair c's networks (the default one is created on first use),
 * lease c's address on each (DNS names: c's name and the endpoint's aliases, none on the
 * default bridge), publish the ports to the first address and write c's network.json
 * (engine/container.h); on failure nothing of it is kept. The monitor attaches the veths;
 * ctr_net_leave() undoes the rest. Nothing to do for none/host/container:ID. */
int cmd_container_net_join(const struct cli_globals *g, const struct ctr *c,
                           const struct cmd_container_net *cn, struct err *err);
/* cmd_container_net_endpoint: ensure network (NETWORK_DEFAULT included), lease c's address
 * on it (ip: a static one, or NULL) with c's name and aliases as DNS names, and return the
 * endpoint object of network.json (owned). On failure no lease is kept. */
int cmd_container_net_endpoint(const struct cli_globals *g, const struct ctr *c,
                               const char *network, const char *ip, char *const *aliases,
                               json_object **ret, struct err *err);
/* cmd_container_net_record: a new network.json object for c (dirs, table; no endpoints). */
json_object *cmd_container_net_record(const struct cli_globals *g);
/* cmd_container_net_repair: before c starts again: repair its network (bridge, NAT, DNS
 * responder: a reboot or a crash may have taken them); no network.json is success. */
int cmd_container_net_repair(const struct cli_globals *g, const struct ctr *c, struct err *err);
/* cmd_container_port: `container port CONTAINER [PRIVATE_PORT[/PROTO]]`, docker's output. */
int cmd_container_port(struct cli_globals *g, int argc, char **argv, struct err *err);

/* cmd_container_mounts.c: -v, --mount, --device, --group-add and --dns* of run/create. */
struct cmd_container_mounts {
        char **volumes, **mounts, **devices, **group_add, **dns, **dns_search, **dns_options;
        char **inherited; /* --mount specs from --volumes-from: a destination of ours wins */
};
/* cmd_container_mounts: validate them, create the volumes they name (anonymous ones too,
 * with the image's content copied up from cfg's LowerDirs) and write HostConfig's Binds,
 * Mounts, Devices, GroupAdd, Dns, DnsSearch, DnsOptions and cfg's Mounts (docker's inspect
 * view). On failure the caller removes cfg's anonymous volumes (vol_remove_anonymous). */
int cmd_container_mounts(struct cli_globals *g, const struct cmd_container_mounts *mo,
                         json_object *cfg, json_object *hc, struct err *err);

/* cmd_container_view.c */
int cmd_container_ls(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container_inspect(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container_logs(struct cli_globals *g, int argc, char **argv, struct err *err);
/* cmd_container_status_text: docker ps's STATUS ("Up 2 minutes (healthy)", "Exited (0) 3
 * seconds ago"). cmd_container_command_text: its quoted, truncated COMMAND (owned).
 * cmd_container_human: go-units HumanDuration of ns. */
void cmd_container_status_text(struct sbuf *sb, const struct ctr *c, json_object *st);
char *cmd_container_command_text(const struct ctr *c);
void cmd_container_human(struct sbuf *sb, int64_t ns);
/* cmd_container_ports_text: docker ps's PORTS of c ("127.0.0.1:8080->80/tcp, …"; owned, ""
 * when none). */
char *cmd_container_ports_text(const struct ctr *c);
/* cmd_container_net_settings: docker's NetworkSettings of c (Networks, Ports, the legacy
 * top-level fields of the default bridge); owned. */
json_object *cmd_container_net_settings(const struct ctr *c);
/* cmd_container_networks_text: docker ps's NETWORKS of c ("front,back"; owned). */
char *cmd_container_networks_text(const struct ctr *c);
/* cmd_container_alive: the monitor of c runs (its pid in state answers and the socket exists). */
int cmd_container_alive(const struct ctr *c, json_object *state);
/* cmd_container_parse_time: RFC 3339 (with optional fraction) -> unix ns; 0 when invalid. */
int64_t cmd_container_parse_time(const char *s);
/* cmd_container_parse_since: a --since/--until value (flag names it in the error): RFC 3339,
 * unix seconds, or a Go-style duration back from now ("10m", "1.5h") -> unix ns. */
int cmd_container_parse_since(const char *s, const char *flag, int64_t *ret, struct err *err);

/* ---- container_log.c ---- */

/* cmd_container_log_config: --log-driver (NULL: json-file) and --log-opt KEY=VALUE into
 * hc's LogConfig and cfg's LogRotate (engine/monitor.h); -ENOTSUP for a driver or option
 * berth has not, -EINVAL for a bad value. */
int cmd_container_log_config(const char *driver, char *const *opts, json_object *cfg,
                             json_object *hc, struct err *err);
/* cmd_container_until_passed: whether the --until time (unix ns; 0: none) has come: logs -f
 * stops following then. */
bool cmd_container_until_passed(int64_t until);

/* cmd_container_ops.c */
int cmd_container_start(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container_stop(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container_kill(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container_rm(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container_wait(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container_restart(struct cli_globals *g, int argc, char **argv, struct err *err);
/* cmd_container_halt: stop c as `container stop` does (its stop signal, SIGKILL after secs;
 * secs < 0: its own StopTimeout) and wait for its monitor to finish; quiet. */
int cmd_container_halt(struct cli_globals *g, const struct ctr *c, int secs, struct err *err);
/* cmd_container_remove: stop whatever is left of c and delete it (rm -f); flags go to
 * ctr_net_leave (CTR_NET_DEFER_NAT). */
int cmd_container_remove(struct cli_globals *g, struct ctr *c, unsigned flags,
                         struct err *err);

/* cmd_container_exec.c: `container exec`; also the entry point compose's exec calls. Exit
 * code: the command's; on failure a negative errno with err->exit_code 125 (berth), 126 (not
 * executable, bad working directory) or 127 (not found). */
int cmd_container_exec(struct cli_globals *g, int argc, char **argv, struct err *err);

/* cmd_container_tty.c: our side of a container's pty. */
struct termios;
/* cmd_container_tty_raw: put stdin, when it is a terminal, in raw mode (1), keeping the old
 * mode in *saved; 0 when stdin is no terminal. */
int cmd_container_tty_raw(struct termios *saved);
void cmd_container_tty_restore(const struct termios *saved);
/* cmd_container_tty_size: the window size of our terminal (stdin, stdout or stderr); 0 when
 * none is one. */
int cmd_container_tty_size(unsigned short *ret_rows, unsigned short *ret_cols);
/* cmd_container_tty_relay: relay a pty master and our stdio until the process of pidfd ends:
 * stdin to master when interactive (raw mode on a terminal), master to stdout, window sizes
 * on SIGWINCH, other signals read from sigfd passed on to it. Then reaps pid (our child: the
 * process or the one that relays its status) and returns its exit code (128+signal when
 * killed). */
int cmd_container_tty_relay(int master, int interactive, int pidfd, int sigfd, pid_t pid);

/* cmd_container_pause.c: `container pause|unpause` (the cgroup freezer; state "Paused"). */
int cmd_container_pause(struct cli_globals *g, int argc, char **argv, struct err *err);
int cmd_container_unpause(struct cli_globals *g, int argc, char **argv, struct err *err);

/* cmd_container_top.c: `container top CONTAINER [ps OPTIONS]`. */
int cmd_container_top(struct cli_globals *g, int argc, char **argv, struct err *err);

/* cmd_container_cp.c: `container cp [-a] [-L] SRC DST`. */
int cmd_container_cp(struct cli_globals *g, int argc, char **argv, struct err *err);
