/*  wf_msg_fuzz - libFuzzer target for the wire-format decoder.

    The first input byte picks what the rest is: 0 (modulo WF_MSG_COUNT) an
    envelope, any other value the body of that message id. Decoding must never
    crash, and whatever decodes must survive a round trip: re-encoding succeeds,
    decoding that succeeds with equal values and every field present, and
    encoding the second result gives the same bytes (the encoder is canonical).
    Seeds live in corpus/ (tests/fuzz/msg/make_corpus.c writes them).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wf_msg.h"

//  Aborts with a message when a property fails; libFuzzer records the input.
#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf (stderr, "wf_msg_fuzz: %s:%d: %s\n", __FILE__, __LINE__, #cond);               \
            abort ();                                                                              \
        }                                                                                          \
    } while (0)

//  Output buffers, allocated on first use and reused (as an actor would).
static wf_buf_t s_first, s_second;

//  Round-trips an envelope that decoded.
static void
s_envelope (const uint8_t *data, size_t size)
{
    wf_envelope_t env, again;
    wf_codec_err_t err;
    if (wf_envelope_decode (data, size, &env, &err)) {
        S_CHECK (err.detail != NULL);
        return;
    }
    S_CHECK (err.detail == NULL && env.version == WF_PROTO_VERSION);
    S_CHECK (wf_envelope_encode (&env, &s_first) == 0);
    S_CHECK (wf_envelope_decode (s_first.data, s_first.size, &again, &err) == 0);
    S_CHECK (wf_envelope_equal (&env, &again));
    S_CHECK (wf_envelope_encode (&again, &s_second) == 0);
    S_CHECK (s_first.size == s_second.size);
    S_CHECK (memcmp (s_first.data, s_second.data, s_first.size) == 0);
}

//  The `present` bits of a fully decoded message `id`: those of a zeroed
//  message after encoding (which writes every field) and decoding.
static uint64_t
s_present_all (wf_msg_id_t id)
{
    wf_any_msg_t zero, back;
    wf_codec_err_t err;
    wf_buf_t buf;
    memset (&zero, 0, sizeof (zero));
    wf_buf_init (&buf);
    S_CHECK (wf_body_encode (id, &zero, &buf) == 0);
    S_CHECK (wf_body_decode (id, buf.data, buf.size, &back, &err) == 0);
    wf_buf_free (&buf);
    uint64_t present;
    memcpy (&present, &back, sizeof (present)); //  `present` leads every message struct
    return present;
}

//  Round-trips a body of message `id` that decoded.
static void
s_body (wf_msg_id_t id, const uint8_t *data, size_t size)
{
    wf_any_msg_t msg, again;
    wf_codec_err_t err;
    if (wf_body_decode (id, data, size, &msg, &err)) {
        S_CHECK (err.detail != NULL);
        return;
    }
    S_CHECK (err.detail == NULL);
    //  Re-encoding writes absent optional fields too, so only a body near the
    //  frame limit may fail to fit again.
    if (wf_body_encode (id, &msg, &s_first)) {
        S_CHECK (size > WF_FRAME_BYTES_MAX / 2);
        return;
    }
    S_CHECK (wf_body_decode (id, s_first.data, s_first.size, &again, &err) == 0);
    S_CHECK (wf_body_equal (id, &msg, &again));
    uint64_t present;
    memcpy (&present, &again, sizeof (present));
    S_CHECK (present == s_present_all (id));
    S_CHECK (wf_body_encode (id, &again, &s_second) == 0);
    S_CHECK (s_first.size == s_second.size);
    S_CHECK (memcmp (s_first.data, s_second.data, s_first.size) == 0);
}

//  libFuzzer entry point.
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    wf_msg_id_t id = (wf_msg_id_t) (data[0] % WF_MSG_COUNT);
    wf_buf_reset (&s_first);
    wf_buf_reset (&s_second);
    if (id == WF_MSG_NONE)
        s_envelope (data + 1, size - 1);
    else
        s_body (id, data + 1, size - 1);
    return 0;
}
