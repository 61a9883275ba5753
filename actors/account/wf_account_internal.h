/*  wf_account_internal - state shared by the shard's loop (wf_account.c) and
    its request handlers (wf_account_handle.c). Private to the account actor.
*/
#ifndef WF_ACCOUNT_INTERNAL_H_INCLUDED
#define WF_ACCOUNT_INTERNAL_H_INCLUDED

#include "wf_account.h"
#include "wf_account_store.h"
#include "wf_account_batch.h"
#include "wf_metrics.h"
#include "wf_mdp_worker.h"
#include "wf_pg.h"
#include "wf_redis.h"
#include "wf_wire.h"

#define ITEM_DETAIL_BYTES 256

//  One request of a batch and what was decided for it.
typedef struct {
    zmsg_t *msg; //  [envelope][body]; decoded slices point here
    zframe_t *client;
    wf_envelope_t env;
    wf_any_msg_t *body; //  allocated once per batch slot
    bool valid;         //  decoded
    bool internal;      //  made by the shard itself (hold expiry): no client, no reply
    //  Outcome
    bool decided;
    wf_msg_id_t reply_type; //  a reply type, or WF_MSG_ERROR
    wf_buf_t reply;         //  encoded reply body when not an error
    wf_err_t err;
    char detail[ITEM_DETAIL_BYTES];
    char field[32];
} item_t;

//  A cached aggregate.
typedef struct {
    wf_account_t *account;
    bool touched;           //  changed by the open batch
    uint64_t checked_batch; //  batch in which its version was last checked
} entry_t;

typedef struct {
    const wf_account_config_t *config;
    char service[32];
    wf_mdp_worker_t *worker;
    wf_pg_t *pg;
    wf_redis_t *redis;          //  read-cache version markers
    PGconn *conn;               //  the batch's connection, valid during a batch
    wf_account_batch_t *writes; //  the batch's rows, written per table before COMMIT
    zhashx_t *cache;            //  account id -> entry_t
    zhashx_t *batch_keys;       //  "user|key" -> item_t *, during a batch
    item_t *items;
    uint64_t batch; //  counts transactions, for the version checks
    size_t batch_max;
    size_t cache_max;
    wf_buf_t scratch;
    wf_metrics_t *metrics;
    wf_metric_t *batches;
    wf_metric_t *batch_size;
    wf_metric_t *batch_failures;
    wf_metric_t *outcome_unknown; //  keyless commands answered 503 after a broken COMMIT
    wf_metric_t *commit_seconds;
    int64_t hold_scan_at_ms; //  next scan for due holds (wf_account_holds.c)
} self_t;

#define WF_ACCOUNT_HOLD_SCAN_INTERVAL_MS 1000 //  how often a shard looks for due holds

//  Handlers (wf_account_handle.c): decide one request inside the open
//  transaction. Return 0 when the item is decided (success or refusal), -1
//  when the database failed (the batch must roll back).
int wf_account_handle_command (self_t *self, item_t *item);
int wf_account_handle_delivery (self_t *self, item_t *item);

//  Cache access (wf_account.c): the entry of an account, loaded on a miss.
//  NULL on a database error.
entry_t *wf_account_entry (self_t *self, const char *account_id);
//  A fresh v4 uuid that hashes to the shard of `account` (this shard when
//  NULL or ""): transaction and hold ids are routed by their hash, so the
//  shard that owns the account they will be refunded or captured on gets them.
void wf_account_new_id (const self_t *self, const char *account, char id[WF_UUID_BYTES]);

//  Decides an item as refused.
void wf_account_refuse (item_t *item, wf_err_t code, const char *detail, const char *field);

//  Runs items[0..count), made by the shard itself (item->internal), through
//  the batch path: one transaction, then one by one when it fails. Returns
//  how many succeeded; the items are clear again afterwards (wf_account.c).
size_t wf_account_run_internal (self_t *self, size_t count);

//  Shared by the handlers (wf_account_handle.c): applies a decided event to
//  the cached aggregate and writes its rows; queues a money event's
//  integration event; encodes an AccountDto reply.
int wf_account_commit_event (self_t *self, entry_t *entry, const wf_account_event_t *event);
int wf_account_outbox_money (self_t *self, const wf_account_state_t *state,
                             const wf_account_event_t *event, const char *type,
                             const char *destinations, const char *route_key);
void wf_account_reply_info (item_t *item, const wf_account_state_t *state);

//  Holds and overdraft (wf_account_holds.c). holds_kind: capture, void or
//  expire, which name a hold instead of an account. holds_resolve: the
//  account of the command's hold (1), refused (0), database error (-1).
//  handle_hold: hold, capture, void, expire, overdraft (after the ownership
//  and role checks). expire_due: the timer's scan.
bool wf_account_holds_kind (wf_str_t kind);
int wf_account_holds_resolve (self_t *self, item_t *item, const wf_account_command_t *cmd,
                              char account_id[WF_UUID_BYTES]);
int wf_account_handle_hold (self_t *self, item_t *item, entry_t *entry,
                            const wf_account_command_t *cmd);
void wf_account_holds_expire_due (self_t *self);

//  Refunds (wf_account_refunds.c). resolve: the account holding the caller's
//  row of the command's transaction (1), refused (0), error (-1).
int wf_account_refunds_resolve (self_t *self, item_t *item, const wf_account_command_t *cmd,
                                char account_id[WF_UUID_BYTES]);
int wf_account_handle_refund (self_t *self, item_t *item, entry_t *entry,
                              const wf_account_command_t *cmd);

#endif
