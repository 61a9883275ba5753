/*  wf_front_hub_push - what the bridge hands the hub: a user's notification,
    sent to each of the user's connections (encoded once per protocol,
    numbered and buffered on stateful ones, even detached), or the
    revocation word, which closes them all (see wf_front_hub.h).
*/
#include "wf_front_hub_internal.h"
#include "wf_events.h"
#include "wf_log.h"

#define S_ACTOR "front"

//  Identity revoked a session of this user: close every connection with a
//  close message. A detached one is told at its reconnect (kept until its
//  window passes, so the reconnect is not taken for a first connection).
static void
s_revoke (wf_front_hub_t *self, s_hub_user_t *user)
{
    if (wf_log_enabled (WF_LOG_INFO)) {
        char quoted[WF_LOG_VALUE_BYTES_MAX];
        wf_log (WF_LOG_INFO, S_ACTOR, "hub_sessions_revoked", NULL, "user=%s connections=%u",
                wf_log_quote (quoted, sizeof quoted, user->id), user->count);
    }
    uint32_t at = user->first;
    while (at != S_HUB_NONE) {
        s_hub_conn_t *conn = &self->conns[at];
        at = conn->next_of_user;
        wf_metric_inc (self->closed_revoked, 1);
        if (conn->state == S_CONN_DETACHED)
            conn->revoked = true;
        else if (conn->state == S_CONN_OPEN)
            wf_front_hub_close_with_message (self, conn, S_HUB_REVOKED, false);
        else
            wf_front_hub_close_soon (conn, LWS_CLOSE_STATUS_POLICY_VIOLATION, "session revoked");
    }
}

//  True when frame is exactly the revocation word.
static bool
s_is_revocation (zframe_t *frame)
{
    size_t len = strlen (WF_NOTIFY_SESSIONS_REVOKED);
    return frame && zframe_size (frame) == len &&
           memcmp (zframe_data (frame), WF_NOTIFY_SESSIONS_REVOKED, len) == 0;
}

void
wf_front_hub_push (wf_front_hub_t *self, zmsg_t *msg)
{
    char *user_id = zmsg_popstr (msg);
    zframe_t *frame = zmsg_pop (msg);
    s_hub_user_t *user = user_id ? wf_front_hub_user (self, user_id) : NULL;
    json_t *notification = NULL;
    if (user && user->count > 0 && s_is_revocation (frame)) {
        s_revoke (self, user);
        zframe_destroy (&frame);
        zstr_free (&user_id);
        return;
    }
    if (user && user->count > 0 && frame && zframe_size (frame) <= WF_HUB_NOTIFICATION_BYTES_MAX) {
        json_error_t error;
        notification = json_loadb ((const char *) zframe_data (frame), zframe_size (frame),
                                   JSON_REJECT_DUPLICATES, &error);
    }
    if (!json_is_object (notification)) {
        //  Not for anybody here (the subscription was just dropped), or not a
        //  notification at all.
        wf_metric_inc (self->unrouted, 1);
    } else {
        //  Encoded once per protocol, queued for each of the user's connections.
        wf_buf_t records[3];
        wf_buf_init (&records[WF_SIGNALR_JSON]);
        wf_buf_init (&records[WF_SIGNALR_MESSAGEPACK]);
        uint32_t at = user->first;
        while (at != S_HUB_NONE) {
            s_hub_conn_t *conn = &self->conns[at];
            at = conn->next_of_user;
            bool ready =
                conn->state == S_CONN_OPEN || (conn->state == S_CONN_DETACHED && conn->stateful);
            if (!ready)
                continue;
            wf_buf_t *record = &records[conn->protocol];
            if (record->size == 0 && conn->protocol == WF_SIGNALR_JSON)
                wf_signalr_encode_invocation_json (
                    record, WF_HUB_TARGET, (const char *) zframe_data (frame), zframe_size (frame));
            else if (record->size == 0 && wf_signalr_encode_invocation_msgpack (
                                              record, WF_HUB_TARGET, notification) != 0)
                continue;
            wf_front_hub_send_tracked (self, conn, record->data, record->size);
            wf_metric_inc (self->pushed, 1);
        }
        wf_buf_free (&records[WF_SIGNALR_JSON]);
        wf_buf_free (&records[WF_SIGNALR_MESSAGEPACK]);
    }
    json_decref (notification);
    zframe_destroy (&frame);
    zstr_free (&user_id);
}
