/*  wf_sim_store - the simulated PostgreSQL: committed tables in memory and
    all-or-nothing transactions over them.

    A transaction is a list of rows to write (sim_op_t). Reads made inside it
    see the committed tables plus the transaction's own rows, as a READ
    COMMITTED transaction sees its own writes. COMMIT first checks the
    constraints the schema declares (schema/0001_foundation.sql,
    0003_accounts.sql) against the committed tables:
      events           PRIMARY KEY (stream_id, version)      a stale writer fails
      transactions     UNIQUE (account_id, id, type)
      inbox            PRIMARY KEY (consumer, message_id)    a concurrent consumer fails
      transfers        PRIMARY KEY (id); the saga's UPDATE ... WHERE status = 'InFlight'
                       must touch one row (wf_account_store_transfer_end)
      idempotency_keys PRIMARY KEY (user_id, key)
      accounts         one default wallet per owner
    then applies every row, or none. Where PostgreSQL would make a concurrent
    writer wait and then fail (or do nothing), the model fails the later
    commit; the shard then retries alone and sees the committed row, which
    is the same outcome.

    Faults: a commit may fail cleanly (nothing written), or, with
    --ambiguous-commits, apply and still report a failure (the connection died
    after the server committed). Planted bugs bend these rules on purpose.
*/
#include "wf_sim.h"
#include "wf_account_codec.h"
#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

//  history_owner[txid][type]: account + 1 of the history row written, 0 none.
#define HISTORY_KEYS_BYTES ((size_t) SIM_TXIDS_MAX * WF_ACCOUNT_EVENT_COUNT)

//  zhashx destructor for idempotency rows.
static void
s_idem_free (void **item)
{
    sim_idem_t *idem = (sim_idem_t *) *item;
    if (idem) {
        free (idem->reply);
        free (idem);
        *item = NULL;
    }
}

//  Allocates the tables once; sim_store_reset empties them between seeds.
void
sim_store_init (sim_store_t *store)
{
    memset (store, 0, sizeof *store);
    store->events = (sim_event_t *) calloc (SIM_EVENTS_MAX, sizeof (sim_event_t));
    for (int a = 0; a < SIM_ACCOUNTS_MAX; a++)
        store->stream[a] = (int *) calloc (SIM_EVENTS_MAX, sizeof (int));
    store->history_keys = (uint8_t *) calloc (HISTORY_KEYS_BYTES, 1);
    store->transfers = (sim_transfer_t *) calloc (SIM_TXIDS_MAX, sizeof (sim_transfer_t));
    store->holds = (sim_hold_row_t *) calloc (SIM_HOLDS_MAX, sizeof (sim_hold_row_t));
    store->tx_amount = (int64_t *) calloc (SIM_TXIDS_MAX, sizeof (int64_t));
    store->tx_refunded = (int64_t *) calloc (SIM_TXIDS_MAX, sizeof (int64_t));
    store->tx_sender = (int *) calloc (SIM_TXIDS_MAX, sizeof (int));
    assert (store->tx_amount && store->tx_refunded && store->tx_sender);
    store->outbox = (sim_outbox_t *) calloc (SIM_OUTBOX_MAX, sizeof (sim_outbox_t));
    store->inbox = zhashx_new ();
    store->idem = zhashx_new ();
    zhashx_set_destructor (store->idem, s_idem_free);
    assert (store->events && store->history_keys && store->transfers && store->holds &&
            store->outbox);
}

//  Empties every table.
void
sim_store_reset (sim_store_t *store)
{
    for (size_t i = 0; i < store->events_count; i++) {
        free (store->events[i].json);
        store->events[i].json = NULL;
    }
    store->events_count = 0;
    for (int a = 0; a < SIM_ACCOUNTS_MAX; a++) {
        store->stream_count[a] = 0;
        store->snapshot_version[a] = 0;
        free (store->snapshot_json[a]);
        store->snapshot_json[a] = NULL;
        memset (&store->accounts[a], 0, sizeof store->accounts[a]);
        store->history[a] = 0;
    }
    memset (store->history_keys, 0, HISTORY_KEYS_BYTES);
    memset (store->transfers, 0, SIM_TXIDS_MAX * sizeof (sim_transfer_t));
    memset (store->holds, 0, SIM_HOLDS_MAX * sizeof (sim_hold_row_t));
    memset (store->tx_amount, 0, SIM_TXIDS_MAX * sizeof (int64_t));
    memset (store->tx_refunded, 0, SIM_TXIDS_MAX * sizeof (int64_t));
    memset (store->tx_sender, 0, SIM_TXIDS_MAX * sizeof (int));
    for (size_t i = 0; i < store->outbox_count; i++) {
        free (store->outbox[i].payload);
        memset (&store->outbox[i], 0, sizeof store->outbox[i]);
    }
    store->outbox_count = 0;
    store->outbox_low = 0;
    zhashx_purge (store->inbox);
    zhashx_purge (store->idem);
    store->txns_committed = 0;
}

