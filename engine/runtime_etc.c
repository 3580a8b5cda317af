/* runtime_etc: what docker generates for a container's /etc/hosts (hosts(5), libnetwork
 * etchosts: the localhost and ip6 lines, --add-host records, then the container's own
 * record), /etc/resolv.conf (resolv.conf(5), libnetwork resolvconf: the host's file with
 * loopback nameservers filtered out, or one built from --dns/--dns-search/--dns-option) and
 * the process environment (docker's PATH and HOSTNAME, runc's HOME).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "engine/runtime_int.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char hosts_default[] = "127.0.0.1\tlocalhost\n"
                                    "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                    "fe00::0\tip6-localnet\n"
                                    "ff00::0\tip6-mcastprefix\n"
                                    "ff02::1\tip6-allnodes\n"
                                    "ff02::2\tip6-allrouters\n";

/* docker's fallback when the host has no usable nameserver (libnetwork resolvconf) */
static const char resolv_fallback[] = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";

static int
bad_text(const char *s)
{
        for (; *s; s++)
                if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
                        return 1;
        return 0;
}

int
rt_etc_hosts(const char *hostname, const char *ip, char *const *extra_hosts, char **ret,
             struct err *err)
{
        cleanup_sbuf struct sbuf sb = SBUF_INIT;

        sbuf_adds(&sb, hosts_default);
        for (size_t i = 0; extra_hosts && extra_hosts[i]; i++) {
                const char *colon = strchr(extra_hosts[i], ':');

                if (!colon || colon == extra_hosts[i] || !colon[1] || bad_text(extra_hosts[i]))
                        return err_setf(err, -EINVAL,
                                        "invalid argument \"%s\" for \"--add-host\" "
                                        "flag: bad format for add-host",
                                        extra_hosts[i]);
                sbuf_addf(&sb, "%s\t%.*s\n", colon + 1, (int)(colon - extra_hosts[i]),
                          extra_hosts[i]);
        }
        if (ip && *ip) {
                if (bad_text(ip))
                        return err_setf(err, -EINVAL, "invalid container address \"%s\"", ip);
                sbuf_addf(&sb, "%s\t%s\n", ip, hostname);
        }
        *ret = sbuf_detach(&sb);
        return 0;
}

