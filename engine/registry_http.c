/* registry_http: the HTTP side of the OCI distribution API client (libcurl easy handles).
 *
 * Auth (distribution "token authentication" spec): the first request to a registry is
 * GET /v2/ without credentials. 200 means anonymous; 401 carries a WWW-Authenticate
 * challenge. "Basic" means every request carries the user's credentials; "Bearer" means a
 * token is fetched from realm?service=S&scope=A&scope=B (with the credentials as HTTP basic
 * when the user has some) and sent as "Authorization: Bearer T". Tokens are cached per
 * scope string for the life of the client; a 401 on a request re-fetches once, adding the
 * scope the new challenge names (the registry knows best what it wants).
 * libcurl drops our Authorization header when a redirect leaves the registry's host (blob
 * storage redirects), which is what the spec requires.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/strv.h"
#include "engine/jsonx.h"
#include "engine/registry_int.h"

/* ---- transport choice ---- */

bool
reg_is_loopback(const char *domain)
{
        cleanup_free char *host = NULL;
        struct in_addr a4;
        const char *colon;

        if (domain[0] == '[') {
                const char *end = strchr(domain, ']');

                host = xstrndup(domain + 1, end ? (size_t)(end - domain - 1) : 0);
                return !strcmp(host, "::1");
        }
        colon = strchr(domain, ':');
        host = colon ? xstrndup(domain, (size_t)(colon - domain)) : xstrdup(domain);
        if (!strcasecmp(host, "localhost"))
                return true;
        return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

bool
reg_is_insecure(const char *domain, const char *list)
{
        cleanup_strv char **v = NULL;

        if (reg_is_loopback(domain))
                return true;
        if (!list || !*list)
                return false;
        v = strv_split(list, ",");
        strv_foreach(e, v)
                if (!strcmp(e, domain))
                        return true;
        return false;
}

/* ---- the client ---- */

static int
load_creds(struct reg_client *c, struct err *err)
{
        cleanup_free char *path = reg_config_path(c->o->config_dir);
        json_object *cfg = NULL;
        int r = reg_config_load(path, &cfg, err);

        if (r == 0)
                r = reg_config_lookup(cfg, c->domain, &c->user, &c->pass, err);
        if (r == 0 && !c->user &&
            (jsonx_str(cfg, "credsStore") || jsonx_str(jsonx_get(cfg, "credHelpers"), c->domain)))
                log_warn(c->o->log,
                         "%s names a credential helper; berth does not run them, so "
                         "'%s' is used anonymously (berth login stores credentials in the file)",
                         path, c->domain);
        json_object_put(cfg);
        return r;
}

int
reg_client_init(struct reg_client *c, const struct reg_opts *o, const char *domain, struct err *err)
{
        const char *insecure = o->insecure ? o->insecure : getenv("BERTH_INSECURE_REGISTRIES");
        const char *host = !strcmp(domain, "docker.io") ? "registry-1.docker.io" : domain;

        *c = (struct reg_client){ .o = o };
        c->domain = xstrdup(domain);
        c->base = xasprintf("%s://%s", reg_is_insecure(domain, insecure) ? "http" : "https", host);
        return load_creds(c, err);
}

void
reg_client_release(struct reg_client *c)
{
        free(c->domain);
        free(c->base);
        free(c->user);
        free(c->pass);
        reg_challenge_release(&c->ch);
        for (size_t i = 0; i < c->ntokens; i++) {
                free(c->tokens[i].scope);
                free(c->tokens[i].token);
        }
        free(c->tokens);
        *c = (struct reg_client){ 0 };
}

void
reg_resp_release(struct reg_resp *r)
{
        sbuf_release(&r->body);
        free(r->location);
        free(r->digest);
        free(r->content_type);
        free(r->www_auth);
        free(r->range);
        *r = (struct reg_resp){ .body = SBUF_INIT };
}

char *
reg_url(const struct reg_client *c, const char *path)
{
        if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
                return xstrdup(path);
        return xasprintf("%s%s%s", c->base, path[0] == '/' ? "" : "/", path);
}

void
reg_easy_common(CURL *h)
{
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
        /* a stalled transfer fails instead of hanging: < 1 byte/s for 2 minutes (long enough
         * for a registry to verify a big upload before it answers) */
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
}

/* ---- one request ---- */

struct xfer {
        const struct reg_client *c;
        const struct reg_req *q;
        struct reg_resp *resp;
        size_t max;
        bool too_big;
        uint64_t sent;
        struct timespec shown; /* when upload progress was last reported */
};

static void
set_hdr(char **slot, const char *v, size_t n)
{
        while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
                n--;
        free(*slot);
        *slot = xstrndup(v, n);
}

static size_t
on_header(char *buf, size_t size, size_t nitems, void *ctx)
{
        struct reg_resp *r = ctx;
        size_t n = size * nitems;
        static const struct {
                const char *name;
                size_t off;
        } keep[] = {
                { "location:", offsetof(struct reg_resp, location) },
                { "docker-content-digest:", offsetof(struct reg_resp, digest) },
                { "content-type:", offsetof(struct reg_resp, content_type) },
                { "www-authenticate:", offsetof(struct reg_resp, www_auth) },
                { "range:", offsetof(struct reg_resp, range) },
        };

        if (n >= 5 && !strncmp(buf, "HTTP/", 5)) {
                /* a new response (after a redirect or a 100): forget the previous headers */
                for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
                        char **slot = (char **)((char *)r + keep[i].off);

                        free(*slot);
                        *slot = NULL;
                }
                return n;
        }
        for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
                size_t k = strlen(keep[i].name);
                const char *v = buf + k;

                if (n < k || strncasecmp(buf, keep[i].name, k) != 0)
                        continue;
                while (v < buf + n && *v == ' ')
                        v++;
                set_hdr((char **)((char *)r + keep[i].off), v, (size_t)(buf + n - v));
        }
        return n;
}

