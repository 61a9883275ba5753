/*  wf_mdp_worker - the worker half of 7/MDP, for actors that serve a service.

    The worker does not own a loop: the actor adds wf_mdp_worker_sock () to its
    poller, calls wf_mdp_worker_recv () when it is readable and
    wf_mdp_worker_tick () at least every wf_mdp_worker_timeout_ms (). Heartbeats,
    DISCONNECT and reconnecting after the broker fell silent are handled here;
    the socket object stays the same across reconnects, so pollers stay valid.
    A graceful stop: wf_mdp_worker_drain (), go on serving until
    wf_mdp_worker_drained (), then wf_mdp_worker_destroy () (replies already
    sent still leave, within a bounded linger).
*/
#ifndef WF_MDP_WORKER_H_INCLUDED
#define WF_MDP_WORKER_H_INCLUDED

#include <czmq.h>
#include "wf_msg.h"

typedef struct _wf_mdp_worker_t wf_mdp_worker_t;

typedef struct {
    const char *broker_endpoint;  //  e.g. "inproc://wf-broker", "tcp://10.0.0.1:5555"
    const char *service;          //  service name to register
    size_t credit;                //  requests in flight at once (0 = 1)
    int heartbeat_interval_ms;    //  0 = WF_HEARTBEAT_INTERVAL_MS
    int heartbeat_liveness;       //  0 = WF_HEARTBEAT_LIVENESS
    zcert_t *curve_client_cert;   //  NULL = plain
    const char *curve_server_key; //  broker's public key (Z85) when CURVE
} wf_mdp_worker_config_t;

//  Connects and registers. NULL when the endpoint is invalid.
wf_mdp_worker_t *wf_mdp_worker_new (const wf_mdp_worker_config_t *config);
void wf_mdp_worker_destroy (wf_mdp_worker_t **self_p);

zsock_t *wf_mdp_worker_sock (wf_mdp_worker_t *self);

//  Reads one message. Returns a request as [client address][body frames...]
//  (the caller owns it), or NULL when the message was a heartbeat, a
//  DISCONNECT, or malformed.
zmsg_t *wf_mdp_worker_recv (wf_mdp_worker_t *self);

//  A handler of one request ([client address][body frames...]); the request
//  stays owned by the caller.
typedef void (wf_mdp_worker_handler_fn) (void *arg, zmsg_t *request);

//  Drains up to batch_max requests that are waiting on the socket, passing
//  each to handler (heartbeats and DISCONNECT are handled here). Call when the
//  socket is readable.
void wf_mdp_worker_serve (wf_mdp_worker_t *self, size_t batch_max,
                          wf_mdp_worker_handler_fn *handler, void *arg);

//  Sends a reply to client; takes the body frames.
void wf_mdp_worker_send (wf_mdp_worker_t *self, zframe_t *client, zmsg_t **body_p);

//  Encodes and sends a WalletFlow reply of `type` to request envelope req.
//  Returns 0, or -1 when the reply cannot be encoded (then an INTERNAL error
//  is sent instead).
int wf_mdp_worker_reply (wf_mdp_worker_t *self, zframe_t *client, const wf_envelope_t *req,
                         wf_msg_id_t type, const void *body, wf_buf_t *scratch);

//  Sends a WalletFlow `error` reply to request envelope req.
void wf_mdp_worker_reply_error (wf_mdp_worker_t *self, zframe_t *client, const wf_envelope_t *req,
                                wf_err_t code, const char *detail, wf_buf_t *scratch);

//  Sends a heartbeat when due; reconnects when the broker has been silent.
void wf_mdp_worker_tick (wf_mdp_worker_t *self);

//  Milliseconds until wf_mdp_worker_tick () has work to do.
int wf_mdp_worker_timeout_ms (wf_mdp_worker_t *self);

//  Starts a graceful stop: asks the broker for no more requests (DRAIN). Keep
//  receiving and answering until wf_mdp_worker_drained (), then destroy.
void wf_mdp_worker_drain (wf_mdp_worker_t *self);

//  True once every request the broker will ever send us has been received
//  (the broker answered DRAIN), or when the broker did not answer within the
//  liveness window.
bool wf_mdp_worker_drained (wf_mdp_worker_t *self);

//  Number of times the worker re-registered after losing the broker.
size_t wf_mdp_worker_reconnects (wf_mdp_worker_t *self);

#endif
