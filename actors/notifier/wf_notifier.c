/*  wf_notifier - the `notifier` service actor (see the header).

    One zpoller loop over the pipe and the worker socket. Per wake-up it
    drains up to WF_NOTIFIER_BATCH_MAX requests; each is published and then
    acknowledged, so an ack never precedes its publication.
*/
#include "wf_notifier.h"
#include "wf_limits.h"
#include "wf_log.h"
#include "wf_mdp_worker.h"
#include "wf_metrics.h"
#include "wf_notifier_dedup.h"
#include "wf_notifier_map.h"
#include "wf_wire.h"

#define S_ACTOR "notifier"

_Static_assert(WF_NOTIFIER_CREDIT <= WF_WORKER_CREDIT_MAX, "the broker grants at most this credit");
_Static_assert(WF_NOTIFIER_BATCH_MAX >= 1, "a wake-up handles at least one request");

typedef enum { S_PUBLISHED, S_DUPLICATE, S_IGNORED, S_INVALID, S_OUTCOMES } s_outcome_t;

static const char *s_outcome_names[S_OUTCOMES] = {"published", "duplicate", "ignored", "invalid"};

typedef struct {
    const wf_notifier_config_t *config;
    zsock_t *pipe;
    wf_mdp_worker_t *worker;
    zsock_t *publisher;
    wf_notifier_dedup_t *dedup;
    wf_metrics_t *metrics;
    wf_metric_t *outcomes[S_OUTCOMES];
    wf_metric_t *rejected; //  requests that were not outbox.deliver
    wf_buf_t scratch;
    wf_any_msg_t *body; //  decoded request, allocated once
} self_t;

//  Publishes one delivery's notification when it has one; returns the outcome.
static s_outcome_t
s_publish (self_t *self, const wf_outbox_deliver_t *deliver)
{
    if (wf_notifier_dedup_contains (self->dedup, deliver->message_id))
        return S_DUPLICATE;
    wf_notification_t notification;
    const char *reason = NULL;
    wf_notifier_map_result_t result =
        wf_notifier_map (deliver->type, deliver->payload, &notification, &reason);
    if (result == WF_NOTIFIER_MAP_IGNORED)
        return S_IGNORED;
    if (result == WF_NOTIFIER_MAP_INVALID) {
        char type[WF_LOG_VALUE_BYTES_MAX], id[WF_LOG_VALUE_BYTES_MAX];
        snprintf (type, sizeof type, "%.*s", (int) deliver->type.len, deliver->type.ptr);
        snprintf (id, sizeof id, "%.*s", (int) deliver->message_id.len, deliver->message_id.ptr);
        char quoted_type[WF_LOG_VALUE_BYTES_MAX], quoted_id[WF_LOG_VALUE_BYTES_MAX];
        wf_log (WF_LOG_ERROR, S_ACTOR, "invalid_payload", NULL,
                "message_id=%s type=%s reason=\"%s\"",
                wf_log_quote (quoted_id, sizeof quoted_id, id),
                wf_log_quote (quoted_type, sizeof quoted_type, type), reason);
        return S_INVALID;
    }
    //  PUB never blocks: past its high-water mark a subscriber misses the
    //  message, as it would had it been disconnected.
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, notification.user_id);
    zmsg_addmem (msg, notification.json, notification.json_len);
    zmsg_send (&msg, self->publisher);
    zmsg_destroy (&msg);
    wf_notifier_dedup_add (self->dedup, deliver->message_id);
    return S_PUBLISHED;
}

//  Decodes one request from the broker and answers it.
static void
s_handle (self_t *self, zmsg_t *request)
{
    zframe_t *client = zmsg_pop (request);
    wf_envelope_t env;
    wf_codec_err_t err;
    if (!client || wf_wire_decode (request, &env, self->body, &err) != 0) {
        wf_log (WF_LOG_WARN, S_ACTOR, "malformed_request", NULL, "detail=\"%s\"",
                client ? err.detail : "no client frame");
        wf_metric_inc (self->rejected, 1);
    } else if (env.type != WF_MSG_OUTBOX_DELIVER) {
        wf_mdp_worker_reply_error (self->worker, client, &env, WF_ERR_BAD_REQUEST,
                                   "the notifier only handles outbox.deliver", &self->scratch);
        wf_metric_inc (self->rejected, 1);
    } else {
        const wf_outbox_deliver_t *deliver = &self->body->outbox_deliver;
        s_outcome_t outcome = s_publish (self, deliver);
        wf_metric_inc (self->outcomes[outcome], 1);
        wf_outbox_ack_t ack = {.message_id = deliver->message_id};
        wf_mdp_worker_reply (self->worker, client, &env, WF_MSG_OUTBOX_ACK, &ack, &self->scratch);
    }
    zframe_destroy (&client);
}

