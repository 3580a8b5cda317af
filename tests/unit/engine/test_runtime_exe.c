/* Tests for engine/runtime_exe.c: the two protected forms of an executable (CVE-2019-5736).
 * Whatever a process does with the fd (or with /proc/PID/exe pointing at it), the bytes of
 * the file on disk never change. The clone needs CAP_SYS_ADMIN: skipped without it. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "engine/runtime.h"

#define SEALS   (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define CONTENT "#!/bin/true\nthe runtime\n"

struct fixture {
        char *dir, *exe;
};

static int
setup(void **state)
{
        struct fixture *f = xcalloc(1, sizeof(*f));
        struct err e = { 0 };

        f->dir = xstrdup("/tmp/berth-test-rtexe.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        f->exe = xasprintf("%s/berth-monitor", f->dir);
        assert_int_equal(fs_write_atomic(f->exe, CONTENT, strlen(CONTENT), 0755, &e), 0);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fixture *f = *state;

        unlink(f->exe);
        rmdir(f->dir);
        free(f->exe);
        free(f->dir);
        free(f);
        return 0;
}

/* reopen: what a container holding fd (or /proc/PID/exe) would get by reopening it */
static int
reopen(int fd, int flags)
{
        char *p = xasprintf("/proc/self/fd/%d", fd);
        int r = open(p, flags | O_CLOEXEC);

        free(p);
        return r;
}

static void
assert_content(int fd)
{
        char buf[64];
        int rd = reopen(fd, O_RDONLY);

        assert_true(rd >= 0);
        assert_int_equal(pread(rd, buf, sizeof(buf), 0), strlen(CONTENT));
        assert_memory_equal(buf, CONTENT, strlen(CONTENT));
        close(rd);
}

static void
test_runtime_exe__sealed_copy_cannot_be_written(void **state)
{
        struct fixture *f = *state;
        struct err e = { 0 };
        struct stat a, b;
        int fd = -1, w;

        assert_int_equal(rt_exe_sealed_copy(f->exe, &fd, &e), 0);
        assert_int_equal(fcntl(fd, F_GET_SEALS) & SEALS, SEALS);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_content(fd);
        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(stat(f->exe, &b), 0);
        assert_false(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
        w = reopen(fd, O_WRONLY);
        assert_true(w >= 0); /* a memfd opens for writing, but every write is refused */
        assert_int_equal(write(w, "x", 1), -1);
        assert_int_equal(errno, EPERM);
        assert_int_equal(ftruncate(w, 0), -1);
        close(w);
        close(fd);
}

static void
test_runtime_exe__readonly_clone_refuses_writers(void **state)
{
        struct fixture *f = *state;
        struct err e = { 0 };
        struct statvfs v;
        int fd = -1, r;

        r = rt_exe_readonly_clone(f->exe, &fd, &e);
        if (r == -EPERM || r == -ENOSYS)
                skip();
        assert_int_equal(r, 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_content(fd);
        assert_int_equal(fstatvfs(fd, &v), 0);
        assert_true(v.f_flag & ST_RDONLY);
        assert_true(v.f_flag & ST_NOSUID);
        assert_int_equal(reopen(fd, O_WRONLY), -1);
        assert_int_equal(errno, EROFS);
        assert_int_equal(reopen(fd, O_RDWR | O_TRUNC), -1);
        assert_int_equal(errno, EROFS);
        close(fd);
        /* the file itself stays writable for its owner: only the clone is read-only */
        assert_int_equal(access(f->exe, W_OK), 0);
}

static void
test_runtime_exe__open_protected_and_errors(void **state)
{
        struct fixture *f = *state;
        struct err e = { 0 };
        struct statvfs v;
        int fd = -1, seals;

        assert_int_equal(rt_exe_open_protected(f->exe, &fd, &e), 0);
        seals = fcntl(fd, F_GET_SEALS);
        assert_int_equal(fstatvfs(fd, &v), 0);
        assert_true((seals >= 0 && (seals & SEALS) == SEALS) || (v.f_flag & ST_RDONLY));
        assert_content(fd);
        close(fd);
        fd = -1;
        assert_int_equal(rt_exe_open_protected("/nonexistent/berth-monitor", &fd, &e), -ENOENT);
        assert_int_equal(fd, -1);
        assert_non_null(strstr(e.msg, "/nonexistent/berth-monitor"));
        /* this test binary runs from disk */
        assert_int_equal(rt_exe_is_protected(), 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_runtime_exe__sealed_copy_cannot_be_written,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_runtime_exe__readonly_clone_refuses_writers,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_runtime_exe__open_protected_and_errors, setup,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
