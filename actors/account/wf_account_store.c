/*  wf_account_store - the account shard's SQL.  */
#include "wf_account_store.h"
#include "wf_account_batch.h"
#include "wf_account_codec.h"
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
wf_account_iso_time (int64_t ms, char out[32])
{
    time_t seconds = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    //  strftime bounds each field, so the text always fits 32 bytes.
    char date[24];
    strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (out, 32, "%.19s.%03dZ", date, (int) (ms % 1000));
}

PGresult *
wf_account_store_exec (PGconn *conn, const char *sql, int count, const char *const *params,
                       ExecStatusType expected)
{
    PGresult *res = PQexecParams (conn, sql, count, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != expected) {
        PQclear (res);
        return NULL;
    }
    return res;
}

#define s_exec wf_account_store_exec

//  Runs one of the store's prepared reads; the result when it has rows (or
//  ran, for the inbox insert), else NULL (result cleared).
static PGresult *
s_read (PGconn *conn, wf_batch_read_t read, int count, const char *const *params)
{
    PGresult *res = wf_account_batch_read (conn, read, count, params, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus (res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        PQclear (res);
        return NULL;
    }
    return res;
}

//  Applies the stored events after version `after` to account.
static int
s_load_events (PGconn *conn, const char *account_id, int64_t after, wf_account_t *account)
{
    char version[24];
    snprintf (version, sizeof version, "%" PRId64, after);
    const char *params[] = {account_id, version};
    if (wf_account_batch_sync (conn, WF_BATCH_EVENTS, 0, account_id) != 0)
        return -1;
    PGresult *res = s_read (conn, WF_BATCH_READ_EVENTS, 2, params);
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples (res) && rc == 0; i++) {
        json_error_t error;
        json_t *json = json_loads (PQgetvalue (res, i, 0), 0, &error);
        wf_account_event_t event;
        const char *why = NULL;
        if (!json || wf_account_event_from_json (json, &event, &why) != 0)
            rc = -1; //  an unreadable event: refuse to guess the state
        else
            wf_account_apply (account, &event);
        json_decref (json);
    }
    PQclear (res);
    return rc;
}

int
wf_account_store_load (PGconn *conn, const char *account_id, wf_account_t *account)
{
    wf_account_t *fresh = wf_account_new ();
    wf_account_copy (account, fresh);
    wf_account_destroy (&fresh);
    const char *params[] = {account_id};
    PGresult *res = s_read (conn, WF_BATCH_READ_SNAPSHOT, 1, params);
    if (!res)
        return -1;
    int rc = 0;
    if (PQntuples (res) == 1) {
        json_error_t error;
        json_t *json = json_loads (PQgetvalue (res, 0, 0), 0, &error);
        const char *why = NULL;
        if (!json || wf_account_snapshot_from_json (json, account, &why) != 0)
            rc = -1;
        json_decref (json);
    }
    PQclear (res);
    if (rc == 0)
        rc = s_load_events (conn, account_id, wf_account_state (account)->version, account);
    if (rc != 0)
        return -1;
    return wf_account_state (account)->version > 0 ? 1 : 0;
}

int64_t
wf_account_store_version (PGconn *conn, const char *account_id)
{
    const char *params[] = {account_id};
    if (wf_account_batch_sync (conn, WF_BATCH_EVENTS, 0, account_id) != 0)
        return -1;
    PGresult *res = s_read (conn, WF_BATCH_READ_VERSION, 1, params);
    if (!res)
        return -1;
    int64_t version = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return version;
}

