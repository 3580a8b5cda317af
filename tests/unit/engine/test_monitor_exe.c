/* Tests for engine/monitor_exe.c: finding berth-monitor next to the running binary, and the
 * protected file monitor_exe_open hands out (a read-only clone, or a fresh sealed copy when
 * no sealed monitor can be shared). */
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
#include "engine/monitor.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static char *
tmpdir(void)
{
        char *d = xstrdup("/tmp/berth-test-monexe.XXXXXX");

        assert_non_null(mkdtemp(d));
        return d;
}

static void
cleanup_dir(char *d)
{
        char *cmd = xasprintf("rm -rf '%s'", d);

        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(d);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
        struct err e = { 0 };

        assert_int_equal(fs_write_atomic(path, text, strlen(text), mode, &e), 0);
}

static void
test_monitor_exe__found_next_to_the_binary(void **state)
{
        char *d = tmpdir();
        char *self = xasprintf("%s/self", d), *bin = xasprintf("%s/berth", d);
        char *mon = xasprintf("%s/berth-monitor", d), *got = NULL;
        struct err e = { 0 };

        (void)state;
        write_file(bin, "#!/bin/true\n", 0755);
        assert_int_equal(symlink(bin, self), 0);
        assert_int_equal(monitor_exe_path_in(self, &got, &e), -ENOENT);
        assert_non_null(strstr(e.msg, "berth-monitor is missing: it must be installed next to berth"));
        assert_non_null(strstr(e.msg, mon));
        write_file(mon, "#!/bin/true\n", 0755);
        memset(&e, 0, sizeof(e));
        assert_int_equal(monitor_exe_path_in(self, &got, &e), 0);
        assert_string_equal(got, mon);
        free(got);
        free(self);
        free(bin);
        free(mon);
        cleanup_dir(d);
}

static void
test_monitor_exe__not_from_a_file(void **state)
{
        char *d = tmpdir();
        char *self = xasprintf("%s/self", d), *got = NULL;
        struct err e = { 0 };

        (void)state;
        assert_int_equal(symlink("/memfd:berth (deleted)", self), 0);
        assert_int_equal(monitor_exe_path_in("/nonexistent/self", &got, &e), -ENOENT);
        assert_int_equal(monitor_exe_path_in(self, &got, &e), -ENOENT);
        assert_null(got);
        free(self);
        cleanup_dir(d);
}

/* a pid file naming a process that does not run from a sealed copy (this test) is ignored:
 * a protected berth-monitor comes back (a read-only clone as root, else a fresh sealed copy)
 * with the file's bytes */
static void
test_monitor_exe__protected_file(void **state)
{
        char *d = tmpdir();
        char *exe = xasprintf("%s/berth-monitor", d), *pid = xasprintf("%s/monitor.pid", d);
        char *line = xasprintf("%d\n", (int)getpid()), buf[64], *self = NULL;
        struct err e = { 0 };
        struct statvfs v;
        int fd = -1, rd, seals;

        (void)state;
        write_file(exe, "#!/bin/true\nthe monitor\n", 0755);
        write_file(pid, line, 0644);
        assert_int_equal(monitor_exe_open(d, exe, &fd, &e), 0);
        assert_true(fd >= 0);
        seals = fcntl(fd, F_GET_SEALS);
        assert_int_equal(fstatvfs(fd, &v), 0);
        assert_true((seals >= 0 && (seals & SEALS) == SEALS) || (v.f_flag & ST_RDONLY));
        self = xasprintf("/proc/self/fd/%d", fd);
        rd = open(self, O_RDONLY | O_CLOEXEC);
        assert_true(rd >= 0);
        assert_int_equal(pread(rd, buf, sizeof(buf), 0), 24);
        assert_memory_equal(buf, "#!/bin/true\nthe monitor\n", 24);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        close(rd);
        close(fd);
        free(self);
        free(exe);
        free(pid);
        free(line);
        cleanup_dir(d);
}

static void
test_monitor_exe__missing_file(void **state)
{
        struct err e = { 0 };
        int fd = -1;

        (void)state;
        assert_int_equal(monitor_exe_open("/nonexistent", "/nonexistent/berth-monitor", &fd, &e),
                         -ENOENT);
        assert_int_equal(fd, -1);
        assert_non_null(strstr(e.msg, "/nonexistent/berth-monitor"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_monitor_exe__found_next_to_the_binary),
                cmocka_unit_test(test_monitor_exe__not_from_a_file),
                cmocka_unit_test(test_monitor_exe__protected_file),
                cmocka_unit_test(test_monitor_exe__missing_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
