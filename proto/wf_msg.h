/*  wf_msg - the WalletFlow wire format: envelope + typed body, msgpack.

    A message travels as two ZeroMQ frames, [envelope][body]:
    - envelope: msgpack array in fixed order
          [version, type, correlation_id, reply_to, deadline_ms, request_id, traceparent]
      (uint, str, uint, str, int, str, str)
    - body: msgpack map whose keys are the field names of the message named by
      `type`, as listed in wf_msgs.def.

    One generic encoder and one total decoder serve every message, driven by
    descriptor tables generated from wf_msgs.def. Decoding never crashes and
    never allocates for sizes declared in the input: any byte string yields the
    message or a wf_codec error naming the problem.

    Decoded strings and binaries are slices (wf_str_t) into the frame bytes
    they came from: the frame must outlive the decoded struct.
*/
#ifndef WF_MSG_H_INCLUDED
#define WF_MSG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wf_limits.h"
#include "wf_err.h"

//  A byte slice; not NUL-terminated unless said so.
typedef struct {
    const char *ptr;
    size_t len;
} wf_str_t;

#define WF_STR(literal) ((wf_str_t){(literal), sizeof (literal) - 1})
//  Slice of a NUL-terminated C string (NULL gives an empty slice).
wf_str_t wf_str_c (const char *cstr);
//  True when the slice equals the C string.
bool wf_str_eq (wf_str_t s, const char *cstr);

//  Message ids, one per WF_MSG_BEGIN in wf_msgs.def.
typedef enum {
    WF_MSG_NONE = 0,
#define WF_MSG_BEGIN(ID, c_name, wire) WF_MSG_##ID,
#define WF_FIELD_STR(n, max, req)
#define WF_FIELD_BIN(n, max, req)
#define WF_FIELD_I64(n, req)
#define WF_FIELD_U64(n, req)
#define WF_FIELD_BOOL(n, req)
#define WF_FIELD_LIST(n, elem, max, req)
#define WF_MSG_END(ID, c_name)
#include "wf_msgs.def"
#undef WF_MSG_BEGIN
#undef WF_FIELD_STR
#undef WF_FIELD_BIN
#undef WF_FIELD_I64
#undef WF_FIELD_U64
#undef WF_FIELD_BOOL
#undef WF_FIELD_LIST
#undef WF_MSG_END
    WF_MSG_COUNT
} wf_msg_id_t;

//  One struct per message: wf_<c_name>_t. `present` has bit i set when field i
//  (in .def order) was present on decode; the encoder writes every field.
#define WF_MSG_BEGIN(ID, c_name, wire)                                                             \
    typedef struct wf_##c_name##_s {                                                               \
        uint64_t present;
#define WF_FIELD_STR(n, max, req) wf_str_t n;
#define WF_FIELD_BIN(n, max, req) wf_str_t n;
#define WF_FIELD_I64(n, req)      int64_t n;
#define WF_FIELD_U64(n, req)      uint64_t n;
#define WF_FIELD_BOOL(n, req)     bool n;
#define WF_FIELD_LIST(n, elem, max, req)                                                           \
    wf_##elem##_t n[max];                                                                          \
    uint32_t n##_count;
#define WF_MSG_END(ID, c_name)                                                                     \
    }                                                                                              \
    wf_##c_name##_t;
#include "wf_msgs.def"
#undef WF_MSG_BEGIN
#undef WF_FIELD_STR
#undef WF_FIELD_BIN
#undef WF_FIELD_I64
#undef WF_FIELD_U64
#undef WF_FIELD_BOOL
#undef WF_FIELD_LIST
#undef WF_MSG_END

//  Storage big enough for any message body.
typedef union {
#define WF_MSG_BEGIN(ID, c_name, wire) wf_##c_name##_t c_name;
#define WF_FIELD_STR(n, max, req)
#define WF_FIELD_BIN(n, max, req)
#define WF_FIELD_I64(n, req)
#define WF_FIELD_U64(n, req)
#define WF_FIELD_BOOL(n, req)
#define WF_FIELD_LIST(n, elem, max, req)
#define WF_MSG_END(ID, c_name)
#include "wf_msgs.def"
#undef WF_MSG_BEGIN
#undef WF_FIELD_STR
#undef WF_FIELD_BIN
#undef WF_FIELD_I64
#undef WF_FIELD_U64
#undef WF_FIELD_BOOL
#undef WF_FIELD_LIST
#undef WF_MSG_END
} wf_any_msg_t;

//  The envelope. Text fields are slices (into the frame after decode).
typedef struct {
    uint32_t version;        //  WF_PROTO_VERSION
    wf_msg_id_t type;        //  decoded from / encoded as the wire name
    uint64_t correlation_id; //  chosen by the requester, echoed in the reply
    wf_str_t reply_to;       //  optional: service or endpoint for the reply
    int64_t deadline_ms;     //  ms since the Unix epoch; 0 = none
    wf_str_t request_id;     //  for logs, across actors
    wf_str_t traceparent;    //  W3C trace context, may be empty
} wf_envelope_t;

//  Why a decode failed. `detail` is a static string (never NULL on failure).
typedef struct {
    const char *detail;
    const char *field; //  field name when a field was at fault, else NULL
} wf_codec_err_t;

//  A growable output buffer reused across encodes (allocated once, kept).
typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} wf_buf_t;

void wf_buf_init (wf_buf_t *buf);
void wf_buf_reset (wf_buf_t *buf); //  size = 0, keeps the memory
void wf_buf_free (wf_buf_t *buf);

//  Message table access.
const char *wf_msg_name (wf_msg_id_t id);                 //  wire name, or "?" when unknown
wf_msg_id_t wf_msg_lookup (const char *name, size_t len); //  WF_MSG_NONE if unknown
size_t wf_msg_struct_size (wf_msg_id_t id);               //  sizeof (wf_<c_name>_t), 0 if unknown

//  Encoders append to buf. They assert on invariants the caller owns (a string
//  over its bytes_max, an unknown id); they return -1 only when buf would
//  exceed WF_FRAME_BYTES_MAX.
int wf_envelope_encode (const wf_envelope_t *env, wf_buf_t *buf);
int wf_body_encode (wf_msg_id_t id, const void *msg, wf_buf_t *buf);

//  Total decoders: 0 on success, -1 with err filled on any bad input.
//  wf_body_decode zeroes *msg (wf_msg_struct_size (id) bytes) first.
int wf_envelope_decode (const uint8_t *data, size_t size, wf_envelope_t *env, wf_codec_err_t *err);
int wf_body_decode (wf_msg_id_t id, const uint8_t *data, size_t size, void *msg,
                    wf_codec_err_t *err);

//  True when two decoded (or to-be-encoded) bodies of message `id` hold equal
//  values: strings compare by content, lists element by element up to their
//  count; `present` bits are not compared. For tests and the fuzz target.
bool wf_body_equal (wf_msg_id_t id, const void *a, const void *b);
//  True when two envelopes hold equal values (strings by content).
bool wf_envelope_equal (const wf_envelope_t *a, const wf_envelope_t *b);

//  Current wall-clock time in ms since the epoch (for deadlines).
int64_t wf_clock_ms (void);

#endif
