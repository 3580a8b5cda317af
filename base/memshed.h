/* memshed: hand back to the kernel the pages a long-lived process touched only while it
 * started.
 *
 * A monitor (and a DNS responder) runs a lot of code once, to build a container's config and
 * create it, and then idles in poll(2) for the container's lifetime, touching a few pages per
 * wake-up. Its executable's read-only pages stay mapped all that while, and each counts in
 * its resident set (RSS) even though a page of a file is shared, kept in memory once, and
 * can be mapped again at the cost of a minor fault. memshed() unmaps them from this process
 * (madvise MADV_DONTNEED on the executable's read-only mappings that hold no private copy)
 * and turns off fault-around there (MADV_RANDOM), so a later fault maps the one page it needs,
 * not sixteen; it also drops the stack pages below the current frame. Nothing changes for
 * the program: the pages come back from the page cache (or the sealed copy's shmem) when
 * used. It is a no-op where /proc is not readable.
 */
#pragma once

#include <stddef.h>

/* memshed: see above. Call it from a shallow frame (the stack below it is dropped). */
void memshed(void);

/* memshed_parse: the executable mappings memshed would drop from an smaps text, for tests:
 * exe_ino is the executable's inode; fills up to max [start, end) pairs, returns how many. */
size_t memshed_parse(const char *smaps, unsigned long exe_ino, unsigned long (*ranges)[2],
                     size_t max);
