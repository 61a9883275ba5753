/*  wf_amqp_bridge - the AMQP bridge actor: integration events from the outbox to RabbitMQ.

    One loop (zmq_poll over the pipe, the 7/MDP worker socket and the AMQP socket) with its
    state in self_t. Messages are built by wf_amqp_message, published and pumped by
    wf_amqp_link, and matched to their confirms by wf_amqp_inflight.
*/
#include "wf_amqp_bridge.h"
#include "wf_amqp_inflight.h"
#include "wf_amqp_link.h"
#include "wf_amqp_message.h"
#include "wf_limits.h"
#include "wf_log.h"
#include "wf_mdp_worker.h"
#include "wf_metrics.h"
#include "wf_wire.h"

#include <amqp.h>
#include <sys/utsname.h>

#ifndef WF_AMQP_PROJECT_VERSION
#define WF_AMQP_PROJECT_VERSION "0.0.0"
#endif

#define S_ACTOR              "amqp"
#define S_EXCHANGES_MAX      16 //  the topic exchange and one per MassTransit type
#define S_HOST_TEXT_BYTES    160
#define S_DETAIL_UNAVAILABLE "RabbitMQ is unavailable; retry later"
#define S_DETAIL_NACK        "RabbitMQ refused the message (basic.nack); retry later"
#define S_DETAIL_LOST        "the RabbitMQ connection was lost before the confirm; retry later"

_Static_assert(WF_AMQP_CREDIT_DEFAULT <= WF_WORKER_CREDIT_MAX,
               "the default credit must be one the broker accepts");
_Static_assert(WF_AMQP_TAGS_MAX >= WF_WORKER_CREDIT_MAX * WF_AMQP_PUBLICATIONS_MAX,
               "every row the relay may have in flight must fit in the tag window");

//  A row waiting for its confirms: the request frames keep its envelope's slices alive.
typedef struct {
    zmsg_t *request;
    zframe_t *client;
    wf_envelope_t env;
    char message_id[WF_AMQP_UUID_TEXT_BYTES];
} s_pending_t;

typedef enum { S_LINK_UNKNOWN, S_LINK_UP, S_LINK_DOWN } s_link_state_t;

typedef struct {
    wf_metric_t *published_topic, *published_mt, *confirms_ack, *confirms_nack;
    wf_metric_t *acked, *skipped, *failed, *busy, *rejected, *retried;
    wf_metric_t *latency, *up, *connect_ok, *connect_failed, *in_flight;
} s_metrics_t;

typedef struct {
    const wf_amqp_bridge_config_t *config;
    size_t credit, batch_max;
    int confirm_timeout_ms, backoff_min_ms, backoff_max_ms;
    bool url_ok; //  the URL parsed; else we never connect
    wf_amqp_endpoint_t endpoint;
    char host_text[4][S_HOST_TEXT_BYTES]; //  machine, process, framework, OS
    wf_amqp_host_t host;
    wf_amqp_message_config_t message_config;
    wf_amqp_link_config_t link_config;
    wf_amqp_exchange_t exchanges[S_EXCHANGES_MAX];
    char exchange_names[S_EXCHANGES_MAX][WF_AMQP_SHORTSTR_BYTES_MAX];
    size_t exchange_count;
    wf_amqp_link_t *link;
    wf_mdp_worker_t *worker;
    wf_amqp_inflight_t *inflight;
    s_pending_t *pending; //  one per inflight slot
    wf_amqp_publications_t *publications;
    wf_any_msg_t *body;
    wf_buf_t scratch;
    wf_metrics_t *metrics;
    s_metrics_t m;
    s_link_state_t link_state;
    bool blocked;
    char link_error[WF_AMQP_ERROR_BYTES_MAX];
    const char *fail_detail; //  why rows finished by the next reset or nack failed
    int64_t connect_at_ms;   //  mono time of the next connect attempt
    int backoff_ms;
} self_t;

//  A value or its default.
static int
s_or (int value, int fallback)
{
    return value > 0 ? value : fallback;
}

