/*  wf_account_aggregate - the event-sourced account: rules, events, state.

    Pure logic, no I/O. The account's state is only ever changed by applying
    events, and events are only ever produced by decide functions:

        decide (state, command) -> one event, or a refusal     (state unchanged)
        apply  (state, event)   -> next state                  (asserts invariants)

    The actor runs decide, stores the event, then applies it; loading an
    account is applying its stored events (after a snapshot) in order.

    Events (names as stored in events.type, see wf_account_codec):
        AccountOpened       account_id, owner_id, account_number, currency
        MoneyDeposited      transaction_id, amount, description
        MoneyWithdrawn      transaction_id, amount, description
        TransferSent        transaction_id, counterparty_id (destination), amount, description
        TransferReceived    transaction_id, counterparty_id (source), amount, description
        TransferRefunded    transaction_id (the original transfer), amount, reason
        AccountSuspended    reason
        AccountReactivated  -
        HoldPlaced          hold_id, amount, counterparty_id (destination or ""),
                            description, expires_at_ms
        HoldCaptured        hold_id, amount (captured), held_amount (the hold's),
                            transaction_id (the debit that follows it)
        HoldVoided          hold_id, held_amount
        HoldExpired         hold_id, held_amount
        OverdraftLimitSet   overdraft_limit (minor units, >= 0)
        DepositRefunded     transaction_id (the refund's), original_id (the
                            deposit), amount, description        (a debit)
        WithdrawalRefunded  transaction_id, original_id (the withdrawal),
                            amount, description                  (a credit)
        TransferReversed    transaction_id, original_id (the transfer this
                            account received), counterparty_id (its sender,
                            credited by the saga as for TransferSent), amount,
                            description                          (a debit)
    every event also carries occurred_at_ms. Money events (deposit,
    withdraw, transfer sent, refunds) also carry the caller's metadata.

    Rules, checked in this order, each refusal with its wf_err_t:
    - the account must exist (opened)                        NOT_FOUND
    - the request itself: ids are canonical lower-case UUIDs, amount > 0,
      deposit <= the configured maximum, texts within their byte limit and
      valid UTF-8, a given currency well-formed and known    VALIDATION
    - transfer to itself                                     UNPROCESSABLE
    - the account must be Active (before any funds check)    ACCOUNT_NOT_ACTIVE
    - a given currency equals the account's                  CURRENCY_MISMATCH
    - withdraw/transfer/hold: amount <= available + overdraft limit
      (available = balance - held; the exact amount is fine)  INSUFFICIENT_FUNDS
    - credit: balance + amount <= INT64_MAX                  UNPROCESSABLE
    A TransferReceived is decided like a deposit without the deposit maximum,
    but the sender's currency is required; when it is refused (account not
    active, currency mismatch, overflow) the saga refunds the sender with
    TransferRefunded, which is accepted in any status (it returns money that
    already left this account, so a suspension must not strand it).

    Holds (two-phase transfers, issue 10). A hold reserves money: `held` grows,
    the balance does not, so the available balance (balance - held) drops. The
    open holds live in the state (at most WF_ACCOUNT_HOLDS_OPEN_MAX), so a
    capture, void or expiry is decided from the state alone:
    - capture: the hold is open and not yet due, the account Active, the
      amount 0 (= all) or <= the held amount. HoldCaptured releases the whole
      hold; the caller then decides the debit (a withdrawal, or a transfer to
      the hold's destination) on the released state, so the captured money
      leaves through the ordinary events and the rest returns to available.
    - void: the hold is open (any account status).
    - expire: the hold is open and due (now >= expires_at).
    A hold that is not open is UNPROCESSABLE (closed or unknown: the caller
    tells them apart from the holds read model).

    Refunds (issue 10) reverse a deposit, a withdrawal or a received transfer
    with a compensating event; history is never edited. How much of the
    original is left to refund is kept beside the original in the
    transactions read model (checked and updated in the same transaction by
    the shard, and by the audit over the events); the aggregate decides the
    money side like any debit or credit.

    Overdraft: an Admin sets a per-account limit (OverdraftLimitSet); every
    debit and hold keeps available >= -limit, and the limit may not drop below
    what is already used. The invariant asserted after every event is
    held >= 0, held == the sum of the open holds, and balance - held >= -limit.

    wf_account_t is the class (new/destroy/copy); wf_account_state_t is its
    read-only view, also used to restore from a snapshot.
*/
#ifndef WF_ACCOUNT_AGGREGATE_H_INCLUDED
#define WF_ACCOUNT_AGGREGATE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "wf_msg.h"
#include "wf_err.h"
#include "wf_currency.h"
#include "wf_account_number.h"