static int
is_loopback_ns(const char *addr)
{
        return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

/* keyword: when line starts with word followed by a blank, the rest (blanks skipped). */
static const char *
keyword(const char *line, const char *word)
{
        size_t n = strlen(word);

        if (strncmp(line, word, n) != 0 || (line[n] != ' ' && line[n] != '\t'))
                return NULL;
        line += n;
        while (*line == ' ' || *line == '\t')
                line++;
        return line;
}

/* filter_host: the host's file without loopback nameservers; fallback ones when none is
 * left. */
static char *
filter_host(const char *host_text)
{
        cleanup_strv char **lines = strv_split(host_text ? host_text : "", "\n");
        struct sbuf sb = SBUF_INIT;
        int servers = 0;

        strv_foreach(line, lines) {
                const char *ns = keyword(line, "nameserver");

                if (!*line)
                        continue;
                if (ns && is_loopback_ns(ns))
                        continue;
                servers += ns != NULL;
                sbuf_addf(&sb, "%s\n", line);
        }
        if (!servers)
                sbuf_adds(&sb, resolv_fallback);
        return sbuf_detach(&sb);
}

/* host_words: the words after keyword on the host's lines (the last search line wins, as
 * the resolver reads it; options and nameservers accumulate). */
static char **
host_words(const char *host_text, const char *word, int last_only)
{
        cleanup_strv char **lines = strv_split(host_text ? host_text : "", "\n");
        char **out = NULL;

        strv_foreach(line, lines) {
                const char *rest = keyword(line, word);
                cleanup_strv char **words = NULL;

                if (!rest)
                        continue;
                if (last_only)
                        out = strv_free(out);
                words = strv_split(rest, " ");
                strv_foreach(w, words)
                        if (*w && !(strcmp(word, "nameserver") == 0 && is_loopback_ns(w)))
                                strv_add(&out, w);
        }
        return out;
}

static int
check_words(char *const *v, const char *flag, struct err *err)
{
        strv_foreach(w, v)
                if (!*w || bad_text(w))
                        return err_setf(err, -EINVAL, "invalid argument \"%s\" for \"%s\"", w,
                                        flag);
        return 0;
}

int
rt_etc_resolv(const char *host_text, char *const *dns, char *const *search, char *const *options,
              int host_net, char **ret, struct err *err)
{
        cleanup_strv char **ns = NULL, **se = NULL, **op = NULL;
        struct sbuf sb = SBUF_INIT;
        int r = check_words(dns, "--dns", err);

        if (r == 0)
                r = check_words(search, "--dns-search", err);
        if (r == 0)
                r = check_words(options, "--dns-option", err);
        if (r < 0)
                return r;
        if (!dns && !search && !options) {
                *ret = host_net ? xstrdup(host_text ? host_text : "") : filter_host(host_text);
                return 0;
        }
        ns = dns ? strv_copy(dns) : host_words(host_text, "nameserver", 0);
        se = search ? strv_copy(search) : host_words(host_text, "search", 1);
        op = options ? strv_copy(options) : host_words(host_text, "options", 0);
        if (se && !(strv_length(se) == 1 && strcmp(se[0], ".") == 0)) {
                cleanup_free char *j = strv_join(se, " ");

                sbuf_addf(&sb, "search %s\n", j);
        }
        strv_foreach(n, ns)
                sbuf_addf(&sb, "nameserver %s\n", n);
        if (op) {
                cleanup_free char *j = strv_join(op, " ");

                sbuf_addf(&sb, "options %s\n", j);
        }
        *ret = sbuf_detach(&sb);
        return 0;
}

const char *
rt_env_get(char *const *env, const char *name)
{
        size_t n = strlen(name);

        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
                        return env[i] + n + 1;
        return NULL;
}

/* env_set: replace NAME=… in place (docker's ReplaceOrAppendEnvValues) or append kv. */
static void
env_set(char ***env, const char *kv)
{
        size_t n = (size_t)(strchr(kv, '=') - kv);

        for (size_t i = 0; *env && (*env)[i]; i++) {
                if (strncmp((*env)[i], kv, n) == 0 && (*env)[i][n] == '=') {
                        free((*env)[i]);
                        (*env)[i] = xstrdup(kv);
                        return;
                }
        }
        strv_add(env, kv);
}

char **
rt_env_build(char *const *env, const char *hostname, const char *home)
{
        char **out = NULL;

        strv_push(&out, xstrdup("PATH=" DEFAULT_PATH));
        strv_push(&out, xasprintf("HOSTNAME=%s", hostname));
        strv_foreach(kv, env)
                if (strchr(kv, '=') && kv[0] != '=')
                        env_set(&out, kv);
        if (!rt_env_get(out, "HOME"))
                strv_push(&out, xasprintf("HOME=%s", home && *home ? home : "/"));
        return out;
}

int
rt_id_check(const char *id, struct err *err)
{
        size_t n = id ? strlen(id) : 0;

        if (n == 0 || n > RT_ID_MAX || !isalnum((unsigned char)id[0]))
                return err_setf(err, -EINVAL,
                                "invalid container id \"%s\": must be 1 to %d "
                                "characters [A-Za-z0-9_.-] starting with a letter or digit",
                                id ? id : "", RT_ID_MAX);
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)id[i]) && !strchr("_.-", id[i]))
                        return err_setf(err, -EINVAL,
                                        "invalid container id \"%s\": character "
                                        "'%c' is not allowed",
                                        id, id[i]);
        return 0;
}

int
rt_hostname_check(const char *hostname, struct err *err)
{
        size_t n = strlen(hostname);

        if (n == 0 || n > RT_HOSTNAME_MAX || bad_text(hostname) || strchr(hostname, '/'))
                return err_setf(err, -EINVAL,
                                "invalid hostname \"%s\": must be 1 to %d "
                                "characters without blanks or '/'",
                                hostname, RT_HOSTNAME_MAX);
        return 0;
}
