/*  wf_identity - the `identity` service: users, passwords and tokens.

    A 7/MDP worker of service "identity". It registers users, logs them in,
    rotates refresh tokens and answers profile reads, with PostgreSQL as its
    store (wf_identity_store), Argon2id password hashing on a bounded thread
    pool (wf_hash_pool), failed-login limits in Redis with an in-process
    fallback (wf_login_limit), and access tokens from wf_jwt.

    Grammar (front -> identity, through the broker; every reply or error
    carries the request's correlation id):
        identity.register {email, first_name, last_name, password, client_ip}
            -> identity.auth.reply
             | error VALIDATION (errors per field) | CONFLICT (email taken)
             | BUSY (hashing pool full; retry_after_s) | UNAVAILABLE (PostgreSQL)
        identity.login {email, password, client_ip}
            -> identity.auth.reply
             | error VALIDATION | UNAUTHORIZED (unknown email or wrong password:
               one answer, one cost) | FORBIDDEN (suspended)
             | TOO_MANY_REQUESTS (retry_after_s) | BUSY | UNAVAILABLE
        identity.refresh {refresh_token, access_token?, client_ip}
            -> identity.auth.reply (a new pair; the presented token is used up)
             | error UNAUTHORIZED (unknown, expired, revoked, reused, or an
               access token that is not ours or names someone else)
             | FORBIDDEN (suspended) | UNAVAILABLE
        identity.logout {refresh_token}  -> identity.logout.reply {revoked}
        identity.user {user_id}          -> identity.user.reply | error NOT_FOUND

    Register and login hand their hashing to the pool and go on serving: the
    loop never runs Argon2id. A job's completion comes back on an inproc PULL
    socket in the same poller; the request's reply goes out then. The pool's
    bound (hash_queue_max outstanding jobs) is the service's bound: past it,
    register and login answer BUSY at once. Register writes the user, its
    UserRegistered outbox row and its first refresh token in one statement.

    Refresh tokens rotate on every use. Presenting a consumed token revokes
    its whole family (a stolen token was replayed) - except within
    refresh_reuse_grace_ms of its consumption, when the presentation is
    refused without revoking: two tabs refreshing at once, or a client
    retrying a refresh whose reply it lost, must not log the user out. The
    same leeway Auth0 and Okta call "reuse interval" / "grace period".

    Pipe commands:
        "$TERM"              exit: the pool stops, waiting jobs are answered
                             UNAVAILABLE, running ones finish first
        "METRICS" -> text    this actor's Prometheus text
*/
#ifndef WF_IDENTITY_H_INCLUDED
#define WF_IDENTITY_H_INCLUDED

#include <czmq.h>
#include "wf_jwt.h"
#include "wf_login_limit.h"
#include "wf_password.h"

#define WF_IDENTITY_HASH_THREADS_DEFAULT   2
#define WF_IDENTITY_HASH_QUEUE_MAX_DEFAULT 32
#define WF_IDENTITY_HASH_QUEUE_MAX         4096 //  contexts are allocated up front
#define WF_IDENTITY_REFRESH_TTL_S_DEFAULT  (7 * 24 * 3600)
#define WF_IDENTITY_REFRESH_TTL_S_MAX      (365 * 24 * 3600)
#define WF_IDENTITY_REUSE_GRACE_MS_DEFAULT 2000
#define WF_IDENTITY_REUSE_GRACE_MS_MAX     60000
#define WF_IDENTITY_BATCH_MAX              64 //  requests or reports per wake-up
#define WF_IDENTITY_BUSY_RETRY_AFTER_S     1

typedef struct {
    const char *broker_endpoint;
    const char *pg_url;
    const char *worker_name;    //  for logs, e.g. "host:pid"
    int heartbeat_interval_ms;  //  0 = default
    zcert_t *curve_client_cert; //  NULL = plain
    const char *curve_server_key;
    const wf_jwt_t *jwt;                 //  issues access tokens; owned by the caller
    const wf_password_t *password;       //  Argon2id at the configured factors; owned by the caller
    size_t hash_threads;                 //  0 = WF_IDENTITY_HASH_THREADS_DEFAULT
    size_t hash_queue_max;               //  0 = WF_IDENTITY_HASH_QUEUE_MAX_DEFAULT
    int64_t refresh_ttl_s;               //  0 = WF_IDENTITY_REFRESH_TTL_S_DEFAULT
    int64_t refresh_reuse_grace_ms;      //  0 = none (walletflow passes the default)
    wf_login_limit_config_t login_limit; //  its redis_url NULL: in-process limits only
} wf_identity_config_t;

//  The actor: zactor_new (wf_identity_actor, (void *) &config). config must
//  outlive the actor. Signals 0 when serving, -1 when it cannot start.
void wf_identity_actor (zsock_t *pipe, void *args);

#endif
