/*  wf_front_hub - the SignalR hub's connections (see the header).

    A fixed table of connections (config.connections_max slots, a free
    stack, generation counters); users in a hash by id, each with a chain of
    its connections. Every outgoing record is queued per connection and
    written one per LWS_CALLBACK_SERVER_WRITEABLE: first the queue, then
    (stateful reconnect) the replay buffer's unwritten messages, then a close
    message; a connection that must close is marked, and closes from its
    next writeable callback once all that is written.
*/
#include "wf_front_hub_internal.h"
#include "wf_log.h"
#include <sodium.h>

#define S_ACTOR "front"

//  Allocates a queued message holding a copy of bytes.
static s_hub_out_t
s_out_new (const uint8_t *bytes, size_t len, bool binary)
{
    s_hub_out_t out = {
        .data = (uint8_t *) malloc (LWS_PRE + len), .len = (uint32_t) len, .binary = binary};
    assert (out.data);
    memcpy (out.data + LWS_PRE, bytes, len);
    return out;
}

//  Frees everything queued on a connection.
static void
s_queue_clear (s_hub_conn_t *conn)
{
    while (conn->queue_count) {
        free (conn->queue[conn->queue_head].data);
        conn->queue_head = (conn->queue_head + 1) % WF_HUB_SEND_QUEUE_MESSAGES_MAX;
        conn->queue_count--;
    }
    conn->queued_bytes = 0;
}

void
wf_front_hub_close_soon (s_hub_conn_t *conn, enum lws_close_status status, const char *reason)
{
    if (conn->closing)
        return;
    conn->closing = true;
    conn->close_status = status;
    conn->close_reason = reason;
    if (conn->wsi)
        lws_callback_on_writable (conn->wsi);
}

void
wf_front_hub_enqueue (wf_front_hub_t *self, s_hub_conn_t *conn, const uint8_t *bytes, size_t len)
{
    if (conn->closing || !conn->wsi)
        return;
    if (conn->queue_count == WF_HUB_SEND_QUEUE_MESSAGES_MAX ||
        conn->queued_bytes + len > WF_HUB_SEND_QUEUE_BYTES_MAX) {
        s_queue_clear (conn);
        wf_metric_inc (self->closed_slow, 1);
        wf_front_hub_close_soon (conn, LWS_CLOSE_STATUS_POLICY_VIOLATION, "send queue full");
        return;
    }
    uint32_t tail = (conn->queue_head + conn->queue_count) % WF_HUB_SEND_QUEUE_MESSAGES_MAX;
    conn->queue[tail] = s_out_new (bytes, len, conn->protocol == WF_SIGNALR_MESSAGEPACK);
    conn->queue_count++;
    conn->queued_bytes += len;
    lws_callback_on_writable (conn->wsi);
}

void
wf_front_hub_close_with_message (wf_front_hub_t *self, s_hub_conn_t *conn, const char *error,
                                 bool allow_reconnect)
{
    if (conn->closing || !conn->wsi)
        return;
    wf_buf_reset (&self->scratch);
    wf_signalr_encode_close (conn->protocol, &self->scratch, error, allow_reconnect);
    conn->close_record = s_out_new (self->scratch.data, self->scratch.size,
                                    conn->protocol == WF_SIGNALR_MESSAGEPACK);
    wf_front_hub_close_soon (conn, LWS_CLOSE_STATUS_NORMAL, error);
}

//  Asks the bridge to (un)subscribe a user; the flag follows only on success.
static void
s_subscription_sync (wf_front_hub_t *self, s_hub_user_t *user)
{
    bool wanted = user->count > 0;
    if (wanted == user->subscribed)
        return;
    if (zsock_send (self->pipe, "ss", wanted ? "SUB" : "UNSUB", user->id) == 0)
        user->subscribed = wanted;
    else
        self->sync_failed = true;
}

//  Forgets a user once it has no connection and no subscription.
static void
s_user_release (wf_front_hub_t *self, s_hub_user_t *user)
{
    if (user->count == 0 && !user->subscribed)
        zhashx_delete (self->users, user->id);
}

