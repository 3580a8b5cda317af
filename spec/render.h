/* render: the text `berth config` prints for a loaded model, exactly as `docker compose config`
 * does (key order, YAML or JSON shape, and `$` escaped as `$$` so that the output is itself a
 * valid compose file, except with --no-interpolate). */
#pragma once

#include <stdbool.h>

#include "base/sbuf.h"
#include "spec/node.h"

/* render_model: reorders model in place and appends its text to out (ends with a newline). */
int render_model(struct node *model, bool json, bool no_interpolate, struct sbuf *out,
                 struct err *err);
