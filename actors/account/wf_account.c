/*  wf_account - an account shard: batching loop, cache, replies.  */
#include "wf_account_internal.h"
#include "wf_log.h"
#include "wf_events.h"
#include "wf_json_raw.h"

//  zhashx destructor for cache entries.
static void
s_entry_free (void **item)
{
    entry_t *entry = (entry_t *) *item;
    if (entry) {
        wf_account_destroy (&entry->account);
        free (entry);
        *item = NULL;
    }
}

static entry_t *s_cache_insert (self_t *self, const char *account_id, wf_account_t *account);

entry_t *
wf_account_entry (self_t *self, const char *account_id)
{
    entry_t *entry = (entry_t *) zhashx_lookup (self->cache, account_id);
    if (entry && (entry->touched || entry->checked_batch == self->batch))
        return entry;
    if (entry) {
        //  Another worker of this shard may have written since we cached it:
        //  a refusal must never rest on a stale balance. One indexed lookup
        //  per aggregate and batch keeps the cache honest.
        int64_t version = wf_account_store_version (self->conn, account_id);
        if (version < 0)
            return NULL;
        if (version == wf_account_state (entry->account)->version) {
            entry->checked_batch = self->batch;
            return entry;
        }
        zhashx_delete (self->cache, account_id);
    }
    wf_account_t *account = wf_account_new ();
    if (wf_account_store_load (self->conn, account_id, account) < 0) {
        wf_account_destroy (&account);
        return NULL;
    }
    return s_cache_insert (self, account_id, account);
}

//  Caches a loaded account (checked in this batch), making room first.
static entry_t *
s_cache_insert (self_t *self, const char *account_id, wf_account_t *account)
{
    //  Bounded: drop an untouched entry to make room (it reloads on demand).
    if (zhashx_size (self->cache) >= self->cache_max) {
        for (entry_t *victim = (entry_t *) zhashx_first (self->cache); victim;
             victim = (entry_t *) zhashx_next (self->cache))
            if (!victim->touched) {
                zhashx_delete (self->cache, zhashx_cursor (self->cache));
                break;
            }
    }
    entry_t *entry = (entry_t *) zmalloc (sizeof (entry_t));
    entry->account = account;
    entry->checked_batch = self->batch;
    zhashx_insert (self->cache, account_id, entry);
    return entry;
}

void
wf_account_refuse (item_t *item, wf_err_t code, const char *detail, const char *field)
{
    item->decided = true;
    item->reply_type = WF_MSG_ERROR;
    item->err = code;
    snprintf (item->detail, sizeof item->detail, "%s", detail ? detail : "");
    snprintf (item->field, sizeof item->field, "%s", field ? field : "");
}

//  Forgets every aggregate the failed batch touched: they reload from the
//  database, which holds the truth.
static void
s_forget_touched (self_t *self)
{
    zlistx_t *keys = zhashx_keys (self->cache);
    for (const char *key = (const char *) zlistx_first (keys); key;
         key = (const char *) zlistx_next (keys)) {
        entry_t *entry = (entry_t *) zhashx_lookup (self->cache, key);
        if (entry && entry->touched)
            zhashx_delete (self->cache, key);
    }
    zlistx_destroy (&keys);
}

//  Marks the batch's aggregates clean after a commit, and tells the read cache
//  their committed versions (wf:account:<id>:v): the query service serves a
//  cached account only when it is at least that new, so no reader sees a
//  balance older than a command that was already answered. Pipelined: one
//  round trip per batch.
static void
s_clear_touched (self_t *self)
{
    redisContext *ctx = wf_redis_ctx (self->redis);
    int pending = 0;
    for (entry_t *entry = (entry_t *) zhashx_first (self->cache); entry;
         entry = (entry_t *) zhashx_next (self->cache)) {
        if (entry->touched && ctx) {
            const wf_account_state_t *state = wf_account_state (entry->account);
            redisAppendCommand (ctx, "SET wf:account:%s:v %lld", state->id,
                                (long long) state->version);
            pending++;
        }
        entry->touched = false;
    }
    for (int i = 0; i < pending; i++) {
        void *reply = NULL;
        if (redisGetReply (ctx, &reply) != REDIS_OK) {
            wf_redis_failed (self->redis); //  cached values then expire by their TTL
            break;
        }
        freeReplyObject (reply);
    }
}

