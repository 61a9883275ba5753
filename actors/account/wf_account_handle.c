/*  wf_account_handle - decides one shard request inside the open batch
    transaction: commands from the front and deliveries from the outbox relay.
*/
#include "wf_account_internal.h"
#include "wf_account_default_id.h"
#include "wf_account_holds_store.h"
#include "wf_uuid.h"
#include "wf_events.h"
#include "wf_log.h"
#include "wf_money.h"
#include <jansson.h>
#include <sodium.h>

#define ADMIN_ROLE "Admin"

//  Copies a slice into a NUL-terminated buffer (truncating).
static void
s_copy (char *dst, size_t size, wf_str_t src)
{
    size_t len = src.len < size - 1 ? src.len : size - 1;
    if (len)
        memcpy (dst, src.ptr, len);
    dst[len] = 0;
}

//  Adds the integration event of `event` (already applied to `state`) to the
//  outbox with its payload (proto/wf_events.h).
static int
s_outbox_event (self_t *self, const wf_account_state_t *state, const wf_account_event_t *event,
                const char *type, const char *destinations, const char *route_key)
{
    char occurred[32];
    wf_account_iso_time (event->occurred_at_ms, occurred);
    json_t *p = json_object ();
    if (event->type == WF_ACCOUNT_EVENT_OPENED) {
        json_object_set_new (p, "accountId", json_string (state->id));
        json_object_set_new (p, "ownerId", json_string (state->owner_id));
        json_object_set_new (p, "accountNumber", json_string (state->number));
        json_object_set_new (p, "currency", json_string (state->currency));
    } else {
        json_object_set_new (p, "transactionId", json_string (event->transaction_id));
        json_object_set_new (p, "accountId", json_string (state->id));
        json_object_set_new (p, "ownerId", json_string (state->owner_id));
        json_object_set_new (p, "amount", json_integer (event->amount));
        json_object_set_new (p, "currency", json_string (state->currency));
        json_object_set_new (p, "balanceAfter", json_integer (state->balance));
        if (event->type == WF_ACCOUNT_EVENT_TRANSFER_REFUNDED)
            json_object_set_new (p, "reason", json_string (event->reason));
        else
            json_object_set_new (p, "description", json_string (event->description));
        if (event->type == WF_ACCOUNT_EVENT_TRANSFER_SENT)
            json_object_set_new (p, "destinationAccountId", json_string (event->counterparty_id));
        if (event->type == WF_ACCOUNT_EVENT_TRANSFER_RECEIVED)
            json_object_set_new (p, "sourceAccountId", json_string (event->counterparty_id));
        if (event->metadata[0]) {
            json_error_t error;
            json_object_set_new (p, "metadata", json_loads (event->metadata, 0, &error));
        }
    }
    json_object_set_new (p, "occurredAt", json_string (occurred));
    //  The account stream's version after this event: consumers order and deduplicate by it.
    json_object_set_new (p, "accountVersion", json_integer (state->version));
    char *payload = json_dumps (p, JSON_COMPACT);
    json_decref (p);
    int rc =
        wf_account_store_outbox (self->conn, type, state->id, route_key, payload, destinations);
    free (payload);
    return rc;
}

//  Applies a decided event to the cached aggregate and writes its rows.
static int
s_commit_event (self_t *self, entry_t *entry, const wf_account_event_t *event, bool is_default)
{
    wf_account_apply (entry->account, event);
    entry->touched = true;
    return wf_account_store_append (self->conn, entry->account, event, is_default);
}

//  Encodes a TransactionDto reply for a money event into the item.
static void
s_reply_transaction (item_t *item, const wf_account_state_t *state, const wf_account_event_t *event,
                     const char *type)
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
        .metadata = wf_str_c (event->metadata),
    };
    item->decided = true;
    item->reply_type = WF_MSG_ACCOUNT_TRANSACTION;
    wf_buf_reset (&item->reply);
    wf_body_encode (WF_MSG_ACCOUNT_TRANSACTION, &reply, &item->reply);
}

//  Encodes an AccountDto reply into the item.
static void
s_reply_info (item_t *item, const wf_account_state_t *state, bool is_default)
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

//  Refuses with the aggregate's reason.
static void
s_refuse (item_t *item, const wf_account_refusal_t *why)
{
    wf_account_refuse (item, why->code, why->detail, why->field);
}

