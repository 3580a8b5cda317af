#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/memshed.h"

/* a static executable's mappings: headers, text, rodata, RELRO (written: a private copy),
 * data; then heap and stack */
static const char SMAPS[] =
        "00400000-00401000 r--p 00000000 00:01 40496   /memfd:berth (deleted)\n"
        "Size:                  4 kB\n"
        "Anonymous:             0 kB\n"
        "VmFlags: rd mr mw me\n"
        "00401000-00504000 r-xp 00001000 00:01 40496   /memfd:berth (deleted)\n"
        "Size:               1036 kB\n"
        "Anonymous:             0 kB\n"
        "VmFlags: rd ex mr mw me\n"
        "00504000-0055c000 r--p 00104000 00:01 40496   /memfd:berth (deleted)\n"
        "Anonymous:             0 kB\n"
        "0055c000-00564000 r--p 0015b000 00:01 40496   /memfd:berth (deleted)\n"
        "Anonymous:             8 kB\n"
        "00564000-00568000 rw-p 00163000 00:01 40496   /memfd:berth (deleted)\n"
        "Anonymous:            16 kB\n"
        "12d96000-12da5000 rw-p 00000000 00:00 0                                  [heap]\n"
        "Anonymous:            56 kB\n"
        "7f0000000000-7f0000001000 r--p 00000000 08:01 40497                      /lib/other.so\n"
        "Anonymous:             0 kB\n"
        "7ffc24754000-7ffc24775000 rw-p 00000000 00:00 0                          [stack]\n"
        "Anonymous:            32 kB\n";

static void
test_memshed__drops_clean_read_only_exe_mappings(void **state)
{
        unsigned long r[8][2];
        size_t n = memshed_parse(SMAPS, 40496, r, 8);

        (void)state;
        assert_int_equal(n, 3);
        assert_int_equal(r[0][0], 0x400000);
        assert_int_equal(r[1][0], 0x401000);
        assert_int_equal(r[1][1], 0x504000);
        assert_int_equal(r[2][0], 0x504000);
}

static void
test_memshed__last_mapping_counts_and_the_cap_holds(void **state)
{
        const char *one = "00401000-00402000 r-xp 00001000 00:01 7 /x\nAnonymous: 0 kB";
        unsigned long r[1][2];

        (void)state;
        assert_int_equal(memshed_parse(one, 7, r, 1), 1);
        assert_int_equal(memshed_parse(SMAPS, 40496, r, 1), 1);
        assert_int_equal(memshed_parse("garbage\n\n", 7, r, 1), 0);
        assert_int_equal(memshed_parse("", 7, r, 1), 0);
}

/* the resident KiB of this test's own executable: RssFile also counts shared libraries,
 * and memshed's first run pulls in libc pages of its own */
static long
rss_exe_kib(void)
{
        char exe[256], line[512];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        FILE *f = fopen("/proc/self/smaps", "r");
        long v = 0;
        int mine = 0;

        if (n <= 0 || !f) {
                if (f)
                        fclose(f);
                return -1;
        }
        exe[n] = '\0';
        while (fgets(line, sizeof(line), f)) {
                char *nl = strchr(line, '\n');

                if (nl)
                        *nl = '\0';
                if (strchr(line, '-') && strchr(line, ' ') && strchr(line, '-') < strchr(line, ' '))
                        mine = strlen(line) > strlen(exe) &&
                               strcmp(line + strlen(line) - strlen(exe), exe) == 0;
                else if (mine && strncmp(line, "Rss:", 4) == 0)
                        v += strtol(line + 4, NULL, 10);
        }
        fclose(f);
        return v;
}

static int
twice(int x)
{
        return 2 * x;
}

static void
test_memshed__live_process_keeps_working_with_fewer_pages(void **state)
{
        int (*volatile fn)(int) = twice;
        long before, after;

        (void)state;
        memshed(); /* warm: the first run faults in the code it uses */
        assert_int_equal(fn(1), 2);
        before = rss_exe_kib();
        memshed();
        after = rss_exe_kib();
        /* the code runs again from the page cache */
        assert_int_equal(fn(21), 42);
        assert_true(before >= 0 && after >= 0);
        assert_true(after <= before);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_memshed__drops_clean_read_only_exe_mappings),
                cmocka_unit_test(test_memshed__last_mapping_counts_and_the_cap_holds),
                cmocka_unit_test(test_memshed__live_process_keeps_working_with_fewer_pages),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
