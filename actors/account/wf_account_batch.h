/*  wf_account_batch - the rows of one shard transaction, written with one
    statement per table at the end instead of one statement per row.

    A shard decides a batch of commands in one transaction. Without this class
    every event, read-model row, history row, outbox row and idempotency key
    was its own INSERT (about ten round trips, parses and plans per command).
    While a batch is open on a connection, the store's write functions hand
    their parameters here instead: each table keeps one PostgreSQL array
    literal per column, and wf_account_batch_flush writes each table with one
    prepared `INSERT ... SELECT FROM unnest (...)` just before COMMIT. The
    rows keep their order (ids and sequence numbers are assigned in it), the
    (stream_id, version) key still refuses a stale writer (the whole batch
    rolls back, as before), the outbox gets one statement and so one NOTIFY
    per batch, and several states of one account collapse into one upsert of
    the last.

    Reads see the batch's own writes: a store read of a stream, account or
    idempotency key that has rows waiting here flushes first. The batch is
    found from the connection (libpq instance data), so the store keeps its
    signatures; the class also prepares the shard's statements once per
    connection, and holds the batch's prefetched idempotency keys.

    Owned by one shard thread; allocated once and reused (the literals grow to
    the largest batch and stay).
*/
#ifndef WF_ACCOUNT_BATCH_H_INCLUDED
#define WF_ACCOUNT_BATCH_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _wf_account_batch_t wf_account_batch_t;

//  The tables written at flush, in this order.
typedef enum {
    WF_BATCH_EVENTS = 0,
    WF_BATCH_ACCOUNTS,
    WF_BATCH_TRANSACTIONS,
    WF_BATCH_TRANSFERS_BEGIN,
    WF_BATCH_TRANSFERS_END, //  an UPDATE that must hit every row it names
    WF_BATCH_OUTBOX,
    WF_BATCH_IDEMPOTENCY,
    WF_BATCH_TABLES
} wf_batch_table_t;

//  The store's prepared reads (one name each, prepared with the writes).
typedef enum {
    WF_BATCH_READ_VERSION = 0,
    WF_BATCH_READ_VERSIONS,
    WF_BATCH_READ_SNAPSHOT,
    WF_BATCH_READ_EVENTS,
    WF_BATCH_READ_PEEK,
    WF_BATCH_READ_INBOX,
    WF_BATCH_READ_IDEMPOTENCY,
    WF_BATCH_READ_IDEMPOTENCY_MANY,
    WF_BATCH_READ_INBOX_MANY,
    WF_BATCH_READ_PEEK_MANY,
    WF_BATCH_READ_SNAPSHOTS_MANY,
    WF_BATCH_READ_EVENTS_MANY,
    WF_BATCH_READS
} wf_batch_read_t;

#define WF_BATCH_IDEM_PREFETCH_MAX 1024 //  keys looked up at the start of one batch

wf_account_batch_t *wf_account_batch_new (void);
//  Call after the connection it was attached to is finished (or never attached).
void wf_account_batch_destroy (wf_account_batch_t **self_p);

//  Opens a batch on conn (empties it, prepares the statements on a new
//  connection). Returns 0, or -1 when preparing failed.
int wf_account_batch_begin (wf_account_batch_t *self, PGconn *conn);

//  Writes every waiting row (inside the caller's transaction). 0 or -1.
int wf_account_batch_flush (PGconn *conn);

//  Closes the batch without writing (after a rollback, or after a flush).
void wf_account_batch_end (PGconn *conn);

//  Prepares every statement again at the next wf_account_batch_begin (after a rolled-back
//  batch: a prepared statement may have gone stale, e.g. "cached plan must not change result
//  type" after a migration, and would fail every batch after it).
void wf_account_batch_forget (wf_account_batch_t *self);

//  The open batch on conn, or NULL (then the store writes at once).
wf_account_batch_t *wf_account_batch_of (PGconn *conn);

//  Queues one row: values[i] is column i as text (NULL = SQL NULL); binary[i]
//  true means values[i] is `lengths[i]` raw bytes (bytea). binary and
//  lengths may be NULL.
void wf_account_batch_add (wf_account_batch_t *self, wf_batch_table_t table,
                           const char *const *values, const int *lengths, const bool *binary);

//  Flushes first when `table` has rows whose column `column` holds `value`
//  (a stream, account or key about to be read). 0 or -1.
int wf_account_batch_sync (PGconn *conn, wf_batch_table_t table, int column, const char *value);

//  Runs a prepared read (prepared at wf_account_batch_begin, or at once when
//  no batch is open).
PGresult *wf_account_batch_read (PGconn *conn, wf_batch_read_t read, int count,
                                 const char *const *values, const int *lengths, const int *formats,
                                 int result_format);

//  Looks up the idempotency keys of a batch at once (users[i], keys[i]).
//  0, or -1 on a database error.
int wf_account_batch_idem_prefetch (PGconn *conn, const char *const *users, const char *const *keys,
                                    size_t count);

//  A prefetched key: 1 found (pointers valid until the batch ends), 0 known
//  absent, -1 not prefetched.
int wf_account_batch_idem_lookup (PGconn *conn, const char *user, const char *key,
                                  const char **fingerprint, const char **reply_type,
                                  const uint8_t **reply, size_t *reply_size);

//  Records the batch's deliveries in the inbox at once (one consumer,
//  message ids as uuids). 0, or -1 on a database error.
int wf_account_batch_inbox_prefetch (PGconn *conn, const char *consumer,
                                     const char *const *message_ids, size_t count);

//  A prefetched inbox insert: 1 the first time the message is asked for
//  (it was new), 0 when it was applied before (or asked already), -1 when
//  not prefetched.
int wf_account_batch_inbox_lookup (PGconn *conn, const char *consumer, const char *message_id);

//  Reads the currency and status of the accounts a batch will peek at, at
//  once. 0, or -1 on a database error.
int wf_account_batch_peek_prefetch (PGconn *conn, const char *const *account_ids, size_t count);

//  A prefetched peek: 1 found (currency and status copied), 0 unknown, -1
//  not prefetched.
int wf_account_batch_peek_lookup (PGconn *conn, const char *account_id, char currency[4],
                                  char status[16]);

#endif
