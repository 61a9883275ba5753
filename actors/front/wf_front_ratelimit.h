/*  wf_front_ratelimit - token-bucket rate limits on the auth and money
    endpoints, per user and per client address, shared through Redis.

    Routes fall into classes by method and pattern (wf_front_ratelimit_classify),
    so a route added later under a limited prefix is limited without a change
    here:
      auth   POST /api/auth/register, /api/auth/login, /api/auth/refresh:
             one bucket per client address, and one per user: the body's
             email (register, login) or refresh token (refresh), since these
             callers carry no access token (identity also limits failed
             logins per email, wf_login_limit.h)
      money  any POST, PUT, PATCH or DELETE under /api/accounts, /api/holds or
             /api/transactions: one bucket per user (the bearer token's
             subject, when it verifies) and one per client address
    A request takes one token from each of its buckets, or from none: when
    one is empty the answer is 429 problem+json with Retry-After.

    Every front process shares its buckets through Redis: one EVALSHA of an
    atomic Lua script per request (the arithmetic of wf_token_bucket.h, the
    clock of the Redis server), bounded by a short timeout since it runs on
    the front's bridge thread. Each process also keeps its own bucket table, consulted
    first: a client it already refuses costs no round trip, and when Redis is
    down or slow (logged once per change, counted in /metrics) the same
    limits hold per process. After a Redis failure the limiter stays on its
    own buckets for a capped, doubling back-off before it tries again, so a
    hung Redis costs at most one timeout per back-off.

    Owned by the front's bridge thread (wf_front.c), which answers the HTTP
    thread's "LIMIT" questions: a slow Redis delays the limited requests,
    never the lws loop (health, the hub, other routes). No locks.
*/
#ifndef WF_FRONT_RATELIMIT_H_INCLUDED
#define WF_FRONT_RATELIMIT_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "wf_front_router.h"
#include "wf_metrics.h"
#include "wf_token_bucket.h"

#define WF_RATELIMIT_PREFIX_DEFAULT     "wf:rl:"
#define WF_RATELIMIT_PREFIX_BYTES_MAX   64
#define WF_RATELIMIT_TIMEOUT_MS_DEFAULT 50   //  one Redis round trip (bridge thread)
#define WF_RATELIMIT_BACKOFF_MS_MIN     100  //  first wait after a Redis failure
#define WF_RATELIMIT_BACKOFF_MS_MAX     2000 //  cap of the doubling wait
#define WF_RATELIMIT_TABLE_ENTRIES      65536
//  Defaults: generous for people and honest integrations, firm for scripts.
#define WF_RATELIMIT_AUTH_ADDRESS_PER_MIN_DEFAULT  300
#define WF_RATELIMIT_AUTH_ADDRESS_BURST_DEFAULT    100
#define WF_RATELIMIT_AUTH_USER_PER_MIN_DEFAULT     60
#define WF_RATELIMIT_AUTH_USER_BURST_DEFAULT       20
#define WF_RATELIMIT_MONEY_USER_PER_MIN_DEFAULT    1200
#define WF_RATELIMIT_MONEY_USER_BURST_DEFAULT      200
#define WF_RATELIMIT_MONEY_ADDRESS_PER_MIN_DEFAULT 6000
#define WF_RATELIMIT_MONEY_ADDRESS_BURST_DEFAULT   1000

typedef enum { WF_RATE_CLASS_NONE, WF_RATE_CLASS_AUTH, WF_RATE_CLASS_MONEY } wf_rate_class_t;

typedef struct {
    bool disabled;                //  no limits at all (benchmarks)
    const char *redis_url;        //  NULL or "": per-process buckets only
    const char *prefix;           //  Redis key prefix; NULL = default
    int timeout_ms;               //  0 = default
    wf_token_rate_t auth_address; //  a zero field = its default
    wf_token_rate_t auth_user;
    wf_token_rate_t money_user;
    wf_token_rate_t money_address;
} wf_front_ratelimit_config_t;

typedef struct _wf_front_ratelimit_t wf_front_ratelimit_t;

//  A limiter counting into metrics (borrowed). NULL when the configuration is
//  malformed (prefix too long, a rate out of range).
wf_front_ratelimit_t *wf_front_ratelimit_new (const wf_front_ratelimit_config_t *config,
                                              wf_metrics_t *metrics);
void wf_front_ratelimit_destroy (wf_front_ratelimit_t **self_p);

//  The class of a route (its method and pattern, not the request's path).
wf_rate_class_t wf_front_ratelimit_classify (wf_http_method_t method, const char *pattern);

//  May a request of this class from user ("" when unknown: the access
//  token's subject for money, the email or refresh token for auth) at
//  address go ahead at now_ms? 0, or -1 with *retry_after_s (>= 1) and *scope ("user" or
//  "address") of the bucket that is empty.
int wf_front_ratelimit_check (wf_front_ratelimit_t *self, wf_rate_class_t rate_class,
                              const char *user, const char *address, int64_t now_ms,
                              int64_t *retry_after_s, const char **scope);

//  True while the last Redis round trip worked (false without Redis).
bool wf_front_ratelimit_redis_up (const wf_front_ratelimit_t *self);

#endif
