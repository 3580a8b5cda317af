/* nat: outbound masquerade and published ports with nftables, by running `nft -f -` with a
 * ruleset generated from files (net/nat_rules.c).
 *
 * Why exec nft and not libnftables or libnftnl: nft is installed wherever nftables is, the
 * input is the documented nft language (readable in a test and by a user: `nft list table
 * ip berth`), a file is applied as one kernel transaction, and berth gains no build
 * dependency (libnftables-dev is not in the base system). The cost is one fork+exec per
 * change, a few milliseconds, paid when ports or networks change, not per packet.
 *
 * State: <state_dir>/net-<name>.json per network and <state_dir>/ports-<owner>.json per
 * container, each replaced atomically; every change holds flock(<state_dir>/.lock), writes
 * its file, then regenerates the whole table from all files. A crash anywhere leaves files
 * from which the next change (or net_nat_apply) rebuilds exactly the right table; a table
 * with nothing in it is deleted.
 *
 * sysctls: net.ipv4.conf.<bridge>.route_localnet=1 (its own bridges only) so that
 * 127.0.0.1:PORT can be DNATed into a bridge; net.ipv4.ip_forward=1 when a network that is
 * not internal exists, as docker and podman do. berth never turns forwarding off (another
 * tool may depend on it by then), never sets a DROP policy and never touches IPv6
 * forwarding (which would stop the host accepting router advertisements).
 */
#include "net/net.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/in.h>

#include <json-c/json.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "net/nat_ports.h"

#define STATE_FILE_MAX (8u << 20)
#define NFT_ERR_MAX    4096

extern char **environ;

