/*  wf_identity_ops - the identity service's operations (see the header).

    Register and login validate, then hand the password to the hashing pool
    and return; their second half runs when the report comes back. Refresh,
    logout and user reads are answered at once. Secrets (passwords, tokens,
    hashes) are wiped from every buffer of ours once used, and never logged.
*/
#include <sodium.h>
#include "wf_account_default_id.h"
#include "wf_identity_ops.h"
#include "wf_identity_validate.h"
#include "wf_log.h"
#include "wf_refresh_token.h"
#include "wf_uuid.h"
#include "wf_wire.h"

#define S_UNAUTHORIZED_LOGIN "Invalid email or password."
#define S_UNAUTHORIZED_TOKEN "The refresh token is invalid, expired or revoked."
#define S_BUSY               "Too many sign-ins at once; retry shortly."

//  Counts one answered request by operation and outcome.
void
wf_identity_op_count (wf_identity_state_t *self, const char *operation, const char *outcome)
{
    wf_metrics_counter_add (self->metrics, "wf_identity_requests_total",
                            "Identity requests answered, by operation and outcome.", 1, "operation",
                            operation, "outcome", outcome, NULL);
}

//  Copies a slice into a NUL-terminated buffer; -1 when it does not fit.
static int
s_copy (char *to, size_t size, wf_str_t from)
{
    if (from.len >= size) {
        return -1;
    }
    memcpy (to, from.ptr ? from.ptr : "", from.len);
    to[from.len] = 0;
    return 0;
}

//  The envelope a call's reply answers (slices into the call).
static wf_envelope_t
s_call_envelope (const wf_identity_call_t *call)
{
    wf_envelope_t env = {
        .version = WF_PROTO_VERSION,
        .type = call->type,
        .correlation_id = call->correlation_id,
        .deadline_ms = call->deadline_ms,
        .request_id = wf_str_c (call->request_id),
        .traceparent = wf_str_c (call->traceparent),
    };
    return env;
}

//  Sends an error reply, with field errors and Retry-After when given.
static void
s_error (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env, wf_err_t code,
         const char *detail, int64_t retry_after_s, const wf_identity_errors_t *errors)
{
    wf_error_t *error = &self->body->error; //  the request was read already
    memset (error, 0, sizeof *error);
    error->code = code;
    error->detail = wf_str_c (detail);
    error->retry_after_s = retry_after_s;
    for (size_t index = 0; errors && index < errors->count; index++) {
        error->errors[index].field = wf_str_c (errors->items[index].field);
        error->errors[index].message = wf_str_c (errors->items[index].message);
        error->errors_count++;
    }
    wf_mdp_worker_reply (self->worker, client, env, WF_MSG_ERROR, error, &self->scratch);
}

void
wf_identity_op_error (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                      wf_err_t code, const char *detail, int64_t retry_after_s)
{
    s_error (self, client, env, code, detail, retry_after_s, NULL);
}

//  Issues an access token for user and sends the auth reply with the new
//  refresh token.
static void
s_reply_auth (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
              const wf_identity_store_user_t *user, const char *refresh_token,
              const char *operation)
{
    wf_jwt_subject_t subject = {user->id, user->email, user->first_name, user->last_name,
                                user->role};
    char access_token[WF_JWT_TOKEN_BYTES_MAX + 1];
    int64_t exp_s;
    if (wf_jwt_issue (self->config->jwt, &subject, wf_clock_ms () / 1000, access_token,
                      sizeof access_token, &exp_s) != 0) {
        s_error (self, client, env, WF_ERR_INTERNAL, "the access token could not be issued", 0,
                 NULL);
        wf_identity_op_count (self, operation, "internal");
        return;
    }
    wf_identity_auth_reply_t reply = {
        .access_token = wf_str_c (access_token),
        .refresh_token = wf_str_c (refresh_token),
        .expires_at_s = exp_s,
        .user_id = wf_str_c (user->id),
        .email = wf_str_c (user->email),
        .first_name = wf_str_c (user->first_name),
        .last_name = wf_str_c (user->last_name),
        .role = wf_str_c (user->role),
        .status = wf_str_c (user->status),
        .created_at_ms = user->created_at_ms,
    };
    wf_mdp_worker_reply (self->worker, client, env, WF_MSG_IDENTITY_AUTH_REPLY, &reply,
                         &self->scratch);
    sodium_memzero (access_token, sizeof access_token);
    wf_identity_op_count (self, operation, "ok");
}

