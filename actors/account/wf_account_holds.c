/*  wf_account_holds - the shard's hold and overdraft commands, and the timer
    that expires due holds.

    Every command here is decided against the cached aggregate inside the
    open batch transaction, like the money commands (wf_account_handle.c):
      hold       POST /api/accounts/{id}/holds       HoldPlaced
      capture    POST /api/holds/{holdId}/capture    HoldCaptured, then the
                 debit: MoneyWithdrawn, or TransferSent to the hold's
                 destination (the ordinary saga credits it)
      void       POST /api/holds/{holdId}/void       HoldVoided
      expire     the timer only (item->internal)     HoldExpired
      overdraft  POST /api/accounts/{id}/overdraft   OverdraftLimitSet (Admin)
    A hold id is chosen so that it hashes to this shard, the account's: the
    front routes capture and void by the hold id alone. Correctness never
    rests on that routing (the stream's version key decides any race).

    Expiry is exactly once and survives restarts: the holds table is the
    schedule; the shard scans its due open holds at start and every
    WF_ACCOUNT_HOLD_SCAN_INTERVAL_MS, and runs an `expire` command per hold
    through the batch path. A hold already captured or voided is refused by
    the aggregate, so a race with a capture ends with exactly one of them.
*/
#include "wf_account_internal.h"
#include "wf_account_holds_store.h"
#include "wf_events.h"
#include "wf_log.h"
#include "wf_money.h"
#include "wf_shard.h"
#include "wf_uuid.h"
#include <jansson.h>

#define EXPIRY_BATCH_MAX 64 //  holds expired per scan
#define INTERNAL_USER_ID "00000000-0000-0000-0000-000000000000"

//  Copies a slice into a NUL-terminated buffer (truncating).
static void
s_copy (char *dst, size_t size, wf_str_t src)
{
    size_t len = src.len < size - 1 ? src.len : size - 1;
    if (len)
        memcpy (dst, src.ptr, len);
    dst[len] = 0;
}

#define ID_TRIES_MAX 100000 //  random ids tried to find one of a shard

void
wf_account_new_id (const self_t *self, const char *account, char id[WF_UUID_BYTES])
{
    int shards = self->config->shards > 0 ? self->config->shards : 1;
    int shard =
        account && *account ? wf_shard_of (account, strlen (account), shards) : self->config->shard;
    for (int i = 0; i < ID_TRIES_MAX; i++) {
        wf_uuid_v4 (id);
        if (wf_shard_of (id, WF_UUID_LEN, shards) == shard)
            return;
    }
    //  Practically unreachable; any id still works, only routed elsewhere.
}

//  Encodes a HoldDto reply from a hold row.
static void
s_reply_hold (item_t *item, const wf_account_hold_row_t *row, int digits)
{
    wf_account_hold_info_t reply = {
        .id = wf_str_c (row->id),
        .account_id = wf_str_c (row->account_id),
        .destination_account_id = wf_str_c (row->destination_id),
        .amount = row->amount,
        .captured_amount = row->captured_amount,
        .currency = wf_str_c (row->currency),
        .digits = digits,
        .status = wf_str_c (row->status),
        .description = wf_str_c (row->description),
        .transaction_id = wf_str_c (row->transaction_id),
        .expires_at_ms = row->expires_at_ms,
        .created_at_ms = row->created_at_ms,
        .closed_at_ms = row->closed_at_ms,
        .metadata = wf_str_c (row->metadata),
    };
    item->decided = true;
    item->reply_type = WF_MSG_ACCOUNT_HOLD_INFO;
    wf_buf_reset (&item->reply);
    wf_body_encode (WF_MSG_ACCOUNT_HOLD_INFO, &reply, &item->reply);
}

