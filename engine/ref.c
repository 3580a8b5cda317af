/* ref: docker image references (github.com/distribution/reference grammar).
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ("/" path-component)*
 *   domain    := host [":" port]            host = dns labels, or "[" ipv6 "]"
 *   path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator = "." | "_" | "__" | "-"+
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    := "sha256:" 64 lowercase hex
 *
 * Normalisation (ParseNormalizedNamed): the first element is a domain only if it contains
 * "." or ":" or is "localhost" (and is not all lower case letters otherwise); everything else
 * lives on docker.io, where one-element names get "library/". index.docker.io is docker.io.
 */
#include "engine/ref.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"

#define DEFAULT_DOMAIN "docker.io"

static int
is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* valid_component: one path component, [a-z0-9]+ joined by ".", "_", "__" or "-"+. */
static int
valid_component(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n) {
                size_t start = i;

                while (i < n && is_lower_alnum(s[i]))
                        i++;
                if (i == start)
                        return 0;
                if (i == n)
                        return 1;
                if (s[i] == '.' || (s[i] == '_' && (i + 1 >= n || s[i + 1] != '_')))
                        i++;
                else if (s[i] == '_')
                        i += 2;
                else if (s[i] == '-')
                        while (i < n && s[i] == '-')
                                i++;
                else
                        return 0;
                if (i == n)
                        return 0;
        }
        return n > 0;
}

static int
valid_path(const char *p)
{
        while (*p) {
                size_t n = strcspn(p, "/");

                if (!valid_component(p, n))
                        return 0;
                p += n;
                if (*p == '/' && !*++p)
                        return 0;
        }
        return 1;
}

static int
valid_label(const char *s, size_t n)
{
        if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                        return 0;
        return 1;
}

static int
valid_port(const char *s)
{
        if (!*s)
                return 0;
        for (; *s; s++)
                if (!isdigit((unsigned char)*s))
                        return 0;
        return 1;
}

static int
valid_domain(const char *d)
{
        const char *colon;

        if (d[0] == '[') {
                const char *end = strchr(d, ']');

                if (!end || end == d + 1 ||
                    strspn(d + 1, "0123456789abcdefABCDEF:") != (size_t)(end - d - 1))
                        return 0;
                return end[1] == '\0' || (end[1] == ':' && valid_port(end + 2));
        }
        colon = strchr(d, ':');
        if (colon && !valid_port(colon + 1))
                return 0;
        for (const char *p = d; p < (colon ? colon : d + strlen(d));) {
                size_t n = strcspn(p, ".:");

                if (!valid_label(p, n))
                        return 0;
                p += n;
                if (*p == '.')
                        p++;
        }
        return d[0] != '\0';
}

static int
valid_tag(const char *t)
{
        size_t n = strlen(t);

        if (n == 0 || n > REF_TAG_MAX)
                return 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)t[i];

                if (!isalnum(c) && c != '_' && (i == 0 || (c != '.' && c != '-')))
                        return 0;
        }
        return 1;
}

