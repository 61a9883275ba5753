/*  wf_account - an account shard: batching loop, cache, replies.  */
#include "wf_account_internal.h"
#include "wf_log.h"

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
    //  Bounded: drop an untouched entry to make room (it reloads on demand).
    if (zhashx_size (self->cache) >= self->cache_max) {
        for (entry_t *victim = (entry_t *) zhashx_first (self->cache); victim;
             victim = (entry_t *) zhashx_next (self->cache))
            if (!victim->touched) {
                zhashx_delete (self->cache, zhashx_cursor (self->cache));
                break;
            }
    }
    entry = (entry_t *) zmalloc (sizeof (entry_t));
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

//  Decides and writes items[0..count) in one transaction. Returns 0 when
//  committed, -1 when rolled back.
static int
s_transaction (self_t *self, item_t *items, size_t count)
{
    if (s_sql (self, "BEGIN") != 0)
        return -1;
    self->batch++;
    zhashx_purge (self->batch_keys);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        item_t *item = &items[i];
        //  A long batch must not look like a dead worker to the broker.
        wf_mdp_worker_tick (self->worker);
        if (!item->valid || item->decided)
            continue;
        if (item->env.deadline_ms > 0 && item->env.deadline_ms < wf_clock_ms ())
            wf_account_refuse (item, WF_ERR_TIMEOUT, "the deadline passed before processing", NULL);
        else if (item->env.type == WF_MSG_ACCOUNT_COMMAND)
            rc = wf_account_handle_command (self, item);
        else if (item->env.type == WF_MSG_OUTBOX_DELIVER)
            rc = wf_account_handle_delivery (self, item);
        else
            wf_account_refuse (item, WF_ERR_BAD_REQUEST, "malformed or unexpected message", NULL);
    }
    int64_t start = zclock_usecs ();
    if (rc == 0 && s_sql (self, "COMMIT") == 0) {
        wf_metric_observe (self->commit_seconds, (double) (zclock_usecs () - start) / 1e6);
        s_clear_touched (self);
        return 0;
    }
    char reason[256];
    wf_log (WF_LOG_WARN, self->service, "batch_rolled_back", NULL, "requests=%zu reason=%s", count,
            wf_log_quote (reason, sizeof reason, PQerrorMessage (self->conn)));
    s_sql (self, "ROLLBACK");
    s_forget_touched (self);
    return -1;
}

//  Resets an item's outcome before a retry.
static void
s_undecide (item_t *item)
{
    item->decided = false;
    item->reply_type = WF_MSG_NONE;
    wf_buf_reset (&item->reply);
}

//  Commits the batch, falling back to one transaction per request when the
//  batch fails, then replies to every request.
static void
s_batch (self_t *self, size_t count)
{
    wf_metric_inc (self->batches, 1);
    wf_metric_observe (self->batch_size, (double) count / 1000.0);
    self->conn = wf_pg_conn (self->pg);
    if (self->conn && s_transaction (self, self->items, count) != 0) {
        wf_metric_inc (self->batch_failures, 1);
        wf_pg_failed (self->pg);
        //  One by one, a few times: a stale writer (another worker of this
        //  shard committed first) succeeds once it has reloaded.
        for (size_t i = 0; i < count; i++) {
            s_undecide (&self->items[i]);
            for (int attempt = 0; attempt < WF_ACCOUNT_RETRIES_MAX; attempt++) {
                self->conn = wf_pg_conn (self->pg);
                if (!self->conn || s_transaction (self, &self->items[i], 1) == 0)
                    break;
                s_undecide (&self->items[i]);
                wf_pg_failed (self->pg);
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
    wf_pg_destroy (&self->pg);
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
        wf_mdp_worker_tick (self->worker);
        if (wf_mdp_worker_drained (self->worker) &&
            !(zsock_events (wf_mdp_worker_sock (self->worker)) & ZMQ_POLLIN))
            break;
    }
    zpoller_destroy (&poller);
    s_self_destroy (&self);
}
