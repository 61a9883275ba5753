/*  wf_broker - the 7/MDP service broker (see wf_broker.h for its behaviour).

    Design after zguide's mdbroker, written against the current CZMQ API, with
    three additions: worker credit (several requests in flight per worker, for
    batching workers), deadlines taken from the WalletFlow envelope, and a
    bound on every table and queue. Nothing that arrives from the network is
    asserted: malformed messages are counted and dropped.

    Failover: the router is ZMQ_ROUTER_MANDATORY and never blocks, so a send
    to a worker whose connection is gone (its process died: the kernel closed
    the tcp connection) fails at once with EHOSTUNREACH. The request was never
    handed over, so it goes back to the head of its queue for another worker,
    and the dead worker is dropped without waiting for its heartbeats (its
    in-flight requests fail: it may have applied them). A worker silent for
    WF_HEARTBEAT_SUSPECT_BEATS beats (a host that vanished without closing
    its connections) gets no new requests until it speaks again, and is
    dropped after liveness beats. A draining worker (DRAIN) gets nothing new.
*/
#include "wf_broker.h"
#include "wf_limits.h"
#include "wf_mdp.h"
#include "wf_wire.h"

#define IDENTITY_KEY_BYTES_MAX     (2 * 255 + 1)
#define ROUTER_BATCH_MAX           256 //  messages handled per wake-up
#define DEADLINE_SCAN_MS           50  //  how often queued deadlines are checked
#define WF_HEARTBEAT_SUSPECT_BEATS 2   //  beats of silence before a worker gets no new requests

_Static_assert(WF_HEARTBEAT_SUSPECT_BEATS < WF_HEARTBEAT_LIVENESS,
               "a worker is suspected before it is declared dead");

typedef struct _service_t service_t;

//  One client request, queued or in flight.
typedef struct {
    zframe_t *client;   //  client's routing identity
    zframe_t *envelope; //  copy of the WalletFlow envelope, NULL if foreign
    zmsg_t *body;       //  body frames while queued; NULL once sent
    int64_t deadline_ms;
    uint64_t correlation_id;
} request_t;

//  One registered worker.
typedef struct {
    char key[IDENTITY_KEY_BYTES_MAX];
    zframe_t *address;
    service_t *service;
    int64_t expiry_ms; //  mono clock
    int64_t heard_ms;  //  mono clock of its last message
    bool draining;     //  sent DRAIN: nothing new goes to it
    size_t credit_max;
    zlistx_t *inflight;   //  request_t *
    void *waiting_handle; //  handle in service->waiting, or NULL
} worker_t;

struct _service_t {
    char name[WF_SERVICE_NAME_BYTES_MAX + 1];
    zlistx_t *queue;   //  request_t *, FIFO
    zlistx_t *waiting; //  worker_t * with free credit, round robin
    size_t workers;
};

typedef struct {
    uint64_t requests;
    uint64_t replies;
    uint64_t busy;
    uint64_t timeouts;
    uint64_t unavailable;
    uint64_t malformed;
    uint64_t workers_registered;
    uint64_t workers_expired;
    uint64_t workers_lost;  //  dropped because their connection was gone
    uint64_t requeued;      //  requests put back after a send to a gone worker
    uint64_t undeliverable; //  replies whose client was gone or full
} counters_t;

typedef struct {
    zsock_t *pipe;
    zsock_t *router;
    zpoller_t *poller;
    zhashx_t *services; //  name -> service_t
    zhashx_t *workers;  //  identity key -> worker_t
    const wf_broker_config_t *config;
    int heartbeat_interval_ms;
    int heartbeat_liveness;
    size_t queue_depth_max;
    int request_timeout_ms;
    int64_t heartbeat_at_ms; //  mono
    int64_t scan_at_ms;      //  mono
    int last_port;
    wf_buf_t scratch;
    counters_t counters;
    bool terminated;
} self_t;

