/*  wf_json_raw - a strict validating JSON scanner that keeps raw member text.

    The front runs this over a request body before jansson sees it, for two
    reasons. First, to reject bad documents with one precise reason: strict
    RFC 8259 (no comments, no trailing commas, no single quotes, no NaN, no
    leading zeros, whitespace only space/tab/LF/CR, no byte-order mark), nesting
    at most WF_JSON_DEPTH_MAX containers deep (the top-level object counts as
    one), valid UTF-8 only (no overlong forms, no surrogates, nothing above
    U+10FFFF), valid escapes only (a \u surrogate must be a correct pair), no
    NUL byte and no \u0000 escape (PostgreSQL text cannot hold NUL, and money
    placeholders in wf_money rely on it), no duplicate top-level key (keys are
    compared after unescaping, so "a" and "\u0061" are duplicates), at most
    WF_JSON_RAW_MEMBERS_MAX top-level members, and the document must be an
    object. Duplicates inside nested objects are jansson's to refuse (load with
    JSON_REJECT_DUPLICATES).

    Second, to hand out the exact text of a member, so an amount is parsed from
    the digits the client wrote (`100.50` stays 100.50, never a double). For a
    string the raw text is what lies between the quotes, with `escaped` set when
    it contains a backslash escape; callers that want plain text (amounts) can
    simply refuse escaped strings.

    The scanner never allocates; a wf_json_raw_t is a value (about 3 KB) meant
    for the stack, and its slices point into the caller's buffer.
*/
#ifndef WF_JSON_RAW_H_INCLUDED
#define WF_JSON_RAW_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include "wf_msg.h"

#define WF_JSON_RAW_MEMBERS_MAX 64 //  top-level members of one request body

//  The kind of a JSON value.
typedef enum {
    WF_JSON_NONE = 0,
    WF_JSON_OBJECT,
    WF_JSON_ARRAY,
    WF_JSON_STRING,
    WF_JSON_NUMBER,
    WF_JSON_TRUE,
    WF_JSON_FALSE,
    WF_JSON_NULL,
} wf_json_kind_t;

//  Why a document was refused; each has a message for problem+json.
typedef enum {
    WF_JSON_RAW_OK = 0,
    WF_JSON_RAW_EMPTY,            //  only whitespace, or nothing
    WF_JSON_RAW_SYNTAX,           //  an unexpected character
    WF_JSON_RAW_TRUNCATED,        //  the input ends inside a value
    WF_JSON_RAW_TRAILING,         //  something follows the top-level value
    WF_JSON_RAW_NOT_OBJECT,       //  the top-level value is not an object
    WF_JSON_RAW_TOO_DEEP,         //  more than WF_JSON_DEPTH_MAX nested containers
    WF_JSON_RAW_DUPLICATE_KEY,    //  a top-level key appears twice
    WF_JSON_RAW_TOO_MANY_MEMBERS, //  more than WF_JSON_RAW_MEMBERS_MAX top-level members
    WF_JSON_RAW_BAD_UTF8,         //  invalid UTF-8 inside a string
    WF_JSON_RAW_NUL,              //  a NUL byte, or \u0000 in a string
    WF_JSON_RAW_BAD_ESCAPE,       //  unknown escape, bad \u digits, lone surrogate
    WF_JSON_RAW_CONTROL_CHAR,     //  an unescaped control character in a string
} wf_json_raw_err_t;

//  One top-level member; slices point into the scanned buffer.
typedef struct {
    wf_str_t key;        //  raw text between the key's quotes
    bool key_escaped;    //  the key contains a backslash escape
    wf_json_kind_t kind; //  the value's kind
    wf_str_t raw;        //  strings: between the quotes; others: the whole value text
    bool escaped;        //  a string value contains a backslash escape
} wf_json_raw_member_t;

//  The result of one scan.
typedef struct {
    wf_json_raw_member_t members[WF_JSON_RAW_MEMBERS_MAX];
    size_t count;          //  members found, in document order
    wf_json_raw_err_t err; //  WF_JSON_RAW_OK after a successful scan
    size_t err_offset;     //  byte offset where the problem was found
} wf_json_raw_t;

//  Validates a whole document and indexes its top-level members. Returns 0, or
//  -1 with doc->err and doc->err_offset set.
int wf_json_raw_scan (const char *json, size_t len, wf_json_raw_t *doc);

//  Finds a top-level member of a scanned document by its (unescaped) key;
//  NULL when there is none.
const wf_json_raw_member_t *wf_json_raw_find (const wf_json_raw_t *doc, const char *key);

//  One-shot form: validates the document and finds one member. Returns 1 when
//  found (raw, kind and escaped set; escaped may be NULL), 0 when the valid
//  document has no such member, -1 when the document is invalid.
int wf_json_raw_member (const char *json, size_t len, const char *key, wf_str_t *raw,
                        wf_json_kind_t *kind, bool *escaped);

//  A sentence for problem+json; never NULL.
const char *wf_json_raw_strerror (wf_json_raw_err_t err);

//  True when text is valid UTF-8 without NUL (for text that did not come
//  through the scanner, such as msgpack strings from the broker).
bool wf_json_raw_utf8_valid (const char *text, size_t len);

#endif
