/*  wf_signalr - the SignalR hub protocol: handshake, JSON and MessagePack
    records, negotiate answers and connection tokens. Pure: no I/O.

    Follows the published specifications (dotnet/aspnetcore,
    src/SignalR/docs/specs/HubProtocol.md and TransportProtocols.md):

    - The client's first bytes are a handshake request, always JSON ended by
      the record separator 0x1E: {"protocol":"json"|"messagepack","version":N}.
      The answer is {} or {"error":"..."}, also JSON plus 0x1E. Clients of
      @microsoft/signalr 8 and later send version 2 when negotiate agreed on
      stateful reconnect (version 2 adds its Ack and Sequence messages), else
      1; both are accepted and the version is reported to the caller.
    - JSON records are one JSON object each, ended by 0x1E.
    - MessagePack records are one msgpack array each, prefixed by its length
      as a VarInt: 7 bits a byte, least significant group first, the high bit
      set on every byte but the last; at most 5 bytes (a 32-bit length).

    Client to server, the hub reads the message type and, for invocations, the
    target and invocation id (to answer "no such method"), for close
    messages the error, and for Ack and Sequence messages (stateful
    reconnect) the sequence id, which they must carry. Unknown types parse
    fine (the spec lets future versions add types) and the caller ignores
    them. Any malformed record,
    length over WF_SIGNALR_RECORD_BYTES_MAX, id or target over its bound, or
    invalid UTF-8 is WF_SIGNALR_INVALID: a protocol error that ends the
    connection. msgpack input is read with wf_msgpack_scan, which never
    allocates for declared sizes.

    Server to client, the encoders append one complete record (framing
    included) to a wf_buf_t.

    Connection tokens bind a negotiate to the WebSocket that follows: the
    token is base64url (16 random bytes || issued at, 4 bytes of Unix seconds
    || 1 byte of flags || 16-byte keyed BLAKE2b of all that and the user id),
    so the hub checks it without keeping state, a token negotiated by one
    user is refused for another, and the hub knows when it was issued (a
    token first used long after its negotiate is a reconnect to a connection
    that is gone) and whether negotiate agreed on stateful reconnect.
*/
#ifndef WF_SIGNALR_H_INCLUDED
#define WF_SIGNALR_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wf_msg.h"

#define WF_SIGNALR_RECORD_SEPARATOR        0x1E
#define WF_SIGNALR_HANDSHAKE_BYTES_MAX     1024        //  a handshake request, separator included
#define WF_SIGNALR_RECORD_BYTES_MAX        (32 * 1024) //  one client record, framing excluded
#define WF_SIGNALR_VARINT_BYTES_MAX        5           //  a 32-bit length as VarInt
#define WF_SIGNALR_INVOCATION_ID_BYTES_MAX 64
#define WF_SIGNALR_TARGET_BYTES_MAX        128
#define WF_SIGNALR_ERROR_BYTES_MAX         256  //  a close message's error we keep
#define WF_SIGNALR_VERSION_MAX             2    //  hub protocol versions we accept: 1..2
#define WF_SIGNALR_KEY_BYTES               32   //  connection token key
#define WF_SIGNALR_CONNECTION_ID_CHARS     22   //  base64url of 16 bytes
#define WF_SIGNALR_CONNECTION_TOKEN_CHARS  50   //  base64url of 37 bytes
#define WF_SIGNALR_QUERY_VALUE_BYTES_MAX   4096 //  one decoded query parameter (a token)

_Static_assert(WF_SIGNALR_RECORD_BYTES_MAX < (1u << 28),
               "a record length fits in four VarInt bytes, so five always suffice");

typedef enum { WF_SIGNALR_JSON = 1, WF_SIGNALR_MESSAGEPACK = 2 } wf_signalr_protocol_t;

//  Message types of the hub protocol.
typedef enum {
    WF_SIGNALR_INVOCATION = 1,
    WF_SIGNALR_STREAM_ITEM = 2,
    WF_SIGNALR_COMPLETION = 3,
    WF_SIGNALR_STREAM_INVOCATION = 4,
    WF_SIGNALR_CANCEL_INVOCATION = 5,
    WF_SIGNALR_PING = 6,
    WF_SIGNALR_CLOSE = 7,
    WF_SIGNALR_ACK = 8,
    WF_SIGNALR_SEQUENCE = 9,
} wf_signalr_type_t;

typedef enum {
    WF_SIGNALR_OK = 0,
    WF_SIGNALR_NEED_MORE, //  the bytes end inside a record: wait for more
    WF_SIGNALR_INVALID,   //  a protocol error: answer and close
} wf_signalr_result_t;

//  What the hub needs of one client message. Strings are NUL-terminated
//  copies ("" when absent).
typedef struct {
    int64_t type; //  wf_signalr_type_t, or a type this version does not know
    char invocation_id[WF_SIGNALR_INVOCATION_ID_BYTES_MAX + 1];
    char target[WF_SIGNALR_TARGET_BYTES_MAX + 1];
    char error[WF_SIGNALR_ERROR_BYTES_MAX + 1]; //  CLOSE: cut to fit
    int64_t sequence_id;                        //  ACK, SEQUENCE: >= 0 (required)
} wf_signalr_message_t;

