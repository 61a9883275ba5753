/*  wf_health_probe_test - the probes against real servers, closed ports, silent servers, and
    a fake 7/MDP broker.

    Needs WF_PG_URL, WF_REDIS_URL and WF_AMQP_URL (eval "$(deploy/stack.sh env)"); a test
    whose variable is unset fails rather than skips, so a CI without servers cannot pass.
*/
#include "wf_health_fake_broker.h"
#include "wf_health_probe.h"
#include "wf_migrate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_SHORT_TIMEOUT_MS 300
#define S_SLACK_MS         250 //  scheduling noise on a shared 2-core machine

//  The value of a required environment variable; fails the test when unset.
static const char *
s_env (const char *name)
{
    const char *value = getenv (name);
    if (!value || !*value)
        fail_msg ("%s is not set: eval \"$(deploy/stack.sh env)\" after deploy/stack.sh start",
                  name);
    return value;
}

//  Runs a probe expecting the given health, within timeout_ms (plus slack).
static void
s_expect (wf_health_probe_t *probe, bool healthy, int timeout_ms)
{
    wf_health_result_t result;
    int rc = wf_health_probe_run (probe, &result);
    if (result.healthy != healthy)
        fail_msg ("%s: expected %s, got \"%s\"", result.name, healthy ? "healthy" : "down",
                  result.description);
    assert_int_equal (rc, healthy ? 0 : -1);
    assert_true (result.duration_us >= 0);
    if (result.duration_us > (int64_t) (timeout_ms + S_SLACK_MS) * 1000)
        fail_msg ("%s took %lld us, timeout %d ms (%s)", result.name,
                  (long long) result.duration_us, timeout_ms, result.description);
    assert_null (strchr (result.description, '\n'));
    if (healthy)
        assert_true (strncmp (result.description, "ok", 2) == 0);
}

//  A real server is healthy, and stays so over several probes on the kept connection.
static void
s_expect_up (wf_health_check_t check, const char *variable)
{
    wf_health_probe_t *probe = wf_health_probe_new (check, s_env (variable), 0);
    assert_int_equal (wf_health_probe_check (probe), check);
    for (int round = 0; round < 3; round++)
        s_expect (probe, true, WF_HEALTH_PROBE_TIMEOUT_MS);
    wf_health_probe_destroy (&probe);
    assert_null (probe);
    wf_health_probe_destroy (&probe);
}

static void
test_postgres_up (void **state)
{
    s_expect_up (WF_HEALTH_POSTGRES, "WF_PG_URL");
}

static void
test_redis_up (void **state)
{
    s_expect_up (WF_HEALTH_REDIS, "WF_REDIS_URL");
}

static void
test_rabbitmq_up (void **state)
{
    s_expect_up (WF_HEALTH_RABBITMQ, "WF_AMQP_URL");
}

//  The server drops the probe's kept connection: the next probe reconnects and is healthy.
static void
test_connection_dropped_by_server (void **state)
{
    wf_health_probe_t *postgres = wf_health_probe_new (WF_HEALTH_POSTGRES, s_env ("WF_PG_URL"), 0);
    s_expect (postgres, true, WF_HEALTH_PROBE_TIMEOUT_MS);
    PGconn *admin = PQconnectdb (s_env ("WF_PG_URL"));
    assert_int_equal (PQstatus (admin), CONNECTION_OK);
    PGresult *result = PQexec (admin, "SELECT count(pg_terminate_backend (pid)) FROM "
                                      "pg_stat_activity WHERE application_name = 'wf-health'");
    assert_int_equal (PQresultStatus (result), PGRES_TUPLES_OK);
    //  At least ours (another walletflow on the same server may have its own).
    assert_true (atoi (PQgetvalue (result, 0, 0)) >= 1);
    PQclear (result);
    PQfinish (admin);
    s_expect (postgres, true, WF_HEALTH_PROBE_TIMEOUT_MS);
    wf_health_probe_destroy (&postgres);

    const char *url = s_env ("WF_REDIS_URL");
    wf_health_probe_t *redis = wf_health_probe_new (WF_HEALTH_REDIS, url, 0);
    s_expect (redis, true, WF_HEALTH_PROBE_TIMEOUT_MS);
    char host[64];
    int port;
    assert_int_equal (sscanf (url, "redis://%63[^:]:%d", host, &port), 2);
    struct timeval timeout = {1, 0};
    redisContext *killer = redisConnectWithTimeout (host, port, timeout);
    assert_true (killer && !killer->err);
    redisReply *reply = redisCommand (killer, "CLIENT KILL TYPE normal SKIPME yes");
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_INTEGER);
    assert_true (reply->integer >= 1); //  ours, and any other client of this server
    freeReplyObject (reply);
    redisFree (killer);
    s_expect (redis, true, WF_HEALTH_PROBE_TIMEOUT_MS);
    wf_health_probe_destroy (&redis);
}

