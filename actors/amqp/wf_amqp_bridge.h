/*  wf_amqp_bridge - the AMQP bridge actor: integration events from the outbox to RabbitMQ.

    The actor registers the 7/MDP service "amqp" with credit, so the outbox relay can keep
    many deliveries in flight, and answers each outbox.deliver with outbox.ack only after
    RabbitMQ confirmed every message published for it (wf_amqp_message says which messages:
    the topic message on `walletflow.events` and, for three events, the MassTransit copy).

        relay -> amqp : outbox.deliver {message_id, type, payload, ...}
        amqp -> relay : outbox.ack {message_id}      every message of the row confirmed (ack)
                      | error UNAVAILABLE            RabbitMQ down, blocked, a nack, a lost
                                                     connection, no confirm in time: retry
                      | error BUSY                   more rows in flight than we track: retry
                      | error UNPROCESSABLE          the row can never be published (bad JSON,
                                                     unknown event): retrying cannot help
                      | error BAD_REQUEST            not an outbox.deliver

    Per wake-up the actor drains at most batch_max requests and publishes their messages
    back to back, without waiting (publisher confirms are pipelined: up to `credit` rows and
    their tags in flight, wf_amqp_inflight). Confirms are read whenever the socket has input;
    each basic.ack / basic.nack (one tag or `multiple`) settles its rows, and every row it
    finishes is answered in that same pass. A row whose confirms do not all arrive within
    confirm_timeout_ms fails with everything in flight: the link is closed, since a channel
    that stopped confirming cannot be trusted, and the relay retries (same message_id).
    Events without an AMQP mapping (TransferCreditFailed) are acknowledged without publishing.

    Connection settings come from the URL (host, port, vhost, user, password; amqps:// for
    TLS, checked against amqp_tls_ca) and amqp_heartbeat_s.

    The link declares the durable topic exchange (and the MassTransit fanout exchanges) on
    every connect and reconnects with capped exponential backoff (backoff_min_ms doubling up
    to backoff_max_ms). While it is down, requests fail at once with UNAVAILABLE; nothing is
    ever acknowledged without its confirm. Each change of link state is logged once.

    Pipe commands:
        $TERM      exit (closes the AMQP connection politely; unanswered rows are retried by
                   the relay)
        METRICS    -> Prometheus text of the registry (owner "amqp"):
            wf_amqp_published_total{kind}            messages published, topic|masstransit
            wf_amqp_confirms_total{result}           basic.ack (ack) / basic.nack (nack) tags
            wf_amqp_deliveries_total{result}         outbox rows answered: acked, skipped,
                                                     failed, busy, rejected
            wf_amqp_retried_total                    rows handed back to the relay to be
                                                     retried (failed + busy)
            wf_amqp_confirm_latency_seconds          row publish -> last confirm
            wf_amqp_connection_up                    1 while connected (0 while blocked too)
            wf_amqp_connects_total{result}           connect attempts: ok|failed
            wf_amqp_in_flight                        rows waiting for confirms
*/
#ifndef WF_AMQP_BRIDGE_H_INCLUDED
#define WF_AMQP_BRIDGE_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

#define WF_AMQP_SERVICE                    "amqp"
#define WF_AMQP_CREDIT_DEFAULT             256  //  rows in flight from the relay
#define WF_AMQP_BATCH_MAX_DEFAULT          64   //  requests drained per wake-up
#define WF_AMQP_HEARTBEAT_S_DEFAULT        5    //  a dead peer is noticed within 2 x this
#define WF_AMQP_CONNECT_TIMEOUT_MS_DEFAULT 2000 //  socket, login, each declare
#define WF_AMQP_CONFIRM_TIMEOUT_MS_DEFAULT 3000 //  publish -> confirm; under the relay's 5 s
#define WF_AMQP_BACKOFF_MIN_MS_DEFAULT     100
#define WF_AMQP_BACKOFF_MAX_MS_DEFAULT     10000
#define WF_AMQP_TAGS_MAX                   8192 //  unsettled delivery tags tracked
#define WF_AMQP_IDLE_WAKE_MS               1000 //  wake-up while idle, for AMQP heartbeats

typedef struct {
    const char *broker_endpoint;       //  the 7/MDP broker
    const char *amqp_url;              //  amqp://user:pass@host:port/vhost ("/" at the end = "/")
    const char *service;               //  NULL = WF_AMQP_SERVICE
    int heartbeat_interval_ms;         //  MDP heartbeat; 0 = default
    zcert_t *curve_client_cert;        //  NULL = plain
    const char *curve_server_key;      //  broker's public key (Z85) when CURVE
    size_t credit;                     //  0 = WF_AMQP_CREDIT_DEFAULT, at most WF_WORKER_CREDIT_MAX
    size_t batch_max;                  //  0 = WF_AMQP_BATCH_MAX_DEFAULT
    int amqp_heartbeat_s;              //  0 = WF_AMQP_HEARTBEAT_S_DEFAULT, < 0 = none
    int connect_timeout_ms;            //  0 = WF_AMQP_CONNECT_TIMEOUT_MS_DEFAULT
    int confirm_timeout_ms;            //  0 = WF_AMQP_CONFIRM_TIMEOUT_MS_DEFAULT
    int backoff_min_ms;                //  0 = WF_AMQP_BACKOFF_MIN_MS_DEFAULT
    int backoff_max_ms;                //  0 = WF_AMQP_BACKOFF_MAX_MS_DEFAULT
    const char *exchange;              //  NULL = "walletflow.events"
    bool masstransit_disabled;         //  false: also publish the MassTransit copies (default)
    const char *masstransit_namespace; //  NULL = "WalletFlow.Contracts.Events"
    const char *default_currency;      //  UserRegistered's MassTransit currency; NULL = "ARS"
    const char *amqp_tls_ca;           //  amqps://: CA bundle (PEM); NULL loads none
    bool amqp_tls_no_verify;           //  amqps:// without certificate checks (tests only)
} wf_amqp_bridge_config_t;

//  The actor: zactor_new (wf_amqp_bridge_actor, (void *) &config). config must outlive it.
void wf_amqp_bridge_actor (zsock_t *pipe, void *args);

#endif
