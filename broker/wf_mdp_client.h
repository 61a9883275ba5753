/*  wf_mdp_client - the client half of 7/MDP over a DEALER socket.

    Asynchronous: several requests may be outstanding; replies are matched by
    the caller (WalletFlow envelopes carry a correlation id). The blocking
    wf_mdp_client_request () is for tools and tests.
*/
#ifndef WF_MDP_CLIENT_H_INCLUDED
#define WF_MDP_CLIENT_H_INCLUDED

#include <czmq.h>

typedef struct _wf_mdp_client_t wf_mdp_client_t;

//  Connects to the broker; NULL when the endpoint is invalid.
wf_mdp_client_t *wf_mdp_client_new (const char *broker_endpoint);

//  Connects with CURVE when client_cert and server_key (the broker's public
//  key, Z85) are both set, else plain; NULL when the endpoint is invalid.
wf_mdp_client_t *wf_mdp_client_new_curve (const char *broker_endpoint, zcert_t *client_cert,
                                          const char *server_key);
void wf_mdp_client_destroy (wf_mdp_client_t **self_p);

zsock_t *wf_mdp_client_sock (wf_mdp_client_t *self);

//  Sends body frames to a service; takes the body. 0, or -1 when the socket
//  cannot take it now (high-water mark).
int wf_mdp_client_send (wf_mdp_client_t *self, const char *service, zmsg_t **body_p);

//  Reads one reply without blocking: the body frames, and the service name in
//  *service_p when not NULL (caller frees). NULL when nothing (valid) is there.
zmsg_t *wf_mdp_client_recv (wf_mdp_client_t *self, char **service_p);

//  Sends and waits up to timeout_ms for one reply (any reply). NULL on timeout.
zmsg_t *wf_mdp_client_request (wf_mdp_client_t *self, const char *service, zmsg_t **body_p,
                               int timeout_ms);

#endif
