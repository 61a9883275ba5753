/*  wf_sim_handle - the shard's request handlers, as actors/account/
    wf_account_handle.c decides them, against the simulated store.

    The names match the real functions (s_open, s_money, s_status,
    s_idempotency_check, s_user_registered, s_transfer_credit,
    s_transfer_refund...). They call the real aggregate's decide and apply;
    where the real handler runs a statement, the model writes a row into the
    worker's open transaction (wf_sim_store.c), and each such statement may
    fail (an injected database error) exactly where the real handler would
    return -1.
*/
#include "wf_sim.h"
#include "wf_account_codec.h"
#include "wf_account_default_id.h"
#include "wf_events.h"
#include "wf_money.h"
#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CURRENCY "ARS" //  the wallet opened at registration

//  s_reply_transaction: a TransactionDto for a money event.
static void
s_reply_transaction (sim_item_t *item, const wf_account_state_t *state,
                     const wf_account_event_t *event, const char *type)
{
    wf_account_transaction_t reply = {
        .id = wf_str_c (event->transaction_id),
        .account_id = wf_str_c (state->id),
        .destination_account_id = event->type == WF_ACCOUNT_EVENT_TRANSFER_SENT
                                      ? wf_str_c (event->counterparty_id)
                                      : (wf_str_t){"", 0},
        .amount = event->amount,
        .currency = wf_str_c (state->currency),
        .digits = state->digits,
        .balance_after = state->balance,
        .type = wf_str_c (type),
        .description = wf_str_c (event->description),
        .created_at_ms = event->occurred_at_ms,
    };
    item->decided = true;
    item->reply_type = WF_MSG_ACCOUNT_TRANSACTION;
    wf_buf_reset (&item->reply);
    wf_body_encode (WF_MSG_ACCOUNT_TRANSACTION, &reply, &item->reply);
}

//  s_reply_info: an AccountDto.
static void
s_reply_info (sim_item_t *item, const wf_account_state_t *state, bool is_default)
{
    wf_account_info_t reply = {
        .id = wf_str_c (state->id),
        .owner_id = wf_str_c (state->owner_id),
        .number = wf_str_c (state->number),
        .balance = state->balance,
        .currency = wf_str_c (state->currency),
        .digits = state->digits,
        .status = wf_str_c (wf_account_status_name (state->status)),
        .created_at_ms = state->created_at_ms,
        .version = state->version,
        .is_default = is_default,
        .held = state->held,
        .overdraft_limit = state->overdraft_limit,
    };
    item->decided = true;
    item->reply_type = WF_MSG_ACCOUNT_INFO;
    wf_buf_reset (&item->reply);
    wf_body_encode (WF_MSG_ACCOUNT_INFO, &reply, &item->reply);
}

//  ---------------------------------------------------------------- writes --

//  s_commit_event + wf_account_store_append: apply to the cached aggregate,
//  then the event row, the accounts row, the history row and, every
//  snapshot_every events, a snapshot, all through the real codec.
static int
s_commit_event (sim_world_t *w, sim_worker_t *worker, int account, sim_entry_t *entry,
                const wf_account_event_t *event, bool is_default)
{
    wf_account_apply (entry->account, event);
    entry->touched = true;
    if (!sim_db_ok (w))
        return -1;
    const wf_account_state_t *state = wf_account_state (entry->account);
    sim_op_t *op = sim_txn_add (worker->txn, OP_EVENT);
    op->account = account;
    op->version = state->version;
    op->event = *event;
    json_t *json = wf_account_event_to_json (event);
    op->json = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (json);
    op = sim_txn_add (worker->txn, OP_ACCOUNT);
    op->account = account;
    op->row = (sim_account_row_t){.exists = true,
                                  .owner = w->accounts[account].user,
                                  .balance = state->balance,
                                  .status = state->status,
                                  .version = state->version,
                                  .held = state->held,
                                  .overdraft_limit = state->overdraft_limit,
                                  .is_default = is_default};
    snprintf (op->row.currency, sizeof op->row.currency, "%s", state->currency);
    bool money = (event->type >= WF_ACCOUNT_EVENT_DEPOSITED &&
                  event->type <= WF_ACCOUNT_EVENT_TRANSFER_REFUNDED) ||
                 event->type >= WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED; //  refunds: type 'Refund'
    if (money) {
        op = sim_txn_add (worker->txn, OP_HISTORY);
        op->account = account;
        op->txid = sim_uuid_number (event->transaction_id, 0xc);
        op->event_type = event->type;
        op->amount = event->amount;
        op->counterparty =
            event->counterparty_id[0] ? sim_account_index (w, event->counterparty_id) : -1;
        assert (op->txid >= 0);
    }
    if (state->version % w->config.snapshot_every == 0) {
        op = sim_txn_add (worker->txn, OP_SNAPSHOT);
        op->account = account;
        op->version = state->version;
        json = wf_account_snapshot_to_json (entry->account);
        op->json = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref (json);
    }
    return 0;
}

