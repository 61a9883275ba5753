/*  wf_notifier_dedup_test - the bounded window of published message ids.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "wf_notifier_dedup.h"

//  A uuid-like id for a number.
static wf_str_t
s_id (char *buffer, size_t size, unsigned n)
{
    snprintf (buffer, size, "00000000-0000-4000-8000-%012u", n);
    return wf_str_c (buffer);
}

//  Capacity 0 and over the maximum are refused; destroy is idempotent.
static void
test_bounds_and_destroy (void **state)
{
    assert_null (wf_notifier_dedup_new (0));
    assert_null (wf_notifier_dedup_new (WF_NOTIFIER_DEDUP_CAPACITY_MAX + 1));
    wf_notifier_dedup_t *dedup = wf_notifier_dedup_new (1);
    assert_non_null (dedup);
    wf_notifier_dedup_destroy (&dedup);
    assert_null (dedup);
    wf_notifier_dedup_destroy (&dedup);
}

//  An added id is found; a repeat is not stored twice.
static void
test_added_ids_are_found (void **state)
{
    wf_notifier_dedup_t *dedup = wf_notifier_dedup_new (8);
    char a[64], b[64];
    assert_false (wf_notifier_dedup_contains (dedup, s_id (a, sizeof a, 1)));
    wf_notifier_dedup_add (dedup, s_id (a, sizeof a, 1));
    wf_notifier_dedup_add (dedup, s_id (a, sizeof a, 1));
    assert_int_equal (wf_notifier_dedup_size (dedup), 1);
    assert_true (wf_notifier_dedup_contains (dedup, s_id (a, sizeof a, 1)));
    assert_false (wf_notifier_dedup_contains (dedup, s_id (b, sizeof b, 2)));
    //  Prefixes and empty ids are different ids.
    assert_false (wf_notifier_dedup_contains (dedup, (wf_str_t){a, 10}));
    assert_false (wf_notifier_dedup_contains (dedup, (wf_str_t){a, 0}));
    wf_notifier_dedup_destroy (&dedup);
}

//  At capacity N the oldest id is forgotten when id N+1 arrives.
static void
test_window_forgets_the_oldest (void **state)
{
    enum { N = 100 };
    wf_notifier_dedup_t *dedup = wf_notifier_dedup_new (N);
    char id[64];
    for (unsigned i = 0; i < N; i++)
        wf_notifier_dedup_add (dedup, s_id (id, sizeof id, i));
    assert_int_equal (wf_notifier_dedup_size (dedup), N);
    for (unsigned i = 0; i < N; i++)
        assert_true (wf_notifier_dedup_contains (dedup, s_id (id, sizeof id, i)));
    wf_notifier_dedup_add (dedup, s_id (id, sizeof id, N));
    assert_int_equal (wf_notifier_dedup_size (dedup), N);
    assert_false (wf_notifier_dedup_contains (dedup, s_id (id, sizeof id, 0)));
    for (unsigned i = 1; i <= N; i++)
        assert_true (wf_notifier_dedup_contains (dedup, s_id (id, sizeof id, i)));
    //  Many rounds through the ring keep exactly the last N.
    for (unsigned i = N + 1; i < 20 * N; i++)
        wf_notifier_dedup_add (dedup, s_id (id, sizeof id, i));
    for (unsigned i = 0; i < 20 * N; i++)
        assert_int_equal (wf_notifier_dedup_contains (dedup, s_id (id, sizeof id, i)), i >= 19 * N);
    wf_notifier_dedup_destroy (&dedup);
}

//  Ids over the bound are never remembered; at the bound they are.
static void
test_long_ids_are_not_remembered (void **state)
{
    wf_notifier_dedup_t *dedup = wf_notifier_dedup_new (4);
    char id[WF_NOTIFIER_DEDUP_ID_BYTES_MAX + 2];
    memset (id, 'x', sizeof id);
    wf_notifier_dedup_add (dedup, (wf_str_t){id, WF_NOTIFIER_DEDUP_ID_BYTES_MAX});
    assert_true (
        wf_notifier_dedup_contains (dedup, (wf_str_t){id, WF_NOTIFIER_DEDUP_ID_BYTES_MAX}));
    wf_notifier_dedup_add (dedup, (wf_str_t){id, WF_NOTIFIER_DEDUP_ID_BYTES_MAX + 1});
    assert_false (
        wf_notifier_dedup_contains (dedup, (wf_str_t){id, WF_NOTIFIER_DEDUP_ID_BYTES_MAX + 1}));
    assert_int_equal (wf_notifier_dedup_size (dedup), 1);
    wf_notifier_dedup_destroy (&dedup);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bounds_and_destroy),
        cmocka_unit_test (test_added_ids_are_found),
        cmocka_unit_test (test_window_forgets_the_oldest),
        cmocka_unit_test (test_long_ids_are_not_remembered),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