//  Fills the host MassTransit envelopes name: this machine and this process.
static void
s_host_info (self_t *self)
{
    char *hostname = zsys_hostname ();
    snprintf (self->host_text[0], S_HOST_TEXT_BYTES, "%s", hostname ? hostname : "localhost");
    zstr_free (&hostname);
    snprintf (self->host_text[1], S_HOST_TEXT_BYTES, "walletflow");
    FILE *comm = fopen ("/proc/self/comm", "r");
    if (comm && fgets (self->host_text[1], S_HOST_TEXT_BYTES, comm))
        self->host_text[1][strcspn (self->host_text[1], "\n")] = 0;
    if (comm)
        fclose (comm);
    snprintf (self->host_text[2], S_HOST_TEXT_BYTES, "rabbitmq-c %s", amqp_version ());
    struct utsname name;
    snprintf (self->host_text[3], S_HOST_TEXT_BYTES, "Unix %s",
              uname (&name) == 0 ? name.release : "unknown");
    self->host = (wf_amqp_host_t){.machine_name = self->host_text[0],
                                  .process_name = self->host_text[1],
                                  .process_id = (int) getpid (),
                                  .assembly = "walletflow",
                                  .assembly_version = WF_AMQP_PROJECT_VERSION,
                                  .framework_version = self->host_text[2],
                                  .masstransit_version = NULL, //  we are not MassTransit
                                  .operating_system_version = self->host_text[3]};
}

//  Lists the exchanges every connect declares: ours (topic) and MassTransit's (fanout).
static void
s_exchanges (self_t *self)
{
    const wf_amqp_bridge_config_t *config = self->config;
    self->exchanges[0] = (wf_amqp_exchange_t){
        config->exchange ? config->exchange : WF_AMQP_EXCHANGE_DEFAULT, "topic"};
    self->exchange_count = 1;
    for (size_t i = 0; i < wf_amqp_route_count () && !config->masstransit_disabled; i++) {
        const wf_amqp_route_t *route = wf_amqp_route_at (i);
        if (!route->masstransit_type)
            continue;
        assert (self->exchange_count < S_EXCHANGES_MAX);
        char *name = self->exchange_names[self->exchange_count];
        snprintf (name, WF_AMQP_SHORTSTR_BYTES_MAX, "%s:%s",
                  config->masstransit_namespace ? config->masstransit_namespace
                                                : WF_AMQP_MT_NAMESPACE_DEFAULT,
                  route->masstransit_type);
        self->exchanges[self->exchange_count++] = (wf_amqp_exchange_t){name, "fanout"};
    }
}

//  Registers every series once; updates then go through the handles.
static void
s_metrics_init (self_t *self)
{
    wf_metrics_t *r = self->metrics = wf_metrics_new (S_ACTOR);
    s_metrics_t *m = &self->m;
    const char *published = "Messages published to RabbitMQ";
    m->published_topic =
        wf_metrics_counter (r, "wf_amqp_published_total", published, "kind", "topic", NULL);
    m->published_mt =
        wf_metrics_counter (r, "wf_amqp_published_total", published, "kind", "masstransit", NULL);
    const char *confirms = "Published messages settled by a publisher confirm";
    m->confirms_ack =
        wf_metrics_counter (r, "wf_amqp_confirms_total", confirms, "result", "ack", NULL);
    m->confirms_nack =
        wf_metrics_counter (r, "wf_amqp_confirms_total", confirms, "result", "nack", NULL);
    const char *rows = "Outbox rows answered, by result";
    const char *name = "wf_amqp_deliveries_total";
    m->acked = wf_metrics_counter (r, name, rows, "result", "acked", NULL);
    m->skipped = wf_metrics_counter (r, name, rows, "result", "skipped", NULL);
    m->failed = wf_metrics_counter (r, name, rows, "result", "failed", NULL);
    m->busy = wf_metrics_counter (r, name, rows, "result", "busy", NULL);
    m->rejected = wf_metrics_counter (r, name, rows, "result", "rejected", NULL);
    m->retried = wf_metrics_counter (r, "wf_amqp_retried_total",
                                     "Outbox rows handed back to the relay to be retried", NULL);
    m->latency = wf_metrics_histogram (r, "wf_amqp_confirm_latency_seconds",
                                       "Publish of a row to its last confirm", NULL);
    m->up = wf_metrics_gauge (r, "wf_amqp_connection_up",
                              "1 while connected to RabbitMQ and not blocked", NULL);
    const char *connects = "Connection attempts to RabbitMQ";
    m->connect_ok =
        wf_metrics_counter (r, "wf_amqp_connects_total", connects, "result", "ok", NULL);
    m->connect_failed =
        wf_metrics_counter (r, "wf_amqp_connects_total", connects, "result", "failed", NULL);
    m->in_flight = wf_metrics_gauge (r, "wf_amqp_in_flight", "Rows waiting for confirms", NULL);
}

