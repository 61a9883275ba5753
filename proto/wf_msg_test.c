/*  wf_msg_test - unit tests of the wire-format codec (cmocka).

    Round trips of the envelope and of every message in wf_msgs.def, then the
    negative space: truncations, bit flips, wrong types, missing and duplicate
    fields, every limit at N and N+1, invalid UTF-8, hostile container headers,
    trailing bytes, wrong versions and unknown types. Tests that walk "every
    field" read the field list from wf_msgs.def themselves, so a new message is
    covered without touching this file. Hostile inputs are decoded from heap
    copies of exactly their size, so ASan catches any read past the end.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "wf_msg.h"
#include "wf_msgpack_scan.h"

//  Every field of every message, from wf_msgs.def: a row with a NULL name
//  opens a message, the field rows after it belong to that message.
typedef struct {
    wf_msg_id_t id;
    const char *name;
    char kind; //  s str, b bin, i i64, u u64, o bool, l list
    uint32_t max;
    bool required;
} t_row_t;

static const t_row_t s_rows[] = {
#define WF_MSG_BEGIN(ID, c_name, wire)   {WF_MSG_##ID, NULL, 0, 0, false},
#define WF_FIELD_STR(n, max, req)        {WF_MSG_NONE, #n, 's', max, req},
#define WF_FIELD_BIN(n, max, req)        {WF_MSG_NONE, #n, 'b', max, req},
#define WF_FIELD_I64(n, req)             {WF_MSG_NONE, #n, 'i', 0, req},
#define WF_FIELD_U64(n, req)             {WF_MSG_NONE, #n, 'u', 0, req},
#define WF_FIELD_BOOL(n, req)            {WF_MSG_NONE, #n, 'o', 0, req},
#define WF_FIELD_LIST(n, elem, max, req) {WF_MSG_NONE, #n, 'l', max, req},
#define WF_MSG_END(ID, c_name)
#include "wf_msgs.def"
};
#define S_ROWS (sizeof (s_rows) / sizeof (s_rows[0]))

//  The field rows of one message and how many there are.
static const t_row_t *
s_fields_of (wf_msg_id_t id, size_t *count)
{
    for (size_t i = 0; i < S_ROWS; i++)
        if (!s_rows[i].name && s_rows[i].id == id) {
            size_t n = 0;
            while (i + 1 + n < S_ROWS && s_rows[i + 1 + n].name)
                n++;
            *count = n;
            return &s_rows[i + 1];
        }
    fail_msg ("message %d not in the row table", id);
    return NULL;
}

//  A msgpack output for building test input.
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} t_out_t;

static void
s_out_init (t_out_t *out)
{
    msgpack_sbuffer_init (&out->sb);
    msgpack_packer_init (&out->pk, &out->sb, msgpack_sbuffer_write);
}

static void
s_out_raw (t_out_t *out, const char *bytes, size_t len)
{
    if (len > 0) //  an empty sbuffer has no memory to append zero bytes to
        msgpack_sbuffer_write (&out->sb, bytes, len);
}

//  Packs a str of `len` bytes of `fill`.
static void
s_pack_fill (msgpack_packer *pk, char kind, size_t len, char fill)
{
    char *text = malloc (len + 1);
    memset (text, fill, len);
    if (kind == 'b')
        msgpack_pack_bin_with_body (pk, text, len);
    else
        msgpack_pack_str_with_body (pk, text, len);
    free (text);
}

static void
s_pack_cstr (msgpack_packer *pk, const char *text)
{
    msgpack_pack_str_with_body (pk, text, strlen (text));
}

//  Packs a valid value for a field row.
static void
s_pack_valid (msgpack_packer *pk, const t_row_t *row)
{
    switch (row->kind) {
        case 's':
            s_pack_cstr (pk, "ok");
            break;
        case 'b':
            msgpack_pack_bin_with_body (pk, "\x00\xff", 2);
            break;
        case 'i':
            msgpack_pack_int64 (pk, -7);
            break;
        case 'u':
            msgpack_pack_uint64 (pk, 7);
            break;
        case 'o':
            msgpack_pack_true (pk);
            break;
        default:
            msgpack_pack_array (pk, 0);
    }
}

//  Values of every msgpack kind; `valid_for` lists the field kinds that accept it.
typedef struct {
    const char *valid_for;
    const char *bytes;
    size_t len;
} t_value_t;

static const t_value_t s_values[] = {
    {"", "\xc0", 1},         {"o", "\xc3", 1},        {"o", "\xc2", 1},
    {"iu", "\x01", 1},       {"i", "\xff", 1},        {"i", "\xd3\x80\0\0\0\0\0\0\0", 9},
    {"", "\xca\0\0\0\0", 5}, {"s", "\xa1x", 2},       {"b", "\xc4\x01x", 3},
    {"l", "\x90", 1},        {"", "\x80", 1},         {"", "\xd4\x01\x00", 3},
    {"", "\x91\x01", 2},     {"", "\xc7\x00\x05", 3}, {"i", "\xd0\x80", 2},
};
#define S_VALUES (sizeof (s_values) / sizeof (s_values[0]))

//  A byte string literal and its length (it may hold NULs).
#define S_RAW(literal) literal, sizeof (literal) - 1

typedef enum { T_VALID, T_OMIT, T_DUP, T_VALUE, T_LEN } t_mode_t;

//  Packs a body of message `id` with every field valid, except the one named
//  `target`: omitted, doubled, given s_values[arg], or given `arg` bytes of text.
static void
s_pack_body (msgpack_packer *pk, wf_msg_id_t id, const char *target, t_mode_t mode, size_t arg)
{
    size_t count;
    const t_row_t *rows = s_fields_of (id, &count);
    msgpack_pack_map (pk, count + (mode == T_DUP) - (mode == T_OMIT));
    for (size_t i = 0; i < count; i++) {
        bool hit = target && strcmp (rows[i].name, target) == 0;
        if (hit && mode == T_OMIT)
            continue;
        s_pack_cstr (pk, rows[i].name);
        if (hit && mode == T_VALUE)
            pk->callback (pk->data, s_values[arg].bytes, s_values[arg].len);
        else if (hit && mode == T_LEN)
            s_pack_fill (pk, rows[i].kind, arg, 'a');
        else
            s_pack_valid (pk, &rows[i]);
        if (hit && mode == T_DUP) {
            s_pack_cstr (pk, rows[i].name);
            s_pack_valid (pk, &rows[i]);
        }
    }
}

//  Decodes from a heap copy of exactly `size` bytes, so ASan sees overreads.
//  The copy is freed: only the result and err may be inspected afterwards.
static int
s_decode_copy (wf_msg_id_t id, const void *data, size_t size, wf_codec_err_t *err)
{
    uint8_t *copy = size ? malloc (size) : NULL;
    if (size)
        memcpy (copy, data, size);
    wf_any_msg_t msg;
    wf_envelope_t env;
    int rc = id == WF_MSG_NONE ? wf_envelope_decode (copy, size, &env, err)
                               : wf_body_decode (id, copy, size, &msg, err);
    if (rc)
        assert_non_null (err->detail);
    free (copy);
    return rc;
}

//  Asserts that a body built by s_pack_body fails, blaming `field` with `detail`.
static void
s_expect_fail (wf_msg_id_t id, t_out_t *out, const char *field, const char *detail)
{
    wf_codec_err_t err;
    assert_int_equal (s_decode_copy (id, out->sb.data, out->sb.size, &err), -1);
    if (field)
        assert_string_equal (err.field ? err.field : "(null)", field);
    else
        assert_null (err.field);
    if (detail)
        assert_string_equal (err.detail, detail);
}

//  Encodes, decodes and compares a body; also checks every `present` bit is set.
static void
s_round_trip (wf_msg_id_t id, const void *msg)
{
    wf_buf_t buf;
    wf_buf_init (&buf);
    assert_int_equal (wf_body_encode (id, msg, &buf), 0);
    wf_any_msg_t back;
    wf_codec_err_t err = {0};
    int rc = wf_body_decode (id, buf.data, buf.size, &back, &err);
    if (rc)
        fail_msg ("%s: %s", err.detail, err.field ? err.field : "-");
    assert_true (wf_body_equal (id, msg, &back));
    size_t count;
    s_fields_of (id, &count);
    uint64_t present;
    memcpy (&present, &back, sizeof (present));
    assert_int_equal (present, (UINT64_C (1) << count) - 1);
    wf_buf_free (&buf);
}

//  Fills a static buffer with `len` bytes of a two-byte UTF-8 letter (plus one
//  ASCII byte when len is odd), so maximal strings are multi-byte text.
static wf_str_t
s_text (char *store, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        memcpy (store + i, "\xc3\xa9", 2);
    if (len % 2)
        store[len - 1] = 'z';
    return (wf_str_t){store, len};
}

static void
test_str_and_table (void **state)
{
    assert_true (wf_str_eq (WF_STR ("abc"), "abc"));
    assert_false (wf_str_eq (WF_STR ("abc"), "abd"));
    assert_false (wf_str_eq (WF_STR ("abc"), "ab"));
    assert_true (wf_str_eq (wf_str_c (NULL), ""));
    assert_int_equal (wf_str_c ("hello").len, 5);
    for (int id = WF_MSG_NONE + 1; id < WF_MSG_COUNT; id++) {
        const char *name = wf_msg_name (id);
        assert_string_not_equal (name, "?");
        assert_int_equal (wf_msg_lookup (name, strlen (name)), id);
        assert_int_equal (wf_msg_lookup (name, strlen (name) - 1), WF_MSG_NONE);
        assert_true (wf_msg_struct_size (id) > sizeof (uint64_t));
    }
    assert_string_equal (wf_msg_name (WF_MSG_NONE), "?");
    assert_string_equal (wf_msg_name (WF_MSG_COUNT), "?");
    assert_string_equal (wf_msg_name (WF_MSG_SYSTEM_INFO), "system.info");
    assert_int_equal (wf_msg_lookup ("error", 5), WF_MSG_ERROR);
    assert_int_equal (wf_msg_lookup (NULL, 0), WF_MSG_NONE);
    assert_int_equal (wf_msg_struct_size (WF_MSG_ERROR), sizeof (wf_error_t));
    assert_int_equal (wf_msg_struct_size (WF_MSG_NONE), 0);
    int64_t now_ms = (int64_t) time (NULL) * 1000;
    assert_true (llabs (wf_clock_ms () - now_ms) < 2000);
}

//  A full error message with `count` list elements, maximal strings, int64 min.
static void
s_make_error (wf_error_t *msg, uint32_t count, int64_t code)
{
    static char detail[512], field[64], text[256];
    memset (msg, 0, sizeof (*msg));
    msg->code = code;
    msg->detail = s_text (detail, sizeof (detail));
    msg->errors_count = count;
    for (uint32_t i = 0; i < count; i++) {
        msg->errors[i].field = s_text (field, sizeof (field) - 2 * i);
        msg->errors[i].message = s_text (text, sizeof (text) - 2 * i);
    }
}

static void
test_body_round_trips (void **state)
{
    wf_any_msg_t msg;
    uint32_t counts[] = {0, 1, 16};
    for (size_t i = 0; i < 3; i++) {
        s_make_error (&msg.error, counts[i], i == 1 ? INT64_MAX : INT64_MIN);
        s_round_trip (WF_MSG_ERROR, &msg);
    }
    s_round_trip (WF_MSG_FIELD_ERROR, &msg.error.errors[0]);
    static char probe[64], server[64], worker[128];
    memset (&msg, 0, sizeof (msg));
    s_round_trip (WF_MSG_SYSTEM_INFO, &msg);
    msg.system_info.probe = s_text (probe, sizeof (probe));
    s_round_trip (WF_MSG_SYSTEM_INFO, &msg);
    memset (&msg, 0, sizeof (msg));
    msg.system_info_reply = (wf_system_info_reply_t){.schema_version = INT64_MAX,
                                                     .server_version = s_text (server, 64),
                                                     .worker = s_text (worker, 128),
                                                     .probe = WF_STR ("p")};
    s_round_trip (WF_MSG_SYSTEM_INFO_REPLY, &msg);
    msg.system_info_reply.schema_version = 0;
    s_round_trip (WF_MSG_SYSTEM_INFO_REPLY, &msg);

    //  Values land where they belong, as slices into the frame.
    wf_buf_t buf;
    wf_buf_init (&buf);
    s_make_error (&msg.error, 2, -5);
    assert_int_equal (wf_body_encode (WF_MSG_ERROR, &msg, &buf), 0);
    wf_error_t back;
    wf_codec_err_t err;
    assert_int_equal (wf_body_decode (WF_MSG_ERROR, buf.data, buf.size, &back, &err), 0);
    assert_int_equal (back.code, -5);
    assert_int_equal (back.errors_count, 2);
    assert_int_equal (back.errors[1].field.len, 62);
    assert_memory_equal (back.errors[1].message.ptr, msg.error.errors[1].message.ptr, 252);
    assert_true ((const uint8_t *) back.detail.ptr > buf.data &&
                 (const uint8_t *) back.detail.ptr < buf.data + buf.size);
    //  wf_body_equal notices each kind of difference.
    back.errors[1].message.len--;
    assert_false (wf_body_equal (WF_MSG_ERROR, &msg, &back));
    back.errors[1].message.len++;
    back.errors_count = 1;
    assert_false (wf_body_equal (WF_MSG_ERROR, &msg, &back));
    back.errors_count = 2;
    back.code = 5;
    assert_false (wf_body_equal (WF_MSG_ERROR, &msg, &back));
    back.code = -5;
    assert_true (wf_body_equal (WF_MSG_ERROR, &msg, &back));
    wf_buf_free (&buf);
}

//  A valid envelope with maximal strings.
static wf_envelope_t
s_make_envelope (wf_msg_id_t type)
{
    static char reply_to[WF_REPLY_TO_BYTES_MAX], request_id[WF_REQUEST_ID_BYTES_MAX];
    static char traceparent[WF_TRACEPARENT_BYTES_MAX];
    return (wf_envelope_t){WF_PROTO_VERSION,
                           type,
                           UINT64_MAX,
                           s_text (reply_to, sizeof (reply_to)),
                           INT64_MIN,
                           s_text (request_id, sizeof (request_id)),
                           s_text (traceparent, sizeof (traceparent))};
}

static void
test_envelope_round_trips (void **state)
{
    wf_buf_t buf;
    wf_buf_init (&buf);
    for (int id = WF_MSG_NONE + 1; id < WF_MSG_COUNT; id++) {
        wf_envelope_t envs[2] = {
            s_make_envelope (id),
            {.version = WF_PROTO_VERSION, .type = id, .deadline_ms = INT64_MAX}};
        for (int i = 0; i < 2; i++) {
            wf_buf_reset (&buf);
            assert_int_equal (wf_envelope_encode (&envs[i], &buf), 0);
            assert_true (buf.size <= WF_ENVELOPE_BYTES_MAX);
            wf_envelope_t back;
            wf_codec_err_t err;
            assert_int_equal (wf_envelope_decode (buf.data, buf.size, &back, &err), 0);
            assert_true (wf_envelope_equal (&envs[i], &back));
            assert_int_equal (back.type, id);
        }
    }
    wf_envelope_t a = s_make_envelope (WF_MSG_ERROR), b = a;
    b.deadline_ms++;
    assert_false (wf_envelope_equal (&a, &b));
    wf_buf_free (&buf);
}

//  Every proper prefix of a valid frame must fail cleanly; every single bit
//  flip must either fail cleanly or decode to something that round-trips.
static void
s_check_hostile_edits (wf_msg_id_t id, const uint8_t *frame, size_t size, size_t *accepted,
                       size_t *rejected)
{
    wf_codec_err_t err;
    for (size_t len = 0; len < size; len++)
        assert_int_equal (s_decode_copy (id, frame, len, &err), -1);
    uint8_t *copy = malloc (size);
    for (size_t bit = 0; bit < size * 8; bit++) {
        memcpy (copy, frame, size);
        copy[bit / 8] ^= (uint8_t) (1u << (bit % 8));
        if (s_decode_copy (id, copy, size, &err)) {
            ++*rejected;
            continue;
        }
        ++*accepted;
        wf_any_msg_t msg, again;
        wf_envelope_t env, env_again;
        wf_buf_t buf;
        wf_buf_init (&buf);
        if (id == WF_MSG_NONE) {
            assert_int_equal (wf_envelope_decode (copy, size, &env, &err), 0);
            assert_int_equal (wf_envelope_encode (&env, &buf), 0);
            assert_int_equal (wf_envelope_decode (buf.data, buf.size, &env_again, &err), 0);
            assert_true (wf_envelope_equal (&env, &env_again));
        } else {
            assert_int_equal (wf_body_decode (id, copy, size, &msg, &err), 0);
            assert_int_equal (wf_body_encode (id, &msg, &buf), 0);
            assert_int_equal (wf_body_decode (id, buf.data, buf.size, &again, &err), 0);
            assert_true (wf_body_equal (id, &msg, &again));
        }
        wf_buf_free (&buf);
    }
    free (copy);
}

static void
test_truncations_and_bit_flips (void **state)
{
    size_t accepted = 0, rejected = 0;
    wf_buf_t buf;
    wf_buf_init (&buf);
    wf_envelope_t env = s_make_envelope (WF_MSG_SYSTEM_INFO_REPLY);
    assert_int_equal (wf_envelope_encode (&env, &buf), 0);
    s_check_hostile_edits (WF_MSG_NONE, buf.data, buf.size, &accepted, &rejected);
    wf_any_msg_t msg;
    s_make_error (&msg.error, 3, INT64_MIN);
    msg.error.detail.len = 40;
    for (int i = 0; i < 3; i++)
        msg.error.errors[i].message.len = 10;
    wf_buf_reset (&buf);
    assert_int_equal (wf_body_encode (WF_MSG_ERROR, &msg, &buf), 0);
    s_check_hostile_edits (WF_MSG_ERROR, buf.data, buf.size, &accepted, &rejected);
    memset (&msg, 0, sizeof (msg));
    msg.system_info_reply = (wf_system_info_reply_t){
        .schema_version = -1, .server_version = WF_STR ("15.4"), .worker = WF_STR ("w:1")};
    wf_buf_reset (&buf);
    assert_int_equal (wf_body_encode (WF_MSG_SYSTEM_INFO_REPLY, &msg, &buf), 0);
    s_check_hostile_edits (WF_MSG_SYSTEM_INFO_REPLY, buf.data, buf.size, &accepted, &rejected);
    //  Both outcomes happen, so both branches above were exercised.
    assert_true (accepted > 100 && rejected > 100);
    wf_buf_free (&buf);
}

//  Runs `check` on every field row of every message.
static void
s_each_field (void (*check) (wf_msg_id_t id, const t_row_t *row, size_t *cases), size_t cases_min)
{
    size_t cases = 0;
    for (int id = WF_MSG_NONE + 1; id < WF_MSG_COUNT; id++) {
        size_t count;
        const t_row_t *rows = s_fields_of (id, &count);
        for (size_t i = 0; i < count; i++)
            check (id, &rows[i], &cases);
    }
    assert_true (cases >= cases_min);
}

//  Wrong types, missing and duplicate fields, and lengths at N and N+1 for one field.
static void
s_check_field (wf_msg_id_t id, const t_row_t *row, size_t *cases)
{
    t_out_t out;
    for (size_t v = 0; v < S_VALUES; v++) {
        s_out_init (&out);
        s_pack_body (&out.pk, id, row->name, T_VALUE, v);
        if (strchr (s_values[v].valid_for, row->kind)) {
            wf_codec_err_t err;
            assert_int_equal (s_decode_copy (id, out.sb.data, out.sb.size, &err), 0);
        } else {
            s_expect_fail (id, &out, row->name, NULL);
            ++*cases;
        }
        msgpack_sbuffer_destroy (&out.sb);
    }
    s_out_init (&out);
    s_pack_body (&out.pk, id, row->name, T_DUP, 0);
    s_expect_fail (id, &out, row->name, "duplicate field");
    msgpack_sbuffer_destroy (&out.sb);

    s_out_init (&out);
    s_pack_body (&out.pk, id, row->name, T_OMIT, 0);
    wf_any_msg_t msg;
    wf_codec_err_t err;
    int rc = wf_body_decode (id, (uint8_t *) out.sb.data, out.sb.size, &msg, &err);
    if (row->required) {
        assert_int_equal (rc, -1);
        assert_string_equal (err.detail, "required field missing");
        assert_string_equal (err.field, row->name);
        static const wf_any_msg_t zero;
        assert_memory_equal (&msg, &zero, wf_msg_struct_size (id));
    } else
        assert_int_equal (rc, 0);
    msgpack_sbuffer_destroy (&out.sb);
    ++*cases;
    if (row->kind != 's' && row->kind != 'b')
        return;
    for (size_t len = row->max; len <= row->max + 1; len++) {
        s_out_init (&out);
        s_pack_body (&out.pk, id, row->name, T_LEN, len);
        if (len == row->max)
            assert_int_equal (s_decode_copy (id, out.sb.data, out.sb.size, &err), 0);
        else
            s_expect_fail (id, &out, row->name,
                           row->kind == 's' ? "string too long" : "binary too long");
        msgpack_sbuffer_destroy (&out.sb);
    }
}

static void
test_every_field (void **state)
{
    s_each_field (s_check_field, 60);
    //  A valid body of each message decodes: the negative cases above differ
    //  from it in the one field under test.
    for (int id = WF_MSG_NONE + 1; id < WF_MSG_COUNT; id++) {
        t_out_t out;
        s_out_init (&out);
        s_pack_body (&out.pk, id, NULL, T_VALID, 0);
        wf_codec_err_t err;
        assert_int_equal (s_decode_copy (id, out.sb.data, out.sb.size, &err), 0);
        msgpack_sbuffer_destroy (&out.sb);
    }
}

//  Packs an error body whose list holds `count` elements; element `bad` (if
//  < count) has its field `target` treated by `mode`/`arg`.
static void
s_pack_error_list (t_out_t *out, size_t count, size_t bad, const char *target, t_mode_t mode,
                   size_t arg)
{
    msgpack_pack_map (&out->pk, 2);
    s_pack_cstr (&out->pk, "code");
    msgpack_pack_int (&out->pk, 1);
    s_pack_cstr (&out->pk, "errors");
    msgpack_pack_array (&out->pk, count);
    for (size_t i = 0; i < count; i++)
        s_pack_body (&out->pk, WF_MSG_FIELD_ERROR, i == bad ? target : NULL,
                     i == bad ? mode : T_VALID, arg);
}

static void
test_list_limits_and_elements (void **state)
{
    t_out_t out;
    wf_any_msg_t msg;
    wf_codec_err_t err;
    for (size_t count = 0; count <= 17; count += 1) {
        s_out_init (&out);
        s_pack_error_list (&out, count, SIZE_MAX, NULL, T_VALID, 0);
        int rc = wf_body_decode (WF_MSG_ERROR, (uint8_t *) out.sb.data, out.sb.size, &msg, &err);
        if (count <= 16) {
            assert_int_equal (rc, 0);
            assert_int_equal (msg.error.errors_count, count);
        } else
            s_expect_fail (WF_MSG_ERROR, &out, "errors", "list too long");
        msgpack_sbuffer_destroy (&out.sb);
    }
    //  Faults inside the second of three elements name the inner field.
    const char *inner[] = {"field", "message"};
    for (size_t f = 0; f < 2; f++) {
        s_out_init (&out);
        s_pack_error_list (&out, 3, 1, inner[f], T_OMIT, 0);
        s_expect_fail (WF_MSG_ERROR, &out, inner[f], "required field missing");
        msgpack_sbuffer_destroy (&out.sb);
        s_out_init (&out);
        s_pack_error_list (&out, 3, 1, inner[f], T_VALUE, 0);
        s_expect_fail (WF_MSG_ERROR, &out, inner[f], "wrong type");
        msgpack_sbuffer_destroy (&out.sb);
    }
    //  An element that is not a map is charged to the list.
    s_out_init (&out);
    msgpack_pack_map (&out.pk, 2);
    s_pack_cstr (&out.pk, "code");
    msgpack_pack_int (&out.pk, 1);
    s_pack_cstr (&out.pk, "errors");
    s_out_raw (&out, S_RAW ("\x91\x01"));
    s_expect_fail (WF_MSG_ERROR, &out, "errors", "wrong type");
    msgpack_sbuffer_destroy (&out.sb);
}

//  Packs an envelope from raw parts; `version` is packed as a uint64.
static void
s_pack_envelope (t_out_t *out, uint64_t version, const char *type, size_t reply_to_len,
                 size_t request_id_len, size_t traceparent_len)
{
    msgpack_pack_array (&out->pk, 7);
    msgpack_pack_uint64 (&out->pk, version);
    s_pack_cstr (&out->pk, type);
    msgpack_pack_uint64 (&out->pk, 42);
    s_pack_fill (&out->pk, 's', reply_to_len, 'r');
    msgpack_pack_int64 (&out->pk, -1);
    s_pack_fill (&out->pk, 's', request_id_len, 'q');
    s_pack_fill (&out->pk, 's', traceparent_len, 't');
}

//  Decodes an envelope built in `out`: it must succeed, or fail blaming
//  `field` (NULL: no field) with `detail` (NULL: any detail).
static void
s_expect_envelope (t_out_t *out, bool ok, const char *field, const char *detail)
{
    wf_codec_err_t err;
    if (ok)
        assert_int_equal (s_decode_copy (WF_MSG_NONE, out->sb.data, out->sb.size, &err), 0);
    else
        s_expect_fail (WF_MSG_NONE, out, field, detail);
    msgpack_sbuffer_destroy (&out->sb);
}

static void
test_envelope_rules (void **state)
{
    t_out_t out;
    const size_t caps[] = {WF_REPLY_TO_BYTES_MAX, WF_REQUEST_ID_BYTES_MAX,
                           WF_TRACEPARENT_BYTES_MAX};
    const char *names[] = {"reply_to", "request_id", "traceparent"};
    for (size_t i = 0; i < 3; i++)
        for (size_t extra = 0; extra <= 1; extra++) {
            size_t lens[3] = {0, 0, 0};
            lens[i] = caps[i] + extra;
            s_out_init (&out);
            s_pack_envelope (&out, 1, "error", lens[0], lens[1], lens[2]);
            s_expect_envelope (&out, !extra, names[i], "string too long");
        }
    const char *types[] = {"nope", "", "ERROR", "error ", "system.info.reply2"};
    for (size_t i = 0; i < 5; i++) {
        s_out_init (&out);
        s_pack_envelope (&out, 1, types[i], 0, 0, 0);
        s_expect_envelope (&out, false, "type", "unknown message type");
    }
    char type[WF_MSG_TYPE_BYTES_MAX + 2] = {0};
    memset (type, 'a', WF_MSG_TYPE_BYTES_MAX);
    s_out_init (&out);
    s_pack_envelope (&out, 1, type, 0, 0, 0);
    s_expect_envelope (&out, false, "type", "unknown message type");
    type[WF_MSG_TYPE_BYTES_MAX] = 'a';
    s_out_init (&out);
    s_pack_envelope (&out, 1, type, 0, 0, 0);
    s_expect_envelope (&out, false, "type", "string too long");
    const uint64_t versions[] = {0, 2, 255, UINT32_MAX, UINT64_MAX};
    for (size_t i = 0; i < 5; i++) {
        s_out_init (&out);
        s_pack_envelope (&out, versions[i], "error", 0, 0, 0);
        s_expect_envelope (&out, false, "version", "unsupported protocol version");
    }
    //  Version in other widths and signs; wrong shapes; trailing bytes.
    const struct {
        const char *bytes;
        size_t len;
        bool ok;
        const char *field, *detail;
    } raw[] = {
        {S_RAW ("\x97\xcf\0\0\0\0\0\0\0\x01\xa5"
                "error\x01\xa0\x01\xa0\xa0"),
         true, NULL, NULL},
        {S_RAW ("\x97\xd0\x01\xa5"
                "error\xd3\0\0\0\0\0\0\0\x01\xa0\xd0\xff\xa0\xa0"),
         true, NULL, NULL},
        {S_RAW ("\x97\xff\xa5"
                "error\x01\xa0\x01\xa0\xa0"),
         false, "version", "unsupported protocol version"},
        {S_RAW ("\x97\xa1\x31\xa5"
                "error\x01\xa0\x01\xa0\xa0"),
         false, "version", "wrong type"},
        {S_RAW ("\x97\x01\xa5"
                "error\xff\xa0\x01\xa0\xa0"),
         false, "correlation_id", "negative integer for an unsigned field"},
        {S_RAW ("\x97\x01\xa5"
                "error\x01\xa0\xcf\xff\0\0\0\0\0\0\0\xa0\xa0"),
         false, "deadline_ms", "integer out of int64 range"},
        {S_RAW ("\x97\x01\xa5"
                "error\x01\xa0\x01\xa0\xa0\x00"),
         false, NULL, "trailing bytes"},
        {S_RAW ("\x96\x01\xa5"
                "error\x01\xa0\x01\xa0"),
         false, NULL, "envelope is not an array of 7"},
        {S_RAW ("\x98\x01\xa5"
                "error\x01\xa0\x01\xa0\xa0\xa0"),
         false, NULL, "envelope is not an array of 7"},
        {S_RAW ("\x81\x01\x01"), false, NULL, "envelope is not an array of 7"},
        {S_RAW ("\xdd\xff\xff\xff\xff\x01\x01"), false, NULL,
         "container declares too many entries"},
        {S_RAW ("\xdc\x00\x07\x01\x01"), false, NULL, "declared count exceeds the bytes left"},
        {S_RAW ("\x97\x01\xdb\xff\xff\xff\xff"
                "error"),
         false, "type", "declared length exceeds the bytes left"},
        {S_RAW ("\x97\x01\xa5"
                "error\x01\xa3\xed\xa0\x80\x01\xa0\xa0"),
         false, "reply_to", "invalid UTF-8"},
        {S_RAW ("\xc1"), false, NULL, "invalid msgpack byte 0xc1"},
        {S_RAW (""), false, NULL, "truncated input"},
    };
    for (size_t i = 0; i < sizeof (raw) / sizeof (raw[0]); i++) {
        s_out_init (&out);
        s_out_raw (&out, raw[i].bytes, raw[i].len);
        s_expect_envelope (&out, raw[i].ok, raw[i].field, raw[i].detail);
    }
    char big[WF_ENVELOPE_BYTES_MAX + 1] = {0};
    wf_envelope_t env;
    wf_codec_err_t err;
    assert_int_equal (wf_envelope_decode ((uint8_t *) big, sizeof (big), &env, &err), -1);
    assert_string_equal (err.detail, "envelope too large");
}

//  Decodes raw body bytes and checks the outcome as s_expect_envelope does.
static void
s_expect_body (wf_msg_id_t id, const char *bytes, size_t len, bool ok, const char *field,
               const char *detail)
{
    t_out_t out;
    s_out_init (&out);
    s_out_raw (&out, bytes, len);
    wf_codec_err_t err;
    if (ok)
        assert_int_equal (s_decode_copy (id, out.sb.data, out.sb.size, &err), 0);
    else
        s_expect_fail (id, &out, field, detail);
    msgpack_sbuffer_destroy (&out.sb);
}

static void
test_body_rules (void **state)
{
    const struct {
        wf_msg_id_t id;
        const char *bytes;
        size_t len;
        bool ok;
        const char *field, *detail;
    } raw[] = {
        //  Unknown keys of every kind are skipped.
        {WF_MSG_SYSTEM_INFO,
         S_RAW ("\x8a\xa1"
                "a\xc0\xa1"
                "b\xc3\xa1"
                "c\xcb\0\0\0\0\0\0\0\0\xa1"
                "d\xca\0\0\0\0"
                "\xa1"
                "e\xc4\x02zz\xa1"
                "f\xd8\x01zzzzzzzzzzzzzzzz\xa1"
                "g\xc7\x02\x01zz"
                "\xa1i\x92\x81\xa1x\x90\xc0\xa5probe\xa2hi\xa1j\xcf\xff\0\0\0\0\0\0\0"),
         true, NULL, NULL},
        //  Nesting in an unknown key: 8 containers with the body map, then 9.
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa1x\x91\x91\x91\x91\x91\x91\x90"), true, NULL, NULL},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa1x\x91\x91\x91\x91\x91\x91\x91\x90"), false, NULL,
         "nesting too deep"},
        {WF_MSG_SYSTEM_INFO,
         S_RAW ("\x81\xa1x\x81\xa1y\x81\xa1y\x81\xa1y\x81\xa1y\x81\xa1y\x81\xa1y\x80"), true, NULL,
         NULL},
        {WF_MSG_SYSTEM_INFO,
         S_RAW ("\x81\xa1x\x81\xa1y\x81\xa1y\x81\xa1y\x81\xa1y\x81\xa1y\x81\xa1y\x81\xa1y\x80"),
         false, NULL, "nesting too deep"},
        //  Headers declaring 2^32-1 entries or bytes with a few bytes behind them.
        {WF_MSG_SYSTEM_INFO, S_RAW ("\xdf\xff\xff\xff\xff\x01\x02"), false, NULL,
         "container declares too many entries"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\xde\x01\x00\xa1x\x01"), false, NULL,
         "declared count exceeds the bytes left"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa1x\xdd\xff\xff\xff\xff\x01"), false, NULL,
         "container declares too many entries"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa1x\xdb\xff\xff\xff\xff\x01"), false, NULL,
         "declared length exceeds the bytes left"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa1x\xc6\xff\xff\xff\xff\x01"), false, NULL,
         "declared length exceeds the bytes left"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa1x\xc9\xff\xff\xff\xff\x01\x01"), false, NULL,
         "declared length exceeds the bytes left"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa5probe\xdb\xff\xff\xff\xff\x61"), false, "probe",
         "declared length exceeds the bytes left"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xdb\xff\xff\xff\xff\x61"), false, NULL,
         "declared length exceeds the bytes left"},
        {WF_MSG_ERROR,
         S_RAW ("\x82\xa4"
                "code\x01\xa6"
                "errors\xdd\xff\xff\xff\xff\x80"),
         false, "errors", "container declares too many entries"},
        //  Shapes, stray bytes, truncation.
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x80\xc0"), false, NULL, "trailing bytes"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x90"), false, NULL, "body is not a map"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\x01\x01"), false, NULL, "map key is not a string"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa1x\xc1"), false, NULL, "invalid msgpack byte 0xc1"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa5probe\xc1"), false, "probe",
         "invalid msgpack byte 0xc1"},
        {WF_MSG_SYSTEM_INFO, S_RAW ("\x81\xa5probe"), false, "probe", "truncated input"},
        {WF_MSG_SYSTEM_INFO, S_RAW (""), false, NULL, "truncated input"},
        {WF_MSG_ERROR,
         S_RAW ("\x81\xa4"
                "code\xcf\x80\0\0\0\0\0\0\0"),
         false, "code", "integer out of int64 range"},
        {WF_MSG_ERROR,
         S_RAW ("\x81\xa4"
                "code\xcb\0\0\0\0\0\0\0\0"),
         false, "code", "wrong type"},
    };
    for (size_t i = 0; i < sizeof (raw) / sizeof (raw[0]); i++)
        s_expect_body (raw[i].id, raw[i].bytes, raw[i].len, raw[i].ok, raw[i].field, raw[i].detail);
    wf_any_msg_t msg;
    wf_codec_err_t err;
    assert_int_equal (wf_body_decode (WF_MSG_NONE, (uint8_t *) "\x80", 1, &msg, &err), -1);
    assert_string_equal (err.detail, "unknown message id");
    assert_int_equal (wf_body_decode (WF_MSG_COUNT, (uint8_t *) "\x80", 1, &msg, &err), -1);
    uint8_t *big = calloc (1, WF_FRAME_BYTES_MAX + 1);
    big[0] = 0x80;
    assert_int_equal (wf_body_decode (WF_MSG_SYSTEM_INFO, big, WF_FRAME_BYTES_MAX + 1, &msg, &err),
                      -1);
    assert_string_equal (err.detail, "frame too large");
    free (big);
}

//  Integer fields accept every msgpack int encoding of an in-range value.
static void
test_int_widths (void **state)
{
    const struct {
        const char *bytes;
        size_t len;
        int64_t value;
    } ints[] = {
        {S_RAW ("\x05"), 5},
        {S_RAW ("\xcc\x05"), 5},
        {S_RAW ("\xcd\x00\x05"), 5},
        {S_RAW ("\xce\0\0\0\x05"), 5},
        {S_RAW ("\xcf\0\0\0\0\0\0\0\x05"), 5},
        {S_RAW ("\xd0\x05"), 5},
        {S_RAW ("\xd1\0\x05"), 5},
        {S_RAW ("\xd2\0\0\0\x05"), 5},
        {S_RAW ("\xd3\0\0\0\0\0\0\0\x05"), 5},
        {S_RAW ("\xfb"), -5},
        {S_RAW ("\xd0\xfb"), -5},
        {S_RAW ("\xd1\xff\xfb"), -5},
        {S_RAW ("\xd2\xff\xff\xff\xfb"), -5},
        {S_RAW ("\xd3\xff\xff\xff\xff\xff\xff\xff\xfb"), -5},
        {S_RAW ("\xd0\x80"), INT8_MIN},
        {S_RAW ("\xcd\xff\xff"), UINT16_MAX},
        {S_RAW ("\xd3\x80\0\0\0\0\0\0\0"), INT64_MIN},
        {S_RAW ("\xcf\x7f\xff\xff\xff\xff\xff\xff\xff"), INT64_MAX},
        {S_RAW ("\xd3\x7f\xff\xff\xff\xff\xff\xff\xff"), INT64_MAX},
    };
    for (size_t i = 0; i < sizeof (ints) / sizeof (ints[0]); i++) {
        char body[32] = "\x81\xa4"
                        "code";
        memcpy (body + 6, ints[i].bytes, ints[i].len);
        wf_error_t msg;
        wf_codec_err_t err;
        assert_int_equal (
            wf_body_decode (WF_MSG_ERROR, (uint8_t *) body, 6 + ints[i].len, &msg, &err), 0);
        assert_int_equal (msg.code, ints[i].value);
        assert_int_equal (msg.present, 1);
    }
}

//  Entries in one container at WF_MSGPACK_ITEMS_MAX and one more.
static void
test_items_limit (void **state)
{
    for (size_t count = WF_MSGPACK_ITEMS_MAX; count <= WF_MSGPACK_ITEMS_MAX + 1; count++) {
        t_out_t out;
        s_out_init (&out);
        msgpack_pack_map (&out.pk, 1);
        s_pack_cstr (&out.pk, "future");
        msgpack_pack_array (&out.pk, count);
        for (size_t i = 0; i < count; i++)
            msgpack_pack_nil (&out.pk);
        wf_codec_err_t err;
        if (count == WF_MSGPACK_ITEMS_MAX)
            assert_int_equal (s_decode_copy (WF_MSG_SYSTEM_INFO, out.sb.data, out.sb.size, &err),
                              0);
        else
            s_expect_fail (WF_MSG_SYSTEM_INFO, &out, NULL, "container declares too many entries");
        msgpack_sbuffer_destroy (&out.sb);
    }
}

static void
test_utf8 (void **state)
{
    const struct {
        const char *bytes;
        size_t len;
        bool valid;
    } cases[] = {
        {S_RAW (""), true},
        {S_RAW ("plain"), true},
        {S_RAW ("nul\0inside"), true},
        {S_RAW ("\xc2\x80"), true},              //  U+0080
        {S_RAW ("\xe0\xa0\x80"), true},          //  U+0800
        {S_RAW ("\xe2\x82\xac"), true},          //  euro sign
        {S_RAW ("\xed\x9f\xbf"), true},          //  U+D7FF, below the surrogates
        {S_RAW ("\xee\x80\x80"), true},          //  U+E000, above them
        {S_RAW ("\xf0\x90\x80\x80"), true},      //  U+10000
        {S_RAW ("\xf4\x8f\xbf\xbf"), true},      //  U+10FFFF
        {S_RAW ("\xc0\x80"), false},             //  overlong NUL
        {S_RAW ("\xc1\xbf"), false},             //  overlong 2-byte
        {S_RAW ("\xe0\x80\x80"), false},         //  overlong 3-byte
        {S_RAW ("\xe0\x9f\xbf"), false},         //  overlong U+07FF
        {S_RAW ("\xf0\x80\x80\x80"), false},     //  overlong 4-byte
        {S_RAW ("\xf0\x8f\xbf\xbf"), false},     //  overlong U+FFFF
        {S_RAW ("\xed\xa0\x80"), false},         //  U+D800
        {S_RAW ("\xed\xbf\xbf"), false},         //  U+DFFF
        {S_RAW ("\xf4\x90\x80\x80"), false},     //  U+110000
        {S_RAW ("\xf5\x80\x80\x80"), false},     //  lead byte past U+10FFFF
        {S_RAW ("\xf8\x88\x80\x80\x80"), false}, //  5-byte form
        {S_RAW ("\xff"), false},
        {S_RAW ("\x80"), false},         //  lone continuation
        {S_RAW ("a\xe2\x82"), false},    //  truncated at the end
        {S_RAW ("\xe2\x28\xa1"), false}, //  bad continuation
        {S_RAW ("\xc3\xa9\xc3"), false},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        assert_int_equal (
            wf_msgpack_scan_utf8_valid ((const uint8_t *) cases[i].bytes, cases[i].len),
            cases[i].valid);
        t_out_t out;
        s_out_init (&out);
        msgpack_pack_map (&out.pk, 1);
        s_pack_cstr (&out.pk, "probe");
        msgpack_pack_str_with_body (&out.pk, cases[i].bytes, cases[i].len);
        wf_codec_err_t err;
        if (cases[i].valid)
            assert_int_equal (s_decode_copy (WF_MSG_SYSTEM_INFO, out.sb.data, out.sb.size, &err),
                              0);
        else
            s_expect_fail (WF_MSG_SYSTEM_INFO, &out, "probe", "invalid UTF-8");
        msgpack_sbuffer_destroy (&out.sb);
    }
}

//  Encoders refuse to pass WF_FRAME_BYTES_MAX, at exactly N bytes and N+1,
//  and leave the buffer as it was when they refuse.
static void
test_encode_frame_limit (void **state)
{
    wf_any_msg_t msg;
    s_make_error (&msg.error, 16, INT64_MIN);
    wf_envelope_t env = s_make_envelope (WF_MSG_ERROR);
    for (int envelope = 0; envelope < 2; envelope++) {
        wf_buf_t buf;
        wf_buf_init (&buf);
        int rc =
            envelope ? wf_envelope_encode (&env, &buf) : wf_body_encode (WF_MSG_ERROR, &msg, &buf);
        assert_int_equal (rc, 0);
        size_t encoded = buf.size;
        uint8_t *first = malloc (encoded);
        memcpy (first, buf.data, encoded);
        free (buf.data);
        buf = (wf_buf_t){malloc (WF_FRAME_BYTES_MAX), WF_FRAME_BYTES_MAX - encoded,
                         WF_FRAME_BYTES_MAX};
        rc = envelope ? wf_envelope_encode (&env, &buf) : wf_body_encode (WF_MSG_ERROR, &msg, &buf);
        assert_int_equal (rc, 0);
        assert_int_equal (buf.size, WF_FRAME_BYTES_MAX);
        assert_memory_equal (buf.data + WF_FRAME_BYTES_MAX - encoded, first, encoded);
        buf.size = WF_FRAME_BYTES_MAX - encoded + 1;
        rc = envelope ? wf_envelope_encode (&env, &buf) : wf_body_encode (WF_MSG_ERROR, &msg, &buf);
        assert_int_equal (rc, -1);
        assert_int_equal (buf.size, WF_FRAME_BYTES_MAX - encoded + 1);
        wf_buf_reset (&buf);
        assert_int_equal (buf.size, 0);
        assert_non_null (buf.data);
        wf_buf_free (&buf);
        assert_null (buf.data);
        free (first);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_str_and_table),
        cmocka_unit_test (test_body_round_trips),
        cmocka_unit_test (test_envelope_round_trips),
        cmocka_unit_test (test_truncations_and_bit_flips),
        cmocka_unit_test (test_every_field),
        cmocka_unit_test (test_list_limits_and_elements),
        cmocka_unit_test (test_envelope_rules),
        cmocka_unit_test (test_body_rules),
        cmocka_unit_test (test_int_widths),
        cmocka_unit_test (test_items_limit),
        cmocka_unit_test (test_utf8),
        cmocka_unit_test (test_encode_frame_limit),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