//  Frees the tables.
void
sim_store_free (sim_store_t *store)
{
    sim_store_reset (store);
    free (store->events);
    for (int a = 0; a < SIM_ACCOUNTS_MAX; a++)
        free (store->stream[a]);
    free (store->history_keys);
    free (store->transfers);
    free (store->holds);
    free (store->tx_amount);
    free (store->tx_refunded);
    free (store->tx_sender);
    free (store->outbox);
    zhashx_destroy (&store->inbox);
    zhashx_destroy (&store->idem);
}

//  True unless a statement fails (an injected database error mid-batch).
bool
sim_db_ok (sim_world_t *w)
{
    return !(w->faults_on && sim_fault (w, w->config.statement_fail, F_STATEMENT_FAILED));
}

sim_txn_t *
sim_txn_new (void)
{
    sim_txn_t *txn = (sim_txn_t *) calloc (1, sizeof (sim_txn_t));
    assert (txn);
    return txn;
}

void
sim_txn_begin (sim_txn_t *txn)
{
    assert (!txn->open && txn->count == 0);
    txn->open = true;
}

//  Frees what the rows own.
static void
s_op_clear (sim_op_t *op)
{
    free (op->json);
    op->json = NULL;
    free (op->outbox.payload);
    op->outbox.payload = NULL;
    free (op->idem.reply);
    op->idem.reply = NULL;
}

//  Forgets every row of the transaction.
void
sim_txn_rollback (sim_txn_t *txn)
{
    for (size_t i = 0; i < txn->count; i++)
        s_op_clear (&txn->ops[i]);
    txn->count = 0;
    txn->open = false;
}

//  A new zeroed row in the open transaction.
sim_op_t *
sim_txn_add (sim_txn_t *txn, sim_op_kind_t kind)
{
    assert (txn->open && txn->count < SIM_TXN_OPS_MAX);
    sim_op_t *op = &txn->ops[txn->count++];
    memset (op, 0, sizeof *op);
    op->kind = kind;
    return op;
}

//  Appends a row to the outbox (ids and message ids are assigned here, as
//  the bigserial and gen_random_uuid () defaults do).
void
sim_store_outbox_insert (sim_world_t *w, const sim_outbox_t *row)
{
    sim_store_t *store = &w->store;
    assert (store->outbox_count < SIM_OUTBOX_MAX);
    sim_outbox_t *into = &store->outbox[store->outbox_count++];
    *into = *row;
    into->used = true;
    sim_uuid (0xd, (unsigned) w->messages++, into->message_id);
    into->pending = into->destinations;
    into->next_attempt_at_ms = w->now_ms;
    into->lease_until_ms = 0;
    into->attempts = 0;
    into->delivered = false;
    memset (into->received, 0, sizeof into->received);
}

//  True when the committed stream already holds `version`.
static bool
s_version_taken (const sim_store_t *store, int account, int64_t version)
{
    for (size_t i = 0; i < store->stream_count[account]; i++)
        if (store->events[store->stream[account][i]].version == version)
            return true;
    return false;
}

//  The committed status of a transfer as the transaction sees it before row `upto`.
static sim_transfer_status_t
s_transfer_before (const sim_store_t *store, const sim_txn_t *txn, size_t upto, int txid)
{
    sim_transfer_status_t status = store->transfers[txid].status;
    for (size_t i = 0; i < upto; i++) {
        const sim_op_t *op = &txn->ops[i];
        if ((op->kind == OP_TRANSFER_BEGIN || op->kind == OP_TRANSFER_END) && op->txid == txid)
            status = op->transfer.status;
    }
    return status;
}

//  The holds row as the transaction sees it before row `upto`.
static sim_hold_row_t
s_hold_before (const sim_store_t *store, const sim_txn_t *txn, size_t upto, int hold)
{
    sim_hold_row_t row = store->holds[hold];
    for (size_t i = 0; i < upto; i++) {
        const sim_op_t *op = &txn->ops[i];
        if (op->kind == OP_HOLD_INSERT && op->txid == hold)
            row = op->hold;
        else if (op->kind == OP_HOLD_CLOSE && op->txid == hold) {
            row.status = op->hold.status;
            row.captured_amount = op->hold.captured_amount;
            row.capture_txid = op->hold.capture_txid;
        }
    }
    return row;
}

