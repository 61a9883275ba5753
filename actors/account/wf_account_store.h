/*  wf_account_store - the account shard's SQL: loading aggregates from the
    event store and writing one event with every row derived from it.

    Every write function runs inside the caller's open transaction and returns
    0 or -1 (the caller rolls the whole batch back). Nothing here commits.
*/
#ifndef WF_ACCOUNT_STORE_H_INCLUDED
#define WF_ACCOUNT_STORE_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>
#include "wf_account_aggregate.h"

#define WF_ACCOUNT_SNAPSHOT_EVERY 100 //  events between snapshots (K)
#define WF_IDEMPOTENCY_KEY_TTL_H  24  //  keys are kept at least this long

//  Loads an account: latest snapshot, then the events after it. Returns 1
//  when the stream exists, 0 when it is empty (account stays fresh), -1 on a
//  database error.
int wf_account_store_load (PGconn *conn, const char *account_id, wf_account_t *account);

//  Loads several accounts with two queries in all (their snapshots, then the
//  events after them): accounts[i] (fresh) receives ids[i]. 0, or -1 on a
//  database error or an unreadable event (the caller loads them one by one).
int wf_account_store_load_many (PGconn *conn, const char *const *ids, size_t count,
                                wf_account_t **accounts);

//  The stream's committed version (0 when empty), or -1 on error.
int64_t wf_account_store_version (PGconn *conn, const char *account_id);

//  Appends `event` (already applied to `after`) and updates the read models:
//  accounts, transactions, and a snapshot every WF_ACCOUNT_SNAPSHOT_EVERY.
int wf_account_store_append (PGconn *conn, const wf_account_t *after,
                             const wf_account_event_t *event, bool is_default);

//  Queues an integration event in the outbox. destinations is a PostgreSQL
//  array literal such as "{notifier,amqp}"; route_key may be NULL.
int wf_account_store_outbox (PGconn *conn, const char *type, const char *stream_id,
                             const char *route_key, const char *payload, const char *destinations);

//  Records that consumer applied message_id. Returns 1 the first time, 0 when
//  it was already applied (do nothing), -1 on error.
int wf_account_store_inbox (PGconn *conn, const char *consumer, const char *message_id);

//  Reads another account's currency and status from the read model. Returns
//  1 found, 0 unknown, -1 error.
int wf_account_store_peek (PGconn *conn, const char *account_id, char currency[4], char status[16]);

//  Transfer saga rows: insert as InFlight, then Completed or Refunded.
int wf_account_store_transfer_begin (PGconn *conn, const char *transfer_id, const char *source,
                                     const char *destination, int64_t amount, const char *currency,
                                     int64_t now_ms);
int wf_account_store_transfer_end (PGconn *conn, const char *transfer_id, const char *status,
                                   int64_t now_ms);

//  Idempotency store. get: 1 with the stored reply (malloc'd into *reply),
//  0 when the key is new, -1 on error.
int wf_account_store_idem_get (PGconn *conn, const char *user_id, const char *key,
                               char fingerprint[65], char reply_type[65], uint8_t **reply,
                               size_t *reply_size);
int wf_account_store_idem_put (PGconn *conn, const char *user_id, const char *key,
                               const char *fingerprint, const char *reply_type,
                               const uint8_t *reply, size_t reply_size);

//  ISO-8601 UTC with milliseconds and Z.
void wf_account_iso_time (int64_t ms, char out[32]);

//  Runs a parameterised statement; returns the result when its status is
//  `expected`, else NULL (result cleared).
PGresult *wf_account_store_exec (PGconn *conn, const char *sql, int count,
                                 const char *const *params, ExecStatusType expected);

#endif
