/*  wf_health - the health actor: probes the dependencies and publishes what it found.

    Every interval_ms the actor runs one probe per configured dependency (postgres, redis,
    rabbitmq, broker; a NULL URL skips that check), on its own thread, each bounded by
    probe_timeout_ms. It then publishes the report on a PUB socket bound to publish_endpoint:

        ["health", <report json>]

    where the report is
        {"checks":[{"name":"postgres","status":"Healthy"|"Unhealthy","durationMs":1.23,
                    "description":"ok"}, ...], "ts":<ms since epoch>, "intervalMs":1000}
    (wf_health_report turns it into the HTTP answers of /health, /health/ready, /health/live).

    It logs one line per change of state of each dependency (the first result counts as a
    change from unknown), never one per probe, and keeps a metrics registry (owner "health"):
        wf_health_check_up{check}                  gauge, 1 or 0
        wf_health_probe_duration_seconds{check}    histogram
        wf_health_probe_failures_total{check}      counter

    Pipe commands (all answers are one string frame):
        $TERM      exit
        REPORT     -> the latest report json ({"checks":[],"ts":0,...} before the first round)
        METRICS    -> the registry in Prometheus text format

    The first round runs right after the handshake. While a round runs (at most one timeout
    per configured check) pipe commands wait.
*/
#ifndef WF_HEALTH_H_INCLUDED
#define WF_HEALTH_H_INCLUDED

#include <czmq.h>

#define WF_HEALTH_INTERVAL_MS_DEFAULT 1000
#define WF_HEALTH_TOPIC               "health"
#define WF_HEALTH_PUBLISH_HWM         100 //  reports queued per subscriber; old ones are dropped

typedef struct {
    const char *pg_url;           //  libpq URL, or NULL
    const char *redis_url;        //  redis://host:port[/db], or NULL
    const char *amqp_url;         //  amqp://user:pass@host:port/vhost, or NULL
    const char *broker_endpoint;  //  the 7/MDP broker's client endpoint, or NULL
    const char *publish_endpoint; //  bound PUB endpoint ("inproc://wf-health"), or NULL
    int interval_ms;              //  0: WF_HEALTH_INTERVAL_MS_DEFAULT
    int probe_timeout_ms;         //  0: WF_HEALTH_PROBE_TIMEOUT_MS
} wf_health_config_t;

//  The actor: zactor_new (wf_health_actor, (void *) &config). config must outlive the actor.
void wf_health_actor (zsock_t *pipe, void *args);

#endif