//  Frees a request and everything it holds.
static void
s_request_destroy (request_t **self_p)
{
    request_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy (&self->client);
    zframe_destroy (&self->envelope);
    zmsg_destroy (&self->body);
    free (self);
    *self_p = NULL;
}

//  zlistx/zhashx destructor adapters.
static void
s_request_free (void **item)
{
    s_request_destroy ((request_t **) item);
}

static void
s_service_free (void **item)
{
    service_t *service = (service_t *) *item;
    if (service) {
        zlistx_destroy (&service->queue);
        zlistx_destroy (&service->waiting);
        free (service);
        *item = NULL;
    }
}

//  Writes the hex form of a routing identity, the key of the worker table.
static void
s_identity_key (zframe_t *address, char *key)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t size = zframe_size (address);
    if (size > 255)
        size = 255;
    const byte *data = zframe_data (address);
    for (size_t i = 0; i < size; i++) {
        key[2 * i] = hex[data[i] >> 4];
        key[2 * i + 1] = hex[data[i] & 15];
    }
    key[2 * size] = 0;
}

//  Sends the frames of head, then those of body (may be NULL), as one message,
//  without blocking; neither is taken. 0, or -1 when the peer is gone
//  (EHOSTUNREACH) or its queue is full (EAGAIN): then nothing was sent. The
//  router checks the peer on the first frame only, so only it can fail.
static int
s_send (self_t *self, zmsg_t *head, zmsg_t *body)
{
    size_t total = zmsg_size (head) + (body ? zmsg_size (body) : 0);
    size_t i = 0;
    for (zmsg_t *part = head; part; part = part == head ? body : NULL)
        for (zframe_t *frame = zmsg_first (part); frame; frame = zmsg_next (part), i++) {
            int flags = ZFRAME_REUSE | ZFRAME_DONTWAIT | (i + 1 < total ? ZFRAME_MORE : 0);
            if (zframe_send (&frame, self->router, flags) != 0) {
                assert (i == 0);
                return -1;
            }
        }
    return 0;
}

//  Sends [client][""]["MDPC01"][service] + body frames to a client; takes body.
//  A client that is gone or not reading loses the reply (counted).
static void
s_send_to_client (self_t *self, zframe_t *client, const char *service, zmsg_t **body_p)
{
    zmsg_t *head = zmsg_new ();
    zmsg_append (head, &(zframe_t *){zframe_dup (client)});
    zmsg_addmem (head, "", 0);
    zmsg_addstr (head, WF_MDPC);
    zmsg_addstr (head, service);
    if (s_send (self, head, *body_p) != 0)
        self->counters.undeliverable++;
    zmsg_destroy (&head);
    zmsg_destroy (body_p);
}

//  Answers a request with a WalletFlow error and counts it.
static void
s_reply_error (self_t *self, const char *service, request_t *request, wf_err_t code,
               const char *detail)
{
    wf_envelope_t req_env = {.version = WF_PROTO_VERSION, .type = WF_MSG_ERROR};
    wf_codec_err_t err;
    if (request->envelope)
        wf_envelope_decode (zframe_data (request->envelope), zframe_size (request->envelope),
                            &req_env, &err);
    zmsg_t *reply = zmsg_new ();
    if (wf_wire_append_error (reply, &req_env, code, detail, &self->scratch) != 0)
        zmsg_destroy (&reply);
    if (reply)
        s_send_to_client (self, request->client, service, &reply);
    if (code == WF_ERR_BUSY)
        self->counters.busy++;
    else if (code == WF_ERR_TIMEOUT)
        self->counters.timeouts++;
    else
        self->counters.unavailable++;
}

