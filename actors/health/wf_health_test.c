/*  wf_health_test - the health actor over inproc: handshake, published reports, REPORT,
    METRICS, one log line per change of state, $TERM.

    Needs no server: postgres points at a closed port (down at once) and the broker is the
    fake one, which can be told to stop answering and start again.
*/
#include "wf_health.h"
#include "wf_health_fake_broker.h"
#include "wf_health_report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

#define S_RECEIVE_TIMEOUT_MS 5000
#define S_REPORTS_MAX        40 //  reports read while waiting for a change

static int s_saved_stderr = -1;
static int s_capture = -1;

//  Sends stderr into a pipe, so the test can count log lines.
static void
s_capture_stderr (void)
{
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    fcntl (fds[0], F_SETFL, O_NONBLOCK);
    s_saved_stderr = dup (STDERR_FILENO);
    dup2 (fds[1], STDERR_FILENO);
    close (fds[1]);
    s_capture = fds[0];
}

//  Restores stderr and returns what was captured (caller frees), echoing it for the record.
static char *
s_release_stderr (void)
{
    if (s_saved_stderr < 0)
        return NULL;
    dup2 (s_saved_stderr, STDERR_FILENO);
    close (s_saved_stderr);
    s_saved_stderr = -1;
    size_t size = 256 * 1024, length = 0;
    char *text = malloc (size);
    ssize_t got;
    while (length + 1 < size && (got = read (s_capture, text + length, size - 1 - length)) > 0)
        length += (size_t) got;
    text[length] = 0;
    close (s_capture);
    fputs (text, stderr);
    return text;
}

//  Puts stderr back even when a test failed half-way.
static int
s_teardown (void **state)
{
    free (s_release_stderr ());
    return 0;
}

//  Counts the lines of text that contain both needles.
static int
s_count_lines (const char *text, const char *first, const char *second)
{
    int count = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr (line, '\n');
        size_t length = end ? (size_t) (end - line) : strlen (line);
        char *copy = strndup (line, length);
        count += strstr (copy, first) && strstr (copy, second);
        free (copy);
        line += length + (end ? 1 : 0);
    }
    return count;
}

//  Receives the next published report, checked for its frame shape.
static json_t *
s_next_report (zsock_t *subscriber)
{
    char *topic = NULL, *text = NULL;
    assert_int_equal (zstr_recvx (subscriber, &topic, &text, NULL), 2);
    assert_string_equal (topic, WF_HEALTH_TOPIC);
    json_t *report = json_loads (text, 0, NULL);
    assert_non_null (report);
    zstr_free (&topic);
    zstr_free (&text);
    return report;
}

//  The status string of check number index in a report.
static const char *
s_status (json_t *report, size_t index)
{
    json_t *check = json_array_get (json_object_get (report, "checks"), index);
    return json_string_value (json_object_get (check, "status"));
}

//  Reads reports until the broker check has the wanted status; fails after S_REPORTS_MAX.
static void
s_wait_broker (zsock_t *subscriber, const char *status)
{
    for (int count = 0; count < S_REPORTS_MAX; count++) {
        json_t *report = s_next_report (subscriber);
        bool done = streq (s_status (report, 1), status);
        json_decref (report);
        if (done)
            return;
    }
    fail_msg ("broker never became %s", status);
}

//  Asks the actor a pipe command and returns the one-frame answer.
static char *
s_ask (zactor_t *actor, const char *command)
{
    zstr_send (actor, command);
    char *answer = zstr_recv (actor);
    assert_non_null (answer);
    return answer;
}

//  Checks the shape of one report of the test's configuration.
static void
s_check_report (json_t *report)
{
    json_t *checks = json_object_get (report, "checks");
    assert_int_equal (json_array_size (checks), 2);
    json_t *postgres = json_array_get (checks, 0);
    assert_string_equal (json_string_value (json_object_get (postgres, "name")), "postgres");
    assert_string_equal (s_status (report, 0), "Unhealthy");
    assert_true (strlen (json_string_value (json_object_get (postgres, "description"))) > 0);
    assert_true (json_is_number (json_object_get (postgres, "durationMs")));
    json_t *broker = json_array_get (checks, 1);
    assert_string_equal (json_string_value (json_object_get (broker, "name")), "broker");
    int64_t ts = json_integer_value (json_object_get (report, "ts"));
    assert_true (ts > zclock_time () - S_RECEIVE_TIMEOUT_MS && ts <= zclock_time ());
    assert_int_equal (json_integer_value (json_object_get (report, "intervalMs")), 50);
}

