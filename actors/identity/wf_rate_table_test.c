/*  wf_rate_table_test - fixed windows, the bound, eviction, clearing.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "wf_rate_table.h"

#define WINDOW_MS 1000

static void
test_window (void **state)
{
    wf_rate_table_t *table = wf_rate_table_new (64);
    assert_non_null (table);
    int64_t remaining;
    assert_int_equal (wf_rate_table_count (table, 7, 0, &remaining), 0);
    assert_int_equal (remaining, 0);
    assert_int_equal (wf_rate_table_hit (table, 7, 100, WINDOW_MS), 1);
    assert_int_equal (wf_rate_table_hit (table, 7, 600, WINDOW_MS), 2);
    assert_int_equal (wf_rate_table_hit (table, 8, 600, WINDOW_MS), 1);
    //  The window opened at the first hit (100) and ends at 1100.
    assert_int_equal (wf_rate_table_count (table, 7, 1099, &remaining), 2);
    assert_int_equal (remaining, 1);
    assert_int_equal (wf_rate_table_count (table, 7, 1100, &remaining), 0);
    assert_int_equal (remaining, 0);
    assert_int_equal (wf_rate_table_hit (table, 7, 1100, WINDOW_MS), 1);
    assert_int_equal (wf_rate_table_size (table, 1100), 2);
    assert_int_equal (wf_rate_table_size (table, 1600), 1);
    wf_rate_table_clear (table, 7);
    assert_int_equal (wf_rate_table_count (table, 7, 1200, NULL), 0);
    assert_int_equal (wf_rate_table_count (table, 8, 1200, NULL), 1);
    wf_rate_table_destroy (&table);
    assert_null (table);
    wf_rate_table_destroy (&table);
}

static void
test_bound (void **state)
{
    assert_null (wf_rate_table_new (0));
    assert_null (wf_rate_table_new (WF_RATE_TABLE_ENTRIES_MAX + 1));
    //  One set: the ninth key evicts the one whose window ends first.
    wf_rate_table_t *table = wf_rate_table_new (WF_RATE_TABLE_WAYS);
    for (uint64_t key = 1; key <= WF_RATE_TABLE_WAYS; key++) {
        wf_rate_table_hit (table, key, (int64_t) key, WINDOW_MS);
    }
    assert_int_equal (wf_rate_table_size (table, 10), WF_RATE_TABLE_WAYS);
    wf_rate_table_hit (table, 100, 20, WINDOW_MS);
    assert_int_equal (wf_rate_table_size (table, 20), WF_RATE_TABLE_WAYS);
    assert_int_equal (wf_rate_table_count (table, 1, 20, NULL), 0);
    assert_int_equal (wf_rate_table_count (table, 2, 20, NULL), 1);
    assert_int_equal (wf_rate_table_count (table, 100, 20, NULL), 1);
    //  An expired entry is reused before any live one is evicted.
    wf_rate_table_hit (table, 200, 1003, WINDOW_MS); //  keys 2 and 3 have expired
    assert_int_equal (wf_rate_table_count (table, 4, 1003, NULL), 1);
    assert_int_equal (wf_rate_table_count (table, 200, 1003, NULL), 1);
    //  Many keys never grow the table.
    for (uint64_t key = 1000; key < 100000; key++) {
        wf_rate_table_hit (table, key, 2000, WINDOW_MS);
    }
    assert_int_equal (wf_rate_table_size (table, 2000), WF_RATE_TABLE_WAYS);
    wf_rate_table_destroy (&table);
}

static void
test_counts_saturate_per_key (void **state)
{
    wf_rate_table_t *table = wf_rate_table_new (1024);
    for (int index = 1; index <= 1000; index++) {
        assert_int_equal (wf_rate_table_hit (table, 42, index, 1000000), (uint32_t) index);
    }
    assert_int_equal (wf_rate_table_count (table, 42, 5000, NULL), 1000);
    assert_int_equal (wf_rate_table_count (table, 43, 5000, NULL), 0);
    wf_rate_table_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_window),
        cmocka_unit_test (test_bound),
        cmocka_unit_test (test_counts_saturate_per_key),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
