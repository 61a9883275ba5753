/*  wf_query - the query service over the read models.  */
#include "wf_query.h"
#include "wf_account_aggregate.h"
#include "wf_currency.h"
#include "wf_log.h"
#include "wf_mdp_worker.h"
#include "wf_metrics.h"
#include "wf_pg.h"
#include "wf_redis.h"
#include "wf_wire.h"
#include "wf_query_statement.h"

#define QUERY_BATCH_MAX 64 //  requests handled per wake-up

_Static_assert(WF_QUERY_PAGE_MAX <= 100, "a page must fit account.history's list");

#define ACCOUNT_COLUMNS                                                                            \
    "id::text, owner_id::text, number, currency, balance, status, "                                \
    "(extract (epoch FROM created_at) * 1000)::bigint, version, is_default, held, "                \
    "overdraft_limit"

typedef struct {
    const wf_query_config_t *config;
    wf_mdp_worker_t *worker;
    wf_pg_t *pg;
    wf_redis_t *redis;
    wf_metric_t *cache_hits;
    wf_metric_t *cache_misses;
    wf_any_msg_t *request;
    wf_any_msg_t *reply;
    wf_buf_t scratch;
    wf_metrics_t *metrics;
} self_t;

//  The minor digits of a currency code (2 when unknown).
static int
s_digits (const char *code)
{
    wf_currency_err_t why;
    const wf_currency_t *currency = wf_currency_lookup (wf_str_c (code), &why);
    return currency ? wf_currency_digits (currency) : 2;
}

//  Fills an AccountDto from row i (slices point into res).
static void
s_account_row (PGresult *res, int i, wf_account_info_t *info)
{
    info->id = wf_str_c (PQgetvalue (res, i, 0));
    info->owner_id = wf_str_c (PQgetvalue (res, i, 1));
    info->number = wf_str_c (PQgetvalue (res, i, 2));
    info->currency = wf_str_c (PQgetvalue (res, i, 3));
    info->balance = atoll (PQgetvalue (res, i, 4));
    info->status = wf_str_c (PQgetvalue (res, i, 5));
    info->created_at_ms = atoll (PQgetvalue (res, i, 6));
    info->version = atoll (PQgetvalue (res, i, 7));
    info->is_default = streq (PQgetvalue (res, i, 8), "t");
    info->digits = s_digits (PQgetvalue (res, i, 3));
    info->held = atoll (PQgetvalue (res, i, 9));
    info->overdraft_limit = atoll (PQgetvalue (res, i, 10));
}

//  Runs a query with text parameters; NULL (and the connection marked) on failure.
static PGresult *
s_select (self_t *self, const char *sql, int count, const char *const *params)
{
    PGconn *conn = wf_pg_conn (self->pg);
    if (!conn)
        return NULL;
    PGresult *res = PQexecParams (conn, sql, count, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        wf_pg_failed (self->pg);
        return NULL;
    }
    return res;
}