s_hub_user_t *
wf_front_hub_user (wf_front_hub_t *self, const char *user_id)
{
    return (s_hub_user_t *) zhashx_lookup (self->users, user_id);
}

uint32_t
wf_front_hub_find (wf_front_hub_t *self, const char *user_id, const char *connection_id)
{
    s_hub_user_t *user = wf_front_hub_user (self, user_id);
    for (uint32_t at = user ? user->first : S_HUB_NONE; at != S_HUB_NONE;
         at = self->conns[at].next_of_user)
        if (strcmp (self->conns[at].connection_id, connection_id) == 0)
            return at;
    return S_HUB_NONE;
}

//  The connection a session refers to, if it is still that session's.
static s_hub_conn_t *
s_conn_of (wf_front_hub_t *self, const wf_front_hub_session_t *session)
{
    if (!session || session->slot >= self->config.connections_max)
        return NULL;
    s_hub_conn_t *conn = &self->conns[session->slot];
    return conn->state != S_CONN_FREE && conn->generation == session->generation ? conn : NULL;
}

//  A new WebSocket passed the upgrade check: give it a slot, or hand it the
//  connection it resumes.
static int
s_on_established (wf_front_hub_t *self, struct lws *wsi, wf_front_hub_session_t *session)
{
    s_hub_pending_t pending = self->pending;
    memset (&self->pending, 0, sizeof self->pending);
    self->pending.reattach = S_HUB_NONE;
    if (pending.wsi != wsi)
        return -1; //  not checked by us (cannot happen): hang up
    if (pending.reattach != S_HUB_NONE) {
        s_hub_conn_t *conn = &self->conns[pending.reattach];
        //  Checked in the same lws call, so still this user's connection.
        assert (conn->state == S_CONN_OPEN || conn->state == S_CONN_DETACHED);
        wf_front_hub_reattach (self, conn, wsi, &pending);
        session->slot = pending.reattach;
        session->generation = conn->generation;
        return 0;
    }
    if (self->free_count == 0)
        return -1; //  no slot (cannot happen: checked at the upgrade): hang up
    s_hub_user_t *user = wf_front_hub_user (self, pending.user_id);
    if (!user) {
        user = (s_hub_user_t *) zmalloc (sizeof (s_hub_user_t));
        snprintf (user->id, sizeof user->id, "%s", pending.user_id);
        user->first = S_HUB_NONE;
        zhashx_insert (self->users, user->id, user);
    }
    uint32_t slot = self->free_conns[--self->free_count];
    s_hub_conn_t *conn = &self->conns[slot];
    assert (conn->state == S_CONN_FREE && conn->queue_count == 0 && !conn->rx);
    uint32_t generation = conn->generation + 1;
    memset (conn, 0, sizeof *conn);
    conn->generation = generation;
    conn->state = S_CONN_HANDSHAKE;
    conn->wsi = wsi;
    conn->user = user;
    conn->next_of_user = user->first;
    user->first = slot;
    user->count++;
    memcpy (conn->connection_id, pending.connection_id, sizeof conn->connection_id);
    conn->exp_s = pending.exp_s;
    conn->token_stateful = pending.stateful;
    conn->opened_ms = conn->received_ms = conn->sent_ms = zclock_mono ();
    session->slot = slot;
    session->generation = generation;
    self->open_count++;
    wf_metric_inc (self->opened, 1);
    wf_metric_set (self->connections_gauge, (double) self->open_count);
    s_subscription_sync (self, user);
    return 0;
}