//  Opens an account (POST /api/accounts, or the default wallet at
//  registration). The account id was chosen by the caller.
static int
s_open (self_t *self, item_t *item, const char *account_id, const char *owner_id, wf_str_t currency,
        bool is_default)
{
    entry_t *entry = wf_account_entry (self, account_id);
    if (!entry)
        return -1;
    char number[WF_ACCOUNT_NUMBER_BYTES];
    int64_t now_ms = wf_clock_ms ();
    wf_account_number_make (now_ms, randombytes_random (), number);
    wf_account_open_t cmd = {.account_id = wf_str_c (account_id),
                             .owner_id = wf_str_c (owner_id),
                             .account_number = wf_str_c (number),
                             .currency = currency,
                             .now_ms = now_ms};
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_open (entry->account, &cmd, &event, &why) != 0) {
        s_refuse (item, &why);
        return 0;
    }
    if (s_commit_event (self, entry, &event, is_default) != 0)
        return -1;
    const wf_account_state_t *state = wf_account_state (entry->account);
    if (s_outbox_event (self, state, &event, WF_EVENT_ACCOUNT_OPENED, "{notifier,amqp}", NULL) != 0)
        return -1;
    s_reply_info (item, state, is_default);
    return 0;
}

//  Parses the command's amount with the account's digits; refuses on error.
static int
s_amount (item_t *item, const wf_account_command_t *cmd, int digits, int64_t *minor)
{
    wf_money_err_t why;
    if (!cmd->amount.len) {
        wf_account_refuse (item, WF_ERR_VALIDATION, "The amount field is required.", "amount");
        return -1;
    }
    if (wf_money_parse (cmd->amount, digits, minor, &why) != 0) {
        wf_account_refuse (item, WF_ERR_VALIDATION, wf_money_strerror (why), "amount");
        return -1;
    }
    return 0;
}

