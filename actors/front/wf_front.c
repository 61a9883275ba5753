/*  wf_front - the front actor's bridge between the HTTP thread and ZeroMQ.  */
#include "wf_front.h"
#include "wf_front_ratelimit.h"
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
    zsock_t *notifications;  //  SUB to the notifiers' PUB, or NULL
    zhashx_t *metrics_texts; //  owner -> latest text
    zpoller_t *poller;
    wf_buf_t scratch;
    bool draining;
    bool http_done;
    uint64_t rejected_requests;
    wf_front_ratelimit_t *ratelimit; //  the HTTP thread's "LIMIT" questions
    wf_metrics_t *ratelimit_metrics;
} self_t;

//  The hub's "SUB"/"UNSUB" user: follow the users with connections here, so
//  the notifiers' PUB sends this front only what its clients need.
static void
s_subscription (self_t *self, bool subscribe, zmsg_t *msg)
{
    char *user = zmsg_popstr (msg);
    if (user && *user && self->notifications) {
        if (subscribe)
            zsock_set_subscribe (self->notifications, user);
        else
            zsock_set_unsubscribe (self->notifications, user);
    }
    zstr_free (&user);
}

//  Answers the HTTP thread's "LIMIT" index generation class user address
//  with "LIMITED" index generation retry_after_s scope (0: go ahead). Here,
//  not on the HTTP thread, because the limiter may wait for Redis.
static void
s_limit (self_t *self, zmsg_t *msg)
{
    char *index = zmsg_popstr (msg), *generation = zmsg_popstr (msg);
    char *rate_class = zmsg_popstr (msg), *user = zmsg_popstr (msg);
    char *address = zmsg_popstr (msg);
    if (index && generation && rate_class && user && address) {
        int64_t retry_after_s = 0;
        const char *scope = "";
        wf_front_ratelimit_check (
            self->ratelimit, streq (rate_class, "auth") ? WF_RATE_CLASS_AUTH : WF_RATE_CLASS_MONEY,
            user, address, wf_clock_ms (), &retry_after_s, &scope);
        zmsg_t *answer = zmsg_new ();
        zmsg_addstr (answer, "LIMITED");
        zmsg_addstr (answer, index);
        zmsg_addstr (answer, generation);
        zmsg_addstrf (answer, "%" PRId64, retry_after_s);
        zmsg_addstr (answer, *scope ? scope : "-");
        zmsg_send (&answer, self->http);
        zmsg_destroy (&answer);
        lws_cancel_service (self->lws);
    }
    zstr_free (&index);
    zstr_free (&generation);
    zstr_free (&rate_class);
    zstr_free (&user);
    zstr_free (&address);
}

//  Makes a socket that faces tcp a CURVE server when the process has a
//  server certificate: publishers on other hosts connect as CURVE clients
//  with keys the process's zauth allows (inproc carries no security).
static void
s_curve_server (const wf_front_config_t *config, zsock_t *sock, const char *endpoint)
{
    if (config->curve_server_cert && endpoint && strstr (endpoint, "tcp://")) {
        zcert_apply (config->curve_server_cert, sock);
        zsock_set_curve_server (sock, 1);
    }
}

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
    } else if (command && streq (command, "LIMIT"))
        s_limit (self, msg);
    else if (command && (streq (command, "SUB") || streq (command, "UNSUB")))
        s_subscription (self, streq (command, "SUB"), msg);
    else if (command && streq (command, "DONE"))
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