//  Sends an item's reply (or error) to its client.
static void
s_reply (self_t *self, item_t *item)
{
    if (!item->valid)
        return; //  undecodable: logged and dropped when received
    if (!item->decided)
        wf_account_refuse (item, WF_ERR_UNAVAILABLE, "the database is unavailable", NULL);
    if (item->reply_type == WF_MSG_ERROR) {
        zmsg_t *reply = zmsg_new ();
        wf_envelope_t req = item->env;
        wf_codec_err_t ignored;
        wf_envelope_t env;
        wf_wire_reply_envelope (&req, WF_MSG_ERROR, &env);
        wf_error_t error = {.code = item->err, .detail = wf_str_c (item->detail)};
        if (*item->field) {
            error.errors[0].field = wf_str_c (item->field);
            error.errors[0].message = wf_str_c (item->detail);
            error.errors_count = 1;
        }
        (void) ignored;
        if (wf_wire_append (reply, &env, &error, &self->scratch) == 0)
            wf_mdp_worker_send (self->worker, item->client, &reply);
        zmsg_destroy (&reply);
        return;
    }
    wf_envelope_t env;
    wf_wire_reply_envelope (&item->env, item->reply_type, &env);
    wf_buf_reset (&self->scratch);
    zmsg_t *reply = zmsg_new ();
    wf_envelope_encode (&env, &self->scratch);
    zmsg_addmem (reply, self->scratch.data, self->scratch.size);
    zmsg_addmem (reply, item->reply.data, item->reply.size);
    wf_mdp_worker_send (self->worker, item->client, &reply);
}

//  Runs a plain statement on the batch connection.
static int
s_sql (self_t *self, const char *sql)
{
    PGresult *res = PQexec (self->conn, sql);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear (res);
    return rc;
}

//  The aggregate an item will need: a command's account, the destination of a transfer's
//  credit leg, the source of a refund. False when there is none (or it is not a uuid).
static bool
s_item_account (item_t *item, char id[WF_UUID_BYTES])
{
    if (!item->valid || item->decided)
        return false;
    wf_str_t account = {NULL, 0};
    if (item->env.type == WF_MSG_ACCOUNT_COMMAND)
        account = item->body->account_command.account_id;
    else if (item->env.type == WF_MSG_OUTBOX_DELIVER) {
        const wf_outbox_deliver_t *d = &item->body->outbox_deliver;
        const char *key = wf_str_eq (d->type, WF_EVENT_TRANSFER_SENT) ? "destinationAccountId"
                          : wf_str_eq (d->type, WF_EVENT_TRANSFER_CREDIT_FAILED) ? "accountId"
                                                                                 : NULL;
        wf_json_kind_t kind;
        bool escaped = true;
        if (!key ||
            wf_json_raw_member (d->payload.ptr, d->payload.len, key, &account, &kind, &escaped) !=
                1 ||
            kind != WF_JSON_STRING || escaped)
            return false;
    }
    if (!account.len || !wf_account_uuid_valid (account))
        return false;
    snprintf (id, WF_UUID_BYTES, "%.*s", (int) account.len, account.ptr);
    return true;
}

//  True when id is among list[0..count).
static bool
s_listed (const char **list, size_t count, const char *id)
{
    for (size_t i = 0; i < count; i++)
        if (streq (list[i], id))
            return true;
    return false;
}

