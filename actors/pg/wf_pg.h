/*  wf_pg - one PostgreSQL connection owned by one actor, reconnected on demand.

    Connection failures are normal: wf_pg_conn () returns NULL while the server
    is down and retries no more often than a capped exponential backoff allows,
    logging once per change of state. Every connection carries a
    statement_timeout, so no query blocks an actor without bound, and an
    idle_in_transaction_session_timeout: a process that stalls inside a
    transaction (stopped, frozen VM, cut off) loses it, and its row locks,
    before another worker of the same shard waiting on them times out.
*/
#ifndef WF_PG_H_INCLUDED
#define WF_PG_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _wf_pg_t wf_pg_t;

#define WF_PG_CONNECT_TIMEOUT_S    2
#define WF_PG_STATEMENT_TIMEOUT_MS 5000
#define WF_PG_BACKOFF_MS_MAX       2000
#define WF_PG_PROBE_READS_MAX      4 //  reads checking an idle connection
//  Our transactions run their statements back to back: idle this long inside
//  one means the client stalled.
#define WF_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS 2000
_Static_assert(WF_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS < WF_PG_STATEMENT_TIMEOUT_MS,
               "a statement waiting on a stalled transaction's locks outlives that transaction");

//  Remembers the URL; connects lazily. owner names the actor in logs.
wf_pg_t *wf_pg_new (const char *url, const char *owner);
void wf_pg_destroy (wf_pg_t **self_p);

//  A live connection, or NULL when PostgreSQL is unreachable now. An idle
//  connection the server has closed (a restart) is replaced at once.
PGconn *wf_pg_conn (wf_pg_t *self);

//  Tells wf_pg that a query failed; drops the connection when it is broken.
void wf_pg_failed (wf_pg_t *self);

//  Changes whenever the connection is opened or dropped: a PGconn kept across
//  calls (e.g. one that LISTENs) is valid only while this has not changed.
uint64_t wf_pg_generation (const wf_pg_t *self);

//  Connects once, blocking up to the connect timeout: for start-up tasks.
PGconn *wf_pg_connect_url (const char *url);

//  The same, naming the connection "walletflow/<name>" (PostgreSQL's application_name), or
//  "walletflow" when name is NULL.
PGconn *wf_pg_connect_named (const char *url, const char *name);

#endif