//  Queues the integration event of a hold event (already applied to state).
static int
s_outbox_hold (self_t *self, const wf_account_state_t *state, const wf_account_event_t *event,
               const char *destination)
{
    const char *type = event->type == WF_ACCOUNT_EVENT_HOLD_PLACED     ? WF_EVENT_HOLD_PLACED
                       : event->type == WF_ACCOUNT_EVENT_HOLD_CAPTURED ? WF_EVENT_HOLD_CAPTURED
                       : event->type == WF_ACCOUNT_EVENT_HOLD_VOIDED   ? WF_EVENT_HOLD_VOIDED
                                                                       : WF_EVENT_HOLD_EXPIRED;
    char occurred[32];
    wf_account_iso_time (event->occurred_at_ms, occurred);
    bool placed = event->type == WF_ACCOUNT_EVENT_HOLD_PLACED;
    bool captured = event->type == WF_ACCOUNT_EVENT_HOLD_CAPTURED;
    json_t *p = json_object ();
    json_object_set_new (p, "holdId", json_string (event->hold_id));
    json_object_set_new (p, "transactionId",
                         json_string (captured ? event->transaction_id : event->hold_id));
    json_object_set_new (p, "accountId", json_string (state->id));
    json_object_set_new (p, "ownerId", json_string (state->owner_id));
    json_object_set_new (p, "amount",
                         json_integer (placed || captured ? event->amount : event->held_amount));
    if (!placed)
        json_object_set_new (p, "heldAmount", json_integer (event->held_amount));
    if (captured)
        json_object_set_new (p, "releasedAmount",
                             json_integer (event->held_amount - event->amount));
    json_object_set_new (p, "currency", json_string (state->currency));
    json_object_set_new (p, "balanceAfter", json_integer (state->balance));
    json_object_set_new (p, "heldAfter", json_integer (state->held));
    json_object_set_new (p, "availableAfter", json_integer (state->balance - state->held));
    if (placed) {
        char expires[32];
        wf_account_iso_time (event->expires_at_ms, expires);
        json_object_set_new (p, "destinationAccountId", json_string (destination));
        json_object_set_new (p, "description", json_string (event->description));
        json_object_set_new (p, "expiresAt", json_string (expires));
        if (event->metadata[0]) {
            json_error_t error;
            json_object_set_new (p, "metadata", json_loads (event->metadata, 0, &error));
        }
    }
    json_object_set_new (p, "occurredAt", json_string (occurred));
    json_object_set_new (p, "accountVersion", json_integer (state->version));
    char *payload = json_dumps (p, JSON_COMPACT);
    json_decref (p);
    int rc =
        wf_account_store_outbox (self->conn, type, state->id, NULL, payload, "{notifier,amqp}");
    free (payload);
    return rc;
}

//  Applies a hold event and writes its rows: event, account row, outbox.
static int
s_commit_hold (self_t *self, entry_t *entry, const wf_account_event_t *event,
               const char *destination)
{
    if (wf_account_commit_event (self, entry, event) != 0)
        return -1;
    const wf_account_state_t *state = wf_account_state (entry->account);
    if (wf_account_holds_account_row (self->conn, state) != 0 ||
        s_outbox_hold (self, state, event, destination) != 0)
        return -1;
    return 0;
}

//  Parses the command's amount (optional when `required` is false: 0).
static int
s_amount (item_t *item, const wf_account_command_t *cmd, int digits, bool required, int64_t *minor)
{
    *minor = 0;
    if (!cmd->amount.len) {
        if (required)
            wf_account_refuse (item, WF_ERR_VALIDATION, "The amount field is required.", "amount");
        return required ? -1 : 0;
    }
    wf_money_err_t why;
    if (wf_money_parse (cmd->amount, digits, minor, &why) != 0) {
        wf_account_refuse (item, WF_ERR_VALIDATION, wf_money_strerror (why), "amount");
        return -1;
    }
    return 0;
}

//  Checks a hold's destination against the read model: exists, same currency.
//  1 when refused, 0 fine, -1 database error.
static int
s_check_destination (self_t *self, item_t *item, const wf_account_state_t *source,
                     const char *destination)
{
    char currency[4], status[16];
    int found = wf_account_uuid_valid (wf_str_c (destination))
                    ? wf_account_store_peek (self->conn, destination, currency, status)
                    : 0;
    if (found < 0)
        return -1;
    if (!found) {
        wf_account_refuse (item, WF_ERR_UNPROCESSABLE, "The destination account does not exist.",
                           "destinationAccountId");
        return 1;
    }
    if (strcmp (currency, source->currency) != 0) {
        wf_account_refuse (item, WF_ERR_CURRENCY_MISMATCH,
                           "The destination account holds another currency.",
                           "destinationAccountId");
        return 1;
    }
    return 0;
}

