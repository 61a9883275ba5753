/*  wf_amqp_message_test - routing keys, topic bodies, MassTransit envelopes, endpoint URLs.

    Bodies are parsed back with jansson and checked field by field; a few are also checked as
    text where the spelling matters (integers stay integers, decimals keep their scale).
*/
#include "wf_amqp_message.h"
#include "wf_events.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define S_OUTBOX_ID "5b0e6f1c-3d7a-4c2e-9f10-2a4b6c8d0e1f"
#define S_NOW_MS    1795723200123LL //  2026-11-26T20:00:00.123Z
#define S_BASE      "rabbitmq://127.0.0.1:55672"

static const wf_amqp_host_t s_host = {"box",   "walletflow",        42,   "walletflow",
                                      "0.1.0", "rabbitmq-c 0.11.0", NULL, "Unix 6.1.0"};

//  The configuration most tests use: MassTransit on, defaults elsewhere.
static wf_amqp_message_config_t
s_config (void)
{
    return (wf_amqp_message_config_t){.masstransit = true, .address_base = S_BASE, .host = &s_host};
}

//  An outbox.deliver of an event with a payload.
static wf_outbox_deliver_t
s_deliver (const char *type, const char *payload)
{
    return (wf_outbox_deliver_t){.message_id = WF_STR (S_OUTBOX_ID),
                                 .outbox_id = 7,
                                 .type = wf_str_c (type),
                                 .destination = WF_STR ("amqp"),
                                 .payload = wf_str_c (payload),
                                 .occurred_at_ms = 1795723199456LL,
                                 .attempt = 1};
}

//  Builds and expects success; returns the publications (static, reused).
static wf_amqp_publications_t *
s_build (const wf_amqp_message_config_t *config, const char *type, const char *payload,
         size_t count)
{
    static wf_amqp_publications_t *out;
    if (!out)
        out = (wf_amqp_publications_t *) calloc (1, sizeof (wf_amqp_publications_t));
    wf_outbox_deliver_t deliver = s_deliver (type, payload);
    char error[256] = "";
    int rc = wf_amqp_message_build (config, &deliver, S_NOW_MS, out, error, sizeof error);
    if (rc != 0)
        fail_msg ("%s: %s", type, error);
    assert_int_equal (out->count, count);
    return out;
}

//  Parses a publication's body.
static json_t *
s_json (const wf_amqp_publication_t *publication)
{
    json_error_t error;
    json_t *doc = json_loadb (publication->body, publication->body_bytes, 0, &error);
    if (!doc)
        fail_msg ("body is not JSON: %s", error.text);
    return doc;
}

//  The string member of an object (fails when it is not a string).
static const char *
s_text (json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    if (!text)
        fail_msg ("\"%s\" is not a string", key);
    return text;
}

//  True when the body text contains needle.
static bool
s_body_has (const wf_amqp_publication_t *publication, const char *needle)
{
    size_t len = strlen (needle);
    for (size_t i = 0; i + len <= publication->body_bytes; i++)
        if (memcmp (publication->body + i, needle, len) == 0)
            return true;
    return false;
}

