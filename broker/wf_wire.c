/*  wf_wire - WalletFlow messages as ZeroMQ frames.  */
#include "wf_wire.h"

//  Encodes one part with encode_fn's output appended as a new frame.
static int
s_append_frame (zmsg_t *msg, wf_buf_t *scratch)
{
    return zmsg_addmem (msg, scratch->data, scratch->size);
}

int
wf_wire_append (zmsg_t *msg, const wf_envelope_t *env, const void *body, wf_buf_t *scratch)
{
    assert (msg && env && body && scratch);
    wf_buf_reset (scratch);
    if (wf_envelope_encode (env, scratch) != 0 || s_append_frame (msg, scratch) != 0)
        return -1;
    wf_buf_reset (scratch);
    if (wf_body_encode (env->type, body, scratch) != 0 || s_append_frame (msg, scratch) != 0) {
        zframe_t *last = zmsg_last (msg);
        zmsg_remove (msg, last);
        zframe_destroy (&last);
        return -1;
    }
    return 0;
}

int
wf_wire_decode (zmsg_t *msg, wf_envelope_t *env, wf_any_msg_t *body, wf_codec_err_t *err)
{
    zframe_t *env_frame = zmsg_first (msg);
    zframe_t *body_frame = zmsg_next (msg);
    if (!env_frame || !body_frame) {
        err->detail = "message has fewer than two frames";
        err->field = NULL;
        return -1;
    }
    if (wf_envelope_decode (zframe_data (env_frame), zframe_size (env_frame), env, err) != 0)
        return -1;
    if (!body)
        return 0;
    return wf_body_decode (env->type, zframe_data (body_frame), zframe_size (body_frame), body,
                           err);
}

void
wf_wire_reply_envelope (const wf_envelope_t *req, wf_msg_id_t type, wf_envelope_t *reply)
{
    *reply = *req;
    reply->version = WF_PROTO_VERSION;
    reply->type = type;
    reply->reply_to = (wf_str_t){"", 0};
}

int
wf_wire_append_error (zmsg_t *msg, const wf_envelope_t *req, wf_err_t code, const char *detail,
                      wf_buf_t *scratch)
{
    wf_envelope_t env;
    wf_wire_reply_envelope (req, WF_MSG_ERROR, &env);
    wf_error_t error;
    memset (&error, 0, sizeof error);
    error.code = code;
    error.detail = wf_str_c (detail);
    if (error.detail.len > 512)
        error.detail.len = 512;
    return wf_wire_append (msg, &env, &error, scratch);
}
