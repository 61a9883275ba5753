/*  wf_account_codec_test - events and snapshots to JSON and strictly back.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "wf_account_codec.h"
#include "wf_account_testing.h"

//  One event of every type, as the decide functions produce them.
static size_t
s_every_event (wf_account_event_t events[WF_ACCOUNT_EVENT_COUNT])
{
    char id[WF_UUID_BYTES], owner[WF_UUID_BYTES], number[WF_ACCOUNT_NUMBER_BYTES];
    char other[WF_UUID_BYTES];
    t_uuid (2, other);
    wf_account_open_t open = t_open_cmd (1, "USD", id, owner, number);
    wf_account_t *account = wf_account_new ();
    wf_account_refusal_t why;
    wf_account_policy_t policy = WF_ACCOUNT_POLICY_DEFAULT;
    size_t count = 0;
    assert_int_equal (wf_account_decide_open (account, &open, &events[count], &why), 0);
    wf_account_apply (account, &events[count++]);
    wf_account_cmd_t cmd = t_cmd (10050);
    cmd.description = t_str ("caf\xc3\xa9 \"quoted\" \\ \xf0\x9f\x98\x80");
    cmd.counterparty_id = t_str (other);
    cmd.currency = t_str ("USD");
    cmd.reason = t_str ("compliance hold");
    cmd.metadata = t_str ("{\"orderId\":\"A-1\",\"channel\":\"web \\\"x\\\"\"}");
    assert_int_equal (wf_account_decide_deposit (account, &policy, &cmd, &events[count], &why), 0);
    wf_account_apply (account, &events[count++]);
    assert_int_equal (wf_account_decide_withdraw (account, &cmd, &events[count], &why), 0);
    assert_int_equal (wf_account_decide_transfer (account, &cmd, &events[++count], &why), 0);
    assert_int_equal (wf_account_decide_receive (account, &cmd, &events[++count], &why), 0);
    assert_int_equal (wf_account_decide_refund (account, &cmd, &events[++count], &why), 0);
    assert_int_equal (wf_account_decide_suspend (account, &cmd, &events[++count], &why), 0);
    wf_account_apply (account, &events[count++]);
    assert_int_equal (wf_account_decide_reactivate (account, &cmd, &events[count], &why), 0);
    wf_account_apply (account, &events[count++]);
    cmd.hold_id = t_next_transaction_id ();
    cmd.expires_at_ms = T_NOW_MS + 60000;
    cmd.amount = 50;
    assert_int_equal (wf_account_decide_hold (account, &cmd, &events[count], &why), 0);
    wf_account_apply (account, &events[count++]);
    cmd.amount = 20;
    assert_int_equal (wf_account_decide_capture (account, &cmd, &events[count++], &why), 0);
    assert_int_equal (wf_account_decide_void (account, &cmd, &events[count++], &why), 0);
    cmd.now_ms = cmd.expires_at_ms;
    assert_int_equal (wf_account_decide_expire (account, &cmd, &events[count++], &why), 0);
    cmd.overdraft_limit = 0;
    assert_int_equal (wf_account_decide_overdraft (account, &cmd, &events[count++], &why), 0);
    cmd.now_ms = T_NOW_MS;
    cmd.original_id = cmd.hold_id;
    for (int type = WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED; type <= WF_ACCOUNT_EVENT_TRANSFER_REVERSED;
         type++)
        assert_int_equal (wf_account_decide_refund_of (account, (wf_account_event_type_t) type,
                                                       &cmd, &events[count++], &why),
                          0);
    wf_account_destroy (&account);
    assert_int_equal (count, WF_ACCOUNT_EVENT_COUNT - 1);
    return count;
}

//  Encodes, dumps, parses and decodes one event.
static void
s_round_trip (const wf_account_event_t *event, wf_account_event_t *back)
{
    json_t *json = wf_account_event_to_json (event);
    char *text = json_dumps (json, JSON_COMPACT);
    json_decref (json);
    json_error_t error;
    json = json_loads (text, 0, &error);
    free (text);
    assert_non_null (json);
    const char *why = "unset";
    assert_int_equal (wf_account_event_from_json (json, back, &why), 0);
    assert_null (why);
    json_decref (json);
}

//  Every event type survives a round trip byte for byte.
static void
test_every_event_round_trips (void **state)
{
    wf_account_event_t events[WF_ACCOUNT_EVENT_COUNT];
    memset (events, 0, sizeof events);
    size_t count = s_every_event (events);
    for (size_t i = 0; i < count; i++) {
        wf_account_event_t back;
        s_round_trip (&events[i], &back);
        assert_memory_equal (&back, &events[i], sizeof back);
    }
}

//  Type names are the stored ones, and lookups go both ways.
static void
test_type_names (void **state)
{
    static const char *names[] = {NULL,
                                  "AccountOpened",
                                  "MoneyDeposited",
                                  "MoneyWithdrawn",
                                  "TransferSent",
                                  "TransferReceived",
                                  "TransferRefunded",
                                  "AccountSuspended",
                                  "AccountReactivated",
                                  "HoldPlaced",
                                  "HoldCaptured",
                                  "HoldVoided",
                                  "HoldExpired",
                                  "OverdraftLimitSet",
                                  "DepositRefunded",
                                  "WithdrawalRefunded",
                                  "TransferReversed"};
    for (int type = 1; type < WF_ACCOUNT_EVENT_COUNT; type++) {
        assert_string_equal (wf_account_event_type_name ((wf_account_event_type_t) type),
                             names[type]);
        assert_int_equal (wf_account_event_type_lookup (names[type]), type);
    }
    assert_null (wf_account_event_type_name (WF_ACCOUNT_EVENT_NONE));
    assert_null (wf_account_event_type_name (WF_ACCOUNT_EVENT_COUNT));
    assert_int_equal (wf_account_event_type_lookup ("moneyDeposited"), WF_ACCOUNT_EVENT_NONE);
    assert_int_equal (wf_account_event_type_lookup (NULL), WF_ACCOUNT_EVENT_NONE);
}

//  The stored JSON has the documented shape: camelCase, integer minor units.
static void
test_event_json_shape (void **state)
{
    wf_account_event_t events[WF_ACCOUNT_EVENT_COUNT];
    memset (events, 0, sizeof events);
    s_every_event (events);
    json_t *json = wf_account_event_to_json (&events[3]); //  TransferSent
    char *text = json_dumps (json, JSON_COMPACT);
    char expected[1024];
    snprintf (expected, sizeof expected,
              "{\"type\":\"TransferSent\",\"occurredAt\":%lld,\"transactionId\":\"%s\","
              "\"destinationAccountId\":\"00000002-0000-4000-8000-000000000002\","
              "\"amount\":10050,\"description\":\"caf\xc3\xa9 \\\"quoted\\\" \\\\ "
              "\xf0\x9f\x98\x80\",\"metadata\":{\"channel\":\"web \\\"x\\\"\","
              "\"orderId\":\"A-1\"}}",
              (long long) T_NOW_MS, events[3].transaction_id);
    assert_string_equal (text, expected);
    free (text);
    json_decref (json);
}

//  Decodes text; returns 0 or -1.
static int
s_decode_text (const char *text)
{
    json_error_t error;
    json_t *json = json_loads (text, JSON_ALLOW_NUL, &error);
    assert_non_null (json);
    wf_account_event_t event;
    const char *why = NULL;
    int rc = wf_account_event_from_json (json, &event, &why);
    if (rc)
        assert_non_null (why);
    json_decref (json);
    return rc;
}

//  Removing any member but metadata, or adding an unknown one, makes every
//  event invalid; metadata on an event type without it, or malformed, too.
static void
test_missing_or_unknown_fields_are_refused (void **state)
{
    wf_account_event_t events[WF_ACCOUNT_EVENT_COUNT];
    memset (events, 0, sizeof events);
    size_t count = s_every_event (events);
    for (size_t i = 0; i < count; i++) {
        json_t *json = wf_account_event_to_json (&events[i]);
        const char *key;
        json_t *value;
        json_object_foreach (json, key, value)
        {
            if (strcmp (key, "metadata") == 0)
                continue; //  optional; its shape is tested below
            json_t *copy = json_deep_copy (json);
            json_object_del (copy, key);
            wf_account_event_t event;
            const char *why = NULL;
            assert_int_equal (wf_account_event_from_json (copy, &event, &why), -1);
            assert_non_null (why);
            json_decref (copy);
        }
        json_object_set_new (json, "extra", json_true ());
        wf_account_event_t event;
        const char *why = NULL;
        assert_int_equal (wf_account_event_from_json (json, &event, &why), -1);
        json_object_del (json, "extra");
        json_object_set_new (json, "metadata", json_pack ("{s:i}", "k", 1));
        assert_int_equal (wf_account_event_from_json (json, &event, &why), -1);
        json_object_set_new (json, "metadata", json_pack ("{s:s}", "k", "v"));
        bool allowed = events[i].type == WF_ACCOUNT_EVENT_DEPOSITED ||
                       events[i].type == WF_ACCOUNT_EVENT_WITHDRAWN ||
                       events[i].type == WF_ACCOUNT_EVENT_TRANSFER_SENT ||
                       events[i].type == WF_ACCOUNT_EVENT_HOLD_PLACED ||
                       events[i].type >= WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED;
        assert_int_equal (wf_account_event_from_json (json, &event, &why), allowed ? 0 : -1);
        json_decref (json);
    }
}

//  Values of the wrong type or outside their rules are refused.
static void
test_bad_values_are_refused (void **state)
{
    const char *id = "\"transactionId\":\"00000001-0000-4000-8000-000000000001\"";
    const char *cases[] = {
        "{\"type\":\"MoneyMinted\",\"occurredAt\":1}",
        "{\"occurredAt\":1}",
        "{\"type\":7,\"occurredAt\":1}",
        "{\"type\":\"AccountReactivated\"}",
        "{\"type\":\"AccountReactivated\",\"occurredAt\":-1}",
        "{\"type\":\"AccountReactivated\",\"occurredAt\":\"1\"}",
        "{\"type\":\"AccountReactivated\",\"occurredAt\":1.0}",
        "[]",
        "{\"type\":\"MoneyDeposited\",\"occurredAt\":1,%s,\"amount\":0,\"description\":\"\"}",
        "{\"type\":\"MoneyDeposited\",\"occurredAt\":1,%s,\"amount\":-5,\"description\":\"\"}",
        "{\"type\":\"MoneyDeposited\",\"occurredAt\":1,%s,\"amount\":1.5,\"description\":\"\"}",
        "{\"type\":\"MoneyDeposited\",\"occurredAt\":1,%s,\"amount\":\"100\",\"description\":\"\"}",
        "{\"type\":\"MoneyDeposited\",\"occurredAt\":1,%s,\"amount\":1,\"description\":null}",
        "{\"type\":\"MoneyDeposited\",\"occurredAt\":1,%s,\"amount\":1,\"description\":"
        "\"a\\u0000b\"}",
        "{\"type\":\"MoneyDeposited\",\"occurredAt\":1,\"transactionId\":\"00000001-0000-4000-8000-"
        "00000000000A\",\"amount\":1,\"description\":\"\"}",
        "{\"type\":\"AccountOpened\",\"occurredAt\":1,\"accountId\":\"00000001-0000-4000-8000-"
        "000000000001\",\"ownerId\":\"00000001-0000-4000-8000-000000000001\",\"accountNumber\":"
        "\"WF-20261126-1A2B3C4D-A\",\"currency\":\"USD\"}",
        "{\"type\":\"AccountOpened\",\"occurredAt\":1,\"accountId\":\"00000001-0000-4000-8000-"
        "000000000001\",\"ownerId\":\"00000001-0000-4000-8000-000000000001\",\"accountNumber\":"
        "\"WF-20261126-1A2B3C4D-K\",\"currency\":\"XAU\"}",
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char text[1024];
        snprintf (text, sizeof text, cases[i], id);
        if (s_decode_text (text) != -1)
            fail_msg ("accepted %s", text);
    }
    char good[1024];
    snprintf (good, sizeof good,
              "{\"type\":\"MoneyDeposited\",\"occurredAt\":1,%s,\"amount\":1,\"description\":\"\"}",
              id);
    assert_int_equal (s_decode_text (good), 0);
    //  A description one byte over the limit.
    char *long_text = malloc (WF_ACCOUNT_TEXT_BYTES_MAX + 200);
    int length =
        snprintf (long_text, 200, "{\"type\":\"AccountSuspended\",\"occurredAt\":1,\"reason\":\"");
    memset (long_text + length, 'r', WF_ACCOUNT_TEXT_BYTES_MAX + 1);
    strcpy (long_text + length + WF_ACCOUNT_TEXT_BYTES_MAX + 1, "\"}");
    assert_int_equal (s_decode_text (long_text), -1);
    strcpy (long_text + length + WF_ACCOUNT_TEXT_BYTES_MAX, "\"}");
    assert_int_equal (s_decode_text (long_text), 0);
    free (long_text);
}

//  Builds a random history on a new account; returns the event count.
static size_t
s_history (wf_account_t *account, wf_account_event_t *events, size_t count, unsigned seed)
{
    char id[WF_UUID_BYTES], owner[WF_UUID_BYTES], number[WF_ACCOUNT_NUMBER_BYTES];
    wf_account_open_t open = t_open_cmd (seed, "JPY", id, owner, number);
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_open (account, &open, &events[0], &why), 0);
    wf_account_apply (account, &events[0]);
    srand (seed);
    size_t done = 1;
    while (done < count)
        done += t_random_step (account, &events[done]);
    return done;
}

//  Replaying events decoded from their stored JSON gives the live state.
static void
test_replay_from_json_equals_live_state (void **state)
{
    enum { EVENTS = 1000 };
    wf_account_event_t *events = calloc (EVENTS, sizeof (wf_account_event_t));
    wf_account_t *live = wf_account_new ();
    size_t count = s_history (live, events, EVENTS, 11);
    wf_account_t *replayed = wf_account_new ();
    for (size_t i = 0; i < count; i++) {
        wf_account_event_t back;
        s_round_trip (&events[i], &back);
        wf_account_apply (replayed, &back);
    }
    assert_true (wf_account_equal (live, replayed));
    wf_account_destroy (&live);
    wf_account_destroy (&replayed);
    free (events);
}

//  Snapshot at event K, then the later events, equals the full replay.
static void
test_snapshot_then_later_events_equals_full_replay (void **state)
{
    enum { EVENTS = 600, SNAPSHOT_AT = 250 };
    wf_account_event_t *events = calloc (EVENTS, sizeof (wf_account_event_t));
    wf_account_t *live = wf_account_new ();
    size_t count = s_history (live, events, EVENTS, 12);
    wf_account_t *partial = wf_account_new ();
    for (size_t i = 0; i < SNAPSHOT_AT; i++)
        wf_account_apply (partial, &events[i]);
    json_t *json = wf_account_snapshot_to_json (partial);
    char *text = json_dumps (json, JSON_COMPACT);
    json_decref (json);
    json_error_t error;
    json = json_loads (text, 0, &error);
    free (text);
    wf_account_t *restored = wf_account_new ();
    const char *why = NULL;
    assert_int_equal (wf_account_snapshot_from_json (json, restored, &why), 0);
    json_decref (json);
    assert_true (wf_account_equal (restored, partial));
    for (size_t i = SNAPSHOT_AT; i < count; i++)
        wf_account_apply (restored, &events[i]);
    assert_true (wf_account_equal (restored, live));
    wf_account_destroy (&live);
    wf_account_destroy (&partial);
    wf_account_destroy (&restored);
    free (events);
}

//  Tries a snapshot with one member changed; returns the decode result.
static int
s_snapshot_with (const wf_account_t *account, const char *key, json_t *value)
{
    json_t *json = wf_account_snapshot_to_json (account);
    if (value)
        json_object_set_new (json, key, value);
    else
        json_object_del (json, key);
    wf_account_t *target = wf_account_new ();
    const char *why = NULL;
    int rc = wf_account_snapshot_from_json (json, target, &why);
    if (rc) {
        assert_non_null (why);
        assert_int_equal (wf_account_state (target)->version, 0); //  unchanged
    }
    wf_account_destroy (&target);
    json_decref (json);
    return rc;
}

//  Snapshots are strict and checked against the invariants.
static void
test_bad_snapshots_are_refused (void **state)
{
    wf_account_t *account = t_open (3, "USD");
    assert_int_equal (s_snapshot_with (account, "balance", json_integer (0)), 0);
    assert_int_equal (s_snapshot_with (account, "snapshotVersion", json_integer (3)), -1);
    assert_int_equal (s_snapshot_with (account, "overdraftLimit", json_integer (-1)), -1);
    assert_int_equal (s_snapshot_with (account, "holds", json_integer (1)), -1);
    assert_int_equal (s_snapshot_with (account, "extra", json_true ()), -1);
    assert_int_equal (s_snapshot_with (account, "held", NULL), -1);
    assert_int_equal (s_snapshot_with (account, "balance", json_integer (-1)), -1);
    assert_int_equal (s_snapshot_with (account, "held", json_integer (1)), -1);
    assert_int_equal (s_snapshot_with (account, "status", json_string ("Frozen")), -1);
    assert_int_equal (s_snapshot_with (account, "digits", json_integer (3)), -1);
    assert_int_equal (s_snapshot_with (account, "digits", json_integer (99)), -1);
    assert_int_equal (s_snapshot_with (account, "currency", json_string ("USDX")), -1);
    assert_int_equal (s_snapshot_with (account, "currency", json_stringn ("US\0", 3)), -1);
    assert_int_equal (s_snapshot_with (account, "id", json_string ("nope")), -1);
    assert_int_equal (s_snapshot_with (account, "version", json_integer (0)), -1);
    assert_int_equal (s_snapshot_with (account, "balance", json_real (1.0)), -1);
    wf_account_t *target = wf_account_new ();
    const char *why = NULL;
    assert_int_equal (wf_account_snapshot_from_json (NULL, target, &why), -1);
    json_t *array = json_array ();
    assert_int_equal (wf_account_snapshot_from_json (array, target, &why), -1);
    json_decref (array);
    wf_account_destroy (&target);
    wf_account_destroy (&account);
}

//  Runs every test of this class.
int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_event_round_trips),
        cmocka_unit_test (test_type_names),
        cmocka_unit_test (test_event_json_shape),
        cmocka_unit_test (test_missing_or_unknown_fields_are_refused),
        cmocka_unit_test (test_bad_values_are_refused),
        cmocka_unit_test (test_replay_from_json_equals_live_state),
        cmocka_unit_test (test_snapshot_then_later_events_equals_full_replay),
        cmocka_unit_test (test_bad_snapshots_are_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
