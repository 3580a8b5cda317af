/* archive_dl: libarchive, loaded when a command first needs it.
 *
 * libarchive drags in libxml2, ICU, libstdc++, liblzma, libzstd, libbz2, liblz4, libacl and
 * nettle: about 15 shared objects whose loading, relocations and constructors cost ~2.5 ms at
 * every start of a process that links it, which is every berth command, though only image
 * import/save/load/pull/build and cp read or write tar. So berth does not link libarchive:
 * this header maps the archive_* calls berth makes onto a table of functions looked up with
 * dlopen("libarchive.so.13")/dlsym on first use. Include it instead of <archive.h> and
 * <archive_entry.h>.
 *
 * archive_dl_load() is the checked entry; an archive_* call made before it loads the library
 * itself and, should that fail, aborts with the reason: entry points (layer_apply,
 * layer_diff, image_save/load/import, ctr_cp, the builder's copy) call archive_dl_load()
 * first so that a user sees a clear error instead. Call it before fork() when the child
 * may no longer see the host's /usr/lib (a container's mount namespace).
 */
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "base/err.h"

struct archive_dl_api {
        time_t (*entry_atime)(struct archive_entry *e);
        int (*entry_atime_is_set)(struct archive_entry *e);
        long (*entry_atime_nsec)(struct archive_entry *e);
        void (*entry_copy_stat)(struct archive_entry *e, const struct stat *st);
        __LA_MODE_T (*entry_filetype)(struct archive_entry *e);
        void (*entry_free)(struct archive_entry *e);
        la_int64_t (*entry_gid)(struct archive_entry *e);
        const char *(*entry_hardlink)(struct archive_entry *e);
        time_t (*entry_mtime)(struct archive_entry *e);
        long (*entry_mtime_nsec)(struct archive_entry *e);
        struct archive_entry *(*entry_new)(void);
        const char *(*entry_pathname)(struct archive_entry *e);
        __LA_MODE_T (*entry_perm)(struct archive_entry *e);
        dev_t (*entry_rdevmajor)(struct archive_entry *e);
        dev_t (*entry_rdevminor)(struct archive_entry *e);
        void (*entry_set_filetype)(struct archive_entry *e, unsigned int t);
        void (*entry_set_gid)(struct archive_entry *e, la_int64_t g);
        void (*entry_set_hardlink)(struct archive_entry *e, const char *s);
        void (*entry_set_mtime)(struct archive_entry *e, time_t t, long ns);
        void (*entry_set_pathname)(struct archive_entry *e, const char *s);
        void (*entry_set_perm)(struct archive_entry *e, __LA_MODE_T m);
        void (*entry_set_rdevmajor)(struct archive_entry *e, dev_t d);
        void (*entry_set_rdevminor)(struct archive_entry *e, dev_t d);
        void (*entry_set_size)(struct archive_entry *e, la_int64_t n);
        void (*entry_set_symlink)(struct archive_entry *e, const char *s);
        void (*entry_set_uid)(struct archive_entry *e, la_int64_t u);
        la_int64_t (*entry_size)(struct archive_entry *e);
        const char *(*entry_symlink)(struct archive_entry *e);
        la_int64_t (*entry_uid)(struct archive_entry *e);
        void (*entry_xattr_add_entry)(struct archive_entry *e, const char *name, const void *v,
                                      size_t n);
        int (*entry_xattr_next)(struct archive_entry *e, const char **name, const void **v,
                                size_t *n);
        int (*entry_xattr_reset)(struct archive_entry *e);
        int (*errcode)(struct archive *a);
        const char *(*error_string)(struct archive *a);
        int (*filter_code)(struct archive *a, int i);
        la_ssize_t (*read_data)(struct archive *a, void *buf, size_t n);
        int (*read_data_block)(struct archive *a, const void **buf, size_t *n, la_int64_t *off);
        int (*read_free)(struct archive *a);
        struct archive *(*read_new)(void);
        int (*read_next_header)(struct archive *a, struct archive_entry **e);
        int (*read_open)(struct archive *a, void *ud, archive_open_callback *o,
                         archive_read_callback *r, archive_close_callback *c);
        int (*read_open_fd)(struct archive *a, int fd, size_t block);
        int (*read_support_filter_all)(struct archive *a);
        int (*read_support_filter_bzip2)(struct archive *a);
        int (*read_support_filter_gzip)(struct archive *a);
        int (*read_support_filter_xz)(struct archive *a);
        int (*read_support_filter_zstd)(struct archive *a);
        int (*read_support_format_raw)(struct archive *a);
        int (*read_support_format_tar)(struct archive *a);
        void (*set_error)(struct archive *a, int e, const char *fmt, ...) __LA_PRINTF(3, 4);
        int (*write_add_filter_none)(struct archive *a);
        int (*write_close)(struct archive *a);
        la_ssize_t (*write_data)(struct archive *a, const void *buf, size_t n);
        int (*write_free)(struct archive *a);
        int (*write_header)(struct archive *a, struct archive_entry *e);
        struct archive *(*write_new)(void);
        int (*write_open)(struct archive *a, void *ud, archive_open_callback *o,
                          archive_write_callback *w, archive_close_callback *c);
        int (*write_open_fd)(struct archive *a, int fd);
        int (*write_set_bytes_in_last_block)(struct archive *a, int n);
        int (*write_set_format_pax_restricted)(struct archive *a);
};

