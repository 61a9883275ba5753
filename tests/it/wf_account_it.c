/*  wf_account_it - account shards, outbox relay and query service against the
    real PostgreSQL (WF_PG_URL), in a database of their own.

    Runs the real actors over inproc: a broker, two shards (plus a second
    worker for shard 0, to prove two writers of one shard are safe), the relay
    and the query service, and checks the wallet opened by UserRegistered, the
    money rules, the transfer saga with its refund, idempotency, concurrency,
    and finally the audit.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wf_account.h"
#include "wf_account_default_id.h"
#include "wf_audit.h"
#include "wf_broker.h"
#include "wf_mdp_client.h"
#include "wf_migrate.h"
#include "wf_query.h"
#include "wf_relay.h"
#include "wf_shard.h"
#include "wf_wire.h"

#define SHARDS  2
#define WAIT_MS 5000

typedef struct {
    char dbname[64];
    char url[512];
    PGconn *conn;
    zactor_t *broker;
    zactor_t *shards[SHARDS + 1];
    zactor_t *relay;
    zactor_t *query;
    wf_broker_config_t broker_config;
    wf_account_config_t account_config[SHARDS + 1];
    wf_relay_config_t relay_config;
    wf_query_config_t query_config;
    wf_mdp_client_t *client;
    wf_buf_t scratch;
    uint64_t next_id;
} fx_t;

static fx_t s_fx;

//  Connects to dbname on the WF_PG_URL server.
static PGconn *
s_connect (const char *dbname)
{
    const char *url = getenv ("WF_PG_URL");
    if (!url)
        fail_msg ("WF_PG_URL is not set: run through deploy/test.sh");
    const char *keys[] = {"dbname", "dbname", NULL};
    const char *values[] = {url, dbname, NULL};
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (PQstatus (conn) != CONNECTION_OK)
        fail_msg ("connect: %s", PQerrorMessage (conn));
    return conn;
}

//  Runs SQL that must succeed; returns the first value of the first row (or "").
static char *
s_sql (const char *sql)
{
    PGresult *res = PQexec (s_fx.conn, sql);
    ExecStatusType st = PQresultStatus (res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg ("%s: %s", sql, PQerrorMessage (s_fx.conn));
    char *value = strdup (PQntuples (res) > 0 ? PQgetvalue (res, 0, 0) : "");
    PQclear (res);
    return value;
}

static void s_random_uuid (char out[37]);
static char ALICE[37], BOB[37], CAROL[37];

static int
s_setup (void **state)
{
    zsys_init ();
    s_random_uuid (ALICE);
    s_random_uuid (BOB);
    s_random_uuid (CAROL);
    snprintf (s_fx.dbname, sizeof s_fx.dbname, "wf_it_account_%d", (int) getpid ());
    PGconn *admin = s_connect ("postgres");
    char sql[160];
    snprintf (sql, sizeof sql, "DROP DATABASE IF EXISTS %s", s_fx.dbname);
    PQclear (PQexec (admin, sql));
    snprintf (sql, sizeof sql, "CREATE DATABASE %s", s_fx.dbname);
    PQclear (PQexec (admin, sql));
    PQfinish (admin);
    s_fx.conn = s_connect (s_fx.dbname);
    char err[512];
    assert_true (wf_migrate_apply (s_fx.conn, err, sizeof err) > 0);
    //  A URL for the actors: the server's URL with our database.
    snprintf (s_fx.url, sizeof s_fx.url, "host=%s port=%s user=%s dbname=%s", PQhost (s_fx.conn),
              PQport (s_fx.conn), PQuser (s_fx.conn), s_fx.dbname);
    s_fx.broker_config =
        (wf_broker_config_t){.endpoint = "inproc://it-broker", .heartbeat_interval_ms = 1000};
    s_fx.broker = zactor_new (wf_broker_actor, &s_fx.broker_config);
    for (int i = 0; i <= SHARDS; i++) {
        //  The extra worker serves shard 0 too.
        s_fx.account_config[i] = (wf_account_config_t){.broker_endpoint = "inproc://it-broker",
                                                       .pg_url = s_fx.url,
                                                       .redis_url = getenv ("WF_REDIS_URL"),
                                                       .shard = i % SHARDS,
                                                       .shards = SHARDS,
                                                       .default_currency = "ARS",
                                                       .policy = WF_ACCOUNT_POLICY_DEFAULT,
                                                       .heartbeat_interval_ms = 1000};
        s_fx.shards[i] = zactor_new (wf_account_actor, &s_fx.account_config[i]);
    }
    s_fx.relay_config = (wf_relay_config_t){.broker_endpoint = "inproc://it-broker",
                                            .pg_url = s_fx.url,
                                            .shards = SHARDS,
                                            .delivery_timeout_ms = 2000};
    s_fx.relay = zactor_new (wf_relay_actor, &s_fx.relay_config);
    s_fx.query_config = (wf_query_config_t){.broker_endpoint = "inproc://it-broker",
                                            .pg_url = s_fx.url,
                                            .redis_url = getenv ("WF_REDIS_URL"),
                                            .heartbeat_interval_ms = 1000};
    s_fx.query = zactor_new (wf_query_actor, &s_fx.query_config);
    s_fx.client = wf_mdp_client_new ("inproc://it-broker");
    wf_buf_init (&s_fx.scratch);
    return 0;
}

static int
s_teardown (void **state)
{
    wf_mdp_client_destroy (&s_fx.client);
    zactor_destroy (&s_fx.relay);
    zactor_destroy (&s_fx.query);
    for (int i = 0; i <= SHARDS; i++)
        zactor_destroy (&s_fx.shards[i]);
    zactor_destroy (&s_fx.broker);
    wf_buf_free (&s_fx.scratch);
    PQfinish (s_fx.conn);
    PGconn *admin = s_connect ("postgres");
    char sql[160];
    snprintf (sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", s_fx.dbname);
    PQclear (PQexec (admin, sql));
    PQfinish (admin);
    return 0;
}

//  Sends a request and waits for its reply; decodes into env/body. The
//  returned message owns the decoded slices.
static zmsg_t *
s_call (const char *service, wf_msg_id_t type, const void *body, wf_envelope_t *env,
        wf_any_msg_t *reply)
{
    uint64_t id = ++s_fx.next_id;
    wf_envelope_t req = {.version = WF_PROTO_VERSION,
                         .type = type,
                         .correlation_id = id,
                         .deadline_ms = wf_clock_ms () + WAIT_MS,
                         .request_id = WF_STR ("it")};
    zmsg_t *msg = zmsg_new ();
    assert_int_equal (wf_wire_append (msg, &req, body, &s_fx.scratch), 0);
    assert_int_equal (wf_mdp_client_send (s_fx.client, service, &msg), 0);
    zpoller_t *poller = zpoller_new (wf_mdp_client_sock (s_fx.client), NULL);
    int64_t end = zclock_mono () + WAIT_MS + 1000;
    zmsg_t *answer = NULL;
    while (!answer && zclock_mono () < end) {
        if (!zpoller_wait (poller, 100))
            continue;
        answer = wf_mdp_client_recv (s_fx.client, NULL);
        wf_codec_err_t err;
        if (answer && (wf_wire_decode (answer, env, reply, &err) != 0 || env->correlation_id != id))
            zmsg_destroy (&answer); //  a stale reply of an earlier test step
    }
    zpoller_destroy (&poller);
    assert_non_null (answer);
    return answer;
}

//  The shard service of an account.
static const char *
s_service (const char *account_id)
{
    static char service[32];
    wf_shard_service (wf_shard_of (account_id, strlen (account_id), SHARDS), service,
                      sizeof service);
    return service;
}

//  Queues UserRegistered for a user in the outbox, as identity does.
static void
s_register (const char *user_id)
{
    char account[37], sql[512];
    wf_account_default_id (user_id, account);
    snprintf (
        sql, sizeof sql,
        "INSERT INTO outbox (type, route_key, payload, destinations, pending) VALUES "
        "('UserRegistered', '%s', '{\"userId\":\"%s\",\"email\":\"x@example.com\","
        "\"firstName\":\"A\",\"lastName\":\"B\",\"occurredAt\":\"2026-11-26T00:00:00.000Z\"}',"
        " '{account}', '{account}')",
        account, user_id);
    free (s_sql (sql));
}

//  Waits until the user's default wallet is readable; returns its balance.
static void
s_await_wallet (const char *user_id)
{
    char account[37];
    wf_account_default_id (user_id, account);
    int64_t end = zclock_mono () + WAIT_MS;
    while (zclock_mono () < end) {
        wf_account_query_t q = {
            .kind = WF_STR ("list"), .user_id = wf_str_c (user_id), .role = WF_STR ("User")};
        wf_envelope_t env;
        wf_any_msg_t *reply = malloc (sizeof *reply);
        zmsg_t *msg = s_call ("query", WF_MSG_ACCOUNT_QUERY, &q, &env, reply);
        bool found = env.type == WF_MSG_ACCOUNT_LIST && reply->account_list.items_count == 1 &&
                     wf_str_eq (reply->account_list.items[0].id, account);
        zmsg_destroy (&msg);
        free (reply);
        if (found)
            return;
        zclock_sleep (20);
    }
    fail_msg ("no wallet for %s", user_id);
}

//  Runs a command; returns the error code (WF_ERR_OK on success) and the
//  balance after it when it was a money command.
static wf_err_t
s_command (const char *kind, const char *account, const char *user, const char *amount,
           const char *dest, const char *key, int64_t *balance_after)
{
    wf_account_command_t cmd = {.kind = wf_str_c (kind),
                                .account_id = wf_str_c (account),
                                .user_id = wf_str_c (user),
                                .role = WF_STR ("User"),
                                .amount = wf_str_c (amount),
                                .destination_account_id = wf_str_c (dest),
                                .idempotency_key = wf_str_c (key),
                                .fingerprint = wf_str_c (amount)};
    if (streq (kind, "suspend") || streq (kind, "reactivate")) {
        cmd.role = WF_STR ("Admin");
        cmd.reason = WF_STR ("test");
    }
    wf_envelope_t env;
    wf_any_msg_t *reply = malloc (sizeof *reply);
    zmsg_t *msg = s_call (s_service (account), WF_MSG_ACCOUNT_COMMAND, &cmd, &env, reply);
    wf_err_t code = env.type == WF_MSG_ERROR ? (wf_err_t) reply->error.code : WF_ERR_OK;
    if (code != WF_ERR_OK && getenv ("WF_TEST_VERBOSE"))
        fprintf (stderr, "%s %s: %s %.*s\n", kind, amount, wf_err_name (code),
                 (int) reply->error.detail.len, reply->error.detail.ptr);
    if (balance_after && env.type == WF_MSG_ACCOUNT_TRANSACTION)
        *balance_after = reply->account_transaction.balance_after;
    zmsg_destroy (&msg);
    free (reply);
    return code;
}

//  The read model's balance of an account.
static int64_t
s_balance (const char *account)
{
    char sql[160];
    snprintf (sql, sizeof sql, "SELECT balance FROM accounts WHERE id = '%s'", account);
    char *text = s_sql (sql);
    int64_t balance = *text ? atoll (text) : -1;
    free (text);
    return balance;
}

//  Waits until an account's balance reaches a value (credits land async).
static void
s_await_balance (const char *account, int64_t want)
{
    int64_t end = zclock_mono () + WAIT_MS;
    while (s_balance (account) != want && zclock_mono () < end)
        zclock_sleep (20);
    assert_int_equal (s_balance (account), want);
}

//  Fresh user ids per run: nothing cached by an earlier run can match them.
static char ALICE[37], BOB[37], CAROL[37];

//  A random version 4 uuid.
static void
s_random_uuid (char out[37])
{
    zuuid_t *uuid = zuuid_new ();
    const char *hex = zuuid_str_canonical (uuid);
    snprintf (out, 37, "%s", hex);
    out[14] = '4'; //  version 4
    out[19] = '8'; //  RFC 4122 variant
    for (char *c = out; *c; c++)
        *c = (char) tolower ((unsigned char) *c);
    zuuid_destroy (&uuid);
}

//  UserRegistered opens exactly one wallet, however often it arrives.
static void
test_wallet_opened_once (void **state)
{
    s_register (ALICE);
    s_await_wallet (ALICE);
    s_register (ALICE); //  a second event for the same user
    free (s_sql ("UPDATE outbox SET pending = destinations, delivered_at = NULL, "
                 "next_attempt_at = now (), lease_until = NULL")); //  and every row redelivered
    int64_t end = zclock_mono () + WAIT_MS;
    char *left = NULL;
    do {
        free (left);
        zclock_sleep (20);
        left = s_sql ("SELECT count (*) FROM outbox WHERE 'account' = ANY (pending)");
    } while (!streq (left, "0") && zclock_mono () < end);
    if (!streq (left, "0")) {
        char *rows = s_sql ("SELECT string_agg (id || ' ' || type || ' attempts ' || attempts || "
                            "' pending ' || pending::text || ' lease ' || coalesce "
                            "(lease_until::text, '-') || ' next ' || next_attempt_at::text, '; ') "
                            "FROM outbox WHERE delivered_at IS NULL");
        fprintf (stderr, "undelivered: %s (now %lld)\n", rows, (long long) wf_clock_ms ());
        free (rows);
    }
    assert_string_equal (left, "0");
    free (left);
    char *count = s_sql ("SELECT count (*) FROM accounts");
    assert_string_equal (count, "1");
    free (count);
    char *events = s_sql ("SELECT count (*) FROM events WHERE type = 'AccountOpened'");
    assert_string_equal (events, "1");
    free (events);
}

//  The original's rules through the shard: deposit, withdraw, funds, owner.
static void
test_money_rules (void **state)
{
    char a[37];
    wf_account_default_id (ALICE, a);
    int64_t balance = -1;
    assert_int_equal (s_command ("deposit", a, ALICE, "1000", "", "", &balance), WF_ERR_OK);
    assert_int_equal (balance, 100000);
    assert_int_equal (s_command ("withdraw", a, ALICE, "400", "", "", &balance), WF_ERR_OK);
    assert_int_equal (balance, 60000);
    assert_int_equal (s_command ("withdraw", a, ALICE, "600.01", "", "", NULL),
                      WF_ERR_INSUFFICIENT_FUNDS);
    assert_int_equal (s_command ("deposit", a, ALICE, "-5", "", "", NULL), WF_ERR_VALIDATION);
    assert_int_equal (s_command ("deposit", a, ALICE, "1.001", "", "", NULL), WF_ERR_VALIDATION);
    assert_int_equal (s_command ("deposit", a, BOB, "1", "", "", NULL), WF_ERR_NOT_FOUND);
    assert_int_equal (s_balance (a), 60000);
}

//  Transfers across shards: debit, credit once; a failed credit is refunded.
static void
test_transfer_saga (void **state)
{
    char a[37], b[37], c[37];
    wf_account_default_id (ALICE, a);
    wf_account_default_id (BOB, b);
    wf_account_default_id (CAROL, c);
    s_register (BOB);
    s_register (CAROL);
    s_await_wallet (BOB);
    s_await_wallet (CAROL);
    int64_t balance = -1;
    assert_int_equal (s_command ("transfer", a, ALICE, "300", b, "", &balance), WF_ERR_OK);
    assert_int_equal (balance, 30000);
    s_await_balance (b, 30000);
    //  Carol's wallet is suspended: the credit fails and Alice is refunded.
    assert_int_equal (s_command ("suspend", c, CAROL, "", "", "", NULL), WF_ERR_OK);
    assert_int_equal (s_command ("transfer", a, ALICE, "100", c, "", &balance), WF_ERR_OK);
    assert_int_equal (balance, 20000);
    s_await_balance (a, 30000);
    assert_int_equal (s_balance (c), 0);
    char *status = s_sql ("SELECT string_agg (status, ',' ORDER BY created_at) FROM transfers");
    assert_string_equal (status, "Completed,Refunded");
    free (status);
    assert_int_equal (s_command ("transfer", a, ALICE, "1", a, "", NULL), WF_ERR_UNPROCESSABLE);
    assert_int_equal (
        s_command ("transfer", a, ALICE, "1", "00000000-0000-4000-8000-000000000000", "", NULL),
        WF_ERR_UNPROCESSABLE);
}

//  The same key twice: one effect, the first answer replayed; another body: refused.
static void
test_idempotency (void **state)
{
    char b[37];
    wf_account_default_id (BOB, b);
    int64_t first = -1, second = -1;
    assert_int_equal (s_command ("deposit", b, BOB, "10", "", "key-1", &first), WF_ERR_OK);
    assert_int_equal (s_command ("deposit", b, BOB, "10", "", "key-1", &second), WF_ERR_OK);
    assert_int_equal (first, second);
    assert_int_equal (s_balance (b), first);
    assert_int_equal (s_command ("deposit", b, BOB, "11", "", "key-1", NULL),
                      WF_ERR_IDEMPOTENCY_REUSED);
}

//  Many commands at once on shard 0's accounts, served by two workers.
static void
test_two_workers_one_shard (void **state)
{
    char a[37];
    wf_account_default_id (ALICE, a);
    int64_t before = s_balance (a);
    int sent = 200;
    for (int i = 0; i < sent; i++) {
        wf_account_command_t cmd = {.kind = WF_STR ("deposit"),
                                    .account_id = wf_str_c (a),
                                    .user_id = wf_str_c (ALICE),
                                    .role = WF_STR ("User"),
                                    .amount = WF_STR ("1")};
        wf_envelope_t env = {.version = WF_PROTO_VERSION,
                             .type = WF_MSG_ACCOUNT_COMMAND,
                             .correlation_id = 1000000 + (uint64_t) i,
                             .deadline_ms = wf_clock_ms () + WAIT_MS};
        zmsg_t *msg = zmsg_new ();
        assert_int_equal (wf_wire_append (msg, &env, &cmd, &s_fx.scratch), 0);
        assert_int_equal (wf_mdp_client_send (s_fx.client, s_service (a), &msg), 0);
    }
    int ok = 0, answered = 0;
    zpoller_t *poller = zpoller_new (wf_mdp_client_sock (s_fx.client), NULL);
    wf_any_msg_t *reply = malloc (sizeof *reply);
    int64_t end = zclock_mono () + 3 * WAIT_MS;
    while (answered < sent && zclock_mono () < end) {
        if (!zpoller_wait (poller, 100))
            continue;
        zmsg_t *answer = wf_mdp_client_recv (s_fx.client, NULL);
        wf_envelope_t env;
        wf_codec_err_t err;
        if (answer && wf_wire_decode (answer, &env, reply, &err) == 0 &&
            env.correlation_id >= 1000000) {
            answered++;
            ok += env.type == WF_MSG_ACCOUNT_TRANSACTION;
        }
        zmsg_destroy (&answer);
    }
    free (reply);
    zpoller_destroy (&poller);
    assert_int_equal (answered, sent);
    //  Every acknowledged deposit is in, none twice.
    assert_int_equal (s_balance (a), before + ok * 100);
    assert_true (ok > 0);
}

//  The query service's balance (Redis-cached reads).
static int64_t
s_query_balance (const char *account, const char *user)
{
    wf_account_query_t q = {.kind = WF_STR ("get"),
                            .user_id = wf_str_c (user),
                            .role = WF_STR ("User"),
                            .account_id = wf_str_c (account)};
    wf_envelope_t env;
    wf_any_msg_t *reply = malloc (sizeof *reply);
    zmsg_t *msg = s_call ("query", WF_MSG_ACCOUNT_QUERY, &q, &env, reply);
    int64_t balance = env.type == WF_MSG_ACCOUNT_INFO ? reply->account_info.balance : -1;
    zmsg_destroy (&msg);
    free (reply);
    return balance;
}

//  A read after an answered command never shows an older balance, cached or
//  not, whichever of shard 0's two workers wrote it.
static void
test_cached_reads_never_stale (void **state)
{
    if (!getenv ("WF_REDIS_URL"))
        fail_msg ("WF_REDIS_URL is not set: run through deploy/test.sh");
    char a[37];
    wf_account_default_id (ALICE, a);
    for (int i = 0; i < 50; i++) {
        int64_t after = -1;
        assert_int_equal (s_query_balance (a, ALICE), s_balance (a)); //  warms the cache
        assert_int_equal (s_command ("deposit", a, ALICE, "0.01", "", "", &after), WF_ERR_OK);
        assert_int_equal (s_query_balance (a, ALICE), after);
    }
    assert_int_equal (s_query_balance (a, BOB), -1); //  the cache keeps ownership
}

//  Every invariant of the event store holds after all of the above.
static void
test_audit (void **state)
{
    int64_t end = zclock_mono () + WAIT_MS;
    char *left = NULL;
    do {
        free (left);
        zclock_sleep (20);
        left = s_sql ("SELECT count (*) FROM transfers WHERE status = 'InFlight'");
    } while (!streq (left, "0") && zclock_mono () < end);
    free (left);
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buffer, &size);
    int violations = wf_audit_run (s_fx.conn, out);
    fclose (out);
    if (violations != 0)
        fprintf (stderr, "%s", buffer);
    free (buffer);
    assert_int_equal (violations, 0);
    //  And it can fail: a forged event breaks conservation.
    free (s_sql ("INSERT INTO events (stream_id, version, type, data, occurred_at) SELECT "
                 "stream_id, max (version) + 1, 'MoneyWithdrawn', jsonb_build_object ('amount', "
                 "1, 'transactionId', gen_random_uuid ()), now () FROM events GROUP BY stream_id "
                 "LIMIT 1"));
    out = open_memstream (&buffer, &size);
    violations = wf_audit_run (s_fx.conn, out);
    fclose (out);
    free (buffer);
    assert_true (violations > 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_wallet_opened_once),
        cmocka_unit_test (test_money_rules),
        cmocka_unit_test (test_transfer_saga),
        cmocka_unit_test (test_idempotency),
        cmocka_unit_test (test_two_workers_one_shard),
        cmocka_unit_test (test_cached_reads_never_stale),
        cmocka_unit_test (test_audit),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