//  Copies a slice into a C string buffer for logs (cut to fit).
static const char *
s_cstr (char *buffer, size_t size, wf_str_t text)
{
    size_t len = text.len < size - 1 ? text.len : size - 1;
    memcpy (buffer, text.ptr, len);
    buffer[len] = 0;
    return buffer;
}

//  Answers a row with outbox.ack.
static void
s_reply_ack (self_t *self, zframe_t *client, const wf_envelope_t *env, const char *message_id)
{
    wf_outbox_ack_t ack = {.message_id = wf_str_c (message_id)};
    wf_mdp_worker_reply (self->worker, client, env, WF_MSG_OUTBOX_ACK, &ack, &self->scratch);
}

//  Answers a finished row (inflight callback): ack only when every message was confirmed.
static void
s_on_done (void *arg, size_t slot, bool acked, int64_t latency_us)
{
    self_t *self = (self_t *) arg;
    s_pending_t *pending = &self->pending[slot];
    assert (pending->request && pending->client);
    if (acked) {
        s_reply_ack (self, pending->client, &pending->env, pending->message_id);
        wf_metric_inc (self->m.acked, 1);
        wf_metric_observe (self->m.latency, (double) latency_us / 1e6);
    } else {
        wf_mdp_worker_reply_error (self->worker, pending->client, &pending->env, WF_ERR_UNAVAILABLE,
                                   self->fail_detail, &self->scratch);
        wf_metric_inc (self->m.failed, 1);
        wf_metric_inc (self->m.retried, 1);
    }
    zmsg_destroy (&pending->request);
    zframe_destroy (&pending->client);
}

//  Applies one confirm from the link (link callback).
static void
s_on_confirm (void *arg, uint64_t tag, bool multiple, bool ack)
{
    self_t *self = (self_t *) arg;
    self->fail_detail = S_DETAIL_NACK;
    size_t settled = wf_amqp_inflight_confirm (self->inflight, tag, multiple, ack, zclock_usecs (),
                                               s_on_done, self);
    wf_metric_inc (ack ? self->m.confirms_ack : self->m.confirms_nack, settled);
}

//  The link failed or stopped confirming: close it, fail every row in flight (the relay
//  retries them), and try again soon.
static void
s_link_lost (self_t *self, const char *reason)
{
    wf_amqp_link_close (self->link, false);
    char quoted[WF_LOG_VALUE_BYTES_MAX];
    if (self->link_state == S_LINK_UP)
        wf_log (WF_LOG_WARN, S_ACTOR, "disconnected", NULL, "reason=%s in_flight=%zu",
                wf_log_quote (quoted, sizeof quoted, reason),
                wf_amqp_inflight_count (self->inflight));
    self->link_state = S_LINK_DOWN;
    self->blocked = false;
    snprintf (self->link_error, sizeof self->link_error, "%s", reason);
    wf_metric_set (self->m.up, 0);
    self->fail_detail = S_DETAIL_LOST;
    wf_amqp_inflight_reset (self->inflight, s_on_done, self);
    self->backoff_ms = self->backoff_min_ms;
    self->connect_at_ms = zclock_mono () + self->backoff_ms;
}

