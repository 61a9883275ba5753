/*  wf_json_raw - recursive-descent validation of one JSON document.

    One parser walks the bytes once. Recursion depth is bounded by
    WF_JSON_DEPTH_MAX, so hostile nesting costs at most that many frames. Only
    the top-level object records its members; deeper values are validated and
    skipped. Key comparison decodes escapes on the fly from the raw slices, so
    nothing is copied.
*/
#include <assert.h>
#include <string.h>
#include "wf_json_raw.h"

typedef struct {
    const unsigned char *text;
    size_t len;
    size_t pos;
    int depth;
    wf_json_raw_err_t err;
    size_t err_offset;
} s_parser_t;

//  Records the first failure and its offset; returns -1 for tail calls.
static int
s_fail (s_parser_t *self, wf_json_raw_err_t err)
{
    if (self->err == WF_JSON_RAW_OK) {
        self->err = err;
        self->err_offset = self->pos;
    }
    return -1;
}

//  Fails with "truncated" at the end of input, else with `err`.
static int
s_fail_at (s_parser_t *self, wf_json_raw_err_t err)
{
    return s_fail (self, self->pos >= self->len ? WF_JSON_RAW_TRUNCATED : err);
}

//  Skips JSON whitespace.
static void
s_skip_space (s_parser_t *self)
{
    while (self->pos < self->len) {
        unsigned char c = self->text[self->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        self->pos++;
    }
}

//  Returns the length of the UTF-8 sequence at text (1..4), 0 when it is
//  invalid, or -1 when it is cut short by the end of input. Follows Unicode
//  table 3-7: no overlongs, no surrogates, nothing above U+10FFFF.
static int
s_utf8_length (const unsigned char *text, size_t avail)
{
    unsigned char c = text[0];
    unsigned char low = 0x80, high = 0xBF;
    int length;
    if (c < 0x80)
        return 1;
    else if (c >= 0xC2 && c <= 0xDF)
        length = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        low = c == 0xE0 ? 0xA0 : 0x80;
        high = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        low = c == 0xF0 ? 0x90 : 0x80;
        high = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    for (int i = 1; i < length; i++) {
        if ((size_t) i >= avail)
            return -1;
        unsigned char next = text[i];
        if (next < (i == 1 ? low : 0x80) || next > (i == 1 ? high : 0xBF))
            return 0;
    }
    return length;
}

//  Reads four hex digits after "\u" at text; -1 when they are not hex.
static long
s_hex4 (const unsigned char *text)
{
    long value = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = text[i];
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0)
            return -1;
        value = value * 16 + digit;
    }
    return value;
}

//  Validates a \u escape (self->pos at the 'u'), including a surrogate pair.
static int
s_unicode_escape (s_parser_t *self)
{
    if (self->len - self->pos < 5)
        return s_fail_at (self, WF_JSON_RAW_TRUNCATED);
    long unit = s_hex4 (self->text + self->pos + 1);
    if (unit < 0)
        return s_fail (self, WF_JSON_RAW_BAD_ESCAPE);
    if (unit == 0)
        return s_fail (self, WF_JSON_RAW_NUL);
    if (unit >= 0xDC00 && unit <= 0xDFFF)
        return s_fail (self, WF_JSON_RAW_BAD_ESCAPE); //  a low surrogate alone
    self->pos += 5;
    if (unit < 0xD800 || unit > 0xDBFF)
        return 0;
    //  A high surrogate must be followed by \u and a low surrogate.
    if (self->len - self->pos < 6)
        return s_fail (self, self->len - self->pos < 2 || self->text[self->pos] == '\\'
                                 ? WF_JSON_RAW_TRUNCATED
                                 : WF_JSON_RAW_BAD_ESCAPE);
    long pair = self->text[self->pos] == '\\' && self->text[self->pos + 1] == 'u'
                    ? s_hex4 (self->text + self->pos + 2)
                    : -1;
    if (pair < 0xDC00 || pair > 0xDFFF)
        return s_fail (self, WF_JSON_RAW_BAD_ESCAPE);
    self->pos += 6;
    return 0;
}