//  Passes notifications [user][json] on to the HTTP thread as "PUSH"; one
//  wake-up per batch.
static void
s_from_notifier (self_t *self)
{
    int forwarded = 0;
    for (int i = 0; i < BRIDGE_BATCH_MAX; i++) {
        zmsg_t *msg = zmsg_recv (self->notifications);
        if (msg && zmsg_size (msg) == 2) {
            zmsg_pushstr (msg, "PUSH");
            zmsg_send (&msg, self->http);
            forwarded++;
        }
        zmsg_destroy (&msg);
        if (!(zsock_events (self->notifications) & ZMQ_POLLIN))
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

//  One metric family while joining texts: its comment lines and samples.
typedef struct {
    char *help;
    char *type;
    zlistx_t *samples;
} family_t;

static void
s_family_free (void **item)
{
    family_t *family = (family_t *) *item;
    if (family) {
        zstr_free (&family->help);
        zstr_free (&family->type);
        zlistx_destroy (&family->samples);
        free (family);
        *item = NULL;
    }
}

//  The family a line belongs to: "# HELP x", "# TYPE x", or a sample of x
//  (histogram samples x_bucket/x_sum/x_count belong to family x).
static family_t *
s_family_of (zhashx_t *families, zlistx_t *order, const char *line)
{
    char name[128];
    bool comment = strncmp (line, "# HELP ", 7) == 0 || strncmp (line, "# TYPE ", 7) == 0;
    const char *start = comment ? line + 7 : line;
    size_t len = strcspn (start, comment ? " " : "{ ");
    snprintf (name, sizeof name, "%.*s", (int) (len < sizeof name ? len : sizeof name - 1), start);
    family_t *family = (family_t *) zhashx_lookup (families, name);
    for (const char *suffix = "_bucket\0_sum\0_count\0"; !family && !comment && *suffix;
         suffix += strlen (suffix) + 1) {
        size_t n = strlen (name), m = strlen (suffix);
        if (n > m && streq (name + n - m, suffix)) {
            char base[128];
            snprintf (base, sizeof base, "%.*s", (int) (n - m), name);
            family = (family_t *) zhashx_lookup (families, base);
        }
    }
    if (!family) {
        family = (family_t *) zmalloc (sizeof (family_t));
        family->samples = zlistx_new ();
        zlistx_set_destructor (family->samples, (zlistx_destructor_fn *) zstr_free);
        zhashx_insert (families, name, family);
        zlistx_add_end (order, family);
    }
    return family;
}

//  Joins the other actors' metrics, grouping each family's samples under one
//  HELP/TYPE pair (several shards report the same families), and sends the
//  text to the HTTP thread.
static void
s_push_metrics (self_t *self)
{
    //  The limiter's own counters join the other actors' texts.
    zhashx_update (self->metrics_texts, "front-ratelimit",
                   wf_metrics_text (self->ratelimit_metrics));
    if (zhashx_size (self->metrics_texts) == 0)
        return;
    zhashx_t *families = zhashx_new ();
    zhashx_set_destructor (families, s_family_free);
    zlistx_t *order = zlistx_new ();
    size_t total = 1;
    for (char *t = (char *) zhashx_first (self->metrics_texts); t;
         t = (char *) zhashx_next (self->metrics_texts)) {
        total += strlen (t) + 1;
        for (char *line = t; *line;) {
            size_t len = strcspn (line, "\n");
            char *copy = zsys_sprintf ("%.*s", (int) len, line);
            family_t *family = *copy ? s_family_of (families, order, copy) : NULL;
            if (family && strncmp (copy, "# HELP ", 7) == 0 && !family->help)
                family->help = copy, copy = NULL;
            else if (family && strncmp (copy, "# TYPE ", 7) == 0 && !family->type)
                family->type = copy, copy = NULL;
            else if (family && copy[0] != '#')
                zlistx_add_end (family->samples, copy), copy = NULL;
            zstr_free (&copy);
            line += len + (line[len] == '\n');
        }
    }
    char *joined = (char *) zmalloc (total);
    size_t at = 0;
    for (family_t *f = (family_t *) zlistx_first (order); f; f = (family_t *) zlistx_next (order)) {
        const char *parts[2] = {f->help, f->type};
        for (int i = 0; i < 2; i++)
            if (parts[i])
                at += (size_t) snprintf (joined + at, total - at, "%s\n", parts[i]);
        for (char *sample = (char *) zlistx_first (f->samples); sample;
             sample = (char *) zlistx_next (f->samples))
            at += (size_t) snprintf (joined + at, total - at, "%s\n", sample);
    }
    zsock_send (self->http, "ss", "METRICS", joined);
    free (joined);
    zlistx_destroy (&order);
    zhashx_destroy (&families);
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
    self->ratelimit_metrics = wf_metrics_new ("front_ratelimit");
    self->ratelimit = wf_front_ratelimit_new (&config->http.ratelimit, self->ratelimit_metrics);
    if (!self->ratelimit) {
        wf_log (WF_LOG_ERROR, "front", "ratelimit_config_refused", NULL, NULL);
        wf_metrics_destroy (&self->ratelimit_metrics);
        free (self);
        return NULL;
    }
    wf_buf_init (&self->scratch);
    self->metrics_texts = zhashx_new ();
    zhashx_set_destructor (self->metrics_texts, s_text_free);
    self->client = wf_mdp_client_new_curve (config->broker_endpoint, config->curve_client_cert,
                                            config->curve_server_key);
    self->http = zactor_new (wf_front_http_actor, (void *) &config->http);
    if (!self->client || !self->http ||
        zsock_recv (self->http, "pi", &self->lws, &self->port) != 0 || !self->lws) {
        wf_log (WF_LOG_ERROR, "front", "start_failed", NULL, "port=%d broker=%s", config->http.port,
                config->broker_endpoint);
        zactor_destroy (&self->http);
        wf_mdp_client_destroy (&self->client);
        zhashx_destroy (&self->metrics_texts);
        wf_buf_free (&self->scratch);
        wf_front_ratelimit_destroy (&self->ratelimit);
        wf_metrics_destroy (&self->ratelimit_metrics);
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
        s_curve_server (config, self->metrics, config->metrics_endpoint);
        if (zsock_bind (self->metrics, "%s", config->metrics_endpoint) < 0)
            wf_log (WF_LOG_WARN, "front", "metrics_bind_failed", NULL, "endpoint=%s",
                    config->metrics_endpoint);
        if (strncmp (config->metrics_endpoint, "inproc:", 7) != 0 &&
            zsock_bind (self->metrics, "%s", WF_FRONT_METRICS_LOCAL) < 0)
            wf_log (WF_LOG_WARN, "front", "metrics_bind_failed", NULL, "endpoint=%s",
                    WF_FRONT_METRICS_LOCAL);
        zpoller_add (self->poller, self->metrics);
    }
    if (config->notifier_endpoint && *config->notifier_endpoint) {
        //  No subscription yet: the hub asks for each user it holds.
        self->notifications = zsock_new (ZMQ_SUB);
        zsock_set_rcvhwm (self->notifications, WF_SOCKET_HWM);
        zsock_set_maxmsgsize (self->notifications, WF_FRAME_BYTES_MAX);
        s_curve_server (config, self->notifications, config->notifier_endpoint);
        if (zsock_attach (self->notifications, config->notifier_endpoint, false) != 0)
            wf_log (WF_LOG_WARN, "front", "notifier_connect_failed", NULL, "endpoint=%s",
                    config->notifier_endpoint);
        zpoller_add (self->poller, self->notifications);
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
    zsock_destroy (&self->notifications);
    zhashx_destroy (&self->metrics_texts);
    wf_buf_free (&self->scratch);
    wf_front_ratelimit_destroy (&self->ratelimit);
    wf_metrics_destroy (&self->ratelimit_metrics);
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
    if (!self) {
        //  zactor_new ignores the status: stay until $TERM, answering PORT
        //  with -1, so the owner can tell (and zactor_destroy still works).
        char *command;
        while ((command = zstr_recv (pipe)) && !streq (command, "$TERM")) {
            if (streq (command, "PORT"))
                zstr_send (pipe, "-1");
            zstr_free (&command);
        }
        zstr_free (&command);
        return;
    }
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
        else if (which && which == self->notifications)
            s_from_notifier (self);
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
