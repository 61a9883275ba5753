/*  wf_front_hub - the SignalR hub at /hubs/wallet: pushes BalanceUpdated to
    the WebSocket clients of each user. Lives in the front's HTTP thread.

    Endpoints (TransportProtocols.md):
      POST /hubs/wallet/negotiate?negotiateVersion=1[&useStatefulReconnect=true]
          bearer token in Authorization or access_token -> 200 {negotiateVersion,
          connectionId, connectionToken, availableTransports: WebSockets only,
          useStatefulReconnect when asked}; 401 for a missing or invalid token;
          429 when the user holds user_connections_max connections already
      GET /hubs/wallet?id=<connectionToken>&access_token=<jwt>, Upgrade: websocket
          token from the query or the Authorization header, verified as the
          REST API verifies it (wf_jwt: HS256, our key, iss, aud, exp, nbf)
          -> 101 (a new connection, or the stateful reconnect of a live or
          detached one); 401 bad token, 404 unknown id (another user's, or
          one whose connection is gone), 409 id already connected (without
          stateful reconnect), 429 per-user limit, 503 total limit or draining
    On the socket (HubProtocol.md, codecs in wf_signalr): handshake json or
    messagepack; then the server sends invocations of "BalanceUpdated" with the
    notification as the one argument, pings every keepalive_interval_ms of
    silence, and a close message with an error when the access token expires
    (checked every second) or the server drains. A client silent for
    client_timeout_ms, or that sends no handshake within
    WF_HUB_HANDSHAKE_TIMEOUT_MS, is disconnected, as is a client whose send
    queue passes WF_HUB_SEND_QUEUE_MESSAGES_MAX or _BYTES_MAX: a slow reader
    never grows our memory. Client invocations are answered with a completion
    error (the hub has no methods); pings and unknown types are ignored.

    Stateful reconnect (HubProtocol.md, "Stateful Reconnect"; the client's
    withStatefulReconnect()): a client that asks for it in negotiate
    (useStatefulReconnect=true) gets "useStatefulReconnect": true, and once
    it shakes hands at version 2 the hub numbers every tracked message
    (invocations, completions) it sends from 1 and keeps it in a bounded
    per-connection replay buffer (replay_messages_max messages,
    WF_HUB_REPLAY_BYTES_MAX bytes) until the client acknowledges it (Ack,
    about once a second). When the socket drops without a WebSocket close
    the connection is kept, detached, for reconnect_window_ms and goes on
    buffering; the client's reconnect (the same id) re-attaches it - also
    when the old socket still looks open to us (it is killed) - and the hub
    sends a Sequence message, then replays every unacknowledged message in
    order (the client drops those it already had), then goes on. The hub
    acknowledges the client's tracked messages the same way and drops the
    duplicates it replays. A buffer that overflows - a client away too long,
    or one that stops acknowledging - cannot be replayed whole: the client
    is told to resync, a close message with "Resync required" (at once, or
    after the Sequence message of its reconnect), and reads its balance
    through the REST API. A reconnect after the window is 404: its
    connection is gone (the token tells a reconnect from a first use, which
    must come within WF_HUB_NEGOTIATE_TTL_S of negotiate).

    Revocation: the notifier publishes WF_NOTIFY_SESSIONS_REVOKED on a
    user's topic when identity revoked a refresh family (logout, reuse
    detection); the hub then closes every connection of that user with a
    close message ("Unauthorized: ...", no reconnect); a detached one gets
    that close message at its reconnect (after its Sequence message).

    Why the hub shares the "http" protocol of lws: SignalR clients send no
    Sec-WebSocket-Protocol, and lws 4.1 binds such an upgrade to the vhost's
    default protocol, which is also the protocol every HTTP connection binds
    to. So the HTTP callback forwards the WebSocket reasons (and the upgrade
    confirmation) here, and its session data is big enough for either kind.
    A WebSocket's session data lives as long as the connection; it holds only
    the hub's (slot, generation) of the connection, never a pointer.

    Subscriptions: the bridge's SUB socket subscribes to exactly the users
    with a connection here. The hub asks for that through the HTTP thread's
    pipe: "SUB" user when a user's first connection opens, "UNSUB" user when
    the last one closes (the pipe never blocks; a refused send is retried on
    the next tick). So the notifier's PUB filters by user and a front receives
    only what its clients need, however many fronts there are. The bridge
    passes notifications on as "PUSH" user json (or the revocation word).
*/
#ifndef WF_FRONT_HUB_H_INCLUDED
#define WF_FRONT_HUB_H_INCLUDED

#include <czmq.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include "wf_front_routes.h"
#include "wf_jwt.h"
#include "wf_limits.h"
#include "wf_metrics.h"

