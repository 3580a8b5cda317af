/* registry_login: docker login / logout against the OCI distribution API.
 *
 * A login is checked as docker checks it: GET /v2/ with the credentials, which for a
 * token-auth registry first fetches a token for them from the challenge's realm (no scope).
 * Only credentials the registry accepted are written to config.json.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "engine/registry_int.h"

/* login_domain: the registry host a `login SERVER` argument names. Owned. */
static char *
login_domain(const char *server)
{
        cleanup_free char *key = reg_config_key(server);
        const char *p = key;

        if (!strncmp(p, "https://", 8))
                return xstrdup("docker.io"); /* Docker Hub's index URL */
        return xstrdup(p);
}

static int
check_login(const struct reg_opts *o, const char *domain, const char *user, const char *pass,
            struct err *err)
{
        struct reg_client c;
        struct reg_req q = { .method = "GET", .url = "/v2/", .body_fd = -1 };
        struct reg_resp resp = { .body = SBUF_INIT };
        int r = reg_client_init(&c, o, domain, err);

        if (r == 0) {
                free(c.user);
                free(c.pass);
                c.user = xstrdup(user);
                c.pass = xstrdup(pass);
                r = reg_do(&c, &q, &resp, err);
        }
        if (r == 0 && resp.status != 200)
                r = reg_http_error(&resp, "login", err);
        if (r == -EACCES) {
                err_clear(err);
                r = err_setf(err, -EACCES,
                             "login to %s: unauthorized: incorrect username or password", domain);
        }
        reg_resp_release(&resp);
        reg_client_release(&c);
        return r;
}

int
reg_login(const struct reg_opts *o, const char *server, const char *user, const char *pass,
          struct err *err)
{
        cleanup_free char *domain = login_domain(server);
        cleanup_free char *key = reg_config_key(server);
        cleanup_free char *path = reg_config_path(o->config_dir);
        json_object *cfg = NULL;
        int r;

        if (!user || !*user || !pass || !*pass)
                return err_setf(err, -EINVAL, "login: username and password are required");
        if (strchr(user, ':'))
                return err_setf(err, -EINVAL, "login: a username cannot contain ':'");
        r = curl_dl_load(err);
        if (r == 0)
                r = check_login(o, domain, user, pass, err);
        if (r == 0)
                r = reg_config_load(path, &cfg, err);
        if (r == 0) {
                reg_config_set(cfg, key, user, pass);
                r = reg_config_store(path, cfg, err);
        }
        json_object_put(cfg);
        return r;
}

int
reg_logout(const struct reg_opts *o, const char *server, struct err *err)
{
        cleanup_free char *key = reg_config_key(server);
        cleanup_free char *path = reg_config_path(o->config_dir);
        json_object *cfg = NULL;
        int r = reg_config_load(path, &cfg, err);

        if (r == 0 && reg_config_set(cfg, key, NULL, NULL) == 0)
                r = err_setf(err, -ENOENT, "not logged in to %s", key);
        else if (r == 0)
                r = reg_config_store(path, cfg, err);
        json_object_put(cfg);
        return r;
}