int
ref_is_digest_hex(const char *s)
{
        size_t i;

        for (i = 0; s[i]; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return 0;
        return i == 64;
}

static int
valid_digest(const char *d)
{
        return strncmp(d, "sha256:", 7) == 0 && ref_is_digest_hex(d + 7);
}

/* split_domain: docker's splitDockerDomain. */
static void
split_domain(const char *name, char **ret_domain, char **ret_path)
{
        const char *slash = strchr(name, '/');
        size_t n = slash ? (size_t)(slash - name) : 0;
        int has_domain = 0;

        if (slash) {
                cleanup_free char *first = xstrndup(name, n);

                has_domain = strpbrk(first, ".:") || strcmp(first, "localhost") == 0;
                for (size_t i = 0; !has_domain && i < n; i++)
                        has_domain = isupper((unsigned char)first[i]) != 0;
        }
        if (!has_domain) {
                *ret_domain = xstrdup(DEFAULT_DOMAIN);
                *ret_path = strchr(name, '/') ? xstrdup(name) : xasprintf("library/%s", name);
                return;
        }
        *ret_domain = strncmp(name, "index.docker.io/", 16) == 0 ? xstrdup(DEFAULT_DOMAIN)
                                                                 : xstrndup(name, n);
        *ret_path = xstrdup(slash + 1);
        if (strcmp(*ret_domain, DEFAULT_DOMAIN) == 0 && !strchr(*ret_path, '/')) {
                char *p = xasprintf("library/%s", *ret_path);

                free(*ret_path);
                *ret_path = p;
        }
}

static int
bad(struct err *err, const char *s, const char *why)
{
        return err_setf(err, -EINVAL, "invalid reference format%s%s: '%s'", why ? ": " : "",
                        why ? why : "", s);
}

/* split_tag: cut "name[:tag]" (a ':' after the last '/' starts the tag). */
static void
split_tag(char *name, char **ret_tag)
{
        char *slash = strrchr(name, '/');
        char *colon = strrchr(slash ? slash : name, ':');

        *ret_tag = NULL;
        if (colon) {
                *colon = '\0';
                *ret_tag = xstrdup(colon + 1);
        }
}

static int
check_name(const char *s, const char *name, struct err *err)
{
        if (!*name)
                return bad(err, s, NULL);
        if (ref_is_digest_hex(name))
                return err_setf(err, -EINVAL,
                                "invalid repository name '%s': cannot specify 64-byte "
                                "hexadecimal strings",
                                s);
        return 0;
}

static int
validate(const char *s, const struct ref *r, struct err *err)
{
        if (!valid_domain(r->domain))
                return bad(err, s, NULL);
        for (const char *p = r->path; *p; p++)
                if (isupper((unsigned char)*p))
                        return bad(err, s, "repository name must be lowercase");
        if (!valid_path(r->path))
                return bad(err, s, NULL);
        if (strlen(r->domain) + 1 + strlen(r->path) > REF_NAME_MAX)
                return bad(err, s, "repository name must not be more than 255 characters");
        if (r->tag && !valid_tag(r->tag))
                return bad(err, s, NULL);
        if (r->digest && !valid_digest(r->digest))
                return bad(err, s, "invalid digest");
        return 0;
}

int
ref_parse(const char *s, struct ref *ret, struct err *err)
{
        cleanup_free char *name = NULL;
        struct ref r = { 0 };
        const char *at;
        int rc;

        if (strlen(s) > REF_NAME_MAX + REF_TAG_MAX + 80)
                return bad(err, s, "too long");
        at = strchr(s, '@');
        name = at ? xstrndup(s, (size_t)(at - s)) : xstrdup(s);
        if (at)
                r.digest = xstrdup(at + 1);
        split_tag(name, &r.tag);
        rc = check_name(s, name, err);
        if (rc == 0) {
                split_domain(name, &r.domain, &r.path);
                if (!r.tag && !r.digest)
                        r.tag = xstrdup("latest");
                rc = validate(s, &r, err);
        }
        if (rc < 0) {
                ref_release(&r);
                return rc;
        }
        *ret = r;
        return 0;
}

void
ref_release(struct ref *r)
{
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        *r = (struct ref){ 0 };
}

char *
ref_repo(const struct ref *r)
{
        return xasprintf("%s/%s", r->domain, r->path);
}

char *
ref_string(const struct ref *r)
{
        return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "",
                         r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *
ref_familiar_repo(const struct ref *r)
{
        if (strcmp(r->domain, DEFAULT_DOMAIN) != 0)
                return ref_repo(r);
        if (strncmp(r->path, "library/", 8) == 0 && !strchr(r->path + 8, '/'))
                return xstrdup(r->path + 8);
        return xstrdup(r->path);
}

char *
ref_familiar(const struct ref *r)
{
        cleanup_free char *repo = ref_familiar_repo(r);

        return xasprintf("%s%s%s%s%s", repo, r->tag ? ":" : "", r->tag ? r->tag : "",
                         r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *
ref_familiar_name(const char *full)
{
        struct ref r;
        char *out;

        if (ref_parse(full, &r, NULL) < 0)
                return xstrdup(full);
        out = ref_familiar(&r);
        ref_release(&r);
        return out;
}