//  Loads the aggregates the batch needs and the cache lacks with two queries in all, instead of
//  two each. When that fails they are left to wf_account_entry, one by one.
static void
s_load_misses (self_t *self, const char **ids, size_t count)
{
    if (count == 0)
        return;
    wf_account_t **accounts = (wf_account_t **) calloc (count, sizeof (wf_account_t *));
    for (size_t i = 0; i < count; i++)
        accounts[i] = wf_account_new ();
    bool loaded = wf_account_store_load_many (self->conn, ids, count, accounts) == 0;
    for (size_t i = 0; i < count; i++)
        if (loaded && !zhashx_lookup (self->cache, ids[i]))
            s_cache_insert (self, ids[i], accounts[i]);
        else
            wf_account_destroy (&accounts[i]);
    free (accounts);
}

//  The cached aggregates the batch's items need whose versions were not checked in this batch
//  yet, checked with one query for all of them (instead of one per aggregate in
//  wf_account_entry). 0, or -1 on a database error.
static int
s_prefetch_versions (self_t *self, item_t *items, size_t count)
{
    char *ids = (char *) malloc (count * (WF_UUID_BYTES + 3) + 3);
    char *missing = (char *) malloc (count * WF_UUID_BYTES + 1);
    const char **misses = (const char **) malloc (count * sizeof (char *) + 1);
    size_t length = 0, asked = 0, missed = 0;
    ids[length++] = '{';
    for (size_t i = 0; i < count; i++) {
        char id[WF_UUID_BYTES];
        if (!s_item_account (&items[i], id))
            continue;
        entry_t *entry = (entry_t *) zhashx_lookup (self->cache, id);
        if (!entry && !s_listed (misses, missed, id)) {
            misses[missed] = strcpy (missing + missed * WF_UUID_BYTES, id);
            missed++;
        }
        if (!entry || entry->touched || entry->checked_batch == self->batch)
            continue;
        entry->checked_batch = self->batch; //  asked once; a mismatch drops it below
        length += (size_t) sprintf (ids + length, "%s%s", asked++ ? "," : "", id);
    }
    strcpy (ids + length, "}");
    int rc = 0;
    if (asked) {
        const char *params[] = {ids};
        PGresult *res =
            wf_account_batch_read (self->conn, WF_BATCH_READ_VERSIONS, 1, params, NULL, NULL, 0);
        rc = PQresultStatus (res) == PGRES_TUPLES_OK ? 0 : -1;
        for (int r = 0; rc == 0 && r < PQntuples (res); r++) {
            const char *id = PQgetvalue (res, r, 0);
            entry_t *entry = (entry_t *) zhashx_lookup (self->cache, id);
            //  Another worker of this shard wrote since we cached it: reload on use.
            if (entry && !entry->touched &&
                wf_account_state (entry->account)->version != atoll (PQgetvalue (res, r, 1)))
                zhashx_delete (self->cache, id);
        }
        PQclear (res);
    }
    if (rc == 0)
        s_load_misses (self, misses, missed);
    free (misses);
    free (missing);
    free (ids);
    return rc;
}

//  Records the batch's deliveries in the inbox with one statement, and reads the destinations
//  of its transfers with another. A delivery past its deadline is refused first: once its
//  inbox row is in, it must be handled in this transaction (a redelivery would find it
//  applied). 0, or -1 on a database error.
static int
s_prefetch_deliveries (self_t *self, item_t *items, size_t count)
{
    char *text = (char *) malloc (count * WF_UUID_BYTES + 1);
    const char **messages = (const char **) malloc (2 * count * sizeof (char *) + 1);
    const char **destinations = messages + count;
    size_t message_count = 0, destination_count = 0;
    for (size_t i = 0; i < count; i++) {
        item_t *item = &items[i];
        if (!item->valid || item->decided)
            continue;
        char *slot = text + (message_count + destination_count) * WF_UUID_BYTES;
        if (item->env.type == WF_MSG_OUTBOX_DELIVER) {
            if (item->env.deadline_ms > 0 && item->env.deadline_ms < wf_clock_ms ()) {
                wf_account_refuse (item, WF_ERR_TIMEOUT, "the deadline passed before processing",
                                   NULL);
                continue;
            }
            wf_str_t id = item->body->outbox_deliver.message_id;
            if (!wf_account_uuid_valid (id))
                continue; //  the handler's own insert refuses it
            snprintf (slot, WF_UUID_BYTES, "%.*s", (int) id.len, id.ptr);
            messages[message_count++] = slot;
        } else if (item->env.type == WF_MSG_ACCOUNT_COMMAND &&
                   wf_str_eq (item->body->account_command.kind, "transfer") &&
                   wf_account_uuid_valid (item->body->account_command.destination_account_id)) {
            wf_str_t id = item->body->account_command.destination_account_id;
            snprintf (slot, WF_UUID_BYTES, "%.*s", (int) id.len, id.ptr);
            destinations[destination_count++] = slot;
        }
    }
    int rc = wf_account_batch_inbox_prefetch (self->conn, "account", messages, message_count);
    if (rc == 0)
        rc = wf_account_batch_peek_prefetch (self->conn, destinations, destination_count);
    free (messages);
    free (text);
    return rc;
}

