/*  wf_signalr - the SignalR hub protocol codecs (see the header).

    JSON records are parsed with jansson (duplicate keys refused, NUL refused
    by default); MessagePack records with the bounded wf_msgpack_scan cursor.
    Encoders build small records by hand or with msgpack-c's packer.
*/
#include "wf_signalr.h"
#include "wf_limits.h"
#include "wf_msgpack_scan.h"
#include <assert.h>
#include <inttypes.h>
#include <msgpack.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAC_BYTES      16
#define S_ID_BYTES       16
#define S_ISSUED_BYTES   4 //  Unix seconds, big-endian: good until 2106
#define S_FLAGS_BYTES    1
#define S_SIGNED_BYTES   (S_ID_BYTES + S_ISSUED_BYTES + S_FLAGS_BYTES)
#define S_TOKEN_BYTES    (S_SIGNED_BYTES + S_MAC_BYTES)
#define S_FLAG_STATEFUL  0x01
#define S_BUF_BYTES_INIT 256

_Static_assert(WF_SIGNALR_CONNECTION_TOKEN_CHARS == (S_TOKEN_BYTES * 8 + 5) / 6,
               "a connection token is the unpadded base64url of its bytes");
_Static_assert(WF_SIGNALR_CONNECTION_ID_CHARS == (S_ID_BYTES * 8 + 5) / 6,
               "a connection id is the unpadded base64url of its bytes");

//  Appends len bytes to out; growth doubles, out of memory aborts.
static void
s_append (wf_buf_t *out, const void *bytes, size_t len)
{
    if (out->size + len > out->capacity) {
        size_t capacity = out->capacity ? out->capacity : S_BUF_BYTES_INIT;
        while (capacity < out->size + len)
            capacity *= 2;
        uint8_t *grown = (uint8_t *) realloc (out->data, capacity);
        if (!grown)
            abort ();
        out->data = grown;
        out->capacity = capacity;
    }
    memcpy (out->data + out->size, bytes, len);
    out->size += len;
}

//  Appends a NUL-terminated string.
static void
s_append_str (wf_buf_t *out, const char *text)
{
    s_append (out, text, strlen (text));
}

