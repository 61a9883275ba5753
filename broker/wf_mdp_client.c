/*  wf_mdp_client - the client half of 7/MDP.  */
#include "wf_mdp_client.h"
#include "wf_limits.h"
#include "wf_mdp.h"

struct _wf_mdp_client_t {
    zsock_t *dealer;
};

//  Sends a message without blocking; 0, or -1 (message kept) when the socket
//  would block. ZeroMQ queues a multipart message atomically, so only the
//  first frame can fail.
static int
s_send_nowait (zmsg_t **msg_p, zsock_t *sock)
{
    zmsg_t *msg = *msg_p;
    size_t count = zmsg_size (msg);
    zframe_t *frame = zmsg_first (msg);
    for (size_t i = 0; frame; i++) {
        int flags = ZFRAME_REUSE | ZFRAME_DONTWAIT | (i + 1 < count ? ZFRAME_MORE : 0);
        if (zframe_send (&frame, sock, flags) != 0) {
            assert (i == 0);
            return -1;
        }
        frame = zmsg_next (msg);
    }
    zmsg_destroy (msg_p);
    return 0;
}

wf_mdp_client_t *
wf_mdp_client_new (const char *broker_endpoint)
{
    return wf_mdp_client_new_curve (broker_endpoint, NULL, NULL);
}

wf_mdp_client_t *
wf_mdp_client_new_curve (const char *broker_endpoint, zcert_t *client_cert, const char *server_key)
{
    wf_mdp_client_t *self = (wf_mdp_client_t *) zmalloc (sizeof (wf_mdp_client_t));
    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_sndhwm (self->dealer, WF_SOCKET_HWM);
    zsock_set_rcvhwm (self->dealer, WF_SOCKET_HWM);
    zsock_set_maxmsgsize (self->dealer, WF_FRAME_BYTES_MAX);
    zsock_set_linger (self->dealer, 0);
    if (client_cert && server_key) {
        zcert_apply (client_cert, self->dealer);
        zsock_set_curve_serverkey (self->dealer, server_key);
    }
    if (zsock_connect (self->dealer, "%s", broker_endpoint) != 0)
        wf_mdp_client_destroy (&self);
    return self;
}

void
wf_mdp_client_destroy (wf_mdp_client_t **self_p)
{
    wf_mdp_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->dealer);
    free (self);
    *self_p = NULL;
}

zsock_t *
wf_mdp_client_sock (wf_mdp_client_t *self)
{
    return self->dealer;
}

int
wf_mdp_client_send (wf_mdp_client_t *self, const char *service, zmsg_t **body_p)
{
    zmsg_t *msg = *body_p;
    *body_p = NULL;
    zmsg_pushstr (msg, service);
    zmsg_pushstr (msg, WF_MDPC);
    zmsg_pushmem (msg, "", 0);
    //  Non-blocking: a full pipe is the caller's "busy", never a stall.
    int rc = s_send_nowait (&msg, self->dealer);
    zmsg_destroy (&msg);
    return rc == 0 ? 0 : -1;
}

zmsg_t *
wf_mdp_client_recv (wf_mdp_client_t *self, char **service_p)
{
    zmsg_t *msg = zmsg_recv_nowait (self->dealer);
    if (!msg)
        return NULL;
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *header = zmsg_pop (msg);
    char *service = zmsg_popstr (msg);
    bool valid =
        empty && zframe_size (empty) == 0 && header && zframe_streq (header, WF_MDPC) && service;
    zframe_destroy (&empty);
    zframe_destroy (&header);
    if (!valid) {
        zstr_free (&service);
        zmsg_destroy (&msg);
        return NULL;
    }
    if (service_p)
        *service_p = service;
    else
        zstr_free (&service);
    return msg;
}

zmsg_t *
wf_mdp_client_request (wf_mdp_client_t *self, const char *service, zmsg_t **body_p, int timeout_ms)
{
    if (wf_mdp_client_send (self, service, body_p) != 0)
        return NULL;
    zpoller_t *poller = zpoller_new (self->dealer, NULL);
    int64_t end = zclock_mono () + timeout_ms;
    zmsg_t *reply = NULL;
    while (!reply) {
        int64_t left = end - zclock_mono ();
        if (left <= 0 || !zpoller_wait (poller, (int) left))
            break;
        reply = wf_mdp_client_recv (self, NULL);
    }
    zpoller_destroy (&poller);
    return reply;
}