//  Every event has its routing key; only three have a MassTransit contract.
static void
test_routes_cover_every_event (void **state)
{
    static const struct {
        const char *event, *key, *mt;
    } cases[] = {
        {WF_EVENT_USER_REGISTERED, "identity.user.registered", "UserRegisteredIntegrationEvent"},
        {WF_EVENT_ACCOUNT_OPENED, "finance.account.opened", "AccountCreatedIntegrationEvent"},
        {WF_EVENT_MONEY_DEPOSITED, "finance.money.deposited", NULL},
        {WF_EVENT_MONEY_WITHDRAWN, "finance.money.withdrawn", NULL},
        {WF_EVENT_TRANSFER_SENT, "finance.transfer.sent", "MoneyTransferredIntegrationEvent"},
        {WF_EVENT_TRANSFER_RECEIVED, "finance.transfer.received", NULL},
        {WF_EVENT_TRANSFER_REFUNDED, "finance.transfer.refunded", NULL},
        {WF_EVENT_ACCOUNT_SUSPENDED, "finance.account.suspended", NULL},
        {WF_EVENT_ACCOUNT_REACTIVATED, "finance.account.reactivated", NULL},
        {WF_EVENT_TRANSFER_CREDIT_FAILED, NULL, NULL},
        {WF_EVENT_HOLD_PLACED, "finance.hold.placed", NULL},
        {WF_EVENT_HOLD_CAPTURED, "finance.hold.captured", NULL},
        {WF_EVENT_HOLD_VOIDED, "finance.hold.voided", NULL},
        {WF_EVENT_HOLD_EXPIRED, "finance.hold.expired", NULL},
        {WF_EVENT_OVERDRAFT_LIMIT_SET, "finance.account.overdraft_limit_set", NULL},
        {WF_EVENT_DEPOSIT_REFUNDED, "finance.deposit.refunded", NULL},
        {WF_EVENT_WITHDRAWAL_REFUNDED, "finance.withdrawal.refunded", NULL},
        {WF_EVENT_TRANSFER_REVERSED, "finance.transfer.reversed", NULL},
    };
    size_t n = sizeof cases / sizeof cases[0];
    assert_int_equal (wf_amqp_route_count (), n);
    for (size_t i = 0; i < n; i++) {
        const wf_amqp_route_t *route = wf_amqp_route_find (wf_str_c (cases[i].event));
        assert_non_null (route);
        assert_ptr_equal (route, wf_amqp_route_at (i));
        if (cases[i].key)
            assert_string_equal (route->routing_key, cases[i].key);
        else
            assert_null (route->routing_key);
        if (cases[i].mt)
            assert_string_equal (route->masstransit_type, cases[i].mt);
        else
            assert_null (route->masstransit_type);
    }
    assert_null (wf_amqp_route_find (WF_STR ("moneydeposited")));
    assert_null (wf_amqp_route_find (WF_STR ("MoneyDeposited ")));
    assert_null (wf_amqp_route_find (WF_STR ("")));
    assert_null (wf_amqp_route_at (n));
}

//  The topic message: properties, fields kept, integers kept, display strings added.
static void
test_topic_message (void **state)
{
    wf_amqp_message_config_t config = s_config ();
    const char *payload = "{\"transactionId\":\"t-1\",\"accountId\":\"a-1\",\"ownerId\":\"u-1\","
                          "\"amount\":10050,\"currency\":\"ARS\",\"balanceAfter\":20000,"
                          "\"description\":\"caf\\u00e9 \\\"x\\\"\",\"occurredAt\":"
                          "\"2026-11-26T19:59:59.456Z\"}";
    wf_amqp_publications_t *out = s_build (&config, WF_EVENT_MONEY_DEPOSITED, payload, 1);
    wf_amqp_publication_t *p = &out->items[0];
    assert_string_equal (p->exchange, "walletflow.events");
    assert_string_equal (p->routing_key, "finance.money.deposited");
    assert_string_equal (p->content_type, "application/json");
    assert_string_equal (p->message_id, S_OUTBOX_ID);
    assert_string_equal (p->type, "MoneyDeposited");
    assert_string_equal (p->app_id, "walletflow");
    assert_int_equal (p->timestamp_s, 1795723199);
    assert_false (p->masstransit);
    json_t *body = s_json (p);
    assert_int_equal (json_object_size (body), 10);
    assert_true (json_is_integer (json_object_get (body, "amount")));
    assert_int_equal (json_integer_value (json_object_get (body, "amount")), 10050);
    assert_int_equal (json_integer_value (json_object_get (body, "balanceAfter")), 20000);
    assert_string_equal (s_text (body, "amountDisplay"), "100.50 ARS");
    assert_string_equal (s_text (body, "balanceAfterDisplay"), "200.00 ARS");
    assert_string_equal (s_text (body, "description"), "caf\xc3\xa9 \"x\"");
    assert_string_equal (s_text (body, "occurredAt"), "2026-11-26T19:59:59.456Z");
    assert_true (s_body_has (p, "\"amount\":10050,"));
    json_decref (body);
    config.exchange = "other.events";
    out = s_build (&config, WF_EVENT_ACCOUNT_SUSPENDED,
                   "{\"accountId\":\"a\",\"ownerId\":\"u\",\"reason\":\"r\",\"occurredAt\":\"t\"}",
                   1);
    assert_string_equal (out->items[0].exchange, "other.events");
    assert_string_equal (out->items[0].routing_key, "finance.account.suspended");
    assert_int_equal (out->items[0].body_bytes,
                      strlen ("{\"accountId\":\"a\",\"ownerId\":\"u\",\"reason\":\"r\","
                              "\"occurredAt\":\"t\"}"));
}

