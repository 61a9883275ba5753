/*  wf_query_statement - an account replayed to an instant: the balance at a
    moment and the statement of a period (issue 10).

    The event store is the truth: the latest snapshot (when it is older than
    the period) plus the events after it are applied with the aggregate's own
    apply, in version order, up to the first event that occurred after to_ms
    (so the result is exact to the event). Entries are the balance-changing
    events whose time is in [from_ms, to_ms]; the opening balance is the state
    before the first event at or after from_ms.
*/
#ifndef WF_QUERY_STATEMENT_H_INCLUDED
#define WF_QUERY_STATEMENT_H_INCLUDED

#include <libpq-fe.h>
#include "wf_msg.h"

#define WF_QUERY_STATEMENT_ENTRIES_MAX 200 //  = the account.statement list bound

//  Fills *out for account_id over [from_ms, to_ms] (from_ms 0 = from the
//  start). Slices point into *keep (two results the caller clears after
//  replying). Returns 1 when done, 0 when the period holds more entries than
//  WF_QUERY_STATEMENT_ENTRIES_MAX, -1 on a database or decoding error.
int wf_query_statement (PGconn *conn, const char *account_id, int64_t from_ms, int64_t to_ms,
                        wf_account_statement_t *out, PGresult *keep[2]);

#endif