#define WF_UUID_LEN                         36                //  8-4-4-4-12 hex, lower-case
#define WF_UUID_BYTES                       (WF_UUID_LEN + 1) //  with the terminator
#define WF_ACCOUNT_TEXT_BYTES_MAX           512               //  a description or a reason, UTF-8
#define WF_ACCOUNT_CURRENCY_BYTES           (WF_CURRENCY_CODE_BYTES + 1)
#define WF_ACCOUNT_HOLDS_OPEN_MAX           32               //  open holds per account
#define WF_ACCOUNT_HOLD_SECONDS_MAX         (30 * 24 * 3600) //  a hold's longest life
#define WF_ACCOUNT_METADATA_KEYS_MAX        16               //  members of a movement's metadata
#define WF_ACCOUNT_METADATA_KEY_BYTES_MAX   40               //  [A-Za-z0-9_.-]
#define WF_ACCOUNT_METADATA_VALUE_BYTES_MAX 128 //  a string, UTF-8, no control characters
//  The canonical JSON text (compact, sorted keys): every member at its limit,
//  each value's quotes and backslashes escaped, fits.
#define WF_ACCOUNT_METADATA_BYTES_MAX 4864

typedef enum {
    WF_ACCOUNT_STATUS_NONE = 0, //  not opened yet: the stream is empty
    WF_ACCOUNT_STATUS_ACTIVE,
    WF_ACCOUNT_STATUS_SUSPENDED,
    WF_ACCOUNT_STATUS_CLOSED, //  no event closes an account yet; refused like Suspended
} wf_account_status_t;

typedef enum {
    WF_ACCOUNT_EVENT_NONE = 0,
    WF_ACCOUNT_EVENT_OPENED,
    WF_ACCOUNT_EVENT_DEPOSITED,
    WF_ACCOUNT_EVENT_WITHDRAWN,
    WF_ACCOUNT_EVENT_TRANSFER_SENT,
    WF_ACCOUNT_EVENT_TRANSFER_RECEIVED,
    WF_ACCOUNT_EVENT_TRANSFER_REFUNDED,
    WF_ACCOUNT_EVENT_SUSPENDED,
    WF_ACCOUNT_EVENT_REACTIVATED,
    WF_ACCOUNT_EVENT_HOLD_PLACED,
    WF_ACCOUNT_EVENT_HOLD_CAPTURED,
    WF_ACCOUNT_EVENT_HOLD_VOIDED,
    WF_ACCOUNT_EVENT_HOLD_EXPIRED,
    WF_ACCOUNT_EVENT_OVERDRAFT_SET,
    WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED,
    WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED,
    WF_ACCOUNT_EVENT_TRANSFER_REVERSED,
    WF_ACCOUNT_EVENT_COUNT
} wf_account_event_type_t;

//  One event. A tagged struct: `type` says which fields are meaningful (see
//  the list above); the others are zero. Texts are NUL-terminated.
typedef struct {
    wf_account_event_type_t type;
    int64_t occurred_at_ms;
    char account_id[WF_UUID_BYTES];                   //  Opened
    char owner_id[WF_UUID_BYTES];                     //  Opened
    char account_number[WF_ACCOUNT_NUMBER_BYTES];     //  Opened
    char currency[WF_ACCOUNT_CURRENCY_BYTES];         //  Opened
    char transaction_id[WF_UUID_BYTES];               //  money events
    char counterparty_id[WF_UUID_BYTES];              //  Sent: destination; Received: source
    int64_t amount;                                   //  money events, minor units, > 0
    char description[WF_ACCOUNT_TEXT_BYTES_MAX + 1];  //  deposit, withdraw, transfers
    char reason[WF_ACCOUNT_TEXT_BYTES_MAX + 1];       //  Refunded, Suspended
    char hold_id[WF_UUID_BYTES];                      //  hold events
    int64_t held_amount;                              //  Captured, Voided, Expired
    int64_t expires_at_ms;                            //  Placed
    int64_t overdraft_limit;                          //  OverdraftLimitSet
    char original_id[WF_UUID_BYTES];                  //  refunds: the original movement
    char metadata[WF_ACCOUNT_METADATA_BYTES_MAX + 1]; //  money events: canonical JSON or ""
} wf_account_event_t;