//  A live PostgreSQL connection, or NULL after answering UNAVAILABLE.
static PGconn *
s_conn_or_fail (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                const char *operation)
{
    PGconn *conn = wf_pg_conn (self->pg);
    if (!conn) {
        s_error (self, client, env, WF_ERR_UNAVAILABLE, "the user store is unavailable", 1, NULL);
        wf_identity_op_count (self, operation, "unavailable");
    }
    return conn;
}

//  A query failed: answer UNAVAILABLE and let wf_pg judge the connection.
static void
s_store_failed (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                const char *operation)
{
    wf_pg_failed (self->pg);
    s_error (self, client, env, WF_ERR_UNAVAILABLE, "the user store is unavailable", 1, NULL);
    wf_identity_op_count (self, operation, "unavailable");
}

//  Takes a free call context, or NULL when every one waits for a job.
static wf_identity_call_t *
s_call_new (wf_identity_state_t *self, wf_identity_call_kind_t kind, zframe_t *client,
            const wf_envelope_t *env)
{
    if (self->free_count == 0) {
        return NULL;
    }
    wf_identity_call_t *call = self->free_calls[--self->free_count];
    memset (call, 0, offsetof (wf_identity_call_t, job));
    call->kind = kind;
    call->client = client ? zframe_dup (client) : NULL;
    if (env) {
        call->type = env->type;
        call->correlation_id = env->correlation_id;
        call->deadline_ms = env->deadline_ms;
        s_copy (call->request_id, sizeof call->request_id, env->request_id);
        s_copy (call->traceparent, sizeof call->traceparent, env->traceparent);
    }
    call->started_us = zclock_usecs ();
    return call;
}

//  Returns a call context, wiping every secret it held.
static void
s_call_free (wf_identity_state_t *self, wf_identity_call_t *call)
{
    zframe_destroy (&call->client);
    wf_hash_job_wipe (&call->job);
    sodium_memzero (call->password, sizeof call->password);
    sodium_memzero (call->user.password_hash, sizeof call->user.password_hash);
    call->kind = 0;
    assert (self->free_count < self->calls_count);
    self->free_calls[self->free_count++] = call;
}

//  Submits the call's prepared job; on refusal answers BUSY (when someone
//  waits) and returns -1: the call is still the caller's to free.
static int
s_submit (wf_identity_state_t *self, wf_identity_call_t *call, const wf_envelope_t *env,
          const char *operation)
{
    if (wf_hash_pool_submit (self->pool, &call->job) == 0) {
        return 0;
    }
    if (call->client) {
        s_error (self, call->client, env, WF_ERR_BUSY, S_BUSY, WF_IDENTITY_BUSY_RETRY_AFTER_S,
                 NULL);
        wf_identity_op_count (self, operation, "busy");
    }
    return -1;
}