//  Inserts the event row itself; the (stream_id, version) key refuses a stale
//  writer.
static int
s_insert_event (PGconn *conn, const wf_account_state_t *state, const wf_account_event_t *event)
{
    json_t *json = wf_account_event_to_json (event);
    char *data = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (json);
    char version[24], occurred[32];
    snprintf (version, sizeof version, "%" PRId64, state->version);
    wf_account_iso_time (event->occurred_at_ms, occurred);
    const char *params[] = {state->id, version, wf_account_event_type_name (event->type), data,
                            occurred};
    wf_account_batch_t *batch = wf_account_batch_of (conn);
    if (batch) {
        wf_account_batch_add (batch, WF_BATCH_EVENTS, params, NULL, NULL);
        free (data);
        return 0;
    }
    PGresult *res = s_exec (conn,
                            "INSERT INTO events (stream_id, version, type, data, occurred_at) "
                            "VALUES ($1, $2, $3, $4, $5)",
                            5, params, PGRES_COMMAND_OK);
    free (data);
    PQclear (res);
    return res ? 0 : -1;
}

//  Upserts the accounts read model row from the state after the event.
static int
s_upsert_account (PGconn *conn, const wf_account_state_t *state, bool is_default, int64_t now_ms)
{
    char balance[24], version[24], created[32], updated[32];
    snprintf (balance, sizeof balance, "%" PRId64, state->balance);
    snprintf (version, sizeof version, "%" PRId64, state->version);
    wf_account_iso_time (state->created_at_ms, created);
    wf_account_iso_time (now_ms, updated);
    const char *params[] = {state->id,     state->owner_id,
                            state->number, state->currency,
                            balance,       wf_account_status_name (state->status),
                            version,       is_default ? "true" : "false",
                            created,       updated};
    wf_account_batch_t *batch = wf_account_batch_of (conn);
    if (batch) {
        wf_account_batch_add (batch, WF_BATCH_ACCOUNTS, params, NULL, NULL);
        return 0;
    }
    PGresult *res = s_exec (
        conn,
        "INSERT INTO accounts (id, owner_id, number, currency, balance, status, version, "
        "is_default, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) "
        "ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance, status = EXCLUDED.status, "
        "version = EXCLUDED.version, updated_at = EXCLUDED.updated_at",
        10, params, PGRES_COMMAND_OK);
    PQclear (res);
    return res ? 0 : -1;
}

//  The TransactionDto type of a money event, or NULL for other events.
static const char *
s_transaction_type (wf_account_event_type_t type)
{
    switch (type) {
        case WF_ACCOUNT_EVENT_DEPOSITED:
            return "Deposit";
        case WF_ACCOUNT_EVENT_WITHDRAWN:
            return "Withdrawal";
        case WF_ACCOUNT_EVENT_TRANSFER_SENT:
            return "Transfer";
        case WF_ACCOUNT_EVENT_TRANSFER_RECEIVED:
            return "TransferReceived";
        case WF_ACCOUNT_EVENT_TRANSFER_REFUNDED:
        case WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED:
        case WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED:
        case WF_ACCOUNT_EVENT_TRANSFER_REVERSED:
            return "Refund";
        default:
            return NULL;
    }
}

//  Inserts the history row of a money event.
static int
s_insert_transaction (PGconn *conn, const wf_account_state_t *state,
                      const wf_account_event_t *event)
{
    const char *type = s_transaction_type (event->type);
    if (!type)
        return 0;
    char amount[24], balance[24], created[32];
    snprintf (amount, sizeof amount, "%" PRId64, event->amount);
    snprintf (balance, sizeof balance, "%" PRId64, state->balance);
    wf_account_iso_time (event->occurred_at_ms, created);
    const char *text =
        event->type == WF_ACCOUNT_EVENT_TRANSFER_REFUNDED ? event->reason : event->description;
    const char *params[] = {event->transaction_id,
                            state->id,
                            type,
                            amount,
                            state->currency,
                            balance,
                            *event->counterparty_id ? event->counterparty_id : NULL,
                            *text ? text : NULL,
                            created};
    wf_account_batch_t *batch = wf_account_batch_of (conn);
    if (batch) {
        wf_account_batch_add (batch, WF_BATCH_TRANSACTIONS, params, NULL, NULL);
        return 0;
    }
    PGresult *res = s_exec (conn,
                            "INSERT INTO transactions (id, account_id, type, amount, currency, "
                            "balance_after, counterparty_account_id, description, created_at) "
                            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                            9, params, PGRES_COMMAND_OK);
    PQclear (res);
    return res ? 0 : -1;
}