//  Answers kind "hold": a hold of one of the caller's accounts (HoldDto).
static PGresult *
s_hold (self_t *self, zframe_t *client, const wf_envelope_t *env, const char *hold,
        const char *user)
{
    const char *params[] = {hold, user};
    PGresult *res = s_select (
        self,
        "SELECT h.id::text, h.account_id::text, coalesce (h.destination_account_id::text, ''), "
        "h.amount, coalesce (h.captured_amount, 0), h.currency, h.status, "
        "coalesce (h.description, ''), coalesce (h.capture_transaction_id::text, ''), "
        "(extract (epoch FROM h.expires_at) * 1000)::bigint, "
        "(extract (epoch FROM h.created_at) * 1000)::bigint, "
        "coalesce ((extract (epoch FROM h.closed_at) * 1000)::bigint, 0), "
        "coalesce (h.metadata::text, '') FROM holds h "
        "JOIN accounts a ON a.id = h.account_id WHERE h.id = $1 AND a.owner_id = $2",
        2, params);
    if (res && PQntuples (res) == 1) {
        wf_account_hold_info_t h = {
            .id = wf_str_c (PQgetvalue (res, 0, 0)),
            .account_id = wf_str_c (PQgetvalue (res, 0, 1)),
            .destination_account_id = wf_str_c (PQgetvalue (res, 0, 2)),
            .amount = atoll (PQgetvalue (res, 0, 3)),
            .captured_amount = atoll (PQgetvalue (res, 0, 4)),
            .currency = wf_str_c (PQgetvalue (res, 0, 5)),
            .digits = s_digits (PQgetvalue (res, 0, 5)),
            .status = wf_str_c (PQgetvalue (res, 0, 6)),
            .description = wf_str_c (PQgetvalue (res, 0, 7)),
            .transaction_id = wf_str_c (PQgetvalue (res, 0, 8)),
            .expires_at_ms = atoll (PQgetvalue (res, 0, 9)),
            .created_at_ms = atoll (PQgetvalue (res, 0, 10)),
            .closed_at_ms = atoll (PQgetvalue (res, 0, 11)),
            .metadata = wf_str_c (PQgetvalue (res, 0, 12)),
        };
        wf_mdp_worker_reply (self->worker, client, env, WF_MSG_ACCOUNT_HOLD_INFO, &h,
                             &self->scratch);
    } else if (res)
        wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_NOT_FOUND, "No such hold.",
                                   &self->scratch);
    return res;
}

//  True when the caller owns account_id (which is a valid uuid).
static int
s_owned (self_t *self, const char *account_id, const char *user_id)
{
    const char *params[] = {account_id, user_id};
    PGresult *res =
        s_select (self, "SELECT 1 FROM accounts WHERE id = $1 AND owner_id = $2", 2, params);
    if (!res)
        return -1;
    int owned = PQntuples (res) == 1;
    PQclear (res);
    return owned;
}

//  Answers kind "balance" and "statement" by replaying the caller's account.
static void
s_statement (self_t *self, zframe_t *client, const wf_envelope_t *env, const wf_account_query_t *q,
             const char *account, const char *user)
{
    int owned = s_owned (self, account, user);
    if (owned != 1) {
        wf_mdp_worker_reply_error (
            self->worker, client, env, owned == 0 ? WF_ERR_NOT_FOUND : WF_ERR_UNAVAILABLE,
            owned == 0 ? "No such account." : "the database is unavailable", &self->scratch);
        return;
    }
    bool balance = wf_str_eq (q->kind, "balance");
    PGresult *keep[2] = {NULL, NULL};
    wf_account_statement_t *out = &self->reply->account_statement;
    PGconn *conn = wf_pg_conn (self->pg);
    int rc = conn ? wf_query_statement (conn, account, balance ? q->to_ms : q->from_ms, q->to_ms,
                                        out, keep)
                  : -1;
    if (rc < 0) {
        wf_pg_failed (self->pg);
        wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_UNAVAILABLE,
                                   "the database is unavailable", &self->scratch);
    } else if (rc == 0)
        wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_UNPROCESSABLE,
                                   "The period holds more than 200 entries: narrow it.",
                                   &self->scratch);
    else if (out->version == 0)
        wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_NOT_FOUND,
                                   "The account did not exist at that moment.", &self->scratch);
    else {
        if (balance)
            out->items_count = 0; //  the balance alone
        wf_mdp_worker_reply (self->worker, client, env, WF_MSG_ACCOUNT_STATEMENT, out,
                             &self->scratch);
    }
    PQclear (keep[0]);
    PQclear (keep[1]);
}

//  Serves `get` from the cache when the cached account is owned by the caller
//  and at least as new as the last committed version. True when answered.
static bool
s_cached_get (self_t *self, zframe_t *client, const wf_envelope_t *env, const char *account,
              const char *user)
{
    redisContext *ctx = wf_redis_ctx (self->redis);
    if (!ctx)
        return false;
    redisReply *reply =
        (redisReply *) redisCommand (ctx, "MGET wf:account:%s wf:account:%s:v", account, account);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        if (reply)
            freeReplyObject (reply);
        wf_redis_failed (self->redis);
        return false;
    }
    bool hit = false;
    redisReply *value = reply->element[0], *marker = reply->element[1];
    wf_account_info_t *info = &self->reply->account_info;
    wf_codec_err_t err;
    if (value->type == REDIS_REPLY_STRING &&
        wf_body_decode (WF_MSG_ACCOUNT_INFO, (const uint8_t *) value->str, value->len, info,
                        &err) == 0 &&
        wf_str_eq (info->owner_id, user) &&
        (marker->type != REDIS_REPLY_STRING || info->version >= atoll (marker->str))) {
        wf_mdp_worker_reply (self->worker, client, env, WF_MSG_ACCOUNT_INFO, info, &self->scratch);
        hit = true;
    }
    freeReplyObject (reply);
    wf_metric_inc (hit ? self->cache_hits : self->cache_misses, 1);
    return hit;
}

