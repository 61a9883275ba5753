/*  wf_msg - the wire-format codec: descriptor tables, one encoder, one decoder.

    wf_msgs.def is expanded here into one descriptor per message: each field's
    wire key, kind, limit, required flag and offsetof in the generated struct;
    a LIST field also points at its element's descriptor and holds the offset
    of `<name>_count`. The encoder walks a descriptor and writes through
    msgpack-c's packer into a wf_buf_t; the decoder walks the same descriptor
    over a wf_msgpack_scan cursor.

    Why the decoder does not use msgpack-c: its unpacker allocates for a
    container's declared size before reading it. A pre-scan before handing the
    bytes to msgpack-c would make two parsers that must agree on every input,
    and the second would still allocate an object tree per message. A bounded
    cursor reader is one small total function instead: it checks each declared
    length and count against the bytes left, bounds depth and entries, never
    allocates, and returns strings as zero-copy slices into the frame.

    Duplicate keys are rejected for the fields we know (their `present` bits).
    Unknown keys are skipped, bounded and validated, but not remembered: telling
    their duplicates apart would take state sized by the input or quadratic
    time, and a key we ignore cannot change what we decode.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <msgpack.h>
#include "wf_msg.h"
#include "wf_msgpack_scan.h"

typedef enum { S_KIND_STR, S_KIND_BIN, S_KIND_I64, S_KIND_U64, S_KIND_BOOL, S_KIND_LIST } s_kind_t;

typedef struct s_msg_desc_s s_msg_desc_t;
typedef const s_msg_desc_t *(s_desc_fn_t) (void);

//  One field of one message, as listed in wf_msgs.def.
typedef struct {
    const char *name; //  wire key; NULL ends a field list
    uint32_t name_len;
    s_kind_t kind;
    bool required;
    uint32_t max;        //  STR, BIN: bytes_max; LIST: count_max
    size_t offset;       //  offsetof the member in wf_<c_name>_t
    size_t count_offset; //  LIST: offsetof <name>_count
    s_desc_fn_t *elem;   //  LIST: the element message
} s_field_desc_t;

//  One message: wire name, struct size, fields in .def order.
struct s_msg_desc_s {
    const char *wire;
    size_t wire_len;
    size_t struct_size;
    const s_field_desc_t *fields;
    uint32_t field_count;
};

//  A limit checked at compile time inside an initializer: `value`, or a
//  negative array size when it breaks `cond`.
#define S_CHECKED(value, cond) ((value) + 0 * sizeof (char[(cond) ? 1 : -1]))
// clang-format off
#define S_FIELD(n, kind, max, req, count_offset, elem)                                             \
    {#n, sizeof #n - 1, kind, S_CHECKED (req, (req) == 0 || (req) == 1), max,                      \
     offsetof (s_msg_t, n), count_offset, elem},

//  Each message gets a function holding its descriptor as static data: the
//  function scope lets `s_msg_t` name that message's struct for offsetof,
//  which the field macros need and cannot be told. Elements come earlier in
//  the .def, so a LIST names an already defined function.
#define WF_MSG_BEGIN(ID, c_name, wire)                                                             \
    static const s_msg_desc_t *s_desc_##c_name (void)                                              \
    {                                                                                              \
        typedef wf_##c_name##_t s_msg_t;                                                           \
        _Static_assert (offsetof (s_msg_t, present) == 0, "present comes first");                  \
        static const char wire_name[] = wire;                                                      \
        static const s_field_desc_t fields[] = {
#define WF_FIELD_STR(n, max, req)                                                                  \
            S_FIELD (n, S_KIND_STR, S_CHECKED (max, (max) <= WF_FRAME_BYTES_MAX), req, 0, NULL)
#define WF_FIELD_BIN(n, max, req)                                                                  \
            S_FIELD (n, S_KIND_BIN, S_CHECKED (max, (max) <= WF_FRAME_BYTES_MAX), req, 0, NULL)
#define WF_FIELD_I64(n, req)  S_FIELD (n, S_KIND_I64, 0, req, 0, NULL)
#define WF_FIELD_U64(n, req)  S_FIELD (n, S_KIND_U64, 0, req, 0, NULL)
#define WF_FIELD_BOOL(n, req) S_FIELD (n, S_KIND_BOOL, 0, req, 0, NULL)
#define WF_FIELD_LIST(n, elem, max, req)                                                           \
            S_FIELD (n, S_KIND_LIST, S_CHECKED (max, (max) <= WF_MSGPACK_ITEMS_MAX), req,          \
                     offsetof (s_msg_t, n##_count), s_desc_##elem)
#define WF_MSG_END(ID, c_name)                                                                     \
            {NULL, 0, S_KIND_STR, false, 0, 0, 0, NULL}};                                          \
        enum { s_field_count = sizeof (fields) / sizeof (fields[0]) - 1 };                         \
        _Static_assert (s_field_count <= 64, "`present` has 64 bits");                             \
        static const s_msg_desc_t desc = {wire_name, sizeof (wire_name) - 1, sizeof (s_msg_t),     \
                                          fields, s_field_count};                                  \
        return &desc;                                                                              \
    }
// clang-format on
#include "wf_msgs.def"
#undef WF_MSG_BEGIN
#undef WF_FIELD_STR
#undef WF_FIELD_BIN
#undef WF_FIELD_I64
#undef WF_FIELD_U64
#undef WF_FIELD_BOOL
#undef WF_FIELD_LIST
#undef WF_MSG_END

//  Descriptors by message id.
static s_desc_fn_t *const s_descs[WF_MSG_COUNT] = {
#define WF_MSG_BEGIN(ID, c_name, wire) [WF_MSG_##ID] = s_desc_##c_name,
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
};

//  The descriptor of a message id, or NULL when the id is not a message.
static const s_msg_desc_t *
s_desc (wf_msg_id_t id)
{
    if ((unsigned) id >= WF_MSG_COUNT || !s_descs[id])
        return NULL;
    return s_descs[id]();
}

//  True when two slices hold the same bytes.
static bool
s_slice_equal (wf_str_t a, wf_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp (a.ptr, b.ptr, a.len) == 0);
}

wf_str_t
wf_str_c (const char *cstr)
{
    if (!cstr)
        return (wf_str_t){"", 0};
    return (wf_str_t){cstr, strlen (cstr)};
}

bool
wf_str_eq (wf_str_t s, const char *cstr)
{
    return s_slice_equal (s, wf_str_c (cstr));
}

void
wf_buf_init (wf_buf_t *buf)
{
    assert (buf);
    buf->data = NULL;
    buf->size = 0;
    buf->capacity = 0;
}

void
wf_buf_reset (wf_buf_t *buf)
{
    assert (buf);
    buf->size = 0;
}

void
wf_buf_free (wf_buf_t *buf)
{
    assert (buf);
    free (buf->data);
    wf_buf_init (buf);
}

const char *
wf_msg_name (wf_msg_id_t id)
{
    const s_msg_desc_t *desc = s_desc (id);
    return desc ? desc->wire : "?";
}

wf_msg_id_t
wf_msg_lookup (const char *name, size_t len)
{
    if (!name)
        return WF_MSG_NONE;
    for (int id = WF_MSG_NONE + 1; id < WF_MSG_COUNT; id++) {
        const s_msg_desc_t *desc = s_desc ((wf_msg_id_t) id);
        if (desc && desc->wire_len == len && memcmp (desc->wire, name, len) == 0)
            return (wf_msg_id_t) id;
    }
    return WF_MSG_NONE;
}

size_t
wf_msg_struct_size (wf_msg_id_t id)
{
    const s_msg_desc_t *desc = s_desc (id);
    return desc ? desc->struct_size : 0;
}

int64_t
wf_clock_ms (void)
{
    struct timespec now;
    int rc = clock_gettime (CLOCK_REALTIME, &now);
    assert (rc == 0);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  ---------------------------------------------------------------------------
//  Encoder

//  msgpack-c write callback: appends to a wf_buf_t, refusing to pass
//  WF_FRAME_BYTES_MAX. Growth doubles; out of memory aborts (STYLE.md).
static int
s_buf_write (void *data, const char *bytes, size_t len)
{
    wf_buf_t *buf = data;
    assert (buf->size <= WF_FRAME_BYTES_MAX);
    if (len > WF_FRAME_BYTES_MAX - buf->size)
        return -1;
    if (len == 0)
        return 0;
    if (buf->size + len > buf->capacity) {
        size_t capacity = buf->capacity ? buf->capacity : 1024;
        while (capacity < buf->size + len)
            capacity *= 2;
        if (capacity > WF_FRAME_BYTES_MAX)
            capacity = WF_FRAME_BYTES_MAX; //  still enough: size + len fits the limit
        uint8_t *grown = realloc (buf->data, capacity);
        if (!grown)
            abort ();
        buf->data = grown;
        buf->capacity = capacity;
    }
    memcpy (buf->data + buf->size, bytes, len);
    buf->size += len;
    return 0;
}

//  Packs a str of at most `bytes_max` bytes; the limit is the caller's to keep.
static int
s_pack_str (msgpack_packer *pk, wf_str_t s, size_t bytes_max)
{
    assert (s.len <= bytes_max);
    assert (s.ptr || s.len == 0);
    return msgpack_pack_str (pk, s.len) || msgpack_pack_str_body (pk, s.ptr, s.len);
}

static int s_encode_map (msgpack_packer *pk, const s_msg_desc_t *desc, const uint8_t *base);

//  Packs one field's value from the struct at `base`.
static int
s_encode_value (msgpack_packer *pk, const s_field_desc_t *field, const uint8_t *base)
{
    const void *at = base + field->offset;
    switch (field->kind) {
        case S_KIND_STR:
            return s_pack_str (pk, *(const wf_str_t *) at, field->max);
        case S_KIND_BIN: {
            wf_str_t bin = *(const wf_str_t *) at;
            assert (bin.len <= field->max);
            assert (bin.ptr || bin.len == 0);
            return msgpack_pack_bin (pk, bin.len) || msgpack_pack_bin_body (pk, bin.ptr, bin.len);
        }
        case S_KIND_I64:
            return msgpack_pack_int64 (pk, *(const int64_t *) at);
        case S_KIND_U64:
            return msgpack_pack_uint64 (pk, *(const uint64_t *) at);
        case S_KIND_BOOL:
            return *(const bool *) at ? msgpack_pack_true (pk) : msgpack_pack_false (pk);
        case S_KIND_LIST: {
            uint32_t count = *(const uint32_t *) (base + field->count_offset);
            const s_msg_desc_t *elem = field->elem ();
            assert (count <= field->max);
            if (msgpack_pack_array (pk, count))
                return -1;
            for (uint32_t i = 0; i < count; i++)
                if (s_encode_map (pk, elem, (const uint8_t *) at + i * elem->struct_size))
                    return -1;
            return 0;
        }
    }
    assert (false);
    return -1;
}

//  Packs a message as a map of every field, in .def order.
static int
s_encode_map (msgpack_packer *pk, const s_msg_desc_t *desc, const uint8_t *base)
{
    if (msgpack_pack_map (pk, desc->field_count))
        return -1;
    for (uint32_t i = 0; i < desc->field_count; i++) {
        const s_field_desc_t *field = &desc->fields[i];
        if (msgpack_pack_str (pk, field->name_len) ||
            msgpack_pack_str_body (pk, field->name, field->name_len) ||
            s_encode_value (pk, field, base))
            return -1;
    }
    return 0;
}

int
wf_envelope_encode (const wf_envelope_t *env, wf_buf_t *buf)
{
    assert (env && buf);
    assert (env->version == WF_PROTO_VERSION);
    const s_msg_desc_t *desc = s_desc (env->type);
    assert (desc);
    size_t size_before = buf->size;
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, s_buf_write);
    wf_str_t type = {desc->wire, desc->wire_len};
    if (msgpack_pack_array (&pk, 7) || msgpack_pack_uint32 (&pk, env->version) ||
        s_pack_str (&pk, type, WF_MSG_TYPE_BYTES_MAX) ||
        msgpack_pack_uint64 (&pk, env->correlation_id) ||
        s_pack_str (&pk, env->reply_to, WF_REPLY_TO_BYTES_MAX) ||
        msgpack_pack_int64 (&pk, env->deadline_ms) ||
        s_pack_str (&pk, env->request_id, WF_REQUEST_ID_BYTES_MAX) ||
        s_pack_str (&pk, env->traceparent, WF_TRACEPARENT_BYTES_MAX)) {
        buf->size = size_before; //  nothing half-written stays behind
        return -1;
    }
    return 0;
}

int
wf_body_encode (wf_msg_id_t id, const void *msg, wf_buf_t *buf)
{
    assert (msg && buf);
    const s_msg_desc_t *desc = s_desc (id);
    assert (desc);
    size_t size_before = buf->size;
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, s_buf_write);
    if (s_encode_map (&pk, desc, msg)) {
        buf->size = size_before;
        return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------------
//  Decoder

//  Records why decoding failed and returns -1.
static int
s_fail (wf_codec_err_t *err, const char *detail, const char *field)
{
    err->detail = detail;
    err->field = field;
    return -1;
}

//  Reads the next item; a reader failure is charged to `field` (may be NULL).
static int
s_next (wf_msgpack_scan_t *scan, wf_msgpack_item_t *item, wf_codec_err_t *err, const char *field)
{
    const char *detail = NULL;
    if (wf_msgpack_scan_next (scan, item, &detail))
        return s_fail (err, detail, field);
    return 0;
}

//  Reads a STR (valid UTF-8) or BIN of at most `bytes_max` bytes as a slice.
static int
s_read_text (wf_msgpack_scan_t *scan, const char *field, bool utf8, uint32_t bytes_max,
             wf_str_t *out, wf_codec_err_t *err)
{
    wf_msgpack_item_t item;
    if (s_next (scan, &item, err, field))
        return -1;
    if (item.kind != (utf8 ? WF_MSGPACK_STR : WF_MSGPACK_BIN))
        return s_fail (err, "wrong type", field);
    if (item.len > bytes_max)
        return s_fail (err, utf8 ? "string too long" : "binary too long", field);
    if (utf8 && !wf_msgpack_scan_utf8_valid (item.ptr, item.len))
        return s_fail (err, "invalid UTF-8", field);
    *out = (wf_str_t){(const char *) item.ptr, item.len};
    return 0;
}

//  Reads an integer of any encoding width; `is_signed` picks the int64 range,
//  otherwise the uint64 range.
static int
s_read_int (wf_msgpack_scan_t *scan, const char *field, bool is_signed, void *out,
            wf_codec_err_t *err)
{
    wf_msgpack_item_t item;
    if (s_next (scan, &item, err, field))
        return -1;
    if (item.kind != WF_MSGPACK_INT)
        return s_fail (err, "wrong type", field);
    if (!is_signed) {
        if (item.negative)
            return s_fail (err, "negative integer for an unsigned field", field);
        *(uint64_t *) out = item.u64;
    } else if (item.negative)
        *(int64_t *) out = item.i64;
    else if (item.u64 > INT64_MAX)
        return s_fail (err, "integer out of int64 range", field);
    else
        *(int64_t *) out = (int64_t) item.u64;
    return 0;
}

int
wf_envelope_decode (const uint8_t *data, size_t size, wf_envelope_t *env, wf_codec_err_t *err)
{
    assert (env && err);
    assert (data || size == 0);
    memset (env, 0, sizeof (*env));
    *err = (wf_codec_err_t){NULL, NULL};
    if (size > WF_ENVELOPE_BYTES_MAX)
        return s_fail (err, "envelope too large", NULL);
    wf_msgpack_scan_t scan;
    wf_msgpack_scan_init (&scan, data, size);
    wf_msgpack_item_t item;
    if (s_next (&scan, &item, err, NULL))
        return -1;
    if (item.kind != WF_MSGPACK_ARRAY || item.len != 7)
        return s_fail (err, "envelope is not an array of 7", NULL);
    //  Any integer other than ours, in any width or sign, is a version we do not speak.
    if (s_next (&scan, &item, err, "version"))
        return -1;
    if (item.kind != WF_MSGPACK_INT)
        return s_fail (err, "wrong type", "version");
    if (item.negative || item.u64 != WF_PROTO_VERSION)
        return s_fail (err, "unsupported protocol version", "version");
    env->version = WF_PROTO_VERSION;
    wf_str_t type;
    if (s_read_text (&scan, "type", true, WF_MSG_TYPE_BYTES_MAX, &type, err))
        return -1;
    env->type = wf_msg_lookup (type.ptr, type.len);
    if (env->type == WF_MSG_NONE)
        return s_fail (err, "unknown message type", "type");
    if (s_read_int (&scan, "correlation_id", false, &env->correlation_id, err) ||
        s_read_text (&scan, "reply_to", true, WF_REPLY_TO_BYTES_MAX, &env->reply_to, err) ||
        s_read_int (&scan, "deadline_ms", true, &env->deadline_ms, err) ||
        s_read_text (&scan, "request_id", true, WF_REQUEST_ID_BYTES_MAX, &env->request_id, err) ||
        s_read_text (&scan, "traceparent", true, WF_TRACEPARENT_BYTES_MAX, &env->traceparent, err))
        return -1;
    if (wf_msgpack_scan_left (&scan) > 0)
        return s_fail (err, "trailing bytes", NULL);
    return 0;
}

static int s_decode_map (wf_msgpack_scan_t *scan, const s_msg_desc_t *desc, uint8_t *base,
                         uint32_t depth, const char *owner, wf_codec_err_t *err);

//  Reads one known field's value into the struct at `base`. `depth` counts
//  the containers around the value.
static int
s_decode_value (wf_msgpack_scan_t *scan, const s_field_desc_t *field, uint8_t *base, uint32_t depth,
                wf_codec_err_t *err)
{
    void *at = base + field->offset;
    wf_msgpack_item_t item;
    switch (field->kind) {
        case S_KIND_STR:
        case S_KIND_BIN:
            return s_read_text (scan, field->name, field->kind == S_KIND_STR, field->max, at, err);
        case S_KIND_I64:
        case S_KIND_U64:
            return s_read_int (scan, field->name, field->kind == S_KIND_I64, at, err);
        case S_KIND_BOOL:
            if (s_next (scan, &item, err, field->name))
                return -1;
            if (item.kind != WF_MSGPACK_BOOL)
                return s_fail (err, "wrong type", field->name);
            *(bool *) at = item.boolean;
            return 0;
        case S_KIND_LIST: {
            if (s_next (scan, &item, err, field->name))
                return -1;
            if (item.kind != WF_MSGPACK_ARRAY)
                return s_fail (err, "wrong type", field->name);
            if (depth + 1 > WF_MSGPACK_DEPTH_MAX)
                return s_fail (err, "nesting too deep", field->name);
            if (item.len > field->max)
                return s_fail (err, "list too long", field->name);
            const s_msg_desc_t *elem = field->elem ();
            for (uint32_t i = 0; i < item.len; i++)
                if (s_decode_map (scan, elem, (uint8_t *) at + i * elem->struct_size, depth + 2,
                                  field->name, err))
                    return -1;
            *(uint32_t *) (base + field->count_offset) = item.len;
            return 0;
        }
    }
    assert (false);
    return -1;
}

//  Index of the field whose wire key is the slice, or -1.
static int
s_field_find (const s_msg_desc_t *desc, const uint8_t *key, uint32_t len)
{
    for (uint32_t i = 0; i < desc->field_count; i++)
        if (desc->fields[i].name_len == len && memcmp (desc->fields[i].name, key, len) == 0)
            return (int) i;
    return -1;
}

//  Reads one message map into the struct at `base` (zeroed by the caller).
//  `depth` counts this map itself; `owner` names the LIST holding it, or is
//  NULL for the body.
static int
s_decode_map (wf_msgpack_scan_t *scan, const s_msg_desc_t *desc, uint8_t *base, uint32_t depth,
              const char *owner, wf_codec_err_t *err)
{
    wf_msgpack_item_t item;
    if (s_next (scan, &item, err, owner))
        return -1;
    if (item.kind != WF_MSGPACK_MAP)
        return s_fail (err, owner ? "wrong type" : "body is not a map", owner);
    if (depth > WF_MSGPACK_DEPTH_MAX)
        return s_fail (err, "nesting too deep", owner);
    uint64_t *present = (uint64_t *) base;
    for (uint32_t i = 0; i < item.len; i++) {
        wf_msgpack_item_t key;
        if (s_next (scan, &key, err, owner))
            return -1;
        if (key.kind != WF_MSGPACK_STR)
            return s_fail (err, "map key is not a string", owner);
        int index = s_field_find (desc, key.ptr, key.len);
        if (index < 0) {
            const char *detail = NULL;
            if (wf_msgpack_scan_skip (scan, depth, &detail))
                return s_fail (err, detail, owner);
            continue;
        }
        const s_field_desc_t *field = &desc->fields[index];
        if (*present & (UINT64_C (1) << index))
            return s_fail (err, "duplicate field", field->name);
        if (s_decode_value (scan, field, base, depth, err))
            return -1;
        *present |= UINT64_C (1) << index;
    }
    for (uint32_t i = 0; i < desc->field_count; i++)
        if (desc->fields[i].required && !(*present & (UINT64_C (1) << i)))
            return s_fail (err, "required field missing", desc->fields[i].name);
    return 0;
}

int
wf_body_decode (wf_msg_id_t id, const uint8_t *data, size_t size, void *msg, wf_codec_err_t *err)
{
    assert (msg && err);
    assert (data || size == 0);
    *err = (wf_codec_err_t){NULL, NULL};
    const s_msg_desc_t *desc = s_desc (id);
    if (!desc)
        return s_fail (err, "unknown message id", NULL);
    memset (msg, 0, desc->struct_size);
    if (size > WF_FRAME_BYTES_MAX)
        return s_fail (err, "frame too large", NULL);
    wf_msgpack_scan_t scan;
    wf_msgpack_scan_init (&scan, data, size);
    int rc = s_decode_map (&scan, desc, msg, 1, NULL, err);
    if (rc == 0 && wf_msgpack_scan_left (&scan) > 0)
        rc = s_fail (err, "trailing bytes", NULL);
    if (rc)
        memset (msg, 0, desc->struct_size); //  no slices into rejected bytes
    assert (rc == 0 || err->detail);
    return rc;
}

//  ---------------------------------------------------------------------------
//  Comparison

//  True when two structs of one message hold equal values, field by field.
static bool
s_equal (const s_msg_desc_t *desc, const uint8_t *a, const uint8_t *b)
{
    for (uint32_t i = 0; i < desc->field_count; i++) {
        const s_field_desc_t *field = &desc->fields[i];
        const void *x = a + field->offset, *y = b + field->offset;
        bool same = true;
        switch (field->kind) {
            case S_KIND_STR:
            case S_KIND_BIN:
                same = s_slice_equal (*(const wf_str_t *) x, *(const wf_str_t *) y);
                break;
            case S_KIND_I64:
            case S_KIND_U64:
                same = memcmp (x, y, sizeof (uint64_t)) == 0;
                break;
            case S_KIND_BOOL:
                same = *(const bool *) x == *(const bool *) y;
                break;
            case S_KIND_LIST: {
                uint32_t count = *(const uint32_t *) (a + field->count_offset);
                const s_msg_desc_t *elem = field->elem ();
                same = count == *(const uint32_t *) (b + field->count_offset);
                for (uint32_t k = 0; same && k < count && k < field->max; k++)
                    same = s_equal (elem, (const uint8_t *) x + k * elem->struct_size,
                                    (const uint8_t *) y + k * elem->struct_size);
                break;
            }
        }
        if (!same)
            return false;
    }
    return true;
}

bool
wf_body_equal (wf_msg_id_t id, const void *a, const void *b)
{
    const s_msg_desc_t *desc = s_desc (id);
    assert (desc && a && b);
    return s_equal (desc, a, b);
}

bool
wf_envelope_equal (const wf_envelope_t *a, const wf_envelope_t *b)
{
    assert (a && b);
    return a->version == b->version && a->type == b->type &&
           a->correlation_id == b->correlation_id && s_slice_equal (a->reply_to, b->reply_to) &&
           a->deadline_ms == b->deadline_ms && s_slice_equal (a->request_id, b->request_id) &&
           s_slice_equal (a->traceparent, b->traceparent);
}