//  Display strings use each currency's own minor digits.
static void
test_display_follows_currency_digits (void **state)
{
    static const struct {
        const char *payload, *display;
    } cases[] = {
        {"{\"amount\":100,\"currency\":\"JPY\"}", "100 JPY"},
        {"{\"amount\":1234,\"currency\":\"KWD\"}", "1.234 KWD"},
        {"{\"amount\":5,\"currency\":\"USD\"}", "0.05 USD"},
        {"{\"amount\":9223372036854775807,\"currency\":\"CLF\"}", "922337203685477.5807 CLF"},
    };
    wf_amqp_message_config_t config = s_config ();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wf_amqp_publications_t *out =
            s_build (&config, WF_EVENT_MONEY_WITHDRAWN, cases[i].payload, 1);
        json_t *body = s_json (&out->items[0]);
        assert_string_equal (s_text (body, "amountDisplay"), cases[i].display);
        assert_null (json_object_get (body, "balanceAfterDisplay"));
        json_decref (body);
    }
}

//  Rows that can never be published are refused with a reason.
static void
test_refusals (void **state)
{
    static const struct {
        const char *type, *payload, *reason;
    } cases[] = {
        {"NoSuchEvent", "{}", "not an integration event"},
        {WF_EVENT_MONEY_DEPOSITED, "", "not a JSON object"},
        {WF_EVENT_MONEY_DEPOSITED, "{\"amount\":1", "not a JSON object"},
        {WF_EVENT_MONEY_DEPOSITED, "[1,2]", "not a JSON object"},
        {WF_EVENT_MONEY_DEPOSITED, "{\"a\":1,\"a\":2}", "not a JSON object"},
        {WF_EVENT_MONEY_DEPOSITED, "{\"amount\":\"100.50\",\"currency\":\"ARS\"}",
         "not an integer"},
        {WF_EVENT_MONEY_DEPOSITED, "{\"amount\":100.5,\"currency\":\"ARS\"}", "not an integer"},
        {WF_EVENT_MONEY_DEPOSITED, "{\"amount\":100}", "no \"currency\""},
        {WF_EVENT_MONEY_DEPOSITED, "{\"amount\":100,\"currency\":\"XYZ\"}", "currency"},
        {WF_EVENT_MONEY_DEPOSITED, "{\"balanceAfter\":1,\"currency\":\"usd\"}", "currency"},
        {WF_EVENT_USER_REGISTERED,
         "{\"userId\":\"u\",\"firstName\":\"A\",\"lastName\":\"B\","
         "\"occurredAt\":\"t\"}",
         "no \"email\""},
        {WF_EVENT_USER_REGISTERED,
         "{\"userId\":\"u\",\"email\":7,\"firstName\":\"A\","
         "\"lastName\":\"B\",\"occurredAt\":\"t\"}",
         "no \"email\""},
    };
    wf_amqp_message_config_t config = s_config ();
    wf_amqp_publications_t *out = (wf_amqp_publications_t *) calloc (1, sizeof *out);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wf_outbox_deliver_t deliver = s_deliver (cases[i].type, cases[i].payload);
        char error[256] = "";
        out->count = 99;
        assert_int_equal (
            wf_amqp_message_build (&config, &deliver, S_NOW_MS, out, error, sizeof error), -1);
        assert_int_equal (out->count, 0);
        if (!strstr (error, cases[i].reason))
            fail_msg ("case %zu: \"%s\" lacks \"%s\"", i, error, cases[i].reason);
    }
    free (out);
}

//  TransferCreditFailed is an internal saga step: acknowledged, nothing published.
static void
test_unmapped_event_publishes_nothing (void **state)
{
    wf_amqp_message_config_t config = s_config ();
    s_build (&config, WF_EVENT_TRANSFER_CREDIT_FAILED, "not even json", 0);
}

