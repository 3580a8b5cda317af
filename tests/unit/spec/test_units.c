#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec/units.h"

static long long
duration(const char *s)
{
        struct err err = { 0 };
        long long ns = 0;

        if (units_parse_duration(s, &ns, &err) < 0) {
                print_error("%s: %s\n", s, err.msg);
                fail();
        }
        return ns;
}

static void
expect_format(long long ns, const char *want)
{
        char *got = units_format_duration(ns);

        assert_string_equal(got, want);
        free(got);
}

static void
test_units__durations_read_like_compose(void **state)
{
        (void)state;
        assert_int_equal(duration("10s"), 10000000000LL);
        assert_int_equal(duration("1m30s"), 90000000000LL);
        assert_int_equal(duration("1.5h"), 5400000000000LL);
        assert_int_equal(duration("500ms"), 500000000LL);
        assert_int_equal(duration("2d"), 172800000000000LL);
        assert_int_equal(duration("1w"), 604800000000000LL);
        assert_int_equal(duration("1us"), 1000);
        assert_int_equal(duration("1\xc2\xb5s"), 1000);
        assert_int_equal(duration(".5s"), 500000000LL);
        assert_int_equal(duration("-1s"), -1000000000LL);
        assert_int_equal(duration("0"), 0);
        assert_int_equal(duration("1h2m3s4ms"), 3723004000000LL);
}

static void
test_units__bad_durations_say_why(void **state)
{
        static const char *const bad[] = { "", "10", "10x", "s", "1.s.", "-", ".s", "1e3s" };
        struct err err = { 0 };
        long long ns;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err = (struct err){ 0 };
                assert_int_equal(units_parse_duration(bad[i], &ns, &err), -EINVAL);
                assert_non_null(strstr(err.msg, "invalid duration"));
        }
        err = (struct err){ 0 };
        units_parse_duration("10x", &ns, &err);
        assert_string_equal(err.msg, "invalid duration \"10x\": unknown unit \"x\"");
        err = (struct err){ 0 };
        assert_int_equal(units_parse_duration("300000000h", &ns, &err), -ERANGE);
}

static void
test_units__durations_print_like_go(void **state)
{
        (void)state;
        expect_format(0, "0s");
        expect_format(10000000000LL, "10s");
        expect_format(60000000000LL, "1m0s");
        expect_format(120000000000LL, "2m0s");
        expect_format(5400000000000LL, "1h30m0s");
        expect_format(500000000LL, "500ms");
        expect_format(1500000000LL, "1.5s");
        expect_format(1500000LL, "1.5ms");
        expect_format(1000, "1\xc2\xb5s");
        expect_format(1, "1ns");
        expect_format(-90000000000LL, "-1m30s");
        expect_format(172800000000000LL, "48h0m0s");
        expect_format(3723004000000LL, "1h2m3.004s");
}

static long long
bytes(const char *s)
{
        struct err err = { 0 };
        long long v = 0;

        if (units_parse_bytes(s, &v, &err) < 0) {
                print_error("%s: %s\n", s, err.msg);
                fail();
        }
        return v;
}

static void
test_units__byte_sizes_read_like_go_units(void **state)
{
        struct err err = { 0 };
        long long v;

        (void)state;
        assert_int_equal(bytes("1024"), 1024);
        assert_int_equal(bytes("-1"), -1);
        assert_int_equal(bytes("50M"), 52428800);
        assert_int_equal(bytes("20m"), 20971520);
        assert_int_equal(bytes("1g"), 1073741824);
        assert_int_equal(bytes("1GB"), 1073741824);
        assert_int_equal(bytes("1GiB"), 1073741824);
        assert_int_equal(bytes("1.5kb"), 1536);
        assert_int_equal(bytes("10b"), 10);
        assert_int_equal(bytes("2 k"), 2048);
        assert_int_equal(bytes("1t"), 1099511627776LL);
        assert_int_equal(units_parse_bytes("12q", &v, &err), -EINVAL);
        assert_string_equal(err.msg, "invalid size \"12q\": invalid suffix \"q\"");
        err = (struct err){ 0 };
        assert_int_equal(units_parse_bytes("m", &v, &err), -EINVAL);
        err = (struct err){ 0 };
        assert_int_equal(units_parse_bytes("1kbb", &v, &err), -EINVAL);
        err = (struct err){ 0 };
        assert_int_equal(units_parse_bytes("-1k", &v, &err), -EINVAL);
        err = (struct err){ 0 };
        assert_int_equal(units_parse_bytes("99999999p", &v, &err), -ERANGE);
}

static void
expect_float(double v, int bits, const char *want)
{
        char *got = units_format_float(v, bits);

        assert_string_equal(got, want);
        free(got);
}

static void
test_units__floats_print_like_go(void **state)
{
        (void)state;
        expect_float(0.001, 32, "0.001");
        expect_float(0.0001, 32, "0.0001");
        expect_float(0.3, 32, "0.3");
        expect_float(0.1, 64, "0.1");
        expect_float(2, 32, "2");
        expect_float(1.5, 64, "1.5");
        expect_float(0.00001, 64, "1e-05");
        expect_float(1000000, 64, "1e+06");
        expect_float(123456, 64, "123456");
        expect_float(1500000, 64, "1.5e+06");
        expect_float(3.14, 64, "3.14");
        expect_float(0, 64, "0");
        expect_float(-2.5, 32, "-2.5");
        expect_float(1.0 / 0.0, 64, "+Inf");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_units__durations_read_like_compose),
                cmocka_unit_test(test_units__bad_durations_say_why),
                cmocka_unit_test(test_units__durations_print_like_go),
                cmocka_unit_test(test_units__byte_sizes_read_like_go_units),
                cmocka_unit_test(test_units__floats_print_like_go),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
