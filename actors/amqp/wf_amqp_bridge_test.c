/*  wf_amqp_bridge_test - the bridge actor against a real RabbitMQ, through a real broker.

    Each test runs a broker actor and a bridge actor over inproc, sends outbox.deliver rows
    with wf_mdp_client, and reads what reached RabbitMQ with rabbitmq-c consumers (a queue
    bound to walletflow.events with "#", one bound to the MassTransit fanout exchanges).
    Other processes may publish to the same exchanges at the same time: every check looks
    for this test's own message ids and ignores the rest. Faults come from a TCP proxy the
    test can hold (a hung broker) or cut (a lost connection), and from a closed port.

    Needs WF_AMQP_URL (eval "$(deploy/stack.sh env)"); the test fails, not skips, without it.
*/
#include "wf_amqp_bridge.h"
#include "wf_amqp_message.h"
#include "wf_amqp_test_consumer.h"
#include "wf_amqp_test_proxy.h"
#include "wf_broker.h"
#include "wf_events.h"
#include "wf_mdp_client.h"
#include "wf_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <ctype.h>
#include <jansson.h>

#define S_HEARTBEAT_MS 200
#define S_WAIT_MS      WF_AMQP_TEST_WAIT_MS
#define S_ROWS_MAX     600

typedef struct {
    char endpoint[64];
    wf_broker_config_t broker_config;
    zactor_t *broker;
    wf_amqp_bridge_config_t bridge_config;
    zactor_t *bridge;
    char amqp_url[1400];
    wf_mdp_client_t *client;
    wf_buf_t scratch;
    uint64_t correlation_id;
} s_fixture_t;

static int s_sequence;

//  The RabbitMQ URL of the stack; fails the test when unset.
static const char *
s_amqp_url (void)
{
    const char *url = getenv ("WF_AMQP_URL");
    if (!url || !*url)
        fail_msg ("WF_AMQP_URL is not set: eval \"$(deploy/stack.sh env)\" after "
                  "deploy/stack.sh start");
    return url;
}

//  Asks the bridge for its metrics text (caller frees).
static char *
s_metrics (s_fixture_t *f)
{
    zstr_send (f->bridge, "METRICS");
    return zstr_recv (f->bridge);
}

//  Waits until the bridge's metrics contain needle; fails after S_WAIT_MS.
static void
s_wait_metric (s_fixture_t *f, const char *needle)
{
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (true) {
        char *text = s_metrics (f);
        bool found = text && strstr (text, needle);
        if (!found && zclock_mono () >= end)
            fail_msg ("metrics never showed \"%s\":\n%s", needle, text ? text : "");
        zstr_free (&text);
        if (found)
            return;
        zclock_sleep (20);
    }
}

//  Starts a broker and a bridge reaching RabbitMQ at url.
static s_fixture_t *
s_start (const char *url, int confirm_timeout_ms)
{
    s_fixture_t *f = (s_fixture_t *) calloc (1, sizeof (s_fixture_t));
    snprintf (f->endpoint, sizeof f->endpoint, "inproc://amqp-bridge-test-%d", ++s_sequence);
    snprintf (f->amqp_url, sizeof f->amqp_url, "%s", url);
    f->broker_config = (wf_broker_config_t){.endpoint = f->endpoint,
                                            .heartbeat_interval_ms = S_HEARTBEAT_MS,
                                            .request_timeout_ms = S_WAIT_MS};
    f->broker = zactor_new (wf_broker_actor, &f->broker_config);
    f->bridge_config = (wf_amqp_bridge_config_t){.broker_endpoint = f->endpoint,
                                                 .amqp_url = f->amqp_url,
                                                 .heartbeat_interval_ms = S_HEARTBEAT_MS,
                                                 .connect_timeout_ms = 1000,
                                                 .confirm_timeout_ms = confirm_timeout_ms,
                                                 .backoff_min_ms = 50,
                                                 .backoff_max_ms = 400};
    f->bridge = zactor_new (wf_amqp_bridge_actor, &f->bridge_config);
    assert_non_null (f->broker);
    assert_non_null (f->bridge);
    f->client = wf_mdp_client_new (f->endpoint);
    assert_non_null (f->client);
    wf_buf_init (&f->scratch);
    return f;
}

