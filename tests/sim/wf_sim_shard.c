/*  wf_sim_shard - a worker of an account shard, as actors/account/wf_account.c
    and wf_account_handle.c run it, against the simulated store.

    The batch loop of wf_account.c (s_batch, s_transaction) becomes a small
    state machine so that other components can run, and crashes can fall,
    between its steps:

        IDLE          drain up to batch_max requests; BEGIN; decide each
                      (handle_command / handle_delivery) against the cache;
                      a handler error rolls the batch back at once
        BATCH_COMMIT  COMMIT; on failure forget the touched aggregates
        RETRY_DECIDE  the batch failed: each request alone, up to
        RETRY_COMMIT  SIM_RETRIES_MAX transactions, then UNAVAILABLE
        REPLY         answer every request of the batch

    The handlers (wf_sim_handle.c) follow wf_account_handle.c.
*/
#include "wf_sim.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

void
sim_worker_init (sim_worker_t *worker, int shard, int index)
{
    memset (worker, 0, sizeof *worker);
    worker->shard = shard;
    worker->index = index;
    worker->up = true;
    worker->txn = sim_txn_new ();
    for (int i = 0; i < SIM_BATCH_MAX; i++)
        wf_buf_init (&worker->items[i].reply);
}

//  Drops the cache and the batch in hand: what a crash loses.
static void
s_lose_memory (sim_worker_t *worker)
{
    for (int a = 0; a < SIM_ACCOUNTS_MAX; a++)
        if (worker->cache[a].present) {
            wf_account_destroy (&worker->cache[a].account);
            worker->cache[a].present = false;
        }
    worker->cache_size = 0;
    for (int i = 0; i < SIM_BATCH_MAX; i++) {
        free (worker->items[i].msg.bytes);
        worker->items[i].msg.bytes = NULL;
        worker->items[i].used = false;
    }
    worker->count = 0;
    worker->phase = PHASE_IDLE;
    sim_txn_rollback (worker->txn);
}

void
sim_worker_free (sim_worker_t *worker)
{
    s_lose_memory (worker);
    for (int i = 0; i < SIM_BATCH_MAX; i++)
        wf_buf_free (&worker->items[i].reply);
    free (worker->txn);
    worker->txn = NULL;
}

//  kill -9 of the worker: the open transaction dies with its connection.
void
sim_worker_crash (sim_world_t *w, sim_worker_t *worker)
{
    s_lose_memory (worker);
    worker->up = false;
    worker->hold_scan_at_ms = 0; //  a restarted shard scans for due holds at once
    worker->up_since_ms = w->now_ms;
}

//  ---------------------------------------------------------------- cache --

//  wf_account_entry: the cached aggregate, checked against the committed
//  version once per batch, loaded on a miss. NULL on a database error.
sim_entry_t *
sim_shard_entry (sim_world_t *w, sim_worker_t *worker, int account)
{
    sim_entry_t *entry = &worker->cache[account];
    if (entry->present && (entry->touched || entry->checked_batch == worker->batch))
        return entry;
    if (entry->present) {
        int64_t version = sim_store_version (w, worker->txn, account);
        if (version < 0)
            return NULL;
        if (version == wf_account_state (entry->account)->version) {
            entry->checked_batch = worker->batch;
            return entry;
        }
        wf_account_destroy (&entry->account);
        entry->present = false;
        worker->cache_size--;
        w->stats.coverage[C_STALE_CACHE]++;
    }
    wf_account_t *loaded = wf_account_new ();
    if (sim_store_load (w, worker->txn, account, loaded) < 0) {
        wf_account_destroy (&loaded);
        return NULL;
    }
    if (worker->cache_size >= w->config.cache_max)
        for (int a = 0; a < SIM_ACCOUNTS_MAX; a++)
            if (worker->cache[a].present && !worker->cache[a].touched) {
                wf_account_destroy (&worker->cache[a].account);
                worker->cache[a].present = false;
                worker->cache_size--;
                break;
            }
    entry->present = true;
    entry->account = loaded;
    entry->touched = false;
    entry->checked_batch = worker->batch;
    worker->cache_size++;
    return entry;
}

