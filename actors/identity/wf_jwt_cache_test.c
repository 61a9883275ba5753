/*  wf_jwt_cache_test - the verified-token cache: hits, expiry, bound, refusals.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "wf_jwt_cache.h"

#define NOW 1700000000LL
#define TTL 60
#define KEY "cache-test-key-0123456789-0123456789"

static wf_jwt_t *
s_jwt_new (int64_t leeway_s)
{
    wf_jwt_config_t config = {(const uint8_t *) KEY, strlen (KEY), NULL, NULL, TTL, leeway_s};
    wf_jwt_t *jwt = wf_jwt_new (&config);
    assert_non_null (jwt);
    return jwt;
}

static void
s_issue (wf_jwt_t *jwt, const char *user, int64_t now_s, char *token)
{
    wf_jwt_subject_t subject = {user, "u@example.com", "U", "V", "User"};
    int64_t exp_s;
    assert_int_equal (
        wf_jwt_issue (jwt, &subject, now_s, token, WF_JWT_TOKEN_BYTES_MAX + 1, &exp_s), 0);
}

static void
test_hit_and_expiry (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    wf_jwt_cache_t *cache = wf_jwt_cache_new (jwt, 64);
    assert_non_null (cache);
    char token[WF_JWT_TOKEN_BYTES_MAX + 1];
    s_issue (jwt, "user-1", NOW, token);
    wf_jwt_claims_t claims, first;
    assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW, &first), WF_JWT_OK);
    assert_int_equal (wf_jwt_cache_misses (cache), 1);
    assert_int_equal (wf_jwt_cache_size (cache), 1);
    assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW + TTL - 1, &claims),
                      WF_JWT_OK);
    assert_int_equal (wf_jwt_cache_hits (cache), 1);
    assert_memory_equal (&claims, &first, sizeof claims);
    assert_string_equal (claims.sub, "user-1");
    //  At exp the entry is dropped and full verification says why.
    assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW + TTL, &claims),
                      WF_JWT_EXPIRED);
    assert_int_equal (wf_jwt_cache_size (cache), 0);
    assert_int_equal (wf_jwt_cache_hits (cache), 1);
    assert_int_equal (wf_jwt_cache_misses (cache), 2);
    //  A prefix of a cached token is another token.
    assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW, &claims), WF_JWT_OK);
    assert_int_not_equal (wf_jwt_cache_verify (cache, token, strlen (token) - 1, NOW, &claims),
                          WF_JWT_OK);
    wf_jwt_cache_destroy (&cache);
    assert_null (cache);
    wf_jwt_cache_destroy (&cache);
    wf_jwt_destroy (&jwt);
}

static void
test_refusals_not_cached (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    wf_jwt_cache_t *cache = wf_jwt_cache_new (jwt, 64);
    char token[WF_JWT_TOKEN_BYTES_MAX + 1];
    s_issue (jwt, "user-1", NOW, token);
    token[strlen (token) - 2] ^= 1; //  damage the MAC
    wf_jwt_claims_t claims;
    for (int round = 0; round < 3; round++) {
        wf_jwt_reason_t reason = wf_jwt_cache_verify (cache, token, strlen (token), NOW, &claims);
        assert_true (reason == WF_JWT_BAD_SIGNATURE || reason == WF_JWT_MALFORMED);
    }
    assert_int_equal (wf_jwt_cache_size (cache), 0);
    assert_int_equal (wf_jwt_cache_hits (cache), 0);
    assert_int_equal (wf_jwt_cache_verify (cache, "", 0, NOW, &claims), WF_JWT_MALFORMED);
    assert_int_equal (wf_jwt_cache_verify (cache, NULL, 0, NOW, &claims), WF_JWT_MALFORMED);
    //  Not yet valid is not cached either, and becomes valid on time.
    s_issue (jwt, "user-2", NOW + 10, token);
    assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW, &claims),
                      WF_JWT_NOT_YET_VALID);
    assert_int_equal (wf_jwt_cache_size (cache), 0);
    assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW + 10, &claims),
                      WF_JWT_OK);
    assert_int_equal (wf_jwt_cache_size (cache), 1);
    wf_jwt_cache_destroy (&cache);
    wf_jwt_destroy (&jwt);
}

//  One set of WF_JWT_CACHE_WAYS entries: the soonest-expiring token leaves first.
static void
test_bound_and_eviction (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    wf_jwt_cache_t *cache = wf_jwt_cache_new (jwt, WF_JWT_CACHE_WAYS);
    assert_non_null (cache);
    enum { TOKENS = 20 };
    static char tokens[TOKENS][WF_JWT_TOKEN_BYTES_MAX + 1];
    wf_jwt_claims_t claims;
    for (int index = 0; index < TOKENS; index++) {
        s_issue (jwt, "user", NOW + index, tokens[index]); //  exp grows with index
        assert_int_equal (wf_jwt_cache_verify (cache, tokens[index], strlen (tokens[index]),
                                               NOW + TOKENS, &claims),
                          WF_JWT_OK);
        assert_true (wf_jwt_cache_size (cache) <= WF_JWT_CACHE_WAYS);
    }
    assert_int_equal (wf_jwt_cache_size (cache), WF_JWT_CACHE_WAYS);
    assert_int_equal (wf_jwt_cache_misses (cache), TOKENS);
    for (int index = TOKENS - WF_JWT_CACHE_WAYS; index < TOKENS; index++) {
        assert_int_equal (wf_jwt_cache_verify (cache, tokens[index], strlen (tokens[index]),
                                               NOW + TOKENS, &claims),
                          WF_JWT_OK);
    }
    assert_int_equal (wf_jwt_cache_hits (cache), WF_JWT_CACHE_WAYS);
    assert_int_equal (
        wf_jwt_cache_verify (cache, tokens[0], strlen (tokens[0]), NOW + TOKENS, &claims),
        WF_JWT_OK);
    assert_int_equal (wf_jwt_cache_misses (cache), TOKENS + 1);
    assert_int_equal (wf_jwt_cache_size (cache), WF_JWT_CACHE_WAYS);
    wf_jwt_cache_destroy (&cache);
    //  Many sets: the size never passes the bound.
    cache = wf_jwt_cache_new (jwt, 100);
    for (int index = 0; index < 1000; index++) {
        char token[WF_JWT_TOKEN_BYTES_MAX + 1];
        s_issue (jwt, "user", NOW, token);
        assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW, &claims),
                          WF_JWT_OK);
    }
    assert_true (wf_jwt_cache_size (cache) <= 104); //  100 rounded up to whole sets
    assert_true (wf_jwt_cache_size (cache) > 50);
    wf_jwt_cache_destroy (&cache);
    wf_jwt_destroy (&jwt);
}

static void
test_leeway (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (30);
    wf_jwt_cache_t *cache = wf_jwt_cache_new (jwt, 16);
    char token[WF_JWT_TOKEN_BYTES_MAX + 1];
    s_issue (jwt, "user-1", NOW, token);
    wf_jwt_claims_t claims;
    assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW, &claims), WF_JWT_OK);
    assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW + TTL + 29, &claims),
                      WF_JWT_OK);
    assert_int_equal (wf_jwt_cache_hits (cache), 1);
    assert_int_equal (wf_jwt_cache_verify (cache, token, strlen (token), NOW + TTL + 30, &claims),
                      WF_JWT_EXPIRED);
    wf_jwt_cache_destroy (&cache);
    wf_jwt_destroy (&jwt);
}

static void
test_bounds (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    assert_null (wf_jwt_cache_new (jwt, 0));
    assert_null (wf_jwt_cache_new (jwt, WF_JWT_CACHE_ENTRIES_MAX + 1));
    wf_jwt_cache_t *cache = wf_jwt_cache_new (jwt, WF_JWT_CACHE_ENTRIES_MAX);
    assert_non_null (cache);
    wf_jwt_cache_destroy (&cache);
    wf_jwt_destroy (&jwt);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hit_and_expiry),
        cmocka_unit_test (test_refusals_not_cached),
        cmocka_unit_test (test_bound_and_eviction),
        cmocka_unit_test (test_leeway),
        cmocka_unit_test (test_bounds),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
