/* archive_dl: libarchive looked up at run time (see archive_dl.h for why). */
#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/archive_dl.h"

/* The table is process-wide state written once under pthread_once: every thread of a pull
 * and every later call (and every child forked after it) sees the same functions. */
static struct archive_dl_api api;
static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;

/* SYM2: api.field = archive_<name>; SYM: the field is named as the function */
#define SYM2(field, name)                                                       \
        do {                                                                    \
                *(void **)&api.field = dlsym(h, "archive_" #name);              \
                if (!api.field) {                                               \
                        snprintf(load_error, sizeof(load_error),                \
                                 "libarchive.so.13 has no archive_%s", #name);  \
                        return -1;                                              \
                }                                                               \
        } while (0)
#define SYM(field) SYM2(field, field)

/* load_entry: the archive_entry_* functions; -1 with load_error set when one is missing */
static int
load_entry(void *h)
{
        SYM(entry_atime);
        SYM(entry_atime_is_set);
        SYM(entry_atime_nsec);
        SYM(entry_copy_stat);
        SYM(entry_filetype);
        SYM(entry_free);
        SYM(entry_gid);
        SYM(entry_hardlink);
        SYM(entry_mtime);
        SYM(entry_mtime_nsec);
        SYM(entry_new);
        SYM(entry_pathname);
        SYM(entry_perm);
        SYM(entry_rdevmajor);
        SYM(entry_rdevminor);
        SYM(entry_set_filetype);
        SYM(entry_set_gid);
        SYM(entry_set_hardlink);
        SYM(entry_set_mtime);
        SYM(entry_set_pathname);
        SYM(entry_set_perm);
        SYM(entry_set_rdevmajor);
        SYM(entry_set_rdevminor);
        SYM(entry_set_size);
        SYM(entry_set_symlink);
        SYM(entry_set_uid);
        SYM(entry_size);
        SYM(entry_symlink);
        SYM(entry_uid);
        SYM(entry_xattr_add_entry);
        SYM(entry_xattr_next);
        SYM(entry_xattr_reset);
        return 0;
}

/* load_archive: the archive_* functions on readers and writers */
static int
load_archive(void *h)
{
        SYM2(errcode, errno);
        SYM(error_string);
        SYM(filter_code);
        SYM(read_data);
        SYM(read_data_block);
        SYM(read_free);
        SYM(read_new);
        SYM(read_next_header);
        SYM(read_open);
        SYM(read_open_fd);
        SYM(read_support_filter_all);
        SYM(read_support_filter_bzip2);
        SYM(read_support_filter_gzip);
        SYM(read_support_filter_xz);
        SYM(read_support_filter_zstd);
        SYM(read_support_format_raw);
        SYM(read_support_format_tar);
        SYM(set_error);
        SYM(write_add_filter_none);
        SYM(write_close);
        SYM(write_data);
        SYM(write_free);
        SYM(write_header);
        SYM(write_new);
        SYM(write_open);
        SYM(write_open_fd);
        SYM(write_set_bytes_in_last_block);
        SYM(write_set_format_pax_restricted);
        return 0;
}

static void
load(void)
{
        void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);

        if (!h) {
                snprintf(load_error, sizeof(load_error), "%s", dlerror());
                return;
        }
        if (load_entry(h) == 0 && load_archive(h) == 0)
                loaded = 1;
}

int
archive_dl_load(struct err *err)
{
        pthread_once(&once, load);
        if (!loaded)
                return err_setf(err, -ENOENT, "libarchive cannot be loaded: %s", load_error);
        return 0;
}

const struct archive_dl_api *
archive_dl(void)
{
        pthread_once(&once, load);
        if (!loaded) {
                fprintf(stderr, "berth: libarchive cannot be loaded: %s\n", load_error);
                abort();
        }
        return &api;
}