//  Appends a jansson value dumped compactly, then the record separator.
static void
s_append_json_record (wf_buf_t *out, json_t *root)
{
    assert (root);
    char *text = json_dumps (root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert (text);
    s_append_str (out, text);
    free (text);
    uint8_t separator = WF_SIGNALR_RECORD_SEPARATOR;
    s_append (out, &separator, 1);
    json_decref (root);
}

//  Appends the VarInt length of body, then body.
static void
s_append_msgpack_record (wf_buf_t *out, const msgpack_sbuffer *body)
{
    assert (body->size <= UINT32_MAX);
    uint8_t prefix[WF_SIGNALR_VARINT_BYTES_MAX];
    size_t used = wf_signalr_varint_write ((uint32_t) body->size, prefix);
    s_append (out, prefix, used);
    s_append (out, body->data, body->size);
}

//  Packs a NUL-terminated string.
static void
s_pack_str (msgpack_packer *packer, const char *text)
{
    size_t len = strlen (text);
    msgpack_pack_str (packer, len);
    msgpack_pack_str_body (packer, text, len);
}

size_t
wf_signalr_varint_write (uint32_t value, uint8_t out[WF_SIGNALR_VARINT_BYTES_MAX])
{
    size_t used = 0;
    do {
        uint8_t byte = value & 0x7F;
        value >>= 7;
        out[used++] = value ? (uint8_t) (byte | 0x80) : byte;
    } while (value);
    assert (used <= WF_SIGNALR_VARINT_BYTES_MAX);
    return used;
}

wf_signalr_result_t
wf_signalr_varint_read (const uint8_t *data, size_t size, uint32_t *value, size_t *used)
{
    uint64_t result = 0;
    for (size_t i = 0; i < WF_SIGNALR_VARINT_BYTES_MAX; i++) {
        if (i >= size)
            return WF_SIGNALR_NEED_MORE;
        result |= (uint64_t) (data[i] & 0x7F) << (7 * i);
        if (!(data[i] & 0x80)) {
            if (result > UINT32_MAX)
                return WF_SIGNALR_INVALID;
            *value = (uint32_t) result;
            *used = i + 1;
            return WF_SIGNALR_OK;
        }
    }
    return WF_SIGNALR_INVALID; //  a sixth byte would be needed
}

//  The offset of the first record separator in data[0..size), or -1.
static long
s_separator (const uint8_t *data, size_t size)
{
    const uint8_t *at = (const uint8_t *) memchr (data, WF_SIGNALR_RECORD_SEPARATOR, size);
    return at ? (long) (at - data) : -1;
}

bool
wf_signalr_type_tracked (int64_t type)
{
    return type >= WF_SIGNALR_INVOCATION && type <= WF_SIGNALR_CANCEL_INVOCATION;
}

wf_signalr_result_t
wf_signalr_handshake_parse (const uint8_t *data, size_t size, size_t *consumed,
                            wf_signalr_protocol_t *protocol, int *version, const char **reason)
{
    size_t window = size < WF_SIGNALR_HANDSHAKE_BYTES_MAX ? size : WF_SIGNALR_HANDSHAKE_BYTES_MAX;
    long end = s_separator (data, window);
    if (end < 0) {
        *reason = "the handshake request is too long";
        return size < WF_SIGNALR_HANDSHAKE_BYTES_MAX ? WF_SIGNALR_NEED_MORE : WF_SIGNALR_INVALID;
    }
    json_error_t error;
    json_t *root = json_loadb ((const char *) data, (size_t) end, JSON_REJECT_DUPLICATES, &error);
    json_t *name = json_object_get (root, "protocol");
    json_t *number = json_object_get (root, "version");
    wf_signalr_result_t result = WF_SIGNALR_INVALID;
    if (!json_is_object (root))
        *reason = "the handshake request is not a JSON object";
    else if (!json_is_string (name) || !json_is_integer (number))
        *reason = "the handshake request needs a protocol name and an integer version";
    else if (json_integer_value (number) < 1 ||
             json_integer_value (number) > WF_SIGNALR_VERSION_MAX)
        *reason = "the server does not support this version of the protocol";
    else if (strcmp (json_string_value (name), "json") == 0) {
        *protocol = WF_SIGNALR_JSON;
        result = WF_SIGNALR_OK;
    } else if (strcmp (json_string_value (name), "messagepack") == 0) {
        *protocol = WF_SIGNALR_MESSAGEPACK;
        result = WF_SIGNALR_OK;
    } else
        *reason = "the requested protocol is not available (json, messagepack)";
    if (result == WF_SIGNALR_OK) {
        *consumed = (size_t) end + 1;
        *version = (int) json_integer_value (number);
    }
    json_decref (root);
    return result;
}

//  Copies a JSON string member into dst (size bytes with the NUL); absent is
//  "". -1 when it is not a string or does not fit.
static int
s_json_string (json_t *root, const char *key, char *dst, size_t size, bool cut)
{
    dst[0] = 0;
    json_t *value = json_object_get (root, key);
    if (!value || json_is_null (value))
        return 0;
    if (!json_is_string (value))
        return -1;
    size_t len = json_string_length (value);
    if (len >= size) {
        if (!cut)
            return -1;
        len = size - 1;
    }
    memcpy (dst, json_string_value (value), len);
    dst[len] = 0;
    return 0;
}

//  Reads the sequenceId an Ack or Sequence message must carry; 0, or -1.
static int
s_json_sequence (json_t *root, wf_signalr_message_t *message)
{
    if (message->type != WF_SIGNALR_ACK && message->type != WF_SIGNALR_SEQUENCE)
        return 0;
    json_t *value = json_object_get (root, "sequenceId");
    if (!json_is_integer (value) || json_integer_value (value) < 0)
        return -1;
    message->sequence_id = json_integer_value (value);
    return 0;
}

//  Parses one JSON record.
static wf_signalr_result_t
s_parse_json (const uint8_t *data, size_t size, size_t *consumed, wf_signalr_message_t *message,
              const char **reason)
{
    size_t window = size < WF_SIGNALR_RECORD_BYTES_MAX + 1 ? size : WF_SIGNALR_RECORD_BYTES_MAX + 1;
    long end = s_separator (data, window);
    if (end < 0) {
        *reason = "a message is longer than the server accepts";
        return size <= WF_SIGNALR_RECORD_BYTES_MAX ? WF_SIGNALR_NEED_MORE : WF_SIGNALR_INVALID;
    }
    json_error_t error;
    json_t *root = json_loadb ((const char *) data, (size_t) end, JSON_REJECT_DUPLICATES, &error);
    json_t *type = json_object_get (root, "type");
    wf_signalr_result_t result = WF_SIGNALR_INVALID;
    if (!json_is_object (root) || !json_is_integer (type))
        *reason = "a message is not a JSON object with an integer type";
    else {
        message->type = json_integer_value (type);
        bool invocation =
            message->type == WF_SIGNALR_INVOCATION || message->type == WF_SIGNALR_STREAM_INVOCATION;
        if (s_json_string (root, "invocationId", message->invocation_id,
                           sizeof message->invocation_id, false) != 0 ||
            s_json_string (root, "target", message->target, sizeof message->target, false) != 0 ||
            s_json_string (root, "error", message->error, sizeof message->error, true) != 0)
            *reason = "a message field has the wrong type or is too long";
        else if (invocation && !message->target[0])
            *reason = "an invocation has no target";
        else if (s_json_sequence (root, message) != 0)
            *reason = "an ack or sequence message needs a non-negative integer sequenceId";
        else
            result = WF_SIGNALR_OK;
    }
    json_decref (root);
    if (result == WF_SIGNALR_OK)
        *consumed = (size_t) end + 1;
    return result;
}

//  Reads a msgpack nil or string into dst. -1 on anything else, invalid
//  UTF-8, or a string that does not fit (unless cut).
static int
s_scan_string (wf_msgpack_scan_t *scan, char *dst, size_t size, bool cut, const char **reason)
{
    wf_msgpack_item_t item;
    dst[0] = 0;
    if (wf_msgpack_scan_next (scan, &item, reason) != 0)
        return -1;
    if (item.kind == WF_MSGPACK_NIL)
        return 0;
    if (item.kind != WF_MSGPACK_STR || !wf_msgpack_scan_utf8_valid (item.ptr, item.len)) {
        *reason = "a message field is not a UTF-8 string";
        return -1;
    }
    size_t len = item.len;
    if (len >= size) {
        if (!cut) {
            *reason = "a message field is too long";
            return -1;
        }
        len = size - 1;
    }
    memcpy (dst, item.ptr, len);
    dst[len] = 0;
    return 0;
}

//  Checks a headers map: string keys, string values.
static int
s_scan_headers (wf_msgpack_scan_t *scan, const char **reason)
{
    wf_msgpack_item_t item;
    if (wf_msgpack_scan_next (scan, &item, reason) != 0)
        return -1;
    if (item.kind != WF_MSGPACK_MAP) {
        *reason = "message headers are not a map";
        return -1;
    }
    for (uint64_t i = 0; i < 2 * (uint64_t) item.len; i++) {
        wf_msgpack_item_t entry;
        if (wf_msgpack_scan_next (scan, &entry, reason) != 0)
            return -1;
        if (entry.kind != WF_MSGPACK_STR) {
            *reason = "message headers hold a value that is not a string";
            return -1;
        }
    }
    return 0;
}

//  Reads the fields the hub needs from one msgpack message body.
static int
s_scan_message (const uint8_t *body, size_t size, wf_signalr_message_t *message,
                const char **reason)
{
    wf_msgpack_scan_t scan;
    wf_msgpack_item_t item;
    wf_msgpack_scan_init (&scan, body, size);
    if (wf_msgpack_scan_next (&scan, &item, reason) != 0)
        return -1;
    uint32_t count = item.len;
    if (item.kind != WF_MSGPACK_ARRAY || count < 1) {
        *reason = "a message is not a non-empty array";
        return -1;
    }
    if (wf_msgpack_scan_next (&scan, &item, reason) != 0)
        return -1;
    if (item.kind != WF_MSGPACK_INT || item.negative || item.u64 > INT32_MAX) {
        *reason = "a message type is not a small positive integer";
        return -1;
    }
    message->type = (int64_t) item.u64;
    if (message->type == WF_SIGNALR_INVOCATION || message->type == WF_SIGNALR_STREAM_INVOCATION) {
        //  [type, headers, invocationId, target, [arguments], [streamIds]?]
        if (count < 5) {
            *reason = "an invocation has too few fields";
            return -1;
        }
        if (s_scan_headers (&scan, reason) != 0 ||
            s_scan_string (&scan, message->invocation_id, sizeof message->invocation_id, false,
                           reason) != 0 ||
            s_scan_string (&scan, message->target, sizeof message->target, false, reason) != 0)
            return -1;
        if (!message->target[0]) {
            *reason = "an invocation has no target";
            return -1;
        }
    } else if (message->type == WF_SIGNALR_CLOSE && count >= 2) {
        //  [7, error, allowReconnect?]
        if (s_scan_string (&scan, message->error, sizeof message->error, true, reason) != 0)
            return -1;
    } else if (message->type == WF_SIGNALR_ACK || message->type == WF_SIGNALR_SEQUENCE) {
        //  [8 | 9, sequenceId]: any unsigned integer size
        if (count < 2 || wf_msgpack_scan_next (&scan, &item, reason) != 0 ||
            item.kind != WF_MSGPACK_INT || item.negative || item.u64 > INT64_MAX) {
            *reason = "an ack or sequence message needs a non-negative integer sequence id";
            return -1;
        }
        message->sequence_id = (int64_t) item.u64;
    }
    return 0;
}

//  Parses one MessagePack record.
static wf_signalr_result_t
s_parse_msgpack (const uint8_t *data, size_t size, size_t *consumed, wf_signalr_message_t *message,
                 const char **reason)
{
    uint32_t length;
    size_t used;
    wf_signalr_result_t result = wf_signalr_varint_read (data, size, &length, &used);
    if (result == WF_SIGNALR_INVALID)
        *reason = "a message length prefix is malformed";
    if (result != WF_SIGNALR_OK)
        return result;
    if (length == 0 || length > WF_SIGNALR_RECORD_BYTES_MAX) {
        *reason = length ? "a message is longer than the server accepts" : "a message is empty";
        return WF_SIGNALR_INVALID;
    }
    if (size - used < length)
        return WF_SIGNALR_NEED_MORE;
    if (s_scan_message (data + used, length, message, reason) != 0)
        return WF_SIGNALR_INVALID;
    *consumed = used + length;
    return WF_SIGNALR_OK;
}

wf_signalr_result_t
wf_signalr_parse (wf_signalr_protocol_t protocol, const uint8_t *data, size_t size,
                  size_t *consumed, wf_signalr_message_t *message, const char **reason)
{
    assert (protocol == WF_SIGNALR_JSON || protocol == WF_SIGNALR_MESSAGEPACK);
    memset (message, 0, sizeof *message);
    *reason = "a message is incomplete";
    if (size == 0)
        return WF_SIGNALR_NEED_MORE;
    return protocol == WF_SIGNALR_JSON ? s_parse_json (data, size, consumed, message, reason)
                                       : s_parse_msgpack (data, size, consumed, message, reason);
}

void
wf_signalr_encode_handshake_response (wf_buf_t *out, const char *error)
{
    json_t *root = json_object ();
    if (error)
        json_object_set_new (root, "error", json_string (error));
    s_append_json_record (out, root);
}

void
wf_signalr_encode_invocation_json (wf_buf_t *out, const char *target, const char *argument,
                                   size_t argument_len)
{
    //  The argument is spliced as it came, so money keeps its scale (100.50).
    json_t *name = json_string (target);
    assert (name);
    char *quoted = json_dumps (name, JSON_ENCODE_ANY);
    json_decref (name);
    s_append_str (out, "{\"type\":1,\"target\":");
    s_append_str (out, quoted);
    s_append_str (out, ",\"arguments\":[");
    s_append (out, argument, argument_len);
    s_append_str (out, "]}\x1e");
    free (quoted);
}

//  Packs a jansson value as msgpack; -1 beyond WF_JSON_DEPTH_MAX.
static int
s_pack_json (msgpack_packer *packer, const json_t *value, int depth)
{
    if (depth > WF_JSON_DEPTH_MAX)
        return -1;
    switch (json_typeof (value)) {
        case JSON_OBJECT: {
            msgpack_pack_map (packer, json_object_size (value));
            const char *key;
            json_t *member;
            json_object_foreach ((json_t *) value, key, member)
            {
                s_pack_str (packer, key);
                if (s_pack_json (packer, member, depth + 1) != 0)
                    return -1;
            }
            return 0;
        }
        case JSON_ARRAY: {
            msgpack_pack_array (packer, json_array_size (value));
            for (size_t i = 0; i < json_array_size (value); i++)
                if (s_pack_json (packer, json_array_get (value, i), depth + 1) != 0)
                    return -1;
            return 0;
        }
        case JSON_STRING:
            msgpack_pack_str (packer, json_string_length (value));
            return msgpack_pack_str_body (packer, json_string_value (value),
                                          json_string_length (value));
        case JSON_INTEGER:
            return msgpack_pack_int64 (packer, json_integer_value (value));
        case JSON_REAL:
            return msgpack_pack_double (packer, json_real_value (value));
        case JSON_TRUE:
            return msgpack_pack_true (packer);
        case JSON_FALSE:
            return msgpack_pack_false (packer);
        default:
            return msgpack_pack_nil (packer);
    }
}

int
wf_signalr_encode_invocation_msgpack (wf_buf_t *out, const char *target, const json_t *argument)
{
    msgpack_sbuffer body;
    msgpack_sbuffer_init (&body);
    msgpack_packer packer;
    msgpack_packer_init (&packer, &body, msgpack_sbuffer_write);
    msgpack_pack_array (&packer, 6);
    msgpack_pack_int (&packer, WF_SIGNALR_INVOCATION);
    msgpack_pack_map (&packer, 0);
    msgpack_pack_nil (&packer);
    s_pack_str (&packer, target);
    msgpack_pack_array (&packer, 1);
    int rc = s_pack_json (&packer, argument, 1);
    msgpack_pack_array (&packer, 0);
    if (rc == 0)
        s_append_msgpack_record (out, &body);
    msgpack_sbuffer_destroy (&body);
    return rc;
}

void
wf_signalr_encode_ping (wf_signalr_protocol_t protocol, wf_buf_t *out)
{
    if (protocol == WF_SIGNALR_JSON)
        s_append_str (out, "{\"type\":6}\x1e");
    else
        s_append (out, "\x02\x91\x06", 3); //  always exactly 0x91 0x06, says the spec
}

void
wf_signalr_encode_close (wf_signalr_protocol_t protocol, wf_buf_t *out, const char *error,
                         bool allow_reconnect)
{
    if (protocol == WF_SIGNALR_JSON) {
        json_t *root = json_pack ("{s:i}", "type", WF_SIGNALR_CLOSE);
        if (error)
            json_object_set_new (root, "error", json_string (error));
        if (allow_reconnect)
            json_object_set_new (root, "allowReconnect", json_true ());
        s_append_json_record (out, root);
        return;
    }
    msgpack_sbuffer body;
    msgpack_sbuffer_init (&body);
    msgpack_packer packer;
    msgpack_packer_init (&packer, &body, msgpack_sbuffer_write);
    msgpack_pack_array (&packer, allow_reconnect ? 3 : 2);
    msgpack_pack_int (&packer, WF_SIGNALR_CLOSE);
    if (error)
        s_pack_str (&packer, error);
    else
        msgpack_pack_nil (&packer);
    if (allow_reconnect)
        msgpack_pack_true (&packer);
    s_append_msgpack_record (out, &body);
    msgpack_sbuffer_destroy (&body);
}

//  An Ack (8) or Sequence (9) message: {"type":T,"sequenceId":N} or [T, N].
static void
s_encode_sequenced (wf_signalr_protocol_t protocol, wf_buf_t *out, int type, uint64_t sequence_id)
{
    assert (sequence_id <= INT64_MAX);
    if (protocol == WF_SIGNALR_JSON) {
        char text[64];
        int len = snprintf (text, sizeof text, "{\"type\":%d,\"sequenceId\":%" PRIu64 "}\x1e", type,
                            sequence_id);
        s_append (out, text, (size_t) len);
        return;
    }
    msgpack_sbuffer body;
    msgpack_sbuffer_init (&body);
    msgpack_packer packer;
    msgpack_packer_init (&packer, &body, msgpack_sbuffer_write);
    msgpack_pack_array (&packer, 2);
    msgpack_pack_int (&packer, type);
    msgpack_pack_uint64 (&packer, sequence_id);
    s_append_msgpack_record (out, &body);
    msgpack_sbuffer_destroy (&body);
}

void
wf_signalr_encode_ack (wf_signalr_protocol_t protocol, wf_buf_t *out, uint64_t sequence_id)
{
    s_encode_sequenced (protocol, out, WF_SIGNALR_ACK, sequence_id);
}

void
wf_signalr_encode_sequence (wf_signalr_protocol_t protocol, wf_buf_t *out, uint64_t sequence_id)
{
    s_encode_sequenced (protocol, out, WF_SIGNALR_SEQUENCE, sequence_id);
}

void
wf_signalr_encode_completion_error (wf_signalr_protocol_t protocol, wf_buf_t *out,
                                    const char *invocation_id, const char *error)
{
    if (protocol == WF_SIGNALR_JSON) {
        s_append_json_record (out, json_pack ("{s:i, s:s, s:s}", "type", WF_SIGNALR_COMPLETION,
                                              "invocationId", invocation_id, "error", error));
        return;
    }
    msgpack_sbuffer body;
    msgpack_sbuffer_init (&body);
    msgpack_packer packer;
    msgpack_packer_init (&packer, &body, msgpack_sbuffer_write);
    msgpack_pack_array (&packer, 5);
    msgpack_pack_int (&packer, WF_SIGNALR_COMPLETION);
    msgpack_pack_map (&packer, 0);
    s_pack_str (&packer, invocation_id);
    msgpack_pack_int (&packer, 1); //  result kind: error
    s_pack_str (&packer, error);
    s_append_msgpack_record (out, &body);
    msgpack_sbuffer_destroy (&body);
}

char *
wf_signalr_negotiate_response (int version, const char *connection_id, const char *connection_token,
                               bool stateful)
{
    assert (version == 0 || version == 1);
    json_t *transports = json_pack ("[{s:s, s:[s, s]}]", "transport", "WebSockets",
                                    "transferFormats", "Text", "Binary");
    //  Version 0 clients use connectionId as the id query parameter, so it
    //  carries the token; version 1 clients get both.
    json_t *root = version == 1
                       ? json_pack ("{s:i, s:s, s:s, s:o}", "negotiateVersion", 1, "connectionId",
                                    connection_id, "connectionToken", connection_token,
                                    "availableTransports", transports)
                       : json_pack ("{s:i, s:s, s:o}", "negotiateVersion", 0, "connectionId",
                                    connection_token, "availableTransports", transports);
    assert (root);
    if (stateful)
        json_object_set_new (root, "useStatefulReconnect", json_true ());
    char *text = json_dumps (root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert (text);
    json_decref (root);
    return text;
}

//  The MAC of a token's signed part (id, issued at, flags) for a user.
static void
s_token_mac (const uint8_t key[WF_SIGNALR_KEY_BYTES], const uint8_t signed_part[S_SIGNED_BYTES],
             const char *user_id, uint8_t mac[S_MAC_BYTES])
{
    crypto_generichash_state state;
    crypto_generichash_init (&state, key, WF_SIGNALR_KEY_BYTES, S_MAC_BYTES);
    crypto_generichash_update (&state, signed_part, S_SIGNED_BYTES);
    crypto_generichash_update (&state, (const uint8_t *) user_id, strlen (user_id));
    crypto_generichash_final (&state, mac, S_MAC_BYTES);
}

void
wf_signalr_connection_token_new (const uint8_t key[WF_SIGNALR_KEY_BYTES], const char *user_id,
                                 int64_t now_s, bool stateful,
                                 char connection_id[WF_SIGNALR_CONNECTION_ID_CHARS + 1],
                                 char token[WF_SIGNALR_CONNECTION_TOKEN_CHARS + 1])
{
    assert (now_s >= 0 && now_s <= UINT32_MAX);
    uint8_t raw[S_TOKEN_BYTES];
    randombytes_buf (raw, S_ID_BYTES);
    uint32_t issued = (uint32_t) now_s;
    for (int i = 0; i < S_ISSUED_BYTES; i++)
        raw[S_ID_BYTES + i] = (uint8_t) (issued >> (8 * (S_ISSUED_BYTES - 1 - i)));
    raw[S_ID_BYTES + S_ISSUED_BYTES] = stateful ? S_FLAG_STATEFUL : 0;
    s_token_mac (key, raw, user_id, raw + S_SIGNED_BYTES);
    sodium_bin2base64 (connection_id, WF_SIGNALR_CONNECTION_ID_CHARS + 1, raw, S_ID_BYTES,
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2base64 (token, WF_SIGNALR_CONNECTION_TOKEN_CHARS + 1, raw, S_TOKEN_BYTES,
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
wf_signalr_connection_token_check (const uint8_t key[WF_SIGNALR_KEY_BYTES], const char *user_id,
                                   const char *token,
                                   char connection_id[WF_SIGNALR_CONNECTION_ID_CHARS + 1],
                                   wf_signalr_token_info_t *info)
{
    uint8_t raw[S_TOKEN_BYTES], mac[S_MAC_BYTES];
    size_t len = 0;
    //  Only base64url characters: libsodium 1.0.18 decodes some bytes above 0x7F.
    if (strlen (token) != WF_SIGNALR_CONNECTION_TOKEN_CHARS ||
        strspn (token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            WF_SIGNALR_CONNECTION_TOKEN_CHARS ||
        sodium_base642bin (raw, sizeof raw, token, WF_SIGNALR_CONNECTION_TOKEN_CHARS, NULL, &len,
                           NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != S_TOKEN_BYTES)
        return -1;
    s_token_mac (key, raw, user_id, mac);
    if (sodium_memcmp (mac, raw + S_SIGNED_BYTES, S_MAC_BYTES) != 0)
        return -1;
    sodium_bin2base64 (connection_id, WF_SIGNALR_CONNECTION_ID_CHARS + 1, raw, S_ID_BYTES,
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (info) {
        uint32_t issued = 0;
        for (int i = 0; i < S_ISSUED_BYTES; i++)
            issued = (issued << 8) | raw[S_ID_BYTES + i];
        info->issued_s = issued;
        info->stateful = (raw[S_ID_BYTES + S_ISSUED_BYTES] & S_FLAG_STATEFUL) != 0;
    }
    return 0;
}

int
wf_signalr_query_param (const char *query, const char *name, char *value, size_t size)
{
    assert (size > 0);
    size_t name_len = strlen (name);
    const char *p = query;
    while (p && *p) {
        size_t len = strcspn (p, "&,");
        if (len > name_len && strncmp (p, name, name_len) == 0 && p[name_len] == '=') {
            size_t value_len = len - name_len - 1;
            if (value_len >= size)
                return -1;
            memcpy (value, p + name_len + 1, value_len);
            value[value_len] = 0;
            return (int) value_len;
        }
        p += len;
        if (*p)
            p++;
    }
    return -1;
}