void
wf_front_hub_release (wf_front_hub_t *self, s_hub_conn_t *conn)
{
    assert (conn->state != S_CONN_FREE);
    if (conn->state == S_CONN_DETACHED)
        wf_front_hub_detached_count (self, -1);
    uint32_t slot = (uint32_t) (conn - self->conns);
    s_hub_user_t *user = conn->user;
    uint32_t *link = &user->first;
    while (*link != slot) {
        assert (*link != S_HUB_NONE); //  a connection is on its user's chain
        link = &self->conns[*link].next_of_user;
    }
    *link = conn->next_of_user;
    assert (user->count > 0);
    user->count--;
    if (wf_log_enabled (WF_LOG_INFO)) {
        char quoted[WF_LOG_VALUE_BYTES_MAX];
        wf_log (WF_LOG_INFO, S_ACTOR, "hub_disconnected", NULL, "connection_id=%s user=%s",
                conn->connection_id, wf_log_quote (quoted, sizeof quoted, user->id));
    }
    s_subscription_sync (self, user);
    s_user_release (self, user);
    s_queue_clear (conn);
    free (conn->close_record.data);
    conn->close_record.data = NULL;
    wf_front_hub_replay_free (conn);
    free (conn->rx);
    conn->rx = NULL;
    conn->state = S_CONN_FREE;
    conn->wsi = NULL;
    conn->generation++;
    self->free_conns[self->free_count++] = slot;
    assert (self->open_count > 0);
    self->open_count--;
    wf_metric_set (self->connections_gauge, (double) self->open_count);
}

void
wf_front_hub_detached_count (wf_front_hub_t *self, int change)
{
    assert (change > 0 || self->detached_count > 0);
    self->detached_count = (size_t) ((long) self->detached_count + change);
    wf_metric_set (self->detached_gauge, (double) self->detached_count);
}

//  The WebSocket is gone: a stateful connection that dropped without a
//  close waits for its reconnect; any other frees its slot.
static void
s_on_closed (wf_front_hub_t *self, wf_front_hub_session_t *session)
{
    s_hub_conn_t *conn = s_conn_of (self, session);
    if (!conn)
        return;
    session->slot = UINT32_MAX;
    if (conn->stateful && conn->state == S_CONN_OPEN && !conn->closing && !conn->peer_closed &&
        !self->draining)
        wf_front_hub_detach (self, conn);
    else
        wf_front_hub_release (self, conn);
}

//  Handles one client message after the handshake.
static void
s_on_message (wf_front_hub_t *self, s_hub_conn_t *conn, const wf_signalr_message_t *message)
{
    if ((message->type == WF_SIGNALR_INVOCATION || message->type == WF_SIGNALR_STREAM_INVOCATION) &&
        message->invocation_id[0]) {
        //  The hub has no methods; say so to a caller that waits for an answer.
        char error[WF_SIGNALR_TARGET_BYTES_MAX + 64];
        snprintf (error, sizeof error, "Unknown hub method '%s'", message->target);
        wf_buf_reset (&self->scratch);
        wf_signalr_encode_completion_error (conn->protocol, &self->scratch, message->invocation_id,
                                            error);
        wf_front_hub_send_tracked (self, conn, self->scratch.data, self->scratch.size);
    } else if (message->type == WF_SIGNALR_CLOSE) {
        conn->peer_closed = true;
        wf_front_hub_close_soon (conn, LWS_CLOSE_STATUS_NORMAL, "client closed");
    }
    //  Pings only prove the client is alive (received_ms is already set);
    //  completions and unknown types are ignored, and so are acks and
    //  sequences on a connection without replay.
}