//  Sends a command to an address: [address][""]["MDPW01"][command], then
//  [client][""] when client is set, then the body frames (not taken).
//  0, or -1 as s_send.
static int
s_send_command (self_t *self, zframe_t *address, const char *command, zframe_t *client,
                zmsg_t *body)
{
    zmsg_t *head = zmsg_new ();
    zmsg_append (head, &(zframe_t *){zframe_dup (address)});
    zmsg_addmem (head, "", 0);
    zmsg_addstr (head, WF_MDPW);
    zmsg_addstr (head, command);
    if (client) {
        zmsg_append (head, &(zframe_t *){zframe_dup (client)});
        zmsg_addmem (head, "", 0);
    }
    int rc = s_send (self, head, body);
    zmsg_destroy (&head);
    return rc;
}

//  Sends a bare command to a worker; 0, or -1 as s_send.
static int
s_send_to_worker (self_t *self, worker_t *worker, const char *command)
{
    return s_send_command (self, worker->address, command, NULL, NULL);
}

//  Sends DISCONNECT to an address that is not (or no longer) a worker.
static void
s_disconnect_address (self_t *self, zframe_t *address)
{
    s_send_command (self, address, WF_MDPW_DISCONNECT, NULL, NULL);
}

//  Finds or creates a service; NULL when the name is invalid or the table full.
static service_t *
s_service_require (self_t *self, const char *name)
{
    service_t *service = (service_t *) zhashx_lookup (self->services, name);
    if (service)
        return service;
    size_t len = strlen (name);
    if (len == 0 || len > WF_SERVICE_NAME_BYTES_MAX ||
        zhashx_size (self->services) >= WF_SERVICES_MAX)
        return NULL;
    service = (service_t *) zmalloc (sizeof (service_t));
    memcpy (service->name, name, len + 1);
    service->queue = zlistx_new ();
    zlistx_set_destructor (service->queue, s_request_free);
    service->waiting = zlistx_new ();
    zhashx_insert (self->services, name, service);
    return service;
}

//  Removes a worker, failing whatever it had in flight (it may have applied
//  it, so the request is never re-sent to another worker).
static void
s_worker_delete (self_t *self, worker_t *worker, bool send_disconnect)
{
    if (send_disconnect)
        s_send_to_worker (self, worker, WF_MDPW_DISCONNECT);
    request_t *request = (request_t *) zlistx_first (worker->inflight);
    while (request) {
        s_reply_error (self, worker->service->name, request, WF_ERR_UNAVAILABLE,
                       "the worker serving this request stopped");
        request = (request_t *) zlistx_next (worker->inflight);
    }
    zlistx_destroy (&worker->inflight);
    if (worker->waiting_handle)
        zlistx_delete (worker->service->waiting, worker->waiting_handle);
    worker->service->workers--;
    zframe_destroy (&worker->address);
    zhashx_delete (self->workers, worker->key);
    free (worker);
}

//  Puts a worker (back) on its service's waiting list when it may take one
//  more request: free credit, not draining, not already there.
static void
s_worker_offer (worker_t *worker)
{
    if (!worker->waiting_handle && !worker->draining &&
        zlistx_size (worker->inflight) < worker->credit_max)
        worker->waiting_handle = zlistx_add_end (worker->service->waiting, worker);
}

//  True when a worker has been silent long enough to be suspected dead.
static bool
s_worker_silent (self_t *self, worker_t *worker, int64_t now)
{
    return now - worker->heard_ms >
           (int64_t) self->heartbeat_interval_ms * WF_HEARTBEAT_SUSPECT_BEATS;
}