//  Checks the members every MassTransit envelope has; returns its message object.
static json_t *
s_check_envelope (json_t *envelope, const char *type)
{
    char entity[256], urn[300], destination[400], message_id[WF_AMQP_UUID_TEXT_BYTES];
    snprintf (entity, sizeof entity, "WalletFlow.Contracts.Events:%s", type);
    snprintf (urn, sizeof urn, "urn:message:%s", entity);
    snprintf (destination, sizeof destination, "%s/%s", S_BASE, entity);
    wf_amqp_uuid_derive ("walletflow.masstransit.messageId", WF_STR (S_OUTBOX_ID), message_id);
    assert_string_equal (s_text (envelope, "messageId"), message_id);
    assert_string_not_equal (s_text (envelope, "conversationId"), message_id);
    static const char *const nulls[] = {"requestId",       "correlationId", "initiatorId",
                                        "responseAddress", "faultAddress",  "expirationTime"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        assert_true (json_is_null (json_object_get (envelope, nulls[i])));
    assert_string_equal (s_text (envelope, "sourceAddress"), S_BASE "/walletflow");
    assert_string_equal (s_text (envelope, "destinationAddress"), destination);
    json_t *types = json_object_get (envelope, "messageType");
    assert_int_equal (json_array_size (types), 1);
    assert_string_equal (json_string_value (json_array_get (types, 0)), urn);
    assert_string_equal (s_text (envelope, "sentTime"), "2026-11-26T20:00:00.123Z");
    assert_true (json_is_object (json_object_get (envelope, "headers")));
    assert_int_equal (json_object_size (json_object_get (envelope, "headers")), 0);
    json_t *host = json_object_get (envelope, "host");
    assert_string_equal (s_text (host, "machineName"), "box");
    assert_string_equal (s_text (host, "processName"), "walletflow");
    assert_int_equal (json_integer_value (json_object_get (host, "processId")), 42);
    assert_string_equal (s_text (host, "assembly"), "walletflow");
    assert_string_equal (s_text (host, "assemblyVersion"), "0.1.0");
    assert_string_equal (s_text (host, "frameworkVersion"), "rabbitmq-c 0.11.0");
    assert_true (json_is_null (json_object_get (host, "massTransitVersion")));
    assert_string_equal (s_text (host, "operatingSystemVersion"), "Unix 6.1.0");
    assert_int_equal (json_object_size (envelope), 15);
    return json_object_get (envelope, "message");
}

//  Checks a MassTransit publication's properties.
static void
s_check_mt_properties (const wf_amqp_publication_t *p, const char *type)
{
    char entity[256], message_id[WF_AMQP_UUID_TEXT_BYTES];
    snprintf (entity, sizeof entity, "WalletFlow.Contracts.Events:%s", type);
    wf_amqp_uuid_derive ("walletflow.masstransit.messageId", WF_STR (S_OUTBOX_ID), message_id);
    assert_string_equal (p->exchange, entity);
    assert_string_equal (p->routing_key, "");
    assert_string_equal (p->content_type, "application/vnd.masstransit+json");
    assert_string_equal (p->message_id, message_id);
    assert_null (p->type);
    assert_null (p->app_id);
    assert_int_equal (p->timestamp_s, 0);
    assert_true (p->masstransit);
}

//  UserRegistered -> UserRegisteredIntegrationEvent, currency from config unless given.
static void
test_masstransit_user_registered (void **state)
{
    wf_amqp_message_config_t config = s_config ();
    const char *payload = "{\"userId\":\"u-1\",\"email\":\"ada@example.com\",\"firstName\":"
                          "\"Ada\",\"lastName\":\"Lovelace\",\"occurredAt\":"
                          "\"2026-11-26T19:59:59.456Z\"}";
    wf_amqp_publications_t *out = s_build (&config, WF_EVENT_USER_REGISTERED, payload, 2);
    assert_string_equal (out->items[0].routing_key, "identity.user.registered");
    s_check_mt_properties (&out->items[1], "UserRegisteredIntegrationEvent");
    json_t *envelope = s_json (&out->items[1]);
    json_t *message = s_check_envelope (envelope, "UserRegisteredIntegrationEvent");
    assert_int_equal (json_object_size (message), 6);
    assert_string_equal (s_text (message, "userId"), "u-1");
    assert_string_equal (s_text (message, "email"), "ada@example.com");
    assert_string_equal (s_text (message, "firstName"), "Ada");
    assert_string_equal (s_text (message, "lastName"), "Lovelace");
    assert_string_equal (s_text (message, "currency"), "ARS");
    assert_string_equal (s_text (message, "registeredAt"), "2026-11-26T19:59:59.456Z");
    assert_true (s_body_has (&out->items[1], "\"messageType\":[\"urn:message:WalletFlow."
                                             "Contracts.Events:UserRegisteredIntegrationEvent\"]"));
    json_decref (envelope);
    config.default_currency = "USD";
    out = s_build (&config, WF_EVENT_USER_REGISTERED, payload, 2);
    envelope = s_json (&out->items[1]);
    assert_string_equal (s_text (json_object_get (envelope, "message"), "currency"), "USD");
    json_decref (envelope);
}

//  AccountOpened -> AccountCreatedIntegrationEvent.
static void
test_masstransit_account_created (void **state)
{
    wf_amqp_message_config_t config = s_config ();
    config.mt_namespace = "Other.Ns";
    const char *payload = "{\"accountId\":\"a-1\",\"ownerId\":\"u-1\",\"accountNumber\":"
                          "\"WF-0001\",\"currency\":\"USD\",\"isDefault\":true,\"occurredAt\":"
                          "\"2026-11-26T19:59:59.456Z\"}";
    wf_amqp_publications_t *out = s_build (&config, WF_EVENT_ACCOUNT_OPENED, payload, 2);
    assert_string_equal (out->items[1].exchange, "Other.Ns:AccountCreatedIntegrationEvent");
    json_t *envelope = s_json (&out->items[1]);
    assert_string_equal (
        json_string_value (json_array_get (json_object_get (envelope, "messageType"), 0)),
        "urn:message:Other.Ns:AccountCreatedIntegrationEvent");
    json_t *message = json_object_get (envelope, "message");
    assert_int_equal (json_object_size (message), 5);
    assert_string_equal (s_text (message, "accountId"), "a-1");
    assert_string_equal (s_text (message, "ownerId"), "u-1");
    assert_string_equal (s_text (message, "accountNumber"), "WF-0001");
    assert_string_equal (s_text (message, "currency"), "USD");
    assert_string_equal (s_text (message, "createdAt"), "2026-11-26T19:59:59.456Z");
    json_decref (envelope);
    config = s_config ();
    out = s_build (&config, WF_EVENT_ACCOUNT_OPENED, payload, 2);
    envelope = s_json (&out->items[1]);
    s_check_envelope (envelope, "AccountCreatedIntegrationEvent");
    json_decref (envelope);
}

//  TransferSent -> MoneyTransferredIntegrationEvent, amount as a scaled decimal string.
static void
test_masstransit_money_transferred (void **state)
{
    wf_amqp_message_config_t config = s_config ();
    const char *payload = "{\"transactionId\":\"t-1\",\"accountId\":\"a-1\","
                          "\"destinationAccountId\":\"a-2\",\"ownerId\":\"u-1\",\"amount\":"
                          "10050,\"currency\":\"ARS\",\"balanceAfter\":0,\"description\":null,"
                          "\"occurredAt\":\"2026-11-26T19:59:59.456Z\"}";
    wf_amqp_publications_t *out = s_build (&config, WF_EVENT_TRANSFER_SENT, payload, 2);
    s_check_mt_properties (&out->items[1], "MoneyTransferredIntegrationEvent");
    json_t *envelope = s_json (&out->items[1]);
    json_t *message = s_check_envelope (envelope, "MoneyTransferredIntegrationEvent");
    assert_int_equal (json_object_size (message), 6);
    assert_string_equal (s_text (message, "sourceAccountId"), "a-1");
    assert_string_equal (s_text (message, "destinationAccountId"), "a-2");
    assert_string_equal (s_text (message, "transactionId"), "t-1");
    assert_string_equal (s_text (message, "amount"), "100.50");
    assert_string_equal (s_text (message, "currency"), "ARS");
    assert_string_equal (s_text (message, "occurredAt"), "2026-11-26T19:59:59.456Z");
    assert_true (s_body_has (&out->items[1], "\"amount\":\"100.50\""));
    json_decref (envelope);
    json_t *topic = s_json (&out->items[0]);
    assert_string_equal (s_text (topic, "balanceAfterDisplay"), "0.00 ARS");
    assert_true (json_is_null (json_object_get (topic, "description")));
    json_decref (topic);
    config.masstransit = false;
    s_build (&config, WF_EVENT_TRANSFER_SENT, payload, 1);
}

//  Derived ids are stable per input, differ between inputs and purposes, and are v8 UUIDs.
static void
test_derived_ids (void **state)
{
    char a[WF_AMQP_UUID_TEXT_BYTES], b[WF_AMQP_UUID_TEXT_BYTES], c[WF_AMQP_UUID_TEXT_BYTES];
    wf_amqp_uuid_derive ("walletflow.masstransit.messageId", WF_STR (S_OUTBOX_ID), a);
    wf_amqp_uuid_derive ("walletflow.masstransit.messageId", WF_STR (S_OUTBOX_ID), b);
    assert_string_equal (a, b);
    wf_amqp_uuid_derive ("walletflow.masstransit.messageId",
                         WF_STR ("5b0e6f1c-3d7a-4c2e-9f10-2a4b6c8d0e1e"), c);
    assert_string_not_equal (a, c);
    wf_amqp_uuid_derive ("walletflow.masstransit.conversationId", WF_STR (S_OUTBOX_ID), c);
    assert_string_not_equal (a, c);
    assert_int_equal (strlen (a), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal (a[i], '-');
        else
            assert_non_null (strchr ("0123456789abcdef", a[i]));
    }
    assert_int_equal (a[14], '8');
    assert_non_null (strchr ("89ab", a[19]));
    //  A retry builds the same ids at another time; only sentTime moves.
    wf_amqp_message_config_t config = s_config ();
    const char *payload = "{\"accountId\":\"a\",\"ownerId\":\"u\",\"accountNumber\":\"n\","
                          "\"currency\":\"USD\",\"occurredAt\":\"t\"}";
    wf_amqp_publications_t *out = s_build (&config, WF_EVENT_ACCOUNT_OPENED, payload, 2);
    json_t *first = s_json (&out->items[1]);
    wf_outbox_deliver_t deliver = s_deliver (WF_EVENT_ACCOUNT_OPENED, payload);
    char error[256];
    assert_int_equal (
        wf_amqp_message_build (&config, &deliver, S_NOW_MS + 60000, out, error, sizeof error), 0);
    json_t *again = s_json (&out->items[1]);
    assert_string_equal (s_text (first, "messageId"), s_text (again, "messageId"));
    assert_string_equal (s_text (first, "conversationId"), s_text (again, "conversationId"));
    assert_string_equal (s_text (again, "sentTime"), "2026-11-26T20:01:00.123Z");
    json_decref (first);
    json_decref (again);
}

//  URLs: the empty vhost is "/", and MassTransit's address form leaves defaults out.
static void
test_endpoint_parse (void **state)
{
    static const struct {
        const char *url, *host, *vhost, *base;
        int port;
        bool tls;
    } cases[] = {
        {"amqp://guest:guest@127.0.0.1:55672/", "127.0.0.1", "/", S_BASE, 55672, false},
        {"amqp://guest:guest@127.0.0.1:55672", "127.0.0.1", "/", S_BASE, 55672, false},
        {"amqp://u:p@mq.example.com/", "mq.example.com", "/", "rabbitmq://mq.example.com", 5672,
         false},
        {"amqp://u:p@mq:5672/%2f", "mq", "/", "rabbitmq://mq", 5672, false},
        {"amqp://u:p@mq:5673/wallet%2fprod", "mq", "wallet/prod",
         "rabbitmq://mq:5673/wallet%2Fprod", 5673, false},
        {"amqp://u:p@mq/a b", "mq", "a b", "rabbitmq://mq/a%20b", 5672, false},
        {"amqps://u:p@mq/", "mq", "/", "rabbitmqs://mq", 5671, true},
        {"amqps://u:p@mq:5672/", "mq", "/", "rabbitmqs://mq:5672", 5672, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wf_amqp_endpoint_t endpoint;
        char error[128] = "";
        if (wf_amqp_endpoint_parse (cases[i].url, &endpoint, error, sizeof error) != 0)
            fail_msg ("%s: %s", cases[i].url, error);
        assert_string_equal (endpoint.host, cases[i].host);
        assert_string_equal (endpoint.vhost, cases[i].vhost);
        assert_string_equal (endpoint.address_base, cases[i].base);
        assert_int_equal (endpoint.port, cases[i].port);
        assert_int_equal (endpoint.tls, cases[i].tls);
    }
    wf_amqp_endpoint_t guest;
    char message[128];
    assert_int_equal (
        wf_amqp_endpoint_parse ("amqp://ada:s%40cret@h/", &guest, message, sizeof message), 0);
    assert_string_equal (guest.user, "ada");
    assert_string_equal (guest.password, "s@cret");
    static const char *const bad[] = {"http://mq/", "amqp://u:p@mq:0/", "amqp://u:p@mq:99999/", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wf_amqp_endpoint_t endpoint;
        char error[128] = "";
        assert_int_equal (wf_amqp_endpoint_parse (bad[i], &endpoint, error, sizeof error), -1);
        assert_true (strlen (error) > 0);
    }
    char *long_url = (char *) malloc (2000);
    memset (long_url, 'a', 1999);
    memcpy (long_url, "amqp://", 7);
    long_url[1999] = 0;
    wf_amqp_endpoint_t endpoint;
    char error[128];
    assert_int_equal (wf_amqp_endpoint_parse (long_url, &endpoint, error, sizeof error), -1);
    free (long_url);
}

//  Timestamps are ISO-8601 UTC with milliseconds.
static void
test_iso8601 (void **state)
{
    char text[32];
    wf_amqp_iso8601 (0, text);
    assert_string_equal (text, "1970-01-01T00:00:00.000Z");
    wf_amqp_iso8601 (S_NOW_MS, text);
    assert_string_equal (text, "2026-11-26T20:00:00.123Z");
    wf_amqp_iso8601 (951782400007LL, text);
    assert_string_equal (text, "2000-02-29T00:00:00.007Z");
}

//  A payload at the outbox's size limit, full of characters JSON must escape, still fits.
static void
test_largest_payload_fits (void **state)
{
    size_t size = WF_AMQP_PAYLOAD_BYTES_MAX;
    char *payload = (char *) malloc (size + 1);
    const char *head = "{\"userId\":\"u\",\"email\":\"e\",\"firstName\":\"f\",\"occurredAt\":"
                       "\"t\",\"lastName\":\"";
    strcpy (payload, head);
    size_t at = strlen (head);
    while (at + 6 + 2 <= size) {
        memcpy (payload + at, "\\u0001", 6);
        at += 6;
    }
    memcpy (payload + at, "\"}", 3);
    wf_amqp_message_config_t config = s_config ();
    wf_amqp_publications_t *out = s_build (&config, WF_EVENT_USER_REGISTERED, payload, 2);
    assert_true (out->items[0].body_bytes > size - 16);
    assert_true (out->items[1].body_bytes > size);
    free (payload);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_routes_cover_every_event),
        cmocka_unit_test (test_topic_message),
        cmocka_unit_test (test_display_follows_currency_digits),
        cmocka_unit_test (test_refusals),
        cmocka_unit_test (test_unmapped_event_publishes_nothing),
        cmocka_unit_test (test_masstransit_user_registered),
        cmocka_unit_test (test_masstransit_account_created),
        cmocka_unit_test (test_masstransit_money_transferred),
        cmocka_unit_test (test_derived_ids),
        cmocka_unit_test (test_endpoint_parse),
        cmocka_unit_test (test_iso8601),
        cmocka_unit_test (test_largest_payload_fits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
