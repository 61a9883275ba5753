/*  wf_msgpack_scan - a bounded, zero-copy cursor reader over msgpack bytes.

    The wire decoder (wf_msg.c) reads frames with this cursor instead of
    msgpack-c's unpacker, because that unpacker allocates for a container's
    declared size before reading it: five bytes declaring 2^32-1 entries would
    cost gigabytes. This reader never allocates. It checks every declared
    length against the bytes left, every declared count against the bytes left
    (an entry takes at least one byte) and against WF_MSGPACK_ITEMS_MAX, bounds
    nesting to WF_MSGPACK_DEPTH_MAX when skipping, and hands strings, binaries
    and extension payloads back as pointers into the input.

    Every function is total: on any bytes it returns 0 with a result or -1 with
    a static reason in *detail, and it never reads outside [data, data + size).
*/
#ifndef WF_MSGPACK_SCAN_H_INCLUDED
#define WF_MSGPACK_SCAN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  What one msgpack item is.
typedef enum {
    WF_MSGPACK_NIL,
    WF_MSGPACK_BOOL,
    WF_MSGPACK_INT,
    WF_MSGPACK_FLOAT,
    WF_MSGPACK_STR,
    WF_MSGPACK_BIN,
    WF_MSGPACK_EXT,
    WF_MSGPACK_ARRAY,
    WF_MSGPACK_MAP
} wf_msgpack_kind_t;

//  One item: a scalar with its value, or a container header with its count.
typedef struct {
    wf_msgpack_kind_t kind;
    bool boolean;       //  BOOL
    bool negative;      //  INT: true when the value is < 0 (then in i64, else in u64)
    uint64_t u64;       //  INT, not negative, whatever its encoding width
    int64_t i64;        //  INT, negative
    const uint8_t *ptr; //  STR, BIN, EXT: payload, pointing into the input
    uint32_t len;       //  STR, BIN, EXT: payload bytes; ARRAY, MAP: entries
} wf_msgpack_item_t;

//  The cursor: input bytes and the read position.
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
} wf_msgpack_scan_t;

//  Starts a cursor at the first of `size` bytes (data may be NULL when size is 0).
void wf_msgpack_scan_init (wf_msgpack_scan_t *self, const uint8_t *data, size_t size);

//  Bytes not read yet.
size_t wf_msgpack_scan_left (const wf_msgpack_scan_t *self);

//  Reads one item: a scalar with its payload, or only the header of an array
//  or map (its entries follow). 0, or -1 with *detail set.
int wf_msgpack_scan_next (wf_msgpack_scan_t *self, wf_msgpack_item_t *item, const char **detail);

//  Skips one complete value. `depth` is the number of containers around it;
//  a container inside would sit at depth + 1, which must stay within
//  WF_MSGPACK_DEPTH_MAX. 0, or -1 with *detail set.
int wf_msgpack_scan_skip (wf_msgpack_scan_t *self, uint32_t depth, const char **detail);

//  True when the bytes are well-formed UTF-8: no overlong forms, no UTF-16
//  surrogates, nothing above U+10FFFF.
bool wf_msgpack_scan_utf8_valid (const uint8_t *text, size_t len);

#endif
