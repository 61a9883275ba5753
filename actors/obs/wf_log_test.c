/*  wf_log_test - the log line formatter, quoting, truncation and the level threshold.

    Formatting is tested through wf_log_format into a buffer; one test captures stderr through
    a pipe to check the threshold and the single write per line.
*/
#include "wf_log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_TS_MS 1795725084123LL //  2026-11-26T20:31:24.123Z

//  Asserts that a logfmt line has one newline, at its end, and balanced quotes.
static void
s_assert_well_formed (const char *line)
{
    size_t length = strlen (line);
    assert_true (length > 0);
    assert_int_equal (line[length - 1], '\n');
    bool in_quotes = false;
    for (size_t at = 0; at + 1 < length; at++) {
        unsigned char c = (unsigned char) line[at];
        assert_true (c >= 0x20 && c != 0x7f);
        if (in_quotes && c == '\\')
            at++;
        else if (c == '"')
            in_quotes = !in_quotes;
    }
    assert_false (in_quotes);
}

//  A plain line has the fixed fields in order and the caller's pairs after them.
static void
test_logfmt_line (void **state)
{
    char line[WF_LOG_LINE_BYTES_MAX];
    size_t length = wf_log_format (line, sizeof line, WF_LOG_FORMAT_LOGFMT, S_TS_MS, WF_LOG_INFO,
                                   "front", "request", "r-1", "status=%d route=%s", 200, "/api");
    assert_string_equal (line, "ts=2026-11-26T20:31:24.123Z level=info actor=front "
                               "event=request request_id=r-1 status=200 route=/api\n");
    assert_int_equal (length, strlen (line));

    wf_log_format (line, sizeof line, WF_LOG_FORMAT_LOGFMT, 0, WF_LOG_ERROR, "health", "down", NULL,
                   NULL);
    assert_string_equal (line, "ts=1970-01-01T00:00:00.000Z level=error actor=health event=down\n");
}

//  Values that would break a logfmt reader are quoted and escaped; others stay bare.
static void
test_quote (void **state)
{
    char buffer[WF_LOG_VALUE_BYTES_MAX];
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "plain-value_1.0"),
                         "plain-value_1.0");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "a b"), "\"a b\"");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, ""), "\"\"");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, NULL), "\"\"");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "k=v"), "\"k=v\"");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "say \"hi\""), "\"say \\\"hi\\\"\"");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "a\\b"), "\"a\\\\b\"");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "one\ntwo\r\t"),
                         "\"one\\ntwo\\r\\t\"");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "\x01\x7f"), "\"\\u0001\\u007f\"");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "caf\xc3\xa9"), "caf\xc3\xa9");
}

//  A value too long for the buffer is cut with "..." and stays closed.
static void
test_quote_truncated (void **state)
{
    char buffer[8];
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "abcdefghijkl"), "abc...");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "abcdefg"), "abc...");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "abc"), "abc");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "a b c d e f"), "\"a ...\"");
    //  An escape never splits: "\n" needs two bytes, only one is left after the quote.
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "ab\ncd"), "\"ab...\"");
    assert_string_equal (wf_log_quote (buffer, sizeof buffer, "a\n"), "\"a...\"");
}

//  A client's newline cannot start a forged line, even when the caller forgot to quote.
static void
test_no_forged_lines (void **state)
{
    char line[WF_LOG_LINE_BYTES_MAX];
    const char *hostile = "bob\nts=2026-11-26T20:31:24.123Z level=error event=forged";
    wf_log_format (line, sizeof line, WF_LOG_FORMAT_LOGFMT, S_TS_MS, WF_LOG_INFO, "front", "login",
                   hostile, "user=%s", hostile);
    s_assert_well_formed (line);
    assert_non_null (strstr (line, "request_id=\"bob\\nts="));
    assert_non_null (strstr (line, "user=bob\\nts="));

    char value[WF_LOG_VALUE_BYTES_MAX];
    wf_log_format (line, sizeof line, WF_LOG_FORMAT_LOGFMT, S_TS_MS, WF_LOG_INFO, "front", "login",
                   NULL, "user=%s", wf_log_quote (value, sizeof value, hostile));
    s_assert_well_formed (line);
    assert_non_null (strstr (line, "user=\"bob\\nts="));
}