//  The targets of every check at one port of 127.0.0.1.
static void
s_targets (int port, char targets[WF_HEALTH_CHECKS][128])
{
    snprintf (targets[WF_HEALTH_POSTGRES], 128, "postgresql://postgres@127.0.0.1:%d/postgres",
              port);
    snprintf (targets[WF_HEALTH_REDIS], 128, "redis://127.0.0.1:%d/0", port);
    snprintf (targets[WF_HEALTH_RABBITMQ], 128, "amqp://guest:guest@127.0.0.1:%d/", port);
    snprintf (targets[WF_HEALTH_BROKER], 128, "tcp://127.0.0.1:%d", port);
}

//  Nothing listens on port 1: every probe reports down, within its timeout, twice.
static void
test_closed_port (void **state)
{
    char targets[WF_HEALTH_CHECKS][128];
    s_targets (1, targets);
    for (int check = 0; check < WF_HEALTH_CHECKS; check++) {
        wf_health_probe_t *probe = wf_health_probe_new (check, targets[check], 0);
        s_expect (probe, false, WF_HEALTH_PROBE_TIMEOUT_MS);
        s_expect (probe, false, WF_HEALTH_PROBE_TIMEOUT_MS);
        wf_health_probe_destroy (&probe);
    }
}

//  A server that accepts TCP connections (in its backlog) and never says a word: the
//  deadline, not the peer, must end each probe.
static void
test_silent_server (void **state)
{
    int listener = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (listener >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (listener, (struct sockaddr *) &address, sizeof address), 0);
    assert_int_equal (listen (listener, 64), 0);
    socklen_t length = sizeof address;
    assert_int_equal (getsockname (listener, (struct sockaddr *) &address, &length), 0);
    char targets[WF_HEALTH_CHECKS][128];
    s_targets (ntohs (address.sin_port), targets);
    for (int check = 0; check < WF_HEALTH_BROKER; check++) {
        wf_health_probe_t *probe = wf_health_probe_new (check, targets[check], S_SHORT_TIMEOUT_MS);
        s_expect (probe, false, S_SHORT_TIMEOUT_MS);
        s_expect (probe, false, S_SHORT_TIMEOUT_MS);
        wf_health_probe_destroy (&probe);
    }
    close (listener);
}