//  Validates a string (self->pos at the opening quote); sets *raw to the text
//  between the quotes and *escaped when it holds an escape.
static int
s_string (s_parser_t *self, wf_str_t *raw, bool *escaped)
{
    size_t start = ++self->pos;
    *escaped = false;
    while (self->pos < self->len) {
        unsigned char c = self->text[self->pos];
        if (c == '"') {
            *raw = (wf_str_t){(const char *) self->text + start, self->pos - start};
            self->pos++;
            return 0;
        }
        if (c < 0x20)
            return s_fail (self, WF_JSON_RAW_CONTROL_CHAR);
        if (c == '\\') {
            *escaped = true;
            if (++self->pos >= self->len)
                return s_fail_at (self, WF_JSON_RAW_TRUNCATED);
            c = self->text[self->pos];
            if (c == 'u') {
                if (s_unicode_escape (self))
                    return -1;
                continue;
            }
            if (c == 0 || !strchr ("\"\\/bfnrt", c))
                return s_fail (self, WF_JSON_RAW_BAD_ESCAPE);
            self->pos++;
            continue;
        }
        int length = s_utf8_length (self->text + self->pos, self->len - self->pos);
        if (length < 0)
            return s_fail (self, WF_JSON_RAW_TRUNCATED);
        if (length == 0)
            return s_fail (self, WF_JSON_RAW_BAD_UTF8);
        self->pos += (size_t) length;
    }
    return s_fail_at (self, WF_JSON_RAW_TRUNCATED);
}

//  Skips ASCII digits; returns how many there were.
static size_t
s_digits (s_parser_t *self)
{
    size_t start = self->pos;
    while (self->pos < self->len && self->text[self->pos] >= '0' && self->text[self->pos] <= '9')
        self->pos++;
    return self->pos - start;
}

//  Validates a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
static int
s_number (s_parser_t *self)
{
    if (self->text[self->pos] == '-')
        self->pos++;
    size_t int_start = self->pos;
    size_t int_len = s_digits (self);
    if (int_len == 0)
        return s_fail_at (self, WF_JSON_RAW_SYNTAX);
    if (int_len > 1 && self->text[int_start] == '0') {
        self->pos = int_start + 1;
        return s_fail (self, WF_JSON_RAW_SYNTAX); //  a leading zero
    }
    if (self->pos < self->len && self->text[self->pos] == '.') {
        self->pos++;
        if (s_digits (self) == 0)
            return s_fail_at (self, WF_JSON_RAW_SYNTAX);
    }
    if (self->pos < self->len && (self->text[self->pos] | 0x20) == 'e') {
        self->pos++;
        if (self->pos < self->len && (self->text[self->pos] == '+' || self->text[self->pos] == '-'))
            self->pos++;
        if (s_digits (self) == 0)
            return s_fail_at (self, WF_JSON_RAW_SYNTAX);
    }
    return 0;
}

//  Validates one of the words true, false, null.
static int
s_word (s_parser_t *self, const char *word)
{
    size_t length = strlen (word);
    for (size_t i = 0; i < length; i++, self->pos++) {
        if (self->pos >= self->len)
            return s_fail (self, WF_JSON_RAW_TRUNCATED);
        if (self->text[self->pos] != (unsigned char) word[i])
            return s_fail (self, WF_JSON_RAW_SYNTAX);
    }
    return 0;
}

static int s_value (s_parser_t *self, wf_json_kind_t *kind, wf_str_t *raw, bool *escaped,
                    wf_json_raw_t *record);

//  Reads the next byte of a raw string slice after unescaping; -1 at its end.
//  The slice was validated, so escapes are well formed.
typedef struct {
    wf_str_t raw;
    size_t pos;
    unsigned char pending[4];
    int pending_len, pending_pos;
} s_unescape_t;

//  Encodes one escaped code point (at raw[pos], after the backslash) as UTF-8.
static void
s_unescape_fill (s_unescape_t *self)
{
    const unsigned char *text = (const unsigned char *) self->raw.ptr;
    unsigned char c = text[self->pos++];
    self->pending_pos = 0;
    self->pending_len = 1;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    if (c != 'u') {
        self->pending[0] = (unsigned char) to[strchr (from, c) - from];
        return;
    }
    long code = s_hex4 (text + self->pos);
    self->pos += 4;
    if (code >= 0xD800 && code <= 0xDBFF) {
        code = 0x10000 + ((code - 0xD800) << 10) + (s_hex4 (text + self->pos + 2) - 0xDC00);
        self->pos += 6;
    }
    if (code < 0x80)
        self->pending[0] = (unsigned char) code;
    else if (code < 0x800) {
        self->pending[0] = (unsigned char) (0xC0 | (code >> 6));
        self->pending[1] = (unsigned char) (0x80 | (code & 0x3F));
        self->pending_len = 2;
    } else if (code < 0x10000) {
        self->pending[0] = (unsigned char) (0xE0 | (code >> 12));
        self->pending[1] = (unsigned char) (0x80 | ((code >> 6) & 0x3F));
        self->pending[2] = (unsigned char) (0x80 | (code & 0x3F));
        self->pending_len = 3;
    } else {
        self->pending[0] = (unsigned char) (0xF0 | (code >> 18));
        self->pending[1] = (unsigned char) (0x80 | ((code >> 12) & 0x3F));
        self->pending[2] = (unsigned char) (0x80 | ((code >> 6) & 0x3F));
        self->pending[3] = (unsigned char) (0x80 | (code & 0x3F));
        self->pending_len = 4;
    }
}