//  Looks up the idempotency keys of the batch's commands with one query. 0,
//  or -1 on a database error.
static int
s_prefetch_keys (self_t *self, item_t *items, size_t count)
{
    enum { USER_BYTES = WF_UUID_BYTES, KEY_BYTES = 256 };
    char *text = (char *) malloc (count * (USER_BYTES + KEY_BYTES));
    const char **users = (const char **) malloc (2 * count * sizeof (char *));
    const char **keys = users + count;
    size_t asked = 0;
    for (size_t i = 0; i < count; i++) {
        const wf_account_command_t *cmd = &items[i].body->account_command;
        //  The same rule and truncation as the handler's lookup (wf_account_handle.c).
        if (!items[i].valid || items[i].decided || items[i].env.type != WF_MSG_ACCOUNT_COMMAND ||
            !cmd->idempotency_key.len || wf_str_eq (cmd->kind, "open") ||
            !wf_account_uuid_valid (cmd->account_id) || !wf_account_uuid_valid (cmd->user_id))
            continue;
        char *user = text + asked * (USER_BYTES + KEY_BYTES), *key = user + USER_BYTES;
        snprintf (user, USER_BYTES, "%.*s", (int) cmd->user_id.len, cmd->user_id.ptr);
        size_t len =
            cmd->idempotency_key.len < KEY_BYTES - 1 ? cmd->idempotency_key.len : KEY_BYTES - 1;
        memcpy (key, cmd->idempotency_key.ptr, len);
        key[len] = 0;
        users[asked] = user;
        keys[asked++] = key;
    }
    int rc = wf_account_batch_idem_prefetch (self->conn, users, keys, asked);
    free (users);
    free (text);
    return rc;
}

#define COMMIT_UNKNOWN -2 //  the connection broke during COMMIT

