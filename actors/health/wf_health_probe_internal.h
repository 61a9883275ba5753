/*  wf_health_probe_internal - what the probe's files share (not for other code).

    wf_health_probe.c holds the probe object, the Redis, RabbitMQ and broker probes and the
    runs; wf_health_probe_pg.c holds the PostgreSQL probe and the AMQP backlog query.
*/
#ifndef WF_HEALTH_PROBE_INTERNAL_H_INCLUDED
#define WF_HEALTH_PROBE_INTERNAL_H_INCLUDED

#include "wf_health_probe.h"

#include <amqp.h>
#include <czmq.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#define WF_HEALTH_REDIS_HOST_BYTES_MAX 256

struct _wf_health_probe_t {
    wf_health_check_t check;
    int timeout_ms;
    char *target;
    char target_error[WF_HEALTH_DESCRIPTION_BYTES_MAX]; //  set when target is unusable
    PGconn *pg;
    char redis_host[WF_HEALTH_REDIS_HOST_BYTES_MAX];
    int redis_port;
    char *redis_password; //  NULL when none
    redisContext *redis;
    char *amqp_url; //  amqp_parse_url's copy, which amqp_info points into
    struct amqp_connection_info amqp_info;
    amqp_connection_state_t amqp;
    char *amqp_tls_ca; //  CA bundle for amqps://, or NULL
    bool amqp_tls_verify;
    zsock_t *dealer;
};

//  Writes a one-line ASCII description into description (WF_HEALTH_DESCRIPTION_BYTES_MAX).
void wf_health_describe (char *description, const char *format, ...);

//  Milliseconds left until deadline_us (monotonic), rounded up; 0 once passed.
int wf_health_left_ms (int64_t deadline_us);

//  Probes PostgreSQL: connect when needed, then SELECT 1; 0, or -1 with error set.
int wf_health_pg_probe (wf_health_probe_t *self, int64_t deadline_us, char *error);

#endif