static size_t
on_body(char *buf, size_t size, size_t nmemb, void *ctx)
{
        struct xfer *x = ctx;
        size_t n = size * nmemb;

        if (x->resp->body.len + n > x->max) {
                x->too_big = true;
                return 0;
        }
        sbuf_add(&x->resp->body, buf, n);
        return n;
}

static size_t
on_read(char *buf, size_t size, size_t nitems, void *ctx)
{
        struct xfer *x = ctx;
        const struct reg_req *q = x->q;
        size_t want = size * nitems;
        uint64_t left = q->body_fd_len - x->sent;
        ssize_t k;

        if (want > left)
                want = (size_t)left;
        if (want == 0)
                return 0;
        k = pread(q->body_fd, buf, want, (off_t)(q->body_off + x->sent));
        if (k <= 0)
                return CURL_READFUNC_ABORT;
        x->sent += (uint64_t)k;
        return (size_t)k;
}

/* on_xfer: upload progress, at most every 100 ms */
static int
on_xfer(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
        struct xfer *x = ctx;
        struct timespec now;

        (void)dltotal;
        (void)dlnow;
        (void)ultotal;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - x->shown.tv_sec) * 1000 + (now.tv_nsec - x->shown.tv_nsec) / 1000000 <
            100)
                return 0;
        x->shown = now;
        reg_emit(x->c->o, x->q->progress_digest, "Pushing", x->q->progress_base + (uint64_t)ulnow,
                 x->q->progress_total);
        return 0;
}

static void
set_body(CURL *h, struct xfer *x)
{
        const struct reg_req *q = x->q;

        if (q->body_fd > 0) {
                curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
                curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
                curl_easy_setopt(h, CURLOPT_READDATA, x);
                curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_fd_len);
                curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
                curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
                if (q->progress_digest) {
                        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
                        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer);
                        curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
                }
        } else if (!strcmp(q->method, "HEAD")) {
                curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (strcmp(q->method, "GET") != 0) {
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? (const char *)q->body : "");
                curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
                curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
        }
}