//  s_forget_touched: a failed batch's aggregates reload from the store.
static void
s_forget_touched (sim_worker_t *worker)
{
    for (int a = 0; a < SIM_ACCOUNTS_MAX; a++)
        if (worker->cache[a].present && worker->cache[a].touched) {
            wf_account_destroy (&worker->cache[a].account);
            worker->cache[a].present = false;
            worker->cache_size--;
        }
}

//  s_clear_touched: after a commit.
static void
s_clear_touched (sim_worker_t *worker)
{
    for (int a = 0; a < SIM_ACCOUNTS_MAX; a++)
        worker->cache[a].touched = false;
}

//  -------------------------------------------------------------- replies --

//  wf_account_refuse.
void
sim_shard_refuse (sim_item_t *item, wf_err_t code, const char *detail)
{
    item->decided = true;
    item->reply_type = WF_MSG_ERROR;
    item->err = code;
    snprintf (item->detail, sizeof item->detail, "%s", detail ? detail : "");
}

//  s_reply: sends an item's answer back the way its request came.
static void
s_reply (sim_world_t *w, sim_item_t *item)
{
    if (!item->valid || item->internal)
        return;
    if (!item->decided)
        sim_shard_refuse (item, WF_ERR_UNAVAILABLE, "the database is unavailable");
    sim_net_t msg = {.to = item->msg.reply_to_relay < 0 ? TO_CLIENT : TO_RELAY,
                     .to_index = item->msg.reply_to_relay < 0
                                     ? (int) (item->msg.correlation & 0xffffffff)
                                     : item->msg.reply_to_relay,
                     .type = item->reply_type,
                     .correlation = item->msg.correlation,
                     .reply_to_relay = -1,
                     .incarnation = item->msg.incarnation};
    wf_buf_t error;
    wf_buf_init (&error);
    if (item->reply_type == WF_MSG_ERROR) {
        wf_error_t body = {.code = item->err, .detail = wf_str_c (item->detail)};
        wf_body_encode (WF_MSG_ERROR, &body, &error);
        msg.bytes = error.data, msg.size = error.size;
    } else
        msg.bytes = item->reply.data, msg.size = item->reply.size;
    sim_net_send (w, &msg);
    wf_buf_free (&error);
}

//  ---------------------------------------------------------- batch loop --

//  One line of trace per decided request: what it was and what it got.
static void
s_trace_item (sim_world_t *w, const sim_item_t *item, int rc)
{
    char what[96];
    if (item->msg.type == WF_MSG_ACCOUNT_COMMAND) {
        const wf_account_command_t *c = &item->body.account_command;
        char id[WF_UUID_BYTES];
        snprintf (id, sizeof id, "%.*s", (int) c->account_id.len, c->account_id.ptr);
        snprintf (what, sizeof what, "command %d %.*s account %d",
                  (int) (item->msg.correlation & 0xffffffff), (int) c->kind.len, c->kind.ptr,
                  sim_account_index (w, id));
    } else {
        const wf_outbox_deliver_t *d = &item->body.outbox_deliver;
        snprintf (what, sizeof what, "row %lld %.*s", (long long) d->outbox_id, (int) d->type.len,
                  d->type.ptr);
    }
    sim_trace (w, "    %s -> %s%s%s", what,
               rc ? "database error"
                  : (item->reply_type == WF_MSG_ERROR ? wf_err_name (item->err)
                                                      : wf_msg_name (item->reply_type)),
               item->reply_type == WF_MSG_ERROR && rc == 0 ? ": " : "",
               item->reply_type == WF_MSG_ERROR && rc == 0 ? item->detail : "");
}

