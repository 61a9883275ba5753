/*  wf_notifier - the `notifier` service: committed balance events become
    BalanceUpdated notifications, published to every front actor.

    The outbox relay delivers each committed row meant for the notifier as an
    outbox.deliver request (after commit, at least once). The notifier maps
    it (wf_notifier_map), publishes the notification on its PUB socket as two
    frames [user id][notification JSON], so a front subscribes to exactly the
    users it holds connections for, and only then answers outbox.ack. Events
    it does not notify about, and payloads that cannot be read (committed
    that way: a retry cannot help), are acknowledged without publishing and
    counted. SessionsRevoked rows (identity revoked a user's refresh family)
    are published the same way as [user id][WF_NOTIFY_SESSIONS_REVOKED]: the
    fronts close that user's hub connections. The notifier keeps no state
    but a bounded window of recently published message ids
    (wf_notifier_dedup), so a redelivered row is not pushed twice.

    The PUB socket binds publish_endpoint: inproc:// when the fronts run in
    this process, tcp:// when they run elsewhere (they connect to it).

    Pipe commands:
      "$TERM"                 exit
      "METRICS" -> text       this actor's metrics, Prometheus text
    Messages (7/MDP service "notifier"):
      outbox.deliver -> outbox.ack | error (BAD_REQUEST for any other message)
*/
#ifndef WF_NOTIFIER_H_INCLUDED
#define WF_NOTIFIER_H_INCLUDED

#include <czmq.h>

#define WF_NOTIFIER_CREDIT                 256    //  deliveries in flight from the broker
#define WF_NOTIFIER_BATCH_MAX              256    //  requests handled per wake-up
#define WF_NOTIFIER_PUB_HWM                100000 //  notifications queued per front
#define WF_NOTIFIER_SUBSCRIPTION_BYTES_MAX 1024   //  a front's (un)subscription: a user id

typedef struct {
    const char *broker_endpoint;
    const char *publish_endpoint; //  where the PUB socket binds
    size_t dedup_capacity;        //  0 = WF_NOTIFIER_DEDUP_CAPACITY_DEFAULT
    int heartbeat_interval_ms;    //  0 = default
    zcert_t *curve_client_cert;   //  NULL = plain
    const char *curve_server_key;
} wf_notifier_config_t;

void wf_notifier_actor (zsock_t *pipe, void *args);

#endif