//  What a connection token says besides the connection id.
typedef struct {
    int64_t issued_s; //  Unix seconds of the negotiate
    bool stateful;    //  negotiate agreed on stateful reconnect
} wf_signalr_token_info_t;

//  True for the messages that stateful reconnect numbers, buffers and
//  replays (HubInvocationMessage: types 1 to 5).
bool wf_signalr_type_tracked (int64_t type);

//  Parses the handshake request at the start of data. OK with *consumed (the
//  separator included), *protocol and *version (1..WF_SIGNALR_VERSION_MAX)
//  set; NEED_MORE when no separator yet and fewer than
//  WF_SIGNALR_HANDSHAKE_BYTES_MAX bytes; INVALID with *reason (a sentence for
//  the handshake response) otherwise.
wf_signalr_result_t wf_signalr_handshake_parse (const uint8_t *data, size_t size, size_t *consumed,
                                                wf_signalr_protocol_t *protocol, int *version,
                                                const char **reason);

//  Parses the next client record of `protocol` at the start of data. OK with
//  *consumed and *message set; NEED_MORE; or INVALID with *reason.
wf_signalr_result_t wf_signalr_parse (wf_signalr_protocol_t protocol, const uint8_t *data,
                                      size_t size, size_t *consumed, wf_signalr_message_t *message,
                                      const char **reason);

//  Writes value as a VarInt into out; returns the bytes written (1..5).
size_t wf_signalr_varint_write (uint32_t value, uint8_t out[WF_SIGNALR_VARINT_BYTES_MAX]);

//  Reads a VarInt length at the start of data: OK with *value and *used,
//  NEED_MORE, or INVALID (more than 5 bytes, or a value over 32 bits).
wf_signalr_result_t wf_signalr_varint_read (const uint8_t *data, size_t size, uint32_t *value,
                                            size_t *used);

//  Encoders: each appends one complete record to out.
//  The handshake response ({} when error is NULL); always JSON.
void wf_signalr_encode_handshake_response (wf_buf_t *out, const char *error);

//  A non-blocking invocation of target with one argument given as JSON text,
//  which the caller has checked is one valid JSON value.
void wf_signalr_encode_invocation_json (wf_buf_t *out, const char *target, const char *argument,
                                        size_t argument_len);

//  The same as a MessagePack record: [1, {}, nil, target, [argument], []].
//  JSON reals become float64, integers int, the rest as expected. Returns 0,
//  or -1 when the argument is nested deeper than WF_JSON_DEPTH_MAX.
int wf_signalr_encode_invocation_msgpack (wf_buf_t *out, const char *target,
                                          const json_t *argument);

//  A ping.
void wf_signalr_encode_ping (wf_signalr_protocol_t protocol, wf_buf_t *out);

//  A close message; error may be NULL.
void wf_signalr_encode_close (wf_signalr_protocol_t protocol, wf_buf_t *out, const char *error,
                              bool allow_reconnect);

//  An Ack of every tracked message up to sequence_id.
void wf_signalr_encode_ack (wf_signalr_protocol_t protocol, wf_buf_t *out, uint64_t sequence_id);

//  A Sequence message: the next tracked message sent is sequence_id.
void wf_signalr_encode_sequence (wf_signalr_protocol_t protocol, wf_buf_t *out,
                                 uint64_t sequence_id);

//  A completion carrying an error, answering invocation_id.
void wf_signalr_encode_completion_error (wf_signalr_protocol_t protocol, wf_buf_t *out,
                                         const char *invocation_id, const char *error);

//  The negotiate response body (JSON, caller frees) for negotiateVersion
//  `version` (0 or 1): WebSockets with Text and Binary only, and
//  "useStatefulReconnect": true when stateful is set (only ever in answer to
//  a client that asked: the official client refuses it otherwise).
char *wf_signalr_negotiate_response (int version, const char *connection_id,
                                     const char *connection_token, bool stateful);

//  A new connection id and its token for user_id, under key, issued now_s.
void wf_signalr_connection_token_new (const uint8_t key[WF_SIGNALR_KEY_BYTES], const char *user_id,
                                      int64_t now_s, bool stateful,
                                      char connection_id[WF_SIGNALR_CONNECTION_ID_CHARS + 1],
                                      char token[WF_SIGNALR_CONNECTION_TOKEN_CHARS + 1]);

//  Checks that token was made under key for user_id; on success writes the
//  connection id it names and, when info is not NULL, what else it says.
//  Returns 0, or -1 (malformed or not this user's).
int wf_signalr_connection_token_check (const uint8_t key[WF_SIGNALR_KEY_BYTES], const char *user_id,
                                       const char *token,
                                       char connection_id[WF_SIGNALR_CONNECTION_ID_CHARS + 1],
                                       wf_signalr_token_info_t *info);

//  Finds parameter `name` in a query string and copies its value into value.
//  libwebsockets hands URI arguments over already %-decoded and joined with
//  ','; a raw query joins them with '&': both separate parameters here, and
//  values are copied as they are (the values the hub reads, tokens and
//  numbers, hold neither separator). Returns the value's length, or -1 when
//  absent or not fitting size - 1 bytes.
int wf_signalr_query_param (const char *query, const char *name, char *value, size_t size);

#endif