//  identity.register: validate, check the email is free, then hash.
void
wf_identity_op_register (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                         const wf_identity_register_t *msg)
{
    wf_identity_register_input_t input = {
        msg->email, msg->first_name, msg->last_name, msg->password, {NULL, 0}};
    wf_identity_register_output_t output;
    wf_identity_errors_t errors;
    wf_identity_errors_reset (&errors);
    if (wf_identity_validate_register (&input, &output, &errors) != 0) {
        s_error (self, client, env, WF_ERR_VALIDATION, NULL, 0, &errors);
        wf_identity_op_count (self, "register", "invalid");
        return;
    }
    PGconn *conn = s_conn_or_fail (self, client, env, "register");
    int taken = conn ? wf_identity_store_email_taken (conn, output.email) : 0;
    if (!conn) {
        return;
    }
    if (taken != 0) {
        if (taken < 0) {
            s_store_failed (self, client, env, "register");
        } else {
            s_error (self, client, env, WF_ERR_CONFLICT, "This email is already registered.", 0,
                     NULL);
            wf_identity_op_count (self, "register", "conflict");
        }
        return;
    }
    wf_identity_call_t *call = s_call_new (self, WF_IDENTITY_CALL_REGISTER, client, env);
    if (!call) {
        s_error (self, client, env, WF_ERR_BUSY, S_BUSY, WF_IDENTITY_BUSY_RETRY_AFTER_S, NULL);
        wf_identity_op_count (self, "register", "busy");
        return;
    }
    wf_uuid_v4 (call->user.id);
    strcpy (call->user.email, output.email);
    strcpy (call->user.first_name, output.first_name);
    strcpy (call->user.last_name, output.last_name);
    int rc = wf_hash_job_init (&call->job, WF_HASH_JOB_HASH, msg->password.ptr, msg->password.len,
                               NULL, call);
    assert (rc == 0); //  validation bounded the password
    if (s_submit (self, call, env, "register") != 0) {
        s_call_free (self, call);
    }
}

//  A registration's hash is ready: store the user and answer.
static void
s_register_done (wf_identity_state_t *self, wf_identity_call_t *call, const wf_envelope_t *env)
{
    char refresh_token[WF_REFRESH_TOKEN_CHARS + 1];
    char token_hash[WF_REFRESH_TOKEN_HASH_CHARS + 1];
    char account_id[37];
    PGconn *conn = s_conn_or_fail (self, call->client, env, "register");
    if (!conn) {
        return;
    }
    wf_refresh_token_generate (refresh_token);
    wf_refresh_token_hash (refresh_token, strlen (refresh_token), token_hash);
    wf_account_default_id (call->user.id, account_id);
    wf_store_result_t result = wf_identity_store_register (
        conn, &call->user, call->job.hash, account_id, token_hash, self->refresh_ttl_s);
    if (result == WF_STORE_OK) {
        wf_log (WF_LOG_INFO, "identity", "user_registered", call->request_id, "user_id=%s",
                call->user.id);
        s_reply_auth (self, call->client, env, &call->user, refresh_token, "register");
    } else if (result == WF_STORE_CONFLICT) {
        s_error (self, call->client, env, WF_ERR_CONFLICT, "This email is already registered.", 0,
                 NULL);
        wf_identity_op_count (self, "register", "conflict");
    } else {
        s_store_failed (self, call->client, env, "register");
    }
    sodium_memzero (refresh_token, sizeof refresh_token);
}

