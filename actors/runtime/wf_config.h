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
#define WF_CONFIG_LINE_BYTES_MAX  1024 //  one line of a config file
#define WF_CONFIG_FILE_LINES_MAX  1000

typedef enum {
    WF_ACTOR_BROKER = 1 << 0,
    WF_ACTOR_FRONT = 1 << 1,
    WF_ACTOR_SYSTEM = 1 << 2,
    WF_ACTOR_HEALTH = 1 << 3,
    WF_ACTOR_ACCOUNT = 1 << 4,
    WF_ACTOR_RELAY = 1 << 5,
    WF_ACTOR_QUERY = 1 << 6,
    WF_ACTOR_AMQP = 1 << 7,
    WF_ACTOR_NOTIFIER = 1 << 8,
    WF_ACTOR_IDENTITY = 1 << 9,
} wf_actor_set_t;

#define WF_ACTORS_ALL                                                                              \
    (WF_ACTOR_BROKER | WF_ACTOR_FRONT | WF_ACTOR_SYSTEM | WF_ACTOR_HEALTH | WF_ACTOR_ACCOUNT |     \
     WF_ACTOR_RELAY | WF_ACTOR_QUERY | WF_ACTOR_AMQP | WF_ACTOR_NOTIFIER | WF_ACTOR_IDENTITY)
//  Actors that need PostgreSQL.
#define WF_ACTORS_PG                                                                               \
    (WF_ACTOR_SYSTEM | WF_ACTOR_ACCOUNT | WF_ACTOR_RELAY | WF_ACTOR_QUERY | WF_ACTOR_IDENTITY)

typedef struct {
    unsigned actors; //  wf_actor_set_t bits
    bool production; //  --mode production
    int http_port;
    char http_interface[64];                       //  "" = all interfaces
    char broker_bind[WF_CONFIG_TEXT_BYTES_MAX];    //  where an in-process broker binds
    char broker_connect[WF_CONFIG_TEXT_BYTES_MAX]; //  where actors reach the broker
    char metrics_endpoint[WF_CONFIG_TEXT_BYTES_MAX];
    char health_endpoint[WF_CONFIG_TEXT_BYTES_MAX];
    char notifier_endpoint[WF_CONFIG_TEXT_BYTES_MAX]; //  notifier's PUB: it binds, fronts connect
    char pg_url[WF_CONFIG_TEXT_BYTES_MAX];
    char redis_url[WF_CONFIG_TEXT_BYTES_MAX];
    char amqp_url[WF_CONFIG_TEXT_BYTES_MAX];
    int amqp_heartbeat_s;                       //  AMQP heartbeat; 0 = off
    char amqp_tls_ca[WF_CONFIG_TEXT_BYTES_MAX]; //  CA bundle for amqps://
    int amqp_tls_verify;                        //  1: check chain and host name; 0: tests
    int request_timeout_ms;
    int heartbeat_interval_ms;
    int account_shards;                        //  N of account.<n>, the same everywhere
    char shard_list[WF_CONFIG_TEXT_BYTES_MAX]; //  shards served here: "" = all, "0,2"
    char default_currency[8];                  //  of the wallet opened at registration
    //  Identity (the JWT secret comes from WF_JWT_SECRET only, never a flag)
    int jwt_ttl_s;
    char jwt_issuer[257];   //  WF_JWT_ISSUER_BYTES_MAX + 1
    char jwt_audience[257]; //  WF_JWT_AUDIENCE_BYTES_MAX + 1
    int refresh_ttl_s;
    int refresh_reuse_grace_ms;
    int argon2_ops;     //  0 = libsodium's INTERACTIVE
    int argon2_mem_kib; //  0 = libsodium's INTERACTIVE (64 MiB)
    int hash_threads;
    int hash_queue_max;
    int login_email_failures_max;
    int login_address_failures_max;
    int login_failure_window_s;
    char login_limit_prefix[65]; //  WF_LOGIN_LIMIT_PREFIX_BYTES_MAX + 1
    //  CURVE on the broker's tcp endpoints (all four empty = plain)
    char curve_server_cert[WF_CONFIG_TEXT_BYTES_MAX]; //  broker's zcert (secret file)
    char curve_allowed[WF_CONFIG_TEXT_BYTES_MAX];     //  directory of allowed client certs
    char curve_client_cert[WF_CONFIG_TEXT_BYTES_MAX]; //  this process's zcert (secret file)
    char curve_server_key[WF_CONFIG_TEXT_BYTES_MAX];  //  broker's public key: Z85 or a cert file

    //  The front's SignalR hub and web page
    int hub_replay_messages_max;                  //  0 = WF_HUB_REPLAY_MESSAGES_DEFAULT
    int hub_reconnect_window_ms;                  //  0 = WF_HUB_RECONNECT_WINDOW_MS_DEFAULT
    char web_client_js[WF_CONFIG_TEXT_BYTES_MAX]; //  the browser's signalr.min.js; "" = none

    //  The front's hardening: rate limits (0 = the limiter's default), TLS, CORS
    int rate_limit;             //  1 = on (default), 0 = off
    char rate_limit_prefix[65]; //  WF_RATELIMIT_PREFIX_BYTES_MAX + 1
    int rate_limit_timeout_ms;  //  one Redis round trip on the HTTP thread
    int rate_auth_address_per_min;
    int rate_auth_address_burst;
    int rate_auth_user_per_min;
    int rate_auth_user_burst;
    int rate_money_user_per_min;
    int rate_money_user_burst;
    int rate_money_address_per_min;
    int rate_money_address_burst;
    char tls_cert[WF_CONFIG_TEXT_BYTES_MAX];     //  PEM: the front serves HTTPS/WSS
    char tls_key[WF_CONFIG_TEXT_BYTES_MAX];      //  its PEM private key
    char cors_origins[WF_CONFIG_TEXT_BYTES_MAX]; //  allowed origins, comma-separated; "" = off
    char config_file[WF_CONFIG_TEXT_BYTES_MAX];  //  --config / WF_CONFIG: "" = none

    bool help;
} wf_config_t;

//  Environment lookup, injectable for tests (getenv in production).
typedef const char *(*wf_config_getenv_fn) (const char *name);

//  Fills config from defaults, then the config file (--config or WF_CONFIG),
//  then the environment, then argv. Returns 0, or -1 with a sentence in error.
int wf_config_parse (wf_config_t *config, int argc, char **argv, wf_config_getenv_fn getenv_fn,
                     char *error, size_t error_size);

//  Applies a config file over config: one "key = value" per line, the key a
//  flag's name without its dashes ("http-port = 5000"), the value the rest
//  of the line with blanks trimmed; blank lines and lines starting with '#'
//  are skipped. Returns 0, or -1 with "FILE:LINE: what" in error.
int wf_config_file_apply (wf_config_t *config, const char *path, char *error, size_t error_size);

//  Parses "broker,front" / "all" into actor bits; -1 when a name is unknown.
int wf_config_actors (const char *list, unsigned *actors);

//  Which shards this process serves (served[0..account_shards)). Returns the
//  count, or -1 when shard_list names a shard outside 0..account_shards-1.
int wf_config_shards (const wf_config_t *config, bool *served, size_t served_size);

//  Prints the --help text.
void wf_config_usage (FILE *out);

#endif