//  Checks row i against the schema's constraints; false = the commit fails.
static bool
s_valid (sim_world_t *w, const sim_txn_t *txn, size_t i)
{
    const sim_store_t *store = &w->store;
    const sim_op_t *op = &txn->ops[i];
    switch (op->kind) {
        case OP_EVENT:
            return w->plant == PLANT_NO_VERSION_CHECK ||
                   !s_version_taken (store, op->account, op->version);
        case OP_HISTORY:
            return store->history_keys[(size_t) op->txid * WF_ACCOUNT_EVENT_COUNT +
                                       op->event_type] != op->account + 1;
        case OP_INBOX:
            return zhashx_lookup (store->inbox, op->key) == NULL;
        case OP_TRANSFER_BEGIN:
            return s_transfer_before (store, txn, i, op->txid) == TRANSFER_NONE;
        case OP_TRANSFER_END:
            return s_transfer_before (store, txn, i, op->txid) == TRANSFER_IN_FLIGHT;
        case OP_IDEM:
            return zhashx_lookup (store->idem, op->idem.key) == NULL;
        case OP_HOLD_INSERT: //  holds.id is the primary key
            return s_hold_before (store, txn, i, op->txid).status == HOLD_NONE;
        case OP_HOLD_CLOSE: //  UPDATE holds ... WHERE status = 'Open' must touch its row
            return s_hold_before (store, txn, i, op->txid).status == HOLD_OPEN;
        case OP_REFUNDED: { //  ... AND refunded + $2 <= amount must touch a row
            int64_t refunded = store->tx_refunded[op->txid];
            for (size_t k = 0; k < i; k++)
                if (txn->ops[k].kind == OP_REFUNDED && txn->ops[k].txid == op->txid)
                    refunded += txn->ops[k].amount;
            return refunded + op->amount <= store->tx_amount[op->txid] ||
                   w->plant == PLANT_REFUND_UNCHECKED;
        }
        case OP_ACCOUNT:
            if (!op->row.is_default)
                return true;
            for (int a = 0; a < SIM_ACCOUNTS_MAX; a++)
                if (a != op->account && store->accounts[a].exists &&
                    store->accounts[a].is_default && store->accounts[a].owner == op->row.owner)
                    return false;
            return true;
        case OP_SNAPSHOT:
        case OP_OUTBOX:
            return true;
    }
    return false;
}

//  Writes one row into the committed tables (taking what it owns).
static void
s_apply (sim_world_t *w, sim_op_t *op)
{
    sim_store_t *store = &w->store;
    switch (op->kind) {
        case OP_EVENT: {
            assert (store->events_count < SIM_EVENTS_MAX);
            size_t index = store->events_count++;
            sim_event_t *event = &store->events[index];
            event->account = op->account;
            event->version = op->version;
            event->event = op->event;
            event->json = op->json;
            op->json = NULL;
            store->stream[op->account][store->stream_count[op->account]++] = (int) index;
            w->stats.events++;
            w->stats.events_by_type[op->event.type]++;
            break;
        }
        case OP_ACCOUNT: {
            sim_account_row_t *row = &store->accounts[op->account];
            if (row->exists) { //  ON CONFLICT (id) DO UPDATE SET balance, status, version
                row->balance = op->row.balance;
                row->status = op->row.status;
                row->version = op->row.version;
                row->held = op->row.held;
                row->overdraft_limit = op->row.overdraft_limit;
            } else
                *row = op->row;
            break;
        }
        case OP_HISTORY:
            store->history_keys[(size_t) op->txid * WF_ACCOUNT_EVENT_COUNT + op->event_type] =
                (uint8_t) (op->account + 1);
            store->history[op->account]++;
            store->tx_amount[op->txid] = op->amount;
            if (op->event_type == WF_ACCOUNT_EVENT_TRANSFER_RECEIVED)
                store->tx_sender[op->txid] = op->counterparty;
            break;
        case OP_REFUNDED:
            store->tx_refunded[op->txid] += op->amount;
            break;
        case OP_SNAPSHOT:
            free (store->snapshot_json[op->account]);
            store->snapshot_json[op->account] = op->json;
            store->snapshot_version[op->account] = op->version;
            op->json = NULL;
            break;
        case OP_OUTBOX:
            sim_store_outbox_insert (w, &op->outbox);
            op->outbox.payload = NULL;
            break;
        case OP_INBOX:
            zhashx_insert (store->inbox, op->key, "1");
            break;
        case OP_TRANSFER_BEGIN:
        case OP_TRANSFER_END:
            if (op->kind == OP_TRANSFER_BEGIN)
                store->transfers[op->txid] = op->transfer;
            else
                store->transfers[op->txid].status = op->transfer.status;
            break;
        case OP_HOLD_INSERT:
            store->holds[op->txid] = op->hold;
            break;
        case OP_HOLD_CLOSE:
            store->holds[op->txid].status = op->hold.status;
            store->holds[op->txid].captured_amount = op->hold.captured_amount;
            store->holds[op->txid].capture_txid = op->hold.capture_txid;
            break;
        case OP_IDEM: {
            sim_idem_t *idem = (sim_idem_t *) malloc (sizeof (sim_idem_t));
            *idem = op->idem;
            op->idem.reply = NULL;
            zhashx_insert (store->idem, idem->key, idem);
            break;
        }
    }
}