//  Writes a snapshot of the state when its version is a multiple of K.
static int
s_snapshot (PGconn *conn, const wf_account_t *account)
{
    const wf_account_state_t *state = wf_account_state (account);
    if (state->version % WF_ACCOUNT_SNAPSHOT_EVERY != 0)
        return 0;
    json_t *json = wf_account_snapshot_to_json (account);
    char *text = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (json);
    char version[24];
    snprintf (version, sizeof version, "%" PRId64, state->version);
    const char *params[] = {state->id, version, text};
    PGresult *res = s_exec (conn,
                            "INSERT INTO snapshots (stream_id, version, state) VALUES ($1,$2,$3) "
                            "ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, "
                            "state = EXCLUDED.state, taken_at = now()",
                            3, params, PGRES_COMMAND_OK);
    free (text);
    PQclear (res);
    return res ? 0 : -1;
}

int
wf_account_store_append (PGconn *conn, const wf_account_t *after, const wf_account_event_t *event,
                         bool is_default)
{
    const wf_account_state_t *state = wf_account_state (after);
    if (s_insert_event (conn, state, event) != 0 ||
        s_upsert_account (conn, state, is_default, event->occurred_at_ms) != 0 ||
        s_insert_transaction (conn, state, event) != 0 || s_snapshot (conn, after) != 0)
        return -1;
    return 0;
}

int
wf_account_store_outbox (PGconn *conn, const char *type, const char *stream_id,
                         const char *route_key, const char *payload, const char *destinations)
{
    const char *params[] = {type, stream_id, route_key, payload, destinations};
    wf_account_batch_t *batch = wf_account_batch_of (conn);
    if (batch) {
        wf_account_batch_add (batch, WF_BATCH_OUTBOX, params, NULL, NULL);
        return 0;
    }
    PGresult *res =
        s_exec (conn,
                "INSERT INTO outbox (type, stream_id, route_key, payload, destinations, "
                "pending) VALUES ($1, $2, $3, $4, $5, $5)",
                5, params, PGRES_COMMAND_OK);
    PQclear (res);
    return res ? 0 : -1;
}

int
wf_account_store_inbox (PGconn *conn, const char *consumer, const char *message_id)
{
    int prefetched = wf_account_batch_inbox_lookup (conn, consumer, message_id);
    if (prefetched >= 0)
        return prefetched;
    const char *params[] = {consumer, message_id};
    PGresult *res = s_read (conn, WF_BATCH_READ_INBOX, 2, params);
    if (!res)
        return -1;
    int rc = atoi (PQcmdTuples (res)) == 1 ? 1 : 0;
    PQclear (res);
    return rc;
}

int
wf_account_store_peek (PGconn *conn, const char *account_id, char currency[4], char status[16])
{
    const char *params[] = {account_id};
    if (wf_account_batch_sync (conn, WF_BATCH_ACCOUNTS, 0, account_id) != 0)
        return -1;
    //  After the sync: a prefetched answer is only as old as the batch, and none of its own
    //  writes is waiting.
    int prefetched = wf_account_batch_peek_lookup (conn, account_id, currency, status);
    if (prefetched >= 0)
        return prefetched;
    PGresult *res = s_read (conn, WF_BATCH_READ_PEEK, 1, params);
    if (!res)
        return -1;
    int rc = PQntuples (res) == 1;
    if (rc) {
        snprintf (currency, 4, "%s", PQgetvalue (res, 0, 0));
        snprintf (status, 16, "%s", PQgetvalue (res, 0, 1));
    }
    PQclear (res);
    return rc;
}