//  Checks the transfer's destination against the read model.
static int
s_check_destination (self_t *self, item_t *item, const wf_account_state_t *source, wf_str_t dest)
{
    char id[WF_UUID_BYTES], currency[4], status[16];
    if (!wf_account_uuid_valid (dest)) {
        wf_account_refuse (item, WF_ERR_UNPROCESSABLE, "The destination account does not exist.",
                           "destinationAccountId");
        return 1;
    }
    s_copy (id, sizeof id, dest);
    int found = wf_account_store_peek (self->conn, id, currency, status);
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

//  Deposit, withdraw or transfer, decided against the cached aggregate.
static int
s_money (self_t *self, item_t *item, entry_t *entry, const wf_account_command_t *cmd)
{
    const wf_account_state_t *state = wf_account_state (entry->account);
    //  The id routes a later refund (POST /api/transactions/{id}/refund) to the
    //  shard of the account that refunds it: a transfer's recipient, else this one.
    char transaction_id[WF_UUID_BYTES], destination[WF_UUID_BYTES] = "";
    if (wf_str_eq (cmd->kind, "transfer") && cmd->destination_account_id.len == WF_UUID_LEN)
        snprintf (destination, sizeof destination, "%.*s", (int) WF_UUID_LEN,
                  cmd->destination_account_id.ptr);
    wf_account_new_id (self, destination, transaction_id);
    wf_account_cmd_t c = {.transaction_id = wf_str_c (transaction_id),
                          .currency = cmd->currency,
                          .counterparty_id = cmd->destination_account_id,
                          .description = cmd->description,
                          .metadata = cmd->metadata,
                          .now_ms = wf_clock_ms ()};
    if (s_amount (item, cmd, state->digits, &c.amount) != 0)
        return 0;
    wf_account_event_t event;
    wf_account_refusal_t why;
    int rc;
    const char *type, *dto_type, *destinations = "{notifier,amqp}";
    const char *route_key = NULL;
    if (wf_str_eq (cmd->kind, "deposit")) {
        rc = wf_account_decide_deposit (entry->account, &self->config->policy, &c, &event, &why);
        type = WF_EVENT_MONEY_DEPOSITED, dto_type = "Deposit";
    } else if (wf_str_eq (cmd->kind, "withdraw")) {
        rc = wf_account_decide_withdraw (entry->account, &c, &event, &why);
        type = WF_EVENT_MONEY_WITHDRAWN, dto_type = "Withdrawal";
    } else {
        rc = wf_account_decide_transfer (entry->account, &c, &event, &why);
        type = WF_EVENT_TRANSFER_SENT, dto_type = "Transfer";
        destinations = "{account,notifier,amqp}";
        route_key = event.counterparty_id;
        if (rc == 0) {
            int checked = s_check_destination (self, item, state, cmd->destination_account_id);
            if (checked != 0)
                return checked < 0 ? -1 : 0;
        }
    }
    if (rc != 0) {
        s_refuse (item, &why);
        return 0;
    }
    if (s_commit_event (self, entry, &event, false) != 0 ||
        s_outbox_event (self, state, &event, type, destinations, route_key) != 0 ||
        wf_account_store_metadata (self->conn, state->id, event.transaction_id, dto_type,
                                   event.metadata) != 0)
        return -1;
    if (event.type == WF_ACCOUNT_EVENT_TRANSFER_SENT &&
        wf_account_store_transfer_begin (self->conn, event.transaction_id, state->id,
                                         event.counterparty_id, event.amount, state->currency,
                                         event.occurred_at_ms) != 0)
        return -1;
    s_reply_transaction (item, state, &event, dto_type);
    return 0;
}

//  Suspend or reactivate (role Admin only).
static int
s_status (self_t *self, item_t *item, entry_t *entry, const wf_account_command_t *cmd)
{
    wf_account_cmd_t c = {.reason = cmd->reason, .now_ms = wf_clock_ms ()};
    wf_account_event_t event;
    wf_account_refusal_t why;
    bool suspend = wf_str_eq (cmd->kind, "suspend");
    int rc = suspend ? wf_account_decide_suspend (entry->account, &c, &event, &why)
                     : wf_account_decide_reactivate (entry->account, &c, &event, &why);
    if (rc != 0) {
        s_refuse (item, &why);
        return 0;
    }
    const wf_account_state_t *state = wf_account_state (entry->account);
    if (s_commit_event (self, entry, &event, false) != 0)
        return -1;
    char occurred[32];
    wf_account_iso_time (event.occurred_at_ms, occurred);
    json_t *p = json_pack ("{s:s,s:s,s:s,s:s,s:I}", "accountId", state->id, "ownerId",
                           state->owner_id, "reason", event.reason, "occurredAt", occurred,
                           "accountVersion", (json_int_t) state->version);
    char *payload = json_dumps (p, JSON_COMPACT);
    json_decref (p);
    rc = wf_account_store_outbox (
        self->conn, suspend ? WF_EVENT_ACCOUNT_SUSPENDED : WF_EVENT_ACCOUNT_REACTIVATED, state->id,
        NULL, payload, "{amqp}");
    free (payload);
    if (rc != 0)
        return -1;
    s_reply_info (item, state, false);
    return 0;
}

//  Replays a stored first response, or refuses a reused key.
static void
s_replay (item_t *item, const char *stored_fingerprint, const char *reply_type,
          const uint8_t *reply, size_t size, wf_str_t fingerprint)
{
    if (!wf_str_eq (fingerprint, stored_fingerprint)) {
        wf_account_refuse (item, WF_ERR_IDEMPOTENCY_REUSED,
                           "This Idempotency-Key was used with a different request.", NULL);
        return;
    }
    item->decided = true;
    item->reply_type = wf_msg_lookup (reply_type, strlen (reply_type));
    wf_buf_reset (&item->reply);
    wf_buf_t *buf = &item->reply;
    if (buf->capacity < size) {
        buf->data = (uint8_t *) realloc (buf->data, size);
        buf->capacity = size;
    }
    memcpy (buf->data, reply, size);
    buf->size = size;
}

//  Looks the idempotency key up in this batch and in the store. Returns 1
//  when the item was answered from a first response, 0 to go on, -1 on error.
static int
s_idempotency_check (self_t *self, item_t *item, const wf_account_command_t *cmd, char *map_key)
{
    item_t *first = (item_t *) zhashx_lookup (self->batch_keys, map_key);
    if (first && first->decided && first->reply_type != WF_MSG_ERROR) {
        const wf_account_command_t *f = &first->body->account_command;
        char stored[65];
        s_copy (stored, sizeof stored, f->fingerprint);
        s_replay (item, stored, wf_msg_name (first->reply_type), first->reply.data,
                  first->reply.size, cmd->fingerprint);
        return 1;
    }
    char user[WF_UUID_BYTES], key[256], fingerprint[65], reply_type[65];
    s_copy (user, sizeof user, cmd->user_id);
    s_copy (key, sizeof key, cmd->idempotency_key);
    uint8_t *reply = NULL;
    size_t size = 0;
    int found =
        wf_account_store_idem_get (self->conn, user, key, fingerprint, reply_type, &reply, &size);
    if (found == 1)
        s_replay (item, fingerprint, reply_type, reply, size, cmd->fingerprint);
    free (reply);
    return found;
}

//  Stores a successful first response under its idempotency key.
static int
s_idempotency_store (self_t *self, item_t *item, const wf_account_command_t *cmd, char *map_key)
{
    if (item->reply_type == WF_MSG_ERROR)
        return 0; //  refusals leave no trace; the same key may be retried
    char user[WF_UUID_BYTES], key[256], fingerprint[65];
    s_copy (user, sizeof user, cmd->user_id);
    s_copy (key, sizeof key, cmd->idempotency_key);
    s_copy (fingerprint, sizeof fingerprint, cmd->fingerprint);
    zhashx_update (self->batch_keys, map_key, item);
    return wf_account_store_idem_put (self->conn, user, key, fingerprint,
                                      wf_msg_name (item->reply_type), item->reply.data,
                                      item->reply.size);
}

//  Dispatches an account.command by kind, after the ownership check.
static int
s_command_kind (self_t *self, item_t *item, const wf_account_command_t *cmd, const char *id)
{
    if (wf_str_eq (cmd->kind, "open")) {
        char owner[WF_UUID_BYTES];
        s_copy (owner, sizeof owner, cmd->user_id);
        return s_open (self, item, id, owner, cmd->currency, false);
    }
    entry_t *entry = wf_account_entry (self, id);
    if (!entry)
        return -1;
    const wf_account_state_t *state = wf_account_state (entry->account);
    bool admin = wf_str_eq (cmd->role, ADMIN_ROLE);
    bool status_change = wf_str_eq (cmd->kind, "suspend") || wf_str_eq (cmd->kind, "reactivate") ||
                         wf_str_eq (cmd->kind, "overdraft");
    //  Only the shard's own timer may expire a hold.
    if (wf_str_eq (cmd->kind, "expire") && !item->internal) {
        wf_account_refuse (item, WF_ERR_BAD_REQUEST, "Unknown command.", NULL);
        return 0;
    }
    //  Another user's account is indistinguishable from a missing one.
    if (state->version == 0 ||
        (!wf_str_eq (cmd->user_id, state->owner_id) && !status_change && !item->internal)) {
        wf_account_refuse (item, WF_ERR_NOT_FOUND, "No such account.", NULL);
        return 0;
    }
    if (status_change) {
        if (!admin) {
            wf_account_refuse (item, WF_ERR_FORBIDDEN, "Only an administrator may do this.", NULL);
            return 0;
        }
        if (wf_str_eq (cmd->kind, "overdraft"))
            return wf_account_handle_hold (self, item, entry, cmd);
        return s_status (self, item, entry, cmd);
    }
    if (wf_str_eq (cmd->kind, "hold") || wf_account_holds_kind (cmd->kind))
        return wf_account_handle_hold (self, item, entry, cmd);
    if (wf_str_eq (cmd->kind, "refund"))
        return wf_account_handle_refund (self, item, entry, cmd);
    if (wf_str_eq (cmd->kind, "deposit") || wf_str_eq (cmd->kind, "withdraw") ||
        wf_str_eq (cmd->kind, "transfer"))
        return s_money (self, item, entry, cmd);
    wf_account_refuse (item, WF_ERR_BAD_REQUEST, "Unknown command.", NULL);
    return 0;
}

int
wf_account_handle_command (self_t *self, item_t *item)
{
    const wf_account_command_t *cmd = &item->body->account_command;
    char id[WF_UUID_BYTES];
    bool by_hold = wf_account_holds_kind (cmd->kind) && !cmd->account_id.len;
    bool refund = wf_str_eq (cmd->kind, "refund");
    if ((!by_hold && !refund && !wf_account_uuid_valid (cmd->account_id)) ||
        !wf_account_uuid_valid (cmd->user_id)) {
        wf_account_refuse (item, WF_ERR_NOT_FOUND, "No such account.", NULL);
        return 0;
    }
    if (!by_hold && !refund)
        s_copy (id, sizeof id, cmd->account_id);
    else {
        //  capture and void name a hold, refund a movement: the account comes
        //  from the holds or transactions read model.
        int found = by_hold ? wf_account_holds_resolve (self, item, cmd, id)
                            : wf_account_refunds_resolve (self, item, cmd, id);
        if (found <= 0)
            return found;
    }
    char map_key[WF_UUID_BYTES + 260];
    bool keyed = cmd->idempotency_key.len > 0 && !wf_str_eq (cmd->kind, "open");
    if (keyed) {
        snprintf (map_key, sizeof map_key, "%.*s|%.*s", (int) cmd->user_id.len, cmd->user_id.ptr,
                  (int) cmd->idempotency_key.len, cmd->idempotency_key.ptr);
        int replayed = s_idempotency_check (self, item, cmd, map_key);
        if (replayed != 0)
            return replayed < 0 ? -1 : 0;
    }
    if (s_command_kind (self, item, cmd, id) != 0)
        return -1;
    return keyed ? s_idempotency_store (self, item, cmd, map_key) : 0;
}

//  Reads a string member of a payload into dst; false when absent.
static bool
s_member (json_t *payload, const char *name, char *dst, size_t size)
{
    const char *value = json_string_value (json_object_get (payload, name));
    if (!value || strlen (value) >= size)
        return false;
    strcpy (dst, value);
    return true;
}

//  UserRegistered: opens the user's default wallet, exactly once.
static int
s_user_registered (self_t *self, item_t *item, json_t *payload)
{
    char user[WF_UUID_BYTES], id[WF_UUID_BYTES];
    if (!s_member (payload, "userId", user, sizeof user) ||
        !wf_account_uuid_valid (wf_str_c (user))) {
        wf_account_refuse (item, WF_ERR_BAD_REQUEST, "UserRegistered without a valid userId", NULL);
        return 0;
    }
    wf_account_default_id (user, id);
    entry_t *entry = wf_account_entry (self, id);
    if (!entry)
        return -1;
    if (wf_account_state (entry->account)->version > 0)
        return 0; //  already open: nothing to do
    return s_open (self, item, id, user, wf_str_c (self->config->default_currency), true);
}

//  TransferSent, at the destination's shard: credit once, or ask the source
//  to refund when the credit cannot apply.
static int
s_transfer_credit (self_t *self, item_t *item, json_t *payload)
{
    char transfer[WF_UUID_BYTES], source[WF_UUID_BYTES], dest[WF_UUID_BYTES], currency[8];
    json_t *amount = json_object_get (payload, "amount");
    if (!s_member (payload, "transactionId", transfer, sizeof transfer) ||
        !s_member (payload, "accountId", source, sizeof source) ||
        !s_member (payload, "destinationAccountId", dest, sizeof dest) ||
        !s_member (payload, "currency", currency, sizeof currency) || !json_is_integer (amount)) {
        wf_account_refuse (item, WF_ERR_BAD_REQUEST, "TransferSent payload incomplete", NULL);
        return 0;
    }
    entry_t *entry = wf_account_entry (self, dest);
    if (!entry)
        return -1;
    const char *description = json_string_value (json_object_get (payload, "description"));
    wf_account_cmd_t c = {.transaction_id = wf_str_c (transfer),
                          .amount = json_integer_value (amount),
                          .currency = wf_str_c (currency),
                          .counterparty_id = wf_str_c (source),
                          .description = wf_str_c (description),
                          .now_ms = wf_clock_ms ()};
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_receive (entry->account, &c, &event, &why) == 0) {
        const wf_account_state_t *state = wf_account_state (entry->account);
        if (s_commit_event (self, entry, &event, false) != 0 ||
            s_outbox_event (self, state, &event, WF_EVENT_TRANSFER_RECEIVED, "{notifier,amqp}",
                            NULL) != 0 ||
            wf_account_store_transfer_end (self->conn, transfer, "Completed",
                                           event.occurred_at_ms) != 0)
            return -1;
        return 0;
    }
    //  The credit cannot apply: the compensating refund goes to the source.
    char occurred[32];
    wf_account_iso_time (c.now_ms, occurred);
    json_t *p =
        json_pack ("{s:s,s:s,s:s,s:I,s:s,s:s,s:s}", "transactionId", transfer, "accountId", source,
                   "destinationAccountId", dest, "amount", (json_int_t) c.amount, "currency",
                   currency, "reason", why.detail ? why.detail : "the credit could not be applied",
                   "occurredAt", occurred);
    char *text = json_dumps (p, JSON_COMPACT);
    json_decref (p);
    int rc = wf_account_store_outbox (self->conn, WF_EVENT_TRANSFER_CREDIT_FAILED, dest, source,
                                      text, "{account}");
    free (text);
    return rc;
}