//  Targets that cannot be parsed are reported at once, never probed.
static void
test_invalid_targets (void **state)
{
    static const struct {
        wf_health_check_t check;
        const char *target;
    } cases[] = {
        {WF_HEALTH_POSTGRES, "host=127.0.0.1 port="}, {WF_HEALTH_REDIS, "http://127.0.0.1:6379"},
        {WF_HEALTH_REDIS, "redis://127.0.0.1:99999"}, {WF_HEALTH_REDIS, "redis://"},
        {WF_HEALTH_RABBITMQ, "rabbit://x"},           {WF_HEALTH_BROKER, "nonsense://here"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        wf_health_probe_t *probe = wf_health_probe_new (cases[index].check, cases[index].target, 0);
        s_expect (probe, false, 50);
        wf_health_probe_destroy (&probe);
    }
}

//  amqps:// speaks TLS: to a plain AMQP listener the handshake fails, within the timeout, and
//  so does a closed port; a CA file that cannot be read is reported as such.
static void
test_rabbitmq_tls_refused (void **state)
{
    char target[256];
    const char *url = s_env ("WF_AMQP_URL");
    assert_true (strncmp (url, "amqp://", 7) == 0);
    snprintf (target, sizeof target, "amqps://%s", url + 7);
    wf_health_probe_t *probe = wf_health_probe_new (WF_HEALTH_RABBITMQ, target, S_SHORT_TIMEOUT_MS);
    wf_health_probe_set_tls (probe, "/etc/ssl/certs/ca-certificates.crt", true);
    s_expect (probe, false, S_SHORT_TIMEOUT_MS);
    wf_health_probe_destroy (&probe);
    probe = wf_health_probe_new (WF_HEALTH_RABBITMQ, "amqps://guest:guest@127.0.0.1:1/", 0);
    wf_health_probe_set_tls (probe, NULL, false);
    s_expect (probe, false, WF_HEALTH_PROBE_TIMEOUT_MS);
    wf_health_probe_destroy (&probe);
    probe = wf_health_probe_new (WF_HEALTH_RABBITMQ, target, S_SHORT_TIMEOUT_MS);
    wf_health_probe_set_tls (probe, "/nonexistent/ca.pem", true);
    wf_health_result_t result;
    assert_int_equal (wf_health_probe_run (probe, &result), -1);
    assert_non_null (strstr (result.description, "CA file"));
    wf_health_probe_destroy (&probe);
}

//  Runs a statement on its own connection; fails the test when it fails.
static void
s_sql (const char *url, const char *sql)
{
    PGconn *conn = PQconnectdb (url);
    assert_int_equal (PQstatus (conn), CONNECTION_OK);
    PGresult *result = PQexec (conn, sql);
    if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
        fail_msg ("%s: %s", sql, PQresultErrorMessage (result));
    PQclear (result);
    PQfinish (conn);
}

//  The AMQP backlog counts a row waiting for "amqp" and its age; a database without an outbox
//  is an error that keeps the connection (the next probe is healthy on it).
static void
test_backlog (void **state)
{
    const char *url = s_env ("WF_PG_URL");
    //  The outbox must exist: on a fresh test stack no server has migrated yet.
    PGconn *migrate = PQconnectdb (url);
    char err[512];
    assert_true (wf_migrate_apply (migrate, err, sizeof err) > 0);
    PQfinish (migrate);
    wf_health_probe_t *probe = wf_health_probe_new (WF_HEALTH_POSTGRES, url, 0);
    //  Due in an hour, so no relay on this server takes it; created an hour ago.
    s_sql (url, "INSERT INTO outbox (message_id, type, payload, destinations, pending, "
                "next_attempt_at, created_at) VALUES ('0badc0de-0000-4000-8000-00000000b10c', "
                "'MoneyDeposited', '{}', '{amqp}', '{amqp}', now () + interval '1 hour', "
                "now () - interval '1 hour')");
    wf_health_backlog_t backlog;
    char error[WF_HEALTH_DESCRIPTION_BYTES_MAX];
    int rc = wf_health_probe_backlog (probe, &backlog, error);
    s_sql (url, "DELETE FROM outbox WHERE message_id = '0badc0de-0000-4000-8000-00000000b10c'");
    if (rc != 0)
        fail_msg ("backlog: %s", error);
    assert_true (backlog.rows >= 1 && backlog.rows <= WF_HEALTH_BACKLOG_ROWS_MAX);
    assert_true (backlog.oldest_age_s >= 3600.0 && backlog.oldest_age_s < 3700.0);
    s_expect (probe, true, WF_HEALTH_PROBE_TIMEOUT_MS);
    wf_health_probe_destroy (&probe);

    char other[512];
    snprintf (other, sizeof other, "%s", url);
    char *slash = strrchr (other, '/');
    assert_non_null (slash);
    snprintf (slash + 1, sizeof other - (size_t) (slash + 1 - other), "postgres");
    probe = wf_health_probe_new (WF_HEALTH_POSTGRES, other, 0);
    assert_int_equal (wf_health_probe_backlog (probe, &backlog, error), -1);
    assert_non_null (strstr (error, "outbox"));
    s_expect (probe, true, WF_HEALTH_PROBE_TIMEOUT_MS);
    wf_health_probe_destroy (&probe);
}

//  Starts the fake broker and reads its endpoint.
static zactor_t *
s_fake_broker (char **endpoint)
{
    zactor_t *fake = zactor_new (wf_health_fake_broker, NULL);
    assert_non_null (fake);
    *endpoint = zstr_recv (fake);
    assert_non_null (*endpoint);
    return fake;
}

//  Sends a command to the fake broker and waits until it is done.
static void
s_fake_command (zactor_t *fake, const char *command, const char *argument)
{
    zstr_sendx (fake, command, argument, NULL);
    zsock_wait (fake);
}

//  Runs a broker probe expecting health and a description that contains text.
static void
s_expect_broker (wf_health_probe_t *probe, bool healthy, const char *text)
{
    wf_health_result_t result;
    wf_health_probe_run (probe, &result);
    if (result.healthy != healthy || !strstr (result.description, text))
        fail_msg ("broker: expected %s with \"%s\", got \"%s\"", healthy ? "up" : "down", text,
                  result.description);
    assert_true (result.duration_us <= (int64_t) (S_SHORT_TIMEOUT_MS + S_SLACK_MS) * 1000);
}

//  A broker answering mmi.service is up, with or without a system worker.
static void
test_broker_up (void **state)
{
    char *endpoint;
    zactor_t *fake = s_fake_broker (&endpoint);
    wf_health_probe_t *probe = wf_health_probe_new (WF_HEALTH_BROKER, endpoint, S_SHORT_TIMEOUT_MS);
    s_expect_broker (probe, true, "200, worker registered");
    s_expect_broker (probe, true, "200");
    s_fake_command (fake, "CODE", "404");
    s_expect_broker (probe, true, "404, no worker");
    //  A malformed reply proves nothing.
    s_fake_command (fake, "CODE", "bad");
    s_expect_broker (probe, false, "no reply within");
    s_fake_command (fake, "CODE", "200");
    s_expect_broker (probe, true, "200");
    wf_health_probe_destroy (&probe);
    zactor_destroy (&fake);
    zstr_free (&endpoint);
}

//  A reply that comes after its probe timed out is never taken for the next probe's.
static void
test_broker_late_reply (void **state)
{
    char *endpoint;
    zactor_t *fake = s_fake_broker (&endpoint);
    wf_health_probe_t *probe = wf_health_probe_new (WF_HEALTH_BROKER, endpoint, S_SHORT_TIMEOUT_MS);
    s_fake_command (fake, "HOLD", NULL);
    s_expect_broker (probe, false, "no reply within 300 ms");
    s_fake_command (fake, "CODE", "404");
    s_fake_command (fake, "RELEASE", NULL); //  the late 404 goes out now
    s_fake_command (fake, "CODE", "200");
    s_expect_broker (probe, true, "200");
    wf_health_probe_destroy (&probe);
    zactor_destroy (&fake);
    zstr_free (&endpoint);
}

//  No broker at all: down within the timeout, every time.
static void
test_broker_absent (void **state)
{
    wf_health_probe_t *probe =
        wf_health_probe_new (WF_HEALTH_BROKER, "tcp://127.0.0.1:1", S_SHORT_TIMEOUT_MS);
    s_expect_broker (probe, false, "no reply within");
    s_expect_broker (probe, false, "no reply within");
    wf_health_probe_destroy (&probe);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_postgres_up),
        cmocka_unit_test (test_redis_up),
        cmocka_unit_test (test_rabbitmq_up),
        cmocka_unit_test (test_connection_dropped_by_server),
        cmocka_unit_test (test_closed_port),
        cmocka_unit_test (test_silent_server),
        cmocka_unit_test (test_invalid_targets),
        cmocka_unit_test (test_rabbitmq_tls_refused),
        cmocka_unit_test (test_backlog),
        cmocka_unit_test (test_broker_up),
        cmocka_unit_test (test_broker_late_reply),
        cmocka_unit_test (test_broker_absent),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
