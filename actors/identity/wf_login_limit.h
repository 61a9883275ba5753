/*  wf_login_limit - rate limits on failed logins, per email and per client
    address, in Redis with an in-process fallback.

    Each failed login adds one to two counters in fixed windows: one for the
    email, one for the client address. While either has reached its maximum,
    further logins for that email or from that address are refused (429) until
    the window ends; the answer says how long (Retry-After). A successful login
    clears its email's counter, not the address's.

    Redis holds the counters so every identity process sees the same counts:
        fail:  INCR key, TTL key   (both keys, one pipelined round trip; a key
               left without a TTL gets EXPIRE key window_s, so a counter can
               never outlive its window for good)
        check: GET key, PTTL key   (both keys, one round trip)
        clear: DEL key
    Keys are <prefix>email:<hex> and <prefix>addr:<hex>, where hex is a keyed
    BLAKE2b digest of the text: no email address is stored in Redis.

    Redis is a dependency that fails: every command has a short timeout; a
    failure drops the connection, and reconnecting waits a capped exponential
    backoff. Meanwhile (and always, in parallel) the counters live in a bounded
    wf_rate_table, and a check takes the larger of the two counts: limits hold
    with Redis down, per process. State changes are logged once each.

    Owned by one actor; the Redis calls block it for at most the timeout.
*/
#ifndef WF_LOGIN_LIMIT_H_INCLUDED
#define WF_LOGIN_LIMIT_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#define WF_LOGIN_LIMIT_TIMEOUT_MS_DEFAULT     100  //  one Redis round trip
#define WF_LOGIN_LIMIT_BACKOFF_MS_MIN         100  //  first reconnect delay
#define WF_LOGIN_LIMIT_BACKOFF_MS_MAX         5000 //  reconnect delay cap
#define WF_LOGIN_LIMIT_TABLE_ENTRIES          65536
#define WF_LOGIN_LIMIT_PREFIX_DEFAULT         "wf:login:"
#define WF_LOGIN_LIMIT_PREFIX_BYTES_MAX       64
#define WF_LOGIN_LIMIT_EMAIL_FAILURES_DEFAULT 5
#define WF_LOGIN_LIMIT_ADDR_FAILURES_DEFAULT  20
#define WF_LOGIN_LIMIT_WINDOW_S_DEFAULT       900

typedef struct {
    const char *redis_url;    //  redis://[:password@]host[:port][/db]; NULL: in-process only
    const char *prefix;       //  NULL: WF_LOGIN_LIMIT_PREFIX_DEFAULT
    int email_failures_max;   //  0: default
    int address_failures_max; //  0: default
    int window_s;             //  0: default
    int timeout_ms;           //  0: default
} wf_login_limit_config_t;

typedef struct _wf_login_limit_t wf_login_limit_t;

//  Create a limiter; connects to Redis lazily. NULL when the URL or a limit
//  is malformed.
wf_login_limit_t *wf_login_limit_new (const wf_login_limit_config_t *config);

//  Destroy it. Idempotent; nulls *self_p.
void wf_login_limit_destroy (wf_login_limit_t **self_p);

//  May a login for email from address go ahead at now_ms? Returns 0, or -1
//  with *retry_after_s (>= 1) when a limit is reached. address may be "".
int wf_login_limit_check (wf_login_limit_t *self, const char *email, const char *address,
                          int64_t now_ms, int64_t *retry_after_s);

//  Count one failed login.
void wf_login_limit_fail (wf_login_limit_t *self, const char *email, const char *address,
                          int64_t now_ms);

//  A login succeeded: clear the email's counter.
void wf_login_limit_succeed (wf_login_limit_t *self, const char *email);

//  True while the last Redis round trip worked (false without Redis).
bool wf_login_limit_redis_up (const wf_login_limit_t *self);

#endif
