/*  wf_log - structured logging: one line per event on stderr.

    Every line is logfmt by default:

        ts=2026-11-26T20:31:24.123Z level=info actor=front event=request request_id=r1 status=200

    or, with WF_LOG_FORMAT=json, one JSON object per line with the same fields. The trailing
    key=value part is a printf-style format; any value that came from outside (a header, a
    path, a peer's error text) goes through wf_log_quote first. As a last line of defence the
    formatter escapes every control character it still finds, so no caller can let a newline
    through and forge a log line.

    A line is built in a stack buffer of WF_LOG_LINE_BYTES_MAX bytes (truncated with the
    marker " truncated=true") and written with one write(2), which keeps lines from different
    threads whole. The threshold comes from WF_LOG_LEVEL (debug|info|warn|error, default
    info), read once by wf_log_init (or by the first wf_log call).
*/
#ifndef WF_LOG_H_INCLUDED
#define WF_LOG_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WF_LOG_LINE_BYTES_MAX  2048 //  one log line, newline included
#define WF_LOG_VALUE_BYTES_MAX 256  //  a convenient size for wf_log_quote buffers
#define WF_LOG_TRUNCATED_MARK  " truncated=true"

typedef enum {
    WF_LOG_DEBUG = 0,
    WF_LOG_INFO = 1,
    WF_LOG_WARN = 2,
    WF_LOG_ERROR = 3
} wf_log_level_t;

typedef enum { WF_LOG_FORMAT_LOGFMT = 0, WF_LOG_FORMAT_JSON = 1 } wf_log_format_t;

//  Reads WF_LOG_LEVEL and WF_LOG_FORMAT once; later calls do nothing. Safe from any thread.
void wf_log_init (void);

//  True when a line at this level would be written (skip costly argument work otherwise).
bool wf_log_enabled (wf_log_level_t level);

//  Writes one line to stderr when level passes the threshold. request_id and fmt_kv may be
//  NULL. The trailing part is printf-style "key=%s key2=%d".
void wf_log (wf_log_level_t level, const char *actor, const char *event, const char *request_id,
             const char *fmt_kv, ...) __attribute__ ((format (printf, 5, 6)));

//  Formats one line (with its newline) into line, as wf_log would write it at time ts_ms
//  (ms since the epoch). line_size >= 128. Returns the line's length (< line_size).
size_t wf_log_format (char *line, size_t line_size, wf_log_format_t format, int64_t ts_ms,
                      wf_log_level_t level, const char *actor, const char *event,
                      const char *request_id, const char *fmt_kv, ...)
    __attribute__ ((format (printf, 9, 10)));

//  The va_list form of wf_log_format.
size_t wf_log_vformat (char *line, size_t line_size, wf_log_format_t format, int64_t ts_ms,
                       wf_log_level_t level, const char *actor, const char *event,
                       const char *request_id, const char *fmt_kv, va_list args);

//  Renders value as a safe logfmt value into buffer (size >= 8) and returns buffer. A value
//  that is empty, NULL, or holds a space, '"', '=', '\' or a control character is double-quoted
//  with escapes (\" \\ \n \r \t \u00XX); a value too long for buffer ends with "...".
const char *wf_log_quote (char *buffer, size_t size, const char *value);

//  Parses "debug", "info", "warn" or "error" (any case). Returns 0, or -1 when unknown.
int wf_log_level_parse (const char *text, wf_log_level_t *level);

//  The lower-case name of a level.
const char *wf_log_level_name (wf_log_level_t level);

#endif
