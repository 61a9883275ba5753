/*  wf_notifier_test - the real notifier actor behind a real broker, over inproc.

    A subscriber on the notifier's PUB endpoint sees what it publishes; an
    MDP client plays the outbox relay. Every receive has a timeout.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wf_broker.h"
#include "wf_mdp_client.h"
#include "wf_notifier.h"
#include "wf_wire.h"

#define RECV_MS     3000
#define QUIET_MS    200
#define OWNER       "3f0c6a3e-2d4b-4c55-9d0e-0a1b2c3d4e5f"
#define OTHER_OWNER "11111111-2d4b-4c55-9d0e-0a1b2c3d4e5f"

typedef struct {
    wf_broker_config_t broker_config;
    wf_notifier_config_t config;
    zactor_t *broker;
    zactor_t *notifier;
    wf_mdp_client_t *client;
    zsock_t *subscriber;
    char broker_endpoint[64];
    char publish_endpoint[64];
    wf_buf_t scratch;
    wf_any_msg_t body;
    uint64_t correlation;
} fixture_t;

static int s_fixture_seq;

static int
s_setup (void **state)
{
    fixture_t *f = (fixture_t *) calloc (1, sizeof (fixture_t));
    int seq = ++s_fixture_seq;
    snprintf (f->broker_endpoint, sizeof f->broker_endpoint, "inproc://notifier-broker-%d", seq);
    snprintf (f->publish_endpoint, sizeof f->publish_endpoint, "inproc://notifier-pub-%d", seq);
    f->broker_config.endpoint = f->broker_endpoint;
    f->broker_config.heartbeat_interval_ms = 100;
    f->broker = zactor_new (wf_broker_actor, &f->broker_config);
    f->config.broker_endpoint = f->broker_endpoint;
    f->config.publish_endpoint = f->publish_endpoint;
    f->config.dedup_capacity = 4;
    f->config.heartbeat_interval_ms = 100;
    f->notifier = zactor_new (wf_notifier_actor, &f->config);
    f->subscriber = zsock_new_sub (f->publish_endpoint, OWNER);
    zsock_set_rcvtimeo (f->subscriber, RECV_MS);
    f->client = wf_mdp_client_new (f->broker_endpoint);
    wf_buf_init (&f->scratch);
    assert_non_null (f->broker);
    assert_non_null (f->notifier);
    assert_non_null (f->subscriber);
    assert_non_null (f->client);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_destroy (&f->client);
    zsock_destroy (&f->subscriber);
    zactor_destroy (&f->notifier);
    zactor_destroy (&f->broker);
    wf_buf_free (&f->scratch);
    free (f);
    return 0;
}

//  Sends one message to the notifier service and returns the decoded reply's
//  type (the body lands in f->body), or WF_MSG_NONE on timeout.
static wf_msg_id_t
s_request (fixture_t *f, wf_msg_id_t type, const void *body, zmsg_t **reply_p)
{
    wf_envelope_t env = {.version = WF_PROTO_VERSION,
                         .type = type,
                         .correlation_id = ++f->correlation,
                         .deadline_ms = wf_clock_ms () + RECV_MS};
    zmsg_t *request = zmsg_new ();
    assert_int_equal (wf_wire_append (request, &env, body, &f->scratch), 0);
    zmsg_t *reply = wf_mdp_client_request (f->client, "notifier", &request, RECV_MS);
    if (!reply)
        return WF_MSG_NONE;
    wf_envelope_t reply_env;
    wf_codec_err_t err;
    assert_int_equal (wf_wire_decode (reply, &reply_env, &f->body, &err), 0);
    assert_int_equal (reply_env.correlation_id, f->correlation);
    *reply_p = reply;
    return reply_env.type;
}

//  Delivers one event and expects outbox.ack for it.
static void
s_deliver (fixture_t *f, const char *message_id, const char *type, const char *owner,
           int64_t amount)
{
    char payload[512];
    snprintf (payload, sizeof payload,
              "{\"transactionId\":\"tx-%s\",\"accountId\":\"acc-1\",\"ownerId\":\"%s\","
              "\"amount\":%" PRId64 ",\"currency\":\"EUR\",\"balanceAfter\":%" PRId64 ","
              "\"description\":\"\",\"occurredAt\":\"2026-11-26T20:00:00.123Z\"}",
              message_id, owner, amount, amount * 2);
    wf_outbox_deliver_t deliver = {
        .message_id = wf_str_c (message_id),
        .outbox_id = 1,
        .type = wf_str_c (type),
        .destination = wf_str_c ("notifier"),
        .payload = wf_str_c (payload),
        .occurred_at_ms = wf_clock_ms (),
        .attempt = 1,
    };
    zmsg_t *reply = NULL;
    assert_int_equal (s_request (f, WF_MSG_OUTBOX_DELIVER, &deliver, &reply), WF_MSG_OUTBOX_ACK);
    assert_true (wf_str_eq (f->body.outbox_ack.message_id, message_id));
    zmsg_destroy (&reply);
}

//  Receives one publication: [user id][json].
static void
s_expect_published (fixture_t *f, const char *user, const char *json_part)
{
    char *topic = NULL, *json = NULL;
    assert_int_equal (zsock_recv (f->subscriber, "ss", &topic, &json), 0);
    assert_string_equal (topic, user);
    assert_non_null (strstr (json, json_part));
    zstr_free (&topic);
    zstr_free (&json);
}

//  Asserts nothing more is published to this subscriber for a while.
static void
s_expect_quiet (fixture_t *f)
{
    zpoller_t *poller = zpoller_new (f->subscriber, NULL);
    assert_null (zpoller_wait (poller, QUIET_MS));
    zpoller_destroy (&poller);
}

//  A deposit is published under its owner's id, then acknowledged.
static void
test_deposit_is_published_then_acked (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    s_deliver (f, "m-1", "MoneyDeposited", OWNER, 10050);
    s_expect_published (f, OWNER,
                        "{\"type\":\"Deposit\",\"amount\":100.50,\"currency\":\"EUR\","
                        "\"newBalance\":201.00,");
}

//  A redelivered message is acknowledged but not published again; once
//  it has left the window (capacity 4) it would be published again.
static void
test_redelivery_is_not_published_twice (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    s_deliver (f, "m-1", "MoneyWithdrawn", OWNER, 1);
    s_deliver (f, "m-1", "MoneyWithdrawn", OWNER, 1);
    s_deliver (f, "m-2", "TransferSent", OWNER, 2);
    s_expect_published (f, OWNER, "\"type\":\"Withdrawal\"");
    s_expect_published (f, OWNER, "\"type\":\"TransferSent\"");
    for (int i = 3; i <= 6; i++) {
        char id[16];
        snprintf (id, sizeof id, "m-%d", i);
        s_deliver (f, id, "TransferReceived", OWNER, i);
        s_expect_published (f, OWNER, "\"type\":\"TransferReceived\"");
    }
    s_deliver (f, "m-1", "MoneyWithdrawn", OWNER, 1);
    s_expect_published (f, OWNER, "\"type\":\"Withdrawal\"");
}

//  Another user's notification does not reach this subscriber; events that
//  are not balance changes and unreadable payloads are acked, not published.
static void
test_only_subscribed_users_and_balance_events (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    s_deliver (f, "m-1", "MoneyDeposited", OTHER_OWNER, 5);
    s_deliver (f, "m-2", "AccountOpened", OWNER, 5);
    s_deliver (f, "m-3", "MoneyDeposited", "not an id", 5);
    s_deliver (f, "m-4", "TransferRefunded", OWNER, 7);
    s_expect_published (f, OWNER, "\"type\":\"TransferRefunded\",\"amount\":0.07,");
    s_expect_quiet (f);
    //  The outcomes are counted.
    zstr_send (f->notifier, "METRICS");
    char *text = zstr_recv (f->notifier);
    assert_non_null (text);
    assert_non_null (strstr (text, "wf_notifier_deliveries_total{outcome=\"published\"} 2"));
    assert_non_null (strstr (text, "wf_notifier_deliveries_total{outcome=\"ignored\"} 1"));
    assert_non_null (strstr (text, "wf_notifier_deliveries_total{outcome=\"invalid\"} 1"));
    zstr_free (&text);
}

//  Any other message is answered with an error, and the actor carries on.
static void
test_other_messages_get_an_error (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_system_info_t info = {.probe = wf_str_c ("x")};
    zmsg_t *reply = NULL;
    assert_int_equal (s_request (f, WF_MSG_SYSTEM_INFO, &info, &reply), WF_MSG_ERROR);
    assert_int_equal (f->body.error.code, WF_ERR_BAD_REQUEST);
    zmsg_destroy (&reply);
    s_deliver (f, "m-9", "MoneyDeposited", OWNER, 1);
    s_expect_published (f, OWNER, "\"amount\":0.01,");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_deposit_is_published_then_acked, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_redelivery_is_not_published_twice, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_only_subscribed_users_and_balance_events, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_other_messages_get_an_error, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