static struct curl_slist *
req_headers(const struct reg_req *q, const char *auth)
{
        struct curl_slist *l = NULL;
        cleanup_free char *a = q->accept ? xasprintf("Accept: %s", q->accept) : NULL;
        cleanup_free char *ct = xasprintf(
                "Content-Type: %s", q->content_type ? q->content_type : "application/octet-stream");
        cleanup_free char *cr =
                q->content_range ? xasprintf("Content-Range: %s", q->content_range) : NULL;

        if (auth)
                l = curl_slist_append(l, auth);
        if (a)
                l = curl_slist_append(l, a);
        if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0)
                l = curl_slist_append(l, ct);
        if (cr)
                l = curl_slist_append(l, cr);
        return curl_slist_append(l, "Expect:"); /* no 100-continue round trip */
}

static int
perform(struct reg_client *c, const struct reg_req *q, const char *auth, struct reg_resp *resp,
        struct err *err)
{
        cleanup_free char *url = reg_url(c, q->url);
        struct xfer x = { .c = c, .q = q, .resp = resp, .max = q->max ? q->max : REG_ERRBODY_MAX };
        struct curl_slist *hdrs = req_headers(q, auth);
        CURL *h = curl_easy_init();
        char ebuf[CURL_ERROR_SIZE] = "";
        CURLcode cc;