#define WF_HUB_PATH                        "/hubs/wallet"
#define WF_HUB_CONNECTIONS_MAX             3072 //  WebSockets on one front, all users
#define WF_HUB_USER_CONNECTIONS_MAX        8    //  WebSockets of one user on one front
#define WF_HUB_SEND_QUEUE_MESSAGES_MAX     64   //  queued for one slow client, then it is closed
#define WF_HUB_SEND_QUEUE_BYTES_MAX        (256 * 1024)
#define WF_HUB_KEEPALIVE_INTERVAL_MS       15000 //  a ping after this much server silence
#define WF_HUB_CLIENT_TIMEOUT_MS           30000 //  closed after this much client silence
#define WF_HUB_HANDSHAKE_TIMEOUT_MS        15000
#define WF_HUB_SWEEP_INTERVAL_MS           1000 //  pings, timeouts and token expiry checked this often
#define WF_HUB_TOKEN_CACHE_ENTRIES         1024 //  verified access tokens remembered
#define WF_HUB_NOTIFICATION_BYTES_MAX      4096 //  one notification from the bridge
#define WF_HUB_TARGET                      "BalanceUpdated"
#define WF_HUB_REPLAY_MESSAGES_DEFAULT     256 //  unacknowledged tracked messages kept per connection
#define WF_HUB_REPLAY_MESSAGES_MAX         4096
#define WF_HUB_REPLAY_BYTES_MAX            (256 * 1024) //  and their bytes, at most
#define WF_HUB_RECONNECT_WINDOW_MS_DEFAULT 30000 //  a dropped stateful connection waits this long
#define WF_HUB_RECONNECT_WINDOW_MS_MAX     300000
#define WF_HUB_NEGOTIATE_TTL_S             15 //  a connection token's first use comes this soon

_Static_assert(WF_HUB_CONNECTIONS_MAX < WF_HTTP_CONNECTIONS_MAX,
               "hub connections leave room for HTTP requests on the same server");
_Static_assert(WF_HUB_USER_CONNECTIONS_MAX <= WF_HUB_CONNECTIONS_MAX,
               "one user cannot hold more connections than the hub");
_Static_assert(WF_HUB_KEEPALIVE_INTERVAL_MS * 2 <= WF_HUB_CLIENT_TIMEOUT_MS,
               "the client timeout spans at least two keep-alive intervals, as SignalR advises");
_Static_assert(WF_HUB_SWEEP_INTERVAL_MS * 4 <= WF_HUB_KEEPALIVE_INTERVAL_MS,
               "the sweep is fine-grained enough for the keep-alive interval");
_Static_assert(WF_HUB_NEGOTIATE_TTL_S * 1000 <= WF_HUB_RECONNECT_WINDOW_MS_DEFAULT,
               "a detached connection outlives its token's first-use window, so a reconnect "
               "is never mistaken for a first connection");
_Static_assert(WF_HUB_REPLAY_MESSAGES_DEFAULT <= WF_HUB_REPLAY_MESSAGES_MAX,
               "the default replay bound is within the hard one");
_Static_assert(WF_HUB_NOTIFICATION_BYTES_MAX * 2 <= WF_HUB_REPLAY_BYTES_MAX,
               "the replay buffer holds more than one notification");

typedef struct _wf_front_hub_t wf_front_hub_t;

typedef struct {
    const wf_jwt_t *jwt;         //  token verifier; NULL refuses every token
    size_t connections_max;      //  0 = WF_HUB_CONNECTIONS_MAX (at most that)
    size_t user_connections_max; //  0 = WF_HUB_USER_CONNECTIONS_MAX (at most that)
    int keepalive_interval_ms;   //  0 = WF_HUB_KEEPALIVE_INTERVAL_MS
    int client_timeout_ms;       //  0 = WF_HUB_CLIENT_TIMEOUT_MS
    size_t replay_messages_max;  //  0 = WF_HUB_REPLAY_MESSAGES_DEFAULT (at most _MAX)
    int reconnect_window_ms;     //  0 = default; at least WF_HUB_NEGOTIATE_TTL_S, at most _MAX
} wf_front_hub_config_t;

//  What lws keeps per WebSocket connection.
typedef struct {
    uint32_t slot;
    uint32_t generation;
} wf_front_hub_session_t;

//  Creates the hub. pipe is the HTTP thread's pipe to the bridge (send
//  timeout 0); metrics its registry, where the hub adds wf_hub_* series.
wf_front_hub_t *wf_front_hub_new (const wf_front_hub_config_t *config, zsock_t *pipe,
                                  wf_metrics_t *metrics);

//  Frees the hub (after the lws context is gone); idempotent.
void wf_front_hub_destroy (wf_front_hub_t **self_p);

//  True for the lws callback reasons the hub handles.
bool wf_front_hub_handles (enum lws_callback_reasons reason);

//  The lws callback for those reasons; user is the session data.
int wf_front_hub_callback (wf_front_hub_t *self, struct lws *wsi, enum lws_callback_reasons reason,
                           void *user, void *in, size_t len);

//  A notification from the bridge: frames [user id][json], command popped;
//  [user id][WF_NOTIFY_SESSIONS_REVOKED] closes the user's connections.
void wf_front_hub_push (wf_front_hub_t *self, zmsg_t *msg);

//  Time passed: pings, timeouts, token expiry, retried subscriptions.
void wf_front_hub_tick (wf_front_hub_t *self);

//  The server drains: refuse new connections, close the open ones.
void wf_front_hub_drain (wf_front_hub_t *self);

//  Open WebSocket connections.
size_t wf_front_hub_connections (wf_front_hub_t *self);

//  The negotiate route, for wf_front_routes_collect.
const wf_front_route_def_t *wf_front_hub_routes (size_t *count);

//  The hub of an HTTP thread; defined in wf_front_http.c.
wf_front_hub_t *wf_front_http_hub (wf_front_http_t *http);

#endif
