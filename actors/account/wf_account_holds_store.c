/*  wf_account_holds_store - the SQL of holds and overdraft limits.  */
#include "wf_account_holds_store.h"
#include "wf_account_store.h"
#include "wf_account_batch.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define s_exec wf_account_store_exec //  one helper for the whole store

//  Copies a column into a buffer (truncating, which the schema rules out).
static void
s_column (PGresult *res, int row, int column, char *dest, size_t size)
{
    snprintf (dest, size, "%s", PQgetvalue (res, row, column));
}

int
wf_account_holds_get (PGconn *conn, const char *hold_id, wf_account_hold_row_t *row)
{
    const char *params[] = {hold_id};
    PGresult *res =
        s_exec (conn,
                "SELECT id::text, account_id::text, coalesce (destination_account_id::text, ''), "
                "amount, coalesce (captured_amount, 0), currency, status, "
                "coalesce (description, ''), coalesce (capture_transaction_id::text, ''), "
                "(extract (epoch FROM expires_at) * 1000)::bigint, "
                "(extract (epoch FROM created_at) * 1000)::bigint, "
                "coalesce ((extract (epoch FROM closed_at) * 1000)::bigint, 0), "
                "coalesce (metadata::text, '') FROM holds WHERE id = $1",
                1, params, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    int found = PQntuples (res) == 1;
    if (found) {
        memset (row, 0, sizeof *row);
        s_column (res, 0, 0, row->id, sizeof row->id);
        s_column (res, 0, 1, row->account_id, sizeof row->account_id);
        s_column (res, 0, 2, row->destination_id, sizeof row->destination_id);
        row->amount = atoll (PQgetvalue (res, 0, 3));
        row->captured_amount = atoll (PQgetvalue (res, 0, 4));
        s_column (res, 0, 5, row->currency, sizeof row->currency);
        s_column (res, 0, 6, row->status, sizeof row->status);
        s_column (res, 0, 7, row->description, sizeof row->description);
        s_column (res, 0, 8, row->transaction_id, sizeof row->transaction_id);
        row->expires_at_ms = atoll (PQgetvalue (res, 0, 9));
        row->created_at_ms = atoll (PQgetvalue (res, 0, 10));
        row->closed_at_ms = atoll (PQgetvalue (res, 0, 11));
        s_column (res, 0, 12, row->metadata, sizeof row->metadata);
    }
    PQclear (res);
    return found;
}

int
wf_account_holds_insert (PGconn *conn, const wf_account_hold_row_t *row, int shard)
{
    char amount[24], shard_text[16], expires[32], created[32];
    snprintf (amount, sizeof amount, "%" PRId64, row->amount);
    snprintf (shard_text, sizeof shard_text, "%d", shard);
    wf_account_iso_time (row->expires_at_ms, expires);
    wf_account_iso_time (row->created_at_ms, created);
    const char *params[] = {row->id,
                            row->account_id,
                            *row->destination_id ? row->destination_id : NULL,
                            amount,
                            row->currency,
                            *row->description ? row->description : NULL,
                            shard_text,
                            expires,
                            created,
                            *row->metadata ? row->metadata : NULL};
    PGresult *res = s_exec (conn,
                            "INSERT INTO holds (id, account_id, destination_account_id, amount, "
                            "currency, status, description, shard, expires_at, created_at, "
                            "metadata) VALUES ($1, $2, $3, $4, $5, 'Open', $6, $7, $8, $9, $10)",
                            10, params, PGRES_COMMAND_OK);
    PQclear (res);
    return res ? 0 : -1;
}

int
wf_account_holds_close (PGconn *conn, const char *hold_id, const char *status,
                        int64_t captured_amount, const char *transaction_id, int64_t closed_at_ms)
{
    char captured[24], closed[32];
    snprintf (captured, sizeof captured, "%" PRId64, captured_amount);
    wf_account_iso_time (closed_at_ms, closed);
    const char *params[] = {hold_id, status, captured_amount > 0 ? captured : NULL,
                            transaction_id && *transaction_id ? transaction_id : NULL, closed};
    PGresult *res = s_exec (conn,
                            "UPDATE holds SET status = $2, captured_amount = $3, "
                            "capture_transaction_id = $4, closed_at = $5 "
                            "WHERE id = $1 AND status = 'Open'",
                            5, params, PGRES_COMMAND_OK);
    if (!res)
        return -1;
    int rc = atoi (PQcmdTuples (res)) == 1 ? 0 : -1;
    PQclear (res);
    return rc;
}

int
wf_account_holds_due (PGconn *conn, int shard, int64_t now_ms, int max,
                      char (*hold_ids)[WF_UUID_BYTES], char (*account_ids)[WF_UUID_BYTES])
{
    char shard_text[16], now[32], limit[16];
    snprintf (shard_text, sizeof shard_text, "%d", shard);
    snprintf (limit, sizeof limit, "%d", max);
    wf_account_iso_time (now_ms, now);
    const char *params[] = {shard_text, now, limit};
    PGresult *res = s_exec (conn,
                            "SELECT id::text, account_id::text FROM holds WHERE shard = $1 AND "
                            "status = 'Open' AND expires_at <= $2 ORDER BY expires_at LIMIT $3",
                            3, params, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    int count = PQntuples (res);
    for (int i = 0; i < count && i < max; i++) {
        s_column (res, i, 0, hold_ids[i], WF_UUID_BYTES);
        s_column (res, i, 1, account_ids[i], WF_UUID_BYTES);
    }
    PQclear (res);
    return count < max ? count : max;
}

int
wf_account_holds_account_row (PGconn *conn, const wf_account_state_t *state)
{
    char balance[24], held[24], limit[24], version[24];
    snprintf (balance, sizeof balance, "%" PRId64, state->balance);
    snprintf (held, sizeof held, "%" PRId64, state->held);
    snprintf (limit, sizeof limit, "%" PRId64, state->overdraft_limit);
    snprintf (version, sizeof version, "%" PRId64, state->version);
    const char *params[] = {state->id, balance, held, limit, version};
    //  The row this updates may still wait in the shard's batch: write it first.
    if (wf_account_batch_sync (conn, WF_BATCH_ACCOUNTS, 0, state->id) != 0)
        return -1;
    PGresult *res = s_exec (conn,
                            "UPDATE accounts SET balance = $2, held = $3, overdraft_limit = $4, "
                            "version = $5 WHERE id = $1",
                            5, params, PGRES_COMMAND_OK);
    if (!res)
        return -1;
    int rc = atoi (PQcmdTuples (res)) == 1 ? 0 : -1;
    PQclear (res);
    return rc;
}

int
wf_account_store_metadata (PGconn *conn, const char *account_id, const char *transaction_id,
                           const char *type, const char *metadata)
{
    if (!*metadata)
        return 0;
    const char *params[] = {account_id, transaction_id, type, metadata};
    //  The history row may still wait in the shard's batch: write it first.
    if (wf_account_batch_sync (conn, WF_BATCH_TRANSACTIONS, 0, transaction_id) != 0)
        return -1;
    PGresult *res = s_exec (conn,
                            "UPDATE transactions SET metadata = $4::jsonb WHERE account_id = $1 "
                            "AND id = $2 AND type = $3",
                            4, params, PGRES_COMMAND_OK);
    if (!res)
        return -1;
    int rc = atoi (PQcmdTuples (res)) == 1 ? 0 : -1;
    PQclear (res);
    return rc;
}
