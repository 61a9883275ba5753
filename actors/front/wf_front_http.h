/*  wf_front_http - the libwebsockets HTTP server thread of the front actor.

    libwebsockets cannot join a ZeroMQ poller, so it runs in its own thread
    (a zactor whose loop is lws_service) and talks to the front bridge only
    through its actor pipe. The bridge wakes it with lws_cancel_service after
    queueing a message; the HTTP thread drains its pipe on
    LWS_CALLBACK_EVENT_WAIT_CANCELLED.

    Pipe, bridge -> http:
      "REPLY" [envelope] [body]    a worker's reply (matched by correlation id)
      "HEALTH" json                latest dependency report
      "METRICS" text               metrics of the other actors, concatenated
      "PUSH" user json             a notification for the hub's connections of user
      "TICK"                       time passed: expire waiting requests
      "LIMITED" index generation retry_after_s scope
                                   the rate limit's verdict for a slot (0: go ahead)
      "DRAIN"                      stop taking requests, finish pending, exit
    Pipe, http -> bridge:
      "REQUEST" service [envelope] [body]
      "LIMIT" index generation class user address
                                   may this request pass its rate limit? (the bridge
                                   owns the limiter: Redis must not stall lws)
      "SUB" user / "UNSUB" user    the hub's first connection of user opened / last closed
      after start-up: the lws context pointer and port ("pi"; a NULL context
      when it could not listen), so the bridge can wake us; "DONE" when
      draining finished and the thread returns

    Each in-flight request holds a slot; the correlation id of its worker
    request is (slot << 32 | generation), so a reply for a connection that
    closed meanwhile is recognised and dropped.

    Before a route's handler runs, the thread checks what lws lets through
    (HTTP/1.0 or 1.1 only: 505; no ';' or '&' in the path: 400), answers CORS
    preflights (wf_front_security.h) and applies the route's rate limit
    (asking the bridge, wf_front_ratelimit.h: 429 + Retry-After). Requests lws's parser rejects
    (an unknown method, a request line that is not HTTP) come to a fallback
    protocol that answers 501 or 400 problem+json instead of lws's 403 page.
    With tls_cert and tls_key the listener serves HTTPS and WSS only (ALPN
    http/1.1). What lws 4.1 does before any callback cannot be changed here:
    it percent-decodes the path and removes dot segments in place
    ("/a/%2e%2e/b" is "/b", "%2F" is "/"); its URI sanitiser answers 403
    text/html itself (absolute-form targets, bad %-escapes); a header block
    over its 8 KiB buffer fails the connection without a callback (no 431).
*/
#ifndef WF_FRONT_HTTP_H_INCLUDED
#define WF_FRONT_HTTP_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include "wf_front_ratelimit.h"
#include "wf_front_router.h"
#include "wf_msg.h"

typedef struct {
    int port;               //  0 = WF_HTTP_PORT_DEFAULT; -1 = any free port
    const char *interface;  //  NULL = all; "127.0.0.1" for loopback only
    size_t body_bytes_max;  //  0 = WF_HTTP_BODY_BYTES_MAX
    int request_timeout_ms; //  0 = WF_REQUEST_TIMEOUT_MS
    const char *server_version;
    const struct _wf_jwt_t *jwt; //  access token verifier (HS256, the server's key); NULL
                                 //  refuses every token. Owned by main, shared read-only.
    int account_shards;          //  N of "account.<n>" (proto/wf_shard.h); 0 = 1

    //  The SignalR hub (wf_front_hub.h) and the web page (wf_front_web.h)
    size_t hub_replay_messages_max; //  stateful reconnect buffer per connection; 0 = default
    int hub_reconnect_window_ms;    //  how long a dropped stateful connection waits; 0 = default
    const char *web_client_js;      //  file served as /signalr.min.js; NULL or "" = 404

    //  Hardening (wf_front_ratelimit.h, wf_front_security.h)
    wf_front_ratelimit_config_t ratelimit;
    const char *tls_cert;     //  PEM certificate (chain): serve HTTPS/WSS; NULL or "" = plain
    const char *tls_key;      //  its PEM private key (with tls_cert)
    const char *cors_origins; //  comma-separated allowed origins; NULL or "" = CORS off
} wf_front_http_config_t;

