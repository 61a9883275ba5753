/*  wf_front_ratelimit_test - route classes, the CORS origin check, the
    per-process buckets, the Redis-down fallback and (when WF_REDIS_URL names
    a Redis) two limiters sharing one bucket through the Lua script.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <czmq.h>
#include "wf_front_ratelimit.h"
#include "wf_front_security.h"

static void
test_classify (void **state)
{
    (void) state;
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/api/auth/login"),
                      WF_RATE_CLASS_AUTH);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/api/auth/register"),
                      WF_RATE_CLASS_AUTH);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/api/auth/refresh"),
                      WF_RATE_CLASS_AUTH);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/api/auth/logout"),
                      WF_RATE_CLASS_NONE);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_GET, "/api/auth/me"),
                      WF_RATE_CLASS_NONE);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/api/accounts/{id}/deposit"),
                      WF_RATE_CLASS_MONEY);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/api/accounts"),
                      WF_RATE_CLASS_MONEY);
    //  Routes added later under the prefixes are covered without a change.
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/api/holds/{id}/capture"),
                      WF_RATE_CLASS_MONEY);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_DELETE, "/api/holds/{id}"),
                      WF_RATE_CLASS_MONEY);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/api/transactions/batch"),
                      WF_RATE_CLASS_MONEY);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_GET, "/api/accounts/{id}"),
                      WF_RATE_CLASS_NONE);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/api/accountsx"),
                      WF_RATE_CLASS_NONE);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, "/health"), WF_RATE_CLASS_NONE);
    assert_int_equal (wf_front_ratelimit_classify (WF_HTTP_POST, NULL), WF_RATE_CLASS_NONE);
}

static void
test_cors_allowed (void **state)
{
    (void) state;
    const char *list = "https://a.example, https://b.example:8443 ,http://c";
    assert_true (wf_front_cors_allowed (list, "https://a.example"));
    assert_true (wf_front_cors_allowed (list, "https://b.example:8443"));
    assert_true (wf_front_cors_allowed (list, "http://c"));
    assert_false (wf_front_cors_allowed (list, "https://a.example.evil"));
    assert_false (wf_front_cors_allowed (list, "https://a.exampl"));
    assert_false (wf_front_cors_allowed (list, "http://a.example"));
    assert_false (wf_front_cors_allowed (list, ""));
    assert_false (wf_front_cors_allowed (list, "null"));
    assert_false (wf_front_cors_allowed (list, "https://a.example,https://x"));
    assert_false (wf_front_cors_allowed ("", "https://a.example"));
    assert_false (wf_front_cors_allowed ("null", "null"));
    assert_false (wf_front_cors_allowed ("http://c", "http://c\r\nx: y"));
    assert_false (wf_front_cors_allowed (NULL, "http://c"));
}

//  Money: the user's bucket and the address's, all or nothing.
static void
test_local_buckets (void **state)
{
    (void) state;
    wf_metrics_t *metrics = wf_metrics_new ("test");
    wf_front_ratelimit_config_t config = {
        .money_user = {.per_min = 60, .burst = 2},
        .money_address = {.per_min = 60, .burst = 3},
        .auth_address = {.per_min = 60, .burst = 1},
    };
    wf_front_ratelimit_t *limiter = wf_front_ratelimit_new (&config, metrics);
    assert_non_null (limiter);
    int64_t retry_s;
    const char *scope;
    int64_t now = 1000000;
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_MONEY, "u1", "10.0.0.1", now,
                                                &retry_s, &scope),
                      0);
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_MONEY, "u1", "10.0.0.1", now,
                                                &retry_s, &scope),
                      0);
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_MONEY, "u1", "10.0.0.1", now,
                                                &retry_s, &scope),
                      -1);
    assert_string_equal (scope, "user");
    assert_int_equal (retry_s, 1);
    //  Another user from the address: one token left there, then the
    //  address refuses (and the refused request took nothing from u2).
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_MONEY, "u2", "10.0.0.1", now,
                                                &retry_s, &scope),
                      0);
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_MONEY, "u2", "10.0.0.1", now,
                                                &retry_s, &scope),
                      -1);
    assert_string_equal (scope, "address");
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_MONEY, "u2", "10.0.0.2", now,
                                                &retry_s, &scope),
                      0);
    //  Auth is per address, a separate class; unlimited routes pass.
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_AUTH, "", "10.0.0.1", now,
                                                &retry_s, &scope),
                      0);
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_AUTH, "", "10.0.0.1", now,
                                                &retry_s, &scope),
                      -1);
    for (int i = 0; i < 10; i++)
        assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_NONE, "", "10.0.0.1",
                                                    now, &retry_s, &scope),
                          0);
    //  A second later one token is back.
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_AUTH, "", "10.0.0.1",
                                                now + 1000, &retry_s, &scope),
                      0);
    assert_false (wf_front_ratelimit_redis_up (limiter));
    wf_front_ratelimit_destroy (&limiter);
    assert_null (limiter);
    //  Out-of-range rates are refused.
    config.money_user.per_min = WF_TOKEN_BUCKET_PER_MIN_MAX + 1;
    assert_null (wf_front_ratelimit_new (&config, metrics));
    wf_metrics_destroy (&metrics);
}

//  Auth: per email (or refresh token) as well as per address.
static void
test_auth_user (void **state)
{
    (void) state;
    wf_metrics_t *metrics = wf_metrics_new ("test");
    wf_front_ratelimit_config_t config = {.auth_address = {.per_min = 60, .burst = 10},
                                          .auth_user = {.per_min = 60, .burst = 2}};
    wf_front_ratelimit_t *limiter = wf_front_ratelimit_new (&config, metrics);
    int64_t retry_s;
    const char *scope;
    for (int i = 0; i < 2; i++)
        assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_AUTH, "email:a@x", "h1",
                                                    0, &retry_s, &scope),
                          0);
    //  The same email from another address: refused by the user's bucket.
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_AUTH, "email:a@x", "h2", 0,
                                                &retry_s, &scope),
                      -1);
    assert_string_equal (scope, "user");
    //  Another email from the first address: fine (8 left there).
    assert_int_equal (wf_front_ratelimit_check (limiter, WF_RATE_CLASS_AUTH, "email:b@x", "h1", 0,
                                                &retry_s, &scope),
                      0);
    wf_front_ratelimit_destroy (&limiter);
    wf_metrics_destroy (&metrics);
}

//  Redis unreachable: the same limits hold per process, counted as fallback.
static void
test_redis_down (void **state)
{
    (void) state;
    wf_metrics_t *metrics = wf_metrics_new ("test");
    wf_front_ratelimit_config_t config = {.redis_url = "redis://127.0.0.1:1",
                                          .auth_address = {.per_min = 60, .burst = 2}};
    wf_front_ratelimit_t *limiter = wf_front_ratelimit_new (&config, metrics);
    assert_non_null (limiter);
    int64_t retry_s;
    const char *scope;
    int64_t now = wf_clock_ms ();
    assert_int_equal (
        wf_front_ratelimit_check (limiter, WF_RATE_CLASS_AUTH, "", "a", now, &retry_s, &scope), 0);
    assert_int_equal (
        wf_front_ratelimit_check (limiter, WF_RATE_CLASS_AUTH, "", "a", now, &retry_s, &scope), 0);
    assert_int_equal (
        wf_front_ratelimit_check (limiter, WF_RATE_CLASS_AUTH, "", "a", now, &retry_s, &scope), -1);
    assert_false (wf_front_ratelimit_redis_up (limiter));
    char *text = wf_metrics_text (metrics);
    assert_non_null (strstr (text, "\nwf_ratelimit_fallback_total 2\n"));
    free (text);
    wf_front_ratelimit_destroy (&limiter);
    wf_metrics_destroy (&metrics);
}

//  Two limiters (two front processes) share one bucket through Redis.
static void
test_redis_shared (void **state)
{
    (void) state;
    const char *url = getenv ("WF_REDIS_URL");
    if (!url || !*url) {
        skip ();
        return;
    }
    char prefix[64];
    snprintf (prefix, sizeof prefix, "wf:rl:test:%d:%" PRId64 ":", getpid (), wf_clock_ms ());
    wf_metrics_t *metrics = wf_metrics_new ("test");
    wf_front_ratelimit_config_t config = {.redis_url = url,
                                          .prefix = prefix,
                                          .timeout_ms = 500,
                                          .money_user = {.per_min = 60, .burst = 4}};
    wf_front_ratelimit_t *a = wf_front_ratelimit_new (&config, metrics);
    wf_front_ratelimit_t *b = wf_front_ratelimit_new (&config, metrics);
    int64_t retry_s;
    const char *scope;
    int64_t now = wf_clock_ms ();
    //  Each process alone would allow 4: together they allow 4.
    int allowed = 0;
    for (int i = 0; i < 4; i++) {
        wf_front_ratelimit_t *which = i % 2 ? b : a;
        allowed += wf_front_ratelimit_check (which, WF_RATE_CLASS_MONEY, "shared-user", "h", now,
                                             &retry_s, &scope) == 0;
    }
    assert_int_equal (allowed, 4);
    assert_true (wf_front_ratelimit_redis_up (a));
    assert_int_equal (wf_front_ratelimit_check (a, WF_RATE_CLASS_MONEY, "shared-user", "h", now,
                                                &retry_s, &scope),
                      -1);
    assert_string_equal (scope, "user");
    assert_true (retry_s >= 1 && retry_s <= 2);
    assert_int_equal (wf_front_ratelimit_check (b, WF_RATE_CLASS_MONEY, "shared-user", "h", now,
                                                &retry_s, &scope),
                      -1);
    //  A's refusal by Redis gave its own token back: after Redis refused,
    //  A's local bucket still has 2 of 4 used, not 3.
    assert_int_equal (
        wf_front_ratelimit_check (a, WF_RATE_CLASS_MONEY, "other-user", "h", now, &retry_s, &scope),
        0);
    wf_front_ratelimit_destroy (&a);
    wf_front_ratelimit_destroy (&b);
    wf_metrics_destroy (&metrics);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_classify),      cmocka_unit_test (test_cors_allowed),
        cmocka_unit_test (test_local_buckets), cmocka_unit_test (test_redis_down),
        cmocka_unit_test (test_redis_shared),  cmocka_unit_test (test_auth_user),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