//  Connects when a connection is due; logs once per change of state.
static void
s_connect (self_t *self)
{
    if (!self->url_ok || wf_amqp_link_is_open (self->link) || zclock_mono () < self->connect_at_ms)
        return;
    char error[WF_AMQP_ERROR_BYTES_MAX], quoted[WF_LOG_VALUE_BYTES_MAX];
    if (wf_amqp_link_open (self->link, self->exchanges, self->exchange_count, error,
                           sizeof error) == 0) {
        wf_log (WF_LOG_INFO, S_ACTOR, "connected", NULL,
                "host=%s port=%d vhost=%s tls=%s heartbeat_s=%d exchanges=%zu",
                wf_log_quote (quoted, sizeof quoted, self->endpoint.host), self->endpoint.port,
                self->endpoint.vhost, self->endpoint.tls ? "on" : "off",
                self->link_config.heartbeat_s, self->exchange_count);
        self->link_state = S_LINK_UP;
        self->link_error[0] = 0;
        self->backoff_ms = self->backoff_min_ms;
        wf_metric_set (self->m.up, 1);
        wf_metric_inc (self->m.connect_ok, 1);
        return;
    }
    wf_metric_inc (self->m.connect_failed, 1);
    if (self->link_state != S_LINK_DOWN || strcmp (error, self->link_error) != 0)
        wf_log (WF_LOG_WARN, S_ACTOR, "connect_failed", NULL, "reason=%s retry_ms=%d",
                wf_log_quote (quoted, sizeof quoted, error), self->backoff_ms);
    self->link_state = S_LINK_DOWN;
    snprintf (self->link_error, sizeof self->link_error, "%s", error);
    self->connect_at_ms = zclock_mono () + self->backoff_ms;
    self->backoff_ms =
        self->backoff_ms * 2 < self->backoff_max_ms ? self->backoff_ms * 2 : self->backoff_max_ms;
}

//  Publishes a row's messages and starts waiting for their confirms; takes request, client.
static void
s_publish_row (self_t *self, zmsg_t *request, zframe_t *client, const wf_envelope_t *env,
               const wf_outbox_deliver_t *deliver)
{
    wf_amqp_publications_t *publications = self->publications;
    size_t slot = wf_amqp_inflight_add (self->inflight, publications->count, zclock_usecs ());
    s_pending_t *pending = &self->pending[slot];
    assert (!pending->request);
    *pending = (s_pending_t){.request = request, .client = client, .env = *env};
    s_cstr (pending->message_id, sizeof pending->message_id, deliver->message_id);
    for (size_t i = 0; i < publications->count; i++) {
        const wf_amqp_publication_t *publication = &publications->items[i];
        char error[WF_AMQP_ERROR_BYTES_MAX];
        uint64_t tag;
        if (wf_amqp_link_publish (self->link, publication, &tag, error, sizeof error) != 0) {
            s_link_lost (self, error); //  fails this row too
            return;
        }
        wf_amqp_inflight_tag (self->inflight, slot, tag);
        wf_metric_inc (publication->masstransit ? self->m.published_mt : self->m.published_topic,
                       1);
    }
}

//  Answers at once a row that will not be published now.
static void
s_refuse (self_t *self, zframe_t *client, const wf_envelope_t *env, wf_err_t code,
          const char *detail, wf_metric_t *counter)
{
    wf_mdp_worker_reply_error (self->worker, client, env, code, detail, &self->scratch);
    wf_metric_inc (counter, 1);
    if (code != WF_ERR_UNPROCESSABLE) //  UNAVAILABLE, BUSY: the relay tries again later
        wf_metric_inc (self->m.retried, 1);
}

