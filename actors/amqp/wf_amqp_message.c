/*  wf_amqp_message - what the AMQP bridge publishes for one outbox row.

    Pure: JSON in (the committed payload), JSON out (the topic body and the MassTransit
    envelope), with jansson in between. Nothing here touches a socket or a clock.
*/
#include "wf_amqp_message.h"
#include "wf_currency.h"
#include "wf_events.h"
#include "wf_money.h"

#include <amqp.h>
#include <assert.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define S_URL_BYTES_MAX     1024
#define S_MT_FIELDS_MAX     6
#define S_PURPOSE_MESSAGE   "walletflow.masstransit.messageId"
#define S_PURPOSE_CONVERSE  "walletflow.masstransit.conversationId"
#define S_DISPLAY_BYTES_MAX (WF_MONEY_TEXT_BYTES_MAX + 8)

//  Where a MassTransit message field comes from.
typedef enum {
    S_FROM_TEXT,     //  a required string field of the payload
    S_FROM_CURRENCY, //  the payload's currency, else the configured default
    S_FROM_DECIMAL,  //  an integer of minor units, written as a scaled decimal string
} s_from_t;

typedef struct {
    const char *name;    //  field of the MassTransit message
    const char *payload; //  field of the outbox payload
    s_from_t from;
} s_mt_field_t;

typedef struct {
    wf_amqp_route_t route;
    s_mt_field_t fields[S_MT_FIELDS_MAX];
} s_route_t;

static const s_route_t s_routes[] = {
    {{WF_EVENT_USER_REGISTERED, "identity.user.registered", "UserRegisteredIntegrationEvent"},
     {{"userId", "userId", S_FROM_TEXT},
      {"email", "email", S_FROM_TEXT},
      {"firstName", "firstName", S_FROM_TEXT},
      {"lastName", "lastName", S_FROM_TEXT},
      {"currency", "currency", S_FROM_CURRENCY},
      {"registeredAt", "occurredAt", S_FROM_TEXT}}},
    {{WF_EVENT_ACCOUNT_OPENED, "finance.account.opened", "AccountCreatedIntegrationEvent"},
     {{"accountId", "accountId", S_FROM_TEXT},
      {"ownerId", "ownerId", S_FROM_TEXT},
      {"accountNumber", "accountNumber", S_FROM_TEXT},
      {"currency", "currency", S_FROM_TEXT},
      {"createdAt", "occurredAt", S_FROM_TEXT}}},
    {{WF_EVENT_MONEY_DEPOSITED, "finance.money.deposited", NULL}, {{0}}},
    {{WF_EVENT_MONEY_WITHDRAWN, "finance.money.withdrawn", NULL}, {{0}}},
    {{WF_EVENT_TRANSFER_SENT, "finance.transfer.sent", "MoneyTransferredIntegrationEvent"},
     {{"sourceAccountId", "accountId", S_FROM_TEXT},
      {"destinationAccountId", "destinationAccountId", S_FROM_TEXT},
      {"transactionId", "transactionId", S_FROM_TEXT},
      {"amount", "amount", S_FROM_DECIMAL},
      {"currency", "currency", S_FROM_TEXT},
      {"occurredAt", "occurredAt", S_FROM_TEXT}}},
    {{WF_EVENT_TRANSFER_RECEIVED, "finance.transfer.received", NULL}, {{0}}},
    {{WF_EVENT_TRANSFER_REFUNDED, "finance.transfer.refunded", NULL}, {{0}}},
    {{WF_EVENT_ACCOUNT_SUSPENDED, "finance.account.suspended", NULL}, {{0}}},
    {{WF_EVENT_ACCOUNT_REACTIVATED, "finance.account.reactivated", NULL}, {{0}}},
    {{WF_EVENT_TRANSFER_CREDIT_FAILED, NULL, NULL}, {{0}}},
    {{WF_EVENT_HOLD_PLACED, "finance.hold.placed", NULL}, {{0}}},
    {{WF_EVENT_HOLD_CAPTURED, "finance.hold.captured", NULL}, {{0}}},
    {{WF_EVENT_HOLD_VOIDED, "finance.hold.voided", NULL}, {{0}}},
    {{WF_EVENT_HOLD_EXPIRED, "finance.hold.expired", NULL}, {{0}}},
    {{WF_EVENT_OVERDRAFT_LIMIT_SET, "finance.account.overdraft_limit_set", NULL}, {{0}}},
    {{WF_EVENT_DEPOSIT_REFUNDED, "finance.deposit.refunded", NULL}, {{0}}},
    {{WF_EVENT_WITHDRAWAL_REFUNDED, "finance.withdrawal.refunded", NULL}, {{0}}},
    {{WF_EVENT_TRANSFER_REVERSED, "finance.transfer.reversed", NULL}, {{0}}},
};
#define S_ROUTES (sizeof s_routes / sizeof s_routes[0])

