/*  wf_account_codec - account events and snapshots as JSON (jansson).

    Events are stored in events.data and published through the outbox as one
    JSON object each, camelCase like the original's events, amounts as JSON
    integers of minor units (never decimals: exact, and no scale to argue
    about), times as integers of ms since the Unix epoch:

        {"type":"AccountOpened","occurredAt":1764115200000,"accountId":"...",
         "ownerId":"...","accountNumber":"WF-20251126-1A2B3C4D-Z","currency":"ARS"}
        {"type":"MoneyDeposited","occurredAt":...,"transactionId":"...",
         "amount":10050,"description":"salary"}
        MoneyWithdrawn     transactionId, amount, description
        TransferSent       transactionId, destinationAccountId, amount, description
        TransferReceived   transactionId, sourceAccountId, amount, description
        TransferRefunded   transactionId, amount, reason
        AccountSuspended   reason
        AccountReactivated (type and occurredAt only)
        HoldPlaced         holdId, amount, destinationAccountId ("" = none),
                           description, expiresAt (ms)
        HoldCaptured       holdId, amount (captured), heldAmount, transactionId
        HoldVoided         holdId, heldAmount
        HoldExpired        holdId, heldAmount
        OverdraftLimitSet  limit (minor units, >= 0)
        DepositRefunded    transactionId, originalId, amount, description
        WithdrawalRefunded transactionId, originalId, amount, description
        TransferReversed   transactionId, originalId, destinationAccountId (the
                           original sender, credited), amount, description

    Decoding is strict: an unknown type, a missing field, an unknown field, or
    a value of the wrong type or out of its rules (an invalid id, a
    non-positive amount, a text over its limit or holding NUL) is an error.
    Stored events are trusted to be well formed, but a strict decoder makes a
    corrupt or future row fail loudly at load instead of applying half of it.
    An empty description or reason is written as "".

    Snapshots carry the whole state plus "snapshotVersion" (2: with
    "overdraftLimit" and "holds", the open holds; 1 is still read). A snapshot
    with another version, or one that fails wf_account_restore's checks, is
    refused; the caller then replays the stream from its first event.
*/
#ifndef WF_ACCOUNT_CODEC_H_INCLUDED
#define WF_ACCOUNT_CODEC_H_INCLUDED

#include <jansson.h>
#include "wf_account_aggregate.h"

#define WF_ACCOUNT_SNAPSHOT_VERSION 2 //  1 is still read (no holds, no overdraft)

//  The stored name of an event type ("MoneyDeposited"); NULL for NONE or an
//  unknown value.
const char *wf_account_event_type_name (wf_account_event_type_t type);

//  The event type with this stored name; WF_ACCOUNT_EVENT_NONE when unknown.
wf_account_event_type_t wf_account_event_type_lookup (const char *name);

//  A new JSON object for the event (caller owns the reference).
json_t *wf_account_event_to_json (const wf_account_event_t *event);

//  Decodes an event strictly. Returns 0, or -1 with *why (static text).
int wf_account_event_from_json (const json_t *json, wf_account_event_t *event, const char **why);

//  A new JSON object holding the account's state.
json_t *wf_account_snapshot_to_json (const wf_account_t *account);

//  Decodes a snapshot strictly and restores the account from it. Returns 0,
//  or -1 with *why (static text) and the account unchanged.
int wf_account_snapshot_from_json (const json_t *json, wf_account_t *account, const char **why);

#endif