_Static_assert(WF_ACCOUNT_METADATA_KEYS_MAX *(WF_ACCOUNT_METADATA_KEY_BYTES_MAX +
                                              2 * WF_ACCOUNT_METADATA_VALUE_BYTES_MAX + 6) +
                       2 <=
                   WF_ACCOUNT_METADATA_BYTES_MAX,
               "the largest metadata must fit its canonical text");

//  One open hold.
typedef struct {
    char id[WF_UUID_BYTES];
    char destination_id[WF_UUID_BYTES]; //  "" when a capture withdraws
    int64_t amount;                     //  minor units, > 0
    int64_t expires_at_ms;
} wf_account_hold_t;

//  The state, readable by anyone holding the account.
typedef struct {
    char id[WF_UUID_BYTES];
    char owner_id[WF_UUID_BYTES];
    char number[WF_ACCOUNT_NUMBER_BYTES];
    char currency[WF_ACCOUNT_CURRENCY_BYTES];
    int digits;      //  the currency's minor digits
    int64_t balance; //  minor units, >= -overdraft_limit + held
    int64_t held;    //  minor units reserved by the open holds
    wf_account_status_t status;
    int64_t version; //  number of events applied
    int64_t created_at_ms;
    int64_t overdraft_limit; //  minor units, >= 0
    int holds_count;
    wf_account_hold_t holds[WF_ACCOUNT_HOLDS_OPEN_MAX]; //  open holds, in placement order
} wf_account_state_t;

//  Opening a new account.
typedef struct {
    wf_str_t account_id; //  chosen by the caller
    wf_str_t owner_id;
    wf_str_t account_number; //  from wf_account_number_make
    wf_str_t currency;       //  ISO 4217 code
    int64_t now_ms;
} wf_account_open_t;

//  Any other command; each decide function says which fields it reads.
typedef struct {
    wf_str_t transaction_id;  //  money commands: this movement's id (refund: the transfer's)
    int64_t amount;           //  minor units of the account's currency
    wf_str_t currency;        //  optional (empty = the account's); required on receive
    wf_str_t counterparty_id; //  transfer: destination; receive: source
    wf_str_t description;     //  optional
    wf_str_t reason;          //  suspend: required; refund: optional
    wf_str_t hold_id;         //  hold commands
    int64_t expires_at_ms;    //  place hold
    int64_t overdraft_limit;  //  set overdraft: minor units, >= 0
    wf_str_t original_id;     //  refunds: the movement refunded
    wf_str_t metadata;        //  money commands: a JSON object or empty (see below)
    int64_t now_ms;
} wf_account_cmd_t;

//  Configuration of the rules (owned by main, like every actor config).
typedef struct {
    int64_t deposit_major_units_max; //  per operation, in major units of the account's currency
} wf_account_policy_t;

//  The largest overdraft limit an Admin may set, in major units (the deposit
//  maximum's scale keeps every sum of limit, balance and held far from
//  int64's edge).
#define WF_ACCOUNT_OVERDRAFT_MAJOR_UNITS_MAX 1000000

#define WF_ACCOUNT_POLICY_DEFAULT ((wf_account_policy_t){WF_DEPOSIT_MAJOR_UNITS_DEFAULT})

//  Why a command was refused: a stable code, a sentence for problem+json
//  `detail` (static), and the request field at fault (NULL when none).
typedef struct {
    wf_err_t code;
    const char *detail;
    const char *field;
} wf_account_refusal_t;

typedef struct _wf_account_t wf_account_t;

//  Creates an empty account (status NONE, version 0), ready for replay.
wf_account_t *wf_account_new (void);

//  Destroys an account and nulls the pointer; idempotent.
void wf_account_destroy (wf_account_t **self_p);

//  Copies all state (to roll a cache entry back when a batch fails).
void wf_account_copy (wf_account_t *dest, const wf_account_t *source);

//  True when both accounts have the same state.
bool wf_account_equal (const wf_account_t *self, const wf_account_t *other);

//  The read-only state.
const wf_account_state_t *wf_account_state (const wf_account_t *self);

//  Balance minus held: what a debit may take (plus the overdraft limit).
int64_t wf_account_available (const wf_account_t *self);

//  The open hold with this id, or NULL.
const wf_account_hold_t *wf_account_hold_find (const wf_account_t *self, const char *hold_id);

//  Replaces the state with a snapshot's after checking its invariants.
//  Returns 0, or -1 with *why set (the account is then unchanged).
int wf_account_restore (wf_account_t *self, const wf_account_state_t *state, const char **why);