//  Parses the handshake, then every complete record in data; returns the
//  bytes consumed, or -1 after a protocol error (the connection closes).
static long
s_parse_records (wf_front_hub_t *self, s_hub_conn_t *conn, const uint8_t *data, size_t size)
{
    size_t at = 0, consumed = 0;
    const char *reason = NULL;
    if (conn->state == S_CONN_HANDSHAKE) {
        wf_signalr_protocol_t protocol;
        int version = 0;
        wf_signalr_result_t result =
            wf_signalr_handshake_parse (data, size, &consumed, &protocol, &version, &reason);
        if (result == WF_SIGNALR_NEED_MORE)
            return 0;
        wf_buf_reset (&self->scratch);
        wf_signalr_encode_handshake_response (&self->scratch,
                                              result == WF_SIGNALR_OK ? NULL : reason);
        //  The response travels in the frame type of the protocol chosen.
        conn->protocol = result == WF_SIGNALR_OK ? protocol : WF_SIGNALR_JSON;
        wf_front_hub_enqueue (self, conn, self->scratch.data, self->scratch.size);
        if (result != WF_SIGNALR_OK) {
            wf_metric_inc (self->closed_protocol, 1);
            wf_front_hub_close_soon (conn, LWS_CLOSE_STATUS_PROTOCOL_ERR, "handshake failed");
            return -1;
        }
        conn->state = S_CONN_OPEN;
        at = consumed;
        //  Version 2 is how a client that negotiated stateful reconnect says
        //  it speaks Ack and Sequence.
        if (conn->token_stateful && version >= 2)
            wf_front_hub_replay_start (self, conn);
        if (wf_log_enabled (WF_LOG_INFO)) {
            char quoted[WF_LOG_VALUE_BYTES_MAX];
            wf_log (WF_LOG_INFO, S_ACTOR, "hub_connected", NULL,
                    "connection_id=%s user=%s protocol=%s stateful=%s", conn->connection_id,
                    wf_log_quote (quoted, sizeof quoted, conn->user->id),
                    protocol == WF_SIGNALR_JSON ? "json" : "messagepack",
                    conn->stateful ? "true" : "false");
        }
    }
    while (at < size && !conn->closing) {
        wf_signalr_message_t message;
        wf_signalr_result_t result =
            wf_signalr_parse (conn->protocol, data + at, size - at, &consumed, &message, &reason);
        if (result == WF_SIGNALR_NEED_MORE)
            break;
        if (result == WF_SIGNALR_INVALID) {
            wf_metric_inc (self->closed_protocol, 1);
            wf_front_hub_close_with_message (
                self, conn, "Connection closed with an error: invalid message", false);
            return -1;
        }
        if (!conn->stateful || wf_front_hub_replay_receive (self, conn, &message))
            s_on_message (self, conn, &message);
        at += consumed;
    }
    return (long) at;
}

