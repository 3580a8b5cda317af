/* Tests for engine/build_progress.c: the plain, quiet and tty views of a build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/build_int.h"

static char *
run_steps(enum build_progress mode, bool fail)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct build_progress_state p;

        build_progress_init(&p, mode, f);
        build_progress_step(&p, "[stage-0 1/2] RUN echo hi");
        build_progress_output(&p, "hi\npartial", 10);
        build_progress_done(&p, false, fail);
        build_progress_step(&p, "[stage-0 2/2] COPY a b");
        build_progress_done(&p, true, false);
        assert_int_equal(p.output.len, 0); /* reset for the second step */
        build_progress_release(&p);
        fclose(f);
        return buf;
}

static void
test_build_progress__plain_lines(void **state)
{
        char *out = run_steps(BUILD_PROGRESS_PLAIN, false);

        (void)state;
        assert_non_null(strstr(out, "#1 [stage-0 1/2] RUN echo hi\n"));
        assert_non_null(strstr(out, " hi\n"));
        assert_non_null(strstr(out, " partial\n")); /* an unfinished last line is shown */
        assert_non_null(strstr(out, "#1 DONE "));
        assert_non_null(strstr(out, "#2 [stage-0 2/2] COPY a b\n#2 CACHED\n"));
        assert_null(strstr(out, "\033["));
        free(out);
}

static void
test_build_progress__failed_step_says_error(void **state)
{
        char *out = run_steps(BUILD_PROGRESS_PLAIN, true);

        (void)state;
        assert_non_null(strstr(out, "#1 ERROR "));
        free(out);
}

static void
test_build_progress__quiet_prints_nothing(void **state)
{
        char *out = run_steps(BUILD_PROGRESS_QUIET, false);

        (void)state;
        assert_string_equal(out, "");
        free(out);
}

static void
test_build_progress__tty_redraws_in_place(void **state)
{
        char *out = run_steps(BUILD_PROGRESS_TTY, false);

        (void)state;
        assert_non_null(strstr(out, "\033[J#1 [stage-0 1/2] RUN echo hi\n  hi\n"));
        assert_non_null(strstr(out, "\033[2A")); /* the step line and one output line erased */
        assert_non_null(strstr(out, "#2 [stage-0 2/2] COPY a b CACHED\n"));
        free(out);
}

static void
test_build_progress__tty_keeps_only_the_tail(void **state)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct build_progress_state p;

        (void)state;
        build_progress_init(&p, BUILD_PROGRESS_TTY, f);
        build_progress_step(&p, "s");
        for (int i = 0; i < 20; i++) {
                char line[16];
                int n = snprintf(line, sizeof(line), "line%d\n", i);

                build_progress_output(&p, line, (size_t)n);
        }
        assert_string_equal(p.tail[0], "line14");
        assert_string_equal(p.tail[BUILD_OUTPUT_TAIL - 1], "line19");
        assert_non_null(strstr(p.output.buf, "line0\n")); /* everything kept for errors */
        build_progress_release(&p);
        fclose(f);
        free(buf);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build_progress__plain_lines),
                cmocka_unit_test(test_build_progress__failed_step_says_error),
                cmocka_unit_test(test_build_progress__quiet_prints_nothing),
                cmocka_unit_test(test_build_progress__tty_redraws_in_place),
                cmocka_unit_test(test_build_progress__tty_keeps_only_the_tail),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
