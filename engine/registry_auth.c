/* registry_auth: the pure parts of registry authentication.
 *
 * WWW-Authenticate (RFC 7235 challenge syntax; the distribution token spec puts realm,
 * service and scope in a Bearer challenge), base64 (RFC 4648), and docker's config.json:
 *
 *   {"auths": {"https://index.docker.io/v1/": {"auth": base64("user:pass")},
 *              "127.0.0.1:5000": {"auth": "..."}}, ...other keys kept as they are}
 *
 * Docker normalises an "auths" key by dropping "http(s)://" and any path before comparing
 * it with a registry host, and files Docker Hub under its old index URL.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "engine/jsonx.h"
#include "engine/registry_int.h"

#define HUB_KEY "https://index.docker.io/v1/"

void
reg_challenge_release(struct reg_challenge *c)
{
        free(c->scheme);
        free(c->realm);
        free(c->service);
        free(c->scope);
        *c = (struct reg_challenge){ 0 };
}

static const char *
skip_ws(const char *p)
{
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* param_value: a quoted-string (with backslash escapes) or a token; *pp moves past it. */
static int
param_value(const char **pp, char **ret)
{
        const char *p = *pp;
        struct sbuf sb = SBUF_INIT;

        if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                        if (*p == '\\' && p[1])
                                p++;
                        sbuf_addch(&sb, *p);
                }
                if (*p != '"') {
                        sbuf_release(&sb);
                        return -EINVAL;
                }
                p++;
        } else {
                size_t n = strcspn(p, ", \t");

                sbuf_add(&sb, p, n);
                p += n;
        }
        *pp = p;
        *ret = sbuf_detach(&sb);
        return 0;
}

static void
set_param(struct reg_challenge *c, const char *key, size_t klen, char *value)
{
        char **slot = NULL;

        if (klen == 5 && !strncasecmp(key, "realm", 5))
                slot = &c->realm;
        else if (klen == 7 && !strncasecmp(key, "service", 7))
                slot = &c->service;
        else if (klen == 5 && !strncasecmp(key, "scope", 5))
                slot = &c->scope;
        if (slot && !*slot)
                *slot = value;
        else
                free(value);
}

/* parse_params: key=value pairs separated by commas, up to the end or the next challenge. */
static int
parse_params(const char *p, struct reg_challenge *c)
{
        for (;;) {
                const char *key;
                size_t klen;
                char *value;

                p = skip_ws(p);
                while (*p == ',')
                        p = skip_ws(p + 1);
                if (!*p)
                        return 0;
                key = p;
                klen = strcspn(p, "= \t,");
                p = skip_ws(p + klen);
                if (klen == 0 || *p != '=')
                        return klen ? 0 : -EINVAL; /* a token without '=': the next challenge */
                p = skip_ws(p + 1);
                if (param_value(&p, &value) < 0)
                        return -EINVAL;
                set_param(c, key, klen, value);
        }
}