//  Hands queued requests to workers with free credit, round robin. A request
//  whose worker turns out to be gone goes back to the head of the queue.
static void
s_dispatch (self_t *self, service_t *service)
{
    int64_t now_ms = wf_clock_ms ();
    int64_t now = zclock_mono ();
    while (zlistx_size (service->queue) > 0 && zlistx_size (service->waiting) > 0) {
        worker_t *worker = (worker_t *) zlistx_detach (service->waiting, NULL);
        worker->waiting_handle = NULL;
        if (s_worker_silent (self, worker, now))
            continue; //  offered again when it speaks
        request_t *request = (request_t *) zlistx_detach (service->queue, NULL);
        if (request->deadline_ms <= now_ms) {
            s_reply_error (self, service->name, request, WF_ERR_TIMEOUT,
                           "the request's deadline passed while it waited for a worker");
            s_request_destroy (&request);
            s_worker_offer (worker);
            continue;
        }
        if (s_send_command (self, worker->address, WF_MDPW_REQUEST, request->client,
                            request->body) != 0) {
            //  Never handed over: another worker may take it.
            bool gone = zmq_errno () == EHOSTUNREACH;
            zlistx_add_start (service->queue, request);
            self->counters.requeued++;
            if (gone) {
                zsys_info ("wf_broker: worker %s of %s is gone", worker->key, service->name);
                self->counters.workers_lost++;
                s_worker_delete (self, worker, false);
            } //  else its queue is full: offered again when it speaks
            continue;
        }
        zmsg_destroy (&request->body);
        zlistx_add_end (worker->inflight, request);
        s_worker_offer (worker);
    }
}

//  Answers the broker's own MMI services ("mmi.service").
static void
s_mmi (self_t *self, zframe_t *client, const char *service_name, zmsg_t **body_p)
{
    zmsg_t *body = *body_p;
    const char *code = "501";
    if (streq (service_name, "mmi.service")) {
        char *name = zmsg_popstr (body);
        service_t *service = name ? (service_t *) zhashx_lookup (self->services, name) : NULL;
        code = service && service->workers > 0 ? "200" : "404";
        zstr_free (&name);
    }
    zmsg_destroy (body_p);
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, code);
    s_send_to_client (self, client, service_name, &reply);
}

//  Handles ["MDPC01"] [service] [body...] from a client.
static void
s_client_message (self_t *self, zframe_t *client, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    char *service_name = zmsg_popstr (msg);
    if (!service_name || zmsg_size (msg) == 0) {
        self->counters.malformed++;
        zstr_free (&service_name);
        zmsg_destroy (msg_p);
        return;
    }
    if (strncmp (service_name, "mmi.", 4) == 0) {
        s_mmi (self, client, service_name, msg_p);
        zstr_free (&service_name);
        return;
    }
    self->counters.requests++;
    request_t *request = (request_t *) zmalloc (sizeof (request_t));
    request->client = zframe_dup (client);
    request->deadline_ms = wf_clock_ms () + self->request_timeout_ms;
    zframe_t *first = zmsg_first (msg);
    wf_envelope_t env;
    wf_codec_err_t err;
    if (wf_envelope_decode (zframe_data (first), zframe_size (first), &env, &err) == 0) {
        request->envelope = zframe_dup (first);
        request->correlation_id = env.correlation_id;
        if (env.deadline_ms > 0)
            request->deadline_ms = env.deadline_ms;
    }
    request->body = msg;
    *msg_p = NULL;
    service_t *service = s_service_require (self, service_name);
    if (!service)
        s_reply_error (self, service_name, request, WF_ERR_UNAVAILABLE, "no such service");
    else if (zlistx_size (service->queue) >= self->queue_depth_max)
        s_reply_error (self, service_name, request, WF_ERR_BUSY,
                       "the service's queue is full; retry later");
    else {
        zlistx_add_end (service->queue, request);
        request = NULL;
        s_dispatch (self, service);
    }
    s_request_destroy (&request);
    zstr_free (&service_name);
}