//  Decides and writes items[0..count) in one transaction. Returns 0 when
//  committed, -1 when rolled back, COMMIT_UNKNOWN when COMMIT was sent and
//  the connection broke before its answer (committed or not: nobody knows).
static int
s_transaction (self_t *self, item_t *items, size_t count)
{
    if (s_sql (self, "BEGIN") != 0)
        return -1;
    self->batch++;
    zhashx_purge (self->batch_keys);
    int rc = wf_account_batch_begin (self->writes, self->conn);
    if (rc == 0)
        rc = s_prefetch_versions (self, items, count);
    if (rc == 0)
        rc = s_prefetch_keys (self, items, count);
    if (rc == 0)
        rc = s_prefetch_deliveries (self, items, count);
    for (size_t i = 0; i < count && rc == 0; i++) {
        item_t *item = &items[i];
        //  A long batch must not look like a dead worker to the broker.
        wf_mdp_worker_tick (self->worker);
        if (!item->valid || item->decided)
            continue;
        //  A delivery's deadline was checked before its inbox row went in (above).
        if (item->env.type != WF_MSG_OUTBOX_DELIVER && item->env.deadline_ms > 0 &&
            item->env.deadline_ms < wf_clock_ms ())
            wf_account_refuse (item, WF_ERR_TIMEOUT, "the deadline passed before processing", NULL);
        else if (item->env.type == WF_MSG_ACCOUNT_COMMAND)
            rc = wf_account_handle_command (self, item);
        else if (item->env.type == WF_MSG_OUTBOX_DELIVER)
            rc = wf_account_handle_delivery (self, item);
        else
            wf_account_refuse (item, WF_ERR_BAD_REQUEST, "malformed or unexpected message", NULL);
    }
    if (rc == 0)
        rc = wf_account_batch_flush (self->conn);
    wf_account_batch_end (self->conn);
    int64_t start = zclock_usecs ();
    bool committing = rc == 0;
    if (rc == 0 && s_sql (self, "COMMIT") == 0) {
        wf_metric_observe (self->commit_seconds, (double) (zclock_usecs () - start) / 1e6);
        s_clear_touched (self);
        return 0;
    }
    //  A COMMIT that got an error answer rolled back; one whose connection broke may
    //  have committed or not (found by the simulator, docs/simulation.md).
    bool unknown = committing && PQstatus (self->conn) != CONNECTION_OK;
    char reason[256];
    wf_log (WF_LOG_WARN, self->service, "batch_rolled_back", NULL, "requests=%zu reason=%s", count,
            wf_log_quote (reason, sizeof reason, PQerrorMessage (self->conn)));
    s_sql (self, "ROLLBACK");
    s_forget_touched (self);
    wf_account_batch_forget (self->writes);
    return unknown ? COMMIT_UNKNOWN : -1;
}

//  Resets an item's outcome before a retry.
static void
s_undecide (item_t *item)
{
    item->decided = false;
    item->reply_type = WF_MSG_NONE;
    wf_buf_reset (&item->reply);
}

//  A client's money command without an Idempotency-Key: running it again
//  could apply it twice.
static bool
s_keyless (const item_t *item)
{
    return item->valid && !item->internal && item->env.type == WF_MSG_ACCOUNT_COMMAND &&
           item->body->account_command.idempotency_key.len == 0;
}

//  Answers a keyless command whose COMMIT outcome is unknown: 503, and the
//  client must look before it sends the command again.
static void
s_outcome_unknown (self_t *self, item_t *item)
{
    s_undecide (item);
    wf_metric_inc (self->outcome_unknown, 1);
    wf_account_refuse (item, WF_ERR_UNAVAILABLE,
                       "the database connection broke during COMMIT: the command may have been "
                       "applied; read the history before sending it again, or send money "
                       "commands with an Idempotency-Key",
                       NULL);
}

//  Commits the batch, falling back to one transaction per request when the
//  batch fails, then replies to every request.
static void
s_batch (self_t *self, size_t count)
{
    wf_metric_inc (self->batches, 1);
    wf_metric_observe (self->batch_size, (double) count / 1000.0);
    self->conn = wf_pg_conn (self->pg);
    int rc = self->conn ? s_transaction (self, self->items, count) : 0;
    if (rc != 0) {
        wf_metric_inc (self->batch_failures, 1);
        wf_pg_failed (self->pg);
        //  One by one, a few times: a stale writer (another worker of this
        //  shard committed first) succeeds once it has reloaded. After a COMMIT
        //  of unknown outcome only what is deduplicated may run again: keyed
        //  commands (their key replays the answer) and deliveries (the inbox).
        for (size_t i = 0; i < count; i++) {
            item_t *item = &self->items[i];
            if (rc == COMMIT_UNKNOWN && s_keyless (item)) {
                s_outcome_unknown (self, item);
                continue;
            }
            s_undecide (item);
            for (int attempt = 0; attempt < WF_ACCOUNT_RETRIES_MAX; attempt++) {
                self->conn = wf_pg_conn (self->pg);
                int one = self->conn ? s_transaction (self, item, 1) : -1;
                if (!self->conn || one == 0)
                    break;
                wf_pg_failed (self->pg);
                if (one == COMMIT_UNKNOWN && s_keyless (item)) {
                    s_outcome_unknown (self, item);
                    break;
                }
                s_undecide (item);
            }
        }
    }
    self->conn = NULL;
    for (size_t i = 0; i < count; i++) {
        item_t *item = &self->items[i];
        s_reply (self, item);
        zmsg_destroy (&item->msg);
        zframe_destroy (&item->client);
        s_undecide (item);
        item->valid = false;
    }
}

