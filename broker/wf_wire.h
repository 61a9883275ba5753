/*  wf_wire - WalletFlow messages as ZeroMQ frames: [envelope][body].

    Glue between the codec (proto/wf_msg.h) and CZMQ messages. Decoded text
    fields are slices into the frames, so keep the zmsg alive while using them.
*/
#ifndef WF_WIRE_H_INCLUDED
#define WF_WIRE_H_INCLUDED

#include <czmq.h>
#include "wf_msg.h"

//  Appends [envelope][body] to msg. scratch is reused between calls.
//  Returns 0, or -1 when the encoding exceeds WF_FRAME_BYTES_MAX.
int wf_wire_append (zmsg_t *msg, const wf_envelope_t *env, const void *body, wf_buf_t *scratch);

//  Decodes the first two frames of msg (pop routing frames first) into env and
//  body. body may be NULL to read the envelope only. Returns 0, or -1 with err
//  set.
int wf_wire_decode (zmsg_t *msg, wf_envelope_t *env, wf_any_msg_t *body, wf_codec_err_t *err);

//  Appends an `error` reply answering request envelope req to msg.
int wf_wire_append_error (zmsg_t *msg, const wf_envelope_t *req, wf_err_t code, const char *detail,
                          wf_buf_t *scratch);

//  Fills a reply envelope for request req: same correlation id, request id,
//  traceparent and deadline; type as given.
void wf_wire_reply_envelope (const wf_envelope_t *req, wf_msg_id_t type, wf_envelope_t *reply);

#endif
