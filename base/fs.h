/* fs: file helpers. Reads are size-capped; writes are atomic (temp file in the same
 * directory, fsync, rename), so a crash leaves either the old or the new content. */
#pragma once

#include <stddef.h>

#include <sys/types.h>

#include "err.h"

/* fs_read_capped: read all of path (or stdin for "-") into a NUL-terminated buffer.
 * Fails with -EFBIG when the file is larger than max bytes. *ret_buf is owned by the caller. */
int fs_read_capped(const char *path, size_t max, char **ret_buf, size_t *ret_len, struct err *err);
/* fs_read_fd_capped: the same for an open fd (not closed). */
int fs_read_fd_capped(int fd, const char *name, size_t max, char **ret_buf, size_t *ret_len,
                      struct err *err);
/* fs_write_atomic: replace path with data, mode applied before the rename. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct err *err);
/* fs_write_replace: the same without the fsync: a crash of the process still leaves the old
 * or the new content, a crash of the host may not. For state a reboot makes moot (a
 * container's running status), written often. */
int fs_write_replace(const char *path, const void *data, size_t len, mode_t mode,
                     struct err *err);
/* fs_mkdir_p: create dir and its parents (mode for new ones); an existing dir is fine. */
int fs_mkdir_p(const char *dir, mode_t mode, struct err *err);
/* fs_spread_subdirs: ask ext2/3/4 to place dir's new subdirectories in block groups of their
 * own (the "top of a hierarchy" flag, chattr +T). Without it every container's files share
 * one group, and on an ext4 without a journal each new inode is found by skipping every
 * inode deleted in that group in the last minutes: the thousandth container start pays for
 * the 999 removed before it. Best effort; other file systems do not have the flag. */
void fs_spread_subdirs(const char *dir);
int fs_exists(const char *path);
int fs_is_dir(const char *path);

/* Lexical path helpers (no syscalls): all return owned strings. */
/* path_clean: like Go's filepath.Clean: drop "." and "x/..", collapse "//", "" -> ".". */
char *path_clean(const char *p);
/* path_join: a + "/" + b, cleaned; b absolute wins. */
char *path_join(const char *a, const char *b);
char *path_dirname(const char *p);
char *path_basename(const char *p);
/* path_abs: p made absolute against base (cleaned). */
char *path_abs(const char *base, const char *p);
/* path_getcwd: the working directory, owned. */
int path_getcwd(char **ret, struct err *err);
