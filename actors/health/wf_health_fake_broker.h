/*  wf_health_fake_broker - a test-only 7/MDP broker that answers mmi.service and nothing else.

    An actor with a ROUTER bound to tcp://127.0.0.1:*. After the handshake it sends its
    endpoint as one string on the pipe. It answers ["", "MDPC01", "mmi.service", <service>]
    with ["", "MDPC01", "mmi.service", <code>].

    Pipe commands (each answered with a signal once done):
        CODE <code>   answer with code ("200", "404"); "bad" sends a malformed reply instead
        HOLD          keep requests unanswered
        RELEASE       answer the held requests now (with the current code), then stop holding
        $TERM         exit
*/
#ifndef WF_HEALTH_FAKE_BROKER_H_INCLUDED
#define WF_HEALTH_FAKE_BROKER_H_INCLUDED

#include <czmq.h>

//  The actor: zactor_new (wf_health_fake_broker, NULL), then zstr_recv for its endpoint.
void wf_health_fake_broker (zsock_t *pipe, void *args);

#endif
