/*  wf_redis - one Redis connection owned by one actor, reconnected on demand.

    Redis is a cache and a limiter here, never the truth: every call has a
    short timeout, a failure drops the connection, and wf_redis_ctx () returns
    NULL (callers fall back to PostgreSQL or an in-process limit) until a
    capped exponential backoff allows the next attempt. State changes are
    logged once.
*/
#ifndef WF_REDIS_H_INCLUDED
#define WF_REDIS_H_INCLUDED

#include <hiredis/hiredis.h>
#include <stdbool.h>

#define WF_REDIS_TIMEOUT_MS     100
#define WF_REDIS_BACKOFF_MS_MAX 2000

typedef struct _wf_redis_t wf_redis_t;

//  Parses redis://host:port[/db]; connects lazily. NULL url = always down.
wf_redis_t *wf_redis_new (const char *url, const char *owner);
void wf_redis_destroy (wf_redis_t **self_p);

//  A live context, or NULL when Redis is unreachable now.
redisContext *wf_redis_ctx (wf_redis_t *self);

//  Tells wf_redis a call failed: the connection is dropped.
void wf_redis_failed (wf_redis_t *self);

//  Bounds connect and every round trip by timeout_ms (default WF_REDIS_TIMEOUT_MS)
//  and names what callers do meanwhile in the redis_down log line (default
//  "postgres"); for callers on a latency-critical thread (the front's limiter).
void wf_redis_set_timeout (wf_redis_t *self, int timeout_ms, const char *fallback);

#endif