//  identity.login: validate, apply the failure limits, find the user, verify.
void
wf_identity_op_login (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                      const wf_identity_login_t *msg)
{
    char email[WF_EMAIL_BYTES_MAX + 1];
    char client_ip[WF_IDENTITY_CLIENT_IP_BYTES_MAX + 1] = "";
    wf_identity_errors_t errors;
    wf_identity_errors_reset (&errors);
    if (wf_identity_validate_login (msg->email, msg->password, email, &errors) != 0) {
        s_error (self, client, env, WF_ERR_VALIDATION, NULL, 0, &errors);
        wf_identity_op_count (self, "login", "invalid");
        return;
    }
    s_copy (client_ip, sizeof client_ip, msg->client_ip);
    int64_t retry_after_s = 0;
    if (wf_login_limit_check (self->limit, email, client_ip, wf_clock_ms (), &retry_after_s) != 0) {
        s_error (self, client, env, WF_ERR_TOO_MANY_REQUESTS,
                 "Too many failed sign-in attempts; try again later.", retry_after_s, NULL);
        wf_identity_op_count (self, "login", "limited");
        return;
    }
    PGconn *conn = s_conn_or_fail (self, client, env, "login");
    if (!conn) {
        return;
    }
    wf_identity_store_user_t user = {0};
    wf_store_result_t found = wf_identity_store_find_by_email (conn, email, &user);
    if (found == WF_STORE_DOWN) {
        s_store_failed (self, client, env, "login");
        return;
    }
    wf_identity_call_t *call = s_call_new (self, WF_IDENTITY_CALL_LOGIN, client, env);
    if (!call) {
        s_error (self, client, env, WF_ERR_BUSY, S_BUSY, WF_IDENTITY_BUSY_RETRY_AFTER_S, NULL);
        wf_identity_op_count (self, "login", "busy");
        sodium_memzero (user.password_hash, sizeof user.password_hash);
        return;
    }
    call->user_found = found == WF_STORE_OK;
    call->user = user;
    strcpy (call->user.email, email); //  the limiter's key, found or not
    strcpy (call->client_ip, client_ip);
    memcpy (call->password, msg->password.ptr, msg->password.len);
    call->password_len = msg->password.len;
    //  An unknown email costs a verification against the dummy hash: both
    //  answers take the same time.
    int rc = wf_hash_job_init (
        &call->job, call->user_found ? WF_HASH_JOB_VERIFY : WF_HASH_JOB_VERIFY_DUMMY,
        msg->password.ptr, msg->password.len, call->user_found ? user.password_hash : NULL, call);
    sodium_memzero (user.password_hash, sizeof user.password_hash);
    if (rc != 0) {
        //  A stored hash we cannot hold: treat as a wrong password, same cost.
        rc = wf_hash_job_init (&call->job, WF_HASH_JOB_VERIFY_DUMMY, msg->password.ptr,
                               msg->password.len, NULL, call);
        call->user_found = false;
        assert (rc == 0);
    }
    if (s_submit (self, call, env, "login") != 0) {
        s_call_free (self, call);
    }
}

//  A login's verification is done: answer, count a failure, maybe re-hash.
//  Returns true when the call goes on (a re-hash was submitted).
static bool
s_login_done (wf_identity_state_t *self, wf_identity_call_t *call, const wf_envelope_t *env)
{
    if (!call->user_found || !call->job.matched) {
        wf_login_limit_fail (self->limit, call->user.email, call->client_ip, wf_clock_ms ());
        s_error (self, call->client, env, WF_ERR_UNAUTHORIZED, S_UNAUTHORIZED_LOGIN, 0, NULL);
        wf_identity_op_count (self, "login", "unauthorized");
        return false;
    }
    if (strcmp (call->user.status, "Active") != 0) {
        s_error (self, call->client, env, WF_ERR_FORBIDDEN, "This account is suspended.", 0, NULL);
        wf_identity_op_count (self, "login", "suspended");
        return false;
    }
    wf_login_limit_succeed (self->limit, call->user.email);
    PGconn *conn = s_conn_or_fail (self, call->client, env, "login");
    if (!conn) {
        return false;
    }
    char refresh_token[WF_REFRESH_TOKEN_CHARS + 1];
    char token_hash[WF_REFRESH_TOKEN_HASH_CHARS + 1];
    wf_refresh_token_generate (refresh_token);
    wf_refresh_token_hash (refresh_token, strlen (refresh_token), token_hash);
    if (wf_identity_store_issue (conn, call->user.id, token_hash, self->refresh_ttl_s) !=
        WF_STORE_OK) {
        s_store_failed (self, call->client, env, "login");
        sodium_memzero (refresh_token, sizeof refresh_token);
        return false;
    }
    s_reply_auth (self, call->client, env, &call->user, refresh_token, "login");
    sodium_memzero (refresh_token, sizeof refresh_token);
    if (!call->job.needs_rehash) {
        return false;
    }
    //  The stored hash is weaker than today's factors: replace it, in the
    //  background. If the pool is full, the next login tries again.
    call->kind = WF_IDENTITY_CALL_REHASH;
    call->started_us = zclock_usecs ();
    zframe_destroy (&call->client);
    int rc = wf_hash_job_init (&call->job, WF_HASH_JOB_HASH, call->password, call->password_len,
                               NULL, call);
    assert (rc == 0);
    return s_submit (self, call, env, "rehash") == 0;
}