static void
json_put_p(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define cleanup_json __attribute__((cleanup(json_put_p)))

static bool
safe_word(const char *s, size_t max)
{
        size_t n = strlen(s);

        return n > 0 && n <= max && s[0] != '.' &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int
check_nat(const struct net_nat *nat, struct err *err)
{
        const char *t = nat->table;

        if (!t || !*t || strlen(t) > 64 ||
            strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
                    strlen(t))
                return err_setf(err, -EINVAL, "invalid nftables table name '%s'", t ? t : "");
        return 0;
}

static int
lock_state(const struct net_nat *nat, int *ret, struct err *err)
{
        cleanup_free char *p = xasprintf("%s/.lock", nat->state_dir);
        int r = fs_mkdir_p(nat->state_dir, 0700, err);
        int fd;

        if (r < 0)
                return r;
        fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return err_setf(err, -errno, "open '%s': %s", p, strerror(errno));
        while (flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR) {
                        r = -errno;
                        close(fd);
                        return err_setf(err, r, "lock '%s': %s", p, strerror(-r));
                }
        }
        *ret = fd;
        return 0;
}

/* ---- state files ---------------------------------------------------------------------- */

static json_object *
json_ip(uint32_t ip)
{
        char s[NET_IP4_STRLEN];

        net_ip4_format(ip, s);
        return json_object_new_string(s);
}

static const char *
jstr(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

static int
jip(json_object *o, const char *key, uint32_t *ret)
{
        const char *s = jstr(o, key);

        return s ? net_ip4_parse(s, ret, NULL) : -EINVAL;
}

static int
jport(json_object *o, const char *key, uint16_t *ret)
{
        json_object *v;
        int64_t x;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return -EINVAL;
        x = json_object_get_int64(v);
        if (x < 0 || x > 65535)
                return -EINVAL;
        *ret = (uint16_t)x;
        return 0;
}

static int
write_json(const char *path, json_object *o, struct err *err)
{
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                                  JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);

        return fs_write_atomic(path, s, strlen(s), 0644, err);
}

/* same_json: whether the file at path already holds exactly what write_json would write. */
static bool
same_json(const char *path, json_object *o)
{
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                                  JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        cleanup_free char *buf = NULL;
        size_t len = 0;

        return fs_read_capped(path, STATE_FILE_MAX, &buf, &len, NULL) == 0 &&
               len == strlen(s) && memcmp(buf, s, len) == 0;
}

static int
read_json(const char *path, json_object **ret, struct err *err)
{
        cleanup_free char *buf = NULL;
        struct json_tokener *tok;
        size_t len;
        int r = fs_read_capped(path, STATE_FILE_MAX, &buf, &len, err);

        if (r < 0)
                return r;
        tok = json_tokener_new_ex(8);
        if (!tok)
                abort();
        *ret = json_tokener_parse_ex(tok, buf, (int)len);
        r = json_tokener_get_error(tok) == json_tokener_success && *ret &&
            json_object_is_type(*ret, json_type_object);
        json_tokener_free(tok);
        if (!r) {
                if (*ret)
                        json_object_put(*ret);
                *ret = NULL;
                return err_setf(err, -EINVAL, "read '%s': not a JSON object", path);
        }
        return 0;
}

static int
decode_net(json_object *o, struct net_nat_network *n)
{
        const char *name = jstr(o, "name"), *bridge = jstr(o, "bridge"), *sub = jstr(o, "subnet");
        json_object *v;

        if (!name || !bridge || !sub || !safe_word(name, 128) ||
            !safe_word(bridge, NET_IFNAMSIZ - 1) || net_prefix_parse(sub, &n->subnet, NULL) < 0 ||
            jip(o, "gateway", &n->gateway) < 0)
                return -EINVAL;
        n->name = xstrdup(name);
        n->bridge = xstrdup(bridge);
        n->internal = json_object_object_get_ex(o, "internal", &v) && json_object_get_boolean(v);
        return 0;
}

static json_object *
encode_map(const struct net_port_map *m)
{
        json_object *o = json_object_new_object();

        json_object_object_add(o, "host_ip", json_ip(m->host_ip));
        json_object_object_add(o, "host_port", json_object_new_int(m->host_port));
        json_object_object_add(o, "host_port_end", json_object_new_int(m->host_port_end));
        json_object_object_add(o, "port", json_object_new_int(m->port));
        json_object_object_add(o, "port_end", json_object_new_int(m->port_end));
        json_object_object_add(o, "proto", json_object_new_string(net_proto_name(m->proto)));
        return o;
}

static int
decode_map(json_object *o, struct net_port_map *m)
{
        const char *proto = jstr(o, "proto");

        if (!proto || jip(o, "host_ip", &m->host_ip) < 0 || jport(o, "host_port", &m->host_port) < 0 ||
            jport(o, "host_port_end", &m->host_port_end) < 0 || jport(o, "port", &m->port) < 0 ||
            jport(o, "port_end", &m->port_end) < 0 || m->port_end < m->port ||
            m->host_port_end - m->host_port != m->port_end - m->port)
                return -EINVAL;
        if (strcmp(proto, "tcp") == 0)
                m->proto = NET_PROTO_TCP;
        else if (strcmp(proto, "udp") == 0)
                m->proto = NET_PROTO_UDP;
        else if (strcmp(proto, "sctp") == 0)
                m->proto = NET_PROTO_SCTP;
        else
                return -EINVAL;
        return 0;
}

static int
decode_ports(json_object *o, struct net_nat_ports *p)
{
        const char *owner = jstr(o, "owner");
        json_object *a;
        size_t n;

        if (!owner || jip(o, "ip", &p->container_ip) < 0 ||
            !json_object_object_get_ex(o, "ports", &a) || !json_object_is_type(a, json_type_array))
                return -EINVAL;
        p->owner = xstrdup(owner);
        n = json_object_array_length(a);
        if (n > NET_PORTS_MAX)
                return -E2BIG;
        p->maps = xcalloc(n ? n : 1, sizeof(*p->maps));
        for (size_t i = 0; i < n; i++) {
                if (decode_map(json_object_array_get_idx(a, i), &p->maps[i]) < 0)
                        return -EINVAL;
                p->n = i + 1;
        }
        return 0;
}

void
net_nat_state_release(struct net_nat_state *st)
{
        for (size_t i = 0; i < st->n_nets; i++) {
                free((char *)st->nets[i].name);
                free((char *)st->nets[i].bridge);
        }
        for (size_t i = 0; i < st->n_ports; i++) {
                free(st->ports[i].owner);
                free(st->ports[i].maps);
        }
        free(st->nets);
        free(st->ports);
        memset(st, 0, sizeof(*st));
}

static void
state_release_p(struct net_nat_state *st)
{
        net_nat_state_release(st);
}
#define cleanup_natstate __attribute__((cleanup(state_release_p)))

/* load_file: one state file into st; a malformed file is an error naming it (a person may
 * repair or delete it), never silently dropped rules. */
static int
load_file(const char *dir, const char *fname, struct net_nat_state *st, struct err *err)
{
        cleanup_free char *p = xasprintf("%s/%s", dir, fname);
        cleanup_json json_object *o = NULL;
        int r = read_json(p, &o, err);

        if (r < 0)
                return r;
        if (strncmp(fname, "net-", 4) == 0) {
                st->nets = xreallocarray(st->nets, st->n_nets + 1, sizeof(*st->nets));
                memset(&st->nets[st->n_nets], 0, sizeof(st->nets[0]));
                r = decode_net(o, &st->nets[st->n_nets++]);
        } else {
                st->ports = xreallocarray(st->ports, st->n_ports + 1, sizeof(*st->ports));
                memset(&st->ports[st->n_ports], 0, sizeof(st->ports[0]));
                r = decode_ports(o, &st->ports[st->n_ports++]);
        }
        if (r < 0)
                return err_setf(err, r, "read '%s': malformed NAT state", p);
        return 0;
}

static int
load_state(const struct net_nat *nat, struct net_nat_state *st, struct err *err)
{
        cleanup_strv char **files = NULL;
        DIR *d = opendir(nat->state_dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0
                                       : err_setf(err, -errno, "open '%s': %s", nat->state_dir,
                                                  strerror(errno));
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);

                if ((strncmp(de->d_name, "net-", 4) == 0 || strncmp(de->d_name, "ports-", 6) == 0) &&
                    n > 5 && strcmp(de->d_name + n - 5, ".json") == 0)
                        strv_add(&files, de->d_name);
        }
        closedir(d);
        strv_sort(files); /* a stable order: the same state gives the same ruleset */
        strv_foreach(f, files) {
                r = load_file(nat->state_dir, f, st, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- applying --------------------------------------------------------------------------- */

static const char *
nft_path(void)
{
        static const char *const paths[] = {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft",
                                            "/usr/local/sbin/nft"};

        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        }
        return "nft"; /* PATH */
}

/* send_all: MSG_NOSIGNAL, so an nft that died early gives EPIPE, not a SIGPIPE. */
static int
send_all(int fd, const char *p, size_t n)
{
        while (n) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

static void
read_capped(int fd, struct sbuf *sb)
{
        char buf[1024];
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                if (sb->len < NFT_ERR_MAX)
                        sbuf_add(sb, buf, (size_t)n);
        }
}

static int
spawn_nft(int in_fd, int err_fd, pid_t *ret, struct err *err)
{
        posix_spawn_file_actions_t fa;
        char *argv[] = {(char *)"nft", (char *)"-f", (char *)"-", NULL};
        const char *path = nft_path();
        int r;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
        posix_spawn_file_actions_adddup2(&fa, err_fd, STDOUT_FILENO);
        r = path[0] == '/' ? posix_spawn(ret, path, &fa, NULL, argv, environ)
                           : posix_spawnp(ret, path, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return err_setf(err, -r, "run nft: %s", strerror(r));
        return 0;
}

/* first_line: the first line of nft's complaint, for a one-line error. */
static const char *
first_line(struct sbuf *sb)
{
        char *nl = strchr(sb->buf, '\n');

        if (nl)
                *nl = '\0';
        return sb->len ? sb->buf : "no message";
}

static int
run_nft(const char *ruleset, struct err *err)
{
        cleanup_sbuf struct sbuf out = SBUF_INIT;
        int in[2], er[2], status, r;
        pid_t pid;

        /* nft's stdin is a socket (not a pipe) so that writing needs no SIGPIPE games */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
                return err_setf(err, -errno, "run nft: socketpair: %s", strerror(errno));
        if (pipe2(er, O_CLOEXEC) < 0) {
                r = -errno;
                close(in[0]);
                close(in[1]);
                return err_setf(err, r, "run nft: pipe: %s", strerror(-r));
        }
        r = spawn_nft(in[0], er[1], &pid, err);
        close(in[0]);
        close(er[1]);
        if (r == 0)
                send_all(in[1], ruleset, strlen(ruleset)); /* nft's exit status tells */
        close(in[1]);
        read_capped(er[0], &out);
        close(er[0]);
        if (r < 0)
                return r;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return err_setf(err, -EIO, "nft: %s", first_line(&out));
        return 0;
}

static int
write_sysctl(const char *path, const char *want, bool only_if_off)
{
        cleanup_close int fd = open(path, O_RDWR | O_CLOEXEC);
        char cur[8] = {0};

        if (fd < 0)
                return -errno;
        if (only_if_off && read(fd, cur, sizeof(cur) - 1) > 0 && cur[0] != '0')
                return 0;
        if (pwrite(fd, want, strlen(want), 0) < 0)
                return -errno;
        return 0;
}

static int
apply_sysctls(const struct net_nat_state *st, struct err *err)
{
        for (size_t i = 0; i < st->n_nets; i++) {
                cleanup_free char *p = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet",
                                                 st->nets[i].bridge);
                int r;

                r = write_sysctl(p, "1", false);
                if (r < 0 && r != -ENOENT) /* bridge gone: its rules match nothing */
                        return err_setf(err, r, "set '%s': %s", p, strerror(-r));
                if (!st->nets[i].internal) {
                        r = write_sysctl("/proc/sys/net/ipv4/ip_forward", "1", true);
                        if (r < 0)
                                return err_setf(err, r, "enable net.ipv4.ip_forward: %s",
                                                strerror(-r));
                }
        }
        return 0;
}

/* ---- the applied statements ----------------------------------------------------------
 * <state_dir>/.applied lists the statements (net_nat_statements) the table holds, after a
 * first line naming the boot. It is removed before nft runs and written after it succeeded,
 * so a crash in between, or a reboot, only costs a full replacement next time. */

#define APPLIED_FILE ".applied"
#define BOOT_ID_FILE "/proc/sys/kernel/random/boot_id"

/* boot_line: "boot <id>", the first line of .applied: the table is gone after a reboot while
 * the file (under the state root) stays, so a record from another boot counts as none */
static char *
boot_line(void)
{
        cleanup_free char *id = NULL;

        if (fs_read_capped(BOOT_ID_FILE, 64, &id, NULL, NULL) < 0)
                return NULL;
        id[strcspn(id, "\n")] = '\0';
        return xasprintf("boot %s", id);
}

static char **
read_applied(const struct net_nat *nat)
{
        cleanup_free char *p = xasprintf("%s/%s", nat->state_dir, APPLIED_FILE), *text = NULL;
        cleanup_free char *boot = boot_line();
        char *nl;

        if (!boot || fs_read_capped(p, STATE_FILE_MAX, &text, NULL, NULL) < 0)
                return NULL;
        nl = strchr(text, '\n');
        if (!nl || (size_t)(nl - text) != strlen(boot) || strncmp(text, boot, strlen(boot)) != 0)
                return NULL;
        return strv_split(nl + 1, "\n"); /* written without a final newline */
}

static void
set_applied(const struct net_nat *nat, char *const *lines)
{
        cleanup_free char *p = xasprintf("%s/%s", nat->state_dir, APPLIED_FILE);
        cleanup_free char *boot = lines ? boot_line() : NULL;
        cleanup_free char *body = NULL, *text = NULL;
        struct err ignored = {0};

        if (!boot) {
                unlink(p);
                return;
        }
        body = strv_join(lines, "\n");
        text = xasprintf("%s\n%s", boot, body);
        /* no fsync: a record lost with the host goes with the table it describes */
        fs_write_replace(p, text, strlen(text), 0600, &ignored);
}

/* additions: the statements of want that had lacks, when want only adds to had (NULL when
 * anything had holds is gone: that needs the whole table replaced). */
static char *
additions(char *const *had, char *const *want)
{
        cleanup_sbuf struct sbuf out = SBUF_INIT;

        strv_foreach(line, had)
                if (!strv_contains(want, line))
                        return NULL;
        strv_foreach(line, want)
                if (!strv_contains(had, line))
                        sbuf_addf(&out, "%s\n", line);
        return sbuf_detach(&out);
}

/* apply_added: only the new statements, when the change only adds (or nothing changed);
 * 1 when that was all, 0 when the whole table must be replaced. */
static int
apply_added(const struct net_nat *nat, char *const *want)
{
        cleanup_strv char **had = read_applied(nat);
        cleanup_free char *batch = NULL;
        struct err ignored = {0};

        if (!had || !strv_length(had) || !strv_length(want))
                return 0;
        batch = additions(had, want);
        if (!batch)
                return 0;
        if (!batch[0])
                return 1; /* nothing changed */
        set_applied(nat, NULL);
        /* a table changed or removed by hand makes this fail: the replacement repairs it */
        if (run_nft(batch, &ignored) < 0)
                return 0;
        set_applied(nat, want);
        return 1;
}

static int
apply_locked(const struct net_nat *nat, struct err *err)
{
        cleanup_natstate struct net_nat_state st = {0};
        cleanup_sbuf struct sbuf rules = SBUF_INIT;
        cleanup_strv char **want = NULL;
        int r = load_state(nat, &st, err);

        if (r == 0)
                r = apply_sysctls(&st, err);
        if (r < 0)
                return r;
        want = net_nat_statements(nat->table, &st);
        if (apply_added(nat, want))
                return 0;
        set_applied(nat, NULL);
        net_nat_ruleset(nat->table, &st, &rules);
        r = run_nft(rules.buf, err);
        if (r == 0 && want)
                set_applied(nat, want); /* no table, no record: nothing is left behind */
        return r;
}

int
net_nat_apply(const struct net_nat *nat, struct err *err)
{
        cleanup_close int lock = -1;
        int r = check_nat(nat, err);

        if (r == 0)
                r = lock_state(nat, &lock, err);
        if (r < 0)
                return r;
        set_applied(nat, NULL); /* a repair trusts nothing: the whole table */
        return apply_locked(nat, err);
}

int
net_nat_sync(const struct net_nat *nat, struct err *err)
{
        cleanup_close int lock = -1;
        int r = check_nat(nat, err);

        if (r == 0)
                r = lock_state(nat, &lock, err);
        if (r == 0)
                r = apply_locked(nat, err);
        return r;
}

/* ---- networks --------------------------------------------------------------------------- */

static char *
state_path(const struct net_nat *nat, const char *kind, const char *id)
{
        return xasprintf("%s/%s-%s.json", nat->state_dir, kind, id);
}

int
net_nat_network_set(const struct net_nat *nat, const struct net_nat_network *n, struct err *err)
{
        cleanup_close int lock = -1;
        cleanup_json json_object *o = json_object_new_object();
        cleanup_free char *p = NULL;
        char sub[NET_PFX_STRLEN];
        int r = check_nat(nat, err);

        if (r < 0)
                return r;
        if (!safe_word(n->name, 128) || !safe_word(n->bridge, NET_IFNAMSIZ - 1))
                return err_setf(err, -EINVAL, "nat: invalid network '%s' or bridge '%s'",
                                n->name, n->bridge);
        r = lock_state(nat, &lock, err);
        if (r < 0)
                return r;
        net_prefix_format(&n->subnet, sub);
        json_object_object_add(o, "name", json_object_new_string(n->name));
        json_object_object_add(o, "bridge", json_object_new_string(n->bridge));
        json_object_object_add(o, "subnet", json_object_new_string(sub));
        json_object_object_add(o, "gateway", json_ip(n->gateway));
        json_object_object_add(o, "internal", json_object_new_boolean(n->internal));
        p = state_path(nat, "net", n->name);
        if (n->lazy && same_json(p, o))
                return 0; /* recorded as it is and, the caller knows, applied */
        r = write_json(p, o, err);
        return r < 0 ? r : apply_locked(nat, err);
}

static int
unset_file(const struct net_nat *nat, const char *kind, const char *id, bool apply,
           struct err *err)
{
        cleanup_close int lock = -1;
        cleanup_free char *p = NULL;
        int r = check_nat(nat, err);

        if (r < 0)
                return r;
        if (!safe_word(id, 256))
                return err_setf(err, -EINVAL, "nat: invalid name '%s'", id);
        r = lock_state(nat, &lock, err);
        if (r < 0)
                return r;
        p = state_path(nat, kind, id);
        if (unlink(p) < 0) {
                if (errno == ENOENT)
                        return 0; /* nothing recorded, nothing to take out of the table */
                return err_setf(err, -errno, "remove '%s': %s", p, strerror(errno));
        }
        return apply ? apply_locked(nat, err) : 0;
}

int
net_nat_network_unset(const struct net_nat *nat, const char *name, struct err *err)
{
        return unset_file(nat, "net", name, true, err);
}

int
net_nat_ports_unset(const struct net_nat *nat, const char *owner, struct err *err)
{
        return unset_file(nat, "ports", owner, true, err);
}

int
net_nat_ports_forget(const struct net_nat *nat, const char *owner, struct err *err)
{
        return unset_file(nat, "ports", owner, false, err);
}

int
net_nat_ports_get(const struct net_nat *nat, const char *owner, struct net_port_map **ret,
                  size_t *ret_n, struct err *err)
{
        cleanup_free char *p = NULL;
        cleanup_json json_object *o = NULL;
        struct net_nat_ports np = {0};
        int r;

        if (!safe_word(owner, 256))
                return err_setf(err, -EINVAL, "nat: invalid name '%s'", owner);
        p = state_path(nat, "ports", owner);
        if (!fs_exists(p)) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        r = read_json(p, &o, err);
        if (r == 0 && (r = decode_ports(o, &np)) < 0)
                err_setf(err, r, "read '%s': malformed NAT state", p);
        free(np.owner);
        if (r < 0) {
                free(np.maps);
                return r;
        }
        *ret = np.maps;
        *ret_n = np.n;
        return 0;
}

/* ---- publishing ports ----------------------------------------------------------------- */

static uint32_t
random_seed(void)
{
        uint32_t s = 0;

        if (getrandom(&s, sizeof(s), GRND_NONBLOCK) < 0)
                s = (uint32_t)getpid();
        return s;
}

static int
save_ports(const struct net_nat *nat, const char *owner, uint32_t ip,
           const struct net_port_map *maps, size_t n, struct err *err)
{
        cleanup_json json_object *o = json_object_new_object();
        cleanup_free char *p = state_path(nat, "ports", owner);
        json_object *a = json_object_new_array();

        json_object_object_add(o, "owner", json_object_new_string(owner));
        json_object_object_add(o, "ip", json_ip(ip));
        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, encode_map(&maps[i]));
        json_object_object_add(o, "ports", a);
        return write_json(p, o, err);
}

int
net_nat_ports_set(const struct net_nat *nat, const char *owner, uint32_t container_ip,
                  const struct net_port_map *maps, size_t n, struct net_port_map **ret,
                  size_t *ret_n, struct err *err)
{
        cleanup_close int lock = -1;
        cleanup_natstate struct net_nat_state st = {0};
        cleanup_free struct net_port_map *out = NULL;
        size_t n_out = 0;
        int r = check_nat(nat, err);

        if (r == 0 && !safe_word(owner, 256))
                r = err_setf(err, -EINVAL, "nat: invalid owner '%s'", owner);
        if (r == 0)
                r = lock_state(nat, &lock, err);
        if (r == 0)
                r = load_state(nat, &st, err);
        if (r == 0)
                r = net_nat_ports_resolve(&st, owner, maps, n, net_nat_port_bind_probe, NULL,
                                          random_seed(), &out, &n_out, err);
        if (r == 0)
                r = save_ports(nat, owner, container_ip, out, n_out, err);
        if (r == 0)
                r = apply_locked(nat, err);
        if (r < 0)
                return r;
        if (ret) {
                *ret = TAKE_PTR(out);
                *ret_n = n_out;
        }
        return 0;
}
