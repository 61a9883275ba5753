/*  wf_front_router_test - route matching, including hostile paths.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "wf_front_router.h"

static const wf_route_t s_routes[] = {
    {WF_HTTP_GET, "/health", 1},
    {WF_HTTP_GET, "/api/accounts/{id}", 2},
    {WF_HTTP_POST, "/api/accounts/{id}/deposit", 3},
    {WF_HTTP_GET, "/api/accounts/{id}/transactions", 4},
    {WF_HTTP_POST, "/api/accounts", 5},
    {WF_HTTP_GET, "/api/accounts", 6},
    {WF_HTTP_POST, "/api/holds/{holdId}/capture/{part}", 7},
};
#define ROUTES (sizeof s_routes / sizeof s_routes[0])

//  Matches a C-string path.
static wf_route_result_t
s_match (wf_http_method_t method, const char *path, wf_route_match_t *m, char *allow)
{
    return wf_route_match (s_routes, ROUTES, method, path, strlen (path), m, allow, 64);
}

static void
test_literal_and_params (void **state)
{
    wf_route_match_t m;
    char allow[64];
    assert_int_equal (s_match (WF_HTTP_GET, "/health", &m, allow), WF_ROUTE_FOUND);
    assert_int_equal (m.route->id, 1);
    assert_int_equal (m.params_count, 0);
    assert_int_equal (s_match (WF_HTTP_POST, "/api/accounts/abc-1/deposit", &m, allow),
                      WF_ROUTE_FOUND);
    assert_int_equal (m.route->id, 3);
    assert_int_equal (m.params_count, 1);
    assert_true (wf_str_eq (m.params[0], "abc-1"));
    assert_int_equal (s_match (WF_HTTP_POST, "/api/holds/h1/capture/p2", &m, allow),
                      WF_ROUTE_FOUND);
    assert_int_equal (m.params_count, 2);
    assert_true (wf_str_eq (m.params[1], "p2"));
    assert_int_equal (s_match (WF_HTTP_GET, "/api/accounts", &m, allow), WF_ROUTE_FOUND);
    assert_int_equal (m.route->id, 6);
    assert_int_equal (s_match (WF_HTTP_HEAD, "/health", &m, allow), WF_ROUTE_FOUND);
}

static void
test_not_found (void **state)
{
    wf_route_match_t m;
    char allow[64];
    const char *paths[] = {"/",
                           "",
                           "/healthz",
                           "/health/",
                           "/api/accounts/",
                           "/api/accounts//deposit",
                           "/api/accounts/a/b",
                           "/api/accounts/a/deposit/x",
                           "/HEALTH",
                           "/api/accounts/../health",
                           "/health%00",
                           "/health?x=1"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        assert_int_equal (s_match (WF_HTTP_GET, paths[i], &m, allow), WF_ROUTE_NOT_FOUND);
    //  Segments are literal: an encoded dot-dot is just an (invalid) account id.
    assert_int_equal (s_match (WF_HTTP_GET, "/api/accounts/%2e%2e", &m, allow), WF_ROUTE_FOUND);
    assert_int_equal (m.route->id, 2);
    assert_true (wf_str_eq (m.params[0], "%2e%2e"));
}

static void
test_wrong_method_lists_allowed (void **state)
{
    wf_route_match_t m;
    char allow[64];
    assert_int_equal (s_match (WF_HTTP_DELETE, "/api/accounts", &m, allow), WF_ROUTE_WRONG_METHOD);
    assert_string_equal (allow, "POST, GET");
    assert_int_equal (s_match (WF_HTTP_GET, "/api/accounts/x/deposit", &m, allow),
                      WF_ROUTE_WRONG_METHOD);
    assert_string_equal (allow, "POST");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_literal_and_params),
        cmocka_unit_test (test_not_found),
        cmocka_unit_test (test_wrong_method_lists_allowed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