//  A long line is cut at the buffer with the marker; a cut quoted value is closed first.
static void
test_logfmt_truncated (void **state)
{
    char big[3000];
    memset (big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    char line[WF_LOG_LINE_BYTES_MAX];
    size_t length = wf_log_format (line, sizeof line, WF_LOG_FORMAT_LOGFMT, S_TS_MS, WF_LOG_INFO,
                                   "front", "request", NULL, "body=%s", big);
    assert_true (length < sizeof line);
    s_assert_well_formed (line);
    assert_string_equal (line + length - strlen (WF_LOG_TRUNCATED_MARK "\n"),
                         WF_LOG_TRUNCATED_MARK "\n");

    //  Every cut position, including one just after an escaping backslash.
    for (size_t size = 128; size < 200; size++) {
        char small[200];
        length = wf_log_format (small, size, WF_LOG_FORMAT_LOGFMT, S_TS_MS, WF_LOG_INFO, "front",
                                "request", NULL, "msg=\"%s\" next=1",
                                "a \\\"quoted\\\" word \\\\ and \\\"more\\\" of them, and more");
        assert_true (length < size);
        s_assert_well_formed (small);
    }
}

//  JSON lines carry the same fields; numbers stay numbers; the result parses.
static void
test_json_line (void **state)
{
    char line[WF_LOG_LINE_BYTES_MAX];
    wf_log_format (line, sizeof line, WF_LOG_FORMAT_JSON, S_TS_MS, WF_LOG_WARN, "front", "request",
                   "r-1", "status=%d route=%s msg=\"a \\\"b\\\"\" neg=-1.5 word=0x1 flag", 200,
                   "/api");
    assert_string_equal (line, "{\"ts\":\"2026-11-26T20:31:24.123Z\",\"level\":\"warn\","
                               "\"actor\":\"front\",\"event\":\"request\",\"request_id\":\"r-1\","
                               "\"status\":200,\"route\":\"/api\",\"msg\":\"a \\\"b\\\"\","
                               "\"neg\":-1.5,\"word\":\"0x1\",\"flag\":true}\n");
    json_error_t error;
    json_t *root = json_loads (line, 0, &error);
    assert_non_null (root);
    json_decref (root);
}

//  Hostile ASCII in every position still gives one parseable JSON line.
static void
test_json_hostile (void **state)
{
    char hostile[160];
    for (int c = 1; c < 128; c++)
        hostile[c - 1] = (char) c;
    hostile[127] = 0;
    char line[WF_LOG_LINE_BYTES_MAX];
    for (size_t size = 128; size < sizeof line; size += 97) {
        wf_log_format (line, size, WF_LOG_FORMAT_JSON, S_TS_MS, WF_LOG_INFO, hostile, hostile,
                       hostile, "k=%s q=\"%s\" %s=v", hostile, hostile, hostile);
        assert_true (strchr (line, '\n') == line + strlen (line) - 1);
        json_error_t error;
        json_t *root = json_loads (line, 0, &error);
        if (!root)
            fail_msg ("size %zu: %s in %s", size, error.text, line);
        json_decref (root);
    }
}

//  Level names parse in any case; unknown names are refused.
static void
test_level_parse (void **state)
{
    wf_log_level_t level = WF_LOG_INFO;
    assert_int_equal (wf_log_level_parse ("DEBUG", &level), 0);
    assert_int_equal (level, WF_LOG_DEBUG);
    assert_int_equal (wf_log_level_parse ("warn", &level), 0);
    assert_int_equal (level, WF_LOG_WARN);
    assert_int_equal (wf_log_level_parse ("verbose", &level), -1);
    assert_int_equal (wf_log_level_parse (NULL, &level), -1);
    assert_string_equal (wf_log_level_name (WF_LOG_ERROR), "error");
}

//  With WF_LOG_LEVEL=warn (set in main), info is dropped and warn is one whole line.
static void
test_threshold_and_write (void **state)
{
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    int saved = dup (STDERR_FILENO);
    dup2 (fds[1], STDERR_FILENO);
    assert_false (wf_log_enabled (WF_LOG_INFO));
    assert_true (wf_log_enabled (WF_LOG_WARN));
    wf_log (WF_LOG_INFO, "test", "dropped", NULL, "n=%d", 1);
    wf_log (WF_LOG_WARN, "test", "kept", "r-2", "n=%d", 2);
    dup2 (saved, STDERR_FILENO);
    close (saved);
    close (fds[1]);
    char text[WF_LOG_LINE_BYTES_MAX] = "";
    ssize_t length = read (fds[0], text, sizeof text - 1);
    close (fds[0]);
    assert_true (length > 0);
    text[length] = 0;
    s_assert_well_formed (text);
    assert_non_null (strstr (text, " level=warn actor=test event=kept request_id=r-2 n=2\n"));
    assert_null (strstr (text, "dropped"));
}

int
main (void)
{
    setenv ("WF_LOG_LEVEL", "warn", 1);
    unsetenv ("WF_LOG_FORMAT");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_logfmt_line),         cmocka_unit_test (test_quote),
        cmocka_unit_test (test_quote_truncated),     cmocka_unit_test (test_no_forged_lines),
        cmocka_unit_test (test_logfmt_truncated),    cmocka_unit_test (test_json_line),
        cmocka_unit_test (test_json_hostile),        cmocka_unit_test (test_level_parse),
        cmocka_unit_test (test_threshold_and_write),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