//  TransferCreditFailed, at the source's shard: refund the sender.
static int
s_transfer_refund (self_t *self, item_t *item, json_t *payload)
{
    char transfer[WF_UUID_BYTES], source[WF_UUID_BYTES], reason[WF_ACCOUNT_TEXT_BYTES_MAX + 1];
    json_t *amount = json_object_get (payload, "amount");
    if (!s_member (payload, "transactionId", transfer, sizeof transfer) ||
        !s_member (payload, "accountId", source, sizeof source) || !json_is_integer (amount)) {
        wf_account_refuse (item, WF_ERR_BAD_REQUEST, "TransferCreditFailed payload incomplete",
                           NULL);
        return 0;
    }
    if (!s_member (payload, "reason", reason, sizeof reason))
        strcpy (reason, "the credit could not be applied");
    entry_t *entry = wf_account_entry (self, source);
    if (!entry)
        return -1;
    wf_account_cmd_t c = {.transaction_id = wf_str_c (transfer),
                          .amount = json_integer_value (amount),
                          .reason = wf_str_c (reason),
                          .now_ms = wf_clock_ms ()};
    wf_account_event_t event;
    wf_account_refusal_t why;
    if (wf_account_decide_refund (entry->account, &c, &event, &why) != 0) {
        s_refuse (item, &why);
        return 0;
    }
    const wf_account_state_t *state = wf_account_state (entry->account);
    if (s_commit_event (self, entry, &event, false) != 0 ||
        s_outbox_event (self, state, &event, WF_EVENT_TRANSFER_REFUNDED, "{notifier,amqp}", NULL) !=
            0 ||
        wf_account_store_transfer_end (self->conn, transfer, "Refunded", event.occurred_at_ms) != 0)
        return -1;
    return 0;
}

