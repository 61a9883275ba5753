/*  wf_audit - the invariants of DESIGN.md §5, checked in SQL over `events`.

    Each check is one query that returns a row per violation (a text
    description); the replay itself is a window sum over each stream's events
    in version order.
*/
#include "wf_audit.h"
#include <stdlib.h>

#define WF_AUDIT_STATEMENT_TIMEOUT "10min" //  per check

//  The signed effect of each event on its stream's balance.
#define REPLAY                                                                                     \
    "WITH e AS (SELECT stream_id, version, type, coalesce ((data->>'amount')::bigint, 0) AS "      \
    "amount, data FROM events), r AS (SELECT stream_id, version, type, amount, data, "             \
    "sum (CASE WHEN type IN ('MoneyDeposited','TransferReceived','TransferRefunded') THEN "        \
    "amount WHEN type IN ('MoneyWithdrawn','TransferSent') THEN -amount ELSE 0 END) OVER "         \
    "(PARTITION BY stream_id ORDER BY version) AS balance FROM e), "                               \
    "cur AS (SELECT stream_id, data->>'currency' AS currency FROM events WHERE type = "            \
    "'AccountOpened'), fin AS (SELECT DISTINCT ON (stream_id) stream_id, version, balance FROM r " \
    "ORDER BY stream_id, version DESC) "

typedef struct {
    const char *name;
    const char *sql; //  one text column per violation
} check_t;

static const check_t s_checks[] = {
    {"versions contiguous",
     "SELECT 'stream ' || stream_id || ': versions ' || min (version) || '..' || max (version) || "
     "' with ' || count (*) || ' events' FROM events GROUP BY stream_id "
     "HAVING min (version) <> 1 OR max (version) <> count (*)"},
    {"no negative balance",
     REPLAY "SELECT 'stream ' || stream_id || ' below zero at version ' || version || ': ' || "
            "balance FROM r WHERE balance < 0"},
    {"conservation per currency",
     REPLAY ", sent AS (SELECT data->>'transactionId' AS id, amount, stream_id FROM r WHERE type "
            "= 'TransferSent'), closed AS (SELECT data->>'transactionId' AS id FROM r WHERE type "
            "IN ('TransferReceived','TransferRefunded')), flight AS (SELECT c.currency, "
            "coalesce (sum (s.amount), 0) AS amount FROM sent s JOIN cur c USING (stream_id) "
            "WHERE s.id NOT IN (SELECT id FROM closed) GROUP BY c.currency), "
            "tot AS (SELECT c.currency, sum (CASE WHEN r.type = 'MoneyDeposited' THEN r.amount "
            "ELSE 0 END) AS deposits, sum (CASE WHEN r.type = 'MoneyWithdrawn' THEN r.amount "
            "ELSE 0 END) AS withdrawals FROM r JOIN cur c USING (stream_id) GROUP BY c.currency), "
            "bal AS (SELECT c.currency, sum (f.balance) AS balances FROM fin f JOIN cur c USING "
            "(stream_id) GROUP BY c.currency) SELECT t.currency || ': balances ' || b.balances || "
            "' + in flight ' || coalesce (f.amount, 0) || ' <> deposits ' || t.deposits || ' - "
            "withdrawals ' || t.withdrawals FROM tot t JOIN bal b USING (currency) LEFT JOIN "
            "flight f USING (currency) WHERE b.balances + coalesce (f.amount, 0) <> t.deposits - "
            "t.withdrawals"},
    {"each transfer closed at most once, for its amount, in one currency",
     REPLAY ", sent AS (SELECT data->>'transactionId' AS id, amount, stream_id FROM r WHERE type "
            "= 'TransferSent'), closing AS (SELECT data->>'transactionId' AS id, type, amount, "
            "stream_id FROM r WHERE type IN ('TransferReceived','TransferRefunded')) "
            "SELECT 'transfer ' || c.id || ': ' || count (*) || ' closing events' FROM closing c "
            "GROUP BY c.id HAVING count (*) > 1 UNION ALL SELECT 'transfer ' || c.id || ' ' || "
            "c.type || ' without a TransferSent' FROM closing c LEFT JOIN sent s USING (id) WHERE "
            "s.id IS NULL UNION ALL SELECT 'transfer ' || c.id || ' closed for ' || c.amount || "
            "' instead of ' || s.amount FROM closing c JOIN sent s USING (id) WHERE c.amount <> "
            "s.amount UNION ALL SELECT 'transfer ' || c.id || ' crosses currencies' FROM closing c "
            "JOIN sent s USING (id) JOIN cur a ON a.stream_id = s.stream_id JOIN cur b ON "
            "b.stream_id = c.stream_id WHERE c.type = 'TransferReceived' AND a.currency <> "
            "b.currency"},
    {"no movement applied twice",
     "SELECT 'stream ' || stream_id || ': ' || type || ' ' || (data->>'transactionId') || ' x' || "
     "count (*) FROM events WHERE data ? 'transactionId' GROUP BY stream_id, type, "
     "data->>'transactionId' HAVING count (*) > 1"},
    {"accounts read model equals the replay",
     REPLAY "SELECT 'account ' || coalesce (f.stream_id, a.id) || ': replay ' || coalesce "
            "(f.balance::text, 'none') || '@' || coalesce (f.version::text, '-') || ', read model "
            "' || coalesce (a.balance::text, 'none') || '@' || coalesce (a.version::text, '-') "
            "FROM fin f FULL JOIN accounts a ON a.id = f.stream_id WHERE a.id IS NULL OR "
            "f.stream_id IS NULL OR a.balance <> f.balance OR a.version <> f.version"},
    {"transfers read model equals the replay",
     "WITH closed AS (SELECT (data->>'transactionId')::uuid AS id, type FROM events WHERE type "
     "IN ('TransferReceived','TransferRefunded')) SELECT 'transfer ' || t.id || ' is ' || "
     "t.status || ' but the events say ' || coalesce (c.type, 'in flight') FROM transfers t LEFT "
     "JOIN closed c USING (id) WHERE (c.type IS NULL AND t.status <> 'InFlight') OR (c.type = "
     "'TransferReceived' AND t.status <> 'Completed') OR (c.type = 'TransferRefunded' AND "
     "t.status <> 'Refunded')"},
};