//  Stores an account read from PostgreSQL in the cache.
static void
s_cache_put (self_t *self, const wf_account_info_t *info, const char *account)
{
    redisContext *ctx = wf_redis_ctx (self->redis);
    if (!ctx)
        return;
    wf_buf_reset (&self->scratch);
    if (wf_body_encode (WF_MSG_ACCOUNT_INFO, info, &self->scratch) != 0)
        return;
    redisReply *reply =
        (redisReply *) redisCommand (ctx, "SET wf:account:%s %b EX %d", account, self->scratch.data,
                                     self->scratch.size, WF_QUERY_CACHE_TTL_S);
    if (!reply)
        wf_redis_failed (self->redis);
    else
        freeReplyObject (reply);
}

//  Copies a slice into a C string.
static void
s_copy (char *dst, size_t size, wf_str_t src)
{
    snprintf (dst, size, "%.*s", (int) src.len, src.ptr ? src.ptr : "");
}

//  Answers one query; PGresults stay alive until the reply is sent.
static void
s_answer (self_t *self, zframe_t *client, const wf_envelope_t *env, const wf_account_query_t *q)
{
    char user[WF_UUID_BYTES], account[WF_UUID_BYTES];
    s_copy (user, sizeof user, q->user_id);
    bool has_account = wf_account_uuid_valid (q->account_id);
    s_copy (account, sizeof account, has_account ? q->account_id : (wf_str_t){"", 0});
    PGresult *res = NULL;
    if (!wf_account_uuid_valid (q->user_id)) {
        wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_UNAUTHORIZED, "bad caller",
                                   &self->scratch);
        return;
    }
    if (wf_str_eq (q->kind, "list")) {
        const char *params[] = {user};
        res = s_select (self,
                        "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE owner_id = $1 "
                        "ORDER BY created_at, id LIMIT 100",
                        1, params);
        if (res) {
            wf_account_list_t *list = &self->reply->account_list;
            memset (list, 0, sizeof *list);
            for (int i = 0; i < PQntuples (res); i++)
                s_account_row (res, i, &list->items[list->items_count++]);
            wf_mdp_worker_reply (self->worker, client, env, WF_MSG_ACCOUNT_LIST, list,
                                 &self->scratch);
        }
    } else if (wf_str_eq (q->kind, "get") && has_account) {
        if (s_cached_get (self, client, env, account, user))
            return;
        const char *params[] = {account, user};
        res = s_select (self,
                        "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = $1 AND owner_id = $2",
                        2, params);
        if (res && PQntuples (res) == 1) {
            wf_account_info_t info;
            memset (&info, 0, sizeof info);
            s_account_row (res, 0, &info);
            wf_mdp_worker_reply (self->worker, client, env, WF_MSG_ACCOUNT_INFO, &info,
                                 &self->scratch);
            s_cache_put (self, &info, account);
        } else if (res)
            wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_NOT_FOUND,
                                       "No such account.", &self->scratch);
    } else if (wf_str_eq (q->kind, "transactions") && has_account) {
        int owned = s_owned (self, account, user);
        if (owned == 0)
            wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_NOT_FOUND,
                                       "No such account.", &self->scratch);
        if (owned != 1)
            goto done;
        int64_t limit =
            q->limit > 0 && q->limit <= WF_QUERY_PAGE_MAX ? q->limit : WF_QUERY_PAGE_DEFAULT;
        char limit_text[24], before[24], key[64], value[160];
        snprintf (limit_text, sizeof limit_text, "%" PRId64, limit + 1);
        snprintf (before, sizeof before, "%" PRId64, q->before > 0 ? q->before : INT64_MAX);
        s_copy (key, sizeof key, q->metadata_key);
        s_copy (value, sizeof value, q->metadata_value);
        const char *params[] = {account, before, limit_text, key, value};
        res = s_select (self,
                        "SELECT id::text, account_id::text, type, amount, currency, balance_after, "
                        "coalesce (counterparty_account_id::text, ''), coalesce (description, ''), "
                        "(extract (epoch FROM created_at) * 1000)::bigint, seq, refunded, "
                        "coalesce (refund_of::text, ''), coalesce (metadata::text, '') FROM "
                        "transactions WHERE account_id = $1 AND seq < $2 AND ($4 = '' OR "
                        "metadata @> jsonb_build_object ($4::text, $5::text)) ORDER BY seq DESC "
                        "LIMIT $3",
                        5, params);
        if (res) {
            wf_account_history_t *h = &self->reply->account_history;
            memset (h, 0, sizeof *h);
            int rows = PQntuples (res);
            for (int i = 0; i < rows && i < limit; i++) {
                wf_account_transaction_t *t = &h->items[h->items_count++];
                t->id = wf_str_c (PQgetvalue (res, i, 0));
                t->account_id = wf_str_c (PQgetvalue (res, i, 1));
                t->type = wf_str_c (PQgetvalue (res, i, 2));
                t->amount = atoll (PQgetvalue (res, i, 3));
                t->currency = wf_str_c (PQgetvalue (res, i, 4));
                t->digits = s_digits (PQgetvalue (res, i, 4));
                t->balance_after = atoll (PQgetvalue (res, i, 5));
                //  TransactionDto.destinationAccountId: the other side of a transfer.
                t->destination_account_id = wf_str_c (PQgetvalue (res, i, 6));
                t->description = wf_str_c (PQgetvalue (res, i, 7));
                t->created_at_ms = atoll (PQgetvalue (res, i, 8));
                t->seq = atoll (PQgetvalue (res, i, 9));
                t->refunded = atoll (PQgetvalue (res, i, 10));
                t->refund_of = wf_str_c (PQgetvalue (res, i, 11));
                t->metadata = wf_str_c (PQgetvalue (res, i, 12));
            }
            if (rows > limit)
                h->next_before = h->items[h->items_count - 1].seq;
            wf_mdp_worker_reply (self->worker, client, env, WF_MSG_ACCOUNT_HISTORY, h,
                                 &self->scratch);
        }
    } else if ((wf_str_eq (q->kind, "balance") || wf_str_eq (q->kind, "statement")) &&
               has_account) {
        s_statement (self, client, env, q, account, user);
        return;
    } else if (wf_str_eq (q->kind, "hold") && has_account) {
        //  account_id carries the hold id.
        res = s_hold (self, client, env, account, user);
    } else if (wf_str_eq (q->kind, "transfer") && has_account) {
        //  account_id carries the transfer id; either side's owner may read it.
        const char *params[] = {account, user};
        res = s_select (self,
                        "SELECT t.id::text, t.source_account_id::text, "
                        "t.destination_account_id::text, t.amount, t.currency, t.status, "
                        "(extract (epoch FROM t.created_at) * 1000)::bigint, coalesce ((extract "
                        "(epoch FROM t.completed_at) * 1000)::bigint, 0) FROM transfers t WHERE "
                        "t.id = $1 AND EXISTS (SELECT 1 FROM accounts a WHERE a.owner_id = $2 AND "
                        "a.id IN (t.source_account_id, t.destination_account_id))",
                        2, params);
        if (res && PQntuples (res) == 1) {
            wf_account_transfer_t t = {
                .id = wf_str_c (PQgetvalue (res, 0, 0)),
                .source_account_id = wf_str_c (PQgetvalue (res, 0, 1)),
                .destination_account_id = wf_str_c (PQgetvalue (res, 0, 2)),
                .amount = atoll (PQgetvalue (res, 0, 3)),
                .currency = wf_str_c (PQgetvalue (res, 0, 4)),
                .digits = s_digits (PQgetvalue (res, 0, 4)),
                .status = wf_str_c (PQgetvalue (res, 0, 5)),
                .created_at_ms = atoll (PQgetvalue (res, 0, 6)),
                .completed_at_ms = atoll (PQgetvalue (res, 0, 7)),
            };
            wf_mdp_worker_reply (self->worker, client, env, WF_MSG_ACCOUNT_TRANSFER, &t,
                                 &self->scratch);
        } else if (res)
            wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_NOT_FOUND,
                                       "No such transfer.", &self->scratch);
    } else {
        wf_mdp_worker_reply_error (self->worker, client, env,
                                   has_account || wf_str_eq (q->kind, "list") ? WF_ERR_BAD_REQUEST
                                                                              : WF_ERR_NOT_FOUND,
                                   "No such account or query.", &self->scratch);
        return;
    }
    if (!res)
        wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_UNAVAILABLE,
                                   "the database is unavailable", &self->scratch);
