/*  wf_front_hub_replay - stateful reconnect for the hub's connections (see
    wf_front_hub.h): the glue between a connection's socket and its
    wf_hub_replay (numbering, the replay ring, acks), plus detaching a
    connection whose socket dropped and re-attaching it to its reconnect.

    A stateful connection writes its tracked records from the ring, so a
    reconnect can write them again; when the ring overflows the client is
    told to resync - at once when connected, or after the Sequence message
    of its reconnect when it was away. A connection revoked while away is
    told so the same way.
*/
#include "wf_front_hub_internal.h"
#include "wf_log.h"

#define S_ACTOR "front"
#define S_RESYNC                                                                                   \
    "Resync required: more notifications were missed than the server keeps; read the balance "     \
    "through the REST API"

void
wf_front_hub_replay_start (wf_front_hub_t *self, s_hub_conn_t *conn)
{
    assert (!conn->stateful && !conn->replay.items);
    assert (self->config.replay_messages_max <= WF_HUB_REPLAY_MESSAGES_MAX);
    wf_hub_replay_init (&conn->replay, (uint32_t) self->config.replay_messages_max,
                        WF_HUB_REPLAY_BYTES_MAX, LWS_PRE);
    conn->stateful = true;
}

void
wf_front_hub_replay_free (s_hub_conn_t *conn)
{
    wf_hub_replay_fini (&conn->replay);
    conn->stateful = false;
}

//  The ring overflowed: log, and tell a connected client to resync now (one
//  that is away hears it at its reconnect).
static void
s_overflow (wf_front_hub_t *self, s_hub_conn_t *conn)
{
    if (wf_log_enabled (WF_LOG_INFO)) {
        char quoted[WF_LOG_VALUE_BYTES_MAX];
        wf_log (WF_LOG_INFO, S_ACTOR, "hub_replay_overflow", NULL,
                "connection_id=%s user=%s detached=%s", conn->connection_id,
                wf_log_quote (quoted, sizeof quoted, conn->user->id),
                conn->state == S_CONN_DETACHED ? "true" : "false");
    }
    if (conn->state == S_CONN_OPEN) {
        wf_metric_inc (self->closed_resync, 1);
        wf_front_hub_close_with_message (self, conn, S_RESYNC, true);
    }
}

void
wf_front_hub_send_tracked (wf_front_hub_t *self, s_hub_conn_t *conn, const uint8_t *bytes,
                           size_t len)
{
    if (!conn->stateful) {
        wf_front_hub_enqueue (self, conn, bytes, len);
        return;
    }
    if (conn->closing || conn->revoked)
        return;
    wf_hub_replay_push_t result =
        wf_hub_replay_push (&conn->replay, bytes, len, conn->protocol == WF_SIGNALR_MESSAGEPACK);
    if (result == WF_HUB_REPLAY_OVERFLOW)
        s_overflow (self, conn);
    else if (result == WF_HUB_REPLAY_KEPT && conn->wsi)
        lws_callback_on_writable (conn->wsi);
}

s_hub_out_t *
wf_front_hub_replay_next (s_hub_conn_t *conn)
{
    return conn->stateful && conn->wsi && !conn->revoked ? wf_hub_replay_next (&conn->replay)
                                                         : NULL;
}

void
wf_front_hub_replay_written (s_hub_conn_t *conn)
{
    wf_hub_replay_written (&conn->replay);
}

bool
wf_front_hub_replay_receive (wf_front_hub_t *self, s_hub_conn_t *conn,
                             const wf_signalr_message_t *message)
{
    wf_hub_replay_verdict_t verdict =
        wf_hub_replay_receive (&conn->replay, message->type, message->sequence_id);
    if (verdict == WF_HUB_REPLAY_ERROR) {
        wf_metric_inc (self->closed_protocol, 1);
        wf_front_hub_close_with_message (
            self, conn, "Connection closed with an error: sequence id out of range", false);
    }
    return verdict == WF_HUB_REPLAY_HANDLE;
}

