/*  wf_hub_replay_test - stateful reconnect's numbers and replay buffer.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "wf_hub_replay.h"
#include "wf_signalr.h"

#define HEADROOM 16

//  Pushes the record "m<n>".
static wf_hub_replay_push_t
s_push (wf_hub_replay_t *r, int n)
{
    char text[16];
    int len = snprintf (text, sizeof text, "m%d", n);
    return wf_hub_replay_push (r, (const uint8_t *) text, (size_t) len, false);
}

//  Writes the next record and checks it is "m<n>".
static void
s_write_expect (wf_hub_replay_t *r, int n)
{
    char text[16];
    int len = snprintf (text, sizeof text, "m%d", n);
    wf_hub_record_t *next = wf_hub_replay_next (r);
    assert_non_null (next);
    assert_int_equal (next->len, len);
    assert_memory_equal (next->data + HEADROOM, text, (size_t) len);
    wf_hub_replay_written (r);
}

//  Records are written once each, in order, from their headroom.
static void
test_writes_in_order (void **state)
{
    wf_hub_replay_t r;
    wf_hub_replay_init (&r, 8, 1024, HEADROOM);
    assert_null (wf_hub_replay_next (&r));
    for (int n = 1; n <= 3; n++)
        assert_int_equal (s_push (&r, n), WF_HUB_REPLAY_KEPT);
    for (int n = 1; n <= 3; n++)
        s_write_expect (&r, n);
    assert_null (wf_hub_replay_next (&r));
    assert_int_equal (r.count, 3);
    wf_hub_replay_fini (&r);
    wf_hub_replay_fini (&r); //  idempotent
}

//  Acks drop what they cover, never what was not written; a reconnect
//  announces the oldest unacknowledged id and writes from it again.
static void
test_ack_and_rewind (void **state)
{
    wf_hub_replay_t r;
    wf_hub_replay_init (&r, 8, 1024, HEADROOM);
    for (int n = 1; n <= 5; n++)
        s_push (&r, n);
    for (int n = 1; n <= 3; n++)
        s_write_expect (&r, n);
    wf_hub_replay_ack (&r, 2);
    assert_int_equal (r.count, 3);
    assert_int_equal (r.first_seq, 3);
    //  An ack of 5 when 3 was written covers 3 only.
    wf_hub_replay_ack (&r, 5);
    assert_int_equal (r.acked, 3);
    assert_int_equal (r.first_seq, 4);
    //  An older ack changes nothing.
    wf_hub_replay_ack (&r, 1);
    assert_int_equal (r.first_seq, 4);
    s_write_expect (&r, 4);
    //  The socket drops: 4 was written but not acknowledged, 5 never written.
    assert_int_equal (wf_hub_replay_rewind (&r), 4);
    s_write_expect (&r, 4);
    s_write_expect (&r, 5);
    assert_null (wf_hub_replay_next (&r));
    //  Everything acknowledged: the next id follows.
    wf_hub_replay_ack (&r, 5);
    assert_int_equal (r.count, 0);
    assert_int_equal (wf_hub_replay_rewind (&r), 6);
    assert_int_equal (s_push (&r, 6), WF_HUB_REPLAY_KEPT);
    s_write_expect (&r, 6);
    wf_hub_replay_fini (&r);
}

//  capacity records fit; one more empties the ring and asks for a resync.
static void
test_capacity_bound (void **state)
{
    wf_hub_replay_t r;
    wf_hub_replay_init (&r, 4, 1024, HEADROOM);
    for (int n = 1; n <= 4; n++)
        assert_int_equal (s_push (&r, n), WF_HUB_REPLAY_KEPT);
    s_write_expect (&r, 1);
    wf_hub_replay_ack (&r, 1);
    assert_int_equal (s_push (&r, 5), WF_HUB_REPLAY_KEPT); //  the ack made room
    assert_int_equal (s_push (&r, 6), WF_HUB_REPLAY_OVERFLOW);
    assert_true (r.resync);
    assert_int_equal (r.count, 0);
    assert_int_equal (r.bytes, 0);
    assert_null (wf_hub_replay_next (&r));
    assert_int_equal (s_push (&r, 7), WF_HUB_REPLAY_DISCARDED);
    //  The reconnect's Sequence is what the client can accept: acked + 1.
    assert_int_equal (wf_hub_replay_rewind (&r), 2);
    assert_null (wf_hub_replay_next (&r));
    wf_hub_replay_fini (&r);
}

//  bytes_max bytes fit; one more byte does not.
static void
test_bytes_bound (void **state)
{
    wf_hub_replay_t r;
    wf_hub_replay_init (&r, 16, 6, HEADROOM);
    assert_int_equal (s_push (&r, 10), WF_HUB_REPLAY_KEPT); //  "m10": 3 bytes
    assert_int_equal (s_push (&r, 11), WF_HUB_REPLAY_KEPT); //  6 bytes in all
    assert_int_equal (r.bytes, 6);
    assert_int_equal (s_push (&r, 1), WF_HUB_REPLAY_OVERFLOW);
    wf_hub_replay_fini (&r);
    //  A single record over the bound never fits.
    wf_hub_replay_init (&r, 16, 2, HEADROOM);
    assert_int_equal (s_push (&r, 10), WF_HUB_REPLAY_OVERFLOW);
    wf_hub_replay_fini (&r);
}

//  The client's side: tracked messages counted, duplicates after its
//  Sequence dropped, a gap refused, acks due once per change.
static void
test_receive (void **state)
{
    wf_hub_replay_t r;
    wf_hub_replay_init (&r, 4, 1024, HEADROOM);
    uint64_t seq = 0;
    assert_false (wf_hub_replay_ack_due (&r, &seq));
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_PING, 0), WF_HUB_REPLAY_HANDLE);
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_CLOSE, 0), WF_HUB_REPLAY_HANDLE);
    assert_int_equal (wf_hub_replay_receive (&r, 99, 0), WF_HUB_REPLAY_HANDLE);
    for (int i = 0; i < 3; i++)
        assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_INVOCATION, 0),
                          WF_HUB_REPLAY_HANDLE);
    assert_true (wf_hub_replay_ack_due (&r, &seq));
    assert_int_equal (seq, 3);
    assert_false (wf_hub_replay_ack_due (&r, &seq));
    //  A reconnect: the client replays from 2; 2 and 3 are duplicates, 4 is new.
    wf_hub_replay_rewind (&r);
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_SEQUENCE, 2), WF_HUB_REPLAY_DROP);
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_INVOCATION, 0), WF_HUB_REPLAY_DROP);
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_CANCEL_INVOCATION, 0),
                      WF_HUB_REPLAY_DROP);
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_COMPLETION, 0), WF_HUB_REPLAY_HANDLE);
    //  Acknowledged again after the rewind, so the client can free its buffer.
    assert_true (wf_hub_replay_ack_due (&r, &seq));
    assert_int_equal (seq, 4);
    //  A Sequence past what we have (a gap) or of 0 is a protocol error; the
    //  next id itself is fine.
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_SEQUENCE, 6), WF_HUB_REPLAY_ERROR);
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_SEQUENCE, 0), WF_HUB_REPLAY_ERROR);
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_SEQUENCE, 5), WF_HUB_REPLAY_DROP);
    //  An Ack from the client reaches the server-side ring.
    s_push (&r, 1);
    s_write_expect (&r, 1);
    assert_int_equal (wf_hub_replay_receive (&r, WF_SIGNALR_ACK, 1), WF_HUB_REPLAY_DROP);
    assert_int_equal (r.count, 0);
    wf_hub_replay_fini (&r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_writes_in_order), cmocka_unit_test (test_ack_and_rewind),
        cmocka_unit_test (test_capacity_bound),  cmocka_unit_test (test_bytes_bound),
        cmocka_unit_test (test_receive),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