/* archive_dl_load: load libarchive (once per process, thread-safe). -ENOENT "libarchive
 * cannot be loaded: …" when the library is missing or lacks a function berth uses. */
int archive_dl_load(struct err *err);

/* archive_dl: the loaded table (loading it now if needed; aborts when it cannot be loaded). */
const struct archive_dl_api *archive_dl(void);

/* none of these is a macro in libarchive 3.x's headers; make sure of it */
#undef archive_entry_atime
#undef archive_entry_atime_is_set
#undef archive_entry_atime_nsec
#undef archive_entry_copy_stat
#undef archive_entry_filetype
#undef archive_entry_free
#undef archive_entry_gid
#undef archive_entry_hardlink
#undef archive_entry_mtime
#undef archive_entry_mtime_nsec
#undef archive_entry_new
#undef archive_entry_pathname
#undef archive_entry_perm
#undef archive_entry_rdevmajor
#undef archive_entry_rdevminor
#undef archive_entry_set_filetype
#undef archive_entry_set_gid
#undef archive_entry_set_hardlink
#undef archive_entry_set_mtime
#undef archive_entry_set_pathname
#undef archive_entry_set_perm
#undef archive_entry_set_rdevmajor
#undef archive_entry_set_rdevminor
#undef archive_entry_set_size
#undef archive_entry_set_symlink
#undef archive_entry_set_uid
#undef archive_entry_size
#undef archive_entry_symlink
#undef archive_entry_uid
#undef archive_entry_xattr_add_entry
#undef archive_entry_xattr_next
#undef archive_entry_xattr_reset
#undef archive_errno
#undef archive_error_string
#undef archive_filter_code
#undef archive_read_data
#undef archive_read_data_block
#undef archive_read_free
#undef archive_read_new
#undef archive_read_next_header
#undef archive_read_open
#undef archive_read_open_fd
#undef archive_read_support_filter_all
#undef archive_read_support_filter_bzip2
#undef archive_read_support_filter_gzip
#undef archive_read_support_filter_xz
#undef archive_read_support_filter_zstd
#undef archive_read_support_format_raw
#undef archive_read_support_format_tar
#undef archive_set_error
#undef archive_write_add_filter_none
#undef archive_write_close
#undef archive_write_data
#undef archive_write_free
#undef archive_write_header
#undef archive_write_new
#undef archive_write_open
#undef archive_write_open_fd
#undef archive_write_set_bytes_in_last_block
#undef archive_write_set_format_pax_restricted