void
wf_front_hub_detach (wf_front_hub_t *self, s_hub_conn_t *conn)
{
    assert (conn->stateful && conn->state == S_CONN_OPEN);
    conn->state = S_CONN_DETACHED;
    wf_front_hub_detached_count (self, 1);
    conn->wsi = NULL;
    conn->detached_ms = zclock_mono ();
    conn->generation++; //  nothing of the old socket reaches this connection again
    //  Queued records are pings, acks or a handshake answer: none is replayed.
    while (conn->queue_count > 0) {
        free (conn->queue[conn->queue_head].data);
        conn->queue_head = (conn->queue_head + 1) % WF_HUB_SEND_QUEUE_MESSAGES_MAX;
        conn->queue_count--;
    }
    conn->queued_bytes = 0;
    free (conn->rx);
    conn->rx = NULL;
    conn->rx_size = conn->rx_capacity = 0;
    if (wf_log_enabled (WF_LOG_INFO)) {
        char quoted[WF_LOG_VALUE_BYTES_MAX];
        wf_log (WF_LOG_INFO, S_ACTOR, "hub_detached", NULL,
                "connection_id=%s user=%s unacknowledged=%u", conn->connection_id,
                wf_log_quote (quoted, sizeof quoted, conn->user->id), conn->replay.count);
    }
}

void
wf_front_hub_reattach (wf_front_hub_t *self, s_hub_conn_t *conn, struct lws *wsi,
                       const s_hub_pending_t *pending)
{
    assert (conn->stateful && !conn->closing);
    if (conn->wsi) {
        //  The old socket still looks open (its loss was not seen yet): the
        //  client has moved on, so it is killed; its callbacks find a newer
        //  generation and leave this connection alone.
        lws_set_timeout (conn->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        wf_front_hub_detach (self, conn);
    }
    conn->generation++;
    assert (conn->state == S_CONN_DETACHED);
    wf_front_hub_detached_count (self, -1);
    conn->state = S_CONN_OPEN;
    conn->wsi = wsi;
    conn->peer_closed = false;
    conn->exp_s = pending->exp_s; //  the reconnect brought a token of its own
    conn->opened_ms = conn->received_ms = conn->sent_ms = zclock_mono ();
    //  Sequence first: the next tracked message is the oldest the client did
    //  not acknowledge; it drops the ones it already had.
    wf_hub_replay_t *r = &conn->replay;
    wf_buf_reset (&self->scratch);
    wf_signalr_encode_sequence (conn->protocol, &self->scratch, wf_hub_replay_rewind (r));
    wf_front_hub_enqueue (self, conn, self->scratch.data, self->scratch.size);
    wf_metric_inc (self->reconnects, 1);
    wf_metric_inc (self->replayed, r->count);
    if (conn->revoked)
        wf_front_hub_close_with_message (self, conn, S_HUB_REVOKED, false);
    else if (r->resync) {
        wf_metric_inc (self->closed_resync, 1);
        wf_front_hub_close_with_message (self, conn, S_RESYNC, true);
    }
    if (wf_log_enabled (WF_LOG_INFO)) {
        char quoted[WF_LOG_VALUE_BYTES_MAX];
        wf_log (WF_LOG_INFO, S_ACTOR, "hub_reconnected", NULL,
                "connection_id=%s user=%s replayed=%u resync=%s", conn->connection_id,
                wf_log_quote (quoted, sizeof quoted, conn->user->id), r->count,
                r->resync ? "true" : "false");
    }
}

bool
wf_front_hub_replay_sweep (wf_front_hub_t *self, s_hub_conn_t *conn, int64_t now_ms)
{
    if (conn->state == S_CONN_DETACHED) {
        if (now_ms - conn->detached_ms < self->config.reconnect_window_ms)
            return false;
        wf_metric_inc (self->closed_window, 1);
        if (wf_log_enabled (WF_LOG_INFO)) {
            char quoted[WF_LOG_VALUE_BYTES_MAX];
            wf_log (WF_LOG_INFO, S_ACTOR, "hub_reconnect_expired", NULL, "connection_id=%s user=%s",
                    conn->connection_id, wf_log_quote (quoted, sizeof quoted, conn->user->id));
        }
        wf_front_hub_release (self, conn);
        return true;
    }
    uint64_t seq;
    if (conn->state == S_CONN_OPEN && wf_hub_replay_ack_due (&conn->replay, &seq)) {
        wf_buf_reset (&self->scratch);
        wf_signalr_encode_ack (conn->protocol, &self->scratch, seq);
        wf_front_hub_enqueue (self, conn, self->scratch.data, self->scratch.size);
    }
    return false;
}
