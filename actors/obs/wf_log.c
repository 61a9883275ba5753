/*  wf_log - structured logging: one line per event on stderr.

    The formatter writes through a bounded line writer. Every escape sequence (and, in JSON,
    every member) goes in whole or not at all, so a cut line never ends inside an escape; a
    quoted value cut short is closed before the truncation marker. Room for the closing part
    is reserved up front, so the marker and the newline always fit.

    The only process-wide state is the threshold and format, written once under pthread_once
    and read-only afterwards.
*/
#include "wf_log.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

//  Bytes kept free at the end of a line for a closing quote or brace, the marker, '\n', NUL.
#define S_LINE_RESERVE_BYTES 32
_Static_assert(sizeof (WF_LOG_TRUNCATED_MARK) + 3 <= S_LINE_RESERVE_BYTES,
               "the truncation marker must fit in the reserve");
_Static_assert(WF_LOG_LINE_BYTES_MAX <= PIPE_BUF, "a line must be one atomic write to a pipe");

typedef struct {
    char *data;
    size_t capacity; //  bytes usable for content, reserve excluded
    size_t length;
    bool truncated;   //  something did not fit; nothing more is written
    bool in_quotes;   //  inside a quoted logfmt value
    bool escape_open; //  the last byte is a backslash that escapes the next one
} s_writer_t;

static pthread_once_t s_init_once = PTHREAD_ONCE_INIT;
static wf_log_level_t s_threshold = WF_LOG_INFO;
static wf_log_format_t s_format = WF_LOG_FORMAT_LOGFMT;

static const char *s_level_names[] = {"debug", "info", "warn", "error"};

//  Reads the environment; runs once per process.
static void
s_init (void)
{
    wf_log_level_t level;
    if (wf_log_level_parse (getenv ("WF_LOG_LEVEL"), &level) == 0)
        s_threshold = level;
    const char *format = getenv ("WF_LOG_FORMAT");
    if (format && strcasecmp (format, "json") == 0)
        s_format = WF_LOG_FORMAT_JSON;
}

void
wf_log_init (void)
{
    pthread_once (&s_init_once, s_init);
}

bool
wf_log_enabled (wf_log_level_t level)
{
    wf_log_init ();
    return level >= s_threshold;
}

int
wf_log_level_parse (const char *text, wf_log_level_t *level)
{
    assert (level);
    if (!text)
        return -1;
    for (int index = 0; index <= WF_LOG_ERROR; index++)
        if (strcasecmp (text, s_level_names[index]) == 0) {
            *level = (wf_log_level_t) index;
            return 0;
        }
    return -1;
}

const char *
wf_log_level_name (wf_log_level_t level)
{
    assert (level >= WF_LOG_DEBUG && level <= WF_LOG_ERROR);
    return s_level_names[level];
}

//  Appends n bytes whole, or marks the line truncated and appends nothing.
static bool
s_put (s_writer_t *w, const char *bytes, size_t n)
{
    if (w->truncated || w->length + n > w->capacity) {
        w->truncated = true;
        return false;
    }
    memcpy (w->data + w->length, bytes, n);
    w->length += n;
    return true;
}

//  Appends a C string whole.
static bool
s_puts (s_writer_t *w, const char *text)
{
    return s_put (w, text, strlen (text));
}

//  Writes one byte as it must appear inside a double-quoted value. The escapes are those of
//  JSON, which logfmt readers (Go's strconv.Unquote) also accept.
static bool
s_put_escaped (s_writer_t *w, unsigned char c)
{
    switch (c) {
        case '"':
            return s_put (w, "\\\"", 2);
        case '\\':
            return s_put (w, "\\\\", 2);
        case '\n':
            return s_put (w, "\\n", 2);
        case '\r':
            return s_put (w, "\\r", 2);
        case '\t':
            return s_put (w, "\\t", 2);
        default:
            break;
    }
    if (c < 0x20 || c == 0x7f) {
        char escape[8];
        snprintf (escape, sizeof escape, "\\u%04x", c);
        return s_put (w, escape, 6);
    }
    return s_put (w, (const char *) &c, 1);
}