//  Reads up to a batch of requests from the worker socket.
static void
s_from_broker (self_t *self)
{
    for (int i = 0; i < WF_NOTIFIER_BATCH_MAX; i++) {
        zmsg_t *request = wf_mdp_worker_recv (self->worker);
        if (request)
            s_handle (self, request);
        zmsg_destroy (&request);
        if (!(zsock_events (wf_mdp_worker_sock (self->worker)) & ZMQ_POLLIN))
            break;
    }
}

//  Handles a pipe command; returns false on $TERM.
static bool
s_pipe_command (self_t *self)
{
    char *command = zstr_recv (self->pipe);
    bool term = !command || streq (command, "$TERM");
    if (command && streq (command, "METRICS")) {
        char *text = wf_metrics_text (self->metrics);
        zstr_send (self->pipe, text);
        free (text);
    }
    zstr_free (&command);
    return !term;
}

//  Creates the worker, the publisher and the metrics; false when a socket
//  cannot be set up.
static bool
s_setup (self_t *self)
{
    const wf_notifier_config_t *config = self->config;
    wf_mdp_worker_config_t worker_config = {
        .broker_endpoint = config->broker_endpoint,
        .service = "notifier",
        .credit = WF_NOTIFIER_CREDIT,
        .heartbeat_interval_ms = config->heartbeat_interval_ms,
        .curve_client_cert = config->curve_client_cert,
        .curve_server_key = config->curve_server_key,
    };
    self->worker = wf_mdp_worker_new (&worker_config);
    self->publisher = zsock_new (ZMQ_PUB);
    zsock_set_sndhwm (self->publisher, WF_NOTIFIER_PUB_HWM);
    //  A PUB only reads subscriptions (user ids) from its peers.
    zsock_set_maxmsgsize (self->publisher, WF_NOTIFIER_SUBSCRIPTION_BYTES_MAX);
    //  Between hosts the fronts are CURVE servers (they hold the broker's
    //  certificate); this end is a client with the same keys as towards the broker.
    if (config->curve_client_cert && config->curve_server_key &&
        strncmp (config->publish_endpoint, "tcp://", 6) == 0) {
        zcert_apply (config->curve_client_cert, self->publisher);
        zsock_set_curve_serverkey (self->publisher, config->curve_server_key);
    }
    bool bound = zsock_bind (self->publisher, "%s", config->publish_endpoint) >= 0;
    self->dedup = wf_notifier_dedup_new (
        config->dedup_capacity ? config->dedup_capacity : WF_NOTIFIER_DEDUP_CAPACITY_DEFAULT);
    self->metrics = wf_metrics_new (S_ACTOR);
    for (int i = 0; i < S_OUTCOMES; i++)
        self->outcomes[i] = wf_metrics_counter (self->metrics, "wf_notifier_deliveries_total",
                                                "outbox deliveries by outcome", "outcome",
                                                s_outcome_names[i], NULL);
    self->rejected = wf_metrics_counter (self->metrics, "wf_notifier_rejected_requests_total",
                                         "requests that were not a readable outbox.deliver", NULL);
    wf_buf_init (&self->scratch);
    self->body = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
    if (!bound)
        wf_log (WF_LOG_ERROR, S_ACTOR, "bind_failed", NULL, "endpoint=%s",
                config->publish_endpoint);
    return self->worker && bound && self->dedup;
}

//  Frees what s_setup made.
static void
s_teardown (self_t *self)
{
    wf_mdp_worker_destroy (&self->worker);
    zsock_destroy (&self->publisher);
    wf_notifier_dedup_destroy (&self->dedup);
    wf_metrics_destroy (&self->metrics);
    wf_buf_free (&self->scratch);
    free (self->body);
}

void
wf_notifier_actor (zsock_t *pipe, void *args)
{
    self_t self = {.config = (const wf_notifier_config_t *) args, .pipe = pipe};
    bool ok = s_setup (&self);
    zsock_signal (pipe, ok ? 0 : 1);
    zpoller_t *poller = ok ? zpoller_new (pipe, wf_mdp_worker_sock (self.worker), NULL) : NULL;
    if (ok)
        wf_log (WF_LOG_INFO, S_ACTOR, "started", NULL, "publish=%s broker=%s",
                self.config->publish_endpoint, self.config->broker_endpoint);
    while (poller) {
        void *which = zpoller_wait (poller, wf_mdp_worker_timeout_ms (self.worker));
        if (which == pipe) {
            if (!s_pipe_command (&self))
                break;
        } else if (which)
            s_from_broker (&self);
        else if (zpoller_terminated (poller))
            break;
        wf_mdp_worker_tick (self.worker);
    }
    zpoller_destroy (&poller);
    s_teardown (&self);
}
