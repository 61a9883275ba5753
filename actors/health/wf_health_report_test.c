/*  wf_health_report_test - every rule of the health answers, and hostile reports.  */
#include "wf_health_report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NOW_MS 1795725084123LL

typedef struct {
    int rc;
    int status;
    char *body;
    const char *content_type;
} s_answer_t;

//  Renders and keeps the answer; the caller frees body.
static s_answer_t
s_render (const char *report, wf_health_kind_t kind, bool want_json)
{
    s_answer_t answer = {0};
    answer.rc = wf_health_render (report, kind, want_json, S_NOW_MS, &answer.status, &answer.body,
                                  &answer.content_type);
    assert_non_null (answer.body);
    return answer;
}

//  Asserts the plain-text answer of report for kind.
static void
s_expect (const char *report, wf_health_kind_t kind, int status, const char *body)
{
    s_answer_t answer = s_render (report, kind, false);
    assert_int_equal (answer.status, status);
    assert_string_equal (answer.body, body);
    assert_string_equal (answer.content_type, "text/plain");
    free (answer.body);
}

//  Builds a fresh report with the four checks; each status letter is H(ealthy), U(nhealthy).
static char *
s_report (const char *statuses, int64_t ts_ms)
{
    static const char *names[] = {"postgres", "redis", "rabbitmq", "broker"};
    char *report = malloc (2048);
    assert_non_null (report);
    int length = snprintf (report, 2048, "{\"checks\":[");
    for (int index = 0; index < 4; index++)
        length += snprintf (report + length, 2048 - (size_t) length,
                            "%s{\"name\":\"%s\",\"status\":\"%s\",\"durationMs\":1,"
                            "\"description\":\"%s\"}",
                            index ? "," : "", names[index],
                            statuses[index] == 'H' ? "Healthy" : "Unhealthy",
                            statuses[index] == 'H' ? "ok" : "down");
    snprintf (report + length, 2048 - (size_t) length, "],\"ts\":%lld,\"intervalMs\":1000}",
              (long long) ts_ms);
    return report;
}

//  LIVE is Healthy whatever the dependencies say, even with no report at all.
static void
test_live (void **state)
{
    char *report = s_report ("UUUU", S_NOW_MS);
    s_expect (report, WF_HEALTH_LIVE, 200, "Healthy");
    s_expect (NULL, WF_HEALTH_LIVE, 200, "Healthy");
    s_answer_t answer = s_render (NULL, WF_HEALTH_LIVE, true);
    assert_string_equal (answer.body,
                         "{\"status\":\"Healthy\",\"totalDuration\":\"00:00:00.0000000\","
                         "\"entries\":{}}");
    assert_string_equal (answer.content_type, "application/json");
    free (answer.body);
    free (report);
}