//  The money fields of a payload that get a display string.
static const char *const s_money_fields[] = {"amount",    "balanceAfter",   "heldAmount",
                                             "heldAfter", "availableAfter", "limit"};

//  Writes a sentence into error; returns -1 for the caller to pass on.
static int
s_fail (char *error, size_t error_size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (error, error_size, format, args);
    va_end (args);
    return -1;
}

//  The private row of a public route.
static const s_route_t *
s_route_of (const wf_amqp_route_t *route)
{
    return (const s_route_t *) ((const char *) route - offsetof (s_route_t, route));
}

const wf_amqp_route_t *
wf_amqp_route_find (wf_str_t event)
{
    for (size_t i = 0; i < S_ROUTES; i++)
        if (wf_str_eq (event, s_routes[i].route.event))
            return &s_routes[i].route;
    return NULL;
}

size_t
wf_amqp_route_count (void)
{
    return S_ROUTES;
}

const wf_amqp_route_t *
wf_amqp_route_at (size_t index)
{
    return index < S_ROUTES ? &s_routes[index].route : NULL;
}

//  Copies a C string into a buffer; -1 when it does not fit.
static int
s_copy (char *dest, size_t size, const char *source)
{
    size_t len = strlen (source);
    if (len >= size)
        return -1;
    memcpy (dest, source, len + 1);
    return 0;
}

//  Appends value to dest escaped as .NET's Uri.EscapeDataString does (all but unreserved).
static void
s_escape_data (char *dest, size_t size, const char *value)
{
    size_t len = strlen (dest);
    for (const unsigned char *p = (const unsigned char *) value; *p && len + 4 < size; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr ("-._~", *p))
            dest[len++] = (char) *p;
        else
            len += (size_t) snprintf (dest + len, size - len, "%%%02X", *p);
    }
    dest[len] = 0;
}

//  Fills the MassTransit host address: rabbitmq[s]://host[:port][/vhost].
static void
s_address_base (wf_amqp_endpoint_t *endpoint)
{
    char *base = endpoint->address_base;
    size_t size = sizeof endpoint->address_base;
    bool ipv6 = strchr (endpoint->host, ':') != NULL;
    int default_port = endpoint->tls ? 5671 : 5672;
    snprintf (base, size, "%s://%s%s%s", endpoint->tls ? "rabbitmqs" : "rabbitmq", ipv6 ? "[" : "",
              endpoint->host, ipv6 ? "]" : "");
    if (endpoint->port != default_port)
        snprintf (base + strlen (base), size - strlen (base), ":%d", endpoint->port);
    if (strcmp (endpoint->vhost, "/") != 0) {
        snprintf (base + strlen (base), size - strlen (base), "/");
        s_escape_data (base, size, endpoint->vhost);
    }
}

int
wf_amqp_endpoint_parse (const char *url, wf_amqp_endpoint_t *endpoint, char *error,
                        size_t error_size)
{
    assert (url && endpoint);
    memset (endpoint, 0, sizeof *endpoint);
    char copy[S_URL_BYTES_MAX];
    if (s_copy (copy, sizeof copy, url) != 0)
        return s_fail (error, error_size, "the AMQP URL is longer than %d bytes",
                       S_URL_BYTES_MAX - 1);
    struct amqp_connection_info info;
    if (amqp_parse_url (copy, &info) != AMQP_STATUS_OK)
        return s_fail (error, error_size, "the AMQP URL is not amqp://user:pass@host:port/vhost");
    //  rabbitmq-c reads "amqp://host:port/" as the vhost "", which RabbitMQ refuses.
    const char *vhost = info.vhost && *info.vhost ? info.vhost : "/";
    if (!*info.host || info.port < 1 || info.port > 65535 ||
        s_copy (endpoint->host, sizeof endpoint->host, info.host) != 0 ||
        s_copy (endpoint->vhost, sizeof endpoint->vhost, vhost) != 0 ||
        s_copy (endpoint->user, sizeof endpoint->user, info.user) != 0 ||
        s_copy (endpoint->password, sizeof endpoint->password, info.password) != 0)
        return s_fail (error, error_size, "the AMQP URL has an empty or over-long part");
    endpoint->port = info.port;
    endpoint->tls = info.ssl != 0;
    s_address_base (endpoint);
    return 0;
}

