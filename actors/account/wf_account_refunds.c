/*  wf_account_refunds - POST /api/transactions/{id}/refund in the shard.

    A refund reverses part or all of an original movement with a compensating
    event; history is never edited:
      Deposit           -> DepositRefunded on the same account (a debit)
      Withdrawal        -> WithdrawalRefunded on the same account (a credit)
      TransferReceived  -> TransferReversed on the recipient (a debit), whose
                           credit leg reaches the original sender through the
                           outbox exactly like a TransferSent
    Only the owner of the account that holds the original row may refund it
    (a transfer: its recipient). The refundable rest is the original row's
    amount - refunded in the transactions read model: read and raised inside
    the batch transaction (the UPDATE's own condition refuses going past the
    amount, so two writers can never both take the last part). The request is
    routed by the transaction id's shard, and the shards make ids that hash to
    the shard of the account that refunds them (wf_account_new_id: a
    transfer's id to its recipient's shard), so the refund meets the cached
    aggregate it writes. An id made otherwise still works (any shard may
    write any account: the stream's version key keeps that safe), at the cost
    of a stale cache and a retried batch in the owning shard.
*/
#include "wf_account_internal.h"
#include "wf_account_store.h"
#include "wf_account_batch.h"
#include "wf_account_holds_store.h"
#include "wf_events.h"
#include "wf_money.h"
#include "wf_uuid.h"
#include <inttypes.h>
#include <jansson.h>

//  The original row a caller may refund.
typedef struct {
    char account_id[WF_UUID_BYTES];
    char type[32];
    int64_t amount;
    int64_t refunded;
    char counterparty_id[WF_UUID_BYTES];
} original_t;

//  Copies a slice into a NUL-terminated buffer (truncating).
static void
s_copy (char *dst, size_t size, wf_str_t src)
{
    size_t len = src.len < size - 1 ? src.len : size - 1;
    if (len)
        memcpy (dst, src.ptr, len);
    dst[len] = 0;
}

//  Reads the caller's row of the original movement: a received transfer
//  before the sender's row of the same id. 1 found, 0 none, -1 error.
static int
s_original (PGconn *conn, const char *transaction_id, const char *user_id, original_t *row)
{
    const char *params[] = {transaction_id, user_id};
    //  The shard batches history rows until COMMIT: the original may still wait there.
    if (wf_account_batch_sync (conn, WF_BATCH_TRANSACTIONS, 0, transaction_id) != 0)
        return -1;
    PGresult *res = PQexecParams (
        conn,
        "SELECT t.account_id::text, t.type, t.amount, t.refunded, "
        "coalesce (t.counterparty_account_id::text, '') FROM transactions t JOIN accounts a ON "
        "a.id = t.account_id WHERE t.id = $1 AND a.owner_id = $2 AND t.type IN ('Deposit', "
        "'Withdrawal', 'Transfer', 'TransferReceived', 'Refund') ORDER BY t.type = "
        "'TransferReceived' DESC LIMIT 1",
        2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return -1;
    }
    int found = PQntuples (res) == 1;
    if (found) {
        snprintf (row->account_id, sizeof row->account_id, "%s", PQgetvalue (res, 0, 0));
        snprintf (row->type, sizeof row->type, "%s", PQgetvalue (res, 0, 1));
        row->amount = atoll (PQgetvalue (res, 0, 2));
        row->refunded = atoll (PQgetvalue (res, 0, 3));
        snprintf (row->counterparty_id, sizeof row->counterparty_id, "%s", PQgetvalue (res, 0, 4));
    }
    PQclear (res);
    return found;
}