//  s_transaction, up to COMMIT: BEGIN and decide items[from, from + n).
//  0 with the transaction open, -1 rolled back.
static int
s_decide (sim_world_t *w, sim_worker_t *worker, size_t from, size_t n)
{
    if (!sim_db_ok (w))
        return -1; //  BEGIN failed
    sim_txn_begin (worker->txn);
    worker->batch++;
    worker->batch_keys = 0;
    int rc = 0;
    for (size_t i = from; i < from + n && rc == 0; i++) {
        sim_item_t *item = &worker->items[i];
        if (!item->valid || item->decided)
            continue;
        if (item->msg.deadline_ms > 0 && item->msg.deadline_ms < w->now_ms) {
            sim_shard_refuse (item, WF_ERR_TIMEOUT, "the deadline passed before processing");
            w->stats.coverage[C_DEADLINE]++;
        } else if (item->msg.type == WF_MSG_ACCOUNT_COMMAND)
            rc = sim_handle_command (w, worker, item);
        else if (item->msg.type == WF_MSG_OUTBOX_DELIVER)
            rc = sim_handle_delivery (w, worker, item);
        else
            sim_shard_refuse (item, WF_ERR_BAD_REQUEST, "malformed or unexpected message");
        s_trace_item (w, item, rc);
    }
    if (rc != 0) {
        sim_txn_rollback (worker->txn);
        s_forget_touched (worker);
        return -1;
    }
    return 0;
}

//  s_transaction's COMMIT.
static int
s_commit (sim_world_t *w, sim_worker_t *worker)
{
    int rc = sim_txn_commit (w, worker->txn);
    if (rc == 0) {
        s_clear_touched (worker);
        return 0;
    }
    s_forget_touched (worker);
    return rc;
}

//  s_undecide.
static void
s_undecide (sim_item_t *item)
{
    item->decided = false;
    item->reply_type = WF_MSG_NONE;
    wf_buf_reset (&item->reply);
}

//  s_keyless: a client's money command without an Idempotency-Key.
static bool
s_keyless (const sim_item_t *item)
{
    return item->valid && !item->internal && !item->settled &&
           item->msg.type == WF_MSG_ACCOUNT_COMMAND &&
           item->body.account_command.idempotency_key.len == 0;
}

//  s_outcome_unknown: 503 for a keyless command after an ambiguous COMMIT.
static void
s_outcome_unknown (sim_world_t *w, sim_item_t *item)
{
    s_undecide (item);
    sim_shard_refuse (item, WF_ERR_UNAVAILABLE, "COMMIT outcome unknown");
    item->settled = true;
    sim_trace (w, "  keyless request answered 503 (COMMIT outcome unknown)");
}

//  After a COMMIT of unknown outcome only what is deduplicated runs again.
static void
s_settle_keyless (sim_world_t *w, sim_worker_t *worker)
{
    for (size_t i = 0; i < worker->count; i++)
        if (s_keyless (&worker->items[i]))
            s_outcome_unknown (w, &worker->items[i]);
}

//  s_receive: one request off the shard's queue into a batch slot.
static void
s_receive (sim_world_t *w, sim_worker_t *worker, sim_net_t *msg)
{
    sim_item_t *item = &worker->items[worker->count++];
    item->used = true;
    item->msg = *msg; //  takes the bytes
    msg->bytes = NULL;
    sim_net_release (w, msg);
    item->replied = false;
    item->settled = false;
    item->internal = false;
    s_undecide (item);
    wf_codec_err_t err;
    item->valid = true;
    if (wf_body_decode (item->msg.type, item->msg.bytes, item->msg.size, &item->body, &err) != 0)
        sim_shard_refuse (item, WF_ERR_BAD_REQUEST, "malformed or unexpected message");
}

//  The batch failed: each request alone, from the first.
static void
s_retry_from (sim_worker_t *worker, size_t first)
{
    worker->retry_item = first;
    worker->retry_attempt = 0;
    while (worker->retry_item < worker->count && worker->items[worker->retry_item].settled)
        worker->retry_item++;
    if (worker->retry_item >= worker->count)
        worker->phase = PHASE_REPLY;
    else {
        s_undecide (&worker->items[worker->retry_item]);
        worker->phase = PHASE_RETRY_DECIDE;
    }
}

static void
s_retry_start (sim_world_t *w, sim_worker_t *worker)
{
    w->stats.coverage[C_BATCH_FAILED]++;
    s_retry_from (worker, 0);
}

//  The retried request is done (committed, or out of attempts).
static void
s_retry_next (sim_worker_t *worker)
{
    s_retry_from (worker, worker->retry_item + 1);
}

