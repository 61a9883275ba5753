/*  wf_audit - the invariants of DESIGN.md §5, checked in SQL over `events`.

    With issue 10 the no-negative rule is "balance - held >= -overdraft limit"
    at every version, and the holds have their own checks: the held sum equals
    the open holds (in the events, the holds table and the accounts row), a
    hold closes at most once, a capture never exceeds its hold and is followed
    by its debit, and the holds table agrees with the events.

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
    "sum (CASE WHEN type IN "                                                                      \
    "('MoneyDeposited','TransferReceived','TransferRefunded','WithdrawalRefunded') THEN "          \
    "amount WHEN type IN ('MoneyWithdrawn','TransferSent','DepositRefunded','TransferReversed') "  \
    "THEN -amount ELSE 0 END) OVER "                                                               \
    "(PARTITION BY stream_id ORDER BY version) AS balance FROM e), "                               \
    "cur AS (SELECT stream_id, data->>'currency' AS currency FROM events WHERE type = "            \
    "'AccountOpened'), fin AS (SELECT DISTINCT ON (stream_id) stream_id, version, balance FROM r " \
    "ORDER BY stream_id, version DESC) "

//  The replay with holds and the overdraft limit: per event, the balance,
//  the held sum and the limit in force (the last OverdraftLimitSet so far).
#define HOLD_REPLAY                                                                                \
    "WITH e AS (SELECT stream_id, version, type, data, coalesce ((data->>'amount')::bigint, 0) "   \
    "AS amount FROM events), r AS (SELECT stream_id, version, type, sum (CASE WHEN type IN "       \
    "('MoneyDeposited','TransferReceived','TransferRefunded','WithdrawalRefunded') THEN amount "   \
    "WHEN type IN "                                                                                \
    "('MoneyWithdrawn','TransferSent','DepositRefunded','TransferReversed') THEN -amount ELSE 0 "  \
    "END) OVER w AS balance, sum (CASE "                                                           \
    "WHEN type = 'HoldPlaced' THEN amount WHEN type IN ('HoldCaptured','HoldVoided',"              \
    "'HoldExpired') THEN -(data->>'heldAmount')::bigint ELSE 0 END) OVER w AS held, count (*) "    \
    "FILTER (WHERE type = 'OverdraftLimitSet') OVER w AS grp, CASE WHEN type = "                   \
    "'OverdraftLimitSet' THEN (data->>'limit')::bigint END AS lim FROM e WINDOW w AS (PARTITION "  \
    "BY stream_id ORDER BY version)), l AS (SELECT stream_id, version, type, balance, held, "      \
    "coalesce (max (lim) OVER (PARTITION BY stream_id, grp), 0) AS lim FROM r), fin AS (SELECT "   \
    "DISTINCT ON (stream_id) stream_id, balance, held, lim FROM l ORDER BY stream_id, version "    \
    "DESC) "

//  Every hold's placement and its closing event, if any.
#define HOLDS                                                                                      \
    "WITH placed AS (SELECT stream_id, data->>'holdId' AS id, (data->>'amount')::bigint AS "       \
    "amount FROM events WHERE type = 'HoldPlaced'), closing AS (SELECT stream_id, version, type, " \
    "data->>'holdId' AS id, (data->>'heldAmount')::bigint AS held, coalesce ((data->>'amount')"    \
    "::bigint, 0) AS amount, data->>'transactionId' AS tx FROM events WHERE type IN "              \
    "('HoldCaptured','HoldVoided','HoldExpired')) "

typedef struct {
    const char *name;
    const char *sql; //  one text column per violation
} check_t;

static const check_t s_checks[] = {
    {"versions contiguous",
     "SELECT 'stream ' || stream_id || ': versions ' || min (version) || '..' || max (version) || "
     "' with ' || count (*) || ' events' FROM events GROUP BY stream_id "
     "HAVING min (version) <> 1 OR max (version) <> count (*)"},
    {"available never below -overdraft limit, held never below 0",
     HOLD_REPLAY "SELECT 'stream ' || stream_id || ' at version ' || version || ': balance ' || "
                 "balance || ' - held ' || held || ' below -' || lim FROM l WHERE held < 0 OR "
                 "balance - held < -lim"},
    {"held equals the sum of the open holds (events, read models)",
     HOLD_REPLAY ", placed AS (SELECT stream_id, data->>'holdId' AS id, (data->>'amount')::bigint "
                 "AS amount FROM events WHERE type = 'HoldPlaced'), closed AS (SELECT "
                 "data->>'holdId' AS id FROM events WHERE type IN ('HoldCaptured','HoldVoided',"
                 "'HoldExpired')), open AS (SELECT stream_id, sum (amount) AS s FROM placed WHERE "
                 "id NOT IN (SELECT id FROM closed) GROUP BY stream_id), rows AS (SELECT "
                 "account_id AS stream_id, sum (amount) AS s FROM holds WHERE status = 'Open' "
                 "GROUP BY account_id) SELECT 'account ' || f.stream_id || ': held ' || f.held || "
                 "', open holds ' || coalesce (o.s, 0) || ', open rows of holds ' || coalesce "
                 "(w.s, 0) || ', accounts.held ' || coalesce (a.held::text, 'none') || ', limit "
                 "' || f.lim || ' vs accounts.overdraft_limit ' || coalesce "
                 "(a.overdraft_limit::text, 'none') FROM fin f LEFT JOIN open o USING (stream_id) "
                 "LEFT JOIN rows w USING (stream_id) LEFT JOIN accounts a ON a.id = f.stream_id "
                 "WHERE f.held <> coalesce (o.s, 0) OR f.held <> coalesce (w.s, 0) OR a.held IS "
                 "DISTINCT FROM f.held OR a.overdraft_limit IS DISTINCT FROM f.lim"},
    {"each hold closed at most once; a capture within its hold, with its debit", HOLDS
     "SELECT 'hold ' || id || ': ' || count (*) || ' closing events' FROM closing GROUP BY id "
     "HAVING count (*) > 1 UNION ALL SELECT 'hold ' || c.id || ' closed without its "
     "HoldPlaced' FROM closing c LEFT JOIN placed p ON p.id = c.id AND p.stream_id = "
     "c.stream_id WHERE p.id IS NULL UNION ALL SELECT 'hold ' || c.id || ' released ' || "
     "c.held || ' of ' || p.amount FROM closing c JOIN placed p USING (id) WHERE c.held <> "
     "p.amount UNION ALL SELECT 'hold ' || c.id || ' captured ' || c.amount || ' of ' || "
     "p.amount FROM closing c JOIN placed p USING (id) WHERE c.type = 'HoldCaptured' AND "
     "(c.amount <= 0 OR c.amount > p.amount) UNION ALL SELECT 'hold ' || c.id || ': capture "
     "without its debit' FROM closing c WHERE c.type = 'HoldCaptured' AND NOT EXISTS "
     "(SELECT 1 FROM events d WHERE d.stream_id = c.stream_id AND d.version = c.version + 1 "
     "AND d.type IN ('MoneyWithdrawn','TransferSent') AND d.data->>'transactionId' = c.tx "
     "AND (d.data->>'amount')::bigint = c.amount)"},
    {"holds read model equals the replay",
     HOLDS "SELECT 'hold ' || coalesce (h.id::text, p.id) || ' is ' || coalesce (h.status, "
           "'missing') || ' but the events say ' || coalesce (c.type, CASE WHEN p.id IS NULL THEN "
           "'nothing' ELSE 'open' END) FROM holds h FULL JOIN placed p ON p.id = h.id::text LEFT "
           "JOIN closing c ON c.id = coalesce (h.id::text, p.id) WHERE h.id IS NULL OR p.id IS "
           "NULL OR h.amount <> p.amount OR (c.type IS NULL AND h.status <> 'Open') OR (c.type = "
           "'HoldCaptured' AND (h.status <> 'Captured' OR h.captured_amount IS DISTINCT FROM "
           "c.amount)) OR (c.type = 'HoldVoided' AND h.status <> 'Voided') OR (c.type = "
           "'HoldExpired' AND h.status <> 'Expired')"},
    {"conservation per currency",
     REPLAY ", sent AS (SELECT data->>'transactionId' AS id, amount, stream_id FROM r WHERE type "
            "IN ('TransferSent','TransferReversed')), closed AS (SELECT data->>'transactionId' AS "
            "id FROM r WHERE type "
            "IN ('TransferReceived','TransferRefunded')), flight AS (SELECT c.currency, "
            "coalesce (sum (s.amount), 0) AS amount FROM sent s JOIN cur c USING (stream_id) "
            "WHERE s.id NOT IN (SELECT id FROM closed) GROUP BY c.currency), "
            "tot AS (SELECT c.currency, sum (CASE WHEN r.type = 'MoneyDeposited' THEN r.amount "
            "WHEN r.type = 'DepositRefunded' THEN -r.amount ELSE 0 END) AS deposits, sum (CASE "
            "WHEN r.type = 'MoneyWithdrawn' THEN r.amount WHEN r.type = 'WithdrawalRefunded' THEN "
            "-r.amount ELSE 0 END) AS withdrawals FROM r JOIN cur c USING (stream_id) GROUP BY "
            "c.currency), "
            "bal AS (SELECT c.currency, sum (f.balance) AS balances FROM fin f JOIN cur c USING "
            "(stream_id) GROUP BY c.currency) SELECT t.currency || ': balances ' || b.balances || "
            "' + in flight ' || coalesce (f.amount, 0) || ' <> deposits ' || t.deposits || ' - "
            "withdrawals ' || t.withdrawals FROM tot t JOIN bal b USING (currency) LEFT JOIN "
            "flight f USING (currency) WHERE b.balances + coalesce (f.amount, 0) <> t.deposits - "
            "t.withdrawals"},
    {"each transfer closed at most once, for its amount, in one currency",
     REPLAY ", sent AS (SELECT data->>'transactionId' AS id, amount, stream_id FROM r WHERE type "
            "IN ('TransferSent','TransferReversed')), closing AS (SELECT data->>'transactionId' AS "
            "id, type, amount, "
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
    {"refunds never exceed their original, and the read model agrees",
     "WITH refund AS (SELECT stream_id, type, data->>'originalId' AS id, (data->>'amount')::bigint "
     "AS amount FROM events WHERE type IN ('DepositRefunded','WithdrawalRefunded',"
     "'TransferReversed')), original AS (SELECT stream_id, type, data->>'transactionId' AS id, "
     "(data->>'amount')::bigint AS amount FROM events WHERE type IN ('MoneyDeposited',"
     "'MoneyWithdrawn','TransferReceived')), pair AS (SELECT r.id, r.stream_id, sum (r.amount) AS "
     "refunded, min (o.amount) AS amount, count (o.id) AS originals FROM refund r LEFT JOIN "
     "original o ON o.id = r.id AND o.stream_id = r.stream_id AND o.type = CASE r.type WHEN "
     "'DepositRefunded' THEN 'MoneyDeposited' WHEN 'WithdrawalRefunded' THEN 'MoneyWithdrawn' "
     "ELSE 'TransferReceived' END GROUP BY r.id, r.stream_id) SELECT 'movement ' || id || ' on "
     "' || stream_id || ': refunded ' || refunded || ' of ' || coalesce (amount::text, 'no "
     "original') FROM pair WHERE amount IS NULL OR refunded > amount UNION ALL SELECT 'movement "
     "' || t.id || ' on ' || t.account_id || ': read model refunded ' || t.refunded || ', "
     "events ' || coalesce (p.refunded, 0) FROM transactions t LEFT JOIN pair p ON p.id = "
     "t.id::text AND p.stream_id = t.account_id WHERE t.type IN ('Deposit','Withdrawal',"
     "'TransferReceived') AND t.refunded <> coalesce (p.refunded, 0)"},
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