//  Bytes arrived from a client: parse what is complete, keep the rest.
static int
s_on_receive (wf_front_hub_t *self, s_hub_conn_t *conn, const uint8_t *in, size_t len)
{
    conn->received_ms = zclock_mono ();
    if (conn->closing)
        return 0;
    const uint8_t *data = in;
    size_t size = len;
    if (conn->rx_size > 0) {
        //  Bounded: a handshake or record never needs more than this.
        size_t bound = WF_SIGNALR_RECORD_BYTES_MAX + WF_SIGNALR_VARINT_BYTES_MAX + 1;
        if (conn->rx_size + len > bound) {
            wf_metric_inc (self->closed_protocol, 1);
            wf_front_hub_close_soon (conn, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
            return 0;
        }
        if (conn->rx_size + len > conn->rx_capacity) {
            conn->rx_capacity = conn->rx_size + len;
            conn->rx = (uint8_t *) realloc (conn->rx, conn->rx_capacity);
            assert (conn->rx);
        }
        memcpy (conn->rx + conn->rx_size, in, len);
        data = conn->rx;
        size = conn->rx_size + len;
    }
    long consumed = s_parse_records (self, conn, data, size);
    if (consumed < 0 || (size_t) consumed == size) {
        free (conn->rx);
        conn->rx = NULL;
        conn->rx_size = conn->rx_capacity = 0;
        return 0;
    }
    //  Keep the incomplete tail for the next chunk.
    size_t rest = size - (size_t) consumed;
    if (data == conn->rx)
        memmove (conn->rx, conn->rx + consumed, rest);
    else {
        conn->rx = (uint8_t *) malloc (rest);
        assert (conn->rx);
        memcpy (conn->rx, in + consumed, rest);
        conn->rx_capacity = rest;
    }
    conn->rx_size = rest;
    return 0;
}

//  Writes one record; false when the socket failed.
static bool
s_write (s_hub_conn_t *conn, s_hub_out_t *out)
{
    int written = lws_write (conn->wsi, out->data + LWS_PRE, out->len,
                             out->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    conn->sent_ms = zclock_mono ();
    return written >= (int) out->len;
}

//  Writes the next record: queued ones, then buffered tracked ones, then the
//  close message; closes when asked to and nothing is left.
static int
s_on_writeable (wf_front_hub_t *self, s_hub_conn_t *conn)
{
    bool ok = true;
    s_hub_out_t *tracked = NULL;
    if (conn->queue_count > 0) {
        s_hub_out_t *out = &conn->queue[conn->queue_head];
        ok = s_write (conn, out);
        conn->queued_bytes -= out->len;
        free (out->data);
        conn->queue_head = (conn->queue_head + 1) % WF_HUB_SEND_QUEUE_MESSAGES_MAX;
        conn->queue_count--;
    } else if ((tracked = wf_front_hub_replay_next (conn)) != NULL) {
        ok = s_write (conn, tracked);
        wf_front_hub_replay_written (conn);
    } else if (conn->close_record.data) {
        ok = s_write (conn, &conn->close_record);
        free (conn->close_record.data);
        conn->close_record.data = NULL;
    } else {
        if (!conn->closing)
            return 0;
        const char *reason = conn->close_reason ? conn->close_reason : "";
        size_t len = strlen (reason) < 120 ? strlen (reason) : 120;
        lws_close_reason (conn->wsi, conn->close_status, (unsigned char *) reason, len);
        return -1;
    }
    if (!ok)
        return -1;
    if (conn->queue_count > 0 || wf_front_hub_replay_next (conn) || conn->closing)
        lws_callback_on_writable (conn->wsi);
    return 0;
}

bool
wf_front_hub_handles (enum lws_callback_reasons reason)
{
    return reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE || reason == LWS_CALLBACK_ESTABLISHED ||
           reason == LWS_CALLBACK_RECEIVE || reason == LWS_CALLBACK_SERVER_WRITEABLE ||
           reason == LWS_CALLBACK_CLOSED || reason == LWS_CALLBACK_WS_PEER_INITIATED_CLOSE;
}

int
wf_front_hub_callback (wf_front_hub_t *self, struct lws *wsi, enum lws_callback_reasons reason,
                       void *user, void *in, size_t len)
{
    wf_front_hub_session_t *session = (wf_front_hub_session_t *) user;
    switch (reason) {
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            if (!in || strcmp ((const char *) in, "websocket") != 0)
                return 0; //  not ours (h2c)
            return wf_front_hub_confirm_upgrade (self, wsi);
        case LWS_CALLBACK_ESTABLISHED:
            return session ? s_on_established (self, wsi, session) : -1;
        case LWS_CALLBACK_RECEIVE: {
            s_hub_conn_t *conn = s_conn_of (self, session);
            return conn ? s_on_receive (self, conn, (const uint8_t *) in, len) : -1;
        }
        case LWS_CALLBACK_SERVER_WRITEABLE: {
            s_hub_conn_t *conn = s_conn_of (self, session);
            return conn ? s_on_writeable (self, conn) : -1;
        }
        case LWS_CALLBACK_CLOSED:
            s_on_closed (self, session);
            return 0;
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
            //  A closing handshake: the client left on purpose (lws answers it).
            s_hub_conn_t *conn = s_conn_of (self, session);
            if (conn)
                conn->peer_closed = true;
            return 0;
        }
        default:
            return 0;
    }
}

//  Checks one connection's timers and token.
static void
s_sweep_conn (wf_front_hub_t *self, s_hub_conn_t *conn, int64_t now_ms, int64_t now_s)
{
    if (conn->closing)
        return;
    if (conn->stateful && wf_front_hub_replay_sweep (self, conn, now_ms))
        return; //  a detached connection's window passed: freed
    if (conn->state == S_CONN_DETACHED)
        return;
    if (conn->state == S_CONN_HANDSHAKE) {
        if (now_ms - conn->opened_ms >= WF_HUB_HANDSHAKE_TIMEOUT_MS) {
            wf_metric_inc (self->closed_timeout, 1);
            wf_front_hub_close_soon (conn, LWS_CLOSE_STATUS_POLICY_VIOLATION, "no handshake");
        }
        return;
    }
    int64_t leeway_s = self->config.jwt ? wf_jwt_leeway_s (self->config.jwt) : 0;
    if (conn->exp_s <= now_s - leeway_s) {
        wf_metric_inc (self->closed_expired, 1);
        wf_front_hub_close_with_message (self, conn, "Unauthorized: the access token has expired",
                                         true);
    } else if (now_ms - conn->received_ms >= self->config.client_timeout_ms) {
        wf_metric_inc (self->closed_timeout, 1);
        wf_front_hub_close_soon (conn, LWS_CLOSE_STATUS_GOINGAWAY, "client timeout");
    } else if (now_ms - conn->sent_ms >= self->config.keepalive_interval_ms &&
               conn->queue_count == 0) {
        wf_buf_reset (&self->scratch);
        wf_signalr_encode_ping (conn->protocol, &self->scratch);
        wf_front_hub_enqueue (self, conn, self->scratch.data, self->scratch.size);
    }
}

void
wf_front_hub_tick (wf_front_hub_t *self)
{
    int64_t now_ms = zclock_mono ();
    if (now_ms < self->sweep_at_ms)
        return;
    self->sweep_at_ms = now_ms + WF_HUB_SWEEP_INTERVAL_MS;
    int64_t now_s = wf_clock_ms () / 1000;
    for (size_t i = 0; i < self->config.connections_max; i++)
        if (self->conns[i].state != S_CONN_FREE)
            s_sweep_conn (self, &self->conns[i], now_ms, now_s);
    //  Retry (un)subscriptions the pipe refused (rare: the pipe is full).
    if (self->sync_failed) {
        self->sync_failed = false;
        zlistx_t *ids = zhashx_keys (self->users);
        for (char *id = (char *) zlistx_first (ids); id; id = (char *) zlistx_next (ids)) {
            s_hub_user_t *user = wf_front_hub_user (self, id);
            s_subscription_sync (self, user);
            s_user_release (self, user);
        }
        zlistx_destroy (&ids);
    }
}

void
wf_front_hub_drain (wf_front_hub_t *self)
{
    if (self->draining)
        return;
    self->draining = true;
    for (size_t i = 0; i < self->config.connections_max; i++) {
        s_hub_conn_t *conn = &self->conns[i];
        if (conn->state == S_CONN_OPEN)
            wf_front_hub_close_with_message (self, conn, "Server is shutting down", true);
        else if (conn->state == S_CONN_HANDSHAKE)
            wf_front_hub_close_soon (conn, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
        else if (conn->state == S_CONN_DETACHED)
            wf_front_hub_release (self, conn);
    }
}

size_t
wf_front_hub_connections (wf_front_hub_t *self)
{
    return self->open_count;
}

//  zhashx destructor for users.
static void
s_user_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  Registers the hub's metrics in the HTTP thread's registry.
static void
s_metrics_register (wf_front_hub_t *self, wf_metrics_t *metrics)
{
    self->detached_gauge = wf_metrics_gauge (
        metrics, "wf_hub_connections_detached",
        "Stateful SignalR connections waiting for their client's reconnect.", NULL);
    self->connections_gauge = wf_metrics_gauge (metrics, "wf_hub_connections",
                                                "Open SignalR WebSocket connections.", NULL);
    self->opened = wf_metrics_counter (metrics, "wf_hub_connections_opened_total",
                                       "SignalR WebSocket connections accepted.", NULL);
    const char *closed = "wf_hub_connections_closed_total";
    const char *closed_help = "SignalR connections the server closed, by reason.";
    self->closed_slow =
        wf_metrics_counter (metrics, closed, closed_help, "reason", "send_queue_full", NULL);
    self->closed_expired =
        wf_metrics_counter (metrics, closed, closed_help, "reason", "token_expired", NULL);
    self->closed_timeout =
        wf_metrics_counter (metrics, closed, closed_help, "reason", "timeout", NULL);
    self->closed_protocol =
        wf_metrics_counter (metrics, closed, closed_help, "reason", "protocol_error", NULL);
    self->closed_resync =
        wf_metrics_counter (metrics, closed, closed_help, "reason", "resync", NULL);
    self->closed_revoked =
        wf_metrics_counter (metrics, closed, closed_help, "reason", "revoked", NULL);
    self->closed_window =
        wf_metrics_counter (metrics, closed, closed_help, "reason", "reconnect_window", NULL);
    self->reconnects = wf_metrics_counter (metrics, "wf_hub_reconnects_total",
                                           "Stateful reconnects that resumed a connection.", NULL);
    self->replayed = wf_metrics_counter (metrics, "wf_hub_replayed_messages_total",
                                         "Tracked messages sent again after a reconnect.", NULL);
    self->pushed = wf_metrics_counter (metrics, "wf_hub_notifications_sent_total",
                                       "BalanceUpdated invocations queued to connections.", NULL);
    self->unrouted = wf_metrics_counter (
        metrics, "wf_hub_notifications_dropped_total",
        "Notifications for users without a connection here, or unreadable.", NULL);
    self->metrics = metrics;
}

wf_front_hub_t *
wf_front_hub_new (const wf_front_hub_config_t *config, zsock_t *pipe, wf_metrics_t *metrics)
{
    assert (config && pipe && metrics);
    wf_front_hub_t *self = (wf_front_hub_t *) zmalloc (sizeof (wf_front_hub_t));
    self->config = *config;
    wf_front_hub_config_t *c = &self->config;
    if (c->connections_max == 0 || c->connections_max > WF_HUB_CONNECTIONS_MAX)
        c->connections_max = WF_HUB_CONNECTIONS_MAX;
    if (c->user_connections_max == 0 || c->user_connections_max > WF_HUB_USER_CONNECTIONS_MAX)
        c->user_connections_max = WF_HUB_USER_CONNECTIONS_MAX;
    if (c->keepalive_interval_ms <= 0)
        c->keepalive_interval_ms = WF_HUB_KEEPALIVE_INTERVAL_MS;
    if (c->client_timeout_ms <= 0)
        c->client_timeout_ms = WF_HUB_CLIENT_TIMEOUT_MS;
    if (c->replay_messages_max == 0)
        c->replay_messages_max = WF_HUB_REPLAY_MESSAGES_DEFAULT;
    if (c->replay_messages_max > WF_HUB_REPLAY_MESSAGES_MAX)
        c->replay_messages_max = WF_HUB_REPLAY_MESSAGES_MAX;
    if (c->reconnect_window_ms <= 0)
        c->reconnect_window_ms = WF_HUB_RECONNECT_WINDOW_MS_DEFAULT;
    if (c->reconnect_window_ms < WF_HUB_NEGOTIATE_TTL_S * 1000)
        c->reconnect_window_ms = WF_HUB_NEGOTIATE_TTL_S * 1000;
    if (c->reconnect_window_ms > WF_HUB_RECONNECT_WINDOW_MS_MAX)
        c->reconnect_window_ms = WF_HUB_RECONNECT_WINDOW_MS_MAX;
    self->pipe = pipe;
    self->tokens = c->jwt ? wf_jwt_cache_new (c->jwt, WF_HUB_TOKEN_CACHE_ENTRIES) : NULL;
    randombytes_buf (self->key, sizeof self->key);
    self->conns = (s_hub_conn_t *) calloc (c->connections_max, sizeof (s_hub_conn_t));
    self->free_conns = (uint32_t *) calloc (c->connections_max, sizeof (uint32_t));
    assert (self->conns && self->free_conns);
    for (size_t i = 0; i < c->connections_max; i++)
        self->free_conns[self->free_count++] = (uint32_t) (c->connections_max - 1 - i);
    self->pending.reattach = S_HUB_NONE;
    self->users = zhashx_new ();
    zhashx_set_destructor (self->users, s_user_free);
    wf_buf_init (&self->scratch);
    s_metrics_register (self, metrics);
    return self;
}

void
wf_front_hub_destroy (wf_front_hub_t **self_p)
{
    assert (self_p);
    wf_front_hub_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->config.connections_max; i++) {
        s_queue_clear (&self->conns[i]);
        free (self->conns[i].rx);
        free (self->conns[i].close_record.data);
        wf_front_hub_replay_free (&self->conns[i]);
    }
    free (self->conns);
    free (self->free_conns);
    zhashx_destroy (&self->users);
    wf_jwt_cache_destroy (&self->tokens);
    wf_buf_free (&self->scratch);
    sodium_memzero (self->key, sizeof self->key);
    free (self);
    *self_p = NULL;
}