int
wf_account_handle_delivery (self_t *self, item_t *item)
{
    const wf_outbox_deliver_t *d = &item->body->outbox_deliver;
    char message_id[WF_UUID_BYTES];
    s_copy (message_id, sizeof message_id, d->message_id);
    int fresh = wf_account_store_inbox (self->conn, "account", message_id);
    if (fresh < 0)
        return -1;
    int rc = 0;
    if (fresh) {
        json_error_t error;
        json_t *payload = json_loadb (d->payload.ptr, d->payload.len, 0, &error);
        if (!payload || !json_is_object (payload))
            wf_account_refuse (item, WF_ERR_BAD_REQUEST, "payload is not a JSON object", NULL);
        else if (wf_str_eq (d->type, WF_EVENT_USER_REGISTERED))
            rc = s_user_registered (self, item, payload);
        else if (wf_str_eq (d->type, WF_EVENT_TRANSFER_SENT) ||
                 wf_str_eq (d->type, WF_EVENT_TRANSFER_REVERSED))
            rc = s_transfer_credit (self, item, payload);
        else if (wf_str_eq (d->type, WF_EVENT_TRANSFER_CREDIT_FAILED))
            rc = s_transfer_refund (self, item, payload);
        json_decref (payload);
    }
    if (rc == 0 && item->decided && item->reply_type == WF_MSG_ERROR) {
        //  A delivery that can never apply is logged, counted and acknowledged:
        //  retrying it forever would block nothing but fill the logs.
        wf_log (WF_LOG_WARN, self->service, "delivery_refused", NULL,
                "message_id=%s type=%.*s detail=\"%s\"", message_id, (int) d->type.len, d->type.ptr,
                item->detail);
        wf_metrics_counter_add (self->metrics, "wf_account_deliveries_refused_total",
                                "Outbox deliveries that could not apply.", 1, NULL);
    }
    if (rc == 0) {
        //  Applied now or before (or never applicable): acknowledge.
        wf_outbox_ack_t ack = {.message_id = d->message_id};
        item->decided = true;
        item->reply_type = WF_MSG_OUTBOX_ACK;
        wf_buf_reset (&item->reply);
        wf_body_encode (WF_MSG_OUTBOX_ACK, &ack, &item->reply);
    }
    return rc;
}

int
wf_account_commit_event (self_t *self, entry_t *entry, const wf_account_event_t *event)
{
    return s_commit_event (self, entry, event, false);
}

int
wf_account_outbox_money (self_t *self, const wf_account_state_t *state,
                         const wf_account_event_t *event, const char *type,
                         const char *destinations, const char *route_key)
{
    return s_outbox_event (self, state, event, type, destinations, route_key);
}

void
wf_account_reply_info (item_t *item, const wf_account_state_t *state)
{
    s_reply_info (item, state, false);
}
