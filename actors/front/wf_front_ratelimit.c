/*  wf_front_ratelimit - shared token buckets (Redis) with per-process fallback.  */
#include "wf_front_ratelimit.h"
#include "wf_log.h"
#include "wf_redis.h"
#include <assert.h>
#include <czmq.h>
#include <sodium.h>

#define S_BUCKETS_MAX  2 //  a request's buckets: user and address
#define S_DIGEST_BYTES 16
#define S_KEY_BYTES    (WF_RATELIMIT_PREFIX_BYTES_MAX + 16 + 2 * S_DIGEST_BYTES)
//  Every process must derive the same key names: a fixed digest context.
#define S_DIGEST_CONTEXT "walletflow rate limit v1"

/*  The shared bucket, atomically: takes one token from every bucket in KEYS
    or from none. ARGV holds per_min and burst of each key. Tokens are
    counted in 1/60000ths, refilled per_min units a millisecond (exact, as in
    wf_token_bucket.c), on the Redis server's clock. A key expires once it
    would have refilled completely: a missing key is a full bucket.
    Returns {1, 0, 0}, or {0, retry_ms, index of the empty bucket}.  */
static const char s_script[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local units, stamps, worst, which = {}, {}, 0, 0\n"
    "for i = 1, #KEYS do\n"
    "  local per_min = tonumber(ARGV[2 * i - 1])\n"
    "  local capacity = tonumber(ARGV[2 * i]) * 60000\n"
    "  local v = redis.call('HMGET', KEYS[i], 'u', 't')\n"
    "  local u, at = tonumber(v[1]), tonumber(v[2])\n"
    "  if u == nil or at == nil then u, at = capacity, now end\n"
    "  local elapsed = now - at\n"
    "  if elapsed > 0 then\n"
    "    if elapsed > 86400000 then elapsed = 86400000 end\n"
    "    u = math.min(capacity, u + elapsed * per_min)\n"
    "    at = now\n"
    "  end\n"
    "  units[i], stamps[i] = u, at\n"
    "  if u < 60000 then\n"
    "    local wait = math.ceil((60000 - u) / per_min)\n"
    "    if wait > worst then worst, which = wait, i end\n"
    "  end\n"
    "end\n"
    "if which > 0 then return {0, worst, which} end\n"
    "for i = 1, #KEYS do\n"
    "  local per_min = tonumber(ARGV[2 * i - 1])\n"
    "  local capacity = tonumber(ARGV[2 * i]) * 60000\n"
    "  redis.call('HSET', KEYS[i], 'u', units[i] - 60000, 't', stamps[i])\n"
    "  redis.call('PEXPIRE', KEYS[i], math.ceil(capacity / per_min) + 1000)\n"
    "end\n"
    "return {1, 0, 0}\n";

typedef struct {
    const char *scope; //  "user" or "address"
    const wf_token_rate_t *rate;
    char redis_key[S_KEY_BYTES];
    uint64_t table_key;
    wf_token_bucket_t *bucket;
} s_bucket_ref_t;

struct _wf_front_ratelimit_t {
    bool disabled;
    char prefix[WF_RATELIMIT_PREFIX_BYTES_MAX + 1];
    wf_token_rate_t auth_address;
    wf_token_rate_t auth_user;
    wf_token_rate_t money_user;
    wf_token_rate_t money_address;
    wf_redis_t *redis; //  NULL without a URL
    char sha[41];      //  the loaded script's SHA1; "" until SCRIPT LOAD
    int64_t retry_at_ms;
    int64_t backoff_ms;
    bool redis_up;
    bool state_logged;
    wf_token_table_t *table;
    wf_metrics_t *metrics;
    wf_metric_t *fallback_total;
    wf_metric_t *redis_errors_total;
    wf_metric_t *redis_up_gauge;
};

//  A rate with its defaults; false when out of range.
static bool
s_rate (wf_token_rate_t *out, const wf_token_rate_t *given, int64_t per_min, int64_t burst)
{
    out->per_min = given->per_min ? given->per_min : per_min;
    out->burst = given->burst ? given->burst : burst;
    return out->per_min >= 1 && out->per_min <= WF_TOKEN_BUCKET_PER_MIN_MAX && out->burst >= 1 &&
           out->burst <= WF_TOKEN_BUCKET_BURST_MAX;
}

wf_front_ratelimit_t *
wf_front_ratelimit_new (const wf_front_ratelimit_config_t *config, wf_metrics_t *metrics)
{
    assert (config && metrics);
    if (sodium_init () < 0)
        return NULL;
    const char *prefix =
        config->prefix && *config->prefix ? config->prefix : WF_RATELIMIT_PREFIX_DEFAULT;
    wf_front_ratelimit_t *self = (wf_front_ratelimit_t *) zmalloc (sizeof (wf_front_ratelimit_t));
    bool ok = strlen (prefix) <= WF_RATELIMIT_PREFIX_BYTES_MAX && config->timeout_ms >= 0;
    ok = ok && s_rate (&self->auth_address, &config->auth_address,
                       WF_RATELIMIT_AUTH_ADDRESS_PER_MIN_DEFAULT,
                       WF_RATELIMIT_AUTH_ADDRESS_BURST_DEFAULT);
    ok = ok &&
         s_rate (&self->money_user, &config->money_user, WF_RATELIMIT_MONEY_USER_PER_MIN_DEFAULT,
                 WF_RATELIMIT_MONEY_USER_BURST_DEFAULT);
    ok = ok && s_rate (&self->auth_user, &config->auth_user, WF_RATELIMIT_AUTH_USER_PER_MIN_DEFAULT,
                       WF_RATELIMIT_AUTH_USER_BURST_DEFAULT);
    ok = ok && s_rate (&self->money_address, &config->money_address,
                       WF_RATELIMIT_MONEY_ADDRESS_PER_MIN_DEFAULT,
                       WF_RATELIMIT_MONEY_ADDRESS_BURST_DEFAULT);
    if (!ok) {
        free (self);
        return NULL;
    }
    self->disabled = config->disabled;
    snprintf (self->prefix, sizeof self->prefix, "%s", prefix);
    self->table = wf_token_table_new (WF_RATELIMIT_TABLE_ENTRIES);
    self->backoff_ms = WF_RATELIMIT_BACKOFF_MS_MIN;
    if (config->redis_url && *config->redis_url) {
        self->redis = wf_redis_new (config->redis_url, "front");
        wf_redis_set_timeout (
            self->redis, config->timeout_ms ? config->timeout_ms : WF_RATELIMIT_TIMEOUT_MS_DEFAULT,
            "in_process_rate_limits");
    }
    self->metrics = metrics;
    self->fallback_total = wf_metrics_counter (
        metrics, "wf_ratelimit_fallback_total",
        "Rate-limit decisions taken on this process's own buckets because Redis was unavailable.",
        NULL);
    self->redis_errors_total =
        wf_metrics_counter (metrics, "wf_ratelimit_redis_errors_total",
                            "Rate-limit Redis round trips that failed or timed out.", NULL);
    self->redis_up_gauge =
        wf_metrics_gauge (metrics, "wf_ratelimit_redis_up",
                          "1 while the rate limiter's last Redis round trip worked.", NULL);
    return self;
}

void
wf_front_ratelimit_destroy (wf_front_ratelimit_t **self_p)
{
    assert (self_p);
    wf_front_ratelimit_t *self = *self_p;
    if (self) {
        wf_redis_destroy (&self->redis);
        wf_token_table_destroy (&self->table);
        free (self);
        *self_p = NULL;
    }
}

//  True when pattern is prefix itself or lies under it ("prefix/...").
static bool
s_under (const char *pattern, const char *prefix)
{
    size_t len = strlen (prefix);
    return strncmp (pattern, prefix, len) == 0 && (pattern[len] == 0 || pattern[len] == '/');
}

wf_rate_class_t
wf_front_ratelimit_classify (wf_http_method_t method, const char *pattern)
{
    if (!pattern)
        return WF_RATE_CLASS_NONE;
    if (method == WF_HTTP_POST &&
        (streq (pattern, "/api/auth/register") || streq (pattern, "/api/auth/login") ||
         streq (pattern, "/api/auth/refresh")))
        return WF_RATE_CLASS_AUTH;
    bool writes = method == WF_HTTP_POST || method == WF_HTTP_PUT || method == WF_HTTP_PATCH ||
                  method == WF_HTTP_DELETE;
    if (writes && (s_under (pattern, "/api/accounts") || s_under (pattern, "/api/holds") ||
                   s_under (pattern, "/api/transactions")))
        return WF_RATE_CLASS_MONEY;
    return WF_RATE_CLASS_NONE;
}

//  Fills a bucket reference: its Redis key and its table key.
static void
s_bucket_ref (const wf_front_ratelimit_t *self, s_bucket_ref_t *ref, const char *class_name,
              const char *scope, const char *text, const wf_token_rate_t *rate)
{
    uint8_t digest[S_DIGEST_BYTES];
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, sizeof digest);
    crypto_generichash_update (&state, (const uint8_t *) S_DIGEST_CONTEXT, sizeof S_DIGEST_CONTEXT);
    crypto_generichash_update (&state, (const uint8_t *) class_name, strlen (class_name) + 1);
    crypto_generichash_update (&state, (const uint8_t *) scope, strlen (scope) + 1);
    crypto_generichash_update (&state, (const uint8_t *) text, strlen (text));
    crypto_generichash_final (&state, digest, sizeof digest);
    char hex[2 * S_DIGEST_BYTES + 1];
    sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
    snprintf (ref->redis_key, sizeof ref->redis_key, "%s%s:%c:%s", self->prefix, class_name,
              scope[0], hex);
    memcpy (&ref->table_key, digest, sizeof ref->table_key);
    ref->scope = scope;
    ref->rate = rate;
    ref->bucket = NULL;
}

