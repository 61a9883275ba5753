/*  wf_front - the front actor: the HTTP server thread plus its bridge to the
    broker.

    The bridge (this actor's thread) owns every ZeroMQ socket the front needs:
    a 7/MDP client DEALER to the broker, a SUB for health reports, a SUB
    bound for the other actors' metrics, and a SUB connected to the notifiers'
    PUB (subscribed to exactly the users the hub holds connections for; see
    wf_front_hub.h). It forwards requests from the HTTP
    thread to the broker and replies back, waking the HTTP thread with
    lws_cancel_service after each batch, and ticks it every TICK_MS so it can
    expire requests whose deadline passed.

    Pipe commands:
      "PORT"    -> "%d"  the HTTP port actually bound
      "$TERM"            drain: the HTTP thread refuses new requests, answers
                         those in flight (or times them out), then both exit
*/
#ifndef WF_FRONT_H_INCLUDED
#define WF_FRONT_H_INCLUDED

#include <czmq.h>
#include "wf_front_http.h"

typedef struct {
    wf_front_http_config_t http;
    const char *broker_endpoint;   //  7/MDP broker
    const char *health_endpoint;   //  health actor's PUB, or NULL
    const char *metrics_endpoint;  //  SUB bound here; actors publish [owner][text]; or NULL
    const char *notifier_endpoint; //  notifiers' PUB (comma list) to connect to, or NULL
    zcert_t *curve_client_cert;    //  NULL = plain
    const char *curve_server_key;
    //  Set: the metrics and notifier links over tcp are CURVE, the front the
    //  server end (the process's zauth checks the publishers' keys).
    zcert_t *curve_server_cert;
} wf_front_config_t;

//  Where a process's own actors publish metrics to a front in the same
//  process (bound besides a tcp metrics endpoint; inproc needs no keys).
#define WF_FRONT_METRICS_LOCAL "inproc://wf-metrics-local"

void wf_front_actor (zsock_t *pipe, void *args);

#endif
