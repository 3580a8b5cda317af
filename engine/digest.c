/* digest: sha256 content digests in the OCI "algorithm:encoded" form. */
#include "engine/digest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"

void
digester_init(struct digester *d)
{
        sha256_init(&d->sha);
        d->bytes = 0;
}

void
digester_update(struct digester *d, const void *data, size_t n)
{
        sha256_update(&d->sha, data, n);
        d->bytes += n;
}

void
digester_final(struct digester *d, char out[DIGEST_STR_SIZE])
{
        uint8_t raw[SHA256_DIGEST_SIZE];

        sha256_final(&d->sha, raw);
        memcpy(out, DIGEST_PREFIX, 7);
        sha256_hex(raw, out + 7);
}

void
digest_buf(const void *data, size_t n, char out[DIGEST_STR_SIZE])
{
        struct digester d;

        digester_init(&d);
        digester_update(&d, data, n);
        digester_final(&d, out);
}

int
digest_fd(int fd, const char *name, char out[DIGEST_STR_SIZE], uint64_t *ret_size, struct err *err)
{
        enum {
                CHUNK = 1 << 20
        };
        cleanup_free char *buf = xmalloc(CHUNK);
        struct digester d;

        digester_init(&d);
        for (;;) {
                ssize_t n = read(fd, buf, CHUNK);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_setf(err, -errno, "read '%s': %s", name, strerror(errno));
                if (n == 0)
                        break;
                digester_update(&d, buf, (size_t)n);
        }
        if (ret_size)
                *ret_size = d.bytes;
        digester_final(&d, out);
        return 0;
}

int
digest_valid(const char *s)
{
        if (!s || strncmp(s, DIGEST_PREFIX, 7) != 0)
                return 0;
        s += 7;
        for (int i = 0; i < 64; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return 0;
        return s[64] == '\0';
}

const char *
digest_hex(const char *digest)
{
        return strncmp(digest, DIGEST_PREFIX, 7) == 0 ? digest + 7 : digest;
}

void
digest_chain(const char *parent, const char *diff_id, char out[DIGEST_STR_SIZE])
{
        cleanup_free char *s = NULL;

        if (!parent) {
                snprintf(out, DIGEST_STR_SIZE, "%s", diff_id);
                return;
        }
        s = xasprintf("%s %s", parent, diff_id);
        digest_buf(s, strlen(s), out);
}