//  wf_account_store_outbox.
static int
s_outbox (sim_world_t *w, sim_worker_t *worker, const char *type, int stream, const char *route_key,
          json_t *payload, unsigned destinations)
{
    char *text = json_dumps (payload, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (payload);
    if (!sim_db_ok (w)) {
        free (text);
        return -1;
    }
    sim_op_t *op = sim_txn_add (worker->txn, OP_OUTBOX);
    snprintf (op->outbox.type, sizeof op->outbox.type, "%s", type);
    op->outbox.stream = stream;
    snprintf (op->outbox.route_key, sizeof op->outbox.route_key, "%s", route_key ? route_key : "");
    op->outbox.payload = text;
    op->outbox.destinations = destinations;
    return 0;
}

//  s_outbox_event: the integration event of an account event.
static int
s_outbox_event (sim_world_t *w, sim_worker_t *worker, int account, const wf_account_state_t *state,
                const wf_account_event_t *event, const char *type, unsigned destinations,
                const char *route_key)
{
    json_t *p = json_object ();
    if (event->type == WF_ACCOUNT_EVENT_OPENED) {
        json_object_set_new (p, "accountId", json_string (state->id));
        json_object_set_new (p, "currency", json_string (state->currency));
    } else {
        json_object_set_new (p, "transactionId", json_string (event->transaction_id));
        json_object_set_new (p, "accountId", json_string (state->id));
        json_object_set_new (p, "amount", json_integer (event->amount));
        json_object_set_new (p, "currency", json_string (state->currency));
        json_object_set_new (p, "balanceAfter", json_integer (state->balance));
        json_object_set_new (p, "description", json_string (event->description));
        if (event->type == WF_ACCOUNT_EVENT_TRANSFER_SENT)
            json_object_set_new (p, "destinationAccountId", json_string (event->counterparty_id));
    }
    json_object_set_new (p, "ownerId", json_string (state->owner_id));
    json_object_set_new (p, "accountVersion", json_integer (state->version));
    return s_outbox (w, worker, type, account, route_key, p, destinations);
}

//  wf_account_store_transfer_begin / _end (end must close an InFlight row).
static int
s_transfer (sim_world_t *w, sim_worker_t *worker, int txid, bool begin, int source, int destination,
            int64_t amount, sim_transfer_status_t status)
{
    if (!sim_db_ok (w))
        return -1;
    if (!begin && sim_store_transfer (w, worker->txn, txid) != TRANSFER_IN_FLIGHT)
        return -1; //  UPDATE ... WHERE status = 'InFlight' touched no row
    sim_op_t *op = sim_txn_add (worker->txn, begin ? OP_TRANSFER_BEGIN : OP_TRANSFER_END);
    op->txid = txid;
    op->transfer = (sim_transfer_t){source, destination, amount, status};
    return 0;
}

//  ------------------------------------------------------------- commands --

//  s_open: opens an account with a number from the simulated clock and bits.
static int
s_open (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account, wf_str_t currency,
        bool is_default)
{
    sim_entry_t *entry = sim_shard_entry (w, worker, account);
    if (!entry)
        return -1;
    char number[WF_ACCOUNT_NUMBER_BYTES];
    wf_account_number_make (w->now_ms, (uint32_t) sim_rng_next (&w->rng), number);
    wf_account_open_t cmd = {.account_id = wf_str_c (w->accounts[account].id),
                             .owner_id = wf_str_c (w->user_id[w->accounts[account].user]),
                             .account_number = wf_str_c (number),
                             .currency = currency,
                             .now_ms = w->now_ms};
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_open (entry->account, &cmd, &event, &why) != 0) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    if (s_commit_event (w, worker, account, entry, &event, is_default) != 0)
        return -1;
    const wf_account_state_t *state = wf_account_state (entry->account);
    if (s_outbox_event (w, worker, account, state, &event, WF_EVENT_ACCOUNT_OPENED,
                        DEST_BIT (DEST_NOTIFIER) | DEST_BIT (DEST_AMQP), NULL) != 0)
        return -1;
    s_reply_info (item, state, is_default);
    return 0;
}

//  s_check_destination: the transfer's destination in the read model.
//  0 fine, 1 refused, -1 database error.
static int
s_check_destination (sim_world_t *w, sim_worker_t *worker, sim_item_t *item,
                     const wf_account_state_t *source, wf_str_t dest)
{
    if (!wf_account_uuid_valid (dest)) {
        sim_shard_refuse (item, WF_ERR_UNPROCESSABLE, "The destination account does not exist.");
        return 1;
    }
    if (!sim_db_ok (w))
        return -1;
    char id[WF_UUID_BYTES];
    snprintf (id, sizeof id, "%.*s", (int) dest.len, dest.ptr);
    int index = sim_account_index (w, id);
    const sim_account_row_t *row = index >= 0 ? sim_store_peek (w, worker->txn, index) : NULL;
    if (!row) {
        sim_shard_refuse (item, WF_ERR_UNPROCESSABLE, "The destination account does not exist.");
        return 1;
    }
    if (strcmp (row->currency, source->currency) != 0) {
        sim_shard_refuse (item, WF_ERR_CURRENCY_MISMATCH,
                          "The destination account holds another currency.");
        return 1;
    }
    return 0;
}

//  s_money: deposit, withdraw or transfer against the cached aggregate.
static int
s_money (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account, sim_entry_t *entry,
         const wf_account_command_t *cmd)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    assert (w->txids < SIM_TXIDS_MAX);
    int txid = w->txids++;
    char transaction_id[WF_UUID_BYTES];
    sim_uuid (0xc, (unsigned) txid, transaction_id);
    wf_account_cmd_t c = {.transaction_id = wf_str_c (transaction_id),
                          .currency = cmd->currency,
                          .counterparty_id = cmd->destination_account_id,
                          .description = cmd->description,
                          .now_ms = w->now_ms};
    wf_money_err_t bad;
    if (!cmd->amount.len || wf_money_parse (cmd->amount, state->digits, &c.amount, &bad) != 0) {
        sim_shard_refuse (item, WF_ERR_VALIDATION, "amount");
        return 0;
    }
    wf_account_policy_t policy = WF_ACCOUNT_POLICY_DEFAULT;
    wf_account_event_t event;
    wf_account_refusal_t why;
    int rc;
    const char *type, *dto_type;
    unsigned destinations = DEST_BIT (DEST_NOTIFIER) | DEST_BIT (DEST_AMQP);
    if (wf_str_eq (cmd->kind, "deposit")) {
        rc = wf_account_decide_deposit (entry->account, &policy, &c, &event, &why);
        type = WF_EVENT_MONEY_DEPOSITED, dto_type = "Deposit";
    } else if (wf_str_eq (cmd->kind, "withdraw")) {
        rc = wf_account_decide_withdraw (entry->account, &c, &event, &why);
        type = WF_EVENT_MONEY_WITHDRAWN, dto_type = "Withdrawal";
    } else {
        rc = wf_account_decide_transfer (entry->account, &c, &event, &why);
        type = WF_EVENT_TRANSFER_SENT, dto_type = "Transfer";
        destinations |= DEST_BIT (DEST_ACCOUNT);
        if (rc == 0) {
            int checked = s_check_destination (w, worker, item, state, cmd->destination_account_id);
            if (checked != 0)
                return checked < 0 ? -1 : 0;
        }
    }
    if (rc != 0) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    if (s_commit_event (w, worker, account, entry, &event, false) != 0 ||
        s_outbox_event (w, worker, account, state, &event, type, destinations,
                        event.type == WF_ACCOUNT_EVENT_TRANSFER_SENT ? event.counterparty_id
                                                                     : NULL) != 0)
        return -1;
    if (event.type == WF_ACCOUNT_EVENT_TRANSFER_SENT &&
        s_transfer (w, worker, txid, true, account, sim_account_index (w, event.counterparty_id),
                    event.amount, TRANSFER_IN_FLIGHT) != 0)
        return -1;
    s_reply_transaction (item, state, &event, dto_type);
    return 0;
}