done:
    PQclear (res);
}

//  Decodes one request and answers it.
static void
s_handle (self_t *self, zmsg_t *request)
{
    zframe_t *client = zmsg_pop (request);
    wf_envelope_t env;
    wf_codec_err_t err;
    if (wf_wire_decode (request, &env, self->request, &err) != 0)
        wf_log (WF_LOG_WARN, "query", "rejected", NULL, "reason=\"%s\"", err.detail);
    else if (env.type != WF_MSG_ACCOUNT_QUERY)
        wf_mdp_worker_reply_error (self->worker, client, &env, WF_ERR_BAD_REQUEST,
                                   "the query service answers account.query only", &self->scratch);
    else
        s_answer (self, client, &env, &self->request->account_query);
    zframe_destroy (&client);
}

//  wf_mdp_worker_serve's handler.
static void
s_serve (void *arg, zmsg_t *request)
{
    s_handle ((self_t *) arg, request);
}

void
wf_query_actor (zsock_t *pipe, void *args)
{
    self_t self = {.config = (const wf_query_config_t *) args};
    wf_mdp_worker_config_t worker = {.broker_endpoint = self.config->broker_endpoint,
                                     .service = "query",
                                     .heartbeat_interval_ms = self.config->heartbeat_interval_ms,
                                     .curve_client_cert = self.config->curve_client_cert,
                                     .curve_server_key = self.config->curve_server_key};
    self.worker = wf_mdp_worker_new (&worker);
    self.pg = wf_pg_new (self.config->pg_url, "query");
    self.request = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
    self.reply = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
    self.metrics = wf_metrics_new ("query");
    self.redis = wf_redis_new (self.config->redis_url, "query");
    self.cache_hits =
        wf_metrics_counter (self.metrics, "wf_query_cache_total", "Account reads by cache outcome.",
                            "outcome", "hit", NULL);
    self.cache_misses =
        wf_metrics_counter (self.metrics, "wf_query_cache_total", "Account reads by cache outcome.",
                            "outcome", "miss", NULL);
    wf_buf_init (&self.scratch);
    zsock_signal (pipe, self.worker ? 0 : 1);
    zpoller_t *poller =
        self.worker ? zpoller_new (pipe, wf_mdp_worker_sock (self.worker), NULL) : NULL;
    while (poller) {
        void *which = zpoller_wait (poller, wf_mdp_worker_timeout_ms (self.worker));
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            if (!term && streq (command, "METRICS")) {
                char *text = wf_metrics_text (self.metrics);
                zstr_send (pipe, text);
                free (text);
            }
            zstr_free (&command);
            if (term)
                break;
        } else if (which) {
            wf_mdp_worker_serve (self.worker, QUERY_BATCH_MAX, s_serve, &self);
        } else if (zpoller_terminated (poller))
            break;
        wf_mdp_worker_tick (self.worker);
    }
    zpoller_destroy (&poller);
    wf_mdp_worker_destroy (&self.worker);
    wf_pg_destroy (&self.pg);
    wf_redis_destroy (&self.redis);
    wf_metrics_destroy (&self.metrics);
    wf_buf_free (&self.scratch);
    free (self.request);
    free (self.reply);
}