//  Raises `refunded` on every row of the original (both sides of a transfer)
//  and marks the refund's own row; -1 when the original would pass its amount.
static int
s_mark_refunded (PGconn *conn, const char *original_id, const char *account_id,
                 const char *refund_id, int64_t amount)
{
    char text[24];
    snprintf (text, sizeof text, "%" PRId64, amount);
    const char *params[] = {original_id, text};
    //  Both rows this updates may still wait in the shard's batch: write them first.
    if (wf_account_batch_sync (conn, WF_BATCH_TRANSACTIONS, 0, original_id) != 0 ||
        wf_account_batch_sync (conn, WF_BATCH_TRANSACTIONS, 0, refund_id) != 0)
        return -1;
    PGresult *res = PQexecParams (conn,
                                  "UPDATE transactions SET refunded = refunded + $2 WHERE id = $1 "
                                  "AND type IN ('Deposit', 'Withdrawal', 'Transfer', "
                                  "'TransferReceived') AND refunded + $2 <= amount",
                                  2, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK && atoi (PQcmdTuples (res)) >= 1 ? 0 : -1;
    PQclear (res);
    if (rc != 0)
        return -1;
    const char *mark[] = {refund_id, account_id, original_id};
    res = PQexecParams (conn,
                        "UPDATE transactions SET refund_of = $3 WHERE id = $1 AND account_id = $2 "
                        "AND type = 'Refund'",
                        3, NULL, mark, NULL, NULL, 0);
    rc = PQresultStatus (res) == PGRES_COMMAND_OK && atoi (PQcmdTuples (res)) == 1 ? 0 : -1;
    PQclear (res);
    return rc;
}

//  Queues the refund's integration event (already applied to state).
static int
s_outbox_refund (self_t *self, const wf_account_state_t *state, const wf_account_event_t *event)
{
    bool reversal = event->type == WF_ACCOUNT_EVENT_TRANSFER_REVERSED;
    const char *type = reversal ? WF_EVENT_TRANSFER_REVERSED
                       : event->type == WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED
                           ? WF_EVENT_DEPOSIT_REFUNDED
                           : WF_EVENT_WITHDRAWAL_REFUNDED;
    char occurred[32];
    wf_account_iso_time (event->occurred_at_ms, occurred);
    json_t *p = json_object ();
    json_object_set_new (p, "transactionId", json_string (event->transaction_id));
    json_object_set_new (p, "originalId", json_string (event->original_id));
    json_object_set_new (p, "accountId", json_string (state->id));
    if (reversal)
        json_object_set_new (p, "destinationAccountId", json_string (event->counterparty_id));
    json_object_set_new (p, "ownerId", json_string (state->owner_id));
    json_object_set_new (p, "amount", json_integer (event->amount));
    json_object_set_new (p, "currency", json_string (state->currency));
    json_object_set_new (p, "balanceAfter", json_integer (state->balance));
    json_object_set_new (p, "description", json_string (event->description));
    if (event->metadata[0]) {
        json_error_t error;
        json_object_set_new (p, "metadata", json_loads (event->metadata, 0, &error));
    }
    json_object_set_new (p, "occurredAt", json_string (occurred));
    json_object_set_new (p, "accountVersion", json_integer (state->version));
    char *payload = json_dumps (p, JSON_COMPACT);
    json_decref (p);
    int rc = wf_account_store_outbox (self->conn, type, state->id,
                                      reversal ? event->counterparty_id : NULL, payload,
                                      reversal ? "{account,notifier,amqp}" : "{notifier,amqp}");
    free (payload);
    return rc;
}

//  Encodes the refund's TransactionDto into the item.
static void
s_reply (item_t *item, const wf_account_state_t *state, const wf_account_event_t *event)
{
    wf_account_transaction_t reply = {
        .id = wf_str_c (event->transaction_id),
        .account_id = wf_str_c (state->id),
        .destination_account_id = wf_str_c (event->counterparty_id),
        .amount = event->amount,
        .currency = wf_str_c (state->currency),
        .digits = state->digits,
        .balance_after = state->balance,
        .type = WF_STR ("Refund"),
        .description = wf_str_c (event->description),
        .created_at_ms = event->occurred_at_ms,
        .refund_of = wf_str_c (event->original_id),
        .metadata = wf_str_c (event->metadata),
    };
    item->decided = true;
    item->reply_type = WF_MSG_ACCOUNT_TRANSACTION;
    wf_buf_reset (&item->reply);
    wf_body_encode (WF_MSG_ACCOUNT_TRANSACTION, &reply, &item->reply);
}

int
wf_account_refunds_resolve (self_t *self, item_t *item, const wf_account_command_t *cmd,
                            char account_id[WF_UUID_BYTES])
{
    char transaction_id[WF_UUID_BYTES], user[WF_UUID_BYTES];
    original_t row;
    if (!wf_account_uuid_valid (cmd->transaction_id)) {
        wf_account_refuse (item, WF_ERR_NOT_FOUND, "No such transaction.", NULL);
        return 0;
    }
    s_copy (transaction_id, sizeof transaction_id, cmd->transaction_id);
    s_copy (user, sizeof user, cmd->user_id);
    int found = s_original (self->conn, transaction_id, user, &row);
    if (found == 0)
        wf_account_refuse (item, WF_ERR_NOT_FOUND, "No such transaction.", NULL);
    if (found == 1)
        snprintf (account_id, WF_UUID_BYTES, "%s", row.account_id);
    return found;
}

//  The refund's amount: the rest when none was given. -1 when refused.
static int
s_refund_amount (item_t *item, const wf_account_command_t *cmd, const original_t *row, int digits,
                 int64_t *amount)
{
    int64_t rest = row->amount - row->refunded;
    if (rest <= 0) {
        wf_account_refuse (item, WF_ERR_UNPROCESSABLE, "The transaction is already fully refunded.",
                           NULL);
        return -1;
    }
    *amount = rest;
    wf_money_err_t why;
    if (cmd->amount.len && wf_money_parse (cmd->amount, digits, amount, &why) != 0) {
        wf_account_refuse (item, WF_ERR_VALIDATION, wf_money_strerror (why), "amount");
        return -1;
    }
    if (*amount > rest) {
        wf_account_refuse (item, WF_ERR_UNPROCESSABLE,
                           "The amount exceeds what is left to refund of the transaction.",
                           "amount");
        return -1;
    }
    return 0;
}

int
wf_account_handle_refund (self_t *self, item_t *item, entry_t *entry,
                          const wf_account_command_t *cmd)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    char original_id[WF_UUID_BYTES], user[WF_UUID_BYTES];
    s_copy (original_id, sizeof original_id, cmd->transaction_id);
    s_copy (user, sizeof user, cmd->user_id);
    original_t row;
    int found = s_original (self->conn, original_id, user, &row);
    if (found <= 0) {
        if (found == 0)
            wf_account_refuse (item, WF_ERR_NOT_FOUND, "No such transaction.", NULL);
        return found;
    }
    wf_account_event_type_t type =
        streq (row.type, "Deposit")            ? WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED
        : streq (row.type, "Withdrawal")       ? WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED
        : streq (row.type, "TransferReceived") ? WF_ACCOUNT_EVENT_TRANSFER_REVERSED
                                               : WF_ACCOUNT_EVENT_NONE;
    if (type == WF_ACCOUNT_EVENT_NONE) {
        wf_account_refuse (item, WF_ERR_UNPROCESSABLE,
                           streq (row.type, "Transfer")
                               ? "A transfer is refunded by the account that received it."
                               : "A refund cannot be refunded.",
                           NULL);
        return 0;
    }
    char refund_id[WF_UUID_BYTES];
    wf_account_new_id (self, NULL, refund_id);
    wf_account_cmd_t c = {.transaction_id = wf_str_c (refund_id),
                          .original_id = wf_str_c (original_id),
                          .counterparty_id = wf_str_c (row.counterparty_id),
                          .description = cmd->reason,
                          .metadata = cmd->metadata,
                          .now_ms = wf_clock_ms ()};
    if (s_refund_amount (item, cmd, &row, state->digits, &c.amount) != 0)
        return 0;
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_refund_of (entry->account, type, &c, &event, &why) != 0) {
        wf_account_refuse (item, why.code, why.detail, why.field);
        return 0;
    }
    if (wf_account_commit_event (self, entry, &event) != 0 ||
        s_outbox_refund (self, state, &event) != 0 ||
        s_mark_refunded (self->conn, original_id, state->id, refund_id, event.amount) != 0 ||
        wf_account_store_metadata (self->conn, state->id, refund_id, "Refund", event.metadata) != 0)
        return -1;
    if (type == WF_ACCOUNT_EVENT_TRANSFER_REVERSED &&
        wf_account_store_transfer_begin (self->conn, refund_id, state->id, row.counterparty_id,
                                         event.amount, state->currency, event.occurred_at_ms) != 0)
        return -1;
    s_reply (item, state, &event);
    return 0;
}
