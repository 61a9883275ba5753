/*  wf_signalr_fuzz - libFuzzer target for the SignalR parsers that face clients
    (actors/front/wf_signalr.c).

    The first byte picks the parser; the rest is its input:
      0  wf_signalr_handshake_parse, then every record after it in the
         protocol the handshake chose
      1  every MessagePack record of the bytes, as a connection reads them
      2  every JSON record of the bytes
      3  wf_signalr_query_param and wf_signalr_connection_token_check on the
         bytes as a NUL-terminated string (the negotiate and upgrade query)
      4  VarInt lengths: read the bytes; write -> read of a 32-bit value
      5  connection tokens: new -> check round trip for the bytes as user id
    Properties besides no crash: a record parsed is never longer than the
    bytes, and each strict prefix of it is NEED_MORE (a frame split anywhere
    waits for the rest); Ack, Sequence and Close messages survive
    parse -> encode -> parse with the same sequence id / error; a query value
    is NUL-terminated and as long as reported; a VarInt and a connection
    token round-trip, a token never checks for another user, and only its
    base64url spelling checks.
    Built only with -DWF_FUZZ=ON (clang).
*/
#include "../common/wf_fuzz.h"
#include "wf_signalr.h"

//  Parses message back from the encoder's output and checks it equals.
static void
s_reencode (wf_signalr_protocol_t protocol, const wf_signalr_message_t *message)
{
    wf_buf_t out;
    wf_buf_init (&out);
    if (message->type == WF_SIGNALR_ACK)
        wf_signalr_encode_ack (protocol, &out, (uint64_t) message->sequence_id);
    else if (message->type == WF_SIGNALR_SEQUENCE)
        wf_signalr_encode_sequence (protocol, &out, (uint64_t) message->sequence_id);
    else if (message->type == WF_SIGNALR_CLOSE)
        wf_signalr_encode_close (protocol, &out, message->error[0] ? message->error : NULL, false);
    else {
        wf_buf_free (&out);
        return;
    }
    size_t consumed = 0;
    wf_signalr_message_t again;
    const char *reason = NULL;
    WF_FUZZ_CHECK (wf_signalr_parse (protocol, out.data, out.size, &consumed, &again, &reason) ==
                   WF_SIGNALR_OK);
    WF_FUZZ_CHECK (consumed == out.size && again.type == message->type);
    if (message->type == WF_SIGNALR_CLOSE)
        WF_FUZZ_CHECK (strcmp (again.error, message->error) == 0);
    else
        WF_FUZZ_CHECK (again.sequence_id == message->sequence_id);
    wf_buf_free (&out);
}

//  Parses records of one protocol until the bytes end or one is invalid.
static void
s_records (wf_signalr_protocol_t protocol, const uint8_t *data, size_t size)
{
    size_t at = 0;
    while (at < size) {
        size_t consumed = 0;
        wf_signalr_message_t message;
        const char *reason = NULL;
        wf_signalr_result_t result =
            wf_signalr_parse (protocol, data + at, size - at, &consumed, &message, &reason);
        if (result != WF_SIGNALR_OK)
            return;
        WF_FUZZ_CHECK (consumed > 0 && consumed <= size - at);
        WF_FUZZ_CHECK (strlen (message.target) <= WF_SIGNALR_TARGET_BYTES_MAX);
        WF_FUZZ_CHECK (message.sequence_id >= 0);
        //  A record cut short waits for its end (checked at a few cut points).
        size_t cuts[3] = {0, consumed / 2, consumed - 1};
        for (int c = 0; c < 3; c++) {
            size_t partial = 0;
            wf_signalr_message_t part;
            WF_FUZZ_CHECK (wf_signalr_parse (protocol, data + at, cuts[c], &partial, &part,
                                             &reason) == WF_SIGNALR_NEED_MORE);
        }
        s_reencode (protocol, &message);
        at += consumed;
    }
}