//  Stops what s_start started.
static void
s_stop (s_fixture_t *f)
{
    wf_mdp_client_destroy (&f->client);
    zactor_destroy (&f->bridge);
    zactor_destroy (&f->broker);
    wf_buf_free (&f->scratch);
    free (f);
}

//  A fresh lower-case uuid text.
static void
s_uuid (char out[WF_AMQP_UUID_TEXT_BYTES])
{
    zuuid_t *uuid = zuuid_new ();
    snprintf (out, WF_AMQP_UUID_TEXT_BYTES, "%s", zuuid_str_canonical (uuid));
    for (char *p = out; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    zuuid_destroy (&uuid);
}

//  Sends one outbox.deliver row to the amqp service; returns its correlation id.
static uint64_t
s_send (s_fixture_t *f, const char *message_id, const char *type, const char *payload, int attempt)
{
    wf_envelope_t env = {.version = WF_PROTO_VERSION,
                         .type = WF_MSG_OUTBOX_DELIVER,
                         .correlation_id = ++f->correlation_id,
                         .deadline_ms = wf_clock_ms () + S_WAIT_MS,
                         .request_id = WF_STR ("bridge-test")};
    wf_outbox_deliver_t row = {.message_id = wf_str_c (message_id),
                               .outbox_id = (int64_t) f->correlation_id,
                               .type = wf_str_c (type),
                               .destination = WF_STR ("amqp"),
                               .payload = wf_str_c (payload),
                               .occurred_at_ms = 1795723199456LL,
                               .attempt = attempt};
    zmsg_t *msg = zmsg_new ();
    assert_int_equal (wf_wire_append (msg, &env, &row, &f->scratch), 0);
    assert_int_equal (wf_mdp_client_send (f->client, WF_AMQP_SERVICE, &msg), 0);
    return env.correlation_id;
}

//  One reply: its correlation id, and the error code (WF_ERR_OK for outbox.ack).
typedef struct {
    uint64_t correlation_id;
    int64_t code;
    char message_id[64];
} s_reply_t;

//  Receives n replies (any order) within S_WAIT_MS.
static void
s_replies (s_fixture_t *f, size_t n, s_reply_t *replies)
{
    zpoller_t *poller = zpoller_new (wf_mdp_client_sock (f->client), NULL);
    int64_t end = zclock_mono () + S_WAIT_MS;
    size_t got = 0;
    wf_any_msg_t *body = (wf_any_msg_t *) calloc (1, sizeof (wf_any_msg_t));
    while (got < n) {
        int64_t left = end - zclock_mono ();
        if (left <= 0 || !zpoller_wait (poller, (int) left))
            fail_msg ("only %zu of %zu replies within %d ms", got, n, S_WAIT_MS);
        zmsg_t *reply;
        while (got < n && (reply = wf_mdp_client_recv (f->client, NULL))) {
            wf_envelope_t env;
            wf_codec_err_t err;
            assert_int_equal (wf_wire_decode (reply, &env, body, &err), 0);
            replies[got].correlation_id = env.correlation_id;
            if (env.type == WF_MSG_OUTBOX_ACK) {
                replies[got].code = WF_ERR_OK;
                snprintf (replies[got].message_id, sizeof replies[got].message_id, "%.*s",
                          (int) body->outbox_ack.message_id.len, body->outbox_ack.message_id.ptr);
            } else {
                assert_int_equal (env.type, WF_MSG_ERROR);
                replies[got].code = body->error.code;
            }
            got++;
            zmsg_destroy (&reply);
        }
    }
    free (body);
    zpoller_destroy (&poller);
}

//  Fails unless every reply has this code.
static void
s_expect_all (const s_reply_t *replies, size_t n, int64_t code)
{
    for (size_t i = 0; i < n; i++)
        if (replies[i].code != code)
            fail_msg ("reply %zu (correlation %llu): code %lld, expected %lld", i,
                      (unsigned long long) replies[i].correlation_id, (long long) replies[i].code,
                      (long long) code);
}

//  The value of one series in the bridge's metrics (0 when absent).
static double
s_metric_value (s_fixture_t *f, const char *series)
{
    char *text = s_metrics (f);
    char needle[256];
    snprintf (needle, sizeof needle, "\n%s ", series);
    const char *at = text ? strstr (text, needle) : NULL;
    double value = at ? strtod (at + strlen (needle), NULL) : 0;
    zstr_free (&text);
    return value;
}

//  Waits until a series reaches at least min; fails after S_WAIT_MS.
static void
s_wait_value (s_fixture_t *f, const char *series, double min)
{
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (s_metric_value (f, series) < min) {
        if (zclock_mono () >= end)
            fail_msg ("%s never reached %g", series, min);
        zclock_sleep (20);
    }
}

//  The payloads of one of each event, for one set of ids.
static void
s_payload (char *out, size_t size, const char *type, const char *user, const char *account)
{
    if (streq (type, WF_EVENT_USER_REGISTERED))
        snprintf (out, size,
                  "{\"userId\":\"%s\",\"email\":\"ada@example.com\",\"firstName\":\"Ada\","
                  "\"lastName\":\"Lovelace\",\"occurredAt\":\"2026-11-26T19:59:59.456Z\"}",
                  user);
    else if (streq (type, WF_EVENT_ACCOUNT_OPENED))
        snprintf (out, size,
                  "{\"accountId\":\"%s\",\"ownerId\":\"%s\",\"accountNumber\":\"WF-1\","
                  "\"currency\":\"USD\",\"isDefault\":true,\"occurredAt\":\"t\"}",
                  account, user);
    else if (streq (type, WF_EVENT_TRANSFER_SENT))
        snprintf (out, size,
                  "{\"transactionId\":\"x\",\"accountId\":\"%s\",\"destinationAccountId\":\"d\","
                  "\"ownerId\":\"%s\",\"amount\":10050,\"currency\":\"ARS\",\"balanceAfter\":5,"
                  "\"description\":\"rent\",\"occurredAt\":\"t\"}",
                  account, user);
    else
        snprintf (out, size,
                  "{\"transactionId\":\"x\",\"accountId\":\"%s\",\"ownerId\":\"%s\",\"amount\":"
                  "250,\"currency\":\"JPY\",\"balanceAfter\":1000,\"description\":null,"
                  "\"occurredAt\":\"t\"}",
                  account, user);
}

static const char *const s_mt_exchanges[] = {
    "WalletFlow.Contracts.Events:UserRegisteredIntegrationEvent",
    "WalletFlow.Contracts.Events:AccountCreatedIntegrationEvent",
    "WalletFlow.Contracts.Events:MoneyTransferredIntegrationEvent"};
static const char *const s_topic_exchange[] = {"walletflow.events"};

//  Checks the topic message of a row as a consumer received it.
static void
s_check_topic (wf_amqp_test_received_t *r, const char *type, const char *key)
{
    assert_string_equal (r->exchange, "walletflow.events");
    assert_string_equal (r->routing_key, key);
    assert_string_equal (r->content_type, "application/json");
    assert_string_equal (r->type, type);
    assert_string_equal (r->app_id, "walletflow");
    assert_int_equal (r->delivery_mode, 2);
    assert_int_equal (r->timestamp, 1795723199);
    assert_non_null (r->body);
}

//  Checks the MassTransit copy of a row as a consumer received it.
static void
s_check_masstransit (wf_amqp_test_received_t *r, const char *exchange, const char *message_id)
{
    char urn[300];
    snprintf (urn, sizeof urn, "urn:message:%s", exchange);
    assert_string_equal (r->exchange, exchange);
    assert_string_equal (r->routing_key, "");
    assert_string_equal (r->content_type, "application/vnd.masstransit+json");
    assert_string_equal (r->type, "");
    assert_int_equal (r->delivery_mode, 2);
    assert_non_null (r->body);
    assert_string_equal (json_string_value (json_object_get (r->body, "messageId")), message_id);
    assert_string_equal (
        json_string_value (json_array_get (json_object_get (r->body, "messageType"), 0)), urn);
    assert_true (json_is_object (json_object_get (r->body, "host")));
}

//  Every event reaches the topic exchange with its properties, the three MassTransit events
//  their fanout exchanges too, and each row is acknowledged; TransferCreditFailed is only
//  acknowledged.
static void
test_rows_reach_both_exchanges (void **state)
{
    s_fixture_t *f = s_start (s_amqp_url (), 0);
    s_wait_metric (f, "wf_amqp_connection_up 1");
    wf_amqp_test_consumer_t *topic =
        wf_amqp_test_consumer_new (s_amqp_url (), s_topic_exchange, 1, "#");
    wf_amqp_test_consumer_t *mt = wf_amqp_test_consumer_new (s_amqp_url (), s_mt_exchanges, 3, "");
    static const char *const types[] = {WF_EVENT_USER_REGISTERED, WF_EVENT_ACCOUNT_OPENED,
                                        WF_EVENT_TRANSFER_SENT, WF_EVENT_MONEY_DEPOSITED,
                                        WF_EVENT_TRANSFER_CREDIT_FAILED};
    static const char *const keys[] = {"identity.user.registered", "finance.account.opened",
                                       "finance.transfer.sent", "finance.money.deposited"};
    char ids[5][WF_AMQP_UUID_TEXT_BYTES], user[WF_AMQP_UUID_TEXT_BYTES], payload[1024];
    char account[WF_AMQP_UUID_TEXT_BYTES];
    s_uuid (user);
    s_uuid (account);
    for (int i = 0; i < 5; i++) {
        s_uuid (ids[i]);
        s_payload (payload, sizeof payload, types[i], user, account);
        assert_int_equal (s_send (f, ids[i], types[i], payload, 1), (uint64_t) i + 1);
    }
    s_reply_t replies[5];
    s_replies (f, 5, replies);
    s_expect_all (replies, 5, WF_ERR_OK);
    for (int i = 0; i < 5; i++)
        assert_string_equal (replies[i].message_id, ids[replies[i].correlation_id - 1]);
    wf_amqp_test_received_t r;
    for (int i = 0; i < 4; i++) {
        wf_amqp_test_consume_id (topic, ids[i], &r);
        s_check_topic (&r, types[i], keys[i]);
        if (i >= 2) {
            const char *display = i == 2 ? "100.50 ARS" : "250 JPY";
            assert_string_equal (json_string_value (json_object_get (r.body, "amountDisplay")),
                                 display);
            assert_true (json_is_integer (json_object_get (r.body, "amount")));
        } else
            assert_null (json_object_get (r.body, "amountDisplay"));
        json_decref (r.body);
    }
    for (int i = 0; i < 3; i++) {
        char mt_id[WF_AMQP_UUID_TEXT_BYTES];
        wf_amqp_uuid_derive ("walletflow.masstransit.messageId", wf_str_c (ids[i]), mt_id);
        wf_amqp_test_consume_id (mt, mt_id, &r);
        s_check_masstransit (&r, s_mt_exchanges[i], mt_id);
        json_t *message = json_object_get (r.body, "message");
        if (i == 0)
            assert_string_equal (json_string_value (json_object_get (message, "userId")), user);
        if (i == 1)
            assert_string_equal (json_string_value (json_object_get (message, "accountId")),
                                 account);
        if (i == 2)
            assert_string_equal (json_string_value (json_object_get (message, "amount")), "100.50");
        json_decref (r.body);
    }
    assert_int_equal (s_metric_value (f, "wf_amqp_deliveries_total{result=\"skipped\"}"), 1);
    assert_int_equal (s_metric_value (f, "wf_amqp_deliveries_total{result=\"acked\"}"), 4);
    assert_int_equal (s_metric_value (f, "wf_amqp_published_total{kind=\"topic\"}"), 4);
    assert_int_equal (s_metric_value (f, "wf_amqp_published_total{kind=\"masstransit\"}"), 3);
    assert_int_equal (s_metric_value (f, "wf_amqp_confirms_total{result=\"ack\"}"), 7);
    assert_int_equal (s_metric_value (f, "wf_amqp_confirm_latency_seconds_count"), 4);
    wf_amqp_test_consumer_destroy (&topic);
    wf_amqp_test_consumer_destroy (&mt);
    s_stop (f);
}

//  A row delivered again (the relay's retry) is published again with the same message ids.
static void
test_redelivery_keeps_message_id (void **state)
{
    s_fixture_t *f = s_start (s_amqp_url (), 0);
    s_wait_metric (f, "wf_amqp_connection_up 1");
    wf_amqp_test_consumer_t *topic =
        wf_amqp_test_consumer_new (s_amqp_url (), s_topic_exchange, 1, "#");
    wf_amqp_test_consumer_t *mt = wf_amqp_test_consumer_new (s_amqp_url (), s_mt_exchanges, 3, "");
    char id[WF_AMQP_UUID_TEXT_BYTES], mt_id[WF_AMQP_UUID_TEXT_BYTES], payload[1024];
    s_uuid (id);
    s_payload (payload, sizeof payload, WF_EVENT_USER_REGISTERED, "u", "a");
    wf_amqp_uuid_derive ("walletflow.masstransit.messageId", wf_str_c (id), mt_id);
    for (int attempt = 1; attempt <= 2; attempt++) {
        s_send (f, id, WF_EVENT_USER_REGISTERED, payload, attempt);
        s_reply_t reply;
        s_replies (f, 1, &reply);
        s_expect_all (&reply, 1, WF_ERR_OK);
    }
    for (int copy = 0; copy < 2; copy++) {
        wf_amqp_test_received_t r;
        wf_amqp_test_consume_id (topic, id, &r);
        s_check_topic (&r, WF_EVENT_USER_REGISTERED, "identity.user.registered");
        json_decref (r.body);
        wf_amqp_test_consume_id (mt, mt_id, &r);
        s_check_masstransit (&r, s_mt_exchanges[0], mt_id);
        json_decref (r.body);
    }
    wf_amqp_test_consumer_destroy (&topic);
    wf_amqp_test_consumer_destroy (&mt);
    s_stop (f);
}

//  Hundreds of rows in flight at once are all confirmed, acknowledged and delivered.
static void
test_many_rows_pipelined (void **state)
{
    s_fixture_t *f = s_start (s_amqp_url (), 0);
    s_wait_metric (f, "wf_amqp_connection_up 1");
    wf_amqp_test_consumer_t *topic =
        wf_amqp_test_consumer_new (s_amqp_url (), s_topic_exchange, 1, "#");
    size_t n = 500;
    char (*ids)[WF_AMQP_UUID_TEXT_BYTES] = calloc (n, WF_AMQP_UUID_TEXT_BYTES);
    zhashx_t *expected = zhashx_new ();
    char payload[1024];
    s_payload (payload, sizeof payload, WF_EVENT_MONEY_WITHDRAWN, "u", "a");
    int64_t start = zclock_usecs ();
    for (size_t i = 0; i < n; i++) {
        s_uuid (ids[i]);
        zhashx_insert (expected, ids[i], ids[i]);
        s_send (f, ids[i], WF_EVENT_MONEY_WITHDRAWN, payload, 1);
    }
    s_reply_t *replies = (s_reply_t *) calloc (n, sizeof (s_reply_t));
    s_replies (f, n, replies);
    s_expect_all (replies, n, WF_ERR_OK);
    print_message ("%zu rows confirmed and acknowledged in %.1f ms\n", n,
                   (double) (zclock_usecs () - start) / 1000);
    int64_t end = zclock_mono () + S_WAIT_MS;
    wf_amqp_test_received_t r;
    while (zhashx_size (expected) > 0 && zclock_mono () < end)
        if (wf_amqp_test_consume (topic, 200, &r)) {
            zhashx_delete (expected, r.message_id);
            json_decref (r.body);
        }
    assert_int_equal (zhashx_size (expected), 0);
    assert_int_equal (s_metric_value (f, "wf_amqp_confirms_total{result=\"ack\"}"), n);
    assert_int_equal (s_metric_value (f, "wf_amqp_in_flight"), 0);
    zhashx_destroy (&expected);
    free (replies);
    free (ids);
    wf_amqp_test_consumer_destroy (&topic);
    s_stop (f);
}

//  Rows that can never be published, and other messages, are refused with their own codes.
static void
test_bad_rows_refused (void **state)
{
    s_fixture_t *f = s_start (s_amqp_url (), 0);
    s_wait_metric (f, "wf_amqp_connection_up 1");
    s_send (f, "bad-json", WF_EVENT_MONEY_DEPOSITED, "{\"amount\":", 1);
    s_send (f, "bad-type", "NoSuchEvent", "{}", 1);
    s_send (f, "bad-money", WF_EVENT_MONEY_DEPOSITED, "{\"amount\":1.5,\"currency\":\"USD\"}", 1);
    s_reply_t replies[3];
    s_replies (f, 3, replies);
    s_expect_all (replies, 3, WF_ERR_UNPROCESSABLE);
    wf_envelope_t env = {.version = WF_PROTO_VERSION,
                         .type = WF_MSG_SYSTEM_INFO,
                         .correlation_id = 99,
                         .deadline_ms = wf_clock_ms () + S_WAIT_MS};
    wf_system_info_t info = {.probe = WF_STR ("x")};
    zmsg_t *msg = zmsg_new ();
    assert_int_equal (wf_wire_append (msg, &env, &info, &f->scratch), 0);
    assert_int_equal (wf_mdp_client_send (f->client, WF_AMQP_SERVICE, &msg), 0);
    s_replies (f, 1, replies);
    assert_int_equal (replies[0].correlation_id, 99);
    assert_int_equal (replies[0].code, WF_ERR_BAD_REQUEST);
    assert_int_equal (s_metric_value (f, "wf_amqp_deliveries_total{result=\"rejected\"}"), 3);
    s_stop (f);
}

//  A free loopback port nobody listens on.
static int
s_closed_port (void)
{
    zsock_t *probe = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (probe, "tcp://127.0.0.1:*");
    zsock_destroy (&probe);
    assert_true (port > 0);
    return port;
}

//  RabbitMQ unreachable: every row fails at once with UNAVAILABLE, none is ever acked.
static void
test_unreachable_rabbitmq_never_acks (void **state)
{
    wf_amqp_endpoint_t endpoint;
    char error[256], url[1400];
    assert_int_equal (wf_amqp_endpoint_parse (s_amqp_url (), &endpoint, error, sizeof error), 0);
    snprintf (url, sizeof url, "amqp://%s:%s@127.0.0.1:%d/", endpoint.user, endpoint.password,
              s_closed_port ());
    s_fixture_t *f = s_start (url, 0);
    s_wait_value (f, "wf_amqp_connects_total{result=\"failed\"}", 2);
    assert_int_equal (s_metric_value (f, "wf_amqp_connection_up"), 0);
    char payload[1024], id[WF_AMQP_UUID_TEXT_BYTES];
    s_payload (payload, sizeof payload, WF_EVENT_USER_REGISTERED, "u", "a");
    int64_t start = zclock_mono ();
    for (int i = 0; i < 20; i++) {
        s_uuid (id);
        s_send (f, id, WF_EVENT_USER_REGISTERED, payload, 1);
    }
    s_reply_t replies[20];
    s_replies (f, 20, replies);
    s_expect_all (replies, 20, WF_ERR_UNAVAILABLE);
    assert_true (zclock_mono () - start < 2000);
    assert_int_equal (s_metric_value (f, "wf_amqp_deliveries_total{result=\"acked\"}"), 0);
    assert_int_equal (s_metric_value (f, "wf_amqp_deliveries_total{result=\"failed\"}"), 20);
    s_stop (f);
}

//  Starts a bridge reaching RabbitMQ through a proxy; returns the proxy.
static zactor_t *
s_start_proxied (s_fixture_t **f_p, int *upstream_port, int confirm_timeout_ms)
{
    wf_amqp_endpoint_t endpoint;
    char error[256], url[1400];
    assert_int_equal (wf_amqp_endpoint_parse (s_amqp_url (), &endpoint, error, sizeof error), 0);
    *upstream_port = endpoint.port;
    zactor_t *proxy = zactor_new (wf_amqp_test_proxy_actor, upstream_port);
    assert_non_null (proxy);
    zstr_send (proxy, "PORT");
    char *port = zstr_recv (proxy);
    snprintf (url, sizeof url, "amqp://%s:%s@127.0.0.1:%s/%s", endpoint.user, endpoint.password,
              port, streq (endpoint.vhost, "/") ? "" : endpoint.vhost);
    zstr_free (&port);
    *f_p = s_start (url, confirm_timeout_ms);
    s_wait_metric (*f_p, "wf_amqp_connection_up 1");
    return proxy;
}

//  Sends n rows with the given ids; expects every reply to carry code.
static void
s_send_rows (s_fixture_t *f, char (*ids)[WF_AMQP_UUID_TEXT_BYTES], size_t n, int attempt,
             int64_t code)
{
    char payload[1024];
    s_payload (payload, sizeof payload, WF_EVENT_TRANSFER_SENT, "u", "a");
    for (size_t i = 0; i < n; i++)
        s_send (f, ids[i], WF_EVENT_TRANSFER_SENT, payload, attempt);
    s_reply_t replies[16];
    assert_true (n <= 16);
    s_replies (f, n, replies);
    s_expect_all (replies, n, code);
}

//  A broker that stops answering: rows in flight fail after the confirm timeout (never
//  acked), the bridge reconnects once the broker answers again, and the retried rows arrive.
static void
test_hung_broker_fails_rows_then_recovers (void **state)
{
    s_fixture_t *f;
    int upstream_port;
    zactor_t *proxy = s_start_proxied (&f, &upstream_port, 500);
    wf_amqp_test_consumer_t *topic =
        wf_amqp_test_consumer_new (s_amqp_url (), s_topic_exchange, 1, "#");
    char ids[10][WF_AMQP_UUID_TEXT_BYTES];
    for (int i = 0; i < 10; i++)
        s_uuid (ids[i]);
    zstr_send (proxy, "HOLD");
    zsock_wait (proxy);
    int64_t start = zclock_mono ();
    s_send_rows (f, ids, 10, 1, WF_ERR_UNAVAILABLE);
    int64_t elapsed = zclock_mono () - start;
    assert_true (elapsed >= 450 && elapsed < 3000);
    assert_int_equal (s_metric_value (f, "wf_amqp_deliveries_total{result=\"acked\"}"), 0);
    assert_int_equal (s_metric_value (f, "wf_amqp_connection_up"), 0);
    zstr_send (proxy, "PASS");
    zsock_wait (proxy);
    s_wait_value (f, "wf_amqp_connects_total{result=\"ok\"}", 2);
    s_send_rows (f, ids, 10, 2, WF_ERR_OK);
    for (int i = 0; i < 10; i++) {
        wf_amqp_test_received_t r;
        wf_amqp_test_consume_id (topic, ids[i], &r);
        json_decref (r.body);
    }
    wf_amqp_test_consumer_destroy (&topic);
    s_stop (f);
    zactor_destroy (&proxy);
}

//  A connection cut under an idle bridge is noticed and replaced; rows flow again.
static void
test_cut_connection_reconnects (void **state)
{
    s_fixture_t *f;
    int upstream_port;
    zactor_t *proxy = s_start_proxied (&f, &upstream_port, 0);
    char ids[3][WF_AMQP_UUID_TEXT_BYTES];
    for (int i = 0; i < 3; i++)
        s_uuid (ids[i]);
    s_send_rows (f, ids, 1, 1, WF_ERR_OK);
    zstr_send (proxy, "CUT");
    zsock_wait (proxy);
    s_wait_value (f, "wf_amqp_connects_total{result=\"ok\"}", 2);
    s_wait_metric (f, "wf_amqp_connection_up 1");
    s_send_rows (f, ids + 1, 2, 1, WF_ERR_OK);
    s_stop (f);
    zactor_destroy (&proxy);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_rows_reach_both_exchanges),
        cmocka_unit_test (test_redelivery_keeps_message_id),
        cmocka_unit_test (test_many_rows_pipelined),
        cmocka_unit_test (test_bad_rows_refused),
        cmocka_unit_test (test_unreachable_rabbitmq_never_acks),
        cmocka_unit_test (test_hung_broker_fails_rows_then_recovers),
        cmocka_unit_test (test_cut_connection_reconnects),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
