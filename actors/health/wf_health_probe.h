/*  wf_health_probe - one bounded probe of one dependency, its connection kept between probes.

    A probe is made for one check and one target, and wf_health_probe_run asks the target
    whether it is usable:

        postgres   libpq URL or conninfo         connect (non-blocking, bounded), SELECT 1
        redis      redis://[:pass@]host[:port][/db]   connect with timeout, PING -> PONG
        rabbitmq   amqp[s]://user:pass@host:port/vhost  connect (TLS for amqps://, see
                                                      wf_health_probe_set_tls), login
                                                      (heartbeat 0), channel 1; then a
                                                      passive declare of amq.direct
        broker     ZeroMQ endpoint of the 7/MDP broker
                   DEALER sends ["", "MDPC01", "mmi.service", "system"]; any reply
                   ["", "MDPC01", "mmi.service", code] means the broker is up, and code says
                   whether a "system" worker is registered (200) or not (404).

    The connection (PGconn, redisContext, AMQP connection, DEALER) stays open while it works,
    so a probe costs one round trip. Any failure drops it; when a kept connection fails, the
    same run tries once more on a fresh one (a restarted server is up, not down). No run
    blocks longer than the probe's timeout (WF_HEALTH_PROBE_TIMEOUT_MS by default): each step
    gets what is left of one deadline. A broker probe that timed out recreates its DEALER, so
    a late reply can never be taken for the answer to a later probe.

    Host names are resolved by the client libraries with blocking getaddrinfo calls, outside
    the deadline: use addresses, or names the resolver answers at once (localhost).
*/
#ifndef WF_HEALTH_PROBE_H_INCLUDED
#define WF_HEALTH_PROBE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#define WF_HEALTH_PROBE_TIMEOUT_MS      1000   //  default bound of one probe
#define WF_HEALTH_DESCRIPTION_BYTES_MAX 160    //  one result's description, NUL included
#define WF_HEALTH_TARGET_BYTES_MAX      1024   //  a URL or endpoint we accept
#define WF_HEALTH_BACKLOG_ROWS_MAX      100000 //  AMQP backlog rows counted per measure

typedef enum {
    WF_HEALTH_POSTGRES = 0,
    WF_HEALTH_REDIS = 1,
    WF_HEALTH_RABBITMQ = 2,
    WF_HEALTH_BROKER = 3,
    WF_HEALTH_CHECKS = 4 //  number of checks
} wf_health_check_t;

typedef struct {
    const char *name;    //  static check name: "postgres", "redis", "rabbitmq", "broker"
    bool healthy;        //  the dependency answered as expected within the timeout
    int64_t duration_us; //  wall time of the probe
    char description[WF_HEALTH_DESCRIPTION_BYTES_MAX]; //  "ok ..." or a short error, one line
} wf_health_result_t;

typedef struct _wf_health_probe_t wf_health_probe_t;

//  Creates a probe of target for check; timeout_ms <= 0 means WF_HEALTH_PROBE_TIMEOUT_MS.
//  Opens nothing yet. A target that cannot be parsed makes every run report it, unhealthy.
wf_health_probe_t *wf_health_probe_new (wf_health_check_t check, const char *target,
                                        int timeout_ms);

//  Closes the probe's connection and destroys it; nulls the pointer.
void wf_health_probe_destroy (wf_health_probe_t **self_p);

//  Runs one probe, bounded by the timeout, and fills result. Returns 0 when healthy, else -1.
int wf_health_probe_run (wf_health_probe_t *self, wf_health_result_t *result);

//  TLS for an amqps:// target (a rabbitmq probe): the CA bundle that must have signed the
//  server's certificate (NULL: none loaded, so verification fails), and whether to verify the
//  certificate chain and the host name at all. Call before the first run.
void wf_health_probe_set_tls (wf_health_probe_t *self, const char *ca_path, bool verify);

//  The outbox rows waiting for RabbitMQ (pending destination "amqp").
typedef struct {
    int64_t rows;        //  counted up to WF_HEALTH_BACKLOG_ROWS_MAX
    double oldest_age_s; //  age of the oldest of them; 0 when there is none
} wf_health_backlog_t;

//  Measures the AMQP backlog with one indexed query on a postgres probe's connection, bounded
//  by the probe's timeout. Returns 0, or -1 with a one-line reason in error (at least
//  WF_HEALTH_DESCRIPTION_BYTES_MAX bytes).
int wf_health_probe_backlog (wf_health_probe_t *self, wf_health_backlog_t *backlog, char *error);

//  The check this probe runs.
wf_health_check_t wf_health_probe_check (wf_health_probe_t *self);

//  The name of a check ("postgres", ...).
const char *wf_health_check_name (wf_health_check_t check);

#endif