int
wf_account_store_transfer_begin (PGconn *conn, const char *transfer_id, const char *source,
                                 const char *destination, int64_t amount, const char *currency,
                                 int64_t now_ms)
{
    char amount_text[24], created[32];
    snprintf (amount_text, sizeof amount_text, "%" PRId64, amount);
    wf_account_iso_time (now_ms, created);
    const char *params[] = {transfer_id, source, destination, amount_text, currency, created};
    wf_account_batch_t *batch = wf_account_batch_of (conn);
    if (batch) {
        wf_account_batch_add (batch, WF_BATCH_TRANSFERS_BEGIN, params, NULL, NULL);
        return 0;
    }
    PGresult *res = s_exec (conn,
                            "INSERT INTO transfers (id, source_account_id, destination_account_id, "
                            "amount, currency, status, created_at) "
                            "VALUES ($1, $2, $3, $4, $5, 'InFlight', $6)",
                            6, params, PGRES_COMMAND_OK);
    PQclear (res);
    return res ? 0 : -1;
}

int
wf_account_store_transfer_end (PGconn *conn, const char *transfer_id, const char *status,
                               int64_t now_ms)
{
    char completed[32];
    wf_account_iso_time (now_ms, completed);
    const char *params[] = {transfer_id, status, completed};
    //  In a batch, the flush checks that every transfer named was in flight.
    wf_account_batch_t *batch = wf_account_batch_of (conn);
    if (batch) {
        wf_account_batch_add (batch, WF_BATCH_TRANSFERS_END, params, NULL, NULL);
        return 0;
    }
    PGresult *res = s_exec (conn,
                            "UPDATE transfers SET status = $2, completed_at = $3 "
                            "WHERE id = $1 AND status = 'InFlight'",
                            3, params, PGRES_COMMAND_OK);
    if (!res)
        return -1;
    //  Exactly one saga step may close a transfer.
    int rc = atoi (PQcmdTuples (res)) == 1 ? 0 : -1;
    PQclear (res);
    return rc;
}

int
wf_account_store_idem_get (PGconn *conn, const char *user_id, const char *key, char fingerprint[65],
                           char reply_type[65], uint8_t **reply, size_t *reply_size)
{
    const char *stored_fingerprint, *stored_type;
    const uint8_t *stored;
    size_t stored_size;
    int prefetched = wf_account_batch_idem_lookup (conn, user_id, key, &stored_fingerprint,
                                                   &stored_type, &stored, &stored_size);
    if (prefetched == 1) {
        snprintf (fingerprint, 65, "%s", stored_fingerprint);
        snprintf (reply_type, 65, "%s", stored_type);
        *reply_size = stored_size;
        *reply = (uint8_t *) malloc (stored_size ? stored_size : 1);
        memcpy (*reply, stored, stored_size);
    }
    if (prefetched >= 0)
        return prefetched;
    const char *params[] = {user_id, key};
    if (wf_account_batch_sync (conn, WF_BATCH_IDEMPOTENCY, 1, key) != 0)
        return -1;
    PGresult *res =
        wf_account_batch_read (conn, WF_BATCH_READ_IDEMPOTENCY, 2, params, NULL, NULL, 1);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return -1;
    }
    int rc = PQntuples (res) == 1;
    if (rc) {
        snprintf (fingerprint, 65, "%.*s", PQgetlength (res, 0, 0), PQgetvalue (res, 0, 0));
        snprintf (reply_type, 65, "%.*s", PQgetlength (res, 0, 1), PQgetvalue (res, 0, 1));
        *reply_size = (size_t) PQgetlength (res, 0, 2);
        *reply = (uint8_t *) malloc (*reply_size ? *reply_size : 1);
        memcpy (*reply, PQgetvalue (res, 0, 2), *reply_size);
    }
    PQclear (res);
    return rc;
}

