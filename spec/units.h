/* units: the number formats of the compose model, as docker compose reads and prints them.
 *
 * Durations are read like compose-go (github.com/xhit/go-str2duration: Go's time.ParseDuration
 * plus "d" and "w" units) and printed like Go's time.Duration.String() ("1m30s", "1.5s",
 * "500ms"). Byte sizes are read like compose-go's UnitBytes (a plain integer, else
 * go-units RAMInBytes: "50M", "1g", "1.5kb", binary multiples). Floats are printed like Go's
 * strconv.FormatFloat(v, 'g', -1, bits), which is how go-yaml and fmt.Sprint print them.
 */
#pragma once

#include <stdint.h>

#include "base/err.h"

/* units_parse_duration: "1m30s", "10s", "1.5h", "500ms", "2d", "-1s", "0" (a bare number is
 * an error, except 0: compose needs a unit). On success *ret_ns holds nanoseconds.
 * -EINVAL with "invalid duration ..." or "unknown unit ..." for anything else, -ERANGE
 * when it does not fit in 64 bits. */
int units_parse_duration(const char *s, long long *ret_ns, struct err *err);

/* units_format_duration: Go's time.Duration.String(): "0s", "1h30m0s", "1.5s", "500ms",
 * "1µs", "-2m0s". Returns an owned string. */
char *units_format_duration(long long ns);

/* units_parse_bytes: a byte count as compose-go's UnitBytes reads it: a decimal integer
 * (negative allowed, e.g. -1 for "unlimited"), else a size with an optional binary unit
 * k/m/g/t/p (optionally followed by b or ib, any case; "1.5kb" = 1536). -EINVAL with
 * "invalid size ..." or "invalid suffix ..." otherwise, -ERANGE past 2^63. */
int units_parse_bytes(const char *s, long long *ret, struct err *err);

/* units_format_float: v as Go prints it with FormatFloat(v, 'g', -1, bits): the shortest
 * text that reads back as the same float32 (bits 32) or float64 (bits 64); "0.001", "2",
 * "1e-05", "1.5e+06", "+Inf", "NaN". Returns an owned string. */
char *units_format_float(double v, int bits);
