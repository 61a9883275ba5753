/*  wf_identity - the `identity` service actor (see the header).

    The loop: requests from the broker go to their operation
    (wf_identity_ops.c); reports from the hashing pool finish their calls.
    Request frames, which carried passwords and tokens, are wiped once read.
*/
#include <sodium.h>
#include "wf_identity_ops.h"
#include "wf_log.h"
#include "wf_wire.h"

//  The message sizes in wf_msgs.def follow the identity limits.
_Static_assert(WF_EMAIL_BYTES_MAX == 254, "identity.* email is 254 bytes in wf_msgs.def");
_Static_assert(WF_NAME_BYTES_MAX == 400, "identity.* names are 400 bytes in wf_msgs.def");
_Static_assert(WF_PASSWORD_BYTES_MAX == 512, "identity.* passwords are 512 bytes");
_Static_assert(WF_JWT_TOKEN_BYTES_MAX == 4096, "identity.* access tokens are 4096 bytes");
_Static_assert(WF_REFRESH_TOKEN_CHARS <= 64, "identity.* refresh tokens are up to 64 bytes");
_Static_assert(WF_USER_ID_BYTES_MAX == 64 && WF_ROLE_BYTES_MAX == 32, "ids 64, roles 32");
_Static_assert(WF_IDENTITY_HASH_QUEUE_MAX <= WF_HASH_POOL_QUEUE_MAX, "contexts fit the pool");
_Static_assert(WF_IDENTITY_ERRORS_MAX <=
                   sizeof ((wf_error_t *) 0)->errors / sizeof (wf_field_error_t),
               "every field error of a request fits one error message");

typedef wf_identity_state_t self_t;

//  Decodes one request from the broker and answers it (or starts its job).
static void
s_handle (self_t *self, zmsg_t *request)
{
    zframe_t *client = zmsg_pop (request);
    wf_envelope_t env;
    wf_any_msg_t *body = self->body;
    wf_codec_err_t err;
    if (!client || wf_wire_decode (request, &env, body, &err) != 0) {
        wf_log (WF_LOG_WARN, "identity", "bad_request", NULL, "detail=\"%s\"",
                client ? err.detail : "no client frame");
    } else if (env.deadline_ms > 0 && wf_clock_ms () > env.deadline_ms) {
        wf_identity_op_count (self, "any", "expired"); //  nobody waits for the answer any more
    } else if (env.type == WF_MSG_IDENTITY_REGISTER) {
        wf_identity_op_register (self, client, &env, &body->identity_register);
    } else if (env.type == WF_MSG_IDENTITY_LOGIN) {
        wf_identity_op_login (self, client, &env, &body->identity_login);
    } else if (env.type == WF_MSG_IDENTITY_REFRESH) {
        wf_identity_op_refresh (self, client, &env, &body->identity_refresh);
    } else if (env.type == WF_MSG_IDENTITY_LOGOUT) {
        wf_identity_op_logout (self, client, &env, &body->identity_logout);
    } else if (env.type == WF_MSG_IDENTITY_USER) {
        wf_identity_op_user (self, client, &env, &body->identity_user);
    } else {
        wf_identity_op_error (self, client, &env, WF_ERR_BAD_REQUEST,
                              "the identity service does not handle this message", 0);
    }
    //  Passwords and tokens travelled in these frames: wipe them.
    for (zframe_t *frame = zmsg_first (request); frame; frame = zmsg_next (request)) {
        sodium_memzero (zframe_data (frame), zframe_size (frame));
    }
    zframe_destroy (&client);
}

//  Collects the pool's reports and finishes their calls.
static void
s_collect (self_t *self)
{
    for (int index = 0; index < WF_IDENTITY_BATCH_MAX; index++) {
        wf_hash_job_t *job = wf_hash_pool_recv (self->pool, self->done);
        if (!job) {
            break;
        }
        wf_identity_op_job_done (self, (wf_identity_call_t *) job->context);
    }
}

//  Answers the pipe; returns false on $TERM.
static bool
s_pipe_command (self_t *self)
{
    char *command = zstr_recv (self->pipe);
    bool term = !command || streq (command, "$TERM");
    if (command && streq (command, "METRICS")) {
        wf_metric_set (self->pool_gauge, (double) wf_hash_pool_outstanding (self->pool));
        wf_metric_set (self->redis_gauge, wf_login_limit_redis_up (self->limit) ? 1 : 0);
        char *text = wf_metrics_text (self->metrics);
        zstr_send (self->pipe, text);
        zstr_free (&text);
    }
    zstr_free (&command);
    return !term;
}