//  Prints the totals of the store (informational).
static void
s_summary (PGconn *conn, FILE *out)
{
    PGresult *res = PQexec (conn, "SELECT (SELECT count (*) FROM events), (SELECT count (DISTINCT "
                                  "stream_id) FROM events), (SELECT count (*) FROM transfers "
                                  "WHERE status = 'InFlight'), (SELECT count (*) FROM outbox "
                                  "WHERE delivered_at IS NULL)");
    if (PQresultStatus (res) == PGRES_TUPLES_OK)
        fprintf (out,
                 "audit: %s events in %s streams, %s transfers in flight, %s outbox rows "
                 "undelivered\n",
                 PQgetvalue (res, 0, 0), PQgetvalue (res, 0, 1), PQgetvalue (res, 0, 2),
                 PQgetvalue (res, 0, 3));
    PQclear (res);
}

int
wf_audit_run (PGconn *conn, FILE *out)
{
    int violations = 0;
    //  One snapshot of the whole store, so concurrent commits cannot skew it.
    PQclear (PQexec (conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    //  The checks scan the whole history (hundreds of thousands of events after a benchmark): an
    //  offline command, not held to the actors' per-statement limit (wf_pg.h).
    PQclear (PQexec (conn, "SET LOCAL statement_timeout = '" WF_AUDIT_STATEMENT_TIMEOUT "'"));
    for (size_t i = 0; i < sizeof s_checks / sizeof s_checks[0]; i++) {
        PGresult *res = PQexec (conn, s_checks[i].sql);
        if (PQresultStatus (res) != PGRES_TUPLES_OK) {
            fprintf (out, "audit: check \"%s\" failed to run: %s", s_checks[i].name,
                     PQerrorMessage (conn));
            PQclear (res);
            PQclear (PQexec (conn, "ROLLBACK"));
            return -1;
        }
        int rows = PQntuples (res);
        for (int r = 0; r < rows; r++)
            fprintf (out, "VIOLATION [%s] %s\n", s_checks[i].name, PQgetvalue (res, r, 0));
        fprintf (out, "audit: %-66s %s\n", s_checks[i].name, rows ? "FAILED" : "ok");
        violations += rows;
        PQclear (res);
    }
    s_summary (conn, out);
    PQclear (PQexec (conn, "ROLLBACK"));
    return violations;
}