size_t
wf_account_run_internal (self_t *self, size_t count)
{
    self->conn = count ? wf_pg_conn (self->pg) : NULL;
    if (self->conn && s_transaction (self, self->items, count) != 0) {
        wf_pg_failed (self->pg);
        for (size_t i = 0; i < count; i++) {
            s_undecide (&self->items[i]);
            self->conn = wf_pg_conn (self->pg);
            if (!self->conn || s_transaction (self, &self->items[i], 1) != 0) {
                s_undecide (&self->items[i]);
                wf_pg_failed (self->pg);
            }
        }
    }
    self->conn = NULL;
    size_t succeeded = 0;
    for (size_t i = 0; i < count; i++) {
        item_t *item = &self->items[i];
        succeeded += item->decided && item->reply_type != WF_MSG_ERROR;
        s_undecide (item);
        item->valid = false;
        item->internal = false;
    }
    return succeeded;
}

//  Takes one request off the worker socket into the next batch slot.
static bool
s_receive (self_t *self, item_t *item)
{
    zmsg_t *request = wf_mdp_worker_recv (self->worker);
    if (!request)
        return false;
    item->client = zmsg_pop (request);
    item->msg = request;
    wf_codec_err_t err = {.detail = NULL};
    bool decoded = wf_wire_decode (request, &item->env, item->body, &err) == 0;
    bool known = decoded && (item->env.type == WF_MSG_ACCOUNT_COMMAND ||
                             item->env.type == WF_MSG_OUTBOX_DELIVER);
    //  An envelope we can answer gets a clear error; anything else is dropped.
    item->valid =
        known || wf_envelope_decode (zframe_data (zmsg_first (request)),
                                     zframe_size (zmsg_first (request)), &item->env, &err) == 0;
    if (!known) {
        wf_log (WF_LOG_WARN, self->service, "rejected", NULL, "reason=\"%s\"",
                err.detail ? err.detail : "unexpected message type");
        wf_metrics_counter_add (self->metrics, "wf_account_rejected_total",
                                "Requests rejected as malformed.", 1, NULL);
        if (item->valid)
            wf_account_refuse (item, WF_ERR_BAD_REQUEST, "malformed or unexpected message", NULL);
    }
    return true;
}

//  Creates the shard's state; NULL when the worker cannot start.
static self_t *
s_self_new (const wf_account_config_t *config)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    self->config = config;
    snprintf (self->service, sizeof self->service, "account.%d", config->shard);
    self->batch_max = config->batch_max ? config->batch_max : WF_ACCOUNT_BATCH_MAX;
    self->cache_max = config->cache_max ? config->cache_max : WF_ACCOUNT_CACHE_MAX;
    wf_mdp_worker_config_t worker = {.broker_endpoint = config->broker_endpoint,
                                     .service = self->service,
                                     .credit = self->batch_max,
                                     .heartbeat_interval_ms = config->heartbeat_interval_ms,
                                     .curve_client_cert = config->curve_client_cert,
                                     .curve_server_key = config->curve_server_key};
    self->worker = wf_mdp_worker_new (&worker);
    self->pg = wf_pg_new (config->pg_url, self->service);
    self->redis = wf_redis_new (config->redis_url, self->service);
    self->cache = zhashx_new ();
    zhashx_set_destructor (self->cache, s_entry_free);
    self->batch_keys = zhashx_new ();
    self->writes = wf_account_batch_new ();
    self->items = (item_t *) calloc (self->batch_max, sizeof (item_t));
    for (size_t i = 0; i < self->batch_max; i++) {
        self->items[i].body = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
        wf_buf_init (&self->items[i].reply);
    }
    wf_buf_init (&self->scratch);
    self->metrics = wf_metrics_new ("account");
    const char *shard = self->service + strlen ("account.");
    self->batches =
        wf_metrics_counter (self->metrics, "wf_account_batches_total",
                            "Transactions committed or attempted.", "shard", shard, NULL);
    self->batch_size =
        wf_metrics_histogram (self->metrics, "wf_account_batch_size_thousands",
                              "Requests per batch, in thousands.", "shard", shard, NULL);
    self->batch_failures =
        wf_metrics_counter (self->metrics, "wf_account_batch_failures_total",
                            "Batches rolled back and retried one by one.", "shard", shard, NULL);
    self->outcome_unknown = wf_metrics_counter (
        self->metrics, "wf_account_commit_outcome_unknown_total",
        "Keyless commands answered 503 because the connection broke during COMMIT.", "shard", shard,
        NULL);
    self->commit_seconds = wf_metrics_histogram (self->metrics, "wf_account_commit_seconds",
                                                 "COMMIT latency.", "shard", shard, NULL);
    return self;
}