int
wf_account_store_idem_put (PGconn *conn, const char *user_id, const char *key,
                           const char *fingerprint, const char *reply_type, const uint8_t *reply,
                           size_t reply_size)
{
    char ttl[32];
    snprintf (ttl, sizeof ttl, "%d hours", WF_IDEMPOTENCY_KEY_TTL_H);
    const char *params[] = {user_id, key, fingerprint, reply_type, (const char *) reply, ttl};
    int lengths[] = {0, 0, 0, 0, (int) reply_size, 0};
    int formats[] = {0, 0, 0, 0, 1, 0};
    wf_account_batch_t *batch = wf_account_batch_of (conn);
    if (batch) {
        const bool binary[] = {false, false, false, false, true, false};
        wf_account_batch_add (batch, WF_BATCH_IDEMPOTENCY, params, lengths, binary);
        return 0;
    }
    PGresult *res = PQexecParams (conn,
                                  "INSERT INTO idempotency_keys (user_id, key, fingerprint, "
                                  "reply_type, reply, expires_at) "
                                  "VALUES ($1, $2, $3, $4, $5, now() + $6::interval)",
                                  6, NULL, params, lengths, formats, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear (res);
    return rc;
}

//  The index of id in ids[0..count), or -1.
static int
s_index_of (const char *const *ids, size_t count, const char *id)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (ids[i], id) == 0)
            return (int) i;
    return -1;
}

//  Applies one row's JSON (an event, or a snapshot when `snapshot`) to an account; 0 or -1.
static int
s_apply_text (const char *text, wf_account_t *account, bool snapshot)
{
    json_error_t error;
    json_t *json = json_loads (text, 0, &error);
    const char *why = NULL;
    wf_account_event_t event;
    int rc = -1;
    if (json && snapshot)
        rc = wf_account_snapshot_from_json (json, account, &why);
    else if (json && wf_account_event_from_json (json, &event, &why) == 0) {
        wf_account_apply (account, &event);
        rc = 0;
    }
    json_decref (json);
    return rc;
}

int
wf_account_store_load_many (PGconn *conn, const char *const *ids, size_t count,
                            wf_account_t **accounts)
{
    if (count == 0)
        return 0;
    for (size_t i = 0; i < count; i++)
        if (wf_account_batch_sync (conn, WF_BATCH_EVENTS, 0, ids[i]) != 0)
            return -1;
    //  Array literals of uuids and versions: no element needs quoting.
    size_t size = count * (WF_UUID_BYTES + 24) + 4;
    char *list = (char *) malloc (size), *versions = (char *) malloc (size);
    size_t length = (size_t) snprintf (list, size, "{");
    for (size_t i = 0; i < count; i++)
        length += (size_t) snprintf (list + length, size - length, "%s%s", i ? "," : "", ids[i]);
    snprintf (list + length, size - length, "}");
    const char *params[] = {list, versions};
    PGresult *res = s_read (conn, WF_BATCH_READ_SNAPSHOTS_MANY, 1, params);
    int rc = res ? 0 : -1;
    for (int r = 0; rc == 0 && r < PQntuples (res); r++) {
        int i = s_index_of (ids, count, PQgetvalue (res, r, 0));
        rc = i < 0 ? -1 : s_apply_text (PQgetvalue (res, r, 1), accounts[i], true);
    }
    PQclear (res);
    length = (size_t) snprintf (versions, size, "{");
    for (size_t i = 0; i < count; i++)
        length += (size_t) snprintf (versions + length, size - length, "%s%" PRId64, i ? "," : "",
                                     wf_account_state (accounts[i])->version);
    snprintf (versions + length, size - length, "}");
    res = rc == 0 ? s_read (conn, WF_BATCH_READ_EVENTS_MANY, 2, params) : NULL;
    rc = res ? 0 : -1;
    for (int r = 0; rc == 0 && r < PQntuples (res); r++) {
        int i = s_index_of (ids, count, PQgetvalue (res, r, 0));
        rc = i < 0 ? -1 : s_apply_text (PQgetvalue (res, r, 1), accounts[i], false);
    }
    PQclear (res);
    free (list);
    free (versions);
    return rc;
}