//  COMMIT: 0 when every row was written, -1 when none was, SIM_COMMIT_UNKNOWN
//  for an ambiguous failure (all were, but the connection broke before the
//  answer: the caller cannot know, as wf_account.c's s_transaction).
int
sim_txn_commit (sim_world_t *w, sim_txn_t *txn)
{
    assert (txn->open);
    if (w->faults_on && sim_fault (w, w->config.commit_fail, F_COMMIT_FAILED)) {
        if (w->plant == PLANT_TORN_COMMIT)
            for (size_t i = 0; i < txn->count / 2; i++)
                s_apply (w, &txn->ops[i]);
        sim_txn_rollback (txn);
        return -1;
    }
    for (size_t i = 0; i < txn->count; i++)
        if (!s_valid (w, txn, i)) {
            sim_trace (w, "  commit refused by a constraint (row %zu, kind %d)", i,
                       (int) txn->ops[i].kind);
            w->stats.coverage[txn->ops[i].kind == OP_EVENT ? C_STALE_WRITER : C_CONSTRAINT]++;
            sim_txn_rollback (txn);
            return -1;
        }
    bool ambiguous = w->faults_on && w->config.ambiguous &&
                     sim_fault (w, w->config.commit_fail / 2, F_COMMIT_AMBIGUOUS);
    for (size_t i = 0; i < txn->count; i++)
        s_apply (w, &txn->ops[i]);
    sim_txn_rollback (txn); //  frees what was not taken
    w->store.txns_committed++;
    w->stats.txns++;
    return ambiguous ? SIM_COMMIT_UNKNOWN : 0;
}

//  ---------------------------------------------------------------- reads --

//  SELECT coalesce (max (version), 0) FROM events WHERE stream_id = $1.
int64_t
sim_store_version (sim_world_t *w, sim_txn_t *txn, int account)
{
    if (!sim_db_ok (w))
        return -1;
    const sim_store_t *store = &w->store;
    int64_t version = 0;
    for (size_t i = 0; i < store->stream_count[account]; i++)
        if (store->events[store->stream[account][i]].version > version)
            version = store->events[store->stream[account][i]].version;
    for (size_t i = 0; i < txn->count; i++)
        if (txn->ops[i].kind == OP_EVENT && txn->ops[i].account == account &&
            txn->ops[i].version > version)
            version = txn->ops[i].version;
    return version;
}

//  Decodes one stored event text with the real codec and applies it.
static int
s_load_event (const char *text, wf_account_t *into)
{
    json_error_t error;
    json_t *json = json_loads (text, 0, &error);
    wf_account_event_t event;
    const char *why = NULL;
    int rc = json && wf_account_event_from_json (json, &event, &why) == 0 ? 0 : -1;
    json_decref (json);
    if (rc == 0)
        wf_account_apply (into, &event);
    return rc;
}

//  wf_account_store_load: the latest snapshot, then the events after it, each
//  through the codec. 1 when the stream exists, 0 when empty, -1 on error.
int
sim_store_load (sim_world_t *w, sim_txn_t *txn, int account, wf_account_t *into)
{
    if (!sim_db_ok (w))
        return -1;
    const sim_store_t *store = &w->store;
    wf_account_t *fresh = wf_account_new ();
    wf_account_copy (into, fresh);
    wf_account_destroy (&fresh);
    const char *snapshot = store->snapshot_json[account];
    for (size_t i = 0; i < txn->count; i++)
        if (txn->ops[i].kind == OP_SNAPSHOT && txn->ops[i].account == account)
            snapshot = txn->ops[i].json;
    if (snapshot) {
        json_error_t error;
        json_t *json = json_loads (snapshot, 0, &error);
        const char *why = NULL;
        int rc = json && wf_account_snapshot_from_json (json, into, &why) == 0 ? 0 : -1;
        json_decref (json);
        if (rc != 0)
            return -1;
        w->stats.coverage[C_SNAPSHOT_LOAD]++;
    }
    int64_t after = wf_account_state (into)->version;
    for (size_t i = 0; i < store->stream_count[account]; i++) {
        const sim_event_t *event = &store->events[store->stream[account][i]];
        if (event->version > after && s_load_event (event->json, into) != 0)
            return -1;
    }
    for (size_t i = 0; i < txn->count; i++)
        if (txn->ops[i].kind == OP_EVENT && txn->ops[i].account == account &&
            txn->ops[i].version > after && s_load_event (txn->ops[i].json, into) != 0)
            return -1;
    return wf_account_state (into)->version > 0 ? 1 : 0;
}