//  READY and ALL: postgres and broker are required, redis and rabbitmq degrade.
static void
test_ready_and_all_rules (void **state)
{
    static const struct {
        const char *statuses; //  postgres redis rabbitmq broker
        int status;
        const char *body;
    } cases[] = {
        {"HHHH", 200, "Healthy"},   {"HUHH", 200, "Degraded"},  {"HHUH", 200, "Degraded"},
        {"HUUH", 200, "Degraded"},  {"UHHH", 503, "Unhealthy"}, {"HHHU", 503, "Unhealthy"},
        {"UUUH", 503, "Unhealthy"}, {"HUUU", 503, "Unhealthy"}, {"UUUU", 503, "Unhealthy"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        char *report = s_report (cases[index].statuses, S_NOW_MS - 10);
        s_expect (report, WF_HEALTH_READY, cases[index].status, cases[index].body);
        s_expect (report, WF_HEALTH_ALL, cases[index].status, cases[index].body);
        free (report);
    }
}

//  The exact JSON body: entries in report order, TimeSpan durations, their sum.
static void
test_json_body (void **state)
{
    const char *report =
        "{\"checks\":[{\"name\":\"postgres\",\"status\":\"Healthy\",\"durationMs\":1.5,"
        "\"description\":\"ok\"},{\"name\":\"redis\",\"status\":\"Unhealthy\",\"durationMs\":1,"
        "\"description\":\"connect: refused\"}],\"ts\":1795725084000,\"intervalMs\":1000}";
    s_answer_t answer = s_render (report, WF_HEALTH_ALL, true);
    assert_int_equal (answer.rc, 0);
    assert_int_equal (answer.status, 200);
    assert_string_equal (answer.content_type, "application/json");
    assert_string_equal (
        answer.body, "{\"status\":\"Degraded\",\"totalDuration\":\"00:00:00.0025000\",\"entries\":{"
                     "\"postgres\":{\"status\":\"Healthy\",\"duration\":\"00:00:00.0015000\","
                     "\"description\":\"ok\",\"data\":{},\"tags\":[]},"
                     "\"redis\":{\"status\":\"Unhealthy\",\"duration\":\"00:00:00.0010000\","
                     "\"description\":\"connect: refused\",\"data\":{},\"tags\":[]}}}");
    free (answer.body);
}

//  A Degraded rabbitmq check keeps its status and its data object (the AMQP backlog); data
//  that is not an object reads as {}.
static void
test_degraded_with_data (void **state)
{
    const char *report =
        "{\"checks\":[{\"name\":\"postgres\",\"status\":\"Healthy\",\"durationMs\":1,"
        "\"description\":\"ok\",\"data\":[1]},{\"name\":\"rabbitmq\",\"status\":\"Degraded\","
        "\"durationMs\":1,\"description\":\"backlog 7\",\"data\":{\"backlogRows\":7,"
        "\"backlogOldestSeconds\":1.5}}],\"ts\":1795725084000,\"intervalMs\":1000}";
    s_expect (report, WF_HEALTH_READY, 200, "Degraded");
    s_expect (report, WF_HEALTH_ALL, 200, "Degraded");
    s_answer_t answer = s_render (report, WF_HEALTH_READY, true);
    assert_non_null (strstr (answer.body, "\"postgres\":{\"status\":\"Healthy\","));
    assert_non_null (strstr (answer.body, "\"description\":\"ok\",\"data\":{},"));
    assert_non_null (strstr (answer.body,
                             "\"rabbitmq\":{\"status\":\"Degraded\",\"duration\":"
                             "\"00:00:00.0010000\",\"description\":\"backlog 7\",\"data\":"
                             "{\"backlogRows\":7,\"backlogOldestSeconds\":1.5},\"tags\":[]}"));
    free (answer.body);
}

//  A check READY does not know is left out of READY; ALL lists it and degrades on it.
static void
test_unknown_check (void **state)
{
    const char *report =
        "{\"checks\":[{\"name\":\"postgres\",\"status\":\"Healthy\",\"durationMs\":1},"
        "{\"name\":\"disk\",\"status\":\"Unhealthy\",\"durationMs\":2}],\"ts\":1795725084000}";
    s_expect (report, WF_HEALTH_READY, 200, "Healthy");
    s_expect (report, WF_HEALTH_ALL, 200, "Degraded");
    s_answer_t answer = s_render (report, WF_HEALTH_READY, true);
    assert_null (strstr (answer.body, "disk"));
    free (answer.body);
    answer = s_render (report, WF_HEALTH_ALL, true);
    assert_non_null (strstr (answer.body, "\"disk\":{\"status\":\"Unhealthy\""));
    free (answer.body);
}

//  A report exactly 3 intervals old still counts; one ms older it is stale.
static void
test_stale_boundary (void **state)
{
    char *report = s_report ("HHHH", S_NOW_MS - 3 * 1000);
    s_expect (report, WF_HEALTH_READY, 200, "Healthy");
    free (report);
    report = s_report ("HHHH", S_NOW_MS - 3 * 1000 - 1);
    s_expect (report, WF_HEALTH_READY, 503, "Unhealthy");
    s_expect (report, WF_HEALTH_ALL, 503, "Unhealthy");
    s_expect (report, WF_HEALTH_LIVE, 200, "Healthy");
    s_answer_t answer = s_render (report, WF_HEALTH_READY, true);
    assert_non_null (strstr (answer.body,
                             "\"redis\":{\"status\":\"Unhealthy\",\"duration\":"
                             "\"00:00:00.0000000\",\"description\":\"" WF_HEALTH_NO_PROBE "\""));
    assert_null (strstr (answer.body, "\"ok\""));
    free (answer.body);
    free (report);
    //  The interval comes from the report.
    const char *slow = "{\"checks\":[{\"name\":\"postgres\",\"status\":\"Healthy\"}],"
                       "\"ts\":1795725054123,\"intervalMs\":10000}";
    s_expect (slow, WF_HEALTH_READY, 200, "Healthy");
}

//  No report, the empty report before the first round, and garbage: all dependencies
//  Unhealthy with "no recent probe".
static void
test_no_report (void **state)
{
    const char *reports[] = {NULL,
                             "{\"checks\":[],\"ts\":0,\"intervalMs\":1000}",
                             "not json",
                             "[]",
                             "{\"checks\":{},\"ts\":1}",
                             "{\"checks\":[],\"ts\":\"x\"}"};
    for (size_t index = 0; index < sizeof reports / sizeof reports[0]; index++) {
        s_answer_t answer = s_render (reports[index], WF_HEALTH_READY, true);
        assert_int_equal (answer.rc, index < 2 ? 0 : -1);
        assert_int_equal (answer.status, 503);
        assert_non_null (strstr (answer.body, "\"status\":\"Unhealthy\""));
        const char *names[] = {"\"postgres\":", "\"redis\":", "\"rabbitmq\":", "\"broker\":"};
        for (int name = 0; name < 4; name++)
            assert_non_null (strstr (answer.body, names[name]));
        assert_non_null (strstr (answer.body, WF_HEALTH_NO_PROBE));
        free (answer.body);
        s_expect (reports[index], WF_HEALTH_ALL, 503, "Unhealthy");
    }
}

//  A fresh report with no checks (nothing configured) is Healthy.
static void
test_nothing_configured (void **state)
{
    s_expect ("{\"checks\":[],\"ts\":1795725084000,\"intervalMs\":1000}", WF_HEALTH_READY, 200,
              "Healthy");
}

//  Odd content reads as unhealthy, never as healthy; sizes stay bounded.
static void
test_hostile_report (void **state)
{
    //  Status spelled otherwise, missing fields, wrong types.
    const char *odd =
        "{\"checks\":[{\"name\":\"postgres\",\"status\":\"healthy\"},{\"name\":\"broker\"},"
        "{\"status\":\"Healthy\"},{\"name\":7},{\"name\":\"\"},\"text\",null,"
        "{\"name\":\"redis\",\"status\":\"Healthy\",\"durationMs\":\"9\",\"description\":5},"
        "{\"name\":\"rabbitmq\",\"status\":\"Healthy\",\"durationMs\":-4}],"
        "\"ts\":1795725084000}";
    s_expect (odd, WF_HEALTH_READY, 503, "Unhealthy");
    s_answer_t answer = s_render (odd, WF_HEALTH_ALL, true);
    assert_int_equal (answer.rc, 0);
    assert_non_null (strstr (answer.body, "\"redis\":{\"status\":\"Healthy\",\"duration\":"
                                          "\"00:00:00.0000000\",\"description\":\"\""));
    free (answer.body);
    //  A repeated name counts once (the first); huge durations are clamped.
    const char *repeated =
        "{\"checks\":[{\"name\":\"postgres\",\"status\":\"Healthy\",\"durationMs\":1e300},"
        "{\"name\":\"postgres\",\"status\":\"Unhealthy\"}],\"ts\":1795725084000}";
    s_expect (repeated, WF_HEALTH_READY, 200, "Healthy");
    //  More checks than the view holds.
    char *many = malloc (64 * 1024);
    int length = snprintf (many, 64 * 1024, "{\"checks\":[");
    for (int index = 0; index < 100; index++)
        length +=
            snprintf (many + length, 64 * 1024 - (size_t) length,
                      "%s{\"name\":\"c%d\",\"status\":\"Unhealthy\"}", index ? "," : "", index);
    snprintf (many + length, 64 * 1024 - (size_t) length, "],\"ts\":1795725084000}");
    answer = s_render (many, WF_HEALTH_ALL, true);
    assert_int_equal (answer.status, 200);
    assert_non_null (strstr (answer.body, "\"c15\":"));
    assert_null (strstr (answer.body, "\"c16\":"));
    free (answer.body);
    free (many);
    //  Duplicate keys are not a report.
    answer = s_render ("{\"checks\":[],\"ts\":1795725084000,\"ts\":1}", WF_HEALTH_READY, false);
    assert_int_equal (answer.rc, -1);
    free (answer.body);
}

//  .NET TimeSpan text: seven fraction digits, days only past a day.
static void
test_timespan (void **state)
{
    char text[32];
    wf_health_timespan (0, text, sizeof text);
    assert_string_equal (text, "00:00:00.0000000");
    wf_health_timespan (1234567, text, sizeof text);
    assert_string_equal (text, "00:00:01.2345670");
    wf_health_timespan (3723000000LL, text, sizeof text);
    assert_string_equal (text, "01:02:03.0000000");
    wf_health_timespan (90061000001LL, text, sizeof text);
    assert_string_equal (text, "1.01:01:01.0000010");
    wf_health_timespan (-5, text, sizeof text);
    assert_string_equal (text, "00:00:00.0000000");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_live),           cmocka_unit_test (test_ready_and_all_rules),
        cmocka_unit_test (test_json_body),      cmocka_unit_test (test_degraded_with_data),
        cmocka_unit_test (test_unknown_check),  cmocka_unit_test (test_stale_boundary),
        cmocka_unit_test (test_no_report),      cmocka_unit_test (test_nothing_configured),
        cmocka_unit_test (test_hostile_report), cmocka_unit_test (test_timespan),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