//  One attempt of the retried request failed.
static void
s_retry_failed (sim_world_t *w, sim_worker_t *worker)
{
    s_undecide (&worker->items[worker->retry_item]);
    if (++worker->retry_attempt >= SIM_RETRIES_MAX) {
        w->stats.coverage[C_RETRY_GAVE_UP]++;
        s_retry_next (worker);
    } else
        worker->phase = PHASE_RETRY_DECIDE;
}

//  Replies to every request of the batch and frees the slots.
static void
s_reply_all (sim_world_t *w, sim_worker_t *worker)
{
    for (size_t i = 0; i < worker->count; i++) {
        sim_item_t *item = &worker->items[i];
        if (!item->replied)
            s_reply (w, item);
        free (item->msg.bytes);
        item->msg.bytes = NULL;
        item->used = false;
        s_undecide (item);
    }
    worker->count = 0;
    worker->phase = PHASE_IDLE;
}

//  wf_account_holds_due: SELECT the open holds of this shard that are due,
//  ORDER BY expires_at LIMIT max. The planted bug keeps the schedule in
//  memory instead: a worker only knows the holds placed since it started.
static bool
s_hold_due (sim_world_t *w, const sim_worker_t *worker, int h)
{
    const sim_hold_row_t *row = &w->store.holds[h];
    return row->status == HOLD_OPEN && row->shard == worker->shard &&
           row->expires_at_ms <= w->now_ms &&
           !(w->plant == PLANT_EXPIRY_IN_MEMORY && row->created_at_ms < worker->up_since_ms);
}

static int
s_holds_due (sim_world_t *w, const sim_worker_t *worker, int max, int *due)
{
    int count = 0;
    while (count < max) {
        int best = -1;
        for (int h = 0; h < w->holds; h++) {
            bool taken = false;
            for (int i = 0; i < count; i++)
                taken |= due[i] == h;
            if (!taken && s_hold_due (w, worker, h) &&
                (best < 0 || w->store.holds[h].expires_at_ms < w->store.holds[best].expires_at_ms))
                best = h;
        }
        if (best < 0)
            break;
        due[count++] = best;
    }
    return count;
}

//  The hold timer's scan is due and would find something.
static bool
s_scan_due (sim_world_t *w, const sim_worker_t *worker)
{
    int due[1];
    return w->now_ms >= worker->hold_scan_at_ms && s_holds_due (w, worker, 1, due) > 0;
}

bool
sim_worker_ready (sim_world_t *w, sim_worker_t *worker)
{
    return worker->up && (worker->phase != PHASE_IDLE || sim_net_has (w, TO_SHARD, worker->shard) ||
                          s_scan_due (w, worker));
}

//  wf_account_holds_expire_due: an `expire` command per due hold, run through
//  the batch path as internal items (no client, no reply). True when it
//  made a batch.
static bool
s_expire_due (sim_world_t *w, sim_worker_t *worker)
{
    worker->hold_scan_at_ms = w->now_ms + SIM_HOLD_SCAN_MS;
    if (!sim_db_ok (w))
        return false; //  the SELECT failed: the next scan tries again
    int max = (int) w->config.batch_max < SIM_HOLD_EXPIRY_BATCH ? (int) w->config.batch_max
                                                                : SIM_HOLD_EXPIRY_BATCH;
    int due[SIM_BATCH_MAX];
    int count = s_holds_due (w, worker, max, due);
    for (int i = 0; i < count; i++) {
        sim_item_t *item = &worker->items[worker->count++];
        char hold_id[WF_UUID_BYTES];
        sim_uuid (0xd, (unsigned) due[i], hold_id);
        wf_account_command_t body = {.kind = WF_STR ("expire"),
                                     .hold_id = wf_str_c (hold_id),
                                     .user_id = WF_STR ("00000000-0000-0000-0000-000000000000"),
                                     .role = WF_STR ("")};
        wf_buf_reset (&w->scratch);
        wf_body_encode (WF_MSG_ACCOUNT_COMMAND, &body, &w->scratch);
        memset (&item->msg, 0, sizeof item->msg);
        item->msg.type = WF_MSG_ACCOUNT_COMMAND;
        item->msg.reply_to_relay = -1;
        item->msg.size = w->scratch.size;
        item->msg.bytes = (uint8_t *) malloc (w->scratch.size);
        memcpy (item->msg.bytes, w->scratch.data, w->scratch.size);
        item->used = true;
        item->replied = item->settled = false;
        item->internal = item->valid = true;
        s_undecide (item);
        wf_codec_err_t err;
        int rc =
            wf_body_decode (item->msg.type, item->msg.bytes, item->msg.size, &item->body, &err);
        assert (rc == 0);
        (void) rc;
    }
    if (count)
        sim_trace (w, "  hold timer: %d due", count);
    return count > 0;
}

