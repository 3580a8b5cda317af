/* context_hash CONTEXT-DIR CACHE-FILE [DOCKERFILE]: walk a build context the way the builder
 * does (.dockerignore applied, spec/context digests, the persistent stat cache in
 * CACHE-FILE) and print the tree digest, what was hashed and the time it took. Used by
 * bench/context.sh; DOCKERFILE (relative to the context) picks <Dockerfile>.dockerignore. */
#include <stdio.h>
#include <time.h>

#include "base/err.h"
#include "base/sha256.h"
#include "spec/context.h"
#include "spec/dockerignore.h"

int
main(int argc, char **argv)
{
        struct dockerignore *ign = NULL;
        struct context *c = NULL;
        struct err err = { 0 };
        struct timespec t0, t1;
        char hex[SHA256_HEX_SIZE];
        int r;

        if (argc < 3 || argc > 4) {
                fprintf(stderr, "usage: %s CONTEXT-DIR CACHE-FILE [DOCKERFILE]\n", argv[0]);
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = dockerignore_load(argv[1], argc == 4 ? argv[3] : NULL, &ign, &err);
        if (r == 0) {
                struct context_opts o = { .ignore = ign, .cache = argv[2] };

                r = context_walk(argv[1], &o, &c, &err);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        dockerignore_free(ign);
        if (r < 0) {
                fprintf(stderr, "context_hash: %s\n", err.msg);
                return 1;
        }
        sha256_hex(c->digest, hex);
        printf("sha256:%s\n", hex);
        printf("entries=%zu files_hashed=%zu files_cached=%zu bytes_hashed=%llu cache_written=%s\n",
               c->n, c->stats.files_hashed, c->stats.files_cached,
               (unsigned long long)c->stats.bytes_hashed, c->stats.cache_written ? "yes" : "no");
        printf("elapsed_ms=%.3f\n",
               (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
        context_free(c);
        return 0;
}
