/*  wf_events - the integration events WalletFlow commits to its outbox.

    Each row of `outbox` carries one event: `type` is the event name below,
    `payload` a JSON object with exactly these camelCase fields. Money is an
    integer of minor units plus its ISO 4217 currency (the currency's digits
    come from actors/account/wf_currency). Times are ISO-8601 UTC with
    milliseconds and a `Z` ("2026-11-26T20:00:00.123Z"). Ids are lower-case
    uuids. The same payloads reach every destination (account shards, the
    notifier, the AMQP bridge). Every event of an account stream (all but
    UserRegistered and TransferCreditFailed) also carries `accountVersion`:
    the stream's version after the event (1 for AccountOpened), strictly
    increasing per account, so a consumer can order and spot a gap. What
    RabbitMQ consumers see of them is docs/events.md.

    UserRegistered      -> account, amqp
        {userId, email, firstName, lastName, occurredAt}
    AccountOpened       -> notifier, amqp
        {accountId, ownerId, accountNumber, currency, occurredAt}
    MoneyDeposited      -> notifier, amqp
    MoneyWithdrawn      -> notifier, amqp
        {transactionId, accountId, ownerId, amount, currency, balanceAfter,
         description, occurredAt}
    TransferSent        -> account (the credit leg), notifier, amqp
        {transactionId, accountId, destinationAccountId, ownerId, amount,
         currency, balanceAfter, description, occurredAt}
    TransferReceived    -> notifier, amqp
        {transactionId, accountId, sourceAccountId, ownerId, amount, currency,
         balanceAfter, description, occurredAt}
    TransferCreditFailed -> account (the refund leg, to the source shard)
        {transactionId, accountId (source), destinationAccountId, amount,
         currency, reason, occurredAt}
    TransferRefunded    -> notifier, amqp
        {transactionId, accountId, ownerId, amount, currency, balanceAfter,
         reason, occurredAt}
    AccountSuspended / AccountReactivated -> amqp
        {accountId, ownerId, reason, occurredAt}
    HoldPlaced          -> notifier, amqp
        {holdId, transactionId (= holdId), accountId, ownerId, amount, currency,
         balanceAfter, heldAfter, availableAfter, destinationAccountId ("" =
         none), description, expiresAt, occurredAt}
    HoldCaptured        -> notifier, amqp
        {holdId, transactionId (the debit that follows: a MoneyWithdrawn, or a
         TransferSent to the hold's destination, with this id), accountId,
         ownerId, amount (captured), heldAmount (the hold's), releasedAmount,
         currency, balanceAfter, heldAfter, availableAfter, occurredAt}
    HoldVoided / HoldExpired -> notifier, amqp
        {holdId, transactionId (= holdId), accountId, ownerId, amount (= the
         released heldAmount), heldAmount, currency, balanceAfter, heldAfter,
         availableAfter, occurredAt}
    OverdraftLimitSet   -> amqp
        {accountId, ownerId, limit, currency, occurredAt}
    DepositRefunded / WithdrawalRefunded -> notifier, amqp
        {transactionId (the refund's), originalId, accountId, ownerId, amount,
         currency, balanceAfter, description (the reason), occurredAt}
    TransferReversed    -> account (the credit leg back to the sender, exactly
                           as for TransferSent), notifier, amqp
        {transactionId, originalId, accountId (the recipient, debited),
         destinationAccountId (the original sender), ownerId, amount,
         currency, balanceAfter, description, occurredAt}
    balanceAfter may be negative on an account with an overdraft limit.
    SessionsRevoked     -> notifier
        {userId, familyId, reason ("logout" | "reuse" | "suspended"), occurredAt}
        identity revoked a refresh-token family; the notifier publishes
        WF_NOTIFY_SESSIONS_REVOKED on the user's topic and the hub closes
        that user's live connections.

    The outbox row's route_key is the account whose shard must apply an
    `account` delivery: for UserRegistered the default account's id (derived
    from the user id, see wf_account_default_id), for TransferSent the
    destination account, for TransferCreditFailed the source account.
*/
#ifndef WF_EVENTS_H_INCLUDED
#define WF_EVENTS_H_INCLUDED

#define WF_EVENT_USER_REGISTERED        "UserRegistered"
#define WF_EVENT_ACCOUNT_OPENED         "AccountOpened"
#define WF_EVENT_MONEY_DEPOSITED        "MoneyDeposited"
#define WF_EVENT_MONEY_WITHDRAWN        "MoneyWithdrawn"
#define WF_EVENT_TRANSFER_SENT          "TransferSent"
#define WF_EVENT_TRANSFER_RECEIVED      "TransferReceived"
#define WF_EVENT_TRANSFER_CREDIT_FAILED "TransferCreditFailed"
#define WF_EVENT_TRANSFER_REFUNDED      "TransferRefunded"
#define WF_EVENT_ACCOUNT_SUSPENDED      "AccountSuspended"
#define WF_EVENT_ACCOUNT_REACTIVATED    "AccountReactivated"
#define WF_EVENT_SESSIONS_REVOKED       "SessionsRevoked"
#define WF_EVENT_HOLD_PLACED            "HoldPlaced"
#define WF_EVENT_HOLD_CAPTURED          "HoldCaptured"
#define WF_EVENT_HOLD_VOIDED            "HoldVoided"
#define WF_EVENT_HOLD_EXPIRED           "HoldExpired"
#define WF_EVENT_OVERDRAFT_LIMIT_SET    "OverdraftLimitSet"
#define WF_EVENT_DEPOSIT_REFUNDED       "DepositRefunded"
#define WF_EVENT_WITHDRAWAL_REFUNDED    "WithdrawalRefunded"
#define WF_EVENT_TRANSFER_REVERSED      "TransferReversed"

//  What the notifier publishes on a user's topic in place of a notification
//  for SessionsRevoked (not JSON, so it is never taken for one).
#define WF_NOTIFY_SESSIONS_REVOKED "$SESSIONS_REVOKED"

//  Destination names in outbox.destinations.
#define WF_DEST_ACCOUNT  "account"
#define WF_DEST_NOTIFIER "notifier"
#define WF_DEST_AMQP     "amqp"

#endif
