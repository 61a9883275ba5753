/*  wf_notifier_map_test - account events to BalanceUpdated notifications.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "wf_events.h"
#include "wf_notifier_map.h"

#define OWNER   "3f0c6a3e-2d4b-4c55-9d0e-0a1b2c3d4e5f"
#define ACCOUNT "9b2e1c4d-1111-4c55-9d0e-0a1b2c3d4e5f"
#define TX      "7a7a7a7a-2222-4c55-9d0e-0a1b2c3d4e5f"
#define WHEN    "2026-11-26T20:00:00.123Z"

//  Maps a C-string type and payload.
static wf_notifier_map_result_t
s_map (const char *type, const char *payload, wf_notification_t *n, const char **reason)
{
    return wf_notifier_map (wf_str_c (type), wf_str_c (payload), n, reason);
}

//  A balance event payload with the given amount, currency and balance text.
static void
s_payload (char *out, size_t size, const char *amount, const char *currency, const char *balance)
{
    snprintf (out, size,
              "{\"transactionId\":\"" TX "\",\"accountId\":\"" ACCOUNT "\",\"ownerId\":\"" OWNER
              "\",\"amount\":%s,\"currency\":\"%s\",\"balanceAfter\":%s,"
              "\"description\":\"rent \\u00e9\",\"occurredAt\":\"" WHEN "\"}",
              amount, currency, balance);
}

//  Each balance event maps to its type, for its owner, with money at scale.
static void
test_each_balance_event_maps_to_its_type (void **state)
{
    static const struct {
        const char *event, *type;
    } cases[] = {{"MoneyDeposited", "Deposit"},
                 {"MoneyWithdrawn", "Withdrawal"},
                 {"TransferSent", "TransferSent"},
                 {"TransferReceived", "TransferReceived"},
                 {"TransferRefunded", "TransferRefunded"}};
    char payload[1024], expected[1024];
    s_payload (payload, sizeof payload, "10050", "USD", "25000");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wf_notification_t n;
        const char *reason = NULL;
        assert_int_equal (s_map (cases[i].event, payload, &n, &reason), WF_NOTIFIER_MAP_OK);
        assert_string_equal (n.user_id, OWNER);
        snprintf (expected, sizeof expected,
                  "{\"type\":\"%s\",\"amount\":100.50,\"currency\":\"USD\",\"newBalance\":250.00,"
                  "\"timestamp\":\"" WHEN "\",\"accountId\":\"" ACCOUNT "\",\"transactionId\":\"" TX
                  "\"}",
                  cases[i].type);
        assert_string_equal (n.json, expected);
        assert_int_equal (n.json_len, strlen (expected));
    }
}

//  The currency's minor digits decide the scale: JPY 0, KWD 3, CLF 4.
static void
test_scale_follows_the_currency (void **state)
{
    static const struct {
        const char *currency, *amount, *balance, *amount_text, *balance_text;
    } cases[] = {{"JPY", "100", "0", "100", "0"},
                 {"KWD", "1", "1000", "0.001", "1.000"},
                 {"CLF", "12345", "9223372036854775807", "1.2345", "922337203685477.5807"},
                 {"USD", "1", "0", "0.01", "0.00"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char payload[1024], amount[64], balance[64];
        s_payload (payload, sizeof payload, cases[i].amount, cases[i].currency, cases[i].balance);
        wf_notification_t n;
        const char *reason = NULL;
        assert_int_equal (s_map ("MoneyDeposited", payload, &n, &reason), WF_NOTIFIER_MAP_OK);
        snprintf (amount, sizeof amount, "\"amount\":%s,", cases[i].amount_text);
        snprintf (balance, sizeof balance, "\"newBalance\":%s,", cases[i].balance_text);
        assert_non_null (strstr (n.json, amount));
        assert_non_null (strstr (n.json, balance));
    }
}

//  Other events are ignored, whatever their payload.
static void
test_other_events_are_ignored (void **state)
{
    const char *events[] = {
        "UserRegistered", "AccountOpened",  "TransferCreditFailed", "AccountSuspended", "",
        "moneydeposited", "MoneyDeposited2"};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        wf_notification_t n;
        const char *reason = NULL;
        assert_int_equal (s_map (events[i], "not json", &n, &reason), WF_NOTIFIER_MAP_IGNORED);
    }
}

//  Unreadable payloads of balance events are invalid, each with a reason.
static void
test_bad_payloads_are_invalid (void **state)
{
    char payload[1024];
    const char *bad[] = {
        "", "[]", "{\"ownerId\":", "{}", "{\"a\":1,\"a\":2}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wf_notification_t n;
        const char *reason = NULL;
        assert_int_equal (s_map ("MoneyDeposited", bad[i], &n, &reason), WF_NOTIFIER_MAP_INVALID);
        assert_non_null (reason);
    }
    static const struct {
        const char *amount, *currency, *balance;
    } fields[] = {{"100.5", "USD", "1"}, {"-1", "USD", "1"},
                  {"1", "USD", "true"},  {"\"1\"", "USD", "1"},
                  {"1", "usd", "1"},     {"1", "XAU", "1"},
                  {"1", "ZZZ", "1"},     {"1", "USD", "1e3"},
                  {"1", "USD", "null"},  {"1", "USD", "99999999999999999999"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        s_payload (payload, sizeof payload, fields[i].amount, fields[i].currency,
                   fields[i].balance);
        wf_notification_t n;
        const char *reason = NULL;
        assert_int_equal (s_map ("MoneyWithdrawn", payload, &n, &reason), WF_NOTIFIER_MAP_INVALID);
    }
}

//  Hold events map to HoldPlaced, HoldCaptured and HoldReleased, refunds to
//  Refund; a balance
//  below zero (an overdraft) is a valid newBalance.
static void
test_hold_events_and_negative_balances (void **state)
{
    static const struct {
        const char *event, *type;
    } cases[] = {{"HoldPlaced", "HoldPlaced"},   {"HoldCaptured", "HoldCaptured"},
                 {"HoldVoided", "HoldReleased"}, {"HoldExpired", "HoldReleased"},
                 {"DepositRefunded", "Refund"},  {"WithdrawalRefunded", "Refund"},
                 {"TransferReversed", "Refund"}};
    char payload[1024];
    s_payload (payload, sizeof payload, "150", "USD", "-5");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wf_notification_t n;
        const char *reason = NULL;
        assert_int_equal (s_map (cases[i].event, payload, &n, &reason), WF_NOTIFIER_MAP_OK);
        char type[64];
        snprintf (type, sizeof type, "{\"type\":\"%s\"", cases[i].type);
        assert_non_null (strstr (n.json, type));
        assert_non_null (strstr (n.json, "\"newBalance\":-0.05"));
    }
}

//  Ids must be tokens of bounded length: they become topics and JSON text.
static void
test_ids_are_bounded_tokens (void **state)
{
    char payload[1024], owner[80];
    wf_notification_t n;
    const char *reason = NULL;
    //  At the limit: accepted.
    memset (owner, 'a', WF_NOTIFIER_USER_ID_BYTES_MAX);
    owner[WF_NOTIFIER_USER_ID_BYTES_MAX] = 0;
    snprintf (payload, sizeof payload,
              "{\"transactionId\":\"t\",\"accountId\":\"a\",\"ownerId\":\"%s\",\"amount\":1,"
              "\"currency\":\"USD\",\"balanceAfter\":1,\"occurredAt\":\"" WHEN "\"}",
              owner);
    assert_int_equal (s_map ("MoneyDeposited", payload, &n, &reason), WF_NOTIFIER_MAP_OK);
    assert_string_equal (n.user_id, owner);
    //  One byte over: refused.
    owner[WF_NOTIFIER_USER_ID_BYTES_MAX] = 'a';
    owner[WF_NOTIFIER_USER_ID_BYTES_MAX + 1] = 0;
    snprintf (payload, sizeof payload,
              "{\"transactionId\":\"t\",\"accountId\":\"a\",\"ownerId\":\"%s\",\"amount\":1,"
              "\"currency\":\"USD\",\"balanceAfter\":1,\"occurredAt\":\"" WHEN "\"}",
              owner);
    assert_int_equal (s_map ("MoneyDeposited", payload, &n, &reason), WF_NOTIFIER_MAP_INVALID);
    //  Spaces, quotes, control characters and NUL escapes are not ids.
    const char *owners[] = {"a b", "a\\\"b", "a\\nb", "a\\u0000b", "", "a/b"};
    for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++) {
        snprintf (payload, sizeof payload,
                  "{\"transactionId\":\"t\",\"accountId\":\"a\",\"ownerId\":\"%s\",\"amount\":1,"
                  "\"currency\":\"USD\",\"balanceAfter\":1,\"occurredAt\":\"" WHEN "\"}",
                  owners[i]);
        assert_int_equal (s_map ("MoneyDeposited", payload, &n, &reason), WF_NOTIFIER_MAP_INVALID);
    }
    assert_true (wf_notifier_user_id_valid (OWNER, strlen (OWNER)));
    assert_false (wf_notifier_user_id_valid ("", 0));
    assert_false (wf_notifier_user_id_valid ("a\0b", 3));
}

//  The largest possible notification fits its buffer.
static void
test_largest_notification_fits (void **state)
{
    char id[WF_NOTIFIER_ID_BYTES_MAX + 1], when[WF_NOTIFIER_TIMESTAMP_BYTES_MAX + 1];
    char payload[2048];
    memset (id, 'f', sizeof id - 1);
    id[sizeof id - 1] = 0;
    memset (when, '9', sizeof when - 1);
    when[sizeof when - 1] = 0;
    snprintf (payload, sizeof payload,
              "{\"transactionId\":\"%s\",\"accountId\":\"%s\",\"ownerId\":\"%s\","
              "\"amount\":9223372036854775807,\"currency\":\"CLF\","
              "\"balanceAfter\":9223372036854775807,\"occurredAt\":\"%s\"}",
              id, id, id, when);
    wf_notification_t n;
    const char *reason = NULL;
    assert_int_equal (s_map ("TransferReceived", payload, &n, &reason), WF_NOTIFIER_MAP_OK);
    assert_true (n.json_len <= WF_NOTIFIER_NOTIFICATION_BYTES_MAX);
    assert_non_null (strstr (n.json, "\"amount\":922337203685477.5807,"));
}

//  SessionsRevoked becomes the revocation word on the user's topic; without
//  a valid userId it is invalid.
static void
test_sessions_revoked_is_a_control_message (void **state)
{
    wf_notification_t n;
    const char *reason = NULL;
    assert_int_equal (s_map ("SessionsRevoked",
                             "{\"userId\":\"" OWNER "\",\"familyId\":\"" TX
                             "\",\"reason\":\"logout\",\"occurredAt\":\"" WHEN "\"}",
                             &n, &reason),
                      WF_NOTIFIER_MAP_OK);
    assert_string_equal (n.user_id, OWNER);
    assert_string_equal (n.json, WF_NOTIFY_SESSIONS_REVOKED);
    assert_int_equal (n.json_len, strlen (WF_NOTIFY_SESSIONS_REVOKED));
    const char *bad[] = {"{}",
                         "[]",
                         "{\"userId\":7}",
                         "{\"userId\":\"\"}",
                         "{\"userId\":\"a b\"}",
                         "{\"ownerId\":\"" OWNER "\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reason = NULL;
        assert_int_equal (s_map ("SessionsRevoked", bad[i], &n, &reason), WF_NOTIFIER_MAP_INVALID);
        assert_non_null (reason);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_each_balance_event_maps_to_its_type),
        cmocka_unit_test (test_hold_events_and_negative_balances),
        cmocka_unit_test (test_scale_follows_the_currency),
        cmocka_unit_test (test_other_events_are_ignored),
        cmocka_unit_test (test_bad_payloads_are_invalid),
        cmocka_unit_test (test_ids_are_bounded_tokens),
        cmocka_unit_test (test_largest_notification_fits),
        cmocka_unit_test (test_sessions_revoked_is_a_control_message),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