#define archive_entry_atime(e)                       (archive_dl()->entry_atime(e))
#define archive_entry_atime_is_set(e)                (archive_dl()->entry_atime_is_set(e))
#define archive_entry_atime_nsec(e)                  (archive_dl()->entry_atime_nsec(e))
#define archive_entry_copy_stat(e, st)               (archive_dl()->entry_copy_stat(e, st))
#define archive_entry_filetype(e)                    (archive_dl()->entry_filetype(e))
#define archive_entry_free(e)                        (archive_dl()->entry_free(e))
#define archive_entry_gid(e)                         (archive_dl()->entry_gid(e))
#define archive_entry_hardlink(e)                    (archive_dl()->entry_hardlink(e))
#define archive_entry_mtime(e)                       (archive_dl()->entry_mtime(e))
#define archive_entry_mtime_nsec(e)                  (archive_dl()->entry_mtime_nsec(e))
#define archive_entry_new()                          (archive_dl()->entry_new())
#define archive_entry_pathname(e)                    (archive_dl()->entry_pathname(e))
#define archive_entry_perm(e)                        (archive_dl()->entry_perm(e))
#define archive_entry_rdevmajor(e)                   (archive_dl()->entry_rdevmajor(e))
#define archive_entry_rdevminor(e)                   (archive_dl()->entry_rdevminor(e))
#define archive_entry_set_filetype(e, t)             (archive_dl()->entry_set_filetype(e, t))
#define archive_entry_set_gid(e, g)                  (archive_dl()->entry_set_gid(e, g))
#define archive_entry_set_hardlink(e, s)             (archive_dl()->entry_set_hardlink(e, s))
#define archive_entry_set_mtime(e, t, ns)            (archive_dl()->entry_set_mtime(e, t, ns))
#define archive_entry_set_pathname(e, s)             (archive_dl()->entry_set_pathname(e, s))
#define archive_entry_set_perm(e, m)                 (archive_dl()->entry_set_perm(e, m))
#define archive_entry_set_rdevmajor(e, d)            (archive_dl()->entry_set_rdevmajor(e, d))
#define archive_entry_set_rdevminor(e, d)            (archive_dl()->entry_set_rdevminor(e, d))
#define archive_entry_set_size(e, n)                 (archive_dl()->entry_set_size(e, n))
#define archive_entry_set_symlink(e, s)              (archive_dl()->entry_set_symlink(e, s))
#define archive_entry_set_uid(e, u)                  (archive_dl()->entry_set_uid(e, u))
#define archive_entry_size(e)                        (archive_dl()->entry_size(e))
#define archive_entry_symlink(e)                     (archive_dl()->entry_symlink(e))
#define archive_entry_uid(e)                         (archive_dl()->entry_uid(e))
#define archive_entry_xattr_add_entry(e, name, v, n) \
        (archive_dl()->entry_xattr_add_entry(e, name, v, n))
#define archive_entry_xattr_next(e, name, v, n)      (archive_dl()->entry_xattr_next(e, name, v, n))
#define archive_entry_xattr_reset(e)                 (archive_dl()->entry_xattr_reset(e))
#define archive_errno(a)                             (archive_dl()->errcode(a))
#define archive_error_string(a)                      (archive_dl()->error_string(a))
#define archive_filter_code(a, i)                    (archive_dl()->filter_code(a, i))
#define archive_read_data(a, buf, n)                 (archive_dl()->read_data(a, buf, n))
#define archive_read_data_block(a, buf, n, off)      (archive_dl()->read_data_block(a, buf, n, off))
#define archive_read_free(a)                         (archive_dl()->read_free(a))
#define archive_read_new()                           (archive_dl()->read_new())
#define archive_read_next_header(a, e)               (archive_dl()->read_next_header(a, e))
#define archive_read_open(a, ud, o, r, c)            (archive_dl()->read_open(a, ud, o, r, c))
#define archive_read_open_fd(a, fd, block)           (archive_dl()->read_open_fd(a, fd, block))
#define archive_read_support_filter_all(a)           (archive_dl()->read_support_filter_all(a))
#define archive_read_support_filter_bzip2(a)         (archive_dl()->read_support_filter_bzip2(a))
#define archive_read_support_filter_gzip(a)          (archive_dl()->read_support_filter_gzip(a))
#define archive_read_support_filter_xz(a)            (archive_dl()->read_support_filter_xz(a))
#define archive_read_support_filter_zstd(a)          (archive_dl()->read_support_filter_zstd(a))
#define archive_read_support_format_raw(a)           (archive_dl()->read_support_format_raw(a))
#define archive_read_support_format_tar(a)           (archive_dl()->read_support_format_tar(a))
#define archive_set_error(...)                       (archive_dl()->set_error(__VA_ARGS__))
#define archive_write_add_filter_none(a)             (archive_dl()->write_add_filter_none(a))
#define archive_write_close(a)                       (archive_dl()->write_close(a))
#define archive_write_data(a, buf, n)                (archive_dl()->write_data(a, buf, n))
#define archive_write_free(a)                        (archive_dl()->write_free(a))
#define archive_write_header(a, e)                   (archive_dl()->write_header(a, e))
#define archive_write_new()                          (archive_dl()->write_new())
#define archive_write_open(a, ud, o, w, c)           (archive_dl()->write_open(a, ud, o, w, c))
#define archive_write_open_fd(a, fd)                 (archive_dl()->write_open_fd(a, fd))
#define archive_write_set_bytes_in_last_block(a, n) \
        (archive_dl()->write_set_bytes_in_last_block(a, n))
#define archive_write_set_format_pax_restricted(a) \
        (archive_dl()->write_set_format_pax_restricted(a))
