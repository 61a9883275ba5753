/*  wf_broker - the 7/MDP service broker, as a CZMQ actor.

    Workers register a service name and heartbeat; client requests are routed
    to a live worker of that service, round robin, up to each worker's credit.
    A request waits in its service's bounded queue until a worker is free:
    - queue full                       -> error BUSY at once
    - deadline passes while queued     -> error TIMEOUT, or UNAVAILABLE when
                                          the service has no worker at all
    - its worker dies (silent for liveness beats, or DISCONNECT)
                                       -> error UNAVAILABLE (never re-sent: the
                                          worker may have applied it)
    Errors are WalletFlow `error` messages with the request's correlation id.
    Requests whose body is not a WalletFlow envelope get the default deadline.

    Pipe commands:
      "BIND" endpoint          -> signal 0/-1   bind one more endpoint
      "PORT"                   -> "%d"          last tcp port bound (for tests)
      "METRICS"                -> text          Prometheus counters
      "$TERM"                                    exit
*/
#ifndef WF_BROKER_H_INCLUDED
#define WF_BROKER_H_INCLUDED

#include <czmq.h>

typedef struct {
    const char *endpoint;           //  bound at start, e.g. "inproc://wf-broker" or "tcp://*:5555"
    int heartbeat_interval_ms;      //  0 = WF_HEARTBEAT_INTERVAL_MS
    int heartbeat_liveness;         //  0 = WF_HEARTBEAT_LIVENESS
    size_t service_queue_depth_max; //  0 = WF_SERVICE_QUEUE_DEPTH_MAX
    int request_timeout_ms;         //  0 = WF_REQUEST_TIMEOUT_MS (requests without a deadline)
    zcert_t *curve_server_cert;     //  NULL = plain; else CURVE server (keys from zauth)
} wf_broker_config_t;

//  The actor: zactor_new (wf_broker_actor, (void *) &config). config must
//  outlive the actor.
void wf_broker_actor (zsock_t *pipe, void *args);

#endif