//  Logs a change of the limiter's Redis state, once per change.
static void
s_redis_state (wf_front_ratelimit_t *self, bool up, const char *detail)
{
    wf_metric_set (self->redis_up_gauge, up ? 1 : 0);
    if (self->redis_up == up && self->state_logged)
        return;
    self->redis_up = up;
    self->state_logged = true;
    char quoted[WF_LOG_VALUE_BYTES_MAX];
    if (up)
        wf_log (WF_LOG_INFO, "front", "ratelimit_redis_up", NULL, "shared=redis");
    else
        wf_log (WF_LOG_WARN, "front", "ratelimit_redis_down", NULL, "detail=%s fallback=in_process",
                wf_log_quote (quoted, sizeof quoted, detail));
}

//  A Redis round trip failed: drop the connection and stay on the process's
//  own buckets for the back-off.
static void
s_redis_failed (wf_front_ratelimit_t *self, const char *detail)
{
    wf_metric_inc (self->redis_errors_total, 1);
    wf_redis_failed (self->redis);
    self->sha[0] = 0;
    self->retry_at_ms = zclock_mono () + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > WF_RATELIMIT_BACKOFF_MS_MAX
                           ? WF_RATELIMIT_BACKOFF_MS_MAX
                           : self->backoff_ms * 2;
    s_redis_state (self, false, detail);
}

