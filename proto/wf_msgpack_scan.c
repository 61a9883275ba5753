/*  wf_msgpack_scan - a bounded, zero-copy cursor reader over msgpack bytes.

    See wf_msgpack_scan.h for why this exists. The reader follows the msgpack
    spec byte by byte: a first byte names the format, fixed-width lengths and
    values follow big-endian. Each read first checks that the bytes it needs
    are there, so a truncated or lying input ends in a clean -1.
*/
#include <assert.h>
#include <string.h>
#include "wf_limits.h"
#include "wf_msgpack_scan.h"

//  Sets the reason and returns -1, so failures read as one statement.
static int
s_fail (const char **detail, const char *why)
{
    *detail = why;
    return -1;
}

//  Reads an n-byte (1, 2, 4 or 8) big-endian unsigned number; the caller
//  checked that the bytes are there.
static uint64_t
s_read_be (wf_msgpack_scan_t *self, size_t bytes)
{
    uint64_t value = 0;
    for (size_t i = 0; i < bytes; i++)
        value = (value << 8) | self->data[self->pos + i];
    self->pos += bytes;
    return value;
}

//  Takes `bytes` bytes off the cursor, or fails when fewer are left.
static int
s_take (wf_msgpack_scan_t *self, size_t bytes, const uint8_t **at, const char **detail)
{
    if (bytes > self->size - self->pos)
        return s_fail (detail, "truncated input");
    *at = self->data + self->pos;
    self->pos += bytes;
    return 0;
}

//  Reads a big-endian length or value field of `bytes` bytes.
static int
s_take_be (wf_msgpack_scan_t *self, size_t bytes, uint64_t *value, const char **detail)
{
    if (bytes > self->size - self->pos)
        return s_fail (detail, "truncated input");
    *value = s_read_be (self, bytes);
    return 0;
}

//  Fills a STR/BIN/EXT item whose payload of `len` bytes follows.
static int
s_payload (wf_msgpack_scan_t *self, wf_msgpack_item_t *item, wf_msgpack_kind_t kind, uint64_t len,
           const char **detail)
{
    item->kind = kind;
    //  A declared length is believed only when the bytes are really there.
    if (len > self->size - self->pos)
        return s_fail (detail, "declared length exceeds the bytes left");
    item->len = (uint32_t) len;
    item->ptr = self->data + self->pos;
    self->pos += len;
    return 0;
}

//  Fills an ARRAY/MAP header after checking its declared entry count.
static int
s_container (wf_msgpack_scan_t *self, wf_msgpack_item_t *item, wf_msgpack_kind_t kind,
             uint64_t count, const char **detail)
{
    item->kind = kind;
    if (count > WF_MSGPACK_ITEMS_MAX)
        return s_fail (detail, "container declares too many entries");
    //  Every entry takes at least one byte (two for a map's key and value).
    uint64_t bytes_min = kind == WF_MSGPACK_MAP ? count * 2 : count;
    if (bytes_min > self->size - self->pos)
        return s_fail (detail, "declared count exceeds the bytes left");
    item->len = (uint32_t) count;
    return 0;
}

//  Fills an INT item from a two's complement value already sign-extended.
static void
s_signed (wf_msgpack_item_t *item, uint64_t bits)
{
    item->kind = WF_MSGPACK_INT;
    if (bits <= INT64_MAX)
        item->u64 = bits;
    else {
        //  Avoids the implementation-defined unsigned-to-signed conversion.
        item->negative = true;
        item->i64 = -(int64_t) (~bits) - 1;
    }
}

//  Reads a signed int of `bytes` bytes (int8 ... int64) and sign-extends it.
static int
s_int (wf_msgpack_scan_t *self, wf_msgpack_item_t *item, size_t bytes, const char **detail)
{
    uint64_t bits;
    if (s_take_be (self, bytes, &bits, detail))
        return -1;
    if (bytes < 8 && (bits >> (8 * bytes - 1)) & 1)
        bits |= ~UINT64_C (0) << (8 * bytes);
    s_signed (item, bits);
    return 0;
}

//  Reads an EXT item: a length of `len_bytes` bytes (0 for fixext of `fixed`
//  bytes), a type byte, then the payload.
static int
s_ext (wf_msgpack_scan_t *self, wf_msgpack_item_t *item, size_t len_bytes, uint64_t fixed,
       const char **detail)
{
    uint64_t len = fixed;
    const uint8_t *type;
    if (len_bytes && s_take_be (self, len_bytes, &len, detail))
        return -1;
    if (s_take (self, 1, &type, detail))
        return -1;
    return s_payload (self, item, WF_MSGPACK_EXT, len, detail);
}