//  Registers a worker for a service (READY).
static void
s_worker_ready (self_t *self, zframe_t *address, const char *key, zmsg_t *msg)
{
    char *service_name = zmsg_popstr (msg);
    char *credit_text = zmsg_popstr (msg);
    service_t *service = NULL;
    if (service_name && strncmp (service_name, "mmi.", 4) != 0 &&
        zhashx_size (self->workers) < WF_WORKERS_MAX)
        service = s_service_require (self, service_name);
    if (!service) {
        self->counters.malformed++;
        s_disconnect_address (self, address);
    } else {
        worker_t *worker = (worker_t *) zmalloc (sizeof (worker_t));
        strcpy (worker->key, key);
        worker->address = zframe_dup (address);
        worker->service = service;
        worker->credit_max = 1;
        if (credit_text) {
            long credit = atol (credit_text);
            if (credit >= 1 && credit <= WF_WORKER_CREDIT_MAX)
                worker->credit_max = (size_t) credit;
        }
        worker->inflight = zlistx_new ();
        zlistx_set_destructor (worker->inflight, s_request_free);
        worker->heard_ms = zclock_mono ();
        worker->expiry_ms =
            worker->heard_ms + self->heartbeat_interval_ms * self->heartbeat_liveness;
        zhashx_insert (self->workers, key, worker);
        service->workers++;
        s_worker_offer (worker);
        self->counters.workers_registered++;
        s_dispatch (self, service);
    }
    zstr_free (&service_name);
    zstr_free (&credit_text);
}

//  Takes the matching in-flight request off a worker and frees its credit.
static void
s_worker_complete (self_t *self, worker_t *worker, zframe_t *client, zmsg_t *body)
{
    uint64_t correlation_id = 0;
    bool have_id = false;
    zframe_t *first = zmsg_first (body);
    wf_envelope_t env;
    wf_codec_err_t err;
    if (first && wf_envelope_decode (zframe_data (first), zframe_size (first), &env, &err) == 0) {
        correlation_id = env.correlation_id;
        have_id = true;
    }
    request_t *request = (request_t *) zlistx_first (worker->inflight);
    while (request) {
        if (zframe_eq (request->client, client) &&
            (!have_id || !request->envelope || request->correlation_id == correlation_id)) {
            zlistx_delete (worker->inflight, zlistx_cursor (worker->inflight));
            break;
        }
        request = (request_t *) zlistx_next (worker->inflight);
    }
    s_worker_offer (worker);
}

//  Handles ["MDPW01"] [command] ... from a worker.
static void
s_worker_message (self_t *self, zframe_t *address, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    zframe_t *command = zmsg_pop (msg);
    char key[IDENTITY_KEY_BYTES_MAX];
    s_identity_key (address, key);
    worker_t *worker = (worker_t *) zhashx_lookup (self->workers, key);
    if (worker) {
        worker->heard_ms = zclock_mono ();
        worker->expiry_ms =
            worker->heard_ms + self->heartbeat_interval_ms * self->heartbeat_liveness;
        if (!worker->waiting_handle && !worker->draining &&
            zlistx_size (worker->inflight) < worker->credit_max) {
            //  A suspected (silent) worker spoke again: it may take requests.
            s_worker_offer (worker);
            s_dispatch (self, worker->service);
        }
    }

    if (!command || zframe_size (command) != 1)
        self->counters.malformed++;
    else if (zframe_streq (command, WF_MDPW_READY)) {
        if (worker) //  a second READY is a protocol error: drop the worker
            s_worker_delete (self, worker, true);
        else
            s_worker_ready (self, address, key, msg);
    } else if (zframe_streq (command, WF_MDPW_REPLY)) {
        zframe_t *client = zmsg_pop (msg);
        zframe_t *empty = zmsg_pop (msg);
        if (!worker)
            s_disconnect_address (self, address);
        else if (!client || !empty || zframe_size (empty) != 0 || zmsg_size (msg) == 0)
            self->counters.malformed++;
        else {
            s_worker_complete (self, worker, client, msg);
            self->counters.replies++;
            s_send_to_client (self, client, worker->service->name, msg_p);
            s_dispatch (self, worker->service);
        }
        zframe_destroy (&client);
        zframe_destroy (&empty);
    } else if (zframe_streq (command, WF_MDPW_HEARTBEAT)) {
        if (!worker)
            s_disconnect_address (self, address);
    } else if (zframe_streq (command, WF_MDPW_DISCONNECT)) {
        if (worker)
            s_worker_delete (self, worker, false);
    } else if (zframe_streq (command, WF_MDPW_DRAIN)) {
        //  Graceful stop: nothing new for it; our answer follows every request
        //  already sent, so when it arrives the worker has them all.
        if (!worker)
            s_disconnect_address (self, address);
        else {
            worker->draining = true;
            if (worker->waiting_handle)
                zlistx_delete (worker->service->waiting, worker->waiting_handle);
            worker->waiting_handle = NULL;
            s_send_to_worker (self, worker, WF_MDPW_DRAIN);
        }
    } else
        self->counters.malformed++;
    zframe_destroy (&command);
    zmsg_destroy (msg_p);
}