//  Handles one outbox.deliver: refuse, acknowledge without publishing, or publish.
static void
s_deliver (self_t *self, zmsg_t *request, zframe_t *client, const wf_envelope_t *env)
{
    const wf_outbox_deliver_t *deliver = &self->body->outbox_deliver;
    char error[WF_AMQP_ERROR_BYTES_MAX], id[WF_AMQP_UUID_TEXT_BYTES], type[WF_MSG_TYPE_BYTES_MAX];
    char request_id[WF_REQUEST_ID_BYTES_MAX + 1], quoted[3][WF_LOG_VALUE_BYTES_MAX];
    s_cstr (id, sizeof id, deliver->message_id);
    s_cstr (type, sizeof type, deliver->type);
    s_cstr (request_id, sizeof request_id, env->request_id);
    wf_amqp_publications_t *publications = self->publications;
    bool publish = false;
    if (wf_amqp_message_build (&self->message_config, deliver, wf_clock_ms (), publications, error,
                               sizeof error) != 0) {
        wf_log (WF_LOG_WARN, S_ACTOR, "rejected", request_id, "message_id=%s type=%s reason=%s",
                wf_log_quote (quoted[0], sizeof quoted[0], id),
                wf_log_quote (quoted[1], sizeof quoted[1], type),
                wf_log_quote (quoted[2], sizeof quoted[2], error));
        s_refuse (self, client, env, WF_ERR_UNPROCESSABLE, error, self->m.rejected);
    } else if (publications->count == 0) {
        wf_log (WF_LOG_DEBUG, S_ACTOR, "skipped", request_id, "message_id=%s type=%s",
                wf_log_quote (quoted[0], sizeof quoted[0], id),
                wf_log_quote (quoted[1], sizeof quoted[1], type));
        s_reply_ack (self, client, env, id);
        wf_metric_inc (self->m.skipped, 1);
    } else if (!wf_amqp_link_is_open (self->link) || wf_amqp_link_is_blocked (self->link))
        s_refuse (self, client, env, WF_ERR_UNAVAILABLE, S_DETAIL_UNAVAILABLE, self->m.failed);
    else if (!wf_amqp_inflight_has_room (self->inflight, publications->count))
        s_refuse (self, client, env, WF_ERR_BUSY, "too many rows in flight; retry later",
                  self->m.busy);
    else
        publish = true;
    if (publish)
        s_publish_row (self, request, client, env, deliver);
    else {
        zmsg_destroy (&request);
        zframe_destroy (&client);
    }
}

//  Decodes one request from the broker ([client][envelope][body]) and handles it; takes it.
static void
s_handle (self_t *self, zmsg_t *request)
{
    zframe_t *client = zmsg_pop (request);
    wf_envelope_t env;
    wf_codec_err_t err;
    if (!client || wf_wire_decode (request, &env, self->body, &err) != 0) {
        wf_log (WF_LOG_WARN, S_ACTOR, "malformed_request", NULL, "reason=\"%s\"",
                client ? err.detail : "no client address");
        zmsg_destroy (&request);
        zframe_destroy (&client);
    } else if (env.type != WF_MSG_OUTBOX_DELIVER) {
        wf_mdp_worker_reply_error (self->worker, client, &env, WF_ERR_BAD_REQUEST,
                                   "the amqp service handles outbox.deliver only", &self->scratch);
        zmsg_destroy (&request);
        zframe_destroy (&client);
    } else
        s_deliver (self, request, client, &env);
}

//  Reads what the broker sends back; returns 1 when frames may be left to read.
static int
s_pump (self_t *self)
{
    if (!wf_amqp_link_is_open (self->link))
        return 0;
    char error[WF_AMQP_ERROR_BYTES_MAX];
    int rc = wf_amqp_link_pump (self->link, 0, s_on_confirm, self, error, sizeof error);
    if (rc < 0) {
        s_link_lost (self, error);
        return 0;
    }
    bool blocked = wf_amqp_link_is_blocked (self->link);
    if (blocked != self->blocked) {
        wf_log (WF_LOG_WARN, S_ACTOR, blocked ? "blocked" : "unblocked", NULL, "reason=\"%s\"",
                blocked ? "RabbitMQ resource alarm" : "alarm cleared");
        wf_metric_set (self->m.up, blocked ? 0 : 1);
        self->blocked = blocked;
    }
    int64_t oldest_us = wf_amqp_inflight_oldest_us (self->inflight);
    if (oldest_us >= 0 && zclock_usecs () - oldest_us > self->confirm_timeout_ms * 1000LL) {
        snprintf (error, sizeof error, "no publisher confirm within %d ms",
                  self->confirm_timeout_ms);
        s_link_lost (self, error);
        return 0;
    }
    return rc;
}

