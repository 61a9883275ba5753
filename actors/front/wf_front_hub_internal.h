/*  wf_front_hub_internal - the hub's state, shared by its four files:
    wf_front_hub.c (connections, users, queues, the WebSocket callbacks),
    wf_front_hub_auth.c (tokens, the upgrade check, the negotiate route),
    wf_front_hub_push.c (notifications and revocations from the bridge) and
    wf_front_hub_replay.c (stateful reconnect: the glue to wf_hub_replay,
    detaching and re-attaching).
*/
#ifndef WF_FRONT_HUB_INTERNAL_H_INCLUDED
#define WF_FRONT_HUB_INTERNAL_H_INCLUDED

#include "wf_front_hub.h"
#include "wf_hub_replay.h"
#include "wf_jwt_cache.h"
#include "wf_signalr.h"

#define S_HUB_NONE    UINT32_MAX
#define S_HUB_REVOKED "Unauthorized: the session was revoked (logged out)"

//  A connection is DETACHED when its socket dropped but it may come back
//  (stateful reconnect): it keeps its slot, user and replay buffer, no wsi.
typedef enum { S_CONN_FREE, S_CONN_HANDSHAKE, S_CONN_OPEN, S_CONN_DETACHED } s_conn_state_t;

//  One queued WebSocket message: LWS_PRE bytes of headroom, then len bytes.
typedef wf_hub_record_t s_hub_out_t;

typedef struct s_hub_user_s s_hub_user_t;

//  One WebSocket connection.
typedef struct {
    uint32_t generation;
    s_conn_state_t state;
    struct lws *wsi;
    s_hub_user_t *user;
    uint32_t next_of_user; //  next connection of the same user, or S_HUB_NONE
    wf_signalr_protocol_t protocol;
    bool token_stateful; //  negotiate agreed on stateful reconnect
    bool stateful;       //  ... and the handshake was version 2: replay is on
    bool peer_closed;    //  the client sent a WebSocket close: no reconnect follows
    bool revoked;        //  revoked while detached: told so at its reconnect
    int64_t detached_ms; //  monotonic, when DETACHED
    char connection_id[WF_SIGNALR_CONNECTION_ID_CHARS + 1];
    int64_t exp_s;                           //  the access token's expiry
    int64_t opened_ms, received_ms, sent_ms; //  monotonic
    uint8_t *rx;                             //  bytes of an incomplete client record
    size_t rx_size, rx_capacity;
    s_hub_out_t queue[WF_HUB_SEND_QUEUE_MESSAGES_MAX];
    uint32_t queue_head, queue_count;
    size_t queued_bytes;
    bool closing; //  close once the queue is written
    enum lws_close_status close_status;
    const char *close_reason; //  static text
    s_hub_out_t close_record; //  a close message, written after everything else
    wf_hub_replay_t replay;   //  stateful reconnect (when stateful)
} s_hub_conn_t;

//  A user with connections here (or one whose unsubscription is pending).
struct s_hub_user_s {
    char id[WF_USER_ID_BYTES_MAX + 1];
    uint32_t first; //  first connection, or S_HUB_NONE
    uint32_t count;
    bool subscribed;
};

//  What the upgrade check found, for the ESTABLISHED callback that follows it
//  within the same lws call.
typedef struct {
    struct lws *wsi;
    char user_id[WF_USER_ID_BYTES_MAX + 1];
    char connection_id[WF_SIGNALR_CONNECTION_ID_CHARS + 1];
    int64_t exp_s;
    bool stateful;     //  the token's flag
    uint32_t reattach; //  slot of the connection this socket resumes, or S_HUB_NONE
} s_hub_pending_t;