//  Drains the queue and decides the batch (the first half of s_batch).
static void
s_batch_begin (sim_world_t *w, sim_worker_t *worker)
{
    sim_net_t *msg;
    //  The timer's internal batch runs like any other (wf_account_run_internal).
    if (!(w->now_ms >= worker->hold_scan_at_ms && s_expire_due (w, worker)))
        while (worker->count < w->config.batch_max &&
               (msg = sim_net_take (w, TO_SHARD, worker->shard)) != NULL)
            s_receive (w, worker, msg);
    if (worker->count == 0)
        return;
    if (s_decide (w, worker, 0, worker->count) == 0) {
        sim_trace (w, "  batch of %zu decided", worker->count);
        worker->phase = PHASE_BATCH_COMMIT;
        if (w->plant == PLANT_REPLY_BEFORE_COMMIT)
            for (size_t i = 0; i < worker->count; i++)
                if (worker->items[i].decided) {
                    s_reply (w, &worker->items[i]);
                    worker->items[i].replied = true;
                }
    } else {
        sim_trace (w, "  batch of %zu rolled back while deciding", worker->count);
        s_retry_start (w, worker);
    }
}

//  One step of the worker's state machine (see the file header).
void
sim_worker_step (sim_world_t *w, sim_worker_t *worker)
{
    assert (worker->up);
    switch (worker->phase) {
        case PHASE_IDLE:
            s_batch_begin (w, worker);
            break;
        case PHASE_BATCH_COMMIT: {
            int rc = s_commit (w, worker);
            if (rc == 0) {
                sim_trace (w, "  batch of %zu committed", worker->count);
                worker->phase = PHASE_REPLY;
            } else {
                sim_trace (w, "  batch of %zu failed to commit: retry one by one", worker->count);
                if (rc == SIM_COMMIT_UNKNOWN && w->plant != PLANT_RETRY_UNKNOWN_COMMIT)
                    s_settle_keyless (w, worker);
                s_retry_start (w, worker);
            }
            break;
        }
        case PHASE_RETRY_DECIDE:
            if (s_decide (w, worker, worker->retry_item, 1) == 0)
                worker->phase = PHASE_RETRY_COMMIT;
            else
                s_retry_failed (w, worker);
            sim_trace (w, "  retry item %zu attempt %d decided%s", worker->retry_item,
                       worker->retry_attempt,
                       worker->phase == PHASE_RETRY_COMMIT ? "" : ": failed");
            break;
        case PHASE_RETRY_COMMIT: {
            int rc = s_commit (w, worker);
            if (rc == 0) {
                sim_trace (w, "  retry item %zu committed", worker->retry_item);
                s_retry_next (worker);
            } else if (rc == SIM_COMMIT_UNKNOWN && w->plant != PLANT_RETRY_UNKNOWN_COMMIT &&
                       s_keyless (&worker->items[worker->retry_item])) {
                s_outcome_unknown (w, &worker->items[worker->retry_item]);
                s_retry_next (worker);
            } else {
                sim_trace (w, "  retry item %zu attempt %d failed to commit", worker->retry_item,
                           worker->retry_attempt);
                s_retry_failed (w, worker);
            }
            break;
        }
        case PHASE_REPLY:
            sim_trace (w, "  replies to %zu requests", worker->count);
            s_reply_all (w, worker);
            break;
    }
}
