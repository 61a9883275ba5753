/*  wf_amqp_test_proxy - a TCP forwarder between the bridge and RabbitMQ that a test can
    disturb (test-only).

    The actor listens on a free loopback port and forwards every connection to the upstream
    port, both ways. It lets a test create the failures a real broker rarely shows on demand:

        "PORT"   -> "%d"   the port to connect to
        "HOLD"   -> signal  stop forwarding upstream -> client (confirms and heartbeats stop
                            arriving, the connection stays open: a hung broker)
        "PASS"   -> signal  forward both ways again
        "CUT"    -> signal  close every forwarded connection (a broker restart, seen from the
                            client); new connections are accepted as before
        "$TERM"             exit
*/
#ifndef WF_AMQP_TEST_PROXY_H_INCLUDED
#define WF_AMQP_TEST_PROXY_H_INCLUDED

#include <czmq.h>

//  zactor_new (wf_amqp_test_proxy_actor, &upstream_port)
void wf_amqp_test_proxy_actor (zsock_t *pipe, void *args);

#endif