//  s_status: suspend or reactivate (Admin only, checked by the caller).
static int
s_status (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account, sim_entry_t *entry,
          const wf_account_command_t *cmd)
{
    wf_account_cmd_t c = {.reason = cmd->reason, .now_ms = w->now_ms};
    wf_account_event_t event;
    wf_account_refusal_t why;
    bool suspend = wf_str_eq (cmd->kind, "suspend");
    int rc = suspend ? wf_account_decide_suspend (entry->account, &c, &event, &why)
                     : wf_account_decide_reactivate (entry->account, &c, &event, &why);
    if (rc != 0) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    const wf_account_state_t *state = wf_account_state (entry->account);
    if (s_commit_event (w, worker, account, entry, &event, false) != 0)
        return -1;
    json_t *p = json_pack ("{s:s,s:s,s:I}", "accountId", state->id, "reason", event.reason,
                           "accountVersion", (json_int_t) state->version);
    if (s_outbox (w, worker, suspend ? WF_EVENT_ACCOUNT_SUSPENDED : WF_EVENT_ACCOUNT_REACTIVATED,
                  account, NULL, p, DEST_BIT (DEST_AMQP)) != 0)
        return -1;
    s_reply_info (item, state, false);
    return 0;
}

//  ---------------------------------------------------------------- holds --
//  wf_account_holds.c: s_place, s_capture, s_release, s_overdraft.

static const char *const s_hold_status[] = {"", "Open", "Captured", "Voided", "Expired"};

//  s_reply_hold: a HoldDto from a hold row.
static void
s_reply_hold (sim_world_t *w, sim_item_t *item, int hold, const sim_hold_row_t *row, int digits)
{
    char id[WF_UUID_BYTES], account[WF_UUID_BYTES], txid[WF_UUID_BYTES];
    sim_uuid (0xd, (unsigned) hold, id);
    snprintf (account, sizeof account, "%s", w->accounts[row->account].id);
    txid[0] = 0;
    if (row->capture_txid >= 0)
        sim_uuid (0xc, (unsigned) row->capture_txid, txid);
    wf_account_hold_info_t reply = {
        .id = wf_str_c (id),
        .account_id = wf_str_c (account),
        .destination_account_id =
            wf_str_c (row->destination >= 0 ? w->accounts[row->destination].id : ""),
        .amount = row->amount,
        .captured_amount = row->captured_amount,
        .currency = wf_str_c (w->accounts[row->account].currency),
        .digits = digits,
        .status = wf_str_c (s_hold_status[row->status]),
        .description = wf_str_c (row->description),
        .transaction_id = wf_str_c (txid),
        .expires_at_ms = row->expires_at_ms,
        .created_at_ms = row->created_at_ms,
        .closed_at_ms = row->status == HOLD_OPEN ? 0 : w->now_ms,
    };
    item->decided = true;
    item->reply_type = WF_MSG_ACCOUNT_HOLD_INFO;
    wf_buf_reset (&item->reply);
    wf_body_encode (WF_MSG_ACCOUNT_HOLD_INFO, &reply, &item->reply);
}

//  s_outbox_hold: the integration event of a hold event (notifier, amqp).
static int
s_outbox_hold (sim_world_t *w, sim_worker_t *worker, int account, const wf_account_state_t *state,
               const wf_account_event_t *event)
{
    const char *type = event->type == WF_ACCOUNT_EVENT_HOLD_PLACED     ? WF_EVENT_HOLD_PLACED
                       : event->type == WF_ACCOUNT_EVENT_HOLD_CAPTURED ? WF_EVENT_HOLD_CAPTURED
                       : event->type == WF_ACCOUNT_EVENT_HOLD_VOIDED   ? WF_EVENT_HOLD_VOIDED
                                                                       : WF_EVENT_HOLD_EXPIRED;
    json_t *p = json_object ();
    json_object_set_new (p, "holdId", json_string (event->hold_id));
    json_object_set_new (p, "accountId", json_string (state->id));
    json_object_set_new (p, "amount",
                         json_integer (event->amount ? event->amount : event->held_amount));
    json_object_set_new (p, "heldAfter", json_integer (state->held));
    json_object_set_new (p, "accountVersion", json_integer (state->version));
    return s_outbox (w, worker, type, account, NULL, p,
                     DEST_BIT (DEST_NOTIFIER) | DEST_BIT (DEST_AMQP));
}

//  s_commit_hold: a hold event, its account row and its outbox row.
static int
s_commit_hold (sim_world_t *w, sim_worker_t *worker, int account, sim_entry_t *entry,
               const wf_account_event_t *event)
{
    if (s_commit_event (w, worker, account, entry, event, false) != 0)
        return -1;
    return s_outbox_hold (w, worker, account, wf_account_state (entry->account), event);
}

//  wf_account_holds_close: UPDATE holds ... WHERE id = $1 AND status = 'Open' (one row or -1).
static int
s_holds_close (sim_world_t *w, sim_worker_t *worker, int hold, sim_hold_status_t status,
               int64_t captured, int capture_txid)
{
    if (!sim_db_ok (w))
        return -1;
    if (sim_store_hold (w, worker->txn, hold).status != HOLD_OPEN)
        return -1;
    sim_op_t *op = sim_txn_add (worker->txn, OP_HOLD_CLOSE);
    op->txid = hold;
    op->hold.status = status;
    op->hold.captured_amount = captured;
    op->hold.capture_txid = capture_txid;
    return 0;
}

//  s_place: reserves money on the account.
static int
s_place (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account, sim_entry_t *entry,
         const wf_account_command_t *cmd)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    assert (w->holds < SIM_HOLDS_MAX);
    int hold = w->holds++;
    char hold_id[WF_UUID_BYTES];
    sim_uuid (0xd, (unsigned) hold, hold_id);
    if (cmd->expires_in_s <= 0 || cmd->expires_in_s > WF_ACCOUNT_HOLD_SECONDS_MAX) {
        sim_shard_refuse (item, WF_ERR_VALIDATION, "expiresInSeconds must be 1..2592000.");
        return 0;
    }
    wf_account_cmd_t c = {.hold_id = wf_str_c (hold_id),
                          .currency = cmd->currency,
                          .counterparty_id = cmd->destination_account_id,
                          .description = cmd->description,
                          .expires_at_ms = w->now_ms + cmd->expires_in_s * 1000,
                          .now_ms = w->now_ms};
    wf_money_err_t bad;
    if (!cmd->amount.len || wf_money_parse (cmd->amount, state->digits, &c.amount, &bad) != 0) {
        sim_shard_refuse (item, WF_ERR_VALIDATION, "amount");
        return 0;
    }
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_hold (entry->account, &c, &event, &why) != 0) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    if (*event.counterparty_id) {
        int checked =
            s_check_destination (w, worker, item, state, wf_str_c (event.counterparty_id));
        if (checked != 0)
            return checked < 0 ? -1 : 0;
    }
    if (s_commit_hold (w, worker, account, entry, &event) != 0 || !sim_db_ok (w))
        return -1;
    sim_hold_row_t row = {
        .account = account,
        .destination = *event.counterparty_id ? sim_account_index (w, event.counterparty_id) : -1,
        .shard = worker->shard,
        .amount = event.amount,
        .expires_at_ms = event.expires_at_ms,
        .created_at_ms = event.occurred_at_ms,
        .status = HOLD_OPEN,
        .capture_txid = -1};
    snprintf (row.description, sizeof row.description, "%.15s", event.description);
    sim_op_t *op = sim_txn_add (worker->txn, OP_HOLD_INSERT);
    op->txid = hold;
    op->hold = row;
    s_reply_hold (w, item, hold, &row, state->digits);
    return 0;
}

