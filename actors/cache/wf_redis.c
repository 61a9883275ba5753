/*  wf_redis - one Redis connection owned by one actor.  */
#include "wf_redis.h"
#include "wf_log.h"
#include <czmq.h>

struct _wf_redis_t {
    char host[256];
    int port;
    int db;
    bool configured;
    char *owner;
    redisContext *ctx;
    int64_t retry_at_ms;
    int backoff_ms;
    bool was_up;
    int timeout_ms;
    const char *fallback; //  static text for the log line
};

//  Parses redis://host:port[/db] into self; false when malformed.
static bool
s_parse (wf_redis_t *self, const char *url)
{
    if (!url || strncmp (url, "redis://", 8) != 0)
        return false;
    const char *host = url + 8;
    const char *colon = strchr (host, ':');
    size_t host_len = colon ? (size_t) (colon - host) : strcspn (host, "/");
    if (host_len == 0 || host_len >= sizeof self->host)
        return false;
    memcpy (self->host, host, host_len);
    self->host[host_len] = 0;
    self->port = colon ? atoi (colon + 1) : 6379;
    const char *slash = strchr (host, '/');
    self->db = slash ? atoi (slash + 1) : 0;
    return self->port > 0 && self->port < 65536;
}

wf_redis_t *
wf_redis_new (const char *url, const char *owner)
{
    wf_redis_t *self = (wf_redis_t *) zmalloc (sizeof (wf_redis_t));
    self->configured = s_parse (self, url);
    self->owner = strdup (owner);
    self->was_up = true;
    self->timeout_ms = WF_REDIS_TIMEOUT_MS;
    self->fallback = "postgres";
    return self;
}

void
wf_redis_destroy (wf_redis_t **self_p)
{
    wf_redis_t *self = *self_p;
    if (!self)
        return;
    if (self->ctx)
        redisFree (self->ctx);
    free (self->owner);
    free (self);
    *self_p = NULL;
}

//  Opens a connection with bounded connect and I/O timeouts.
static redisContext *
s_connect (wf_redis_t *self)
{
    struct timeval timeout = {self->timeout_ms / 1000, (self->timeout_ms % 1000) * 1000};
    redisContext *ctx = redisConnectWithTimeout (self->host, self->port, timeout);
    if (!ctx || ctx->err || redisSetTimeout (ctx, timeout) != REDIS_OK) {
        if (ctx)
            redisFree (ctx);
        return NULL;
    }
    if (self->db) {
        redisReply *reply = (redisReply *) redisCommand (ctx, "SELECT %d", self->db);
        bool ok = reply && reply->type != REDIS_REPLY_ERROR;
        if (reply)
            freeReplyObject (reply);
        if (!ok) {
            redisFree (ctx);
            return NULL;
        }
    }
    return ctx;
}

redisContext *
wf_redis_ctx (wf_redis_t *self)
{
    if (self->ctx)
        return self->ctx;
    int64_t now = zclock_mono ();
    if (!self->configured || now < self->retry_at_ms)
        return NULL;
    self->ctx = s_connect (self);
    if (self->ctx) {
        if (!self->was_up)
            wf_log (WF_LOG_INFO, self->owner, "redis_up", NULL, "host=%s port=%d", self->host,
                    self->port);
        self->was_up = true;
        self->backoff_ms = 0;
        return self->ctx;
    }
    if (self->was_up)
        wf_log (WF_LOG_WARN, self->owner, "redis_down", NULL, "host=%s port=%d fallback=%s",
                self->host, self->port, self->fallback);
    self->was_up = false;
    self->backoff_ms = self->backoff_ms ? self->backoff_ms * 2 : 50;
    if (self->backoff_ms > WF_REDIS_BACKOFF_MS_MAX)
        self->backoff_ms = WF_REDIS_BACKOFF_MS_MAX;
    self->retry_at_ms = now + self->backoff_ms;
    return NULL;
}

void
wf_redis_failed (wf_redis_t *self)
{
    if (self->ctx) {
        redisFree (self->ctx);
        self->ctx = NULL;
    }
    self->retry_at_ms = zclock_mono () + 50;
}

void
wf_redis_set_timeout (wf_redis_t *self, int timeout_ms, const char *fallback)
{
    assert (timeout_ms > 0 && fallback);
    self->timeout_ms = timeout_ms;
    self->fallback = fallback;
}
