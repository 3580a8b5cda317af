/* cachekey: step cache keys. The key is SHA-256 over a self-delimiting encoding of the
 * inputs (a tag byte and a 64-bit big-endian length before every field), so no two
 * different input sets can encode the same bytes. Build args are sorted first: their
 * order in the Dockerfile does not change what the step sees. */
#include "cachekey.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"

static void
field(struct sha256 *h, char tag, const void *data, size_t n)
{
        uint8_t len[9];

        len[0] = (uint8_t)tag;
        for (int i = 0; i < 8; i++)
                len[1 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        sha256_update(h, len, sizeof(len));
        sha256_update(h, data, n);
}

int
cachekey_compute(const struct cachekey_input *in, char out[CACHEKEY_SIZE], struct err *err)
{
        static const char tag[] = "berth-cachekey-v1";
        cleanup_strv char **args = NULL;
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        struct sha256 h;

        if (!in->parent || !in->instruction)
                return err_setf(err, -EINVAL,
                                "cache key: the parent and the instruction are "
                                "required");
        args = strv_copy(in->build_args);
        strv_sort(args);
        sha256_init(&h);
        field(&h, 'V', tag, sizeof(tag) - 1);
        field(&h, 'P', in->parent, strlen(in->parent));
        field(&h, 'I', in->instruction, strlen(in->instruction));
        strv_foreach(a, args)
                field(&h, 'A', a, strlen(a));
        for (size_t i = 0; i < in->nsources; i++) {
                field(&h, 'S', in->sources[i].path, strlen(in->sources[i].path));
                field(&h, 'D', in->sources[i].digest, SHA256_DIGEST_SIZE);
        }
        sha256_final(&h, d);
        sha256_hex(d, hex);
        memcpy(out, "sha256:", 7);
        memcpy(out + 7, hex, SHA256_HEX_SIZE);
        return 0;
}

static bool
is_url(const char *s)
{
        return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0 ||
               strncmp(s, "git@", 4) == 0 || strncmp(s, "git://", 6) == 0;
}

/* the digest standing for a source that is not in the build context */
static void
text_digest(const char *a, const char *b, uint8_t out[SHA256_DIGEST_SIZE])
{
        struct sha256 h;

        sha256_init(&h);
        field(&h, 'F', a, strlen(a));
        field(&h, 'T', b, strlen(b));
        sha256_final(&h, out);
}

static int
step_sources(const struct dfstage_step *st, const struct context *ctx, const char *from_digest,
             struct cachekey_source *src, struct err *err)
{
        size_t n = 0;

        strv_foreach(s, st->srcs) {
                src[n].path = s;
                if (st->from) {
                        if (!from_digest)
                                return err_setf(err, -EINVAL,
                                                "cache key: COPY --from=%s needs "
                                                "the digest of '%s'",
                                                st->from, st->from);
                        text_digest(from_digest, s, src[n].digest);
                } else if (is_url(s)) {
                        text_digest("url", s, src[n].digest);
                } else if (!ctx) {
                        return err_setf(err, -EINVAL, "cache key: '%s' needs the build context", s);
                } else {
                        int r = context_source_digest(ctx, s, src[n].digest, err);

                        if (r < 0)
                                return r;
                }
                n++;
        }
        return 0;
}

int
cachekey_step(const struct dfstage_step *st, const char *parent, const struct context *ctx,
              const char *from_digest, char out[CACHEKEY_SIZE], struct err *err)
{
        size_t n = strv_length(st->srcs);
        cleanup_free struct cachekey_source *src = xcalloc(n + 1, sizeof(*src));
        struct cachekey_input in = { .parent = parent,
                                     .instruction = st->canon,
                                     .build_args = st->key_args,
                                     .sources = src,
                                     .nsources = n };
        int r = step_sources(st, ctx, from_digest, src, err);

        return r < 0 ? r : cachekey_compute(&in, out, err);
}
