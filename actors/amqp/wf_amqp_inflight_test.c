/*  wf_amqp_inflight_test - confirms settle the right rows: in order, out of order, multiple,
    nack, unknown tags, reset, and the limits of the table and of the tag window.
*/
#include "wf_amqp_inflight.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#define S_DONE_MAX 64

//  What the done callback saw, in order.
typedef struct {
    size_t count;
    size_t slot[S_DONE_MAX];
    bool acked[S_DONE_MAX];
    int64_t latency_us[S_DONE_MAX];
} s_log_t;

static void
s_done (void *arg, size_t slot, bool acked, int64_t latency_us)
{
    s_log_t *log = (s_log_t *) arg;
    assert_true (log->count < S_DONE_MAX);
    log->slot[log->count] = slot;
    log->acked[log->count] = acked;
    log->latency_us[log->count] = latency_us;
    log->count++;
}

//  Adds a request of n messages and publishes them with the next tags.
static size_t
s_publish (wf_amqp_inflight_t *table, size_t n, uint64_t *next_tag, int64_t now_us)
{
    size_t slot = wf_amqp_inflight_add (table, n, now_us);
    for (size_t i = 0; i < n; i++)
        wf_amqp_inflight_tag (table, slot, (*next_tag)++);
    return slot;
}

//  One ack per message, in order: each row finishes with its last ack, with its latency.
static void
test_acks_in_order (void **state)
{
    wf_amqp_inflight_t *table = wf_amqp_inflight_new (4, 8);
    s_log_t log = {0};
    uint64_t tag = 1;
    size_t a = s_publish (table, 1, &tag, 100);
    size_t b = s_publish (table, 2, &tag, 200);
    assert_int_not_equal (a, b);
    assert_int_equal (wf_amqp_inflight_count (table), 2);
    assert_int_equal (wf_amqp_inflight_oldest_us (table), 100);
    assert_int_equal (wf_amqp_inflight_confirm (table, 1, false, true, 1100, s_done, &log), 1);
    assert_int_equal (log.count, 1);
    assert_int_equal (log.slot[0], a);
    assert_true (log.acked[0]);
    assert_int_equal (log.latency_us[0], 1000);
    assert_int_equal (wf_amqp_inflight_oldest_us (table), 200);
    assert_int_equal (wf_amqp_inflight_confirm (table, 2, false, true, 1200, s_done, &log), 1);
    assert_int_equal (log.count, 1); //  b still waits for tag 3
    assert_int_equal (wf_amqp_inflight_confirm (table, 3, false, true, 1300, s_done, &log), 1);
    assert_int_equal (log.count, 2);
    assert_int_equal (log.slot[1], b);
    assert_true (log.acked[1]);
    assert_int_equal (log.latency_us[1], 1100);
    assert_int_equal (wf_amqp_inflight_count (table), 0);
    assert_int_equal (wf_amqp_inflight_oldest_us (table), -1);
    wf_amqp_inflight_destroy (&table);
    assert_null (table);
    wf_amqp_inflight_destroy (&table);
}

//  Confirms may come in any order; `multiple` settles everything up to its tag.
static void
test_out_of_order_and_multiple (void **state)
{
    wf_amqp_inflight_t *table = wf_amqp_inflight_new (8, 16);
    s_log_t log = {0};
    uint64_t tag = 1;
    size_t a = s_publish (table, 1, &tag, 0); //  tag 1
    size_t b = s_publish (table, 2, &tag, 0); //  tags 2, 3
    size_t c = s_publish (table, 1, &tag, 0); //  tag 4
    size_t d = s_publish (table, 1, &tag, 0); //  tag 5
    assert_int_equal (wf_amqp_inflight_confirm (table, 4, false, true, 10, s_done, &log), 1);
    assert_int_equal (log.count, 1);
    assert_int_equal (log.slot[0], c);
    //  multiple up to 4: settles 1, 2, 3 (4 already was).
    assert_int_equal (wf_amqp_inflight_confirm (table, 4, true, true, 20, s_done, &log), 3);
    assert_int_equal (log.count, 3);
    assert_int_equal (log.slot[1], a);
    assert_int_equal (log.slot[2], b);
    assert_true (log.acked[1] && log.acked[2]);
    assert_int_equal (wf_amqp_inflight_count (table), 1);
    //  A duplicate or stale confirm changes nothing.
    assert_int_equal (wf_amqp_inflight_confirm (table, 2, false, false, 30, s_done, &log), 0);
    assert_int_equal (wf_amqp_inflight_confirm (table, 3, true, true, 30, s_done, &log), 0);
    assert_int_equal (log.count, 3);
    assert_int_equal (wf_amqp_inflight_confirm (table, 5, true, true, 40, s_done, &log), 1);
    assert_int_equal (log.slot[3], d);
    assert_int_equal (log.count, 4);
    wf_amqp_inflight_destroy (&table);
}

//  One nack fails its row even when its other message was acked; multiple nacks too.
static void
test_nacks_fail_rows (void **state)
{
    wf_amqp_inflight_t *table = wf_amqp_inflight_new (8, 16);
    s_log_t log = {0};
    uint64_t tag = 1;
    size_t a = s_publish (table, 2, &tag, 0); //  tags 1, 2
    size_t b = s_publish (table, 1, &tag, 0); //  tag 3
    size_t c = s_publish (table, 1, &tag, 0); //  tag 4
    wf_amqp_inflight_confirm (table, 2, false, false, 1, s_done, &log);
    assert_int_equal (log.count, 0);
    wf_amqp_inflight_confirm (table, 1, false, true, 2, s_done, &log);
    assert_int_equal (log.count, 1);
    assert_int_equal (log.slot[0], a);
    assert_false (log.acked[0]);
    assert_int_equal (wf_amqp_inflight_confirm (table, 4, true, false, 3, s_done, &log), 2);
    assert_int_equal (log.count, 3);
    assert_int_equal (log.slot[1], b);
    assert_int_equal (log.slot[2], c);
    assert_false (log.acked[1] || log.acked[2]);
    wf_amqp_inflight_destroy (&table);
}

