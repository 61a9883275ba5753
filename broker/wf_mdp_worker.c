/*  wf_mdp_worker - the worker half of 7/MDP.  */
#include "wf_mdp_worker.h"
#include "wf_limits.h"
#include "wf_mdp.h"
#include "wf_wire.h"

#define LINGER_MS_MAX 1000 //  how long replies and DISCONNECT may take to leave at destroy

struct _wf_mdp_worker_t {
    zsock_t *dealer;
    char *endpoint;
    char *service;
    size_t credit;
    int heartbeat_interval_ms;
    int heartbeat_liveness;
    int64_t heartbeat_at_ms;  //  when we next send a heartbeat (mono)
    int64_t broker_expiry_ms; //  when the broker counts as dead (mono)
    size_t reconnects;
    bool draining;           //  DRAIN sent: stopping
    bool drained;            //  the broker answered DRAIN, or gave up on us
    int64_t drain_expiry_ms; //  when we stop waiting for that answer (mono)
};

//  Sends [""]["MDPW01"][command] + optional frames.
static void
s_send_command (wf_mdp_worker_t *self, const char *command, zmsg_t **body_p)
{
    zmsg_t *msg = body_p && *body_p ? *body_p : zmsg_new ();
    if (body_p)
        *body_p = NULL;
    zmsg_pushstr (msg, command);
    zmsg_pushstr (msg, WF_MDPW);
    zmsg_pushmem (msg, "", 0);
    //  A send that cannot be queued (no broker connection at all, e.g. one
    //  whose handshake is refused) waits at most the send timeout: the message
    //  is dropped, so the actor's loop goes on and still hears $TERM.
    if (zmsg_send (&msg, self->dealer) != 0)
        zmsg_destroy (&msg);
}

//  Registers with the broker: READY, service, credit.
static void
s_register (wf_mdp_worker_t *self)
{
    zmsg_t *body = zmsg_new ();
    zmsg_addstr (body, self->service);
    zmsg_addstrf (body, "%zu", self->credit);
    s_send_command (self, WF_MDPW_READY, &body);
    int64_t now = zclock_mono ();
    self->broker_expiry_ms = now + self->heartbeat_interval_ms * self->heartbeat_liveness;
    self->heartbeat_at_ms = now + self->heartbeat_interval_ms;
}

wf_mdp_worker_t *
wf_mdp_worker_new (const wf_mdp_worker_config_t *config)
{
    assert (config && config->broker_endpoint && config->service);
    wf_mdp_worker_t *self = (wf_mdp_worker_t *) zmalloc (sizeof (wf_mdp_worker_t));
    self->endpoint = strdup (config->broker_endpoint);
    self->service = strdup (config->service);
    self->credit = config->credit > 0 ? config->credit : 1;
    self->heartbeat_interval_ms = config->heartbeat_interval_ms > 0 ? config->heartbeat_interval_ms
                                                                    : WF_HEARTBEAT_INTERVAL_MS;
    self->heartbeat_liveness =
        config->heartbeat_liveness > 0 ? config->heartbeat_liveness : WF_HEARTBEAT_LIVENESS;
    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_sndhwm (self->dealer, WF_SOCKET_HWM);
    zsock_set_rcvhwm (self->dealer, WF_SOCKET_HWM);
    zsock_set_maxmsgsize (self->dealer, WF_FRAME_BYTES_MAX);
    zsock_set_linger (self->dealer, 0);
    zsock_set_sndtimeo (self->dealer, self->heartbeat_interval_ms);
    if (config->curve_client_cert && config->curve_server_key) {
        zcert_apply (config->curve_client_cert, self->dealer);
        zsock_set_curve_serverkey (self->dealer, config->curve_server_key);
    }
    if (zsock_connect (self->dealer, "%s", self->endpoint) != 0) {
        wf_mdp_worker_destroy (&self);
        return NULL;
    }
    s_register (self);
    return self;
}

void
wf_mdp_worker_destroy (wf_mdp_worker_t **self_p)
{
    wf_mdp_worker_t *self = *self_p;
    if (!self)
        return;
    if (self->dealer) {
        //  Replies sent last and DISCONNECT must still reach the broker.
        zsock_set_linger (self->dealer, LINGER_MS_MAX);
        s_send_command (self, WF_MDPW_DISCONNECT, NULL);
    }
    zsock_destroy (&self->dealer);
    free (self->endpoint);
    free (self->service);
    free (self);
    *self_p = NULL;
}

zsock_t *
wf_mdp_worker_sock (wf_mdp_worker_t *self)
{
    return self->dealer;
}

//  Drops the connection and registers again on the same socket object.
static void
s_reconnect (wf_mdp_worker_t *self)
{
    zsock_disconnect (self->dealer, "%s", self->endpoint);
    zsock_connect (self->dealer, "%s", self->endpoint);
    self->reconnects++;
    s_register (self);
}