//  True when a logfmt value must be quoted to be read back as one value.
static bool
s_needs_quotes (const char *value)
{
    if (!value || !*value)
        return true;
    for (const unsigned char *p = (const unsigned char *) value; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            return true;
    return false;
}

//  Writes value as a logfmt value, quoted when needed; as much as fits.
static void
s_put_value (s_writer_t *w, const char *value)
{
    if (!s_needs_quotes (value)) {
        for (const char *p = value; *p; p++)
            if (!s_put (w, p, 1))
                return;
        return;
    }
    if (!s_put (w, "\"", 1))
        return;
    w->in_quotes = true;
    for (const unsigned char *p = (const unsigned char *) (value ? value : ""); *p; p++)
        if (!s_put_escaped (w, *p))
            return;
    if (s_put (w, "\"", 1))
        w->in_quotes = false;
}

const char *
wf_log_quote (char *buffer, size_t size, const char *value)
{
    assert (buffer);
    assert (size >= 8);
    //  Keep room for "..." and a closing quote, and the terminating NUL.
    s_writer_t w = {buffer, size - 5, 0, false, false, false};
    s_put_value (&w, value);
    if (w.truncated) {
        memcpy (buffer + w.length, "...", 3);
        w.length += 3;
        if (w.in_quotes)
            buffer[w.length++] = '"';
    }
    assert (w.length < size);
    buffer[w.length] = 0;
    return buffer;
}

//  Writes an ISO 8601 UTC timestamp with milliseconds.
static void
s_put_timestamp (s_writer_t *w, int64_t ts_ms)
{
    assert (ts_ms >= 0);
    time_t seconds = (time_t) (ts_ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    char text[40];
    int length = snprintf (text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                           tm.tm_sec, (int) (ts_ms % 1000));
    assert (length > 0 && (size_t) length < sizeof text);
    s_put (w, text, (size_t) length);
}

//  Copies the caller's key=value text. Control characters that slipped through unquoted are
//  escaped; quotes are tracked so that a cut line can be closed.
static void
s_put_kv_logfmt (s_writer_t *w, const char *kv)
{
    for (const unsigned char *p = (const unsigned char *) kv; *p && !w->truncated; p++) {
        unsigned char c = *p;
        if (c < 0x20 || c == 0x7f) {
            s_put_escaped (w, c);
            w->escape_open = false;
            continue;
        }
        //  The state changes only once the byte is in: a refused byte leaves it as it was.
        bool escapes_next = !w->escape_open && c == '\\' && w->in_quotes;
        bool toggles_quotes = !w->escape_open && c == '"';
        if (!s_put (w, (const char *) &c, 1))
            break;
        w->escape_open = escapes_next;
        if (toggles_quotes)
            w->in_quotes = !w->in_quotes;
    }
}

//  Writes the fixed fields and the caller's part of a logfmt line.
static void
s_format_logfmt (s_writer_t *w, int64_t ts_ms, wf_log_level_t level, const char *actor,
                 const char *event, const char *request_id, const char *kv)
{
    s_puts (w, "ts=");
    s_put_timestamp (w, ts_ms);
    s_puts (w, " level=");
    s_puts (w, wf_log_level_name (level));
    s_puts (w, " actor=");
    s_put_value (w, actor);
    s_puts (w, " event=");
    s_put_value (w, event);
    if (request_id) {
        s_puts (w, " request_id=");
        s_put_value (w, request_id);
    }
    if (*kv) {
        s_puts (w, " ");
        s_put_kv_logfmt (w, kv);
    }
}

//  Writes text as a JSON string.
static void
s_put_json_string (s_writer_t *w, const char *text, size_t length)
{
    s_put (w, "\"", 1);
    for (size_t index = 0; index < length; index++)
        s_put_escaped (w, (unsigned char) text[index]);
    s_put (w, "\"", 1);
}

//  True when text is a JSON number, so a logged count stays a number in JSON.
static bool
s_is_json_number (const char *text, size_t length)
{
    size_t index = 0;
    if (index < length && text[index] == '-')
        index++;
    size_t digits = index;
    while (index < length && text[index] >= '0' && text[index] <= '9')
        index++;
    if (index == digits || (text[digits] == '0' && index - digits > 1))
        return false;
    if (index < length && text[index] == '.') {
        size_t fraction = ++index;
        while (index < length && text[index] >= '0' && text[index] <= '9')
            index++;
        if (index == fraction)
            return false;
    }
    return index == length;
}

//  True when p (at a backslash) starts an escape that JSON accepts as it is.
static bool
s_is_json_escape (const char *p)
{
    if (!p[1] || !strchr ("\"\\/bfnrtu", p[1]))
        return false;
    if (p[1] != 'u')
        return true;
    for (int index = 2; index < 6; index++)
        if (!p[index] || !strchr ("0123456789abcdefABCDEF", p[index]))
            return false;
    return true;
}

//  Writes the logfmt value at p as a JSON value and returns the position after it.
static const char *
s_put_json_value (s_writer_t *w, const char *p)
{
    if (*p != '"') {
        size_t length = strcspn (p, " ");
        if (s_is_json_number (p, length))
            s_put (w, p, length);
        else
            s_put_json_string (w, p, length);
        return p + length;
    }
    s_put (w, "\"", 1);
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && s_is_json_escape (p)) {
            size_t length = p[1] == 'u' ? 6 : 2;
            s_put (w, p, length);
            p += length - 1;
        } else
            s_put_escaped (w, (unsigned char) *p);
    }
    s_put (w, "\"", 1);
    return *p ? p + 1 : p;
}