//  hold: reserves money on the account.
static int
s_place (self_t *self, item_t *item, entry_t *entry, const wf_account_command_t *cmd)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    wf_account_hold_row_t row;
    memset (&row, 0, sizeof row);
    wf_account_new_id (self, NULL, row.id);
    int64_t now_ms = wf_clock_ms ();
    if (cmd->expires_in_s <= 0 || cmd->expires_in_s > WF_ACCOUNT_HOLD_SECONDS_MAX) {
        wf_account_refuse (item, WF_ERR_VALIDATION, "expiresInSeconds must be 1..2592000.",
                           "expiresInSeconds");
        return 0;
    }
    wf_account_cmd_t c = {.hold_id = wf_str_c (row.id),
                          .currency = cmd->currency,
                          .counterparty_id = cmd->destination_account_id,
                          .description = cmd->description,
                          .metadata = cmd->metadata,
                          .expires_at_ms = now_ms + cmd->expires_in_s * 1000,
                          .now_ms = now_ms};
    if (s_amount (item, cmd, state->digits, true, &c.amount) != 0)
        return 0;
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_hold (entry->account, &c, &event, &why) != 0) {
        wf_account_refuse (item, why.code, why.detail, why.field);
        return 0;
    }
    if (*event.counterparty_id) {
        int checked = s_check_destination (self, item, state, event.counterparty_id);
        if (checked != 0)
            return checked < 0 ? -1 : 0;
    }
    if (s_commit_hold (self, entry, &event, event.counterparty_id) != 0)
        return -1;
    snprintf (row.account_id, sizeof row.account_id, "%s", state->id);
    snprintf (row.destination_id, sizeof row.destination_id, "%s", event.counterparty_id);
    row.amount = event.amount;
    snprintf (row.currency, sizeof row.currency, "%s", state->currency);
    snprintf (row.status, sizeof row.status, "Open");
    snprintf (row.description, sizeof row.description, "%s", event.description);
    row.expires_at_ms = event.expires_at_ms;
    row.created_at_ms = event.occurred_at_ms;
    snprintf (row.metadata, sizeof row.metadata, "%s", event.metadata);
    if (wf_account_holds_insert (self->conn, &row, self->config->shard) != 0)
        return -1;
    s_reply_hold (item, &row, state->digits);
    return 0;
}

//  Decides the debit that follows a capture's release, on a scratch copy of
//  the released account: a withdrawal, or a transfer to the destination.
static int
s_capture_debit (const wf_account_t *released, const wf_account_event_t *release,
                 const char *destination, const wf_account_hold_row_t *row,
                 wf_account_event_t *debit, wf_account_refusal_t *why)
{
    wf_account_cmd_t c = {.transaction_id = wf_str_c (release->transaction_id),
                          .amount = release->amount,
                          .counterparty_id = wf_str_c (destination),
                          .description = wf_str_c (row->description),
                          .metadata = wf_str_c (row->metadata),
                          .now_ms = release->occurred_at_ms};
    return *destination ? wf_account_decide_transfer (released, &c, debit, why)
                        : wf_account_decide_withdraw (released, &c, debit, why);
}