//  What a route handler sees of a request. Strings are NUL-terminated and live
//  as long as the request.
typedef struct {
    wf_http_method_t method;
    const char *path;
    const char *query; //  "" when none
    wf_route_match_t match;
    const char *body; //  NULL when none
    size_t body_len;
    const char *request_id;
    const char *trace_id;
    const char *authorization;   //  "" when none
    const char *content_type;    //  "" when none
    const char *idempotency_key; //  "" when none
    const char *client_ip;
    const char *origin; //  "" when none
    bool accept_json;
    bool accept_csv; //  Accept names text/csv (statements)
} wf_http_request_t;

#define WF_HTTP_EXTRA_HEADERS_MAX 8

typedef struct {
    int status;
    const char *content_type; //  static string
    char *body;               //  malloc'd, owned by the response
    size_t body_len;
    const char *header_names[WF_HTTP_EXTRA_HEADERS_MAX]; //  static, "allow:"
    char *header_values[WF_HTTP_EXTRA_HEADERS_MAX];      //  malloc'd
    size_t headers_count;
    bool close_connection;
} wf_http_response_t;

typedef struct _wf_front_http_t wf_front_http_t;

//  A route's handler returns DONE with resp filled, or PENDING after it sent a
//  request to a service with wf_front_http_call (the reply handler completes).
typedef enum { WF_HANDLER_DONE, WF_HANDLER_PENDING } wf_handler_result_t;

typedef wf_handler_result_t (*wf_route_handler_fn) (wf_front_http_t *http,
                                                    const wf_http_request_t *req,
                                                    wf_http_response_t *resp);
typedef void (*wf_route_reply_fn) (wf_front_http_t *http, const wf_http_request_t *req,
                                   const wf_envelope_t *env, const wf_any_msg_t *body,
                                   wf_http_response_t *resp);

//  Sends a request for the current HTTP request to a service. Returns 0, or -1
//  (resp should then be a 503) when the bridge cannot take it.
int wf_front_http_call (wf_front_http_t *http, const char *service, wf_msg_id_t type,
                        const void *body);

//  Response helpers (resp->body is replaced).
void wf_http_respond_text (wf_http_response_t *resp, int status, const char *content_type,
                           const char *text);
void wf_http_respond_json (wf_http_response_t *resp, int status, char *json_text);
void wf_http_respond_problem (wf_http_response_t *resp, const wf_http_request_t *req, int status,
                              const char *title, const char *detail);
void wf_http_respond_error (wf_http_response_t *resp, const wf_http_request_t *req,
                            const wf_error_t *error);
void wf_http_add_header (wf_http_response_t *resp, const char *name, const char *value);

//  Latest health report json and other actors' metrics (may be NULL).
const char *wf_front_http_health (wf_front_http_t *http);
const char *wf_front_http_metrics_others (wf_front_http_t *http);
//  This thread's metrics registry (for its helpers: wf_front_security.c).
wf_metrics_t *wf_front_http_registry (wf_front_http_t *http);
//  This thread's own metrics, rendered (caller frees).
char *wf_front_http_metrics_own (wf_front_http_t *http);
const wf_front_http_config_t *wf_front_http_config (wf_front_http_t *http);
//  This thread's cache of verified access tokens (wf_jwt_cache), for
//  wf_front_auth_require; NULL when config->jwt is NULL.
struct _wf_jwt_cache_t *wf_front_http_jwt_cache (wf_front_http_t *http);

//  The thread: zactor_new (wf_front_http_actor, (void *) config).
void wf_front_http_actor (zsock_t *pipe, void *args);

#endif