zmsg_t *
wf_mdp_worker_recv (wf_mdp_worker_t *self)
{
    zmsg_t *msg = zmsg_recv_nowait (self->dealer);
    if (!msg)
        return NULL;
    self->broker_expiry_ms =
        zclock_mono () + self->heartbeat_interval_ms * self->heartbeat_liveness;
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *header = zmsg_pop (msg);
    zframe_t *command = zmsg_pop (msg);
    zmsg_t *request = NULL;
    if (!empty || zframe_size (empty) != 0 || !header || !zframe_streq (header, WF_MDPW) ||
        !command)
        zsys_warning ("wf_mdp_worker: malformed message from broker dropped");
    else if (zframe_streq (command, WF_MDPW_REQUEST)) {
        zframe_t *client = zmsg_pop (msg);
        zframe_t *delimiter = zmsg_pop (msg);
        if (client && delimiter && zframe_size (delimiter) == 0 && zmsg_size (msg) > 0) {
            zmsg_prepend (msg, &client);
            request = msg;
            msg = NULL;
        }
        zframe_destroy (&client);
        zframe_destroy (&delimiter);
    } else if (zframe_streq (command, WF_MDPW_DISCONNECT)) {
        if (self->draining)
            self->drained = true; //  the broker let us go
        else
            s_reconnect (self);
    } else if (zframe_streq (command, WF_MDPW_DRAIN) && self->draining)
        self->drained = true; //  every request the broker sent us came before this
    zframe_destroy (&empty);
    zframe_destroy (&header);
    zframe_destroy (&command);
    zmsg_destroy (&msg);
    return request;
}

void
wf_mdp_worker_send (wf_mdp_worker_t *self, zframe_t *client, zmsg_t **body_p)
{
    zmsg_t *body = *body_p;
    *body_p = NULL;
    zmsg_pushmem (body, "", 0);
    zmsg_prepend (body, &(zframe_t *){zframe_dup (client)});
    s_send_command (self, WF_MDPW_REPLY, &body);
}

void
wf_mdp_worker_tick (wf_mdp_worker_t *self)
{
    int64_t now = zclock_mono ();
    if (now >= self->broker_expiry_ms && (zsock_events (self->dealer) & ZMQ_POLLIN))
        //  The broker did speak: we were busy (a long batch) and have not read it yet.
        self->broker_expiry_ms = now + self->heartbeat_interval_ms * self->heartbeat_liveness;
    if (self->draining && (now >= self->broker_expiry_ms || now >= self->drain_expiry_ms)) {
        self->drained = true; //  no broker to drain from: stop anyway
        return;
    }
    if (now >= self->broker_expiry_ms) {
        zsys_warning ("wf_mdp_worker: broker silent, reconnecting %s", self->endpoint);
        s_reconnect (self);
        return;
    }
    if (now >= self->heartbeat_at_ms) {
        s_send_command (self, WF_MDPW_HEARTBEAT, NULL);
        self->heartbeat_at_ms = now + self->heartbeat_interval_ms;
    }
}

int
wf_mdp_worker_timeout_ms (wf_mdp_worker_t *self)
{
    int64_t now = zclock_mono ();
    int64_t next = self->heartbeat_at_ms < self->broker_expiry_ms ? self->heartbeat_at_ms
                                                                  : self->broker_expiry_ms;
    if (self->draining && self->drain_expiry_ms < next)
        next = self->drain_expiry_ms;
    return next > now ? (int) (next - now) : 0;
}

void
wf_mdp_worker_drain (wf_mdp_worker_t *self)
{
    if (self->draining)
        return;
    self->draining = true;
    self->drain_expiry_ms =
        zclock_mono () + (int64_t) self->heartbeat_interval_ms * self->heartbeat_liveness;
    s_send_command (self, WF_MDPW_DRAIN, NULL);
}

bool
wf_mdp_worker_drained (wf_mdp_worker_t *self)
{
    if (self->draining && !self->drained && zclock_mono () >= self->drain_expiry_ms)
        self->drained = true;
    return self->drained;
}

size_t
wf_mdp_worker_reconnects (wf_mdp_worker_t *self)
{
    return self->reconnects;
}

int
wf_mdp_worker_reply (wf_mdp_worker_t *self, zframe_t *client, const wf_envelope_t *req,
                     wf_msg_id_t type, const void *body, wf_buf_t *scratch)
{
    wf_envelope_t env;
    wf_wire_reply_envelope (req, type, &env);
    zmsg_t *reply = zmsg_new ();
    if (wf_wire_append (reply, &env, body, scratch) != 0) {
        zmsg_destroy (&reply);
        wf_mdp_worker_reply_error (self, client, req, WF_ERR_INTERNAL, "reply too large", scratch);
        return -1;
    }
    wf_mdp_worker_send (self, client, &reply);
    return 0;
}

void
wf_mdp_worker_reply_error (wf_mdp_worker_t *self, zframe_t *client, const wf_envelope_t *req,
                           wf_err_t code, const char *detail, wf_buf_t *scratch)
{
    zmsg_t *reply = zmsg_new ();
    if (wf_wire_append_error (reply, req, code, detail, scratch) == 0)
        wf_mdp_worker_send (self, client, &reply);
    zmsg_destroy (&reply);
}

void
wf_mdp_worker_serve (wf_mdp_worker_t *self, size_t batch_max, wf_mdp_worker_handler_fn *handler,
                     void *arg)
{
    for (size_t i = 0; i < batch_max; i++) {
        zmsg_t *request = wf_mdp_worker_recv (self);
        if (request)
            handler (arg, request);
        zmsg_destroy (&request);
        if (!(zsock_events (self->dealer) & ZMQ_POLLIN))
            break;
    }
}