int
reg_challenge_parse(const char *hdr, struct reg_challenge *ret, struct err *err)
{
        struct reg_challenge c = { 0 };
        const char *p = skip_ws(hdr);
        size_t n = strcspn(p, " \t,");

        if (n == 0)
                return err_setf(err, -EINVAL, "malformed WWW-Authenticate header '%s'", hdr);
        c.scheme = xstrndup(p, n);
        for (char *s = c.scheme; *s; s++)
                *s = (char)tolower((unsigned char)*s);
        if (parse_params(p + n, &c) < 0) {
                reg_challenge_release(&c);
                return err_setf(err, -EINVAL, "malformed WWW-Authenticate header '%s'", hdr);
        }
        *ret = c;
        return 0;
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
reg_base64(const void *data, size_t n)
{
        const unsigned char *in = data;
        char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;

        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t)in[i + 1] << 8;
                if (i + 2 < n)
                        v |= in[i + 2];
                *o++ = b64[v >> 18 & 63];
                *o++ = b64[v >> 12 & 63];
                *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? b64[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

int
reg_unbase64(const char *s, char **ret, size_t *ret_len)
{
        size_t n = strlen(s);
        cleanup_free char *out = xmalloc(n / 4 * 3 + 4);
        uint32_t acc = 0;
        size_t len = 0, bits = 0, i = 0;

        for (; i < n && s[i] != '='; i++) {
                const char *k = strchr(b64, s[i]);

                if (!k || !s[i])
                        return -EINVAL;
                acc = acc << 6 | (uint32_t)(k - b64);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[len++] = (char)(acc >> bits & 0xff);
                }
        }
        for (; i < n; i++)
                if (s[i] != '=')
                        return -EINVAL;
        if (bits >= 6)
                return -EINVAL;
        out[len] = '\0';
        *ret = TAKE_PTR(out);
        if (ret_len)
                *ret_len = len;
        return 0;
}

/* ---- config.json ---- */

char *
reg_config_path(const char *dir)
{
        const char *home = getenv("HOME");

        if (dir && *dir)
                return xasprintf("%s/config.json", dir);
        if (getenv("DOCKER_CONFIG") && *getenv("DOCKER_CONFIG"))
                return xasprintf("%s/config.json", getenv("DOCKER_CONFIG"));
        return xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

static bool
is_hub(const char *server)
{
        static const char *const hub[] = { "docker.io", "index.docker.io", "registry-1.docker.io",
                                           "registry.hub.docker.com" };

        for (size_t i = 0; i < ARRAY_SIZE(hub); i++)
                if (!strcmp(server, hub[i]))
                        return true;
        return false;
}

/* key_host: an "auths" key without scheme and path, as docker's ConvertToHostname. Owned. */
static char *
key_host(const char *key)
{
        const char *p = key;

        if (!strncmp(p, "http://", 7))
                p += 7;
        else if (!strncmp(p, "https://", 8))
                p += 8;
        return xstrndup(p, strcspn(p, "/"));
}

char *
reg_config_key(const char *server)
{
        cleanup_free char *host = key_host(server && *server ? server : "docker.io");

        return is_hub(host) ? xstrdup(HUB_KEY) : TAKE_PTR(host);
}

int
reg_auth_decode(const char *auth, char **ret_user, char **ret_pass, struct err *err)
{
        cleanup_free char *plain = NULL;
        size_t len;
        char *colon;

        if (reg_unbase64(auth, &plain, &len) < 0 || strlen(plain) != len ||
            !(colon = strchr(plain, ':')))
                return err_setf(err, -EINVAL,
                                "invalid auth configuration: not base64 user:password");
        *ret_user = xstrndup(plain, (size_t)(colon - plain));
        *ret_pass = xstrdup(colon + 1);
        return 0;
}

int
reg_config_lookup(json_object *cfg, const char *domain, char **ret_user, char **ret_pass,
                  struct err *err)
{
        json_object *auths = jsonx_get_type(cfg, "auths", json_type_object);

        *ret_user = *ret_pass = NULL;
        if (!auths)
                return 0;
        json_object_object_foreach(auths, key, val)
        {
                cleanup_free char *host = key_host(key);
                const char *auth = jsonx_str(val, "auth");

                if (strcmp(host, domain) != 0 && !(is_hub(host) && is_hub(domain)))
                        continue;
                if (!auth || !*auth)
                        continue; /* a credential helper's entry: no secret here */
                if (reg_auth_decode(auth, ret_user, ret_pass, err) < 0)
                        return err_prefix(err, "config.json entry '%s'", key);
                return 0;
        }
        return 0;
}

int
reg_config_set(json_object *cfg, const char *key, const char *user, const char *pass)
{
        json_object *auths = jsonx_get_type(cfg, "auths", json_type_object);
        cleanup_free char *plain = NULL, *auth = NULL;
        json_object *entry;

        if (!user) {
                if (!auths || !json_object_object_get_ex(auths, key, NULL))
                        return 0;
                json_object_object_del(auths, key);
                return 1;
        }
        if (!auths) {
                auths = json_object_new_object();
                json_object_object_add(cfg, "auths", auths);
        }
        plain = xasprintf("%s:%s", user, pass);
        auth = reg_base64(plain, strlen(plain));
        entry = json_object_new_object();
        jsonx_add_str(entry, "auth", auth);
        json_object_object_add(auths, key, entry);
        return 1;
}

int
reg_config_load(const char *path, json_object **ret, struct err *err)
{
        cleanup_free char *buf = NULL;
        size_t len;
        int r = fs_read_capped(path, REG_CONFIGJSON_MAX, &buf, &len, err);

        if (r == -ENOENT) {
                err_clear(err);
                *ret = json_object_new_object();
                return 0;
        }
        if (r == 0)
                r = jsonx_parse(buf, len, REG_CONFIGJSON_MAX, path, ret, err);
        if (r == 0 && !json_object_is_type(*ret, json_type_object)) {
                json_object_put(*ret);
                r = err_setf(err, -EINVAL, "%s: not a JSON object", path);
        }
        return r;
}

int
reg_config_store(const char *path, json_object *cfg, struct err *err)
{
        cleanup_free char *dir = path_dirname(path);
        cleanup_free char *text = jsonx_string(cfg, "\t");
        struct sbuf sb = SBUF_INIT;
        int r;

        if (!fs_is_dir(dir)) {
                r = fs_mkdir_p(dir, 0700, err);
                if (r < 0)
                        return r;
        }
        sbuf_adds(&sb, text);
        sbuf_addch(&sb, '\n');
        r = fs_write_atomic(path, sb.buf, sb.len, 0600, err);
        sbuf_release(&sb);
        return r;
}