//  INSERT INTO inbox ... ON CONFLICT DO NOTHING: 1 the first time, 0 when
//  the message was already applied, -1 on error.
int
sim_store_inbox (sim_world_t *w, sim_txn_t *txn, const char *message_id)
{
    if (!sim_db_ok (w))
        return -1;
    bool present = zhashx_lookup (w->store.inbox, message_id) != NULL;
    for (size_t i = 0; i < txn->count && !present; i++)
        present = txn->ops[i].kind == OP_INBOX && streq (txn->ops[i].key, message_id);
    if (present)
        return 0;
    sim_op_t *op = sim_txn_add (txn, OP_INBOX);
    snprintf (op->key, sizeof op->key, "%s", message_id);
    return 1;
}

//  SELECT ... FROM idempotency_keys WHERE user_id = $1 AND key = $2.
const sim_idem_t *
sim_store_idem_get (sim_world_t *w, sim_txn_t *txn, const char *key)
{
    for (size_t i = 0; i < txn->count; i++)
        if (txn->ops[i].kind == OP_IDEM && streq (txn->ops[i].idem.key, key))
            return &txn->ops[i].idem;
    return (const sim_idem_t *) zhashx_lookup (w->store.idem, key);
}

//  SELECT currency, status FROM accounts WHERE id = $1 (NULL: no row).
const sim_account_row_t *
sim_store_peek (sim_world_t *w, sim_txn_t *txn, int account)
{
    const sim_account_row_t *row = &w->store.accounts[account];
    for (size_t i = 0; i < txn->count; i++)
        if (txn->ops[i].kind == OP_ACCOUNT && txn->ops[i].account == account && !row->exists)
            row = &txn->ops[i].row;
    return row->exists ? row : NULL;
}

//  The status of a transfer row as the transaction sees it.
sim_transfer_status_t
sim_store_transfer (sim_world_t *w, sim_txn_t *txn, int txid)
{
    return s_transfer_before (&w->store, txn, txn->count, txid);
}

sim_hold_row_t
sim_store_hold (sim_world_t *w, sim_txn_t *txn, int hold)
{
    if (hold < 0 || hold >= SIM_HOLDS_MAX)
        return (sim_hold_row_t){.status = HOLD_NONE};
    return s_hold_before (&w->store, txn, txn->count, hold);
}

int64_t
sim_store_holds_next_ms (const sim_world_t *w)
{
    int64_t next = INT64_MAX;
    for (int h = 0; h < w->holds; h++)
        if (w->store.holds[h].status == HOLD_OPEN && w->store.holds[h].expires_at_ms < next)
            next = w->store.holds[h].expires_at_ms;
    return next;
}

int
sim_store_holds_open (const sim_world_t *w)
{
    for (int h = 0; h < w->holds; h++)
        if (w->store.holds[h].status == HOLD_OPEN)
            return h;
    return -1;
}

int
sim_store_history (sim_world_t *w, sim_txn_t *txn, int txid, wf_account_event_type_t type,
                   int64_t *amount, int64_t *refunded, int *sender)
{
    const sim_store_t *store = &w->store;
    int account = store->history_keys[(size_t) txid * WF_ACCOUNT_EVENT_COUNT + type] - 1;
    *amount = store->tx_amount[txid];
    *refunded = store->tx_refunded[txid];
    *sender = store->tx_sender[txid];
    for (size_t i = 0; i < txn->count; i++) {
        const sim_op_t *op = &txn->ops[i];
        if (op->kind == OP_HISTORY && op->txid == txid && op->event_type == type) {
            account = op->account;
            *amount = op->amount;
            if (type == WF_ACCOUNT_EVENT_TRANSFER_RECEIVED)
                *sender = op->counterparty;
        } else if (op->kind == OP_REFUNDED && op->txid == txid)
            *refunded += op->amount;
    }
    return account;
}
