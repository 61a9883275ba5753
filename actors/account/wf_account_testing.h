/*  wf_account_testing - helpers shared by the account tests.

    Not part of the library: included by the test executables only. Ids are
    deterministic UUID-shaped strings, so failures are reproducible.
*/
#ifndef WF_ACCOUNT_TESTING_H_INCLUDED
#define WF_ACCOUNT_TESTING_H_INCLUDED

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wf_account_aggregate.h"

#define T_NOW_MS 1795651200000LL //  2026-11-26T00:00:00Z

//  Slice of a C string.
static inline wf_str_t
t_str (const char *text)
{
    return (wf_str_t){text, text ? strlen (text) : 0};
}

//  Writes the n-th test UUID.
static inline void
t_uuid (unsigned n, char out[WF_UUID_BYTES])
{
    snprintf (out, WF_UUID_BYTES, "%08x-0000-4000-8000-%012x", n, n);
}

//  Returns a fresh transaction id from a ring, valid for the next 63 calls.
static inline wf_str_t
t_next_transaction_id (void)
{
    static char ring[64][WF_UUID_BYTES];
    static unsigned counter = 0;
    char *id = ring[counter % 64];
    t_uuid (0x70000000u + counter++, id);
    return t_str (id);
}

//  A money command for `amount` minor units with a fresh transaction id.
static inline wf_account_cmd_t
t_cmd (int64_t amount)
{
    return (wf_account_cmd_t){.transaction_id = t_next_transaction_id (),
                              .amount = amount,
                              .description = t_str ("test"),
                              .now_ms = T_NOW_MS};
}

//  Fills the open command for account `n` (ids and number derived from n).
static inline wf_account_open_t
t_open_cmd (unsigned n, const char *currency, char id[WF_UUID_BYTES], char owner[WF_UUID_BYTES],
            char number[WF_ACCOUNT_NUMBER_BYTES])
{
    t_uuid (n, id);
    t_uuid (0x10000000u + n, owner);
    wf_account_number_make (T_NOW_MS, n * 2654435761u, number);
    return (wf_account_open_t){t_str (id), t_str (owner), t_str (number), t_str (currency),
                               T_NOW_MS};
}

//  Creates and opens account `n` in a currency.
static inline wf_account_t *
t_open (unsigned n, const char *currency)
{
    char id[WF_UUID_BYTES], owner[WF_UUID_BYTES], number[WF_ACCOUNT_NUMBER_BYTES];
    wf_account_open_t cmd = t_open_cmd (n, currency, id, owner, number);
    wf_account_t *account = wf_account_new ();
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_open (account, &cmd, &event, &why) != 0)
        abort ();
    wf_account_apply (account, &event);
    return account;
}

//  Runs one random command against the account; on success applies the event,
//  stores it in *event and returns true.
static inline bool
t_random_step (wf_account_t *account, wf_account_event_t *event)
{
    static const wf_account_policy_t policy = {WF_DEPOSIT_MAJOR_UNITS_DEFAULT};
    char other[WF_UUID_BYTES];
    t_uuid (0x0FFFFFFFu, other);
    wf_account_cmd_t cmd = t_cmd (1 + rand () % 50000);
    cmd.counterparty_id = t_str (other);
    cmd.reason = t_str ("random reason");
    wf_account_refusal_t why;
    const wf_account_state_t *state = wf_account_state (account);
    const wf_account_hold_t *hold = state->holds_count ? &state->holds[0] : NULL;
    cmd.hold_id = hold ? t_str (hold->id) : t_next_transaction_id ();
    int rc;
    switch (rand () % 15) {
        case 0:
        case 1:
            rc = wf_account_decide_deposit (account, &policy, &cmd, event, &why);
            break;
        case 2:
        case 3:
            rc = wf_account_decide_withdraw (account, &cmd, event, &why);
            break;
        case 4:
            rc = wf_account_decide_transfer (account, &cmd, event, &why);
            break;
        case 5:
            cmd.currency = t_str (wf_account_state (account)->currency);
            rc = wf_account_decide_receive (account, &cmd, event, &why);
            break;
        case 6:
            rc = wf_account_decide_refund (account, &cmd, event, &why);
            break;
        case 7:
            rc = wf_account_decide_suspend (account, &cmd, event, &why);
            break;
        case 9:
            cmd.hold_id = t_next_transaction_id ();
            cmd.counterparty_id = rand () % 2 ? t_str (other) : t_str ("");
            cmd.expires_at_ms = T_NOW_MS + 1000 * (1 + rand () % 100);
            rc = wf_account_decide_hold (account, &cmd, event, &why);
            break;
        case 10:
            cmd.amount = hold ? rand () % (hold->amount + 1) : 1;
            rc = wf_account_decide_capture (account, &cmd, event, &why);
            break;
        case 11:
            rc = wf_account_decide_void (account, &cmd, event, &why);
            break;
        case 12:
            cmd.now_ms = hold ? hold->expires_at_ms : T_NOW_MS;
            rc = wf_account_decide_expire (account, &cmd, event, &why);
            break;
        case 14:
            cmd.original_id = t_next_transaction_id ();
            rc = wf_account_decide_refund_of (
                account,
                (wf_account_event_type_t) (WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED + rand () % 3), &cmd,
                event, &why);
            break;
        case 13:
            cmd.overdraft_limit = rand () % 3 ? 0 : rand () % 100000;
            rc = wf_account_decide_overdraft (account, &cmd, event, &why);
            break;
        default:
            rc = wf_account_decide_reactivate (account, &cmd, event, &why);
            break;
    }
    if (rc != 0)
        return false;
    wf_account_apply (account, event);
    return true;
}

#endif