        reg_resp_release(resp);
        reg_easy_common(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
        set_body(h, &x);
        cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        curl_easy_cleanup(h);
        curl_slist_free_all(hdrs);
        if (x.too_big)
                return err_setf(err, -EFBIG, "%s %s: response larger than %zu bytes", q->method,
                                url, x.max);
        if (cc != CURLE_OK)
                return err_setf(err, -EIO, "%s %s: %s", q->method, url,
                                *ebuf ? ebuf : curl_easy_strerror(cc));
        return 0;
}

/* ---- auth ---- */

static int
ping(struct reg_client *c, struct err *err)
{
        struct reg_req q = { .method = "GET", .url = "/v2/", .body_fd = -1 };
        struct reg_resp resp = { .body = SBUF_INIT };
        int r = perform(c, &q, NULL, &resp, err);

        if (r == 0 && resp.status == 401 && resp.www_auth)
                r = reg_challenge_parse(resp.www_auth, &c->ch, err);
        else if (r == 0 && resp.status != 200 && resp.status != 401)
                r = reg_http_error(&resp, "ping registry", err);
        if (r == 0)
                c->pinged = true;
        else
                err_prefix(err, "registry %s", c->domain);
        reg_resp_release(&resp);
        return r;
}

static char *
basic_header(const struct reg_client *c)
{
        cleanup_free char *plain = xasprintf("%s:%s", c->user, c->pass);
        cleanup_free char *b = reg_base64(plain, strlen(plain));

        return xasprintf("Authorization: Basic %s", b);
}

/* token_url: realm?service=S&scope=A&scope=B (scopes space-separated in scope). */
static char *
token_url(CURL *h, const struct reg_challenge *ch, const char *scope, const char *account)
{
        struct sbuf sb = SBUF_INIT;
        cleanup_strv char **scopes = scope ? strv_split(scope, " ") : NULL;
        char sep = strchr(ch->realm, '?') ? '&' : '?';

        sbuf_adds(&sb, ch->realm);
        if (ch->service) {
                char *e = curl_easy_escape(h, ch->service, 0);

                sbuf_addf(&sb, "%cservice=%s", sep, e);
                curl_free(e);
                sep = '&';
        }
        strv_foreach(s, scopes) {
                char *e = *s ? curl_easy_escape(h, s, 0) : NULL;

                if (e)
                        sbuf_addf(&sb, "%cscope=%s", sep, e);
                curl_free(e);
                sep = e ? '&' : sep;
        }
        if (account)
                sbuf_addf(&sb, "%caccount=%s", sep, account);
        return sbuf_detach(&sb);
}

static int
parse_token(const struct reg_resp *resp, char **ret, struct err *err)
{
        json_object *o = NULL;
        const char *t;
        int r = jsonx_parse(resp->body.buf, resp->body.len, REG_TOKEN_MAX, "token response", &o,
                            err);

        if (r < 0)
                return r;
        t = jsonx_str(o, "token");
        if (!t || !*t)
                t = jsonx_str(o, "access_token");
        if (t && *t)
                *ret = xstrdup(t);
        else
                r = err_setf(err, -EPROTO, "token response has no token");
        json_object_put(o);
        return r;
}

/* fetch_token: GET the token endpoint for scope. */
static int
fetch_token(struct reg_client *c, const char *scope, char **ret, struct err *err)
{
        CURL *h = curl_easy_init();
        cleanup_free char *url = token_url(h, &c->ch, scope, c->user);
        cleanup_free char *auth = c->user ? basic_header(c) : NULL;
        struct reg_req q = { .method = "GET", .url = url, .body_fd = -1, .max = REG_TOKEN_MAX };
        struct reg_resp resp = { .body = SBUF_INIT };
        int r;

        curl_easy_cleanup(h);
        if (!c->ch.realm || strncmp(c->ch.realm, "http", 4) != 0)
                return err_setf(err, -EPROTO,
                                "registry %s: bearer challenge without a usable realm", c->domain);
        r = perform(c, &q, auth, &resp, err);
        if (r == 0 && resp.status != 200)
                r = reg_http_error(&resp, "get a token", err);
        if (r == 0)
                r = parse_token(&resp, ret, err);
        reg_resp_release(&resp);
        return r;
}

int
reg_auth_header(struct reg_client *c, const char *scope, bool refresh, char **ret, struct err *err)
{
        const char *key = scope ? scope : "";
        char *tok = NULL;
        int r;

        *ret = NULL;
        if (!c->pinged && (r = ping(c, err)) < 0)
                return r;
        if (!c->ch.scheme)
                return 0;
        if (!strcmp(c->ch.scheme, "basic"))
                return c->user ? (*ret = basic_header(c), 0) : 0;
        if (strcmp(c->ch.scheme, "bearer") != 0)
                return err_setf(err, -EPROTO, "registry %s: unsupported auth scheme '%s'",
                                c->domain, c->ch.scheme);
        for (size_t i = 0; i < c->ntokens && !refresh; i++)
                if (!strcmp(c->tokens[i].scope, key))
                        return (*ret = xasprintf("Authorization: Bearer %s", c->tokens[i].token),
                                0);
        r = fetch_token(c, scope, &tok, err);
        if (r < 0)
                return r;
        GROW(c->tokens, c->captokens, c->ntokens + 1);
        c->tokens[c->ntokens++] = (struct reg_token){ xstrdup(key), tok };
        *ret = xasprintf("Authorization: Bearer %s", tok);
        return 0;
}

/* merge_scope: the request's scope plus what a new challenge asks for. Owned. */
static char *
merge_scope(const char *mine, const char *theirs)
{
        if (!theirs || !*theirs)
                return mine ? xstrdup(mine) : NULL;
        if (!mine || strstr(mine, theirs))
                return xstrdup(theirs);
        return xasprintf("%s %s", mine, theirs);
}

/* same_host: whether url (absolute, or a path) is on the registry: credentials are never
 * sent to a host an upload Location names elsewhere. */
static bool
same_host(const struct reg_client *c, const char *url)
{
        size_t n = strlen(c->base);

        if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
                return true;
        return !strncmp(url, c->base, n) && (url[n] == '/' || url[n] == '?' || url[n] == '\0');
}

int
reg_do(struct reg_client *c, const struct reg_req *q, struct reg_resp *ret, struct err *err)
{
        cleanup_free char *auth = NULL, *scope = NULL;
        struct reg_challenge ch = { 0 };
        int r = reg_auth_header(c, q->scope, false, &auth, err);

        if (r == 0 && !same_host(c, q->url))
                free(TAKE_PTR(auth));
        if (r == 0)
                r = perform(c, q, auth, ret, err);
        if (r < 0 || ret->status != 401 || !ret->www_auth ||
            reg_challenge_parse(ret->www_auth, &ch, NULL) < 0)
                return r;
        /* a 401 after authenticating: the token expired or lacks a scope; once more */
        scope = merge_scope(q->scope, ch.scope);
        if (ch.scheme && !strcmp(ch.scheme, "bearer")) {
                reg_challenge_release(&c->ch);
                c->ch = ch;
                ch = (struct reg_challenge){ 0 };
        }
        reg_challenge_release(&ch);
        free(TAKE_PTR(auth));
        r = reg_auth_header(c, scope, true, &auth, err);
        if (r == 0 && auth && same_host(c, q->url))
                r = perform(c, q, auth, ret, err);
        return r;
}

/* ---- errors ---- */

static void
describe_errors(const struct reg_resp *r, struct sbuf *sb)
{
        json_object *o = NULL, *list;
        size_t n;

        if (jsonx_parse(r->body.buf, r->body.len, REG_ERRBODY_MAX, "error", &o, NULL) < 0)
                return;
        list = jsonx_get_type(o, "errors", json_type_array);
        n = list ? json_object_array_length(list) : 0;
        for (size_t i = 0; i < n && i < 4; i++) {
                json_object *e = json_object_array_get_idx(list, i);
                const char *code = jsonx_str(e, "code"), *msg = jsonx_str(e, "message");

                sbuf_addf(sb, "%s%s%s%s", i ? "; " : ": ", code ? code : "",
                          code && msg ? ": " : "", msg ? msg : "");
        }
        json_object_put(o);
}

int
reg_http_error(const struct reg_resp *r, const char *what, struct err *err)
{
        struct sbuf sb = SBUF_INIT;
        int code = r->status == 404                       ? -ENOENT
                   : r->status == 401 || r->status == 403 ? -EACCES
                                                          : -EIO;

        describe_errors(r, &sb);
        if (!sb.len && r->status == 401)
                sbuf_adds(&sb, ": authentication required");
        if (!sb.len && r->status == 403)
                sbuf_adds(&sb, ": denied");
        if (!sb.len && r->status == 404)
                sbuf_adds(&sb, ": not found");
        err_setf(err, code, "%s: HTTP %ld%s", what, r->status, sb.buf);
        sbuf_release(&sb);
        return code;
}

/* ---- blob sources, for cross-repository mounts ---- */

void
reg_sources_add(const char *root, const char *digest, const char *repo)
{
        cleanup_free char *dir = xasprintf("%s/registry/sources", root);
        cleanup_free char *path = xasprintf("%s/%s", dir, digest_hex(digest));
        cleanup_strv char **have = reg_sources_get(root, digest);
        cleanup_free char *line = xasprintf("%s\n", repo);
        cleanup_close int fd = -1;

        if (strv_contains(have, repo) || strv_length(have) >= 64)
                return;
        if (fs_mkdir_p(dir, 0700, NULL) < 0)
                return;
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        /* one short O_APPEND write: concurrent writers never interleave within a line */
        if (fd >= 0 && write(fd, line, strlen(line)) < 0)
                return;
}

char **
reg_sources_get(const char *root, const char *digest)
{
        cleanup_free char *path = xasprintf("%s/registry/sources/%s", root, digest_hex(digest));
        cleanup_free char *buf = NULL;
        char **v = NULL;
        size_t len;

        if (fs_read_capped(path, 64u << 10, &buf, &len, NULL) < 0)
                return NULL;
        v = strv_split(buf, "\n");
        return v;
}