//  s_capture: releases the hold and moves the captured part out.
static int
s_capture (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account, sim_entry_t *entry,
           const wf_account_command_t *cmd, int hold, sim_hold_row_t *row)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    assert (w->txids < SIM_TXIDS_MAX);
    int txid = w->txids++;
    char transaction_id[WF_UUID_BYTES], hold_id[WF_UUID_BYTES];
    sim_uuid (0xc, (unsigned) txid, transaction_id);
    sim_uuid (0xd, (unsigned) hold, hold_id);
    wf_account_cmd_t c = {.hold_id = wf_str_c (hold_id),
                          .transaction_id = wf_str_c (transaction_id),
                          .now_ms = w->now_ms};
    wf_money_err_t bad;
    if (cmd->amount.len && wf_money_parse (cmd->amount, state->digits, &c.amount, &bad) != 0) {
        sim_shard_refuse (item, WF_ERR_VALIDATION, "amount");
        return 0;
    }
    wf_account_event_t release, debit;
    wf_account_refusal_t why;
    if (wf_account_decide_capture (entry->account, &c, &release, &why) != 0) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    const wf_account_hold_t *open = wf_account_hold_find (entry->account, hold_id);
    assert (open);
    char destination[WF_UUID_BYTES];
    snprintf (destination, sizeof destination, "%s", open->destination_id);
    //  s_capture_debit, on a scratch copy of the released account.
    wf_account_t *released = wf_account_new ();
    wf_account_copy (released, entry->account);
    wf_account_apply (released, &release);
    wf_account_cmd_t d = {.transaction_id = wf_str_c (release.transaction_id),
                          .amount = release.amount,
                          .counterparty_id = wf_str_c (destination),
                          .description = wf_str_c (row->description),
                          .now_ms = release.occurred_at_ms};
    int refused = *destination ? wf_account_decide_transfer (released, &d, &debit, &why)
                               : wf_account_decide_withdraw (released, &d, &debit, &why);
    wf_account_destroy (&released);
    if (refused) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    if (s_commit_hold (w, worker, account, entry, &release) != 0 ||
        s_commit_event (w, worker, account, entry, &debit, false) != 0 ||
        s_outbox_event (w, worker, account, state, &debit,
                        *destination ? WF_EVENT_TRANSFER_SENT : WF_EVENT_MONEY_WITHDRAWN,
                        DEST_BIT (DEST_NOTIFIER) | DEST_BIT (DEST_AMQP) |
                            (*destination ? DEST_BIT (DEST_ACCOUNT) : 0u),
                        *destination ? destination : NULL) != 0)
        return -1;
    if (*destination &&
        s_transfer (w, worker, txid, true, account, sim_account_index (w, destination),
                    debit.amount, TRANSFER_IN_FLIGHT) != 0)
        return -1;
    if (s_holds_close (w, worker, hold, HOLD_CAPTURED, release.amount, txid) != 0)
        return -1;
    row->status = HOLD_CAPTURED;
    row->captured_amount = release.amount;
    row->capture_txid = txid;
    s_reply_hold (w, item, hold, row, state->digits);
    return 0;
}

//  s_release: void and expire release the whole hold.
static int
s_release (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account, sim_entry_t *entry,
           bool expire, int hold, sim_hold_row_t *row)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    char hold_id[WF_UUID_BYTES];
    sim_uuid (0xd, (unsigned) hold, hold_id);
    wf_account_cmd_t c = {.hold_id = wf_str_c (hold_id), .now_ms = w->now_ms};
    wf_account_event_t event;
    wf_account_refusal_t why;
    int rc = expire ? wf_account_decide_expire (entry->account, &c, &event, &why)
                    : wf_account_decide_void (entry->account, &c, &event, &why);
    if (rc != 0) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    sim_hold_status_t status = expire ? HOLD_EXPIRED : HOLD_VOIDED;
    if (s_commit_hold (w, worker, account, entry, &event) != 0 ||
        s_holds_close (w, worker, hold, status, 0, -1) != 0)
        return -1;
    row->status = status;
    s_reply_hold (w, item, hold, row, state->digits);
    return 0;
}

//  s_is_zero: "0", "0.00": the one amount a limit may have that money may not.
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

//  s_overdraft: an Admin sets the account's limit.
static int
s_overdraft (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account,
             sim_entry_t *entry, const wf_account_command_t *cmd)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    wf_account_cmd_t c = {.now_ms = w->now_ms};
    wf_money_err_t bad;
    if (!s_is_zero (cmd->amount) &&
        (!cmd->amount.len ||
         wf_money_parse (cmd->amount, state->digits, &c.overdraft_limit, &bad) != 0)) {
        sim_shard_refuse (item, WF_ERR_VALIDATION, "limit");
        return 0;
    }
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_overdraft (entry->account, &c, &event, &why) != 0) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    if (s_commit_event (w, worker, account, entry, &event, false) != 0)
        return -1;
    json_t *p = json_pack ("{s:s,s:I,s:I}", "accountId", state->id, "limit",
                           (json_int_t) event.overdraft_limit, "accountVersion",
                           (json_int_t) state->version);
    if (s_outbox (w, worker, WF_EVENT_OVERDRAFT_LIMIT_SET, account, NULL, p,
                  DEST_BIT (DEST_AMQP)) != 0)
        return -1;
    s_reply_info (item, state, false);
    return 0;
}