//  VarInt: reading never overruns; writing then reading gives the value back.
static void
s_varint (const uint8_t *data, size_t size)
{
    uint32_t value = 0;
    size_t used = 0;
    if (wf_signalr_varint_read (data, size, &value, &used) == WF_SIGNALR_OK)
        WF_FUZZ_CHECK (used >= 1 && used <= size && used <= WF_SIGNALR_VARINT_BYTES_MAX);
    if (size >= 4) {
        uint32_t original =
            (uint32_t) data[0] << 24 | (uint32_t) data[1] << 16 | (uint32_t) data[2] << 8 | data[3];
        uint8_t out[WF_SIGNALR_VARINT_BYTES_MAX];
        size_t written = wf_signalr_varint_write (original, out);
        WF_FUZZ_CHECK (written >= 1 && written <= WF_SIGNALR_VARINT_BYTES_MAX);
        WF_FUZZ_CHECK (wf_signalr_varint_read (out, written, &value, &used) == WF_SIGNALR_OK);
        WF_FUZZ_CHECK (value == original && used == written);
    }
}

//  Connection tokens: new -> check for the same user, never for another.
static void
s_token (const uint8_t *data, size_t size)
{
    static const uint8_t key[WF_SIGNALR_KEY_BYTES] = {7, 1, 2, 3};
    if (size < 1 || size > 128)
        return;
    bool stateful = data[0] & 1;
    char *user = wf_fuzz_strdup ((wf_fuzz_field_t){(const char *) data + 1, size - 1});
    char id[WF_SIGNALR_CONNECTION_ID_CHARS + 1], token[WF_SIGNALR_CONNECTION_TOKEN_CHARS + 1];
    char id_again[WF_SIGNALR_CONNECTION_ID_CHARS + 1];
    wf_signalr_connection_token_new (key, user, 1700000000, stateful, id, token);
    WF_FUZZ_CHECK (strlen (token) == WF_SIGNALR_CONNECTION_TOKEN_CHARS);
    wf_signalr_token_info_t info;
    WF_FUZZ_CHECK (wf_signalr_connection_token_check (key, user, token, id_again, &info) == 0);
    WF_FUZZ_CHECK (strcmp (id, id_again) == 0);
    WF_FUZZ_CHECK (info.stateful == stateful && info.issued_s == 1700000000);
    char *other = (char *) malloc (strlen (user) + 2);
    sprintf (other, "%sx", user);
    WF_FUZZ_CHECK (wf_signalr_connection_token_check (key, other, token, id_again, NULL) == -1);
    free (other);
    free (user);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *input = data + 1;
    size_t len = size - 1;
    switch (data[0] % 6) {
        case 0: {
            size_t consumed = 0;
            wf_signalr_protocol_t protocol;
            int version = 0;
            const char *reason = NULL;
            if (wf_signalr_handshake_parse (input, len, &consumed, &protocol, &version, &reason) ==
                WF_SIGNALR_OK) {
                WF_FUZZ_CHECK (consumed <= len && version >= 1 &&
                               version <= WF_SIGNALR_VERSION_MAX);
                WF_FUZZ_CHECK (protocol == WF_SIGNALR_JSON || protocol == WF_SIGNALR_MESSAGEPACK);
                s_records (protocol, input + consumed, len - consumed);
            }
            break;
        }
        case 1:
            s_records (WF_SIGNALR_MESSAGEPACK, input, len);
            break;
        case 2:
            s_records (WF_SIGNALR_JSON, input, len);
            break;
        case 4:
            s_varint (input, len);
            break;
        case 5:
            s_token (input, len);
            break;
        default: {
            char *text = (char *) malloc (len + 1);
            memcpy (text, input, len);
            text[len] = 0;
            char value[WF_SIGNALR_QUERY_VALUE_BYTES_MAX];
            static const char *names[] = {"id", "access_token", "negotiateVersion",
                                          "useStatefulReconnect"};
            for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
                int got = wf_signalr_query_param (text, names[n], value, sizeof value);
                WF_FUZZ_CHECK (got >= -1 && got < (int) sizeof value);
                if (got >= 0)
                    WF_FUZZ_CHECK (strlen (value) == (size_t) got);
            }
            char small[8];
            int got = wf_signalr_query_param (text, "id", small, sizeof small);
            WF_FUZZ_CHECK (got >= -1 && got < (int) sizeof small);
            static const uint8_t key[WF_SIGNALR_KEY_BYTES] = {1};
            char connection_id[WF_SIGNALR_CONNECTION_ID_CHARS + 1];
            wf_signalr_token_info_t info;
            if (wf_signalr_connection_token_check (key, "user", text, connection_id, &info) == 0)
                WF_FUZZ_CHECK (strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789-_") == strlen (text));
            free (text);
            break;
        }
    }
    return 0;
}
