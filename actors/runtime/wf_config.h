/*  wf_config - the process configuration: which actors run here and where
    they connect, from command-line flags over environment variables over
    defaults. Parsing is pure and unit-tested; bad configuration is a clear
    error at start, never a surprise later.
*/
#ifndef WF_CONFIG_H_INCLUDED
#define WF_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define WF_CONFIG_ERROR_BYTES_MAX 256
#define WF_CONFIG_TEXT_BYTES_MAX  512

typedef enum {
    WF_ACTOR_BROKER = 1 << 0,
    WF_ACTOR_FRONT = 1 << 1,
    WF_ACTOR_SYSTEM = 1 << 2,
    WF_ACTOR_HEALTH = 1 << 3,
} wf_actor_set_t;

#define WF_ACTORS_ALL (WF_ACTOR_BROKER | WF_ACTOR_FRONT | WF_ACTOR_SYSTEM | WF_ACTOR_HEALTH)

typedef struct {
    unsigned actors; //  wf_actor_set_t bits
    bool production; //  --mode production
    int http_port;
    char http_interface[64];                       //  "" = all interfaces
    char broker_bind[WF_CONFIG_TEXT_BYTES_MAX];    //  where an in-process broker binds
    char broker_connect[WF_CONFIG_TEXT_BYTES_MAX]; //  where actors reach the broker
    char metrics_endpoint[WF_CONFIG_TEXT_BYTES_MAX];
    char health_endpoint[WF_CONFIG_TEXT_BYTES_MAX];
    char pg_url[WF_CONFIG_TEXT_BYTES_MAX];
    char redis_url[WF_CONFIG_TEXT_BYTES_MAX];
    char amqp_url[WF_CONFIG_TEXT_BYTES_MAX];
    int request_timeout_ms;
    int heartbeat_interval_ms;
    bool help;
} wf_config_t;

//  Environment lookup, injectable for tests (getenv in production).
typedef const char *(*wf_config_getenv_fn) (const char *name);

//  Fills config from defaults, then the environment, then argv. Returns 0, or
//  -1 with a sentence in error.
int wf_config_parse (wf_config_t *config, int argc, char **argv, wf_config_getenv_fn getenv_fn,
                     char *error, size_t error_size);

//  Parses "broker,front" / "all" into actor bits; -1 when a name is unknown.
int wf_config_actors (const char *list, unsigned *actors);

//  Prints the --help text.
void wf_config_usage (FILE *out);

#endif
