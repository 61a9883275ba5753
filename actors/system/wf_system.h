/*  wf_system - the `system` service: answers system.info with the schema
    version read from PostgreSQL, so one request exercises the whole path
    front -> broker -> worker -> PostgreSQL and back.

    Pipe commands: "$TERM" exit.
    Messages: system.info -> system.info.reply | error (UNAVAILABLE when
    PostgreSQL is down, BAD_REQUEST for any other message).
*/
#ifndef WF_SYSTEM_H_INCLUDED
#define WF_SYSTEM_H_INCLUDED

#include <czmq.h>

typedef struct {
    const char *broker_endpoint;
    const char *pg_url;
    const char *worker_name;    //  reported in replies, e.g. "host:pid/system"
    int heartbeat_interval_ms;  //  0 = default
    zcert_t *curve_client_cert; //  NULL = plain
    const char *curve_server_key;
} wf_system_config_t;

void wf_system_actor (zsock_t *pipe, void *args);

#endif