//  Runs the script on the shared buckets. 0 with *allowed, *retry_ms and
//  *which filled; -1 when Redis is unavailable.
static int
s_redis_take (wf_front_ratelimit_t *self, s_bucket_ref_t *refs, size_t count, bool *allowed,
              int64_t *retry_ms, size_t *which)
{
    if (!self->redis || zclock_mono () < self->retry_at_ms)
        return -1;
    redisContext *ctx = wf_redis_ctx (self->redis);
    if (!ctx) {
        s_redis_failed (self, "cannot connect");
        return -1;
    }
    if (!self->sha[0]) {
        redisReply *loaded = (redisReply *) redisCommand (ctx, "SCRIPT LOAD %s", s_script);
        bool ok = loaded && loaded->type == REDIS_REPLY_STRING && loaded->len == 40;
        if (ok)
            memcpy (self->sha, loaded->str, 41);
        if (loaded)
            freeReplyObject (loaded);
        if (!ok) {
            s_redis_failed (self, ctx->err ? ctx->errstr : "SCRIPT LOAD refused");
            return -1;
        }
    }
    const char *argv[3 + 3 * S_BUCKETS_MAX];
    char numbers[2 * S_BUCKETS_MAX][24];
    size_t argc = 0;
    argv[argc++] = "EVALSHA";
    argv[argc++] = self->sha;
    char keys_count[4];
    snprintf (keys_count, sizeof keys_count, "%zu", count);
    argv[argc++] = keys_count;
    for (size_t i = 0; i < count; i++)
        argv[argc++] = refs[i].redis_key;
    for (size_t i = 0; i < count; i++) {
        snprintf (numbers[2 * i], sizeof numbers[0], "%" PRId64, refs[i].rate->per_min);
        snprintf (numbers[2 * i + 1], sizeof numbers[0], "%" PRId64, refs[i].rate->burst);
        argv[argc++] = numbers[2 * i];
        argv[argc++] = numbers[2 * i + 1];
    }
    redisReply *reply = (redisReply *) redisCommandArgv (ctx, (int) argc, argv, NULL);
    bool ok = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
              reply->element[0]->type == REDIS_REPLY_INTEGER &&
              reply->element[1]->type == REDIS_REPLY_INTEGER &&
              reply->element[2]->type == REDIS_REPLY_INTEGER;
    if (ok) {
        *allowed = reply->element[0]->integer == 1;
        *retry_ms = reply->element[1]->integer;
        long long index = reply->element[2]->integer;
        *which = index >= 1 && (size_t) index <= count ? (size_t) index - 1 : 0;
    }
    char detail[128];
    snprintf (detail, sizeof detail, "%s",
              reply && reply->type == REDIS_REPLY_ERROR ? reply->str
              : ctx->err                                ? ctx->errstr
                                                        : "unexpected reply");
    if (reply)
        freeReplyObject (reply);
    if (!ok) {
        //  NOSCRIPT (Redis restarted, SCRIPT FLUSH) lands here too: the next
        //  attempt loads the script again.
        s_redis_failed (self, detail);
        return -1;
    }
    self->backoff_ms = WF_RATELIMIT_BACKOFF_MS_MIN;
    s_redis_state (self, true, NULL);
    return 0;
}

