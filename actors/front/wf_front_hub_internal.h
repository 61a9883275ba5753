/*  wf_front_hub_internal - the hub's state, shared by its two files:
    wf_front_hub.c (connections, users, queues, the WebSocket callbacks) and
    wf_front_hub_auth.c (tokens, the upgrade check, the negotiate route).
*/
#ifndef WF_FRONT_HUB_INTERNAL_H_INCLUDED
#define WF_FRONT_HUB_INTERNAL_H_INCLUDED

#include "wf_front_hub.h"
#include "wf_jwt_cache.h"
#include "wf_signalr.h"

#define S_HUB_NONE UINT32_MAX

typedef enum { S_CONN_FREE, S_CONN_HANDSHAKE, S_CONN_OPEN } s_conn_state_t;

//  One queued WebSocket message: LWS_PRE bytes of headroom, then len bytes.
typedef struct {
    uint8_t *data;
    uint32_t len;
    bool binary;
} s_hub_out_t;

typedef struct s_hub_user_s s_hub_user_t;

//  One WebSocket connection.
typedef struct {
    uint32_t generation;
    s_conn_state_t state;
    struct lws *wsi;
    s_hub_user_t *user;
    uint32_t next_of_user; //  next connection of the same user, or S_HUB_NONE
    wf_signalr_protocol_t protocol;
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
    wf_metric_t *opened;
    wf_metric_t *closed_slow;
    wf_metric_t *closed_expired;
    wf_metric_t *closed_timeout;
    wf_metric_t *closed_protocol;
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

#endif
