/*  wf_front - the front actor's bridge between the HTTP thread and ZeroMQ.  */
#include "wf_front.h"
#include "wf_limits.h"
#include "wf_log.h"
#include "wf_mdp_client.h"
#include "wf_wire.h"
#include <libwebsockets.h>

#define TICK_MS            100
#define METRICS_PUSH_MS    1000
#define BRIDGE_BATCH_MAX   1024
#define METRICS_OWNERS_MAX 64

typedef struct {
    const wf_front_config_t *config;
    zsock_t *pipe;
    zactor_t *http;
    struct lws_context *lws;
    int port;
    wf_mdp_client_t *client;
    zsock_t *health;
    zsock_t *metrics;
    zhashx_t *metrics_texts; //  owner -> latest text
    zpoller_t *poller;
    wf_buf_t scratch;
    bool draining;
    bool http_done;
    uint64_t rejected_requests;
} self_t;

//  Forwards one request from the HTTP thread to the broker; if the broker
//  socket is full, answers BUSY at once.
static void
s_from_http (self_t *self, zmsg_t *msg)
{
    char *command = zmsg_popstr (msg);
    char *service = command && streq (command, "REQUEST") ? zmsg_popstr (msg) : NULL;
    if (service) {
        zmsg_t *body = zmsg_dup (msg);
        if (wf_mdp_client_send (self->client, service, &body) != 0) {
            zmsg_destroy (&body);
            wf_envelope_t env;
            wf_codec_err_t err;
            if (wf_wire_decode (msg, &env, NULL, &err) == 0) {
                zmsg_t *reply = zmsg_new ();
                zmsg_addstr (reply, "REPLY");
                if (wf_wire_append_error (reply, &env, WF_ERR_BUSY, "the broker link is full",
                                          &self->scratch) == 0)
                    zmsg_send (&reply, self->http);
                zmsg_destroy (&reply);
                lws_cancel_service (self->lws);
            }
            self->rejected_requests++;
        }
    } else if (command && streq (command, "DONE"))
        //  The HTTP thread finished draining; zactor_destroy collects it.
        self->http_done = true;
    zstr_free (&service);
    zstr_free (&command);
}

//  Forwards broker replies to the HTTP thread; one wake-up per batch.
static void
s_from_broker (self_t *self)
{
    int forwarded = 0;
    for (int i = 0; i < BRIDGE_BATCH_MAX; i++) {
        zmsg_t *reply = wf_mdp_client_recv (self->client, NULL);
        if (reply) {
            zmsg_pushstr (reply, "REPLY");
            zmsg_send (&reply, self->http);
            forwarded++;
        }
        if (!(zsock_events (wf_mdp_client_sock (self->client)) & ZMQ_POLLIN))
            break;
    }
    if (forwarded)
        lws_cancel_service (self->lws);
}

//  Passes the latest health report on to the HTTP thread.
static void
s_from_health (self_t *self)
{
    char *topic = NULL, *json = NULL;
    if (zsock_recv (self->health, "ss", &topic, &json) == 0 && json) {
        zsock_send (self->http, "ss", "HEALTH", json);
        lws_cancel_service (self->lws);
    }
    zstr_free (&topic);
    zstr_free (&json);
}

//  Keeps the latest metrics text of each publishing actor.
static void
s_from_metrics (self_t *self)
{
    char *owner = NULL, *text = NULL;
    if (zsock_recv (self->metrics, "ss", &owner, &text) == 0 && owner && text &&
        (zhashx_lookup (self->metrics_texts, owner) ||
         zhashx_size (self->metrics_texts) < METRICS_OWNERS_MAX)) {
        zhashx_update (self->metrics_texts, owner, text);
        text = NULL;
    }
    zstr_free (&owner);
    zstr_free (&text);
}

//  Sends the joined metrics of the other actors to the HTTP thread.
static void
s_push_metrics (self_t *self)
{
    if (zhashx_size (self->metrics_texts) == 0)
        return;
    size_t total = 1;
    for (char *t = (char *) zhashx_first (self->metrics_texts); t;
         t = (char *) zhashx_next (self->metrics_texts))
        total += strlen (t);
    char *joined = (char *) zmalloc (total);
    for (char *t = (char *) zhashx_first (self->metrics_texts); t;
         t = (char *) zhashx_next (self->metrics_texts))
        strcat (joined, t);
    zsock_send (self->http, "ss", "METRICS", joined);
    free (joined);
}

//  zhashx destructor for the metrics texts.
static void
s_text_free (void **item)
{
    zstr_free ((char **) item);
}

