/*  wf_relay - the outbox relay: every committed outbox row reaches every one
    of its destinations at least once.

    It claims undelivered rows in id order (FOR UPDATE SKIP LOCKED, and a
    lease so that two relays never deliver the same row at once), sends each
    pending destination an `outbox.deliver` through the broker
    ("account.<shard of route_key>", "notifier", "amqp"), and removes a
    destination from the row's `pending` only after it answered `outbox.ack`
    (recorded when all of a row's destinations have answered, one UPDATE per
    row, and the rows finished in one wake-up with one statement).
    A row whose delivery failed (error reply, timeout) is released with a
    capped exponential backoff. Claims look above an in-memory cursor (the
    highest id claimed) and at the ids it jumped over for a second, so their
    cost does not grow with the delivered rows; a sweep from the start of the
    outbox runs once per poll interval, when a failed row is due again, and
    when a destination recovers. It wakes on LISTEN wf_outbox (a NOTIFY fires
    at every commit that inserted rows) and polls as a fallback. When a
    destination that failed acknowledges again (RabbitMQ came back, say), the
    rows still in backoff for it are made due at once, so its backlog drains
    now rather than as each row's backoff (up to 30 s) runs out.

    Pipe commands: "$TERM", "METRICS" -> text.
*/
#ifndef WF_RELAY_H_INCLUDED
#define WF_RELAY_H_INCLUDED

#include <czmq.h>

#define WF_RELAY_ROWS_MAX            256  //  rows claimed and in flight at once
#define WF_RELAY_POLL_INTERVAL_MS    1000 //  fallback when no NOTIFY arrives
#define WF_RELAY_DELIVERY_TIMEOUT_MS 5000
#define WF_RELAY_LEASE_S             15
#define WF_RELAY_BACKOFF_MS_MAX      30000
//  While rows are in flight, the relay claims and records acknowledgements at most this often:
//  under load each of its transactions (a commit, a WAL flush) then carries more rows. An idle
//  relay (nothing in flight) claims at once, so a lone command's events are not delayed.
#define WF_RELAY_ROUND_MS 10

typedef struct {
    const char *broker_endpoint;
    const char *pg_url;
    int shards;                   //  account shards (routing of "account")
    int poll_interval_ms;         //  0 = default
    int delivery_timeout_ms;      //  0 = default
    zcert_t *curve_client_cert;   //  NULL = plain
    const char *curve_server_key; //  broker's public key (Z85) when CURVE
} wf_relay_config_t;

void wf_relay_actor (zsock_t *pipe, void *args);

#endif