//  Receives one message from the router and routes it by its header.
static void
s_router_message (self_t *self)
{
    zmsg_t *msg = zmsg_recv (self->router);
    if (!msg)
        return;
    zframe_t *sender = zmsg_pop (msg);
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *header = zmsg_pop (msg);
    if (!sender || !empty || zframe_size (empty) != 0 || !header)
        self->counters.malformed++;
    else if (zframe_streq (header, WF_MDPC))
        s_client_message (self, sender, &msg);
    else if (zframe_streq (header, WF_MDPW))
        s_worker_message (self, sender, &msg);
    else
        self->counters.malformed++;
    zframe_destroy (&sender);
    zframe_destroy (&empty);
    zframe_destroy (&header);
    zmsg_destroy (&msg);
}

//  Drops silent workers and sends heartbeats to the live ones.
static void
s_heartbeat (self_t *self)
{
    int64_t now = zclock_mono ();
    zlistx_t *expired = zlistx_new ();
    worker_t *worker = (worker_t *) zhashx_first (self->workers);
    zlistx_t *lost = zlistx_new ();
    while (worker) {
        if (worker->expiry_ms < now)
            zlistx_add_end (expired, worker);
        else if (s_send_to_worker (self, worker, WF_MDPW_HEARTBEAT) != 0 &&
                 zmq_errno () == EHOSTUNREACH)
            zlistx_add_end (lost, worker);
        worker = (worker_t *) zhashx_next (self->workers);
    }
    worker = (worker_t *) zlistx_first (expired);
    while (worker) {
        zsys_info ("wf_broker: worker %s of %s expired", worker->key, worker->service->name);
        self->counters.workers_expired++;
        s_worker_delete (self, worker, false);
        worker = (worker_t *) zlistx_next (expired);
    }
    worker = (worker_t *) zlistx_first (lost);
    while (worker) {
        zsys_info ("wf_broker: worker %s of %s is gone", worker->key, worker->service->name);
        self->counters.workers_lost++;
        s_worker_delete (self, worker, false);
        worker = (worker_t *) zlistx_next (lost);
    }
    zlistx_destroy (&expired);
    zlistx_destroy (&lost);
}

//  Fails queued requests whose deadline passed.
static void
s_expire_requests (self_t *self)
{
    int64_t now_ms = wf_clock_ms ();
    service_t *service = (service_t *) zhashx_first (self->services);
    while (service) {
        request_t *request = (request_t *) zlistx_first (service->queue);
        while (request) {
            void *cursor = zlistx_cursor (service->queue);
            request_t *next = (request_t *) zlistx_next (service->queue);
            if (request->deadline_ms <= now_ms) {
                if (service->workers == 0)
                    s_reply_error (self, service->name, request, WF_ERR_UNAVAILABLE,
                                   "no worker serves this service");
                else
                    s_reply_error (self, service->name, request, WF_ERR_TIMEOUT,
                                   "the request's deadline passed while it waited for a worker");
                zlistx_delete (service->queue, cursor);
            }
            request = next;
        }
        service = (service_t *) zhashx_next (self->services);
    }
}