//  capture: releases the hold and moves the captured part out.
static int
s_capture (self_t *self, item_t *item, entry_t *entry, const wf_account_command_t *cmd,
           wf_account_hold_row_t *row)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    char transaction_id[WF_UUID_BYTES];
    //  A capture to an account is a transfer, refunded by its recipient's shard.
    wf_account_new_id (self, row->destination_id, transaction_id);
    wf_account_cmd_t c = {.hold_id = wf_str_c (row->id),
                          .transaction_id = wf_str_c (transaction_id),
                          .now_ms = wf_clock_ms ()};
    if (s_amount (item, cmd, state->digits, false, &c.amount) != 0)
        return 0;
    wf_account_event_t release, debit;
    wf_account_refusal_t why;
    if (wf_account_decide_capture (entry->account, &c, &release, &why) != 0) {
        wf_account_refuse (item, why.code, why.detail, why.field);
        return 0;
    }
    const wf_account_hold_t *hold = wf_account_hold_find (entry->account, row->id);
    assert (hold);
    char destination[WF_UUID_BYTES];
    snprintf (destination, sizeof destination, "%s", hold->destination_id);
    wf_account_t *released = wf_account_new ();
    wf_account_copy (released, entry->account);
    wf_account_apply (released, &release);
    int refused = s_capture_debit (released, &release, destination, row, &debit, &why);
    wf_account_destroy (&released);
    if (refused) {
        wf_account_refuse (item, why.code, why.detail, why.field);
        return 0;
    }
    //  Each event's outbox row is written right after it, so its accountVersion is its own.
    if (s_commit_hold (self, entry, &release, destination) != 0 ||
        wf_account_commit_event (self, entry, &debit) != 0 ||
        wf_account_outbox_money (self, state, &debit,
                                 *destination ? WF_EVENT_TRANSFER_SENT : WF_EVENT_MONEY_WITHDRAWN,
                                 *destination ? "{account,notifier,amqp}" : "{notifier,amqp}",
                                 *destination ? destination : NULL) != 0 ||
        wf_account_store_metadata (self->conn, state->id, debit.transaction_id,
                                   *destination ? "Transfer" : "Withdrawal", debit.metadata) != 0)
        return -1;
    if (*destination &&
        wf_account_store_transfer_begin (self->conn, debit.transaction_id, state->id, destination,
                                         debit.amount, state->currency, debit.occurred_at_ms) != 0)
        return -1;
    if (wf_account_holds_close (self->conn, row->id, "Captured", release.amount, transaction_id,
                                release.occurred_at_ms) != 0)
        return -1;
    snprintf (row->status, sizeof row->status, "Captured");
    row->captured_amount = release.amount;
    snprintf (row->transaction_id, sizeof row->transaction_id, "%s", transaction_id);
    row->closed_at_ms = release.occurred_at_ms;
    s_reply_hold (item, row, state->digits);
    return 0;
}

//  void and expire: release the whole hold.
static int
s_release (self_t *self, item_t *item, entry_t *entry, bool expire, wf_account_hold_row_t *row)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    wf_account_cmd_t c = {.hold_id = wf_str_c (row->id), .now_ms = wf_clock_ms ()};
    wf_account_event_t event;
    wf_account_refusal_t why;
    int rc = expire ? wf_account_decide_expire (entry->account, &c, &event, &why)
                    : wf_account_decide_void (entry->account, &c, &event, &why);
    if (rc != 0) {
        wf_account_refuse (item, why.code, why.detail, why.field);
        return 0;
    }
    const char *status = expire ? "Expired" : "Voided";
    if (s_commit_hold (self, entry, &event, "") != 0 ||
        wf_account_holds_close (self->conn, row->id, status, 0, NULL, event.occurred_at_ms) != 0)
        return -1;
    snprintf (row->status, sizeof row->status, "%s", status);
    row->closed_at_ms = event.occurred_at_ms;
    s_reply_hold (item, row, state->digits);
    return 0;
}

//  True when text is a zero written as digits (and at most one point), such
//  as "0" or "0.00": the one amount a limit may have that a money amount may not.
static bool
s_is_zero (wf_str_t text)
{
    size_t points = 0;
    for (size_t i = 0; i < text.len; i++) {
        if (text.ptr[i] == '.')
            points++;
        else if (text.ptr[i] != '0')
            return false;
    }
    return text.len > 0 && text.ptr[0] == '0' && points <= 1;
}

//  overdraft: an Admin sets the account's limit ("0" allowed).
static int
s_overdraft (self_t *self, item_t *item, entry_t *entry, const wf_account_command_t *cmd)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    wf_account_cmd_t c = {.now_ms = wf_clock_ms ()};
    bool zero = s_is_zero (cmd->amount);
    if (!zero && s_amount (item, cmd, state->digits, true, &c.overdraft_limit) != 0) {
        snprintf (item->field, sizeof item->field, "limit");
        return 0;
    }
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_overdraft (entry->account, &c, &event, &why) != 0) {
        wf_account_refuse (item, why.code, why.detail, why.field);
        return 0;
    }
    if (wf_account_commit_event (self, entry, &event) != 0 ||
        wf_account_holds_account_row (self->conn, state) != 0)
        return -1;
    char occurred[32];
    wf_account_iso_time (event.occurred_at_ms, occurred);
    json_t *p =
        json_pack ("{s:s,s:s,s:I,s:s,s:s,s:I}", "accountId", state->id, "ownerId", state->owner_id,
                   "limit", (json_int_t) event.overdraft_limit, "currency", state->currency,
                   "occurredAt", occurred, "accountVersion", (json_int_t) state->version);
    char *payload = json_dumps (p, JSON_COMPACT);
    json_decref (p);
    int rc = wf_account_store_outbox (self->conn, WF_EVENT_OVERDRAFT_LIMIT_SET, state->id, NULL,
                                      payload, "{amqp}");
    free (payload);
    if (rc != 0)
        return -1;
    wf_account_reply_info (item, state);
    return 0;
}

