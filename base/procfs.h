/* procfs: masks from /proc/self/status, read once instead of asking the kernel per bit.
 *
 * Two places wanted a 64-bit mask bit by bit at every container start: the monitor resets
 * the signals it inherited ignored (SigIgn; one rt_sigaction per signal was 64 calls) and the
 * runtime reads the capability bounding set (CapBnd; one prctl per capability was 41).
 */
#pragma once

#include <stdint.h>

/* procfs_status_mask: the hex value of field ("SigIgn", "CapBnd", ...) of /proc/self/status;
 * -errno (-ENOENT when the field is missing) on failure. */
int procfs_status_mask(const char *field, uint64_t *ret);

/* procfs_parse_mask: the same from a status text (for tests). */
int procfs_parse_mask(const char *text, const char *field, uint64_t *ret);