//  A re-hash is done: store it.
static void
s_rehash_done (wf_identity_state_t *self, wf_identity_call_t *call)
{
    PGconn *conn = wf_pg_conn (self->pg);
    if (conn && wf_identity_store_set_hash (conn, call->user.id, call->job.hash) == WF_STORE_OK) {
        wf_log (WF_LOG_INFO, "identity", "password_rehashed", call->request_id, "user_id=%s",
                call->user.id);
        wf_identity_op_count (self, "rehash", "ok");
    } else {
        if (conn) {
            wf_pg_failed (self->pg);
        }
        wf_identity_op_count (self, "rehash", "unavailable");
    }
}

//  One report from the pool: finish the call it belongs to.
void
wf_identity_op_job_done (wf_identity_state_t *self, wf_identity_call_t *call)
{
    wf_metric_observe (self->hash_seconds, (double) (zclock_usecs () - call->started_us) / 1e6);
    wf_envelope_t env = s_call_envelope (call);
    const char *operation = call->kind == WF_IDENTITY_CALL_REGISTER ? "register"
                            : call->kind == WF_IDENTITY_CALL_LOGIN  ? "login"
                                                                    : "rehash";
    bool keep = false;
    if (call->job.status != WF_HASH_JOB_DONE) {
        bool cancelled = call->job.status == WF_HASH_JOB_CANCELLED;
        if (call->client) {
            s_error (self, call->client, &env, cancelled ? WF_ERR_UNAVAILABLE : WF_ERR_INTERNAL,
                     cancelled ? "the identity service is stopping" : "password hashing failed",
                     cancelled ? 1 : 0, NULL);
        }
        wf_identity_op_count (self, operation, cancelled ? "cancelled" : "internal");
    } else if (call->kind == WF_IDENTITY_CALL_REHASH) {
        s_rehash_done (self, call);
    } else if (call->deadline_ms > 0 && wf_clock_ms () > call->deadline_ms) {
        //  The front has answered 504 by now: do nothing the client cannot see.
        if (call->kind == WF_IDENTITY_CALL_LOGIN && (!call->user_found || !call->job.matched)) {
            wf_login_limit_fail (self->limit, call->user.email, call->client_ip, wf_clock_ms ());
        }
        s_error (self, call->client, &env, WF_ERR_TIMEOUT, "the deadline passed", 0, NULL);
        wf_identity_op_count (self, operation, "timeout");
    } else if (call->kind == WF_IDENTITY_CALL_REGISTER) {
        s_register_done (self, call, &env);
    } else {
        keep = s_login_done (self, call, &env);
    }
    if (!keep) {
        s_call_free (self, call);
    }
}

