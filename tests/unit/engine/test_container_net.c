/* Tests for engine/container_net.c: the network.json record: the list form, the conversion
 * of a record written before containers had several networks, endpoint lookup, and leave
 * of a record whose pieces are already gone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "engine/container.h"
#include "engine/jsonx.h"

static int
setup(void **state)
{
        struct ctr *c = xcalloc(1, sizeof(*c));
        char tmpl[] = "/tmp/berth-test-ctrnet.XXXXXX";

        assert_non_null(mkdtemp(tmpl));
        memset(c->id, 'a', CTR_ID_LEN);
        c->dir = xstrdup(tmpl);
        c->run_dir = xasprintf("%s/run", tmpl);
        *state = c;
        return 0;
}

static int
teardown(void **state)
{
        struct ctr *c = *state;
        char *cmd = xasprintf("rm -rf '%s'", c->dir);
        int r = system(cmd);

        free(cmd);
        ctr_free(c);
        return r == 0 ? 0 : -1;
}

static void
put(const struct ctr *c, const char *text)
{
        char *path = ctr_path(c, CTR_NET_FILE);

        assert_int_equal(fs_write_atomic(path, text, strlen(text), 0600, NULL), 0);
        free(path);
}

static void
test_container_net__no_record_is_none(void **state)
{
        json_object *o = (json_object *)1;

        assert_int_equal(ctr_net_read(*state, &o, NULL), 0);
        assert_null(o);
        assert_int_equal(ctr_net_leave(*state, 0, NULL), 0);
}

static void
test_container_net__old_single_endpoint_record_becomes_a_list(void **state)
{
        json_object *o = NULL, *eps;

        put(*state, "{\"Network\": \"n1\", \"IPAddress\": \"10.0.0.2\", \"PrefixLen\": 24,"
                    " \"Gateway\": \"10.0.0.1\", \"IpamDir\": \"/x/ipam\", \"NatDir\": \"/x/nat\","
                    " \"Table\": \"berth\"}");
        assert_int_equal(ctr_net_read(*state, &o, NULL), 0);
        eps = ctr_net_endpoints(o);
        assert_int_equal(json_object_array_length(eps), 1);
        assert_string_equal(jsonx_str(o, "NatDir"), "/x/nat");
        assert_string_equal(jsonx_str(o, "Table"), "berth");
        assert_string_equal(jsonx_str(o, "PortsIP"), "10.0.0.2");
        assert_string_equal(jsonx_str(json_object_array_get_idx(eps, 0), "Network"), "n1");
        json_object_put(o);
}

static void
test_container_net__endpoints_are_found_by_network(void **state)
{
        json_object *o = NULL;
        size_t idx = 9;

        put(*state, "{\"Endpoints\": [{\"Network\": \"front\"}, {\"Network\": \"back\"}]}");
        assert_int_equal(ctr_net_read(*state, &o, NULL), 0);
        assert_non_null(ctr_net_endpoint(o, "back", &idx));
        assert_int_equal(idx, 1);
        assert_null(ctr_net_endpoint(o, "other", NULL));
        assert_int_equal(ctr_net_write(*state, o, NULL), 0);
        json_object_put(o);
        assert_int_equal(ctr_net_read(*state, &o, NULL), 0);
        assert_int_equal(json_object_array_length(ctr_net_endpoints(o)), 2);
        json_object_put(o);
}

static void
test_container_net__damaged_record_is_an_error(void **state)
{
        json_object *o = NULL;
        struct err e = { 0 };

        put(*state, "[1, 2]");
        assert_int_equal(ctr_net_read(*state, &o, &e), -EINVAL);
        assert_null(o);
}

static void
test_container_net__leave_of_gone_pieces_removes_the_record(void **state)
{
        char *path = ctr_path(*state, CTR_NET_FILE);

        /* no veth, no NAT state, an IPAM dir without the network: all already gone */
        put(*state, "{\"IpamDir\": \"/nonexistent/ipam\", \"Endpoints\": [{\"Network\": \"n\"}]}");
        assert_int_equal(ctr_net_leave(*state, 0, NULL), 0);
        assert_false(fs_exists(path));
        free(path);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_container_net__no_record_is_none, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(
                        test_container_net__old_single_endpoint_record_becomes_a_list, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(test_container_net__endpoints_are_found_by_network,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_net__damaged_record_is_an_error,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_container_net__leave_of_gone_pieces_removes_the_record, setup,
                        teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
