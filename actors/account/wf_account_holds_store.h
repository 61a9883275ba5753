/*  wf_account_holds_store - the SQL of issue 10 beside wf_account_store: the
    holds read model (which is also the expiry schedule), the accounts columns
    held and overdraft_limit, and the metadata of history rows.

    Like wf_account_store, every write runs inside the caller's open batch
    transaction and returns 0 or -1 (the caller rolls the batch back).
*/
#ifndef WF_ACCOUNT_HOLDS_STORE_H_INCLUDED
#define WF_ACCOUNT_HOLDS_STORE_H_INCLUDED

#include <libpq-fe.h>
#include "wf_account_aggregate.h"

//  One row of the holds read model.
typedef struct {
    char id[WF_UUID_BYTES];
    char account_id[WF_UUID_BYTES];
    char destination_id[WF_UUID_BYTES]; //  "" when none
    int64_t amount;
    int64_t captured_amount; //  0 unless Captured
    char currency[WF_ACCOUNT_CURRENCY_BYTES];
    char status[16]; //  Open, Captured, Voided, Expired
    char description[WF_ACCOUNT_TEXT_BYTES_MAX + 1];
    char transaction_id[WF_UUID_BYTES]; //  the capture's debit, "" otherwise
    int64_t expires_at_ms;
    int64_t created_at_ms;
    int64_t closed_at_ms;                             //  0 while Open
    char metadata[WF_ACCOUNT_METADATA_BYTES_MAX + 1]; //  canonical JSON or ""
} wf_account_hold_row_t;

//  Reads a hold. Returns 1 found, 0 unknown, -1 error.
int wf_account_holds_get (PGconn *conn, const char *hold_id, wf_account_hold_row_t *row);

//  Inserts an Open hold placed by `shard`.
int wf_account_holds_insert (PGconn *conn, const wf_account_hold_row_t *row, int shard);

//  Closes an Open hold as `status`; exactly one row must change, so a stale
//  writer can never close a hold twice.
int wf_account_holds_close (PGconn *conn, const char *hold_id, const char *status,
                            int64_t captured_amount, const char *transaction_id,
                            int64_t closed_at_ms);

//  Up to `max` open holds of `shard` due at now_ms, oldest first: ids and
//  account ids into the arrays. Returns the count, or -1 on error.
int wf_account_holds_due (PGconn *conn, int shard, int64_t now_ms, int max,
                          char (*hold_ids)[WF_UUID_BYTES], char (*account_ids)[WF_UUID_BYTES]);

//  Writes the accounts columns a hold or limit event changes (with the
//  balance and version of the same state, so the row is consistent at every
//  statement).
int wf_account_holds_account_row (PGconn *conn, const wf_account_state_t *state);

//  Stores a movement's metadata (canonical JSON) on its history row, for
//  GET .../transactions (returned and filterable). A no-op for "".
int wf_account_store_metadata (PGconn *conn, const char *account_id, const char *transaction_id,
                               const char *type, const char *metadata);

#endif