//  How long the loop may sleep: until the worker's next tick, the next connect attempt,
//  the oldest row's confirm deadline, or an idle wake-up for AMQP heartbeats.
static int
s_poll_timeout (self_t *self)
{
    int64_t now = zclock_mono ();
    int64_t timeout = wf_mdp_worker_timeout_ms (self->worker);
    if (wf_amqp_link_is_open (self->link)) {
        if (timeout > WF_AMQP_IDLE_WAKE_MS)
            timeout = WF_AMQP_IDLE_WAKE_MS;
        int64_t oldest_us = wf_amqp_inflight_oldest_us (self->inflight);
        if (oldest_us >= 0) {
            int64_t left = (oldest_us - zclock_usecs ()) / 1000 + self->confirm_timeout_ms + 1;
            timeout = left < timeout ? left : timeout;
        }
    } else if (self->url_ok && self->connect_at_ms - now < timeout)
        timeout = self->connect_at_ms - now;
    return timeout > 0 ? (int) timeout : 0;
}

//  Answers one pipe command; false on $TERM (or a dead pipe).
static bool
s_pipe_command (self_t *self, zsock_t *pipe)
{
    char *command = zstr_recv (pipe);
    bool keep = command && !streq (command, "$TERM");
    if (command && streq (command, "METRICS")) {
        wf_metric_set (self->m.in_flight, (double) wf_amqp_inflight_count (self->inflight));
        char *text = wf_metrics_text (self->metrics);
        zstr_send (pipe, text);
        free (text);
    }
    zstr_free (&command);
    return keep;
}

//  Drains up to batch_max requests from the broker and publishes them back to back.
static void
s_drain_worker (self_t *self)
{
    zsock_t *sock = wf_mdp_worker_sock (self->worker);
    for (size_t i = 0; i < self->batch_max; i++) {
        zmsg_t *request = wf_mdp_worker_recv (self->worker);
        if (request)
            s_handle (self, request);
        if (!(zsock_events (sock) & ZMQ_POLLIN))
            break;
    }
}