//  Renders the broker's counters in Prometheus text format.
static char *
s_metrics_text (self_t *self)
{
    size_t queued = 0;
    service_t *service = (service_t *) zhashx_first (self->services);
    while (service) {
        queued += zlistx_size (service->queue);
        service = (service_t *) zhashx_next (self->services);
    }
    const counters_t *c = &self->counters;
    return zsys_sprintf (
        "# HELP wf_broker_requests_total Client requests received by the broker.\n"
        "# TYPE wf_broker_requests_total counter\nwf_broker_requests_total %" PRIu64 "\n"
        "# HELP wf_broker_replies_total Worker replies forwarded to clients.\n"
        "# TYPE wf_broker_replies_total counter\nwf_broker_replies_total %" PRIu64 "\n"
        "# HELP wf_broker_errors_total Requests the broker answered with an error.\n"
        "# TYPE wf_broker_errors_total counter\n"
        "wf_broker_errors_total{reason=\"busy\"} %" PRIu64 "\n"
        "wf_broker_errors_total{reason=\"timeout\"} %" PRIu64 "\n"
        "wf_broker_errors_total{reason=\"unavailable\"} %" PRIu64 "\n"
        "# HELP wf_broker_malformed_total Messages dropped as malformed.\n"
        "# TYPE wf_broker_malformed_total counter\nwf_broker_malformed_total %" PRIu64 "\n"
        "# HELP wf_broker_workers_expired_total Workers dropped after missed heartbeats.\n"
        "# TYPE wf_broker_workers_expired_total counter\n"
        "wf_broker_workers_expired_total %" PRIu64 "\n"
        "# HELP wf_broker_workers_lost_total Workers dropped because their connection was gone.\n"
        "# TYPE wf_broker_workers_lost_total counter\n"
        "wf_broker_workers_lost_total %" PRIu64 "\n"
        "# HELP wf_broker_requeued_total Requests put back for another worker (never handed "
        "over).\n"
        "# TYPE wf_broker_requeued_total counter\nwf_broker_requeued_total %" PRIu64 "\n"
        "# HELP wf_broker_undeliverable_total Replies dropped: their client was gone or full.\n"
        "# TYPE wf_broker_undeliverable_total counter\n"
        "wf_broker_undeliverable_total %" PRIu64 "\n"
        "# HELP wf_broker_workers Workers currently registered.\n"
        "# TYPE wf_broker_workers gauge\nwf_broker_workers %zu\n"
        "# HELP wf_broker_queued_requests Requests waiting for a worker.\n"
        "# TYPE wf_broker_queued_requests gauge\nwf_broker_queued_requests %zu\n",
        c->requests, c->replies, c->busy, c->timeouts, c->unavailable, c->malformed,
        c->workers_expired, c->workers_lost, c->requeued, c->undeliverable,
        zhashx_size (self->workers), queued);
}