//  Builds the actor's state; false when something cannot start.
static bool
s_self_init (self_t *self)
{
    const wf_identity_config_t *config = self->config;
    size_t queue_max =
        config->hash_queue_max ? config->hash_queue_max : WF_IDENTITY_HASH_QUEUE_MAX_DEFAULT;
    size_t threads = config->hash_threads ? config->hash_threads : WF_IDENTITY_HASH_THREADS_DEFAULT;
    if (!config->jwt || !config->password || queue_max > WF_IDENTITY_HASH_QUEUE_MAX ||
        config->refresh_ttl_s < 0 || config->refresh_ttl_s > WF_IDENTITY_REFRESH_TTL_S_MAX ||
        config->refresh_reuse_grace_ms < 0 ||
        config->refresh_reuse_grace_ms > WF_IDENTITY_REUSE_GRACE_MS_MAX) {
        return false;
    }
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://wf-identity-hash-%p", (void *) self);
    self->done = zsock_new (ZMQ_PULL);
    zsock_set_rcvhwm (self->done, (int) queue_max + 1);
    if (!self->done || zsock_bind (self->done, "%s", endpoint) != 0) {
        return false;
    }
    self->pool = wf_hash_pool_new (config->password, threads, queue_max, endpoint);
    self->limit = wf_login_limit_new (&config->login_limit);
    self->refresh_ttl_s =
        config->refresh_ttl_s ? config->refresh_ttl_s : WF_IDENTITY_REFRESH_TTL_S_DEFAULT;
    self->calls_count = queue_max;
    self->calls = (wf_identity_call_t *) calloc (queue_max, sizeof (wf_identity_call_t));
    self->free_calls = (wf_identity_call_t **) calloc (queue_max, sizeof (wf_identity_call_t *));
    assert (self->calls && self->free_calls);
    for (size_t index = 0; index < queue_max; index++) {
        self->free_calls[self->free_count++] = &self->calls[queue_max - 1 - index];
    }
    wf_buf_init (&self->scratch);
    self->body = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
    self->metrics = wf_metrics_new ("identity");
    self->hash_seconds =
        wf_metrics_histogram (self->metrics, "wf_identity_hash_duration_seconds",
                              "Time from submitting a hashing job to its report.", NULL);
    self->pool_gauge = wf_metrics_gauge (self->metrics, "wf_identity_hash_jobs_outstanding",
                                         "Hashing jobs submitted and not yet collected.", NULL);
    self->redis_gauge = wf_metrics_gauge (self->metrics, "wf_identity_login_limit_redis_up",
                                          "1 while the login limiter reaches Redis.", NULL);
    self->pg = wf_pg_new (config->pg_url, "wf_identity");
    wf_mdp_worker_config_t worker_config = {
        .broker_endpoint = config->broker_endpoint,
        .service = "identity",
        .credit = WF_WORKER_CREDIT_MAX,
        .heartbeat_interval_ms = config->heartbeat_interval_ms,
        .curve_client_cert = config->curve_client_cert,
        .curve_server_key = config->curve_server_key,
    };
    if (!self->pool || !self->limit) {
        return false;
    }
    self->worker = wf_mdp_worker_new (&worker_config);
    return self->worker != NULL;
}

//  Stops the pool, answers the calls it cancelled, then frees everything.
static void
s_self_destroy (self_t *self)
{
    wf_hash_pool_destroy (&self->pool);
    if (self->done) {
        wf_hash_job_t *job;
        while ((job = wf_hash_pool_recv (NULL, self->done)) != NULL) {
            wf_identity_op_job_done (self, (wf_identity_call_t *) job->context);
        }
    }
    for (size_t index = 0; index < self->calls_count; index++) {
        assert (self->calls[index].kind == 0); //  every call was collected
    }
    wf_mdp_worker_destroy (&self->worker);
    zsock_destroy (&self->done);
    wf_login_limit_destroy (&self->limit);
    wf_pg_destroy (&self->pg);
    wf_metrics_destroy (&self->metrics);
    wf_buf_free (&self->scratch);
    free (self->body);
    free (self->calls);
    free (self->free_calls);
}

void
wf_identity_actor (zsock_t *pipe, void *args)
{
    self_t self = {.config = (const wf_identity_config_t *) args, .pipe = pipe};
    bool ok = s_self_init (&self);
    if (!ok) {
        wf_log (WF_LOG_ERROR, "identity", "start_failed", NULL,
                "detail=\"bad configuration, or the broker endpoint or hashing pool failed\"");
    }
    zsock_signal (pipe, ok ? 0 : 1);
    zpoller_t *poller =
        ok ? zpoller_new (pipe, self.done, wf_mdp_worker_sock (self.worker), NULL) : NULL;
    while (poller) {
        void *which = zpoller_wait (poller, wf_mdp_worker_timeout_ms (self.worker));
        if (which == pipe && !s_pipe_command (&self)) {
            break;
        }
        if (which == self.done) {
            s_collect (&self);
        } else if (which == wf_mdp_worker_sock (self.worker)) {
            for (int index = 0; index < WF_IDENTITY_BATCH_MAX; index++) {
                zmsg_t *request = wf_mdp_worker_recv (self.worker);
                if (request) {
                    s_handle (&self, request);
                }
                zmsg_destroy (&request);
                if (!(zsock_events (wf_mdp_worker_sock (self.worker)) & ZMQ_POLLIN)) {
                    break;
                }
            }
        } else if (!which && zpoller_terminated (poller)) {
            break;
        }
        wf_mdp_worker_tick (self.worker);
    }
    zpoller_destroy (&poller);
    s_self_destroy (&self);
}