//  The decide functions: 0 with *event filled, or -1 with *why filled.
//  None of them changes the account.
int wf_account_decide_open (const wf_account_t *self, const wf_account_open_t *cmd,
                            wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads transaction_id, amount, currency, description, now_ms.
int wf_account_decide_deposit (const wf_account_t *self, const wf_account_policy_t *policy,
                               const wf_account_cmd_t *cmd, wf_account_event_t *event,
                               wf_account_refusal_t *why);
//  Reads transaction_id, amount, currency, description, now_ms.
int wf_account_decide_withdraw (const wf_account_t *self, const wf_account_cmd_t *cmd,
                                wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads transaction_id, amount, currency, counterparty_id (destination),
//  description, now_ms.
int wf_account_decide_transfer (const wf_account_t *self, const wf_account_cmd_t *cmd,
                                wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads transaction_id, amount, currency (required: the sender's),
//  counterparty_id (source), description, now_ms.
int wf_account_decide_receive (const wf_account_t *self, const wf_account_cmd_t *cmd,
                               wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads transaction_id (the refused transfer), amount, currency, reason, now_ms.
int wf_account_decide_refund (const wf_account_t *self, const wf_account_cmd_t *cmd,
                              wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads reason (required), now_ms.
int wf_account_decide_suspend (const wf_account_t *self, const wf_account_cmd_t *cmd,
                               wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads now_ms.
int wf_account_decide_reactivate (const wf_account_t *self, const wf_account_cmd_t *cmd,
                                  wf_account_event_t *event, wf_account_refusal_t *why);

//  Reads hold_id (chosen by the caller), amount, currency, counterparty_id
//  (optional destination), description, metadata, expires_at_ms (> now_ms, at
//  most WF_ACCOUNT_HOLD_SECONDS_MAX ahead), now_ms.
int wf_account_decide_hold (const wf_account_t *self, const wf_account_cmd_t *cmd,
                            wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads hold_id, amount (0 = the whole hold), transaction_id (the debit's
//  id), now_ms. Only the release: the debit is decided after applying it.
int wf_account_decide_capture (const wf_account_t *self, const wf_account_cmd_t *cmd,
                               wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads hold_id, now_ms.
int wf_account_decide_void (const wf_account_t *self, const wf_account_cmd_t *cmd,
                            wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads hold_id, now_ms; refused until the hold is due.
int wf_account_decide_expire (const wf_account_t *self, const wf_account_cmd_t *cmd,
                              wf_account_event_t *event, wf_account_refusal_t *why);
//  Reads overdraft_limit (0..WF_ACCOUNT_OVERDRAFT_MAJOR_UNITS_MAX major
//  units), now_ms; refused when the limit would be below what is used.
int wf_account_decide_overdraft (const wf_account_t *self, const wf_account_cmd_t *cmd,
                                 wf_account_event_t *event, wf_account_refusal_t *why);

//  Decides a refund of type DEPOSIT_REFUNDED, WITHDRAWAL_REFUNDED or
//  TRANSFER_REVERSED. Reads transaction_id (the refund's), original_id,
//  amount, counterparty_id (reversal: the original sender), description,
//  now_ms. A debit needs an Active account and the funds; a credit is
//  accepted in any status (it returns money).
int wf_account_decide_refund_of (const wf_account_t *self, wf_account_event_type_t type,
                                 const wf_account_cmd_t *cmd, wf_account_event_t *event,
                                 wf_account_refusal_t *why);

//  Applies one event: the only way state changes. Asserts the invariants
//  (held >= 0 and the sum of the open holds, balance - held >= -limit, no
//  overflow, version + 1) and that the event fits the state (Opened only on an
//  empty account, nothing else before; a hold event only on its open hold).
void wf_account_apply (wf_account_t *self, const wf_account_event_t *event);

//  Checks a movement's metadata (a JSON object of at most
//  WF_ACCOUNT_METADATA_KEYS_MAX string members, keys of [A-Za-z0-9_.-] up to
//  their limit, values up to theirs without control characters) and writes
//  its canonical text (compact, keys sorted) into out. Empty text is no
//  metadata (out = ""). Returns 0, or -1 with *why (static text).
int wf_account_metadata_canonical (wf_str_t text, char out[WF_ACCOUNT_METADATA_BYTES_MAX + 1],
                                   const char **why);

//  "Active", "Suspended", "Closed" (AccountDto.status), "None" for NONE.
const char *wf_account_status_name (wf_account_status_t status);

//  True when text is a canonical lower-case UUID (8-4-4-4-12 hex).
bool wf_account_uuid_valid (wf_str_t text);

#endif
