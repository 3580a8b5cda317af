/* registry_manifest: reading what a registry serves (OCI image-spec manifest.md and
 * image-index.md, Docker image manifest v2 schema 2 and manifest lists).
 *
 * Platform choice follows containerd's default matcher, which docker uses: os and
 * architecture must be equal, and the variants, where an arm entry or request without one
 * means v7 and an arm64 one v8. Index entries that are buildkit attestations (platform
 * unknown/unknown) never match.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "engine/image.h"
#include "engine/jsonx.h"
#include "engine/registry_int.h"
#include "engine/store.h"

static int
copy_part(char *dst, size_t cap, const char *s, size_t n)
{
        if (n == 0 || n >= cap || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") < n)
                return -EINVAL;
        memcpy(dst, s, n);
        dst[n] = '\0';
        return 0;
}

static const char *
default_variant(const char *arch)
{
        if (!strcmp(arch, "arm64"))
                return "v8";
        if (!strcmp(arch, "arm"))
                return "v7";
        return "";
}

int
reg_platform_parse(const char *s, struct reg_platform *ret, struct err *err)
{
        struct reg_platform p = { .os = "linux" };
        const char *a, *v;

        if (!s || !*s) {
                snprintf(p.arch, sizeof(p.arch), "%s", image_platform_arch());
                snprintf(p.variant, sizeof(p.variant), "%s", default_variant(p.arch));
                *ret = p;
                return 0;
        }
        a = strchr(s, '/');
        v = a ? strchr(a + 1, '/') : NULL;
        if (!a || copy_part(p.os, sizeof(p.os), s, (size_t)(a - s)) < 0 ||
            copy_part(p.arch, sizeof(p.arch), a + 1, v ? (size_t)(v - a - 1) : strlen(a + 1)) < 0 ||
            (v && copy_part(p.variant, sizeof(p.variant), v + 1, strlen(v + 1)) < 0))
                return err_setf(err, -EINVAL,
                                "invalid platform '%s': want os/arch[/variant], e.g. linux/amd64",
                                s);
        if (!v)
                snprintf(p.variant, sizeof(p.variant), "%s", default_variant(p.arch));
        *ret = p;
        return 0;
}

static bool
entry_matches(json_object *d, const struct reg_platform *p)
{
        json_object *pl = jsonx_get_type(d, "platform", json_type_object);
        const char *os = jsonx_str(pl, "os"), *arch = jsonx_str(pl, "architecture");
        const char *variant = jsonx_str(pl, "variant");

        if (!os || !arch || strcmp(os, p->os) != 0 || strcmp(arch, p->arch) != 0)
                return false;
        if (!variant || !*variant)
                variant = default_variant(arch);
        return !*p->variant || !*variant || !strcmp(variant, p->variant);
}

int
reg_platform_pick(json_object *index, const struct reg_platform *p, size_t *ret, struct err *err)
{
        json_object *list = jsonx_get_type(index, "manifests", json_type_array);
        size_t n = list ? json_object_array_length(list) : 0;
        size_t loose = n;

        for (size_t i = 0; i < n; i++) {
                json_object *d = json_object_array_get_idx(list, i);
                json_object *pl = jsonx_get_type(d, "platform", json_type_object);
                const char *variant = jsonx_str(pl, "variant");

                const char *mt = jsonx_str(d, "mediaType");

                if (!entry_matches(d, p) || (mt && !reg_media_is_manifest(mt)))
                        continue;
                /* an exact variant beats an entry that only matched by not naming one */
                if (!*p->variant || (variant && !strcmp(variant, p->variant))) {
                        *ret = i;
                        return 0;
                }
                if (loose == n)
                        loose = i;
        }
        if (loose < n) {
                *ret = loose;
                return 0;
        }
        return err_setf(err, -ENOENT, "no matching manifest for %s/%s%s%s in the manifest list",
                        p->os, p->arch, *p->variant ? "/" : "", p->variant);
}

bool
reg_media_is_index(const char *media)
{
        return media && (!strcmp(media, MEDIA_OCI_INDEX) || !strcmp(media, MEDIA_DOCKER_LIST));
}

