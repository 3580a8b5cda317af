/* libFuzzer target for the Dockerfile front end: the parser (spec/dockerfile), its dump, the
 * instruction layer (spec/dfstage: expansion, stages, config) and builder variable expansion
 * (spec/shellexpand) on raw input. Any crash, leak or sanitizer report is a bug; errors are
 * expected and ignored. Build: cmake -DBERTH_FUZZ=ON -DCMAKE_C_COMPILER=clang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "spec/dfstage.h"
#include "spec/dockerfile.h"
#include "spec/env.h"
#include "spec/shellexpand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_parse(const char *text, size_t size)
{
        static const struct dockerfile_limits lim = { 1 << 16, 4096, 4096, 256 };
        struct dockerfile *df = NULL;
        struct dfstage_plan *plan = NULL;
        struct sbuf dump = SBUF_INIT;

        if (dockerfile_parse(NULL, text, size, &lim, &df, NULL) < 0)
                return;
        dockerfile_dump(df, &dump);
        sbuf_release(&dump);
        if (dfstage_plan(df, NULL, &plan, NULL) == 0)
                dfstage_plan_free(plan);
        dockerfile_free(df);
}

static void
fuzz_expand(const char *word)
{
        struct env e = ENV_INIT;
        struct shellexpand sx = { .lookup = env_lookup, .ctx = &e };
        char *out = NULL;
        char **words = NULL;

        env_set(&e, "A", "apple");
        env_set(&e, "E", "");
        env_set(&e, "P", "/usr/local/bin/tool.tar.gz");
        if (shellexpand_word(&sx, word, &out, NULL) == 0)
                free(out);
        sx.escape = '`';
        if (shellexpand_words(&sx, word, &words, NULL) == 0)
                strv_free(words);
        sx.raw_quotes = sx.raw_escapes = sx.skip_unset = true;
        if (shellexpand_words(&sx, word, &words, NULL) == 0)
                strv_free(words);
        env_release(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text;

        if (size > (1 << 16))
                return 0;
        text = xmalloc(size + 1);
        memcpy(text, data, size);
        text[size] = '\0';
        fuzz_parse(text, size);
        if (size <= 4096)
                fuzz_expand(text);
        free(text);
        return 0;
}
