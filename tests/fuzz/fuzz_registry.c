/* libFuzzer target for what a registry sends that berth parses before trusting it: a
 * WWW-Authenticate header, a manifest or index (blob list, platform choice), a config.json
 * "auths" entry and base64. Any crash, leak or sanitizer report is a bug; errors are expected
 * and ignored. Build: cmake -DBERTH_FUZZ=ON -DCMAKE_C_COMPILER=clang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "engine/jsonx.h"
#include "engine/registry_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_json(const char *text, size_t size)
{
        static const char *const platforms[] = { NULL, "linux/arm/v6", "linux/arm64",
                                                 "windows/amd64" };
        json_object *o = NULL;
        struct reg_blob *b = NULL;
        size_t n = 0, pick;
        char *u = NULL, *p = NULL;

        if (jsonx_parse(text, size, 1 << 20, "fuzz", &o, NULL) < 0)
                return;
        if (reg_manifest_blobs(o, "fuzz", &b, &n, NULL) == 0)
                reg_blobs_free(b, n);
        for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
                struct reg_platform pl;

                if (reg_platform_parse(platforms[i], &pl, NULL) == 0)
                        reg_platform_pick(o, &pl, &pick, NULL);
        }
        if (reg_config_lookup(o, "docker.io", &u, &p, NULL) == 0) {
                free(u);
                free(p);
        }
        json_object_put(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = xstrndup((const char *)data, size);
        struct reg_challenge c;
        struct reg_platform pl;
        char *dec = NULL;
        size_t len;

        if (reg_challenge_parse(text, &c, NULL) == 0)
                reg_challenge_release(&c);
        if (reg_unbase64(text, &dec, &len) == 0)
                free(dec);
        reg_platform_parse(text, &pl, NULL);
        fuzz_json(text, strlen(text));
        free(text);
        return 0;
}