//  Returns the next unescaped byte, or -1 at the end of the slice.
static int
s_unescape_next (s_unescape_t *self)
{
    if (self->pending_pos < self->pending_len)
        return self->pending[self->pending_pos++];
    if (self->pos >= self->raw.len)
        return -1;
    unsigned char c = (unsigned char) self->raw.ptr[self->pos++];
    if (c != '\\')
        return c;
    s_unescape_fill (self);
    return self->pending[self->pending_pos++];
}

//  True when two raw (validated) key slices mean the same text.
static bool
s_keys_equal (wf_str_t a, wf_str_t b)
{
    s_unescape_t left = {.raw = a}, right = {.raw = b};
    int byte;
    do {
        byte = s_unescape_next (&left);
        if (byte != s_unescape_next (&right))
            return false;
    } while (byte >= 0);
    return true;
}

//  Records a top-level member, refusing duplicates and too many members.
static int
s_record (s_parser_t *self, wf_json_raw_t *record, const wf_json_raw_member_t *member)
{
    for (size_t i = 0; i < record->count; i++)
        if (s_keys_equal (record->members[i].key, member->key))
            return s_fail (self, WF_JSON_RAW_DUPLICATE_KEY);
    if (record->count == WF_JSON_RAW_MEMBERS_MAX)
        return s_fail (self, WF_JSON_RAW_TOO_MANY_MEMBERS);
    record->members[record->count++] = *member;
    return 0;
}

//  Validates one "key": value pair (self->pos at the key's quote).
static int
s_member (s_parser_t *self, wf_json_raw_t *record)
{
    wf_json_raw_member_t member = {0};
    size_t key_offset = self->pos;
    if (s_string (self, &member.key, &member.key_escaped))
        return -1;
    s_skip_space (self);
    if (self->pos >= self->len || self->text[self->pos] != ':')
        return s_fail_at (self, WF_JSON_RAW_SYNTAX);
    self->pos++;
    if (s_value (self, &member.kind, &member.raw, &member.escaped, NULL))
        return -1;
    if (!record)
        return 0;
    size_t end = self->pos;
    self->pos = key_offset; //  report a duplicate at its key
    if (s_record (self, record, &member))
        return -1;
    self->pos = end;
    return 0;
}

//  Validates an object or array (self->pos at its opening bracket). `record`
//  is non-NULL for the top-level object only.
static int
s_container (s_parser_t *self, bool object, wf_json_raw_t *record)
{
    if (++self->depth > WF_JSON_DEPTH_MAX)
        return s_fail (self, WF_JSON_RAW_TOO_DEEP);
    unsigned char close = object ? '}' : ']';
    self->pos++;
    s_skip_space (self);
    if (self->pos < self->len && self->text[self->pos] == close) {
        self->pos++;
        self->depth--;
        return 0;
    }
    while (true) {
        s_skip_space (self);
        if (object && (self->pos >= self->len || self->text[self->pos] != '"'))
            return s_fail_at (self, WF_JSON_RAW_SYNTAX);
        wf_json_kind_t kind;
        wf_str_t raw;
        bool escaped;
        if (object ? s_member (self, record) : s_value (self, &kind, &raw, &escaped, NULL))
            return -1;
        s_skip_space (self);
        if (self->pos >= self->len)
            return s_fail (self, WF_JSON_RAW_TRUNCATED);
        unsigned char c = self->text[self->pos++];
        if (c == close)
            break;
        if (c != ',') {
            self->pos--;
            return s_fail (self, WF_JSON_RAW_SYNTAX);
        }
    }
    self->depth--;
    return 0;
}

//  Validates any value after optional whitespace; fills its kind and raw text.
static int
s_value (s_parser_t *self, wf_json_kind_t *kind, wf_str_t *raw, bool *escaped,
         wf_json_raw_t *record)
{
    s_skip_space (self);
    if (self->pos >= self->len)
        return s_fail (self, WF_JSON_RAW_TRUNCATED);
    size_t start = self->pos;
    unsigned char c = self->text[self->pos];
    int rc;
    *escaped = false;
    if (c == '"') {
        *kind = WF_JSON_STRING;
        return s_string (self, raw, escaped);
    }
    if (c == '{' || c == '[') {
        *kind = c == '{' ? WF_JSON_OBJECT : WF_JSON_ARRAY;
        rc = s_container (self, c == '{', record);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        *kind = WF_JSON_NUMBER;
        rc = s_number (self);
    } else if (c == 't' || c == 'f' || c == 'n') {
        *kind = c == 't' ? WF_JSON_TRUE : c == 'f' ? WF_JSON_FALSE : WF_JSON_NULL;
        rc = s_word (self, c == 't' ? "true" : c == 'f' ? "false" : "null");
    } else
        return s_fail (self, WF_JSON_RAW_SYNTAX);
    *raw = (wf_str_t){(const char *) self->text + start, self->pos - start};
    return rc;
}