bool
reg_media_is_manifest(const char *media)
{
        return media &&
               (!strcmp(media, MEDIA_OCI_MANIFEST) || !strcmp(media, MEDIA_DOCKER_MANIFEST));
}

static bool
layer_media_ok(const char *media)
{
        static const char *const ok[] = { MEDIA_OCI_LAYER, MEDIA_OCI_LAYER_GZIP,
                                          MEDIA_OCI_LAYER_ZSTD, MEDIA_DOCKER_LAYER,
                                          "application/vnd.docker.image.rootfs.diff.tar" };

        for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
                if (!strcmp(media, ok[i]))
                        return true;
        return false;
}

void
reg_blobs_free(struct reg_blob *b, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(b[i].media);
        free(b);
}

static int
read_desc(json_object *d, const char *what, size_t i, struct reg_blob *ret, struct err *err)
{
        const char *digest = jsonx_str(d, "digest"), *media = jsonx_str(d, "mediaType");
        int64_t size = jsonx_int(d, "size", -1);

        if (!digest_valid(digest) || size < 0)
                return err_setf(err, -EPROTO,
                                "%s: descriptor %zu has no valid sha256 digest and size", what, i);
        snprintf(ret->digest, sizeof(ret->digest), "%s", digest);
        ret->media = xstrdup(media ? media : "");
        ret->size = (uint64_t)size;
        return 0;
}

static int
check_layer(const struct reg_blob *b, const char *what, struct err *err)
{
        if (strstr(b->media, "foreign") || strstr(b->media, "nondistributable"))
                return err_setf(err, -EPROTO, "%s: foreign layer %s (%s) cannot be pulled", what,
                                b->digest, b->media);
        if (!layer_media_ok(b->media))
                return err_setf(err, -EPROTO, "%s: layer %s has unsupported media type '%s'", what,
                                b->digest, b->media);
        return 0;
}

int
reg_manifest_blobs(json_object *m, const char *what, struct reg_blob **ret, size_t *ret_n,
                   struct err *err)
{
        json_object *layers = jsonx_get_type(m, "layers", json_type_array);
        json_object *cfg = jsonx_get_type(m, "config", json_type_object);
        size_t n = layers ? json_object_array_length(layers) : 0;
        struct reg_blob *b;
        int r = 0;

        if (jsonx_int(m, "schemaVersion", 0) == 1)
                return err_setf(err, -EPROTO,
                                "%s: Docker Image manifest schema 1 is not supported; push the "
                                "image again with a current client",
                                what);
        if (jsonx_int(m, "schemaVersion", 0) != 2 || !cfg || !layers)
                return err_setf(err, -EPROTO, "%s: not an image manifest", what);
        if (n > IMAGE_LAYERS_MAX)
                return err_setf(err, -EFBIG, "%s: %zu layers (at most %d)", what, n,
                                IMAGE_LAYERS_MAX);
        b = xcalloc(n + 1, sizeof(*b));
        r = read_desc(cfg, what, 0, &b[0], err);
        for (size_t i = 0; r == 0 && i < n; i++) {
                r = read_desc(json_object_array_get_idx(layers, i), what, i + 1, &b[i + 1], err);
                if (r == 0)
                        r = check_layer(&b[i + 1], what, err);
        }
        if (r == 0 && *b[0].media && strcmp(b[0].media, MEDIA_OCI_CONFIG) != 0 &&
            strcmp(b[0].media, MEDIA_DOCKER_CONFIG) != 0)
                r = err_setf(err, -EPROTO, "%s: not a container image (config type '%s')", what,
                             b[0].media);
        if (r == 0 && b[0].size > REG_CONFIG_MAX)
                r = err_setf(err, -EFBIG, "%s: config of %ju bytes (at most %u)", what,
                             (uintmax_t)b[0].size, REG_CONFIG_MAX);
        if (r < 0) {
                reg_blobs_free(b, n + 1);
                return r;
        }
        *ret = b;
        *ret_n = n + 1;
        return 0;
}