//  wf_account_handle_hold.
static int
s_handle_hold (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account,
               sim_entry_t *entry, const wf_account_command_t *cmd)
{
    if (wf_str_eq (cmd->kind, "hold"))
        return s_place (w, worker, item, account, entry, cmd);
    if (wf_str_eq (cmd->kind, "overdraft"))
        return s_overdraft (w, worker, item, account, entry, cmd);
    if (!sim_db_ok (w))
        return -1; //  wf_account_holds_get
    char id[WF_UUID_BYTES];
    snprintf (id, sizeof id, "%.*s", (int) cmd->hold_id.len, cmd->hold_id.ptr);
    int hold = sim_uuid_number (id, 0xd);
    sim_hold_row_t row = sim_store_hold (w, worker->txn, hold);
    if (row.status == HOLD_NONE) {
        sim_shard_refuse (item, WF_ERR_NOT_FOUND, "No such hold.");
        return 0;
    }
    if (row.status != HOLD_OPEN) {
        sim_shard_refuse (item, WF_ERR_UNPROCESSABLE, "The hold is closed.");
        return 0;
    }
    if (wf_str_eq (cmd->kind, "capture"))
        return s_capture (w, worker, item, account, entry, cmd, hold, &row);
    return s_release (w, worker, item, account, entry, wf_str_eq (cmd->kind, "expire"), hold, &row);
}

//  wf_account_holds_kind.
static bool
s_holds_kind (wf_str_t kind)
{
    return wf_str_eq (kind, "capture") || wf_str_eq (kind, "void") || wf_str_eq (kind, "expire");
}

//  -------------------------------------------------------------- refunds --
//  wf_account_refunds.c: s_original, s_refund_amount, s_mark_refunded,
//  wf_account_handle_refund.

typedef struct {
    int account; //  -1 = none
    wf_account_event_type_t type;
    int64_t amount, refunded;
    int sender;
} sim_original_t;

//  s_original: the caller's row of the movement, a TransferReceived first.
//  1 found, 0 none, -1 database error.
static int
s_original (sim_world_t *w, sim_worker_t *worker, int txid, int user, sim_original_t *row)
{
    static const wf_account_event_type_t order[] = {
        WF_ACCOUNT_EVENT_TRANSFER_RECEIVED, WF_ACCOUNT_EVENT_DEPOSITED,
        WF_ACCOUNT_EVENT_WITHDRAWN,         WF_ACCOUNT_EVENT_TRANSFER_SENT,
        WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED,  WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED,
        WF_ACCOUNT_EVENT_TRANSFER_REVERSED};
    if (!sim_db_ok (w))
        return -1;
    if (txid < 0 || txid >= w->txids || user < 0)
        return 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        int account = sim_store_history (w, worker->txn, txid, order[i], &row->amount,
                                         &row->refunded, &row->sender);
        if (account >= 0 && w->accounts[account].user == user) {
            row->account = account;
            row->type = order[i];
            return 1;
        }
    }
    return 0;
}

//  wf_account_refunds_resolve: the account holding the caller's row.
static int
s_refunds_resolve (sim_world_t *w, sim_worker_t *worker, sim_item_t *item,
                   const wf_account_command_t *cmd, int *account)
{
    if (!wf_account_uuid_valid (cmd->transaction_id)) {
        sim_shard_refuse (item, WF_ERR_NOT_FOUND, "No such transaction.");
        return 0;
    }
    char id[WF_UUID_BYTES], user[WF_UUID_BYTES];
    snprintf (id, sizeof id, "%.*s", (int) cmd->transaction_id.len, cmd->transaction_id.ptr);
    snprintf (user, sizeof user, "%.*s", (int) cmd->user_id.len, cmd->user_id.ptr);
    sim_original_t row;
    int found =
        s_original (w, worker, sim_uuid_number (id, 0xc), sim_uuid_number (user, 0xb), &row);
    if (found == 0)
        sim_shard_refuse (item, WF_ERR_NOT_FOUND, "No such transaction.");
    if (found == 1)
        *account = row.account;
    return found;
}

