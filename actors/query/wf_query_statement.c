/*  wf_query_statement - the balance at a moment and statements, by replay.  */
#include "wf_query_statement.h"
#include "wf_account_aggregate.h"
#include "wf_account_codec.h"
#include "wf_currency.h"
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(WF_QUERY_STATEMENT_ENTRIES_MAX <= 200, "entries must fit account.statement");

//  The signed change an event makes to the balance (0 for the others).
static int64_t
s_change (const wf_account_event_t *event)
{
    switch (event->type) {
        case WF_ACCOUNT_EVENT_DEPOSITED:
        case WF_ACCOUNT_EVENT_TRANSFER_RECEIVED:
        case WF_ACCOUNT_EVENT_TRANSFER_REFUNDED:
        case WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED:
            return event->amount;
        case WF_ACCOUNT_EVENT_WITHDRAWN:
        case WF_ACCOUNT_EVENT_TRANSFER_SENT:
        case WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED:
        case WF_ACCOUNT_EVENT_TRANSFER_REVERSED:
            return -event->amount;
        default:
            return 0;
    }
}

//  The history type of a balance event (as in GET .../transactions).
static const char *
s_type (wf_account_event_type_t type)
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
        default:
            return "Refund";
    }
}

//  Loads the snapshot when it is older than from_ms (every event it covers
//  occurred before). Returns its version (0 when unused), -1 on error.
static int64_t
s_snapshot (PGconn *conn, const char *account_id, int64_t from_ms, wf_account_t *account,
            PGresult **keep)
{
    char from[24];
    snprintf (from, sizeof from, "%" PRId64, from_ms);
    const char *params[] = {account_id, from};
    PGresult *res = PQexecParams (
        conn,
        "SELECT s.state::text, s.version FROM snapshots s WHERE s.stream_id = $1 AND NOT EXISTS "
        "(SELECT 1 FROM events e WHERE e.stream_id = $1 AND e.version <= s.version AND "
        "e.occurred_at >= to_timestamp ($2::bigint / 1000.0))",
        2, NULL, params, NULL, NULL, 0);
    *keep = res;
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        return -1;
    if (PQntuples (res) != 1)
        return 0;
    json_error_t error;
    json_t *json = json_loads (PQgetvalue (res, 0, 0), 0, &error);
    const char *why = NULL;
    int rc = json ? wf_account_snapshot_from_json (json, account, &why) : -1;
    json_decref (json);
    //  An unreadable snapshot is not fatal: replay from the first event.
    if (rc != 0) {
        wf_account_t *fresh = wf_account_new ();
        wf_account_copy (account, fresh);
        wf_account_destroy (&fresh);
        return 0;
    }
    return wf_account_state (account)->version;
}

//  Adds one statement entry from row i (slices into res).
static void
s_entry (wf_account_statement_t *out, PGresult *res, int i, const wf_account_event_t *event,
         const wf_account_state_t *state, int64_t change)
{
    wf_account_transaction_t *t = &out->items[out->items_count++];
    memset (t, 0, sizeof *t);
    t->id = wf_str_c (PQgetvalue (res, i, 1));
    t->account_id = wf_str_c (PQgetvalue (res, i, 4));
    t->destination_account_id = wf_str_c (PQgetvalue (res, i, 2));
    t->amount = event->amount;
    t->change = change;
    t->currency = wf_str_c (PQgetvalue (res, i, 5));
    t->digits = state->digits;
    t->balance_after = state->balance;
    t->type = wf_str_c (s_type (event->type));
    t->description = wf_str_c (PQgetvalue (res, i, 3));
    t->created_at_ms = event->occurred_at_ms;
}

int
wf_query_statement (PGconn *conn, const char *account_id, int64_t from_ms, int64_t to_ms,
                    wf_account_statement_t *out, PGresult *keep[2])
{
    memset (out, 0, sizeof *out);
    keep[0] = keep[1] = NULL;
    wf_account_t *account = wf_account_new ();
    int64_t after = s_snapshot (conn, account_id, from_ms, account, &keep[0]);
    char version[24];
    snprintf (version, sizeof version, "%" PRId64, after < 0 ? 0 : after);
    const char *params[] = {account_id, version};
    PGresult *res =
        after < 0
            ? NULL
            : PQexecParams (
                  conn,
                  "SELECT e.data::text, coalesce (e.data->>'transactionId', ''), "
                  "coalesce (e.data->>'destinationAccountId', e.data->>'sourceAccountId', ''), "
                  "coalesce (e.data->>'description', e.data->>'reason', ''), "
                  "e.stream_id::text, coalesce (o.data->>'currency', '') FROM events e "
                  "LEFT JOIN events o ON o.stream_id = e.stream_id AND o.version = 1 "
                  "WHERE e.stream_id = $1 AND e.version > $2 ORDER BY e.version",
                  2, NULL, params, NULL, NULL, 0);
    keep[1] = res;
    int rc = after >= 0 && PQresultStatus (res) == PGRES_TUPLES_OK ? 1 : -1;
    out->opening_balance = wf_account_state (account)->balance; //  the snapshot's, or 0
    for (int i = 0; rc == 1 && i < PQntuples (res); i++) {
        json_error_t error;
        json_t *json = json_loads (PQgetvalue (res, i, 0), 0, &error);
        wf_account_event_t event;
        const char *why = NULL;
        if (!json || wf_account_event_from_json (json, &event, &why) != 0)
            rc = -1;
        json_decref (json);
        if (rc != 1 || event.occurred_at_ms > to_ms)
            break; //  exact to the event: the first one after the instant ends the replay
        wf_account_apply (account, &event);
        const wf_account_state_t *state = wf_account_state (account);
        int64_t change = s_change (&event);
        if (event.occurred_at_ms < from_ms)
            out->opening_balance = state->balance;
        else if (change != 0) {
            if (out->items_count >= WF_QUERY_STATEMENT_ENTRIES_MAX)
                rc = 0;
            else
                s_entry (out, res, i, &event, state, change);
        }
    }
    const wf_account_state_t *state = wf_account_state (account);
    if (rc == 1) {
        //  Slices must outlive the account: the caller's id, the table's code.
        const wf_currency_t *currency = wf_currency_lookup (wf_str_c (state->currency), NULL);
        out->account_id = wf_str_c (account_id);
        out->currency = wf_str_c (currency ? wf_currency_code (currency) : "");
        out->digits = state->digits;
        out->from_ms = from_ms;
        out->to_ms = to_ms;
        out->closing_balance = state->balance;
        out->held = state->held;
        out->version = state->version;
    }
    wf_account_destroy (&account);
    return rc;
}
