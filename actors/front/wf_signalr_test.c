/*  wf_signalr_test - the SignalR hub protocol codecs, including hostile input.

    Byte sequences for MessagePack come from the examples of the published
    specification (HubProtocol.md), so the encoders are checked against the
    spec, not against our own decoder.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "wf_signalr.h"

#define RS "\x1e"

//  Parses a handshake given as a C string.
static wf_signalr_result_t
s_handshake (const char *text, size_t *consumed, wf_signalr_protocol_t *protocol)
{
    const char *reason = NULL;
    int version = 0;
    wf_signalr_result_t result = wf_signalr_handshake_parse ((const uint8_t *) text, strlen (text),
                                                             consumed, protocol, &version, &reason);
    if (result == WF_SIGNALR_OK)
        assert_true (version >= 1 && version <= WF_SIGNALR_VERSION_MAX);
    if (result != WF_SIGNALR_OK)
        assert_non_null (reason);
    return result;
}

//  Parses one record of bytes.
static wf_signalr_result_t
s_parse (wf_signalr_protocol_t protocol, const void *data, size_t size, size_t *consumed,
         wf_signalr_message_t *message)
{
    const char *reason = NULL;
    wf_signalr_result_t result =
        wf_signalr_parse (protocol, (const uint8_t *) data, size, consumed, message, &reason);
    if (result != WF_SIGNALR_OK)
        assert_non_null (reason);
    return result;
}

//  Asserts buf holds exactly size bytes equal to expected.
static void
s_expect_bytes (const wf_buf_t *buf, const void *expected, size_t size)
{
    assert_int_equal (buf->size, size);
    assert_memory_equal (buf->data, expected, size);
}

//  Both protocols at both versions are accepted; the rest is consumed later.
static void
test_handshake_accepts_json_and_messagepack (void **state)
{
    size_t consumed = 0;
    wf_signalr_protocol_t protocol = 0;
    const char *one = "{\"protocol\":\"json\",\"version\":1}" RS;
    assert_int_equal (s_handshake (one, &consumed, &protocol), WF_SIGNALR_OK);
    assert_int_equal (protocol, WF_SIGNALR_JSON);
    assert_int_equal (consumed, strlen (one));
    const char *two =
        "{ \"version\": 2, \"protocol\": \"messagepack\", \"x\": [1] }" RS "{\"type\":6}" RS;
    assert_int_equal (s_handshake (two, &consumed, &protocol), WF_SIGNALR_OK);
    assert_int_equal (protocol, WF_SIGNALR_MESSAGEPACK);
    assert_int_equal (consumed, strchr (two, 0x1e) - two + 1);
}

//  Without a separator the handshake waits, up to its bound; then it fails.
static void
test_handshake_waits_then_bounds (void **state)
{
    size_t consumed = 0;
    wf_signalr_protocol_t protocol = 0;
    assert_int_equal (s_handshake ("", &consumed, &protocol), WF_SIGNALR_NEED_MORE);
    assert_int_equal (s_handshake ("{\"protocol\":\"json\",\"vers", &consumed, &protocol),
                      WF_SIGNALR_NEED_MORE);
    char big[WF_SIGNALR_HANDSHAKE_BYTES_MAX + 2];
    memset (big, ' ', sizeof big);
    big[WF_SIGNALR_HANDSHAKE_BYTES_MAX - 1] = 0; //  N - 1 bytes: still waiting
    assert_int_equal (s_handshake (big, &consumed, &protocol), WF_SIGNALR_NEED_MORE);
    big[WF_SIGNALR_HANDSHAKE_BYTES_MAX - 1] = ' '; //  N bytes, no separator: refused
    big[WF_SIGNALR_HANDSHAKE_BYTES_MAX] = 0;
    assert_int_equal (s_handshake (big, &consumed, &protocol), WF_SIGNALR_INVALID);
    //  A separator beyond the bound is not looked for.
    big[WF_SIGNALR_HANDSHAKE_BYTES_MAX] = 0x1e;
    big[WF_SIGNALR_HANDSHAKE_BYTES_MAX + 1] = 0;
    assert_int_equal (s_handshake (big, &consumed, &protocol), WF_SIGNALR_INVALID);
}

//  Hostile or unsupported handshakes are refused with a reason.
static void
test_handshake_refuses_bad_requests (void **state)
{
    const char *bad[] = {
        RS,
        "null" RS,
        "[]" RS,
        "\"json\"" RS,
        "{\"protocol\":\"json\"}" RS,
        "{\"version\":1}" RS,
        "{\"protocol\":\"json\",\"version\":\"1\"}" RS,
        "{\"protocol\":\"json\",\"version\":0}" RS,
        "{\"protocol\":\"json\",\"version\":3}" RS,
        "{\"protocol\":\"json\",\"version\":1.0}" RS,
        "{\"protocol\":\"xml\",\"version\":1}" RS,
        "{\"protocol\":\"JSON\",\"version\":1}" RS,
        "{\"protocol\":\"json\",\"protocol\":\"json\",\"version\":1}" RS,
        "{\"protocol\":\"json\\u0000\",\"version\":1}" RS,
        "{\"protocol\":\"json\",\"version\":1" RS,
        "{\"protocol\":\"json\",\"version\":99999999999999999999999}" RS,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t consumed = 0;
        wf_signalr_protocol_t protocol = 0;
        assert_int_equal (s_handshake (bad[i], &consumed, &protocol), WF_SIGNALR_INVALID);
    }
    //  A NUL byte inside the record.
    const char nul[] = "{\"protocol\":\"js\0on\",\"version\":1}" RS;
    size_t consumed = 0;
    wf_signalr_protocol_t protocol = 0;
    const char *reason = NULL;
    int version = 0;
    assert_int_equal (wf_signalr_handshake_parse ((const uint8_t *) nul, sizeof nul - 1, &consumed,
                                                  &protocol, &version, &reason),
                      WF_SIGNALR_INVALID);
}

//  The version is reported: 2 is what clients with stateful reconnect send.
static void
test_handshake_reports_version (void **state)
{
    const char *reason = NULL;
    size_t consumed = 0;
    wf_signalr_protocol_t protocol = 0;
    int version = 0;
    const char *two = "{\"protocol\":\"json\",\"version\":2}" RS;
    assert_int_equal (wf_signalr_handshake_parse ((const uint8_t *) two, strlen (two), &consumed,
                                                  &protocol, &version, &reason),
                      WF_SIGNALR_OK);
    assert_int_equal (version, 2);
    const char *one = "{\"protocol\":\"messagepack\",\"version\":1}" RS;
    assert_int_equal (wf_signalr_handshake_parse ((const uint8_t *) one, strlen (one), &consumed,
                                                  &protocol, &version, &reason),
                      WF_SIGNALR_OK);
    assert_int_equal (version, 1);
}

//  Ack and Sequence messages carry a sequence id, in both protocols; without
//  one (or with a negative or non-integer one) they are protocol errors.
static void
test_ack_and_sequence_records (void **state)
{
    size_t consumed = 0;
    wf_signalr_message_t m;
    const char *ack = "{\"type\":8,\"sequenceId\":1394}" RS;
    assert_int_equal (s_parse (WF_SIGNALR_JSON, ack, strlen (ack), &consumed, &m), WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_ACK);
    assert_int_equal (m.sequence_id, 1394);
    const char *sequence = "{\"type\":9,\"sequenceId\":0}" RS;
    assert_int_equal (s_parse (WF_SIGNALR_JSON, sequence, strlen (sequence), &consumed, &m),
                      WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_SEQUENCE);
    assert_int_equal (m.sequence_id, 0);
    const char *bad[] = {"{\"type\":8}" RS, "{\"type\":9,\"sequenceId\":-1}" RS,
                         "{\"type\":8,\"sequenceId\":\"3\"}" RS,
                         "{\"type\":9,\"sequenceId\":1.5}" RS};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal (s_parse (WF_SIGNALR_JSON, bad[i], strlen (bad[i]), &consumed, &m),
                          WF_SIGNALR_INVALID);
    //  The spec's MessagePack examples: [8, uint8 36] and [9, uint8 19].
    static const uint8_t pack_ack[] = {4, 0x92, 0x08, 0xcc, 0x24};
    static const uint8_t pack_sequence[] = {4, 0x92, 0x09, 0xcc, 0x13};
    assert_int_equal (s_parse (WF_SIGNALR_MESSAGEPACK, pack_ack, sizeof pack_ack, &consumed, &m),
                      WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_ACK);
    assert_int_equal (m.sequence_id, 36);
    assert_int_equal (
        s_parse (WF_SIGNALR_MESSAGEPACK, pack_sequence, sizeof pack_sequence, &consumed, &m),
        WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_SEQUENCE);
    assert_int_equal (m.sequence_id, 19);
    static const uint8_t pack_missing[] = {2, 0x91, 0x08};
    static const uint8_t pack_negative[] = {3, 0x92, 0x09, 0xff};
    static const uint8_t pack_string[] = {4, 0x92, 0x08, 0xa1, 0x31};
    assert_int_equal (
        s_parse (WF_SIGNALR_MESSAGEPACK, pack_missing, sizeof pack_missing, &consumed, &m),
        WF_SIGNALR_INVALID);
    assert_int_equal (
        s_parse (WF_SIGNALR_MESSAGEPACK, pack_negative, sizeof pack_negative, &consumed, &m),
        WF_SIGNALR_INVALID);
    assert_int_equal (
        s_parse (WF_SIGNALR_MESSAGEPACK, pack_string, sizeof pack_string, &consumed, &m),
        WF_SIGNALR_INVALID);
    //  Which messages stateful reconnect numbers: the five invocation kinds.
    for (int type = 0; type <= 10; type++)
        assert_int_equal (wf_signalr_type_tracked (type), type >= 1 && type <= 5);
}

//  Ack and Sequence encoders: JSON as the spec shows, MessagePack as [T, N].
static void
test_ack_and_sequence_encoders (void **state)
{
    wf_buf_t buf;
    wf_buf_init (&buf);
    wf_signalr_encode_ack (WF_SIGNALR_JSON, &buf, 1394);
    s_expect_bytes (&buf, "{\"type\":8,\"sequenceId\":1394}" RS, 29);
    wf_buf_reset (&buf);
    wf_signalr_encode_sequence (WF_SIGNALR_JSON, &buf, 1234);
    s_expect_bytes (&buf, "{\"type\":9,\"sequenceId\":1234}" RS, 29);
    wf_buf_reset (&buf);
    wf_signalr_encode_ack (WF_SIGNALR_MESSAGEPACK, &buf, 36);
    s_expect_bytes (&buf, "\x03\x92\x08\x24", 4);
    wf_buf_reset (&buf);
    wf_signalr_encode_sequence (WF_SIGNALR_MESSAGEPACK, &buf, 300);
    s_expect_bytes (&buf, "\x05\x92\x09\xcd\x01\x2c", 6);
    //  What we encode, we parse back.
    size_t consumed = 0;
    wf_signalr_message_t m;
    assert_int_equal (s_parse (WF_SIGNALR_MESSAGEPACK, buf.data, buf.size, &consumed, &m),
                      WF_SIGNALR_OK);
    assert_int_equal (m.sequence_id, 300);
    wf_buf_free (&buf);
}

//  JSON records: types, ids and targets are read; records follow each other.
static void
test_json_records (void **state)
{
    const char *stream =
        "{\"type\":6}" RS "{\"type\":1,\"invocationId\":\"42\",\"target\":\"Send\","
        "\"arguments\":[1,\"x\"]}" RS "{\"type\":7,\"error\":\"bye\"}" RS
        "{\"type\":99,\"whatever\":true}" RS "{\"type\":1,\"target\":\"Fire\"";
    const uint8_t *at = (const uint8_t *) stream;
    size_t left = strlen (stream), consumed = 0;
    wf_signalr_message_t m;
    assert_int_equal (s_parse (WF_SIGNALR_JSON, at, left, &consumed, &m), WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_PING);
    at += consumed, left -= consumed;
    assert_int_equal (s_parse (WF_SIGNALR_JSON, at, left, &consumed, &m), WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_INVOCATION);
    assert_string_equal (m.invocation_id, "42");
    assert_string_equal (m.target, "Send");
    at += consumed, left -= consumed;
    assert_int_equal (s_parse (WF_SIGNALR_JSON, at, left, &consumed, &m), WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_CLOSE);
    assert_string_equal (m.error, "bye");
    at += consumed, left -= consumed;
    assert_int_equal (s_parse (WF_SIGNALR_JSON, at, left, &consumed, &m), WF_SIGNALR_OK);
    assert_int_equal (m.type, 99); //  unknown types parse; the hub ignores them
    at += consumed, left -= consumed;
    assert_int_equal (s_parse (WF_SIGNALR_JSON, at, left, &consumed, &m), WF_SIGNALR_NEED_MORE);
    assert_int_equal (s_parse (WF_SIGNALR_JSON, at, 0, &consumed, &m), WF_SIGNALR_NEED_MORE);
}

//  Malformed JSON records are protocol errors.
static void
test_json_records_hostile (void **state)
{
    const char *bad[] = {
        RS,
        "{}" RS,
        "[6]" RS,
        "{\"type\":\"6\"}" RS,
        "{\"type\":6.5}" RS,
        "{\"type\":1}" RS,
        "{\"type\":1,\"target\":7}" RS,
        "{\"type\":1,\"target\":\"\"}" RS,
        "{\"type\":1,\"target\":\"a\",\"invocationId\":5}" RS,
        "{\"type\":6,\"type\":6}" RS,
        "{\"type\":6" RS,
        "{\"type\":6}}" RS,
        "{\"type\":7,\"error\":[1]}" RS,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t consumed = 0;
        wf_signalr_message_t m;
        assert_int_equal (s_parse (WF_SIGNALR_JSON, bad[i], strlen (bad[i]), &consumed, &m),
                          WF_SIGNALR_INVALID);
    }
    //  Ids and targets at their bound pass, one byte over fails.
    char record[512];
    char id[WF_SIGNALR_INVOCATION_ID_BYTES_MAX + 2];
    memset (id, 'i', sizeof id);
    id[WF_SIGNALR_INVOCATION_ID_BYTES_MAX] = 0;
    snprintf (record, sizeof record, "{\"type\":1,\"target\":\"t\",\"invocationId\":\"%s\"}" RS,
              id);
    size_t consumed = 0;
    wf_signalr_message_t m;
    assert_int_equal (s_parse (WF_SIGNALR_JSON, record, strlen (record), &consumed, &m),
                      WF_SIGNALR_OK);
    id[WF_SIGNALR_INVOCATION_ID_BYTES_MAX] = 'i';
    id[WF_SIGNALR_INVOCATION_ID_BYTES_MAX + 1] = 0;
    snprintf (record, sizeof record, "{\"type\":1,\"target\":\"t\",\"invocationId\":\"%s\"}" RS,
              id);
    assert_int_equal (s_parse (WF_SIGNALR_JSON, record, strlen (record), &consumed, &m),
                      WF_SIGNALR_INVALID);
    //  A record longer than the bound without a separator is refused, not awaited.
    size_t size = WF_SIGNALR_RECORD_BYTES_MAX + 1;
    char *big = (char *) malloc (size);
    memset (big, ' ', size);
    assert_int_equal (s_parse (WF_SIGNALR_JSON, big, size - 1, &consumed, &m),
                      WF_SIGNALR_NEED_MORE);
    assert_int_equal (s_parse (WF_SIGNALR_JSON, big, size, &consumed, &m), WF_SIGNALR_INVALID);
    free (big);
}

//  VarInt lengths: the spec's examples, every width, and the limits.
static void
test_varint (void **state)
{
    uint8_t out[WF_SIGNALR_VARINT_BYTES_MAX];
    assert_int_equal (wf_signalr_varint_write (0x35, out), 1);
    assert_int_equal (out[0], 0x35);
    assert_int_equal (wf_signalr_varint_write (0x1480, out), 2);
    assert_int_equal (out[0], 0x80);
    assert_int_equal (out[1], 0x29);
    assert_int_equal (wf_signalr_varint_write (0x7fffffff, out), 5);
    assert_memory_equal (out, "\xff\xff\xff\xff\x07", 5);
    static const uint32_t values[] = {0,       1,       127,       128,       16383,     16384,
                                      2097151, 2097152, 268435455, 268435456, UINT32_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        size_t n = wf_signalr_varint_write (values[i], out), used = 0;
        uint32_t value = 0;
        assert_int_equal (wf_signalr_varint_read (out, n, &value, &used), WF_SIGNALR_OK);
        assert_int_equal (value, values[i]);
        assert_int_equal (used, n);
        if (n > 1)
            assert_int_equal (wf_signalr_varint_read (out, n - 1, &value, &used),
                              WF_SIGNALR_NEED_MORE);
    }
    uint32_t value;
    size_t used;
    //  Six bytes, or five with a value over 32 bits, are refused.
    assert_int_equal (
        wf_signalr_varint_read ((const uint8_t *) "\x80\x80\x80\x80\x80\x01", 6, &value, &used),
        WF_SIGNALR_INVALID);
    assert_int_equal (
        wf_signalr_varint_read ((const uint8_t *) "\xff\xff\xff\xff\x1f", 5, &value, &used),
        WF_SIGNALR_INVALID);
    assert_int_equal (wf_signalr_varint_read ((const uint8_t *) "", 0, &value, &used),
                      WF_SIGNALR_NEED_MORE);
}

//  MessagePack records: the spec's payloads, framed with their lengths.
static void
test_messagepack_records (void **state)
{
    //  Invocation with headers {'x':'y','z':'z'}, id "xyz", target "method", [42], [].
    static const uint8_t invocation[] = {25,   0x96, 0x01, 0x82, 0xa1, 0x78, 0xa1, 0x79, 0xa1,
                                         0x7a, 0xa1, 0x7a, 0xa3, 0x78, 0x79, 0x7a, 0xa6, 0x6d,
                                         0x65, 0x74, 0x68, 0x6f, 0x64, 0x91, 0x2a, 0x90};
    size_t consumed = 0;
    wf_signalr_message_t m;
    assert_int_equal (
        s_parse (WF_SIGNALR_MESSAGEPACK, invocation, sizeof invocation, &consumed, &m),
        WF_SIGNALR_OK);
    assert_int_equal (consumed, sizeof invocation);
    assert_int_equal (m.type, WF_SIGNALR_INVOCATION);
    assert_string_equal (m.invocation_id, "xyz");
    assert_string_equal (m.target, "method");
    //  Every shorter prefix waits for more.
    for (size_t n = 0; n < sizeof invocation; n++)
        assert_int_equal (s_parse (WF_SIGNALR_MESSAGEPACK, invocation, n, &consumed, &m),
                          WF_SIGNALR_NEED_MORE);
    //  Non-blocking invocation (nil id), then a ping, then a close with an error.
    static const uint8_t stream[] = {14,   0x96, 0x01, 0x80, 0xc0, 0xa6, 0x6d, 0x65, 0x74,
                                     0x68, 0x6f, 0x64, 0x91, 0x2a, 0x90, 2,    0x91, 0x06,
                                     6,    0x92, 0x07, 0xa3, 0x78, 0x79, 0x7a};
    const uint8_t *at = stream;
    size_t left = sizeof stream;
    assert_int_equal (s_parse (WF_SIGNALR_MESSAGEPACK, at, left, &consumed, &m), WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_INVOCATION);
    assert_string_equal (m.invocation_id, "");
    at += consumed, left -= consumed;
    assert_int_equal (s_parse (WF_SIGNALR_MESSAGEPACK, at, left, &consumed, &m), WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_PING);
    at += consumed, left -= consumed;
    assert_int_equal (s_parse (WF_SIGNALR_MESSAGEPACK, at, left, &consumed, &m), WF_SIGNALR_OK);
    assert_int_equal (m.type, WF_SIGNALR_CLOSE);
    assert_string_equal (m.error, "xyz");
    assert_int_equal (consumed, left);
}

//  Malformed MessagePack records are protocol errors, never crashes.
static void
test_messagepack_records_hostile (void **state)
{
    static const struct {
        const char *bytes;
        size_t size;
    } bad[] = {
        {"\x00", 1},                                 //  empty record
        {"\x01\xc0", 2},                             //  not an array
        {"\x01\x90", 2},                             //  empty array
        {"\x02\x91\xa1", 3},                         //  type is not an int (truncated str)
        {"\x02\x91\xff", 3},                         //  negative type
        {"\x03\x92\x01\x80", 4},                     //  invocation with too few fields
        {"\x06\x95\x01\x80\xc0\xc0\x90", 7},         //  nil target
        {"\x06\x95\x01\x80\xc0\xa0\x90", 7},         //  empty target
        {"\x07\x95\x01\x81\x01\x02\xc0\xa1", 8},     //  headers with int key
        {"\x06\x95\x01\x90\xc0\xa1\x61", 7},         //  headers not a map
        {"\x08\x95\x01\x80\xa2\xff\xfe\xa1\x61", 9}, //  id not UTF-8
        {"\x05\x95\x01\x80\xc0\xdd", 6},             //  target is an array32 header
        {"\x06\x95\x01\x8f\xc0\xa1\x61", 7},         //  map declares more entries than bytes
        {"\x80\x80\x80\x80\x80\x01", 6},             //  varint over 5 bytes
        {"\x92\x07\x91\x06", 4},                     //  length 914 over what follows... waits
    };
    for (size_t i = 0; i + 1 < sizeof bad / sizeof bad[0]; i++) {
        size_t consumed = 0;
        wf_signalr_message_t m;
        assert_int_equal (
            s_parse (WF_SIGNALR_MESSAGEPACK, bad[i].bytes, bad[i].size, &consumed, &m),
            WF_SIGNALR_INVALID);
    }
    size_t consumed = 0;
    wf_signalr_message_t m;
    const size_t last = sizeof bad / sizeof bad[0] - 1;
    assert_int_equal (
        s_parse (WF_SIGNALR_MESSAGEPACK, bad[last].bytes, bad[last].size, &consumed, &m),
        WF_SIGNALR_NEED_MORE);
    //  A declared length at the bound waits; one over is refused at once.
    uint8_t prefix[WF_SIGNALR_VARINT_BYTES_MAX];
    size_t n = wf_signalr_varint_write (WF_SIGNALR_RECORD_BYTES_MAX, prefix);
    assert_int_equal (s_parse (WF_SIGNALR_MESSAGEPACK, prefix, n, &consumed, &m),
                      WF_SIGNALR_NEED_MORE);
    n = wf_signalr_varint_write (WF_SIGNALR_RECORD_BYTES_MAX + 1, prefix);
    assert_int_equal (s_parse (WF_SIGNALR_MESSAGEPACK, prefix, n, &consumed, &m),
                      WF_SIGNALR_INVALID);
    //  Random bytes never crash and never consume past the input.
    uint8_t noise[64];
    for (int round = 0; round < 20000; round++) {
        randombytes_buf (noise, sizeof noise);
        noise[0] &= 0x3f; //  lengths that fit, so the body is scanned
        size_t size = 1 + (size_t) (round % (int) sizeof noise);
        wf_signalr_result_t result = s_parse (WF_SIGNALR_MESSAGEPACK, noise, size, &consumed, &m);
        if (result == WF_SIGNALR_OK)
            assert_true (consumed <= size);
        result = s_parse (WF_SIGNALR_JSON, noise, size, &consumed, &m);
        if (result == WF_SIGNALR_OK)
            assert_true (consumed <= size);
    }
}

//  Encoders write the records the spec shows.
static void
test_encoders (void **state)
{
    wf_buf_t buf;
    wf_buf_init (&buf);
    wf_signalr_encode_handshake_response (&buf, NULL);
    s_expect_bytes (&buf, "{}" RS, 3);
    wf_buf_reset (&buf);
    wf_signalr_encode_handshake_response (&buf, "no \"such\" protocol");
    s_expect_bytes (&buf, "{\"error\":\"no \\\"such\\\" protocol\"}" RS, 33);
    wf_buf_reset (&buf);
    wf_signalr_encode_ping (WF_SIGNALR_JSON, &buf);
    s_expect_bytes (&buf, "{\"type\":6}" RS, 11);
    wf_buf_reset (&buf);
    wf_signalr_encode_ping (WF_SIGNALR_MESSAGEPACK, &buf);
    s_expect_bytes (&buf, "\x02\x91\x06", 3);
    wf_buf_reset (&buf);
    wf_signalr_encode_close (WF_SIGNALR_JSON, &buf, "expired", true);
    const char *close = "{\"type\":7,\"error\":\"expired\",\"allowReconnect\":true}" RS;
    s_expect_bytes (&buf, close, strlen (close));
    wf_buf_reset (&buf);
    wf_signalr_encode_close (WF_SIGNALR_JSON, &buf, NULL, false);
    s_expect_bytes (&buf, "{\"type\":7}" RS, 11);
    wf_buf_reset (&buf);
    wf_signalr_encode_close (WF_SIGNALR_MESSAGEPACK, &buf, "xyz", false);
    s_expect_bytes (&buf, "\x06\x92\x07\xa3xyz", 7);
    wf_buf_reset (&buf);
    wf_signalr_encode_close (WF_SIGNALR_MESSAGEPACK, &buf, "xyz", true);
    s_expect_bytes (&buf, "\x07\x93\x07\xa3xyz\xc3", 8);
    wf_buf_reset (&buf);
    wf_signalr_encode_completion_error (WF_SIGNALR_MESSAGEPACK, &buf, "xyz", "Error");
    s_expect_bytes (&buf,
                    "\x0e\x95\x03\x80\xa3xyz\x01\xa5"
                    "Error",
                    15);
    wf_buf_reset (&buf);
    wf_signalr_encode_completion_error (WF_SIGNALR_JSON, &buf, "1", "no such method");
    const char *completion = "{\"type\":3,\"invocationId\":\"1\",\"error\":\"no such method\"}" RS;
    s_expect_bytes (&buf, completion, strlen (completion));
    wf_buf_free (&buf);
}

//  Invocations: JSON keeps the argument's text (money keeps its scale);
//  MessagePack is the spec's non-blocking form with a converted argument.
static void
test_invocations (void **state)
{
    wf_buf_t buf;
    wf_buf_init (&buf);
    const char *argument = "{\"amount\":100.50,\"n\":[1,true,null],\"s\":\"\\u00e9\"}";
    wf_signalr_encode_invocation_json (&buf, "BalanceUpdated", argument, strlen (argument));
    const char *expected = "{\"type\":1,\"target\":\"BalanceUpdated\",\"arguments\":[{\"amount\":"
                           "100.50,\"n\":[1,true,null],\"s\":\"\\u00e9\"}]}" RS;
    s_expect_bytes (&buf, expected, strlen (expected));
    //  The record parses back as an invocation of that target.
    size_t consumed = 0;
    wf_signalr_message_t m;
    assert_int_equal (s_parse (WF_SIGNALR_JSON, buf.data, buf.size, &consumed, &m), WF_SIGNALR_OK);
    assert_string_equal (m.target, "BalanceUpdated");
    wf_buf_reset (&buf);

    //  The spec's example: [1, {}, nil, "method", [42], []].
    json_t *answer = json_integer (42);
    assert_int_equal (wf_signalr_encode_invocation_msgpack (&buf, "method", answer), 0);
    json_decref (answer);
    s_expect_bytes (&buf,
                    "\x0e\x96\x01\x80\xc0\xa6"
                    "method\x91\x2a\x90",
                    15);
    wf_buf_reset (&buf);
    json_t *object = json_pack ("{s:f, s:s, s:b, s:n, s:[i]}", "amount", 100.5, "currency", "USD",
                                "ok", 1, "none", "list", -1);
    assert_int_equal (wf_signalr_encode_invocation_msgpack (&buf, "T", object), 0);
    json_decref (object);
    static const uint8_t map[] = {
        0x85, 0xa6, 'a',  'm', 'o', 'u', 'n', 't',  0xcb, 0x40, 0x59, 0x20, 0,   0,    0,    0,
        0,    0xa8, 'c',  'u', 'r', 'r', 'e', 'n',  'c',  'y',  0xa3, 'U',  'S', 'D',  0xa2, 'o',
        'k',  0xc3, 0xa4, 'n', 'o', 'n', 'e', 0xc0, 0xa4, 'l',  'i',  's',  't', 0x91, 0xff};
    assert_int_equal (buf.data[0], 8 + sizeof map); //  [1,{},nil,"T",[map],[]]
    assert_memory_equal (buf.data + 1, "\x96\x01\x80\xc0\xa1T\x91", 7);
    assert_memory_equal (buf.data + 8, map, sizeof map);
    assert_int_equal (buf.data[8 + sizeof map], 0x90);
    assert_int_equal (buf.size, 9 + sizeof map);
    //  Nesting beyond the bound is refused.
    json_t *deep = json_integer (1);
    for (int i = 0; i < WF_JSON_DEPTH_MAX + 1; i++)
        deep = json_pack ("[o]", deep);
    wf_buf_reset (&buf);
    assert_int_equal (wf_signalr_encode_invocation_msgpack (&buf, "T", deep), -1);
    assert_int_equal (buf.size, 0);
    json_decref (deep);
    wf_buf_free (&buf);
}

//  Negotiate answers in the transport spec's shape.
static void
test_negotiate_response (void **state)
{
    char *one = wf_signalr_negotiate_response (1, "cid", "ctoken", false);
    assert_string_equal (one,
                         "{\"negotiateVersion\":1,\"connectionId\":\"cid\",\"connectionToken\":"
                         "\"ctoken\",\"availableTransports\":[{\"transport\":\"WebSockets\","
                         "\"transferFormats\":[\"Text\",\"Binary\"]}]}");
    free (one);
    char *zero = wf_signalr_negotiate_response (0, "cid", "ctoken", false);
    assert_string_equal (zero, "{\"negotiateVersion\":0,\"connectionId\":\"ctoken\","
                               "\"availableTransports\":[{\"transport\":\"WebSockets\","
                               "\"transferFormats\":[\"Text\",\"Binary\"]}]}");
    free (zero);
    char *stateful = wf_signalr_negotiate_response (1, "cid", "ctoken", true);
    assert_non_null (strstr (stateful, "]}],\"useStatefulReconnect\":true}"));
    free (stateful);
}

//  Connection tokens check for their user and key only.
static void
test_connection_tokens (void **state)
{
    uint8_t key[WF_SIGNALR_KEY_BYTES], other[WF_SIGNALR_KEY_BYTES];
    randombytes_buf (key, sizeof key);
    randombytes_buf (other, sizeof other);
    char id[WF_SIGNALR_CONNECTION_ID_CHARS + 1], token[WF_SIGNALR_CONNECTION_TOKEN_CHARS + 1];
    char checked[WF_SIGNALR_CONNECTION_ID_CHARS + 1];
    wf_signalr_token_info_t info = {0};
    wf_signalr_connection_token_new (key, "user-a", 1790000000, true, id, token);
    assert_int_equal (strlen (id), WF_SIGNALR_CONNECTION_ID_CHARS);
    assert_int_equal (strlen (token), WF_SIGNALR_CONNECTION_TOKEN_CHARS);
    assert_int_equal (wf_signalr_connection_token_check (key, "user-a", token, checked, &info), 0);
    assert_string_equal (checked, id);
    assert_int_equal (info.issued_s, 1790000000);
    assert_true (info.stateful);
    assert_int_equal (wf_signalr_connection_token_check (key, "user-b", token, checked, NULL), -1);
    assert_int_equal (wf_signalr_connection_token_check (other, "user-a", token, checked, NULL),
                      -1);
    //  Every byte is signed: the id, the time and the flags alike.
    for (size_t at = 0; at < WF_SIGNALR_CONNECTION_TOKEN_CHARS - 1; at++) {
        char tampered[sizeof token];
        memcpy (tampered, token, sizeof token);
        tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
        assert_int_equal (
            wf_signalr_connection_token_check (key, "user-a", tampered, checked, NULL), -1);
    }
    const char *malformed[] = {"", "short", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        assert_int_equal (
            wf_signalr_connection_token_check (key, "user-a", malformed[i], checked, NULL), -1);
    char second[WF_SIGNALR_CONNECTION_TOKEN_CHARS + 1];
    wf_signalr_connection_token_new (key, "user-a", 0, false, id, second);
    assert_string_not_equal (token, second);
    assert_int_equal (wf_signalr_connection_token_check (key, "user-a", second, checked, &info), 0);
    assert_int_equal (info.issued_s, 0);
    assert_false (info.stateful);
}

//  Query parameters: exact names, both separators, bounds.
static void
test_query_param (void **state)
{
    char value[16];
    assert_int_equal (
        wf_signalr_query_param ("id=abc&access_token=t.k-n_", "access_token", value, sizeof value),
        6);
    assert_string_equal (value, "t.k-n_");
    assert_int_equal (wf_signalr_query_param ("id=abc,access_token=t", "id", value, sizeof value),
                      3);
    assert_string_equal (value, "abc");
    assert_int_equal (wf_signalr_query_param ("xid=1,id=2", "id", value, sizeof value), 1);
    assert_string_equal (value, "2");
    assert_int_equal (wf_signalr_query_param ("id=", "id", value, sizeof value), 0);
    assert_string_equal (value, "");
    assert_int_equal (wf_signalr_query_param ("", "id", value, sizeof value), -1);
    assert_int_equal (wf_signalr_query_param ("idx=1", "id", value, sizeof value), -1);
    assert_int_equal (wf_signalr_query_param ("id", "id", value, sizeof value), -1);
    assert_int_equal (wf_signalr_query_param ("&,&id=7", "id", value, sizeof value), 1);
    assert_int_equal (wf_signalr_query_param ("id=123456789012345", "id", value, sizeof value), 15);
    assert_int_equal (wf_signalr_query_param ("id=1234567890123456", "id", value, sizeof value),
                      -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_handshake_accepts_json_and_messagepack),
        cmocka_unit_test (test_handshake_waits_then_bounds),
        cmocka_unit_test (test_handshake_refuses_bad_requests),
        cmocka_unit_test (test_handshake_reports_version),
        cmocka_unit_test (test_ack_and_sequence_records),
        cmocka_unit_test (test_ack_and_sequence_encoders),
        cmocka_unit_test (test_json_records),
        cmocka_unit_test (test_json_records_hostile),
        cmocka_unit_test (test_varint),
        cmocka_unit_test (test_messagepack_records),
        cmocka_unit_test (test_messagepack_records_hostile),
        cmocka_unit_test (test_encoders),
        cmocka_unit_test (test_invocations),
        cmocka_unit_test (test_negotiate_response),
        cmocka_unit_test (test_connection_tokens),
        cmocka_unit_test (test_query_param),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