bool
wf_account_holds_kind (wf_str_t kind)
{
    return wf_str_eq (kind, "capture") || wf_str_eq (kind, "void") || wf_str_eq (kind, "expire");
}

int
wf_account_holds_resolve (self_t *self, item_t *item, const wf_account_command_t *cmd,
                          char account_id[WF_UUID_BYTES])
{
    char hold_id[WF_UUID_BYTES];
    wf_account_hold_row_t row;
    if (!wf_account_uuid_valid (cmd->hold_id)) {
        wf_account_refuse (item, WF_ERR_NOT_FOUND, "No such hold.", NULL);
        return 0;
    }
    s_copy (hold_id, sizeof hold_id, cmd->hold_id);
    int found = wf_account_holds_get (self->conn, hold_id, &row);
    if (found <= 0) {
        if (found == 0)
            wf_account_refuse (item, WF_ERR_NOT_FOUND, "No such hold.", NULL);
        return found;
    }
    snprintf (account_id, WF_UUID_BYTES, "%s", row.account_id);
    return 1;
}

int
wf_account_handle_hold (self_t *self, item_t *item, entry_t *entry, const wf_account_command_t *cmd)
{
    if (wf_str_eq (cmd->kind, "hold"))
        return s_place (self, item, entry, cmd);
    if (wf_str_eq (cmd->kind, "overdraft"))
        return s_overdraft (self, item, entry, cmd);
    char hold_id[WF_UUID_BYTES];
    wf_account_hold_row_t row;
    s_copy (hold_id, sizeof hold_id, cmd->hold_id);
    int found = wf_account_holds_get (self->conn, hold_id, &row);
    if (found < 0)
        return -1;
    if (!found) {
        wf_account_refuse (item, WF_ERR_NOT_FOUND, "No such hold.", NULL);
        return 0;
    }
    if (strcmp (row.status, "Open") != 0) {
        //  Captured, voided or expired: nothing left to capture or release.
        char detail[64];
        snprintf (detail, sizeof detail, "The hold is %s.", row.status);
        wf_account_refuse (item, WF_ERR_UNPROCESSABLE, detail, NULL);
        return 0;
    }
    if (wf_str_eq (cmd->kind, "capture"))
        return s_capture (self, item, entry, cmd, &row);
    return s_release (self, item, entry, wf_str_eq (cmd->kind, "expire"), &row);
}

void
wf_account_holds_expire_due (self_t *self)
{
    size_t max = self->batch_max < EXPIRY_BATCH_MAX ? self->batch_max : EXPIRY_BATCH_MAX;
    char hold_ids[EXPIRY_BATCH_MAX][WF_UUID_BYTES], accounts[EXPIRY_BATCH_MAX][WF_UUID_BYTES];
    PGconn *conn = wf_pg_conn (self->pg);
    if (!conn)
        return;
    int count = wf_account_holds_due (conn, self->config->shard, wf_clock_ms (), (int) max,
                                      hold_ids, accounts);
    if (count < 0) {
        wf_pg_failed (self->pg);
        return;
    }
    for (int i = 0; i < count; i++) {
        item_t *item = &self->items[i];
        memset (&item->env, 0, sizeof item->env);
        item->env.type = WF_MSG_ACCOUNT_COMMAND;
        wf_account_command_t *c = &item->body->account_command;
        memset (c, 0, sizeof *c);
        c->kind = WF_STR ("expire");
        c->hold_id = wf_str_c (hold_ids[i]);
        c->user_id = WF_STR (INTERNAL_USER_ID);
        c->role = WF_STR ("");
        item->valid = true;
        item->internal = true;
    }
    size_t expired = wf_account_run_internal (self, (size_t) count);
    if (count > 0)
        wf_log (WF_LOG_INFO, self->service, "holds_expired", NULL, "due=%d expired=%zu", count,
                expired);
    wf_metrics_counter_add (self->metrics, "wf_account_holds_expired_total",
                            "Holds released by the expiry timer.", expired, NULL);
}