//  Binds one endpoint; remembers the port for tests that bind tcp://*:*.
static int
s_bind (self_t *self, const char *endpoint)
{
    int rc = zsock_bind (self->router, "%s", endpoint);
    if (rc == -1) {
        zsys_error ("wf_broker: cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        return -1;
    }
    if (rc > 0)
        self->last_port = rc;
    return 0;
}

//  Handles a command from the owner; returns false on $TERM.
static void
s_pipe_command (self_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    char *command = msg ? zmsg_popstr (msg) : NULL;
    if (!command || streq (command, "$TERM"))
        self->terminated = true;
    else if (streq (command, "BIND")) {
        char *endpoint = zmsg_popstr (msg);
        zsock_signal (self->pipe, endpoint && s_bind (self, endpoint) == 0 ? 0 : 1);
        zstr_free (&endpoint);
    } else if (streq (command, "PORT"))
        zstr_sendf (self->pipe, "%d", self->last_port);
    else if (streq (command, "METRICS")) {
        char *text = s_metrics_text (self);
        zstr_send (self->pipe, text);
        zstr_free (&text);
    } else
        zsys_error ("wf_broker: unknown pipe command %s", command);
    zstr_free (&command);
    zmsg_destroy (&msg);
}

//  Creates the broker state and binds its endpoint; NULL on failure.
static self_t *
s_self_new (zsock_t *pipe, const wf_broker_config_t *config)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    self->pipe = pipe;
    self->config = config;
    self->heartbeat_interval_ms = config->heartbeat_interval_ms > 0 ? config->heartbeat_interval_ms
                                                                    : WF_HEARTBEAT_INTERVAL_MS;
    self->heartbeat_liveness =
        config->heartbeat_liveness > 0 ? config->heartbeat_liveness : WF_HEARTBEAT_LIVENESS;
    self->queue_depth_max = config->service_queue_depth_max > 0 ? config->service_queue_depth_max
                                                                : WF_SERVICE_QUEUE_DEPTH_MAX;
    self->request_timeout_ms =
        config->request_timeout_ms > 0 ? config->request_timeout_ms : WF_REQUEST_TIMEOUT_MS;
    self->router = zsock_new (ZMQ_ROUTER);
    zsock_set_sndhwm (self->router, WF_SOCKET_HWM);
    zsock_set_rcvhwm (self->router, WF_SOCKET_HWM);
    zsock_set_maxmsgsize (self->router, WF_FRAME_BYTES_MAX);
    //  Sends to a peer that is gone fail (EHOSTUNREACH) instead of vanishing.
    zsock_set_router_mandatory (self->router, 1);
    if (config->curve_server_cert) {
        zcert_apply (config->curve_server_cert, self->router);
        zsock_set_curve_server (self->router, 1);
    }
    self->services = zhashx_new ();
    zhashx_set_destructor (self->services, s_service_free);
    self->workers = zhashx_new ();
    wf_buf_init (&self->scratch);
    self->poller = zpoller_new (pipe, self->router, NULL);
    if (config->endpoint && s_bind (self, config->endpoint) != 0) {
        zpoller_destroy (&self->poller);
        zsock_destroy (&self->router);
        zhashx_destroy (&self->workers);
        zhashx_destroy (&self->services);
        wf_buf_free (&self->scratch);
        free (self);
        return NULL;
    }
    self->heartbeat_at_ms = zclock_mono () + self->heartbeat_interval_ms;
    self->scan_at_ms = zclock_mono () + DEADLINE_SCAN_MS;
    return self;
}

//  Destroys the broker state; workers are told to disconnect.
static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    worker_t *worker = (worker_t *) zhashx_first (self->workers);
    while (worker) {
        s_worker_delete (self, worker, true);
        worker = (worker_t *) zhashx_first (self->workers);
    }
    zhashx_destroy (&self->workers);
    zhashx_destroy (&self->services);
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->router);
    wf_buf_free (&self->scratch);
    free (self);
    *self_p = NULL;
}

void
wf_broker_actor (zsock_t *pipe, void *args)
{
    self_t *self = s_self_new (pipe, (const wf_broker_config_t *) args);
    zsock_signal (pipe, self ? 0 : 1);
    if (!self)
        return;
    while (!self->terminated) {
        int64_t now = zclock_mono ();
        int64_t next =
            self->heartbeat_at_ms < self->scan_at_ms ? self->heartbeat_at_ms : self->scan_at_ms;
        int timeout_ms = next > now ? (int) (next - now) : 0;
        zsock_t *which = (zsock_t *) zpoller_wait (self->poller, timeout_ms);
        if (which == self->pipe)
            s_pipe_command (self);
        else if (which == self->router) {
            for (int i = 0; i < ROUTER_BATCH_MAX; i++) {
                s_router_message (self);
                if (!(zsock_events (self->router) & ZMQ_POLLIN))
                    break;
            }
        } else if (zpoller_terminated (self->poller))
            break;
        now = zclock_mono ();
        if (now >= self->scan_at_ms) {
            s_expire_requests (self);
            self->scan_at_ms = now + DEADLINE_SCAN_MS;
        }
        if (now >= self->heartbeat_at_ms) {
            s_heartbeat (self);
            self->heartbeat_at_ms = now + self->heartbeat_interval_ms;
        }
    }
    s_self_destroy (&self);
}
