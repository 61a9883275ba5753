/*  wf_account_aggregate_test - the original's domain tests and every rule.

    The first eight tests are twins of the original WalletFlow domain tests;
    the rest cover each rule of issue 4 at N and N + 1, and replay.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "wf_account_testing.h"

static const wf_account_policy_t s_policy = {WF_DEPOSIT_MAJOR_UNITS_DEFAULT};

//  Decides and applies a deposit that must succeed.
static void
s_deposit (wf_account_t *account, int64_t amount)
{
    wf_account_cmd_t cmd = t_cmd (amount);
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), 0);
    wf_account_apply (account, &event);
}

//  Decides a withdrawal; applies it on success and returns the refusal code.
static wf_err_t
s_withdraw (wf_account_t *account, int64_t amount)
{
    wf_account_cmd_t cmd = t_cmd (amount);
    wf_account_event_t event;
    wf_account_refusal_t why = {WF_ERR_OK, NULL, NULL};
    if (wf_account_decide_withdraw (account, &cmd, &event, &why) != 0)
        return why.code;
    wf_account_apply (account, &event);
    return WF_ERR_OK;
}

//  Suspends an account, which must succeed.
static void
s_suspend (wf_account_t *account)
{
    wf_account_cmd_t cmd = t_cmd (0);
    cmd.reason = t_str ("fraud review");
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_suspend (account, &cmd, &event, &why), 0);
    wf_account_apply (account, &event);
}

//  Returns the account balance in minor units.
static int64_t
s_balance (const wf_account_t *account)
{
    return wf_account_state (account)->balance;
}

//  Twin: creating an account raises one AccountOpened and it is Active.
static void
test_create_raises_account_opened_and_is_active (void **state)
{
    char id[WF_UUID_BYTES], owner[WF_UUID_BYTES], number[WF_ACCOUNT_NUMBER_BYTES];
    wf_account_open_t cmd = t_open_cmd (1, "ARS", id, owner, number);
    wf_account_t *account = wf_account_new ();
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_open (account, &cmd, &event, &why), 0);
    assert_int_equal (event.type, WF_ACCOUNT_EVENT_OPENED);
    assert_string_equal (event.account_id, id);
    assert_string_equal (event.owner_id, owner);
    assert_string_equal (event.account_number, number);
    assert_string_equal (event.currency, "ARS");
    assert_int_equal (event.occurred_at_ms, T_NOW_MS);
    assert_int_equal (wf_account_state (account)->version, 0); //  decide did not apply
    wf_account_apply (account, &event);
    const wf_account_state_t *after = wf_account_state (account);
    assert_int_equal (after->status, WF_ACCOUNT_STATUS_ACTIVE);
    assert_string_equal (wf_account_status_name (after->status), "Active");
    assert_int_equal (after->balance, 0);
    assert_int_equal (after->version, 1);
    assert_int_equal (after->digits, 2);
    assert_int_equal (after->created_at_ms, T_NOW_MS);
    wf_account_destroy (&account);
    assert_null (account);
    wf_account_destroy (&account);
}

//  Twin: deposit 1000 gives balance 1000 and one event.
static void
test_deposit_1000_sets_balance_and_raises_one_event (void **state)
{
    wf_account_t *account = t_open (1, "ARS");
    wf_account_cmd_t cmd = t_cmd (1000);
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), 0);
    assert_int_equal (event.type, WF_ACCOUNT_EVENT_DEPOSITED);
    assert_int_equal (event.amount, 1000);
    assert_memory_equal (event.transaction_id, cmd.transaction_id.ptr, WF_UUID_LEN);
    assert_string_equal (event.description, "test");
    wf_account_apply (account, &event);
    assert_int_equal (s_balance (account), 1000);
    assert_int_equal (wf_account_state (account)->version, 2);
    wf_account_destroy (&account);
}

//  Twin: deposit 1000, withdraw 400 leaves 600.
static void
test_deposit_1000_withdraw_400_leaves_600 (void **state)
{
    wf_account_t *account = t_open (1, "ARS");
    s_deposit (account, 1000);
    assert_int_equal (s_withdraw (account, 400), WF_ERR_OK);
    assert_int_equal (s_balance (account), 600);
    wf_account_destroy (&account);
}

//  Twin: withdrawing 100 from an empty account is refused for funds.
static void
test_withdraw_100_from_empty_account_is_insufficient_funds (void **state)
{
    wf_account_t *account = t_open (1, "ARS");
    assert_int_equal (s_withdraw (account, 100), WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_balance (account), 0);
    assert_int_equal (wf_account_state (account)->version, 1);
    wf_account_destroy (&account);
}

//  Twin: a negative (or zero) amount is refused by every money command.
static void
test_negative_amount_is_refused (void **state)
{
    wf_account_t *account = t_open (1, "ARS");
    s_deposit (account, 1000);
    char other[WF_UUID_BYTES];
    t_uuid (2, other);
    int64_t amounts[] = {-100, 0, INT64_MIN};
    for (size_t i = 0; i < 3; i++) {
        wf_account_cmd_t cmd = t_cmd (amounts[i]);
        cmd.counterparty_id = t_str (other);
        cmd.currency = t_str ("ARS");
        wf_account_event_t event;
        wf_account_refusal_t why;
        assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), -1);
        assert_int_equal (why.code, WF_ERR_VALIDATION);
        assert_string_equal (why.field, "amount");
        assert_int_equal (wf_account_decide_withdraw (account, &cmd, &event, &why), -1);
        assert_int_equal (why.code, WF_ERR_VALIDATION);
        assert_int_equal (wf_account_decide_transfer (account, &cmd, &event, &why), -1);
        assert_int_equal (why.code, WF_ERR_VALIDATION);
        assert_int_equal (wf_account_decide_receive (account, &cmd, &event, &why), -1);
        assert_int_equal (why.code, WF_ERR_VALIDATION);
        assert_int_equal (wf_account_decide_refund (account, &cmd, &event, &why), -1);
        assert_int_equal (why.code, WF_ERR_VALIDATION);
    }
    assert_int_equal (s_balance (account), 1000);
    wf_account_destroy (&account);
}

//  Twin: transferring 300 of 1000 leaves 700 with the sender, 300 with the receiver.
static void
test_transfer_300_of_1000_leaves_700_and_300 (void **state)
{
    wf_account_t *sender = t_open (1, "ARS");
    wf_account_t *receiver = t_open (2, "ARS");
    s_deposit (sender, 1000);
    wf_account_cmd_t cmd = t_cmd (300);
    cmd.counterparty_id = t_str (wf_account_state (receiver)->id);
    wf_account_event_t sent, received;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_transfer (sender, &cmd, &sent, &why), 0);
    assert_int_equal (sent.type, WF_ACCOUNT_EVENT_TRANSFER_SENT);
    assert_string_equal (sent.counterparty_id, wf_account_state (receiver)->id);
    wf_account_apply (sender, &sent);
    //  The credit leg, as the destination shard decides it from the outbox row.
    wf_account_cmd_t credit = cmd;
    credit.counterparty_id = t_str (wf_account_state (sender)->id);
    credit.currency = t_str ("ARS");
    assert_int_equal (wf_account_decide_receive (receiver, &credit, &received, &why), 0);
    assert_int_equal (received.type, WF_ACCOUNT_EVENT_TRANSFER_RECEIVED);
    assert_string_equal (received.transaction_id, sent.transaction_id);
    wf_account_apply (receiver, &received);
    assert_int_equal (s_balance (sender), 700);
    assert_int_equal (s_balance (receiver), 300);
    wf_account_destroy (&sender);
    wf_account_destroy (&receiver);
}

//  Twin: suspending makes the account Suspended.
static void
test_suspend_makes_account_suspended (void **state)
{
    wf_account_t *account = t_open (1, "ARS");
    s_suspend (account);
    assert_int_equal (wf_account_state (account)->status, WF_ACCOUNT_STATUS_SUSPENDED);
    assert_string_equal (wf_account_status_name (wf_account_state (account)->status), "Suspended");
    wf_account_destroy (&account);
}

//  Twin: a suspended account refuses a withdrawal as "not active", even one
//  that would also fail the funds check; deposits and transfers too.
static void
test_withdraw_from_suspended_account_is_not_active_before_funds (void **state)
{
    wf_account_t *account = t_open (1, "ARS");
    s_deposit (account, 1000);
    s_suspend (account);
    assert_int_equal (s_withdraw (account, 5000), WF_ERR_ACCOUNT_NOT_ACTIVE);
    assert_int_equal (s_withdraw (account, 10), WF_ERR_ACCOUNT_NOT_ACTIVE);
    wf_account_cmd_t cmd = t_cmd (10);
    char other[WF_UUID_BYTES];
    t_uuid (2, other);
    cmd.counterparty_id = t_str (other);
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_ACCOUNT_NOT_ACTIVE);
    assert_int_equal (wf_account_decide_transfer (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_ACCOUNT_NOT_ACTIVE);
    assert_int_equal (s_balance (account), 1000);
    wf_account_destroy (&account);
}

//  Withdrawing the exact balance is fine; one more unit is not.
static void
test_withdraw_exact_balance_is_ok (void **state)
{
    wf_account_t *account = t_open (1, "ARS");
    s_deposit (account, 1000);
    assert_int_equal (s_withdraw (account, 1001), WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_withdraw (account, 1000), WF_ERR_OK);
    assert_int_equal (s_balance (account), 0);
    assert_int_equal (s_withdraw (account, 1), WF_ERR_INSUFFICIENT_FUNDS);
    wf_account_destroy (&account);
}

//  A deposit at the maximum passes; one minor unit more is refused, per
//  currency scale and per configured limit.
static void
test_deposit_at_max_ok_and_max_plus_one_refused (void **state)
{
    static const struct {
        const char *currency;
        int64_t major_units_max, max_minor;
    } cases[] = {{"USD", WF_DEPOSIT_MAJOR_UNITS_DEFAULT, 100000000},
                 {"JPY", WF_DEPOSIT_MAJOR_UNITS_DEFAULT, 1000000},
                 {"KWD", WF_DEPOSIT_MAJOR_UNITS_DEFAULT, 1000000000},
                 {"ARS", 5, 500}};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        wf_account_t *account = t_open (1, cases[i].currency);
        wf_account_policy_t policy = {cases[i].major_units_max};
        wf_account_event_t event;
        wf_account_refusal_t why;
        wf_account_cmd_t cmd = t_cmd (cases[i].max_minor + 1);
        assert_int_equal (wf_account_decide_deposit (account, &policy, &cmd, &event, &why), -1);
        assert_int_equal (why.code, WF_ERR_VALIDATION);
        assert_string_equal (why.field, "amount");
        cmd = t_cmd (cases[i].max_minor);
        assert_int_equal (wf_account_decide_deposit (account, &policy, &cmd, &event, &why), 0);
        wf_account_apply (account, &event);
        assert_int_equal (s_balance (account), cases[i].max_minor);
        wf_account_destroy (&account);
    }
}

//  Restores account 1 in USD with a balance and held amount, for edge cases.
static wf_account_t *
s_restored (int64_t balance, int64_t held)
{
    wf_account_t *model = t_open (1, "USD");
    wf_account_state_t snapshot = *wf_account_state (model);
    snapshot.balance = balance;
    snapshot.held = held;
    snapshot.version = 42;
    if (held > 0) {
        //  held is the sum of the open holds: one hold of it all.
        t_uuid (0x50000000u, snapshot.holds[0].id);
        snapshot.holds[0].amount = held;
        snapshot.holds[0].expires_at_ms = T_NOW_MS + 60000;
        snapshot.holds_count = 1;
    }
    const char *problem = NULL;
    assert_int_equal (wf_account_restore (model, &snapshot, &problem), 0);
    return model;
}

//  Credits that would pass INT64_MAX are refused; up to it they pass.
static void
test_credit_overflow_is_refused (void **state)
{
    wf_account_t *account = s_restored (INT64_MAX - 10, 0);
    wf_account_policy_t policy = {WF_DEPOSIT_MAJOR_UNITS_LIMIT};
    wf_account_event_t event;
    wf_account_refusal_t why;
    wf_account_cmd_t cmd = t_cmd (11);
    assert_int_equal (wf_account_decide_deposit (account, &policy, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_UNPROCESSABLE);
    char other[WF_UUID_BYTES];
    t_uuid (2, other);
    cmd.counterparty_id = t_str (other);
    cmd.currency = t_str ("USD");
    assert_int_equal (wf_account_decide_receive (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_UNPROCESSABLE);
    assert_int_equal (wf_account_decide_refund (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_UNPROCESSABLE);
    cmd = t_cmd (10);
    assert_int_equal (wf_account_decide_deposit (account, &policy, &cmd, &event, &why), 0);
    wf_account_apply (account, &event);
    assert_int_equal (s_balance (account), INT64_MAX);
    cmd = t_cmd (1);
    assert_int_equal (wf_account_decide_deposit (account, &policy, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_UNPROCESSABLE);
    assert_int_equal (s_withdraw (account, INT64_MAX), WF_ERR_OK);
    assert_int_equal (s_balance (account), 0);
    wf_account_destroy (&account);
}

//  A given currency must be the account's; malformed or unknown codes are
//  validation errors; the credit leg requires the sender's currency.
static void
test_currency_mismatch_is_refused (void **state)
{
    wf_account_t *account = t_open (1, "USD");
    s_deposit (account, 1000);
    static const struct {
        const char *currency;
        wf_err_t code;
    } cases[] = {{"USD", WF_ERR_OK},
                 {"", WF_ERR_OK},
                 {"EUR", WF_ERR_CURRENCY_MISMATCH},
                 {"usd", WF_ERR_VALIDATION},
                 {"XAU", WF_ERR_VALIDATION},
                 {"ABC", WF_ERR_VALIDATION}};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        wf_account_cmd_t cmd = t_cmd (1);
        cmd.currency = t_str (cases[i].currency);
        wf_account_event_t event;
        wf_account_refusal_t why = {WF_ERR_OK, NULL, NULL};
        wf_account_decide_withdraw (account, &cmd, &event, &why);
        assert_int_equal (why.code, cases[i].code);
        why.code = WF_ERR_OK;
        wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why);
        assert_int_equal (why.code, cases[i].code);
        if (cases[i].code != WF_ERR_OK)
            assert_string_equal (why.field, "currency");
    }
    wf_account_cmd_t cmd = t_cmd (1);
    char other[WF_UUID_BYTES];
    t_uuid (2, other);
    cmd.counterparty_id = t_str (other);
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_receive (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_VALIDATION); //  no currency on a credit leg
    cmd.currency = t_str ("EUR");
    assert_int_equal (wf_account_decide_receive (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_CURRENCY_MISMATCH);
    assert_int_equal (wf_account_decide_transfer (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_CURRENCY_MISMATCH);
    wf_account_destroy (&account);
}

//  A transfer to the same account is unprocessable, whatever the funds.
static void
test_transfer_to_itself_is_unprocessable (void **state)
{
    wf_account_t *account = t_open (1, "USD");
    wf_account_cmd_t cmd = t_cmd (5000);
    cmd.counterparty_id = t_str (wf_account_state (account)->id);
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_transfer (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_UNPROCESSABLE);
    assert_string_equal (why.field, "destinationAccountId");
    cmd.counterparty_id = t_str ("not-a-uuid");
    assert_int_equal (wf_account_decide_transfer (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_VALIDATION);
    wf_account_destroy (&account);
}

//  The saga's unhappy path: the destination refuses the credit (suspended),
//  and the refund returns the money even though the sender is suspended now.
static void
test_refused_credit_is_refunded_in_any_status (void **state)
{
    wf_account_t *sender = t_open (1, "USD");
    wf_account_t *receiver = t_open (2, "USD");
    s_deposit (sender, 1000);
    s_suspend (receiver);
    wf_account_cmd_t cmd = t_cmd (300);
    cmd.counterparty_id = t_str (wf_account_state (receiver)->id);
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_transfer (sender, &cmd, &event, &why), 0);
    wf_account_apply (sender, &event);
    wf_account_cmd_t credit = cmd;
    credit.counterparty_id = t_str (wf_account_state (sender)->id);
    credit.currency = t_str ("USD");
    assert_int_equal (wf_account_decide_receive (receiver, &credit, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_ACCOUNT_NOT_ACTIVE);
    s_suspend (sender);
    wf_account_cmd_t refund = cmd;
    refund.reason = t_str ("destination account is not active");
    assert_int_equal (wf_account_decide_refund (sender, &refund, &event, &why), 0);
    assert_int_equal (event.type, WF_ACCOUNT_EVENT_TRANSFER_REFUNDED);
    assert_string_equal (event.reason, "destination account is not active");
    wf_account_apply (sender, &event);
    assert_int_equal (s_balance (sender), 1000);
    assert_int_equal (s_balance (receiver), 0);
    wf_account_destroy (&sender);
    wf_account_destroy (&receiver);
}

//  Suspend needs a reason and an Active account; reactivate needs a Suspended one.
static void
test_suspend_and_reactivate_rules (void **state)
{
    wf_account_t *account = t_open (1, "USD");
    wf_account_cmd_t cmd = t_cmd (0);
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_suspend (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_VALIDATION);
    assert_string_equal (why.field, "reason");
    assert_int_equal (wf_account_decide_reactivate (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_UNPROCESSABLE);
    s_suspend (account);
    cmd.reason = t_str ("again");
    assert_int_equal (wf_account_decide_suspend (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_ACCOUNT_NOT_ACTIVE);
    assert_int_equal (wf_account_decide_reactivate (account, &cmd, &event, &why), 0);
    assert_int_equal (event.type, WF_ACCOUNT_EVENT_REACTIVATED);
    wf_account_apply (account, &event);
    assert_int_equal (wf_account_state (account)->status, WF_ACCOUNT_STATUS_ACTIVE);
    s_deposit (account, 5);
    assert_int_equal (s_balance (account), 5);
    wf_account_destroy (&account);
}

//  Opening checks its inputs and happens once; nothing else works before it.
static void
test_open_rules_and_unopened_account (void **state)
{
    char id[WF_UUID_BYTES], owner[WF_UUID_BYTES], number[WF_ACCOUNT_NUMBER_BYTES];
    wf_account_open_t cmd = t_open_cmd (1, "USD", id, owner, number);
    wf_account_t *account = wf_account_new ();
    wf_account_event_t event;
    wf_account_refusal_t why;
    wf_account_open_t bad = cmd;
    bad.currency = t_str ("XAU");
    assert_int_equal (wf_account_decide_open (account, &bad, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_VALIDATION);
    bad = cmd;
    bad.account_number = t_str ("WF-20261126-1A2B3C4D-A");
    assert_int_equal (wf_account_decide_open (account, &bad, &event, &why), -1);
    assert_string_equal (why.field, "accountNumber");
    bad = cmd;
    bad.owner_id = t_str ("00000000-0000-4000-8000-00000000000A"); //  upper case
    assert_int_equal (wf_account_decide_open (account, &bad, &event, &why), -1);
    assert_string_equal (why.field, "ownerId");
    assert_int_equal (s_withdraw (account, 1), WF_ERR_NOT_FOUND);
    assert_int_equal (wf_account_decide_open (account, &cmd, &event, &why), 0);
    wf_account_apply (account, &event);
    assert_int_equal (wf_account_decide_open (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_CONFLICT);
    wf_account_destroy (&account);
}

//  Descriptions: up to the byte limit, valid UTF-8, no NUL.
static void
test_description_limits (void **state)
{
    wf_account_t *account = t_open (1, "USD");
    char text[WF_ACCOUNT_TEXT_BYTES_MAX + 2];
    memset (text, 'x', sizeof text);
    wf_account_cmd_t cmd = t_cmd (1);
    cmd.description = (wf_str_t){text, WF_ACCOUNT_TEXT_BYTES_MAX};
    wf_account_event_t event;
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), 0);
    assert_int_equal (strlen (event.description), WF_ACCOUNT_TEXT_BYTES_MAX);
    cmd.description.len++;
    assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), -1);
    assert_string_equal (why.field, "description");
    cmd.description = (wf_str_t){"caf\xc3", 4};
    assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), -1);
    cmd.description = (wf_str_t){"a\0b", 3};
    assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), -1);
    cmd.description = (wf_str_t){NULL, 0};
    assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), 0);
    assert_string_equal (event.description, "");
    wf_account_destroy (&account);
}

//  A refused command changes neither the account nor the event buffer.
static void
test_refusal_leaves_state_and_event_untouched (void **state)
{
    wf_account_t *account = t_open (1, "USD");
    s_deposit (account, 100);
    wf_account_t *before = wf_account_new ();
    wf_account_copy (before, account);
    wf_account_event_t event, sentinel;
    memset (&event, 0xA5, sizeof event);
    memset (&sentinel, 0xA5, sizeof sentinel);
    wf_account_cmd_t cmd = t_cmd (101);
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_withdraw (account, &cmd, &event, &why), -1);
    assert_memory_equal (&event, &sentinel, sizeof event);
    assert_true (wf_account_equal (account, before));
    assert_non_null (why.detail);
    wf_account_destroy (&before);
    wf_account_destroy (&account);
}

//  Debits check the available balance (balance - held), room for holds.
static void
test_debits_use_the_available_balance (void **state)
{
    wf_account_t *account = s_restored (1000, 400);
    assert_int_equal (wf_account_available (account), 600);
    assert_int_equal (s_withdraw (account, 601), WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_withdraw (account, 600), WF_ERR_OK);
    assert_int_equal (s_balance (account), 400);
    wf_account_destroy (&account);
}

//  Snapshots that break an invariant are refused and change nothing.
static void
test_restore_refuses_broken_state (void **state)
{
    wf_account_t *account = t_open (1, "USD");
    const wf_account_state_t good = *wf_account_state (account);
    wf_account_state_t bad[8];
    for (int i = 0; i < 8; i++)
        bad[i] = good;
    bad[0].balance = -1;
    bad[1].held = 1;
    bad[2].digits = 3;
    bad[3].status = WF_ACCOUNT_STATUS_NONE;
    bad[4].version = 0;
    bad[5].id[0] = 'X';
    bad[6].number[21] = bad[6].number[21] == '0' ? '1' : '0';
    memset (bad[7].currency, 'A', sizeof bad[7].currency); //  not terminated
    for (int i = 0; i < 8; i++) {
        const char *problem = NULL;
        assert_int_equal (wf_account_restore (account, &bad[i], &problem), -1);
        assert_non_null (problem);
        assert_int_equal (memcmp (wf_account_state (account), &good, sizeof good), 0);
    }
    wf_account_destroy (&account);
}

//  Replaying the events of a random history gives the incremental state.
static void
test_replay_of_n_events_equals_incremental_state (void **state)
{
    enum { EVENTS = 2000 };
    wf_account_event_t *events = calloc (EVENTS, sizeof (wf_account_event_t));
    char id[WF_UUID_BYTES], owner[WF_UUID_BYTES], number[WF_ACCOUNT_NUMBER_BYTES];
    wf_account_open_t open = t_open_cmd (7, "KWD", id, owner, number);
    wf_account_t *live = wf_account_new ();
    wf_account_refusal_t why;
    assert_int_equal (wf_account_decide_open (live, &open, &events[0], &why), 0);
    wf_account_apply (live, &events[0]);
    size_t count = 1;
    srand (4);
    while (count < EVENTS)
        count += t_random_step (live, &events[count]);
    wf_account_t *replayed = wf_account_new ();
    for (size_t i = 0; i < count; i++)
        wf_account_apply (replayed, &events[i]);
    assert_true (wf_account_equal (live, replayed));
    assert_int_equal (wf_account_state (replayed)->version, EVENTS);
    wf_account_destroy (&live);
    wf_account_destroy (&replayed);
    free (events);
}

//  Applying an event that breaks an invariant aborts (asserts stay on).
static void
test_apply_asserts_invariants (void **state)
{
    wf_account_t *account = t_open (1, "USD");
    wf_account_event_t overdraw = {.type = WF_ACCOUNT_EVENT_WITHDRAWN, .amount = 1};
    fflush (NULL);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        fclose (stderr); //  keep the expected assertion message out of the log
        wf_account_apply (account, &overdraw);
        _exit (0);
    }
    int status = 0;
    assert_int_equal (waitpid (child, &status, 0), child);
    assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGABRT);
    wf_account_destroy (&account);
}

//  Runs every test of this class.
//  Places a hold of `amount` (id from n, no destination, due in 60 s); returns
//  the refusal code.
static wf_err_t
s_hold (wf_account_t *account, unsigned n, int64_t amount)
{
    static char ids[8][WF_UUID_BYTES];
    t_uuid (0x60000000u + n, ids[n % 8]);
    wf_account_cmd_t cmd = t_cmd (amount);
    cmd.hold_id = t_str (ids[n % 8]);
    cmd.expires_at_ms = T_NOW_MS + 60000;
    wf_account_event_t event;
    wf_account_refusal_t why = {WF_ERR_OK, NULL, NULL};
    if (wf_account_decide_hold (account, &cmd, &event, &why) != 0)
        return why.code;
    wf_account_apply (account, &event);
    return WF_ERR_OK;
}

//  Runs capture (kind 0), void (1) or expire (2) on hold n at now_ms.
static wf_err_t
s_close (wf_account_t *account, unsigned n, int kind, int64_t amount, int64_t now_ms)
{
    char id[WF_UUID_BYTES];
    t_uuid (0x60000000u + n, id);
    wf_account_cmd_t cmd = t_cmd (amount);
    cmd.hold_id = t_str (id);
    cmd.now_ms = now_ms;
    wf_account_event_t event;
    wf_account_refusal_t why = {WF_ERR_OK, NULL, NULL};
    int rc = kind == 0   ? wf_account_decide_capture (account, &cmd, &event, &why)
             : kind == 1 ? wf_account_decide_void (account, &cmd, &event, &why)
                         : wf_account_decide_expire (account, &cmd, &event, &why);
    if (rc != 0)
        return why.code;
    wf_account_apply (account, &event);
    return WF_ERR_OK;
}

//  A hold lowers available, not the balance; debits see it; a capture, void
//  or expiry releases it exactly once; a capture is bounded by the hold.
static void
test_holds_reserve_and_release (void **state)
{
    wf_account_t *account = s_restored (1000, 0);
    assert_int_equal (s_hold (account, 1, 1001), WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_hold (account, 1, 0), WF_ERR_VALIDATION);
    assert_int_equal (s_hold (account, 1, 600), WF_ERR_OK);
    assert_int_equal (s_hold (account, 1, 1), WF_ERR_CONFLICT); //  same id twice
    assert_int_equal (s_balance (account), 1000);
    assert_int_equal (wf_account_available (account), 400);
    assert_int_equal (s_withdraw (account, 401), WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_hold (account, 2, 401), WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_hold (account, 2, 100), WF_ERR_OK);
    assert_int_equal (s_close (account, 1, 0, 601, T_NOW_MS), WF_ERR_UNPROCESSABLE);
    assert_int_equal (s_close (account, 1, 0, 600, T_NOW_MS + 60000), WF_ERR_UNPROCESSABLE);
    assert_int_equal (s_close (account, 1, 0, 250, T_NOW_MS), WF_ERR_OK);
    //  The capture released the whole hold; the debit is the caller's next event.
    assert_int_equal (wf_account_state (account)->held, 100);
    assert_int_equal (s_close (account, 1, 0, 1, T_NOW_MS), WF_ERR_UNPROCESSABLE);
    assert_int_equal (s_close (account, 1, 1, 0, T_NOW_MS), WF_ERR_UNPROCESSABLE);
    assert_int_equal (s_close (account, 2, 2, 0, T_NOW_MS + 59999), WF_ERR_UNPROCESSABLE);
    assert_int_equal (s_close (account, 2, 2, 0, T_NOW_MS + 60000), WF_ERR_OK);
    assert_int_equal (s_close (account, 2, 1, 0, T_NOW_MS), WF_ERR_UNPROCESSABLE);
    assert_int_equal (wf_account_available (account), 1000);
    assert_int_equal (s_hold (account, 3, 10), WF_ERR_OK);
    s_suspend (account);
    assert_int_equal (s_close (account, 3, 0, 0, T_NOW_MS), WF_ERR_ACCOUNT_NOT_ACTIVE);
    assert_int_equal (s_close (account, 3, 1, 0, T_NOW_MS), WF_ERR_OK); //  void in any status
    assert_int_equal (wf_account_state (account)->holds_count, 0);
    wf_account_destroy (&account);
}

//  At most WF_ACCOUNT_HOLDS_OPEN_MAX open holds; expiry bounds checked.
static void
test_hold_limits (void **state)
{
    wf_account_t *account = s_restored (1000, 0);
    for (unsigned i = 0; i < WF_ACCOUNT_HOLDS_OPEN_MAX; i++) {
        char id[WF_UUID_BYTES];
        t_uuid (0x61000000u + i, id);
        wf_account_cmd_t cmd = t_cmd (1);
        cmd.hold_id = t_str (id);
        cmd.expires_at_ms = T_NOW_MS + 1000;
        wf_account_event_t event;
        wf_account_refusal_t why;
        assert_int_equal (wf_account_decide_hold (account, &cmd, &event, &why), 0);
        wf_account_apply (account, &event);
    }
    assert_int_equal (s_hold (account, 1, 1), WF_ERR_UNPROCESSABLE);
    wf_account_destroy (&account);
    account = s_restored (1000, 0);
    wf_account_cmd_t cmd = t_cmd (1);
    cmd.hold_id = t_next_transaction_id ();
    wf_account_event_t event;
    wf_account_refusal_t why;
    cmd.expires_at_ms = T_NOW_MS;
    assert_int_equal (wf_account_decide_hold (account, &cmd, &event, &why), -1);
    cmd.expires_at_ms = T_NOW_MS + (int64_t) WF_ACCOUNT_HOLD_SECONDS_MAX * 1000 + 1;
    assert_int_equal (wf_account_decide_hold (account, &cmd, &event, &why), -1);
    assert_int_equal (why.code, WF_ERR_VALIDATION);
    cmd.expires_at_ms = T_NOW_MS + (int64_t) WF_ACCOUNT_HOLD_SECONDS_MAX * 1000;
    assert_int_equal (wf_account_decide_hold (account, &cmd, &event, &why), 0);
    wf_account_destroy (&account);
}

//  Sets the overdraft limit; returns the refusal code.
static wf_err_t
s_limit (wf_account_t *account, int64_t limit)
{
    wf_account_cmd_t cmd = t_cmd (0);
    cmd.overdraft_limit = limit;
    wf_account_event_t event;
    wf_account_refusal_t why = {WF_ERR_OK, NULL, NULL};
    if (wf_account_decide_overdraft (account, &cmd, &event, &why) != 0)
        return why.code;
    wf_account_apply (account, &event);
    return WF_ERR_OK;
}

//  The overdraft limit: debits and holds may take available down to -limit,
//  never further; the limit cannot drop below what is used.
static void
test_overdraft_limit (void **state)
{
    wf_account_t *account = s_restored (100, 0);
    assert_int_equal (s_limit (account, -1), WF_ERR_VALIDATION);
    assert_int_equal (s_limit (account, 100000000 + 1), WF_ERR_VALIDATION); //  USD: 1e6 major
    assert_int_equal (s_limit (account, 100000000), WF_ERR_OK);
    assert_int_equal (s_limit (account, 50), WF_ERR_OK);
    assert_int_equal (s_withdraw (account, 151), WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_withdraw (account, 120), WF_ERR_OK);
    assert_int_equal (s_balance (account), -20);
    assert_int_equal (s_hold (account, 1, 31), WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_hold (account, 1, 30), WF_ERR_OK);
    assert_int_equal (wf_account_available (account), -50);
    assert_int_equal (s_withdraw (account, 1), WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_limit (account, 49), WF_ERR_UNPROCESSABLE);
    assert_int_equal (s_limit (account, 50), WF_ERR_OK);
    s_deposit (account, 70);
    assert_int_equal (s_limit (account, 0), WF_ERR_OK);
    assert_int_equal (wf_account_available (account), 20);
    wf_account_destroy (&account);
}

//  Decides a refund of `type`; applies it on success; returns the code.
static wf_err_t
s_refund_of (wf_account_t *account, wf_account_event_type_t type, int64_t amount)
{
    char other[WF_UUID_BYTES];
    t_uuid (0x0EEEEEEEu, other);
    wf_account_cmd_t cmd = t_cmd (amount);
    cmd.original_id = t_next_transaction_id ();
    cmd.counterparty_id = t_str (other);
    wf_account_event_t event;
    wf_account_refusal_t why = {WF_ERR_OK, NULL, NULL};
    if (wf_account_decide_refund_of (account, type, &cmd, &event, &why) != 0)
        return why.code;
    wf_account_apply (account, &event);
    return WF_ERR_OK;
}

//  Refunds: deposit refunds and reversals are debits (Active, funds), a
//  withdrawal refund is a credit accepted in any status.
static void
test_refunds_are_debits_or_credits (void **state)
{
    wf_account_t *account = s_restored (100, 0);
    assert_int_equal (s_refund_of (account, WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED, 101),
                      WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_refund_of (account, WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED, 60), WF_ERR_OK);
    assert_int_equal (s_refund_of (account, WF_ACCOUNT_EVENT_TRANSFER_REVERSED, 41),
                      WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_refund_of (account, WF_ACCOUNT_EVENT_TRANSFER_REVERSED, 40), WF_ERR_OK);
    assert_int_equal (s_balance (account), 0);
    assert_int_equal (s_refund_of (account, WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED, 0),
                      WF_ERR_VALIDATION);
    s_suspend (account);
    assert_int_equal (s_refund_of (account, WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED, 25), WF_ERR_OK);
    assert_int_equal (s_refund_of (account, WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED, 1),
                      WF_ERR_ACCOUNT_NOT_ACTIVE);
    assert_int_equal (s_balance (account), 25);
    wf_account_destroy (&account);
}

//  Metadata: a bounded object of short strings, stored canonically.
static void
test_metadata_rules (void **state)
{
    wf_account_t *account = s_restored (1000, 0);
    wf_account_cmd_t cmd = t_cmd (10);
    wf_account_event_t event;
    wf_account_refusal_t why;
    cmd.metadata = t_str ("{\"z\":\"1\", \"orderId\":\"A-1\"}");
    assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), 0);
    assert_string_equal (event.metadata, "{\"orderId\":\"A-1\",\"z\":\"1\"}");
    char many[2048] = "{";
    for (int i = 0; i <= WF_ACCOUNT_METADATA_KEYS_MAX; i++)
        snprintf (many + strlen (many), sizeof many - strlen (many), "%s\"k%d\":\"v\"",
                  i ? "," : "", i);
    strcat (many, "}");
    char long_key[128], long_value[256];
    snprintf (long_key, sizeof long_key, "{\"%041d\":\"v\"}", 0);
    snprintf (long_value, sizeof long_value, "{\"k\":\"%0129d\"}", 0);
    const char *bad[] = {"[]",
                         "\"x\"",
                         "{\"k\":1}",
                         "{\"k\":null}",
                         "{\"a b\":\"v\"}",
                         "{\"\":\"v\"}",
                         "{\"k\":\"a\\u0001\"}",
                         "{\"k\":\"v\",\"k\":\"w\"}",
                         "{",
                         many,
                         long_key,
                         long_value};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cmd.metadata = t_str (bad[i]);
        assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), -1);
        assert_int_equal (why.code, WF_ERR_VALIDATION);
        assert_string_equal (why.field, "metadata");
    }
    //  At the limits: 16 keys, a 40-byte key, a 128-byte value.
    many[strlen (many) - 1] = 0;
    *strrchr (many, ',') = 0;
    strcat (many, "}");
    snprintf (long_key, sizeof long_key, "{\"%040d\":\"v\"}", 0);
    snprintf (long_value, sizeof long_value, "{\"k\":\"%0128d\"}", 0);
    const char *good[] = {many, long_key, long_value, "{}"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cmd.metadata = t_str (good[i]);
        assert_int_equal (wf_account_decide_deposit (account, &s_policy, &cmd, &event, &why), 0);
    }
    wf_account_destroy (&account);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_create_raises_account_opened_and_is_active),
        cmocka_unit_test (test_deposit_1000_sets_balance_and_raises_one_event),
        cmocka_unit_test (test_deposit_1000_withdraw_400_leaves_600),
        cmocka_unit_test (test_withdraw_100_from_empty_account_is_insufficient_funds),
        cmocka_unit_test (test_negative_amount_is_refused),
        cmocka_unit_test (test_transfer_300_of_1000_leaves_700_and_300),
        cmocka_unit_test (test_suspend_makes_account_suspended),
        cmocka_unit_test (test_withdraw_from_suspended_account_is_not_active_before_funds),
        cmocka_unit_test (test_withdraw_exact_balance_is_ok),
        cmocka_unit_test (test_deposit_at_max_ok_and_max_plus_one_refused),
        cmocka_unit_test (test_credit_overflow_is_refused),
        cmocka_unit_test (test_currency_mismatch_is_refused),
        cmocka_unit_test (test_transfer_to_itself_is_unprocessable),
        cmocka_unit_test (test_refused_credit_is_refunded_in_any_status),
        cmocka_unit_test (test_suspend_and_reactivate_rules),
        cmocka_unit_test (test_open_rules_and_unopened_account),
        cmocka_unit_test (test_description_limits),
        cmocka_unit_test (test_refusal_leaves_state_and_event_untouched),
        cmocka_unit_test (test_debits_use_the_available_balance),
        cmocka_unit_test (test_restore_refuses_broken_state),
        cmocka_unit_test (test_replay_of_n_events_equals_incremental_state),
        cmocka_unit_test (test_apply_asserts_invariants),
        cmocka_unit_test (test_holds_reserve_and_release),
        cmocka_unit_test (test_hold_limits),
        cmocka_unit_test (test_overdraft_limit),
        cmocka_unit_test (test_refunds_are_debits_or_credits),
        cmocka_unit_test (test_metadata_rules),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
