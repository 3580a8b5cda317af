/* build_fetch: ADD <url>: the download (HTTP/HTTPS through libcurl, redirects followed,
 * size capped), the file name docker gives it (the last component of the URL path), its
 * mtime from Last-Modified, and the --checksum check. The downloads happen before the step
 * is keyed: their digests are part of the key, so a changed remote file is a cache miss and
 * an unchanged one a hit (as buildkit does; the classic builder does the same).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/curl_dl.h"
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/strv.h"
#include "engine/build_int.h"

#define FETCH_MAX (8ULL << 30)

bool
build_is_url(const char *s)
{
        return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

struct sink {
        int fd;
        struct digester d;
        int err;
};

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
        struct sink *s = ctx;
        size_t len = size * n, off = 0;

        digester_update(&s->d, p, len);
        while (off < len) {
                ssize_t w = write(s->fd, p + off, len - off);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        s->err = errno ? errno : EIO;
                        return 0;
                }
                off += (size_t)w;
        }
        return len;
}

char *
build_url_name(const char *url)
{
        const char *p = strstr(url, "://");
        const char *path = p ? strchr(p + 3, '/') : NULL;
        size_t n = path ? strcspn(path, "?#") : 0;
        const char *slash;

        if (!path || n <= 1)
                return NULL;
        slash = path + n;
        while (slash > path && slash[-1] != '/')
                slash--;
        return slash < path + n ? xstrndup(slash, (size_t)(path + n - slash)) : NULL;
}

static int
curl_get(const char *url, struct sink *s, long *ret_mtime, struct err *err)
{
        CURL *c = curl_easy_init();
        char msg[CURL_ERROR_SIZE] = "";
        CURLcode rc;

        if (!c)
                return err_setf(err, -ENOMEM, "ADD %s: curl_easy_init failed", url);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FETCH_MAX);
        curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, msg);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
        rc = curl_easy_perform(c);
        if (rc == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_FILETIME, ret_mtime);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK)
                return err_setf(err, -EIO, "ADD %s: download failed: %s", url,
                                msg[0] ? msg : curl_easy_strerror(rc));
        return 0;
}

static int
fetch_one(struct build *b, const char *url, const char *dir, const char *checksum,
          struct sbuf *digests, struct err *err)
{
        cleanup_free char *name = build_url_name(url), *path = NULL;
        struct sink s = { .fd = -1 };
        char digest[DIGEST_STR_SIZE];
        long mtime = -1;
        int r;

        if (!name)
                return err_setf(err, -EINVAL, "ADD %s: cannot determine a file name from the URL",
                                url);
        path = xasprintf("%s/%s", dir, name);
        s.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (s.fd < 0)
                return err_setf(err, -errno, "create '%s': %s", path, strerror(errno));
        digester_init(&s.d);
        r = curl_get(url, &s, &mtime, err);
        close(s.fd);
        if (r < 0)
                return r;
        if (s.err)
                return err_setf(err, -s.err, "ADD %s: write: %s", url, strerror(s.err));
        digester_final(&s.d, digest);
        if (checksum && strcmp(checksum, digest) != 0)
                return err_setf(err, -EBADMSG, "ADD %s: checksum mismatch: want %s, got %s", url,
                                checksum, digest);
        if (mtime > 0 && b->epoch < 0)
                utimensat(AT_FDCWD, path,
                          (struct timespec[]){ { .tv_sec = mtime }, { .tv_sec = mtime } }, 0);
        sbuf_addf(digests, "%s %s %s\n", url, name, digest);
        return 0;
}

int
build_fetch_urls(struct build *b, const struct dfstage_step *st, char **ret_dir,
                 char ret_key[DIGEST_STR_SIZE], struct err *err)
{
        cleanup_free char *dir = xasprintf("%s/dl%u", b->tmp, b->seq++);
        struct sbuf digests = SBUF_INIT;
        int r = 0;

        if (st->checksum && strncmp(st->checksum, "sha256:", 7) != 0)
                return err_setf(err, -EINVAL, "ADD --checksum=%s: only sha256: digests are "
                                "supported", st->checksum);
        if (st->checksum && strv_length(st->srcs) != 1)
                return err_setf(err, -EINVAL, "ADD --checksum needs exactly one URL source");
        strv_foreach(src, st->srcs)
                if (!build_is_url(src))
                        return err_setf(err, -ENOTSUP, "ADD: mixing URLs and local sources in "
                                        "one instruction is not supported by this builder");
        if (mkdir(dir, 0700) < 0)
                return err_setf(err, -errno, "create '%s': %s", dir, strerror(errno));
        r = curl_dl_load(err);
        strv_foreach(src, st->srcs) {
                if (r < 0)
                        break;
                r = fetch_one(b, src, dir, st->checksum, &digests, err);
                if (r < 0)
                        break;
        }
        if (r == 0)
                digest_buf(digests.buf, digests.len, ret_key);
        sbuf_release(&digests);
        if (r < 0)
                return r;
        *ret_dir = TAKE_PTR(dir);
        return 0;
}