//  Tags never published (0, or beyond the last) are ignored.
static void
test_unknown_tags_ignored (void **state)
{
    wf_amqp_inflight_t *table = wf_amqp_inflight_new (2, 4);
    s_log_t log = {0};
    uint64_t tag = 1;
    s_publish (table, 1, &tag, 0);
    assert_int_equal (wf_amqp_inflight_confirm (table, 0, false, true, 1, s_done, &log), 0);
    assert_int_equal (wf_amqp_inflight_confirm (table, 0, true, true, 1, s_done, &log), 0);
    assert_int_equal (wf_amqp_inflight_confirm (table, 2, false, true, 1, s_done, &log), 0);
    assert_int_equal (wf_amqp_inflight_confirm (table, 99, true, true, 1, s_done, &log), 0);
    assert_int_equal (wf_amqp_inflight_confirm (table, UINT64_MAX, true, true, 1, s_done, &log), 0);
    assert_int_equal (log.count, 0);
    assert_int_equal (wf_amqp_inflight_count (table), 1);
    wf_amqp_inflight_destroy (&table);
}

//  A reset fails every waiting row and restarts tags at 1; nothing is ever acked by it.
static void
test_reset_fails_everything (void **state)
{
    wf_amqp_inflight_t *table = wf_amqp_inflight_new (4, 8);
    s_log_t log = {0};
    uint64_t tag = 1;
    s_publish (table, 2, &tag, 0);
    s_publish (table, 1, &tag, 0);
    size_t partial = wf_amqp_inflight_add (table, 2, 0); //  one of two published
    wf_amqp_inflight_tag (table, partial, tag++);
    wf_amqp_inflight_confirm (table, 1, false, true, 1, s_done, &log);
    assert_int_equal (log.count, 0);
    wf_amqp_inflight_reset (table, s_done, &log);
    assert_int_equal (log.count, 3);
    for (size_t i = 0; i < log.count; i++) {
        assert_false (log.acked[i]);
        assert_int_equal (log.latency_us[i], 0);
    }
    assert_int_equal (wf_amqp_inflight_count (table), 0);
    //  Tags start again at 1; old tags from the lost channel match nothing.
    tag = 1;
    size_t slot = s_publish (table, 1, &tag, 5);
    assert_int_equal (wf_amqp_inflight_confirm (table, 3, true, true, 6, s_done, &log), 0);
    assert_int_equal (log.count, 3);
    assert_int_equal (wf_amqp_inflight_confirm (table, 1, false, true, 6, s_done, &log), 1);
    assert_int_equal (log.count, 4);
    assert_int_equal (log.slot[3], slot);
    assert_true (log.acked[3]);
    wf_amqp_inflight_destroy (&table);
}

//  Room: at most requests_max rows, and at most tags_max tags from the lowest unsettled.
static void
test_limits (void **state)
{
    wf_amqp_inflight_t *table = wf_amqp_inflight_new (3, 6);
    s_log_t log = {0};
    uint64_t tag = 1;
    assert_true (wf_amqp_inflight_has_room (table, 2));
    s_publish (table, 1, &tag, 0);                       //  tag 1: stays unsettled
    s_publish (table, 2, &tag, 0);                       //  tags 2, 3
    s_publish (table, 2, &tag, 0);                       //  tags 4, 5
    assert_false (wf_amqp_inflight_has_room (table, 1)); //  no slot
    wf_amqp_inflight_confirm (table, 3, false, true, 1, s_done, &log);
    wf_amqp_inflight_confirm (table, 2, false, true, 1, s_done, &log);
    assert_int_equal (log.count, 1);
    assert_true (wf_amqp_inflight_has_room (table, 1));  //  tags 1..6 fit in 6
    assert_false (wf_amqp_inflight_has_room (table, 2)); //  tag 7 would wrap onto tag 1
    s_publish (table, 1, &tag, 0);                       //  tag 6
    wf_amqp_inflight_confirm (table, 6, false, true, 1, s_done, &log);
    assert_false (wf_amqp_inflight_has_room (table, 1)); //  tag 1 still holds the window
    wf_amqp_inflight_confirm (table, 1, false, true, 1, s_done, &log);
    assert_true (wf_amqp_inflight_has_room (table, 2)); //  low moved to 4
    s_publish (table, 2, &tag, 0);                      //  tags 7, 8 share ring slots with 1, 2
    assert_int_equal (wf_amqp_inflight_confirm (table, 8, true, true, 2, s_done, &log), 4);
    assert_int_equal (wf_amqp_inflight_count (table), 0);
    assert_int_equal (log.count, 5);
    wf_amqp_inflight_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_acks_in_order),
        cmocka_unit_test (test_out_of_order_and_multiple),
        cmocka_unit_test (test_nacks_fail_rows),
        cmocka_unit_test (test_unknown_tags_ignored),
        cmocka_unit_test (test_reset_fails_everything),
        cmocka_unit_test (test_limits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