//  Starts the HTTP thread and connects the bridge's sockets; NULL on failure.
static self_t *
s_self_new (zsock_t *pipe, const wf_front_config_t *config)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    self->config = config;
    self->pipe = pipe;
    wf_buf_init (&self->scratch);
    self->metrics_texts = zhashx_new ();
    zhashx_set_destructor (self->metrics_texts, s_text_free);
    self->client = wf_mdp_client_new (config->broker_endpoint);
    self->http = zactor_new (wf_front_http_actor, (void *) &config->http);
    if (!self->client || !self->http ||
        zsock_recv (self->http, "pi", &self->lws, &self->port) != 0 || !self->lws) {
        wf_log (WF_LOG_ERROR, "front", "start_failed", NULL, "port=%d broker=%s", config->http.port,
                config->broker_endpoint);
        zactor_destroy (&self->http);
        wf_mdp_client_destroy (&self->client);
        zhashx_destroy (&self->metrics_texts);
        wf_buf_free (&self->scratch);
        free (self);
        return NULL;
    }
    self->poller = zpoller_new (pipe, self->http, wf_mdp_client_sock (self->client), NULL);
    if (config->health_endpoint) {
        self->health = zsock_new_sub (config->health_endpoint, "health");
        zpoller_add (self->poller, self->health);
    }
    if (config->metrics_endpoint) {
        self->metrics = zsock_new (ZMQ_SUB);
        zsock_set_subscribe (self->metrics, "");
        zsock_set_rcvhwm (self->metrics, 1000);
        zsock_set_maxmsgsize (self->metrics, WF_FRAME_BYTES_MAX);
        if (zsock_bind (self->metrics, "%s", config->metrics_endpoint) < 0)
            wf_log (WF_LOG_WARN, "front", "metrics_bind_failed", NULL, "endpoint=%s",
                    config->metrics_endpoint);
        zpoller_add (self->poller, self->metrics);
    }
    wf_log (WF_LOG_INFO, "front", "listening", NULL, "port=%d broker=%s", self->port,
            config->broker_endpoint);
    return self;
}

//  Stops everything the bridge owns.
static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    zpoller_destroy (&self->poller);
    if (!self->http_done) {
        zstr_send (self->http, "$TERM");
        lws_cancel_service (self->lws);
    }
    zactor_destroy (&self->http);
    wf_mdp_client_destroy (&self->client);
    zsock_destroy (&self->health);
    zsock_destroy (&self->metrics);
    zhashx_destroy (&self->metrics_texts);
    wf_buf_free (&self->scratch);
    free (self);
    *self_p = NULL;
}

//  Handles a command from the owner.
static void
s_pipe_command (self_t *self)
{
    char *command = zstr_recv (self->pipe);
    if (!command || streq (command, "$TERM")) {
        //  Drain: the HTTP thread finishes what it holds and then returns.
        self->draining = true;
        zstr_send (self->http, "DRAIN");
        lws_cancel_service (self->lws);
        wf_log (WF_LOG_INFO, "front", "draining", NULL, NULL);
    } else if (streq (command, "PORT"))
        zstr_sendf (self->pipe, "%d", self->port);
    zstr_free (&command);
}

void
wf_front_actor (zsock_t *pipe, void *args)
{
    self_t *self = s_self_new (pipe, (const wf_front_config_t *) args);
    zsock_signal (pipe, self ? 0 : 1);
    if (!self)
        return;
    int64_t tick_at = zclock_mono () + TICK_MS;
    int64_t metrics_at = zclock_mono () + METRICS_PUSH_MS;
    while (!self->http_done) {
        int64_t now = zclock_mono ();
        void *which = zpoller_wait (self->poller, tick_at > now ? (int) (tick_at - now) : 0);
        if (which == pipe && !self->draining)
            s_pipe_command (self);
        else if (which == self->http) {
            zmsg_t *msg = zmsg_recv (self->http);
            if (msg)
                s_from_http (self, msg);
            zmsg_destroy (&msg);
        } else if (which == wf_mdp_client_sock (self->client))
            s_from_broker (self);
        else if (which && which == self->health)
            s_from_health (self);
        else if (which && which == self->metrics)
            s_from_metrics (self);
        else if (zpoller_terminated (self->poller))
            break;
        now = zclock_mono ();
        if (now >= tick_at) {
            zstr_send (self->http, "TICK");
            lws_cancel_service (self->lws);
            tick_at = now + TICK_MS;
        }
        if (now >= metrics_at) {
            s_push_metrics (self);
            metrics_at = now + METRICS_PUSH_MS;
        }
    }
    wf_log (WF_LOG_INFO, "front", "stopped", NULL, NULL);
    s_self_destroy (&self);
}