//  wf_account_handle_refund.
static int
s_refund (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account, sim_entry_t *entry,
          const wf_account_command_t *cmd)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    char original_id[WF_UUID_BYTES], user[WF_UUID_BYTES];
    snprintf (original_id, sizeof original_id, "%.*s", (int) cmd->transaction_id.len,
              cmd->transaction_id.ptr);
    snprintf (user, sizeof user, "%.*s", (int) cmd->user_id.len, cmd->user_id.ptr);
    int original = sim_uuid_number (original_id, 0xc);
    sim_original_t row;
    int found = s_original (w, worker, original, sim_uuid_number (user, 0xb), &row);
    if (found <= 0) {
        if (found == 0)
            sim_shard_refuse (item, WF_ERR_NOT_FOUND, "No such transaction.");
        return found;
    }
    (void) account;
    wf_account_event_type_t type =
        row.type == WF_ACCOUNT_EVENT_DEPOSITED           ? WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED
        : row.type == WF_ACCOUNT_EVENT_WITHDRAWN         ? WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED
        : row.type == WF_ACCOUNT_EVENT_TRANSFER_RECEIVED ? WF_ACCOUNT_EVENT_TRANSFER_REVERSED
                                                         : WF_ACCOUNT_EVENT_NONE;
    if (type == WF_ACCOUNT_EVENT_NONE) {
        sim_shard_refuse (item, WF_ERR_UNPROCESSABLE,
                          row.type == WF_ACCOUNT_EVENT_TRANSFER_SENT
                              ? "A transfer is refunded by the account that received it."
                              : "A refund cannot be refunded.");
        return 0;
    }
    assert (w->txids < SIM_TXIDS_MAX);
    int txid = w->txids++;
    char refund_id[WF_UUID_BYTES];
    sim_uuid (0xc, (unsigned) txid, refund_id);
    const char *sender = row.sender >= 0 ? w->accounts[row.sender].id : "";
    wf_account_cmd_t c = {.transaction_id = wf_str_c (refund_id),
                          .original_id = wf_str_c (original_id),
                          .counterparty_id =
                              wf_str_c (type == WF_ACCOUNT_EVENT_TRANSFER_REVERSED ? sender : ""),
                          .description = cmd->reason,
                          .now_ms = w->now_ms};
    //  s_refund_amount: the rest when none was given.
    int64_t rest = row.amount - (w->plant == PLANT_REFUND_UNCHECKED ? 0 : row.refunded);
    if (rest <= 0) {
        sim_shard_refuse (item, WF_ERR_UNPROCESSABLE, "The transaction is already fully refunded.");
        return 0;
    }
    c.amount = rest;
    wf_money_err_t bad;
    if (cmd->amount.len && wf_money_parse (cmd->amount, state->digits, &c.amount, &bad) != 0) {
        sim_shard_refuse (item, WF_ERR_VALIDATION, "amount");
        return 0;
    }
    if (c.amount > rest) {
        sim_shard_refuse (item, WF_ERR_UNPROCESSABLE,
                          "The amount exceeds what is left to refund of the transaction.");
        return 0;
    }
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_refund_of (entry->account, type, &c, &event, &why) != 0) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    bool reversal = type == WF_ACCOUNT_EVENT_TRANSFER_REVERSED;
    const char *outbox_type = reversal ? WF_EVENT_TRANSFER_REVERSED
                              : type == WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED
                                  ? WF_EVENT_DEPOSIT_REFUNDED
                                  : WF_EVENT_WITHDRAWAL_REFUNDED;
    if (s_commit_event (w, worker, account, entry, &event, false) != 0)
        return -1;
    //  s_outbox_refund: a reversal's credit leg travels like a TransferSent's.
    json_t *p = json_object ();
    json_object_set_new (p, "transactionId", json_string (event.transaction_id));
    json_object_set_new (p, "originalId", json_string (event.original_id));
    json_object_set_new (p, "accountId", json_string (state->id));
    if (reversal)
        json_object_set_new (p, "destinationAccountId", json_string (event.counterparty_id));
    json_object_set_new (p, "amount", json_integer (event.amount));
    json_object_set_new (p, "currency", json_string (state->currency));
    json_object_set_new (p, "description", json_string (event.description));
    json_object_set_new (p, "accountVersion", json_integer (state->version));
    if (s_outbox (w, worker, outbox_type, account, reversal ? event.counterparty_id : NULL, p,
                  DEST_BIT (DEST_NOTIFIER) | DEST_BIT (DEST_AMQP) |
                      (reversal ? DEST_BIT (DEST_ACCOUNT) : 0u)) != 0)
        return -1;
    //  s_mark_refunded: the UPDATE's own condition refuses going past the amount.
    if (!sim_db_ok (w))
        return -1;
    int64_t amount, refunded;
    int ignored;
    sim_store_history (w, worker->txn, original, row.type, &amount, &refunded, &ignored);
    if (refunded + event.amount > amount && w->plant != PLANT_REFUND_UNCHECKED)
        return -1;
    sim_op_t *op = sim_txn_add (worker->txn, OP_REFUNDED);
    op->txid = original;
    op->amount = event.amount;
    if (reversal && s_transfer (w, worker, txid, true, account, row.sender, event.amount,
                                TRANSFER_IN_FLIGHT) != 0)
        return -1;
    s_reply_transaction (item, state, &event, "Refund");
    return 0;
}

//  ----------------------------------------------------------- idempotency --

//  s_replay: the stored first response, or a refusal when the body differs.
static void
s_replay (sim_world_t *w, sim_item_t *item, const char *stored_fingerprint, wf_msg_id_t reply_type,
          const uint8_t *reply, size_t size, wf_str_t fingerprint)
{
    w->stats.coverage[C_IDEM_REPLAY]++;
    if (!wf_str_eq (fingerprint, stored_fingerprint)) {
        w->stats.coverage[C_IDEM_REPLAY]--;
        w->stats.coverage[C_IDEM_REUSED]++;
        sim_shard_refuse (item, WF_ERR_IDEMPOTENCY_REUSED,
                          "This Idempotency-Key was used with a different request.");
        return;
    }
    item->decided = true;
    item->reply_type = reply_type;
    wf_buf_reset (&item->reply);
    uint8_t *copy = (uint8_t *) malloc (size ? size : 1);
    memcpy (copy, reply, size);
    free (item->reply.data);
    item->reply.data = copy;
    item->reply.size = item->reply.capacity = size;
}

//  s_idempotency_check: the key in this batch, then in the store. 1 when
//  the item was answered from a first response, 0 to go on, -1 on error.
static int
s_idempotency_check (sim_world_t *w, sim_worker_t *worker, sim_item_t *item,
                     const wf_account_command_t *cmd, const char *map_key)
{
    for (size_t k = 0; k < worker->batch_keys; k++) {
        sim_item_t *first = &worker->items[worker->batch_key_item[k]];
        if (streq (worker->batch_key[k], map_key) && first->decided &&
            first->reply_type != WF_MSG_ERROR) {
            char stored[65];
            const wf_str_t f = first->body.account_command.fingerprint;
            snprintf (stored, sizeof stored, "%.*s", (int) f.len, f.ptr);
            s_replay (w, item, stored, first->reply_type, first->reply.data, first->reply.size,
                      cmd->fingerprint);
            return 1;
        }
    }
    if (!sim_db_ok (w))
        return -1;
    const sim_idem_t *idem = sim_store_idem_get (w, worker->txn, map_key);
    if (!idem)
        return 0;
    s_replay (w, item, idem->fingerprint, idem->reply_type, idem->reply, idem->reply_size,
              cmd->fingerprint);
    return 1;
}

//  s_idempotency_store: a successful first response under its key.
static int
s_idempotency_store (sim_world_t *w, sim_worker_t *worker, sim_item_t *item,
                     const wf_account_command_t *cmd, const char *map_key)
{
    if (item->reply_type == WF_MSG_ERROR)
        return 0; //  refusals leave no trace; the same key may be retried
    assert (worker->batch_keys < SIM_BATCH_MAX);
    snprintf (worker->batch_key[worker->batch_keys], sizeof worker->batch_key[0], "%s", map_key);
    worker->batch_key_item[worker->batch_keys++] = (int) (item - worker->items);
    if (!sim_db_ok (w))
        return -1;
    sim_op_t *op = sim_txn_add (worker->txn, OP_IDEM);
    snprintf (op->idem.key, sizeof op->idem.key, "%s", map_key);
    snprintf (op->idem.fingerprint, sizeof op->idem.fingerprint, "%.*s", (int) cmd->fingerprint.len,
              cmd->fingerprint.ptr);
    op->idem.reply_type = item->reply_type;
    op->idem.reply_size = item->reply.size;
    op->idem.reply = (uint8_t *) malloc (item->reply.size ? item->reply.size : 1);
    memcpy (op->idem.reply, item->reply.data, item->reply.size);
    return 0;
}

