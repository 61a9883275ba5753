/*  wf_token_bucket_test - bucket arithmetic (burst, refill, retry time, no
    lost fractions, clock steps, limits) and the bounded table.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "wf_token_bucket.h"

//  A burst of N, then the N+1st is refused with the wait for one token.
static void
test_burst_then_refuse (void **state)
{
    (void) state;
    wf_token_rate_t rate = {.per_min = 60, .burst = 3}; //  one token a second
    wf_token_bucket_t bucket;
    wf_token_bucket_init (&bucket, &rate, 1000);
    int64_t retry_ms = -1;
    for (int i = 0; i < 3; i++) {
        assert_true (wf_token_bucket_take (&bucket, &rate, 1000, &retry_ms));
        assert_int_equal (retry_ms, 0);
    }
    assert_false (wf_token_bucket_take (&bucket, &rate, 1000, &retry_ms));
    assert_int_equal (retry_ms, 1000);
    //  A refusal takes nothing: 400 ms later the wait is 600 ms.
    assert_false (wf_token_bucket_take (&bucket, &rate, 1400, &retry_ms));
    assert_int_equal (retry_ms, 600);
    assert_false (wf_token_bucket_take (&bucket, &rate, 1999, &retry_ms));
    assert_int_equal (retry_ms, 1);
    assert_true (wf_token_bucket_take (&bucket, &rate, 2000, &retry_ms));
    assert_false (wf_token_bucket_take (&bucket, &rate, 2000, &retry_ms));
}

//  Refill never exceeds the burst, however long the bucket idles.
static void
test_refill_caps_at_burst (void **state)
{
    (void) state;
    wf_token_rate_t rate = {.per_min = 600, .burst = 5};
    wf_token_bucket_t bucket;
    wf_token_bucket_init (&bucket, &rate, 0);
    int64_t retry_ms;
    for (int i = 0; i < 5; i++)
        assert_true (wf_token_bucket_take (&bucket, &rate, 0, &retry_ms));
    wf_token_bucket_refill (&bucket, &rate, 100LL * 24 * 3600 * 1000); //  100 days
    assert_int_equal (bucket.units, 5 * WF_TOKEN_BUCKET_UNITS);
    for (int i = 0; i < 5; i++)
        assert_true (wf_token_bucket_take (&bucket, &rate, 100LL * 24 * 3600 * 1000, &retry_ms));
    assert_false (wf_token_bucket_take (&bucket, &rate, 100LL * 24 * 3600 * 1000, &retry_ms));
    assert_int_equal (retry_ms, 100); //  600 a minute = one per 100 ms
}

//  A slow rate looked at every millisecond still refills: no fraction lost.
static void
test_no_lost_fractions (void **state)
{
    (void) state;
    wf_token_rate_t rate = {.per_min = 1, .burst = 1}; //  one a minute
    wf_token_bucket_t bucket;
    wf_token_bucket_init (&bucket, &rate, 0);
    int64_t retry_ms;
    assert_true (wf_token_bucket_take (&bucket, &rate, 0, &retry_ms));
    int64_t now;
    for (now = 1; now < 60000; now++) {
        assert_false (wf_token_bucket_take (&bucket, &rate, now, &retry_ms));
        assert_int_equal (retry_ms, 60000 - now);
    }
    assert_true (wf_token_bucket_take (&bucket, &rate, now, &retry_ms));
}

//  Sustained: over a minute at twice the rate, exactly burst + per_min pass.
static void
test_sustained_rate (void **state)
{
    (void) state;
    wf_token_rate_t rate = {.per_min = 120, .burst = 10};
    wf_token_bucket_t bucket;
    wf_token_bucket_init (&bucket, &rate, 0);
    int allowed = 0;
    int64_t retry_ms;
    for (int64_t now = 0; now < 60000; now += 250) //  240 a minute
        allowed += wf_token_bucket_take (&bucket, &rate, now, &retry_ms);
    //  The burst of 10 plus 120 refilled over the (just under a) minute.
    assert_in_range (allowed, 10 + 119, 10 + 120);
}

//  A clock step backwards refills nothing and breaks nothing.
static void
test_clock_backwards (void **state)
{
    (void) state;
    wf_token_rate_t rate = {.per_min = 60, .burst = 1};
    wf_token_bucket_t bucket;
    wf_token_bucket_init (&bucket, &rate, 10000);
    int64_t retry_ms;
    assert_true (wf_token_bucket_take (&bucket, &rate, 10000, &retry_ms));
    assert_false (wf_token_bucket_take (&bucket, &rate, 5000, &retry_ms));
    assert_int_equal (retry_ms, 1000);
    assert_true (wf_token_bucket_take (&bucket, &rate, 11000, &retry_ms));
}

//  A refund gives one token back, never past the burst.
static void
test_refund (void **state)
{
    (void) state;
    wf_token_rate_t rate = {.per_min = 1, .burst = 2};
    wf_token_bucket_t bucket;
    wf_token_bucket_init (&bucket, &rate, 0);
    int64_t retry_ms;
    assert_true (wf_token_bucket_take (&bucket, &rate, 0, &retry_ms));
    assert_true (wf_token_bucket_take (&bucket, &rate, 0, &retry_ms));
    assert_false (wf_token_bucket_take (&bucket, &rate, 0, &retry_ms));
    wf_token_bucket_refund (&bucket, &rate);
    assert_true (wf_token_bucket_take (&bucket, &rate, 0, &retry_ms));
    wf_token_bucket_refund (&bucket, &rate);
    wf_token_bucket_refund (&bucket, &rate);
    wf_token_bucket_refund (&bucket, &rate);
    assert_int_equal (bucket.units, 2 * WF_TOKEN_BUCKET_UNITS);
}

//  The largest rate and burst, after the longest idle, stay exact.
static void
test_limits (void **state)
{
    (void) state;
    wf_token_rate_t rate = {.per_min = WF_TOKEN_BUCKET_PER_MIN_MAX,
                            .burst = WF_TOKEN_BUCKET_BURST_MAX};
    wf_token_bucket_t bucket;
    wf_token_bucket_init (&bucket, &rate, 0);
    bucket.units = 0;
    wf_token_bucket_refill (&bucket, &rate, INT64_MAX / 2);
    assert_int_equal (bucket.units, (int64_t) WF_TOKEN_BUCKET_BURST_MAX * WF_TOKEN_BUCKET_UNITS);
    int64_t retry_ms;
    bucket.units = 0;
    assert_false (wf_token_bucket_take (&bucket, &rate, INT64_MAX / 2, &retry_ms));
    assert_int_equal (retry_ms, 1); //  60000 units at 10^6 a millisecond
}

//  The table: one bucket per key, bounded, evicting within a set.
static void
test_table (void **state)
{
    (void) state;
    assert_null (wf_token_table_new (0));
    assert_null (wf_token_table_new (WF_TOKEN_BUCKET_ENTRIES_MAX + 1));
    wf_token_table_t *table = wf_token_table_new (16); //  2 sets of 8
    assert_non_null (table);
    wf_token_rate_t rate = {.per_min = 1, .burst = 1};
    int64_t retry_ms;
    wf_token_bucket_t *a = wf_token_table_get (table, 2, &rate, 0);
    assert_true (wf_token_bucket_take (a, &rate, 0, &retry_ms));
    a = wf_token_table_get (table, 2, &rate, 10);
    assert_false (wf_token_bucket_take (a, &rate, 10, &retry_ms));
    //  Another key has its own bucket.
    wf_token_bucket_t *b = wf_token_table_get (table, 3, &rate, 10);
    assert_true (wf_token_bucket_take (b, &rate, 10, &retry_ms));
    assert_int_equal (wf_token_table_size (table), 2);
    //  Fill set 0 (even keys) with 8 more drained buckets, keeping key 2
    //  the most recently used: the oldest other one is evicted, not key 2.
    for (uint64_t key = 4; key <= 18; key += 2) {
        wf_token_bucket_t *bucket = wf_token_table_get (table, key, &rate, 20 + (int64_t) key);
        assert_true (wf_token_bucket_take (bucket, &rate, 20 + (int64_t) key, &retry_ms));
        wf_token_table_get (table, 2, &rate, 21 + (int64_t) key);
    }
    assert_int_equal (wf_token_table_size (table), 9); //  8 in set 0, 1 in set 1
    a = wf_token_table_get (table, 2, &rate, 100);
    assert_false (wf_token_bucket_take (a, &rate, 100, &retry_ms));
    //  Key 4 was evicted: it comes back full.
    wf_token_bucket_t *c = wf_token_table_get (table, 4, &rate, 100);
    assert_true (wf_token_bucket_take (c, &rate, 100, &retry_ms));
    assert_true (wf_token_table_size (table) <= 16);
    wf_token_table_destroy (&table);
    assert_null (table);
    wf_token_table_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_burst_then_refuse),
        cmocka_unit_test (test_refill_caps_at_burst),
        cmocka_unit_test (test_no_lost_fractions),
        cmocka_unit_test (test_sustained_rate),
        cmocka_unit_test (test_clock_backwards),
        cmocka_unit_test (test_refund),
        cmocka_unit_test (test_limits),
        cmocka_unit_test (test_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