//  Validates a whole document and indexes its top-level members.
int
wf_json_raw_scan (const char *json, size_t len, wf_json_raw_t *doc)
{
    assert (doc);
    assert (json || len == 0);
    memset (doc, 0, sizeof (*doc));
    s_parser_t parser = {.text = (const unsigned char *) json, .len = len};
    const char *nul = len ? memchr (json, 0, len) : NULL;
    if (nul) {
        parser.pos = (size_t) (nul - json);
        s_fail (&parser, WF_JSON_RAW_NUL);
    } else {
        s_skip_space (&parser);
        if (parser.pos >= len)
            s_fail (&parser, WF_JSON_RAW_EMPTY);
        else if (json[parser.pos] != '{')
            s_fail (&parser, strchr ("[\"-0123456789tfn", json[parser.pos]) ? WF_JSON_RAW_NOT_OBJECT
                                                                            : WF_JSON_RAW_SYNTAX);
        else if (s_container (&parser, true, doc) == 0) {
            s_skip_space (&parser);
            if (parser.pos < len)
                s_fail (&parser, WF_JSON_RAW_TRAILING);
        }
    }
    doc->err = parser.err;
    doc->err_offset = parser.err_offset;
    if (doc->err != WF_JSON_RAW_OK)
        doc->count = 0;
    return doc->err == WF_JSON_RAW_OK ? 0 : -1;
}

//  True when a raw (validated) key slice unescapes to the plain text.
static bool
s_key_is (wf_str_t raw, wf_str_t plain)
{
    s_unescape_t key = {.raw = raw};
    for (size_t i = 0; i < plain.len; i++)
        if (s_unescape_next (&key) != (unsigned char) plain.ptr[i])
            return false;
    return s_unescape_next (&key) < 0;
}

//  Finds a member by comparing unescaped keys with the plain key.
const wf_json_raw_member_t *
wf_json_raw_find (const wf_json_raw_t *doc, const char *key)
{
    assert (doc && key);
    wf_str_t plain = {key, strlen (key)};
    for (size_t i = 0; i < doc->count; i++)
        if (s_key_is (doc->members[i].key, plain))
            return &doc->members[i];
    return NULL;
}

//  Scans and finds in one call (see the header for the return values).
int
wf_json_raw_member (const char *json, size_t len, const char *key, wf_str_t *raw,
                    wf_json_kind_t *kind, bool *escaped)
{
    assert (raw && kind);
    wf_json_raw_t doc;
    if (wf_json_raw_scan (json, len, &doc))
        return -1;
    const wf_json_raw_member_t *member = wf_json_raw_find (&doc, key);
    if (!member)
        return 0;
    *raw = member->raw;
    *kind = member->kind;
    if (escaped)
        *escaped = member->escaped;
    return 1;
}

//  Returns the problem+json sentence for a scan failure.
const char *
wf_json_raw_strerror (wf_json_raw_err_t err)
{
    switch (err) {
        case WF_JSON_RAW_OK:
            return "ok";
        case WF_JSON_RAW_EMPTY:
            return "the request body is empty";
        case WF_JSON_RAW_SYNTAX:
            return "the request body is not valid JSON";
        case WF_JSON_RAW_TRUNCATED:
            return "the request body ends in the middle of a JSON value";
        case WF_JSON_RAW_TRAILING:
            return "the request body has data after the JSON value";
        case WF_JSON_RAW_NOT_OBJECT:
            return "the request body must be a JSON object";
        case WF_JSON_RAW_TOO_DEEP:
            return "the request body is nested too deeply";
        case WF_JSON_RAW_DUPLICATE_KEY:
            return "the request body has a duplicate key";
        case WF_JSON_RAW_TOO_MANY_MEMBERS:
            return "the request body has too many members";
        case WF_JSON_RAW_BAD_UTF8:
            return "the request body is not valid UTF-8";
        case WF_JSON_RAW_NUL:
            return "the request body contains a NUL character";
        case WF_JSON_RAW_BAD_ESCAPE:
            return "the request body has an invalid escape sequence";
        case WF_JSON_RAW_CONTROL_CHAR:
            return "the request body has an unescaped control character in a string";
    }
    return "the request body is not valid JSON";
}

//  Checks UTF-8 validity sequence by sequence, refusing NUL.
bool
wf_json_raw_utf8_valid (const char *text, size_t len)
{
    assert (text || len == 0);
    const unsigned char *bytes = (const unsigned char *) text;
    size_t pos = 0;
    while (pos < len) {
        if (bytes[pos] == 0)
            return false;
        int length = s_utf8_length (bytes + pos, len - pos);
        if (length <= 0)
            return false;
        pos += (size_t) length;
    }
    return true;
}