void
wf_amqp_uuid_derive (const char *purpose, wf_str_t id, char out[WF_AMQP_UUID_TEXT_BYTES])
{
    size_t key_bytes = strlen (purpose);
    assert (key_bytes >= crypto_generichash_KEYBYTES_MIN &&
            key_bytes <= crypto_generichash_KEYBYTES_MAX);
    uint8_t hash[16];
    int rc = crypto_generichash (hash, sizeof hash, (const uint8_t *) id.ptr, id.len,
                                 (const uint8_t *) purpose, key_bytes);
    assert (rc == 0);
    hash[6] = (uint8_t) ((hash[6] & 0x0F) | 0x80); //  version 8: custom
    hash[8] = (uint8_t) ((hash[8] & 0x3F) | 0x80); //  variant 10 (RFC 9562)
    size_t at = 0;
    for (size_t i = 0; i < sizeof hash; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[at++] = '-';
        at += (size_t) snprintf (out + at, WF_AMQP_UUID_TEXT_BYTES - at, "%02x", hash[i]);
    }
    assert (at == WF_AMQP_UUID_TEXT_BYTES - 1);
}

void
wf_amqp_iso8601 (int64_t ms, char out[32])
{
    time_t seconds = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    size_t len = strftime (out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (out + len, 32 - len, ".%03dZ", (int) (ms % 1000));
}

//  The digits of the payload's currency; -1 with error set when it has none we know.
static int
s_currency_digits (json_t *payload, char *error, size_t error_size)
{
    const char *code = json_string_value (json_object_get (payload, "currency"));
    if (!code)
        return s_fail (error, error_size, "payload has money but no \"currency\" string");
    wf_currency_err_t why;
    const wf_currency_t *currency = wf_currency_lookup (wf_str_c (code), &why);
    if (!currency)
        return s_fail (error, error_size, "payload currency: %s", wf_currency_strerror (why));
    return wf_currency_digits (currency);
}

//  The minor units of a money field; -1 with error set when it is not an integer.
static int
s_minor_units (json_t *payload, const char *field, int64_t *minor, char *error, size_t error_size)
{
    json_t *value = json_object_get (payload, field);
    if (!json_is_integer (value))
        return s_fail (error, error_size, "payload \"%s\" is not an integer of minor units", field);
    *minor = (int64_t) json_integer_value (value);
    return 0;
}

//  Adds "<field>Display": "100.50 ARS" for each money field the payload has.
static int
s_add_displays (json_t *payload, char *error, size_t error_size)
{
    for (size_t i = 0; i < sizeof s_money_fields / sizeof s_money_fields[0]; i++) {
        const char *field = s_money_fields[i];
        if (!json_object_get (payload, field))
            continue;
        int64_t minor = 0;
        int digits = s_currency_digits (payload, error, error_size);
        if (digits < 0 || s_minor_units (payload, field, &minor, error, error_size) != 0)
            return -1;
        char text[WF_MONEY_TEXT_BYTES_MAX], display[S_DISPLAY_BYTES_MAX], key[64];
        int rc = wf_money_format (minor, digits, text, sizeof text);
        assert (rc > 0);
        snprintf (display, sizeof display, "%s %s", text,
                  json_string_value (json_object_get (payload, "currency")));
        snprintf (key, sizeof key, "%sDisplay", field);
        json_object_set_new (payload, key, json_string (display));
    }
    return 0;
}

//  Dumps a document into a publication's body buffer; -1 when it does not fit.
static int
s_dump (json_t *doc, wf_amqp_publication_t *publication, size_t size, char *error,
        size_t error_size)
{
    size_t bytes = json_dumpb (doc, publication->body, size, JSON_COMPACT);
    if (bytes == 0 || bytes > size)
        return s_fail (error, error_size, "the message body is over %zu bytes", size);
    publication->body_bytes = bytes;
    return 0;
}

//  Fills the topic message of a row.
static int
s_topic (const wf_amqp_message_config_t *config, const wf_amqp_route_t *route,
         const wf_outbox_deliver_t *deliver, json_t *payload, wf_amqp_publication_t *out,
         char *error, size_t error_size)
{
    json_t *body = json_deep_copy (payload);
    assert (body);
    int rc = s_add_displays (body, error, error_size);
    if (rc == 0)
        rc = s_dump (body, out, WF_AMQP_BODY_BYTES_MAX, error, error_size);
    json_decref (body);
    if (rc != 0)
        return -1;
    snprintf (out->exchange, sizeof out->exchange, "%s",
              config->exchange ? config->exchange : WF_AMQP_EXCHANGE_DEFAULT);
    snprintf (out->routing_key, sizeof out->routing_key, "%s", route->routing_key);
    snprintf (out->message_id, sizeof out->message_id, "%.*s", (int) deliver->message_id.len,
              deliver->message_id.ptr);
    out->content_type = WF_AMQP_CONTENT_TYPE;
    out->type = route->event;
    out->app_id = WF_AMQP_APP_ID;
    out->timestamp_s = deliver->occurred_at_ms / 1000;
    out->masstransit = false;
    return 0;
}

//  The MassTransit message object {field: value} of a row.
static json_t *
s_mt_message (const wf_amqp_message_config_t *config, const s_route_t *route, json_t *payload,
              char *error, size_t error_size)
{
    json_t *message = json_object ();
    for (size_t i = 0; i < S_MT_FIELDS_MAX && route->fields[i].name; i++) {
        const s_mt_field_t *field = &route->fields[i];
        const char *text = json_string_value (json_object_get (payload, field->payload));
        char decimal[WF_MONEY_TEXT_BYTES_MAX];
        if (field->from == S_FROM_CURRENCY && !text)
            text = config->default_currency ? config->default_currency : WF_AMQP_CURRENCY_DEFAULT;
        else if (field->from == S_FROM_DECIMAL) {
            int64_t minor = 0;
            int digits = s_currency_digits (payload, error, error_size);
            if (digits < 0 ||
                s_minor_units (payload, field->payload, &minor, error, error_size) != 0) {
                json_decref (message);
                return NULL;
            }
            wf_money_format (minor, digits, decimal, sizeof decimal);
            text = decimal;
        }
        if (!text) {
            s_fail (error, error_size, "payload has no \"%s\" string for %s", field->payload,
                    route->route.masstransit_type);
            json_decref (message);
            return NULL;
        }
        json_object_set_new (message, field->name, json_string (text));
    }
    return message;
}

//  A text value, or null when it is NULL.
static json_t *
s_text_or_null (const char *text)
{
    return text ? json_string (text) : json_null ();
}

//  MassTransit's HostInfo object.
static json_t *
s_mt_host (const wf_amqp_host_t *host)
{
    if (!host)
        return json_null ();
    json_t *doc = json_object ();
    json_object_set_new (doc, "machineName", s_text_or_null (host->machine_name));
    json_object_set_new (doc, "processName", s_text_or_null (host->process_name));
    json_object_set_new (doc, "processId", json_integer (host->process_id));
    json_object_set_new (doc, "assembly", s_text_or_null (host->assembly));
    json_object_set_new (doc, "assemblyVersion", s_text_or_null (host->assembly_version));
    json_object_set_new (doc, "frameworkVersion", s_text_or_null (host->framework_version));
    json_object_set_new (doc, "massTransitVersion", s_text_or_null (host->masstransit_version));
    json_object_set_new (doc, "operatingSystemVersion",
                         s_text_or_null (host->operating_system_version));
    return doc;
}

//  The envelope, members in the order System.Text.Json writes MassTransit's envelope.
static json_t *
s_mt_envelope (const wf_amqp_message_config_t *config, const char *entity, const char *ids[2],
               json_t *message, int64_t now_ms)
{
    const char *base = config->address_base ? config->address_base : "rabbitmq://localhost";
    char source[WF_AMQP_ADDRESS_BYTES_MAX], destination[WF_AMQP_ADDRESS_BYTES_MAX];
    char urn[WF_AMQP_SHORTSTR_BYTES_MAX + 16], sent[32];
    snprintf (source, sizeof source, "%s/%s", base, WF_AMQP_MT_SOURCE_NAME);
    snprintf (destination, sizeof destination, "%s/%s", base, entity);
    snprintf (urn, sizeof urn, "urn:message:%s", entity);
    wf_amqp_iso8601 (now_ms, sent);
    json_t *doc = json_object ();
    json_object_set_new (doc, "messageId", json_string (ids[0]));
    json_object_set_new (doc, "requestId", json_null ());
    json_object_set_new (doc, "correlationId", json_null ());
    json_object_set_new (doc, "conversationId", json_string (ids[1]));
    json_object_set_new (doc, "initiatorId", json_null ());
    json_object_set_new (doc, "sourceAddress", json_string (source));
    json_object_set_new (doc, "destinationAddress", json_string (destination));
    json_object_set_new (doc, "responseAddress", json_null ());
    json_object_set_new (doc, "faultAddress", json_null ());
    json_object_set_new (doc, "messageType", json_pack ("[s]", urn));
    json_object_set_new (doc, "message", message);
    json_object_set_new (doc, "expirationTime", json_null ());
    json_object_set_new (doc, "sentTime", json_string (sent));
    json_object_set_new (doc, "headers", json_object ());
    json_object_set_new (doc, "host", s_mt_host (config->host));
    return doc;
}

//  Fills the MassTransit copy of a row.
static int
s_masstransit (const wf_amqp_message_config_t *config, const s_route_t *route,
               const wf_outbox_deliver_t *deliver, json_t *payload, int64_t now_ms,
               wf_amqp_publication_t *out, char *error, size_t error_size)
{
    json_t *message = s_mt_message (config, route, payload, error, error_size);
    if (!message)
        return -1;
    char entity[WF_AMQP_SHORTSTR_BYTES_MAX];
    int len = snprintf (entity, sizeof entity, "%s:%s",
                        config->mt_namespace ? config->mt_namespace : WF_AMQP_MT_NAMESPACE_DEFAULT,
                        route->route.masstransit_type);
    assert (len > 0 && (size_t) len < sizeof entity);
    char message_id[WF_AMQP_UUID_TEXT_BYTES], conversation_id[WF_AMQP_UUID_TEXT_BYTES];
    wf_amqp_uuid_derive (S_PURPOSE_MESSAGE, deliver->message_id, message_id);
    wf_amqp_uuid_derive (S_PURPOSE_CONVERSE, deliver->message_id, conversation_id);
    const char *ids[2] = {message_id, conversation_id};
    json_t *envelope = s_mt_envelope (config, entity, ids, message, now_ms);
    int rc = s_dump (envelope, out, WF_AMQP_BODY_BYTES_MAX, error, error_size);
    json_decref (envelope);
    if (rc != 0)
        return -1;
    snprintf (out->exchange, sizeof out->exchange, "%s", entity);
    out->routing_key[0] = 0;
    snprintf (out->message_id, sizeof out->message_id, "%s", message_id);
    out->content_type = WF_AMQP_MT_CONTENT_TYPE;
    out->type = NULL;
    out->app_id = NULL;
    out->timestamp_s = 0;
    out->masstransit = true;
    return 0;
}

int
wf_amqp_message_build (const wf_amqp_message_config_t *config, const wf_outbox_deliver_t *deliver,
                       int64_t now_ms, wf_amqp_publications_t *out, char *error, size_t error_size)
{
    assert (config && deliver && out);
    out->count = 0;
    for (size_t i = 0; i < WF_AMQP_PUBLICATIONS_MAX; i++)
        out->items[i].body = out->bodies[i];
    const wf_amqp_route_t *route = wf_amqp_route_find (deliver->type);
    if (!route)
        return s_fail (error, error_size, "\"%.*s\" is not an integration event",
                       (int) (deliver->type.len > 64 ? 64 : deliver->type.len), deliver->type.ptr);
    if (!route->routing_key)
        return 0;
    json_error_t json_error;
    json_t *payload = json_loadb (deliver->payload.ptr, deliver->payload.len,
                                  JSON_REJECT_DUPLICATES, &json_error);
    if (!json_is_object (payload)) {
        json_decref (payload);
        return s_fail (error, error_size, "payload is not a JSON object: %s",
                       payload ? "another JSON value" : json_error.text);
    }
    int rc = s_topic (config, route, deliver, payload, &out->items[0], error, error_size);
    if (rc == 0)
        out->count = 1;
    if (rc == 0 && config->masstransit && route->masstransit_type) {
        rc = s_masstransit (config, s_route_of (route), deliver, payload, now_ms, &out->items[1],
                            error, error_size);
        if (rc == 0)
            out->count = 2;
    }
    json_decref (payload);
    if (rc != 0)
        out->count = 0;
    return rc;
}