//  The actor's whole life: reports, commands, a broker outage and recovery, $TERM.
static void
test_actor (void **state)
{
    char *endpoint = NULL;
    zactor_t *fake = zactor_new (wf_health_fake_broker, NULL);
    endpoint = zstr_recv (fake);
    wf_health_config_t config = {.pg_url = "postgresql://postgres@127.0.0.1:1/postgres",
                                 .broker_endpoint = endpoint,
                                 .publish_endpoint = "inproc://wf-health-test",
                                 .interval_ms = 50,
                                 .probe_timeout_ms = 300};
    s_capture_stderr ();
    zactor_t *actor = zactor_new (wf_health_actor, &config);
    zsock_set_rcvtimeo (actor, S_RECEIVE_TIMEOUT_MS);
    zsock_t *subscriber = zsock_new_sub (">inproc://wf-health-test", WF_HEALTH_TOPIC);
    zsock_set_rcvtimeo (subscriber, S_RECEIVE_TIMEOUT_MS);
    for (int count = 0; count < 3; count++) {
        json_t *report = s_next_report (subscriber);
        s_check_report (report);
        assert_string_equal (s_status (report, 1), "Healthy");
        json_decref (report);
    }
    char *report = s_ask (actor, "REPORT");
    int status;
    char *body;
    const char *content_type;
    assert_int_equal (wf_health_render (report, WF_HEALTH_READY, false, zclock_time (), &status,
                                        &body, &content_type),
                      0);
    assert_int_equal (status, 503);
    assert_string_equal (body, "Unhealthy");
    free (body);
    zstr_free (&report);

    char *metrics = s_ask (actor, "METRICS");
    assert_non_null (strstr (metrics, "wf_health_check_up{check=\"postgres\"} 0\n"));
    assert_non_null (strstr (metrics, "wf_health_check_up{check=\"broker\"} 1\n"));
    assert_non_null (strstr (metrics, "wf_health_probe_duration_seconds_count{check=\"broker\"} "));
    assert_non_null (strstr (metrics, "# TYPE wf_health_probe_failures_total counter\n"));
    assert_null (strstr (metrics, "check=\"redis\""));
    zstr_free (&metrics);

    zstr_send (actor, "BOGUS");
    zstr_sendx (fake, "HOLD", NULL);
    zsock_wait (fake);
    s_wait_broker (subscriber, "Unhealthy");
    zstr_sendx (fake, "RELEASE", NULL);
    zsock_wait (fake);
    s_wait_broker (subscriber, "Healthy");
    zsock_destroy (&subscriber);
    zactor_destroy (&actor);
    assert_null (actor);

    char *log = s_release_stderr ();
    assert_int_equal (s_count_lines (log, "event=dependency_down", "check=postgres"), 1);
    assert_int_equal (s_count_lines (log, "event=dependency_up", "check=postgres"), 0);
    assert_int_equal (s_count_lines (log, "event=dependency_up", "check=broker was=unknown"), 1);
    assert_int_equal (s_count_lines (log, "event=dependency_down", "check=broker was=up"), 1);
    assert_int_equal (s_count_lines (log, "event=dependency_up", "check=broker was=down"), 1);
    assert_int_equal (s_count_lines (log, "event=invalid_command", "command=BOGUS"), 1);
    free (log);
    zactor_destroy (&fake);
    zstr_free (&endpoint);
}

//  With no check and an endpoint it cannot bind, the actor still starts and answers.
static void
test_actor_without_checks (void **state)
{
    wf_health_config_t config = {.publish_endpoint = "bogus://nowhere"};
    zactor_t *actor = zactor_new (wf_health_actor, &config);
    zsock_set_rcvtimeo (actor, S_RECEIVE_TIMEOUT_MS);
    char *report = s_ask (actor, "REPORT");
    json_t *root = json_loads (report, 0, NULL);
    assert_non_null (root);
    assert_int_equal (json_array_size (json_object_get (root, "checks")), 0);
    assert_int_equal (json_integer_value (json_object_get (root, "intervalMs")),
                      WF_HEALTH_INTERVAL_MS_DEFAULT);
    json_decref (root);
    zstr_free (&report);
    char *metrics = s_ask (actor, "METRICS");
    assert_string_equal (metrics, "");
    zstr_free (&metrics);
    zactor_destroy (&actor);
}

int
main (void)
{
    setenv ("WF_LOG_LEVEL", "info", 1);
    unsetenv ("WF_LOG_FORMAT");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_actor, s_teardown),
        cmocka_unit_test (test_actor_without_checks),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