//  Converts the caller's key=value text to JSON members, each put whole or not at all.
static void
s_put_kv_json (s_writer_t *w, const char *kv)
{
    const char *p = kv;
    while (!w->truncated) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t mark = w->length;
        size_t key_length = strcspn (p, "= ");
        s_put (w, ",", 1);
        s_put_json_string (w, p, key_length);
        s_put (w, ":", 1);
        p += key_length;
        if (*p == '=')
            p = s_put_json_value (w, p + 1);
        else
            s_put (w, "true", 4);
        if (w->truncated)
            w->length = mark;
    }
}

//  Writes one "key":"value" member whole, or nothing.
static void
s_put_json_member (s_writer_t *w, const char *key, const char *value)
{
    size_t mark = w->length;
    s_put (w, ",\"", 2);
    s_puts (w, key);
    s_put (w, "\":", 2);
    s_put_json_string (w, value, strlen (value));
    if (w->truncated)
        w->length = mark;
}

//  Writes the fixed fields and the caller's part of a JSON line, without the closing brace.
static void
s_format_json (s_writer_t *w, int64_t ts_ms, wf_log_level_t level, const char *actor,
               const char *event, const char *request_id, const char *kv)
{
    s_puts (w, "{\"ts\":\"");
    s_put_timestamp (w, ts_ms);
    s_puts (w, "\"");
    s_put_json_member (w, "level", wf_log_level_name (level));
    s_put_json_member (w, "actor", actor);
    s_put_json_member (w, "event", event);
    if (request_id)
        s_put_json_member (w, "request_id", request_id);
    s_put_kv_json (w, kv);
}

//  Closes the line in the reserved room: quote, marker, brace, newline, NUL.
static size_t
s_finish (s_writer_t *w, wf_log_format_t format)
{
    if (w->escape_open)
        w->length--;
    if (w->in_quotes)
        w->data[w->length++] = '"';
    const char *tail = format == WF_LOG_FORMAT_JSON
                           ? (w->truncated ? ",\"truncated\":true}\n" : "}\n")
                           : (w->truncated ? WF_LOG_TRUNCATED_MARK "\n" : "\n");
    size_t tail_length = strlen (tail);
    assert (tail_length + 2 <= S_LINE_RESERVE_BYTES);
    memcpy (w->data + w->length, tail, tail_length + 1);
    w->length += tail_length;
    return w->length;
}

size_t
wf_log_vformat (char *line, size_t line_size, wf_log_format_t format, int64_t ts_ms,
                wf_log_level_t level, const char *actor, const char *event, const char *request_id,
                const char *fmt_kv, va_list args)
{
    assert (line);
    assert (line_size >= 4 * S_LINE_RESERVE_BYTES);
    assert (actor && event);
    char kv[WF_LOG_LINE_BYTES_MAX] = "";
    bool kv_truncated = false;
    if (fmt_kv) {
        int length = vsnprintf (kv, sizeof kv, fmt_kv, args);
        kv_truncated = length < 0 || (size_t) length >= sizeof kv;
    }
    s_writer_t w = {line, line_size - S_LINE_RESERVE_BYTES, 0, false, false, false};
    if (format == WF_LOG_FORMAT_JSON)
        s_format_json (&w, ts_ms, level, actor, event, request_id, kv);
    else
        s_format_logfmt (&w, ts_ms, level, actor, event, request_id, kv);
    w.truncated = w.truncated || kv_truncated;
    size_t length = s_finish (&w, format);
    assert (length < line_size);
    return length;
}

size_t
wf_log_format (char *line, size_t line_size, wf_log_format_t format, int64_t ts_ms,
               wf_log_level_t level, const char *actor, const char *event, const char *request_id,
               const char *fmt_kv, ...)
{
    va_list args;
    va_start (args, fmt_kv);
    size_t length = wf_log_vformat (line, line_size, format, ts_ms, level, actor, event, request_id,
                                    fmt_kv, args);
    va_end (args);
    return length;
}

//  Wall-clock time in milliseconds since the epoch.
static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void
wf_log (wf_log_level_t level, const char *actor, const char *event, const char *request_id,
        const char *fmt_kv, ...)
{
    if (!wf_log_enabled (level))
        return;
    char line[WF_LOG_LINE_BYTES_MAX];
    va_list args;
    va_start (args, fmt_kv);
    size_t length = wf_log_vformat (line, sizeof line, s_format, s_now_ms (), level, actor, event,
                                    request_id, fmt_kv, args);
    va_end (args);
    //  One write per line: lines up to PIPE_BUF bytes are never interleaved with other
    //  writers. A failed write is dropped; logging must not stop the caller.
    ssize_t written;
    do
        written = write (STDERR_FILENO, line, length);
    while (written < 0 && errno == EINTR);
}