//  s_command_kind: dispatch by kind after the ownership check.
static int
s_command_kind (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, int account,
                const wf_account_command_t *cmd)
{
    if (wf_str_eq (cmd->kind, "open"))
        return s_open (w, worker, item, account, cmd->currency, false);
    sim_entry_t *entry = sim_shard_entry (w, worker, account);
    if (!entry)
        return -1;
    const wf_account_state_t *state = wf_account_state (entry->account);
    bool admin = wf_str_eq (cmd->role, "Admin");
    bool status_change = wf_str_eq (cmd->kind, "suspend") || wf_str_eq (cmd->kind, "reactivate") ||
                         wf_str_eq (cmd->kind, "overdraft");
    //  Only the shard's own timer may expire a hold.
    if (wf_str_eq (cmd->kind, "expire") && !item->internal) {
        sim_shard_refuse (item, WF_ERR_BAD_REQUEST, "Unknown command.");
        return 0;
    }
    if (state->version == 0 ||
        (!wf_str_eq (cmd->user_id, state->owner_id) && !status_change && !item->internal)) {
        sim_shard_refuse (item, WF_ERR_NOT_FOUND, "No such account.");
        return 0;
    }
    if (status_change) {
        if (!admin) {
            sim_shard_refuse (item, WF_ERR_FORBIDDEN, "Only an administrator may do this.");
            return 0;
        }
        if (wf_str_eq (cmd->kind, "overdraft"))
            return s_handle_hold (w, worker, item, account, entry, cmd);
        return s_status (w, worker, item, account, entry, cmd);
    }
    if (wf_str_eq (cmd->kind, "hold") || s_holds_kind (cmd->kind))
        return s_handle_hold (w, worker, item, account, entry, cmd);
    if (wf_str_eq (cmd->kind, "refund"))
        return s_refund (w, worker, item, account, entry, cmd);
    if (wf_str_eq (cmd->kind, "deposit") || wf_str_eq (cmd->kind, "withdraw") ||
        wf_str_eq (cmd->kind, "transfer"))
        return s_money (w, worker, item, account, entry, cmd);
    sim_shard_refuse (item, WF_ERR_BAD_REQUEST, "Unknown command.");
    return 0;
}

//  wf_account_holds_resolve: the account of the command's hold. 1 found,
//  0 refused, -1 database error.
static int
s_holds_resolve (sim_world_t *w, sim_worker_t *worker, sim_item_t *item,
                 const wf_account_command_t *cmd, int *account)
{
    if (!wf_account_uuid_valid (cmd->hold_id)) {
        sim_shard_refuse (item, WF_ERR_NOT_FOUND, "No such hold.");
        return 0;
    }
    if (!sim_db_ok (w))
        return -1;
    char id[WF_UUID_BYTES];
    snprintf (id, sizeof id, "%.*s", (int) cmd->hold_id.len, cmd->hold_id.ptr);
    sim_hold_row_t row = sim_store_hold (w, worker->txn, sim_uuid_number (id, 0xd));
    if (row.status == HOLD_NONE) {
        sim_shard_refuse (item, WF_ERR_NOT_FOUND, "No such hold.");
        return 0;
    }
    *account = row.account;
    return 1;
}

//  wf_account_handle_command.
int
sim_handle_command (sim_world_t *w, sim_worker_t *worker, sim_item_t *item)
{
    const wf_account_command_t *cmd = &item->body.account_command;
    bool by_hold = s_holds_kind (cmd->kind) && !cmd->account_id.len;
    bool refund = wf_str_eq (cmd->kind, "refund");
    if ((!by_hold && !refund && !wf_account_uuid_valid (cmd->account_id)) ||
        !wf_account_uuid_valid (cmd->user_id)) {
        sim_shard_refuse (item, WF_ERR_NOT_FOUND, "No such account.");
        return 0;
    }
    int account = -1;
    if (by_hold || refund) {
        int found = by_hold ? s_holds_resolve (w, worker, item, cmd, &account)
                            : s_refunds_resolve (w, worker, item, cmd, &account);
        if (found <= 0)
            return found;
    } else {
        char id[WF_UUID_BYTES];
        snprintf (id, sizeof id, "%.*s", (int) cmd->account_id.len, cmd->account_id.ptr);
        account = sim_account_index (w, id);
    }
    if (account < 0) {
        sim_shard_refuse (item, WF_ERR_NOT_FOUND, "No such account.");
        return 0;
    }
    char map_key[WF_UUID_BYTES + SIM_IDEM_KEY_BYTES + 2];
    bool keyed = cmd->idempotency_key.len > 0 && !wf_str_eq (cmd->kind, "open") &&
                 w->plant != PLANT_NO_IDEMPOTENCY;
    if (keyed) {
        snprintf (map_key, sizeof map_key, "%.*s|%.*s", (int) cmd->user_id.len, cmd->user_id.ptr,
                  (int) cmd->idempotency_key.len, cmd->idempotency_key.ptr);
        int replayed = s_idempotency_check (w, worker, item, cmd, map_key);
        if (replayed != 0)
            return replayed < 0 ? -1 : 0;
    }
    if (s_command_kind (w, worker, item, account, cmd) != 0)
        return -1;
    return keyed ? s_idempotency_store (w, worker, item, cmd, map_key) : 0;
}

//  ----------------------------------------------------------- deliveries --

//  s_member: a string member of a payload.
static bool
s_member (json_t *payload, const char *name, char *dst, size_t size)
{
    const char *value = json_string_value (json_object_get (payload, name));
    if (!value || strlen (value) >= size)
        return false;
    strcpy (dst, value);
    return true;
}

//  s_user_registered: opens the user's default wallet, exactly once.
static int
s_user_registered (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, json_t *payload)
{
    char user[WF_UUID_BYTES], id[WF_UUID_BYTES];
    if (!s_member (payload, "userId", user, sizeof user) ||
        !wf_account_uuid_valid (wf_str_c (user))) {
        sim_shard_refuse (item, WF_ERR_BAD_REQUEST, "UserRegistered without a valid userId");
        return 0;
    }
    wf_account_default_id (user, id);
    int account = sim_account_index (w, id);
    assert (account >= 0); //  registered with the user (wf_sim.c)
    sim_entry_t *entry = sim_shard_entry (w, worker, account);
    if (!entry)
        return -1;
    if (wf_account_state (entry->account)->version > 0)
        return 0; //  already open: nothing to do
    return s_open (w, worker, item, account, wf_str_c (DEFAULT_CURRENCY), true);
}