//  Counts one decision.
static void
s_count (wf_front_ratelimit_t *self, const char *class_name, const char *result, const char *scope)
{
    wf_metrics_counter_add (self->metrics, "wf_ratelimit_decisions_total",
                            "Rate-limited requests by class, result and the bucket that refused.",
                            1, "class", class_name, "result", result, "scope", scope, NULL);
}

int
wf_front_ratelimit_check (wf_front_ratelimit_t *self, wf_rate_class_t rate_class, const char *user,
                          const char *address, int64_t now_ms, int64_t *retry_after_s,
                          const char **scope)
{
    assert (self && user && address && retry_after_s && scope);
    *retry_after_s = 0;
    *scope = "";
    if (self->disabled || rate_class == WF_RATE_CLASS_NONE)
        return 0;
    const char *class_name = rate_class == WF_RATE_CLASS_AUTH ? "auth" : "money";
    s_bucket_ref_t refs[S_BUCKETS_MAX];
    size_t count = 0;
    if (*user)
        s_bucket_ref (self, &refs[count++], class_name, "user", user,
                      rate_class == WF_RATE_CLASS_AUTH ? &self->auth_user : &self->money_user);
    s_bucket_ref (self, &refs[count++], class_name, "address", address,
                  rate_class == WF_RATE_CLASS_AUTH ? &self->auth_address : &self->money_address);
    //  This process's buckets first: all or nothing, like the script.
    int64_t retry_ms = 0;
    for (size_t i = 0; i < count; i++) {
        refs[i].bucket = wf_token_table_get (self->table, refs[i].table_key, refs[i].rate, now_ms);
        if (!wf_token_bucket_take (refs[i].bucket, refs[i].rate, now_ms, &retry_ms)) {
            for (size_t j = 0; j < i; j++)
                wf_token_bucket_refund (refs[j].bucket, refs[j].rate);
            *scope = refs[i].scope;
            *retry_after_s = (retry_ms + 999) / 1000;
            s_count (self, class_name, "limited", *scope);
            return -1;
        }
    }
    bool allowed = true;
    size_t which = 0;
    if (s_redis_take (self, refs, count, &allowed, &retry_ms, &which) != 0) {
        if (self->redis)
            wf_metric_inc (self->fallback_total, 1);
    } else if (!allowed) {
        //  Another process spent the shared tokens: ours go back, so this
        //  process's buckets never count more than the shared ones.
        for (size_t i = 0; i < count; i++)
            wf_token_bucket_refund (refs[i].bucket, refs[i].rate);
        *scope = refs[which].scope;
        *retry_after_s = retry_ms > 0 ? (retry_ms + 999) / 1000 : 1;
        s_count (self, class_name, "limited", *scope);
        return -1;
    }
    s_count (self, class_name, "allowed", "none");
    return 0;
}

bool
wf_front_ratelimit_redis_up (const wf_front_ratelimit_t *self)
{
    assert (self);
    return self->redis && self->redis_up;
}