//  Reads the item of a first byte in 0xc0..0xdf, the formats with a tag byte.
static int
s_tagged (wf_msgpack_scan_t *self, wf_msgpack_item_t *item, uint8_t tag, const char **detail)
{
    //  Width in bytes of the length or value field, by the tag's place in a run.
    static const size_t widths[] = {1, 2, 4, 8};
    uint64_t value;
    const uint8_t *skipped;
    switch (tag) {
        case 0xc0:
            item->kind = WF_MSGPACK_NIL;
            return 0;
        case 0xc2:
        case 0xc3:
            item->kind = WF_MSGPACK_BOOL;
            item->boolean = tag == 0xc3;
            return 0;
        case 0xc4:
        case 0xc5:
        case 0xc6:
            if (s_take_be (self, widths[tag - 0xc4], &value, detail))
                return -1;
            return s_payload (self, item, WF_MSGPACK_BIN, value, detail);
        case 0xc7:
        case 0xc8:
        case 0xc9:
            return s_ext (self, item, widths[tag - 0xc7], 0, detail);
        case 0xca:
        case 0xcb:
            item->kind = WF_MSGPACK_FLOAT;
            return s_take (self, tag == 0xca ? 4 : 8, &skipped, detail);
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf:
            item->kind = WF_MSGPACK_INT;
            return s_take_be (self, widths[tag - 0xcc], &item->u64, detail);
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3:
            return s_int (self, item, widths[tag - 0xd0], detail);
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
            return s_ext (self, item, 0, UINT64_C (1) << (tag - 0xd4), detail);
        case 0xd9:
        case 0xda:
        case 0xdb:
            if (s_take_be (self, widths[tag - 0xd9], &value, detail))
                return -1;
            return s_payload (self, item, WF_MSGPACK_STR, value, detail);
        case 0xdc:
        case 0xdd:
            if (s_take_be (self, widths[tag - 0xdc + 1], &value, detail))
                return -1;
            return s_container (self, item, WF_MSGPACK_ARRAY, value, detail);
        case 0xde:
        case 0xdf:
            if (s_take_be (self, widths[tag - 0xde + 1], &value, detail))
                return -1;
            return s_container (self, item, WF_MSGPACK_MAP, value, detail);
        default:
            return s_fail (detail, "invalid msgpack byte 0xc1");
    }
}

void
wf_msgpack_scan_init (wf_msgpack_scan_t *self, const uint8_t *data, size_t size)
{
    assert (self);
    assert (data || size == 0);
    self->data = data;
    self->size = size;
    self->pos = 0;
}

size_t
wf_msgpack_scan_left (const wf_msgpack_scan_t *self)
{
    assert (self->pos <= self->size);
    return self->size - self->pos;
}

int
wf_msgpack_scan_next (wf_msgpack_scan_t *self, wf_msgpack_item_t *item, const char **detail)
{
    assert (self && item && detail);
    assert (self->pos <= self->size);
    memset (item, 0, sizeof (*item));
    if (self->pos == self->size)
        return s_fail (detail, "truncated input");
    uint8_t first = self->data[self->pos++];
    if (first <= 0x7f) {
        item->kind = WF_MSGPACK_INT;
        item->u64 = first;
        return 0;
    }
    if (first >= 0xe0) {
        s_signed (item, first | ~UINT64_C (0xff));
        return 0;
    }
    if (first <= 0x8f)
        return s_container (self, item, WF_MSGPACK_MAP, first & 0x0f, detail);
    if (first <= 0x9f)
        return s_container (self, item, WF_MSGPACK_ARRAY, first & 0x0f, detail);
    if (first <= 0xbf)
        return s_payload (self, item, WF_MSGPACK_STR, first & 0x1f, detail);
    return s_tagged (self, item, first, detail);
}

int
wf_msgpack_scan_skip (wf_msgpack_scan_t *self, uint32_t depth, const char **detail)
{
    wf_msgpack_item_t item;
    if (wf_msgpack_scan_next (self, &item, detail))
        return -1;
    if (item.kind != WF_MSGPACK_ARRAY && item.kind != WF_MSGPACK_MAP)
        return 0;
    //  Recursion is bounded by the depth limit; each entry consumes at least
    //  one byte, so skipping costs time linear in the input.
    if (depth + 1 > WF_MSGPACK_DEPTH_MAX)
        return s_fail (detail, "nesting too deep");
    uint64_t entries = item.kind == WF_MSGPACK_MAP ? 2 * (uint64_t) item.len : item.len;
    for (uint64_t i = 0; i < entries; i++)
        if (wf_msgpack_scan_skip (self, depth + 1, detail))
            return -1;
    return 0;
}

bool
wf_msgpack_scan_utf8_valid (const uint8_t *text, size_t len)
{
    assert (text || len == 0);
    size_t i = 0;
    while (i < len) {
        uint8_t lead = text[i];
        size_t follow;
        uint32_t code, code_min;
        if (lead < 0x80) {
            i++;
            continue;
        }
        if ((lead & 0xe0) == 0xc0)
            follow = 1, code = lead & 0x1f, code_min = 0x80;
        else if ((lead & 0xf0) == 0xe0)
            follow = 2, code = lead & 0x0f, code_min = 0x800;
        else if ((lead & 0xf8) == 0xf0)
            follow = 3, code = lead & 0x07, code_min = 0x10000;
        else
            return false; //  a stray continuation byte, or 0xf8..0xff
        if (follow > len - i - 1)
            return false;
        for (size_t k = 1; k <= follow; k++) {
            if ((text[i + k] & 0xc0) != 0x80)
                return false;
            code = (code << 6) | (text[i + k] & 0x3f);
        }
        if (code < code_min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
            return false;
        i += follow + 1;
    }
    return true;
}
