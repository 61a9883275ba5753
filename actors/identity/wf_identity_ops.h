/*  wf_identity_ops - the identity service's operations, for its actor only.

    wf_identity.c owns the loop: it decodes each request and calls one
    operation here, and hands each hashing report to wf_identity_op_job_done.
    Operations answer through the state's worker; those that hash take a call
    context from the state's fixed table, which holds what the reply needs
    until the job's report arrives. Not a public interface.
*/
#ifndef WF_IDENTITY_OPS_H_INCLUDED
#define WF_IDENTITY_OPS_H_INCLUDED

#include <czmq.h>
#include "wf_hash_pool.h"
#include "wf_identity.h"
#include "wf_identity_store.h"
#include "wf_mdp_worker.h"
#include "wf_metrics.h"
#include "wf_pg.h"

#define WF_IDENTITY_CLIENT_IP_BYTES_MAX 64

typedef enum {
    WF_IDENTITY_CALL_REGISTER = 1,
    WF_IDENTITY_CALL_LOGIN,
    WF_IDENTITY_CALL_REHASH
} wf_identity_call_kind_t;

//  A request waiting for its hashing job. Holds a copy of what the reply
//  needs, since the request's frames are gone by then.
typedef struct {
    wf_identity_call_kind_t kind;
    zframe_t *client; //  NULL for a re-hash, which answers nobody
    wf_msg_id_t type;
    uint64_t correlation_id;
    int64_t deadline_ms;
    char request_id[WF_REQUEST_ID_BYTES_MAX + 1];
    char traceparent[WF_TRACEPARENT_BYTES_MAX + 1];
    char client_ip[WF_IDENTITY_CLIENT_IP_BYTES_MAX + 1];
    wf_identity_store_user_t user; //  register: the new user; login: the found one
    bool user_found;
    char password[WF_PASSWORD_BYTES_MAX]; //  login: kept for a re-hash, then wiped
    size_t password_len;
    int64_t started_us;
    wf_hash_job_t job;
} wf_identity_call_t;

//  The actor's state, shared by its loop (wf_identity.c) and its operations.
typedef struct {
    const wf_identity_config_t *config;
    zsock_t *pipe;
    wf_mdp_worker_t *worker;
    wf_pg_t *pg;
    wf_hash_pool_t *pool;
    zsock_t *done; //  the pool's reports
    wf_login_limit_t *limit;
    int64_t refresh_ttl_s; //  the configured one, or the default
    wf_identity_call_t *calls;
    wf_identity_call_t **free_calls; //  stack
    size_t free_count;
    size_t calls_count;
    wf_buf_t scratch;
    wf_any_msg_t *body; //  decoded request, allocated once
    wf_metrics_t *metrics;
    wf_metric_t *hash_seconds;
    wf_metric_t *pool_gauge;
    wf_metric_t *redis_gauge;
} wf_identity_state_t;

//  The operations, one per request message.
void wf_identity_op_register (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                              const wf_identity_register_t *msg);
void wf_identity_op_login (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                           const wf_identity_login_t *msg);
void wf_identity_op_refresh (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                             const wf_identity_refresh_t *msg);
void wf_identity_op_logout (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                            const wf_identity_logout_t *msg);
void wf_identity_op_user (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                          const wf_identity_user_t *msg);

//  Finish the call whose hashing job was reported (done, failed or cancelled).
void wf_identity_op_job_done (wf_identity_state_t *self, wf_identity_call_t *call);

//  Answer an error, with Retry-After when retry_after_s > 0.
void wf_identity_op_error (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                           wf_err_t code, const char *detail, int64_t retry_after_s);

//  Count one answered request by operation and outcome.
void wf_identity_op_count (wf_identity_state_t *self, const char *operation, const char *outcome);

#endif