//  Destroys the shard's state.
static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    for (size_t i = 0; i < self->batch_max; i++) {
        zmsg_destroy (&self->items[i].msg);
        zframe_destroy (&self->items[i].client);
        free (self->items[i].body);
        wf_buf_free (&self->items[i].reply);
    }
    free (self->items);
    zhashx_destroy (&self->batch_keys);
    zhashx_destroy (&self->cache);
    wf_pg_destroy (&self->pg); //  before the batch: its connection may point to it
    wf_account_batch_destroy (&self->writes);
    wf_redis_destroy (&self->redis);
    wf_mdp_worker_destroy (&self->worker);
    wf_metrics_destroy (&self->metrics);
    wf_buf_free (&self->scratch);
    free (self);
    *self_p = NULL;
}

//  Answers a pipe command; false on $TERM.
static bool
s_pipe (self_t *self, zsock_t *pipe)
{
    char *command = zstr_recv (pipe);
    bool go_on = command && !streq (command, "$TERM");
    if (go_on && streq (command, "METRICS")) {
        char *text = wf_metrics_text (self->metrics);
        zstr_send (pipe, text);
        free (text);
    }
    zstr_free (&command);
    return go_on;
}

void
wf_account_actor (zsock_t *pipe, void *args)
{
    self_t *self = s_self_new ((const wf_account_config_t *) args);
    zsock_signal (pipe, self->worker ? 0 : 1);
    zpoller_t *poller =
        self->worker ? zpoller_new (pipe, wf_mdp_worker_sock (self->worker), NULL) : NULL;
    while (poller) {
        void *which = zpoller_wait (poller, wf_mdp_worker_timeout_ms (self->worker));
        if (which == pipe && !s_pipe (self, pipe)) {
            //  $TERM: a graceful stop. The broker sends nothing new; what it
            //  already sent is committed and answered before we go.
            wf_mdp_worker_drain (self->worker);
            zpoller_remove (poller, pipe);
            which = NULL;
        }
        if (which && which != pipe) {
            size_t count = 0;
            while (count < self->batch_max &&
                   (zsock_events (wf_mdp_worker_sock (self->worker)) & ZMQ_POLLIN))
                if (s_receive (self, &self->items[count]) && self->items[count].msg)
                    count++;
            if (count)
                s_batch (self, count);
        } else if (!which && zpoller_terminated (poller))
            break;
        if (wf_clock_ms () >= self->hold_scan_at_ms) {
            wf_account_holds_expire_due (self);
            self->hold_scan_at_ms = wf_clock_ms () + WF_ACCOUNT_HOLD_SCAN_INTERVAL_MS;
        }
        wf_mdp_worker_tick (self->worker);
        if (wf_mdp_worker_drained (self->worker) &&
            !(zsock_events (wf_mdp_worker_sock (self->worker)) & ZMQ_POLLIN))
            break;
    }
    zpoller_destroy (&poller);
    s_self_destroy (&self);
}