struct _wf_front_hub_t {
    wf_front_hub_config_t config; //  with defaults applied
    zsock_t *pipe;
    wf_jwt_cache_t *tokens;
    uint8_t key[WF_SIGNALR_KEY_BYTES]; //  connection tokens
    s_hub_conn_t *conns;
    uint32_t *free_conns;
    size_t free_count;
    size_t open_count;
    zhashx_t *users; //  user id -> s_hub_user_t (owned)
    s_hub_pending_t pending;
    bool draining;
    bool sync_failed; //  a (un)subscription awaits a retry
    int64_t sweep_at_ms;
    wf_buf_t scratch;
    wf_metric_t *connections_gauge;
    wf_metric_t *detached_gauge;
    size_t detached_count;
    wf_metric_t *opened;
    wf_metric_t *closed_slow;
    wf_metric_t *closed_expired;
    wf_metric_t *closed_timeout;
    wf_metric_t *closed_protocol;
    wf_metric_t *closed_resync;
    wf_metric_t *closed_revoked;
    wf_metric_t *closed_window;
    wf_metric_t *reconnects;
    wf_metric_t *replayed;
    wf_metric_t *pushed;
    wf_metric_t *unrouted;
    wf_metrics_t *metrics;
};

//  wf_front_hub_auth.c: checks an upgrade request on /hubs/wallet. Returns
//  0 (allowed: self->pending filled), 1 (refused: a response was written) or
//  -1 (hang up).
int wf_front_hub_confirm_upgrade (wf_front_hub_t *self, struct lws *wsi);

//  wf_front_hub.c: the user's entry, or NULL.
s_hub_user_t *wf_front_hub_user (wf_front_hub_t *self, const char *user_id);

//  wf_front_hub.c: the slot of the user's connection with this id, or S_HUB_NONE.
uint32_t wf_front_hub_find (wf_front_hub_t *self, const char *user_id, const char *connection_id);

//  wf_front_hub.c: queues one record for the socket (a full queue closes
//  the connection: slow reader); marks a connection for closing once its
//  queue is written; sets its close message and marks it.
void wf_front_hub_enqueue (wf_front_hub_t *self, s_hub_conn_t *conn, const uint8_t *bytes,
                           size_t len);
void wf_front_hub_close_soon (s_hub_conn_t *conn, enum lws_close_status status, const char *reason);
void wf_front_hub_close_with_message (wf_front_hub_t *self, s_hub_conn_t *conn, const char *error,
                                      bool allow_reconnect);

//  wf_front_hub.c: frees a connection's slot (its socket is gone or never
//  coming back) and its user's when it was the last.
void wf_front_hub_release (wf_front_hub_t *self, s_hub_conn_t *conn);

//  wf_front_hub.c: one more (+1) or one fewer (-1) detached connection.
void wf_front_hub_detached_count (wf_front_hub_t *self, int change);

//  wf_front_hub_replay.c: turns replay on after a version 2 handshake on a
//  stateful token.
void wf_front_hub_replay_start (wf_front_hub_t *self, s_hub_conn_t *conn);

//  Frees the replay buffer.
void wf_front_hub_replay_free (s_hub_conn_t *conn);

//  Sends one tracked record (an invocation or completion): numbered and
//  buffered when replay is on, queued like any record otherwise.
void wf_front_hub_send_tracked (wf_front_hub_t *self, s_hub_conn_t *conn, const uint8_t *bytes,
                                size_t len);

//  The next buffered record to write on the socket, or NULL; call
//  wf_front_hub_replay_written after writing it.
s_hub_out_t *wf_front_hub_replay_next (s_hub_conn_t *conn);
void wf_front_hub_replay_written (s_hub_conn_t *conn);

//  A client message under replay. Returns true when the hub should handle it
//  as usual; false for an ack, a sequence or a duplicate (handled here), and
//  for a protocol error (the connection is then closing).
bool wf_front_hub_replay_receive (wf_front_hub_t *self, s_hub_conn_t *conn,
                                  const wf_signalr_message_t *message);

//  The socket dropped without a close: keep the connection for its return.
void wf_front_hub_detach (wf_front_hub_t *self, s_hub_conn_t *conn);

//  A reconnect's socket takes over a (detached or still open) connection.
void wf_front_hub_reattach (wf_front_hub_t *self, s_hub_conn_t *conn, struct lws *wsi,
                            const s_hub_pending_t *pending);

//  The sweep's part: acknowledges the client's messages; frees a detached
//  connection whose window passed. Returns true when conn was freed.
bool wf_front_hub_replay_sweep (wf_front_hub_t *self, s_hub_conn_t *conn, int64_t now_ms);

#endif