//  Sets up everything the loop uses, allocated once. Returns 0, or -1 when the worker could
//  not connect to the broker endpoint.
static int
s_self_init (self_t *self, const wf_amqp_bridge_config_t *config)
{
    self->config = config;
    self->credit = config->credit > 0 ? config->credit : WF_AMQP_CREDIT_DEFAULT;
    assert (self->credit <= WF_WORKER_CREDIT_MAX);
    self->batch_max = config->batch_max > 0 ? config->batch_max : WF_AMQP_BATCH_MAX_DEFAULT;
    self->confirm_timeout_ms =
        s_or (config->confirm_timeout_ms, WF_AMQP_CONFIRM_TIMEOUT_MS_DEFAULT);
    self->backoff_min_ms = s_or (config->backoff_min_ms, WF_AMQP_BACKOFF_MIN_MS_DEFAULT);
    self->backoff_max_ms = s_or (config->backoff_max_ms, WF_AMQP_BACKOFF_MAX_MS_DEFAULT);
    self->backoff_ms = self->backoff_min_ms;
    self->connect_at_ms = zclock_mono ();
    self->fail_detail = S_DETAIL_LOST;
    char error[WF_AMQP_ERROR_BYTES_MAX];
    self->url_ok = config->amqp_url && wf_amqp_endpoint_parse (config->amqp_url, &self->endpoint,
                                                               error, sizeof error) == 0;
    if (!self->url_ok)
        wf_log (WF_LOG_ERROR, S_ACTOR, "config_invalid", NULL, "reason=\"%s\"",
                config->amqp_url ? error : "no AMQP URL");
    s_host_info (self);
    s_exchanges (self);
    self->message_config = (wf_amqp_message_config_t){.exchange = self->exchanges[0].name,
                                                      .masstransit = !config->masstransit_disabled,
                                                      .mt_namespace = config->masstransit_namespace,
                                                      .default_currency = config->default_currency,
                                                      .address_base = self->endpoint.address_base,
                                                      .host = &self->host};
    self->link_config = (wf_amqp_link_config_t){
        .endpoint = &self->endpoint,
        .heartbeat_s = config->amqp_heartbeat_s < 0
                           ? 0
                           : s_or (config->amqp_heartbeat_s, WF_AMQP_HEARTBEAT_S_DEFAULT),
        .connect_timeout_ms = s_or (config->connect_timeout_ms, WF_AMQP_CONNECT_TIMEOUT_MS_DEFAULT),
        .connection_name = "walletflow amqp bridge",
        .tls_ca = config->amqp_tls_ca,
        .tls_no_verify = config->amqp_tls_no_verify};
    self->link = wf_amqp_link_new (&self->link_config);
    self->inflight = wf_amqp_inflight_new (self->credit, WF_AMQP_TAGS_MAX);
    self->pending = (s_pending_t *) zmalloc (self->credit * sizeof (s_pending_t));
    self->publications = (wf_amqp_publications_t *) zmalloc (sizeof (wf_amqp_publications_t));
    self->body = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
    wf_buf_init (&self->scratch);
    s_metrics_init (self);
    wf_mdp_worker_config_t worker_config = {
        .broker_endpoint = config->broker_endpoint,
        .service = config->service ? config->service : WF_AMQP_SERVICE,
        .credit = self->credit,
        .heartbeat_interval_ms = config->heartbeat_interval_ms,
        .curve_client_cert = config->curve_client_cert,
        .curve_server_key = config->curve_server_key,
    };
    self->worker = wf_mdp_worker_new (&worker_config);
    return self->worker ? 0 : -1;
}

//  Answers what is still in flight, closes the link politely and frees everything.
static void
s_self_destroy (self_t *self)
{
    self->fail_detail = "the AMQP bridge is stopping; retry later";
    if (self->worker)
        wf_amqp_inflight_reset (self->inflight, s_on_done, self);
    wf_amqp_link_destroy (&self->link);
    wf_mdp_worker_destroy (&self->worker);
    wf_amqp_inflight_destroy (&self->inflight);
    wf_metrics_destroy (&self->metrics);
    wf_buf_free (&self->scratch);
    free (self->pending);
    free (self->publications);
    free (self->body);
}

void
wf_amqp_bridge_actor (zsock_t *pipe, void *args)
{
    self_t self;
    memset (&self, 0, sizeof self);
    int rc = s_self_init (&self, (const wf_amqp_bridge_config_t *) args);
    zsock_signal (pipe, rc == 0 ? 0 : 1);
    bool more = false; //  the link may hold frames already read
    while (rc == 0) {
        s_connect (&self);
        zmq_pollitem_t items[3] = {
            {zsock_resolve (pipe), 0, ZMQ_POLLIN, 0},
            {zsock_resolve (wf_mdp_worker_sock (self.worker)), 0, ZMQ_POLLIN, 0},
            {NULL, wf_amqp_link_fd (self.link), ZMQ_POLLIN, 0}};
        int count = wf_amqp_link_is_open (self.link) ? 3 : 2;
        if (zmq_poll (items, count, more ? 0 : s_poll_timeout (&self)) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if ((items[0].revents & ZMQ_POLLIN) && !s_pipe_command (&self, pipe))
            break;
        if (items[1].revents & ZMQ_POLLIN)
            s_drain_worker (&self);
        more = s_pump (&self) == 1;
        wf_mdp_worker_tick (self.worker);
    }
    s_self_destroy (&self);
}