//  s_transfer_credit: the credit leg at the destination, or a request to
//  refund the source when the credit cannot apply.
static int
s_transfer_credit (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, json_t *payload)
{
    char transfer[WF_UUID_BYTES], source[WF_UUID_BYTES], dest[WF_UUID_BYTES], currency[8];
    json_t *amount = json_object_get (payload, "amount");
    int account = -1;
    if (s_member (payload, "destinationAccountId", dest, sizeof dest))
        account = sim_account_index (w, dest);
    if (!s_member (payload, "transactionId", transfer, sizeof transfer) ||
        !s_member (payload, "accountId", source, sizeof source) || account < 0 ||
        !s_member (payload, "currency", currency, sizeof currency) || !json_is_integer (amount)) {
        sim_shard_refuse (item, WF_ERR_BAD_REQUEST, "TransferSent payload incomplete");
        return 0;
    }
    sim_entry_t *entry = sim_shard_entry (w, worker, account);
    if (!entry)
        return -1;
    wf_account_cmd_t c = {
        .transaction_id = wf_str_c (transfer),
        .amount = json_integer_value (amount),
        .currency = wf_str_c (currency),
        .counterparty_id = wf_str_c (source),
        .description = wf_str_c (json_string_value (json_object_get (payload, "description"))),
        .now_ms = w->now_ms};
    wf_account_event_t event;
    wf_account_refusal_t why;
    int txid = sim_uuid_number (transfer, 0xc);
    if (wf_account_decide_receive (entry->account, &c, &event, &why) == 0) {
        const wf_account_state_t *state = wf_account_state (entry->account);
        if (s_commit_event (w, worker, account, entry, &event, false) != 0 ||
            s_outbox_event (w, worker, account, state, &event, WF_EVENT_TRANSFER_RECEIVED,
                            DEST_BIT (DEST_NOTIFIER) | DEST_BIT (DEST_AMQP), NULL) != 0 ||
            s_transfer (w, worker, txid, false, 0, 0, 0, TRANSFER_COMPLETED) != 0)
            return -1;
        return 0;
    }
    w->stats.coverage[C_CREDIT_REFUSED]++;
    json_t *p =
        json_pack ("{s:s,s:s,s:s,s:I,s:s,s:s}", "transactionId", transfer, "accountId", source,
                   "destinationAccountId", dest, "amount", (json_int_t) c.amount, "currency",
                   currency, "reason", why.detail ? why.detail : "the credit could not be applied");
    return s_outbox (w, worker, WF_EVENT_TRANSFER_CREDIT_FAILED, account, source, p,
                     DEST_BIT (DEST_ACCOUNT));
}

//  s_transfer_refund: the refund leg at the source.
static int
s_transfer_refund (sim_world_t *w, sim_worker_t *worker, sim_item_t *item, json_t *payload)
{
    char transfer[WF_UUID_BYTES], source[WF_UUID_BYTES], reason[WF_ACCOUNT_TEXT_BYTES_MAX + 1];
    json_t *amount = json_object_get (payload, "amount");
    int account = -1;
    if (s_member (payload, "accountId", source, sizeof source))
        account = sim_account_index (w, source);
    if (!s_member (payload, "transactionId", transfer, sizeof transfer) || account < 0 ||
        !json_is_integer (amount)) {
        sim_shard_refuse (item, WF_ERR_BAD_REQUEST, "TransferCreditFailed payload incomplete");
        return 0;
    }
    if (!s_member (payload, "reason", reason, sizeof reason))
        strcpy (reason, "the credit could not be applied");
    sim_entry_t *entry = sim_shard_entry (w, worker, account);
    if (!entry)
        return -1;
    wf_account_cmd_t c = {.transaction_id = wf_str_c (transfer),
                          .amount = json_integer_value (amount),
                          .reason = wf_str_c (reason),
                          .now_ms = w->now_ms};
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_refund (entry->account, &c, &event, &why) != 0) {
        sim_shard_refuse (item, why.code, why.detail);
        return 0;
    }
    const wf_account_state_t *state = wf_account_state (entry->account);
    if (s_commit_event (w, worker, account, entry, &event, false) != 0 ||
        s_outbox_event (w, worker, account, state, &event, WF_EVENT_TRANSFER_REFUNDED,
                        DEST_BIT (DEST_NOTIFIER) | DEST_BIT (DEST_AMQP), NULL) != 0 ||
        s_transfer (w, worker, sim_uuid_number (transfer, 0xc), false, 0, 0, 0,
                    TRANSFER_REFUNDED) != 0)
        return -1;
    return 0;
}

//  wf_account_handle_delivery: inbox row first, then the effect, then ack.
int
sim_handle_delivery (sim_world_t *w, sim_worker_t *worker, sim_item_t *item)
{
    const wf_outbox_deliver_t *d = &item->body.outbox_deliver;
    char message_id[WF_UUID_BYTES];
    snprintf (message_id, sizeof message_id, "%.*s", (int) d->message_id.len, d->message_id.ptr);
    int fresh = sim_store_inbox (w, worker->txn, message_id);
    if (fresh < 0)
        return -1;
    if (fresh == 0)
        w->stats.coverage[C_INBOX_DUPLICATE]++;
    if (fresh == 0 && w->plant == PLANT_NO_INBOX_DEDUP)
        fresh = 1;
    int rc = 0;
    if (fresh) {
        json_error_t error;
        json_t *payload = json_loadb (d->payload.ptr, d->payload.len, 0, &error);
        if (!payload || !json_is_object (payload))
            sim_shard_refuse (item, WF_ERR_BAD_REQUEST, "payload is not a JSON object");
        else if (wf_str_eq (d->type, WF_EVENT_USER_REGISTERED))
            rc = s_user_registered (w, worker, item, payload);
        else if (wf_str_eq (d->type, WF_EVENT_TRANSFER_SENT) ||
                 wf_str_eq (d->type, WF_EVENT_TRANSFER_REVERSED))
            rc = s_transfer_credit (w, worker, item, payload);
        else if (wf_str_eq (d->type, WF_EVENT_TRANSFER_CREDIT_FAILED))
            rc = s_transfer_refund (w, worker, item, payload);
        json_decref (payload);
    }
    if (rc == 0 && item->decided && item->reply_type == WF_MSG_ERROR)
        sim_trace (w, "  delivery %s refused and acknowledged: %s", message_id, item->detail);
    if (rc == 0) {
        wf_outbox_ack_t ack = {.message_id = d->message_id};
        item->decided = true;
        item->reply_type = WF_MSG_OUTBOX_ACK;
        wf_buf_reset (&item->reply);
        wf_body_encode (WF_MSG_OUTBOX_ACK, &ack, &item->reply);
    }
    return rc;
}