//  identity.refresh: rotate the presented token.
void
wf_identity_op_refresh (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                        const wf_identity_refresh_t *msg)
{
    char old_hash[WF_REFRESH_TOKEN_HASH_CHARS + 1];
    wf_jwt_claims_t claims;
    bool with_access = msg->access_token.ptr && msg->access_token.len > 0;
    if (wf_refresh_token_hash (msg->refresh_token.ptr, msg->refresh_token.len, old_hash) != 0 ||
        (with_access &&
         wf_jwt_verify (self->config->jwt, msg->access_token.ptr, msg->access_token.len,
                        wf_clock_ms () / 1000, WF_JWT_VERIFY_IGNORE_EXP, &claims) != WF_JWT_OK)) {
        s_error (self, client, env, WF_ERR_UNAUTHORIZED, S_UNAUTHORIZED_TOKEN, 0, NULL);
        wf_identity_op_count (self, "refresh", "unauthorized");
        return;
    }
    PGconn *conn = s_conn_or_fail (self, client, env, "refresh");
    if (!conn) {
        return;
    }
    char refresh_token[WF_REFRESH_TOKEN_CHARS + 1];
    char new_hash[WF_REFRESH_TOKEN_HASH_CHARS + 1];
    wf_refresh_token_generate (refresh_token);
    wf_refresh_token_hash (refresh_token, strlen (refresh_token), new_hash);
    wf_identity_store_user_t user;
    wf_rotate_result_t result = wf_identity_store_rotate (
        conn, old_hash, new_hash, self->refresh_ttl_s, self->config->refresh_reuse_grace_ms,
        with_access ? claims.sub : NULL, &user);
    if (result == WF_ROTATE_OK) {
        s_reply_auth (self, client, env, &user, refresh_token, "refresh");
    } else if (result == WF_ROTATE_DOWN) {
        s_store_failed (self, client, env, "refresh");
    } else {
        if (result == WF_ROTATE_REUSED) {
            char request_id[WF_REQUEST_ID_BYTES_MAX + 1] = "";
            s_copy (request_id, sizeof request_id, env->request_id);
            wf_log (WF_LOG_WARN, "identity", "refresh_token_reused", request_id,
                    "action=family_revoked");
        }
        bool suspended = result == WF_ROTATE_SUSPENDED;
        s_error (self, client, env, suspended ? WF_ERR_FORBIDDEN : WF_ERR_UNAUTHORIZED,
                 suspended ? "This account is suspended." : S_UNAUTHORIZED_TOKEN, 0, NULL);
        wf_identity_op_count (self, "refresh", wf_rotate_result_name (result));
    }
    sodium_memzero (refresh_token, sizeof refresh_token);
}

//  identity.logout: revoke the token's family.
void
wf_identity_op_logout (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                       const wf_identity_logout_t *msg)
{
    char token_hash[WF_REFRESH_TOKEN_HASH_CHARS + 1];
    if (wf_refresh_token_hash (msg->refresh_token.ptr, msg->refresh_token.len, token_hash) != 0) {
        s_error (self, client, env, WF_ERR_BAD_REQUEST, "the refresh token is malformed", 0, NULL);
        wf_identity_op_count (self, "logout", "invalid");
        return;
    }
    PGconn *conn = s_conn_or_fail (self, client, env, "logout");
    wf_identity_logout_reply_t reply = {0};
    if (!conn) {
        return;
    }
    if (wf_identity_store_logout (conn, token_hash, &reply.revoked) != WF_STORE_OK) {
        s_store_failed (self, client, env, "logout");
        return;
    }
    wf_mdp_worker_reply (self->worker, client, env, WF_MSG_IDENTITY_LOGOUT_REPLY, &reply,
                         &self->scratch);
    wf_identity_op_count (self, "logout", "ok");
}

//  identity.user: one user's profile.
void
wf_identity_op_user (wf_identity_state_t *self, zframe_t *client, const wf_envelope_t *env,
                     const wf_identity_user_t *msg)
{
    char user_id[WF_USER_ID_BYTES_MAX + 1];
    s_copy (user_id, sizeof user_id, msg->user_id);
    PGconn *conn = s_conn_or_fail (self, client, env, "user");
    if (!conn) {
        return;
    }
    wf_identity_store_user_t user;
    wf_store_result_t result = wf_identity_store_find_by_id (conn, user_id, &user);
    if (result == WF_STORE_DOWN) {
        s_store_failed (self, client, env, "user");
        return;
    }
    if (result == WF_STORE_NOT_FOUND) {
        s_error (self, client, env, WF_ERR_NOT_FOUND, "no such user", 0, NULL);
        wf_identity_op_count (self, "user", "not_found");
        return;
    }
    wf_identity_user_reply_t reply = {
        .user_id = wf_str_c (user.id),
        .email = wf_str_c (user.email),
        .first_name = wf_str_c (user.first_name),
        .last_name = wf_str_c (user.last_name),
        .role = wf_str_c (user.role),
        .status = wf_str_c (user.status),
        .created_at_ms = user.created_at_ms,
    };
    wf_mdp_worker_reply (self->worker, client, env, WF_MSG_IDENTITY_USER_REPLY, &reply,
                         &self->scratch);
    wf_identity_op_count (self, "user", "ok");
}
