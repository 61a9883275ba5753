/*  wf_health - the health actor: probes the dependencies and publishes what it found.

    Every interval_ms the actor runs one probe per configured dependency (postgres, redis,
    rabbitmq, broker; a NULL URL skips that check), on its own thread, each bounded by
    probe_timeout_ms. It then publishes the report on a PUB socket bound to publish_endpoint:

        ["health", <report json>]

    where the report is
        {"checks":[{"name":"postgres","status":"Healthy"|"Unhealthy","durationMs":1.23,
                    "description":"ok","data":{}}, ...], "ts":<ms since epoch>, "intervalMs":1000}
    (wf_health_report turns it into the HTTP answers of /health, /health/ready, /health/live).

    RabbitMQ is optional by design: when it is down, integration events wait in the outbox and
    nothing is lost. So the rabbitmq check says "Degraded", never "Unhealthy", and when both
    postgres and rabbitmq are probed, each round also measures the AMQP backlog (outbox rows
    whose "amqp" destination is still pending; one indexed query, wf_health_probe_backlog):
        "description": "backlog 42 outbox rows waiting for RabbitMQ, oldest 12.5 s; connect: ..."
        "data": {"backlogRows":42, "backlogOldestSeconds":12.5, "backlogCapped":false}
    A reachable RabbitMQ is Degraded too while the oldest waiting row is older than
    amqp_backlog_age_ms_max (events are not flowing: no bridge, or it cannot publish).

    It logs one line per change of state of each dependency (the first result counts as a
    change from unknown), never one per probe, and keeps a metrics registry (owner "health"):
        wf_health_check_up{check}                  gauge, 1 or 0
        wf_health_probe_duration_seconds{check}    histogram
        wf_health_probe_failures_total{check}      counter
        wf_amqp_backlog_rows                       gauge, rows waiting for RabbitMQ
        wf_amqp_backlog_age_seconds                gauge, age of the oldest of them

    Pipe commands (all answers are one string frame):
        $TERM      exit
        REPORT     -> the latest report json ({"checks":[],"ts":0,...} before the first round)
        METRICS    -> the registry in Prometheus text format

    The first round runs right after the handshake. While a round runs (at most one timeout
    per configured check, and one for the backlog query) pipe commands wait.
*/
#ifndef WF_HEALTH_H_INCLUDED
#define WF_HEALTH_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

#define WF_HEALTH_INTERVAL_MS_DEFAULT             1000
#define WF_HEALTH_TOPIC                           "health"
#define WF_HEALTH_PUBLISH_HWM                     100 //  reports queued per subscriber; old ones are dropped
#define WF_HEALTH_AMQP_BACKLOG_AGE_MS_MAX_DEFAULT 60000 //  an older backlog degrades rabbitmq

typedef struct {
    const char *pg_url;           //  libpq URL, or NULL
    const char *redis_url;        //  redis://host:port[/db], or NULL
    const char *amqp_url;         //  amqp://user:pass@host:port/vhost, or NULL
    const char *broker_endpoint;  //  the 7/MDP broker's client endpoint, or NULL
    const char *publish_endpoint; //  bound PUB endpoint ("inproc://wf-health"), or NULL
    int interval_ms;              //  0: WF_HEALTH_INTERVAL_MS_DEFAULT
    int probe_timeout_ms;         //  0: WF_HEALTH_PROBE_TIMEOUT_MS
    const char *amqp_tls_ca;      //  CA bundle for an amqps:// URL, or NULL
    bool amqp_tls_no_verify;      //  amqps:// without checking the certificate (tests only)
    int amqp_backlog_age_ms_max;  //  0: WF_HEALTH_AMQP_BACKLOG_AGE_MS_MAX_DEFAULT
} wf_health_config_t;

//  The actor: zactor_new (wf_health_actor, (void *) &config). config must outlive the actor.
void wf_health_actor (zsock_t *pipe, void *args);

#endif
