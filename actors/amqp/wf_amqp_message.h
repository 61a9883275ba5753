/*  wf_amqp_message - what the AMQP bridge publishes for one outbox row (pure, no I/O).

    An outbox.deliver request carries one integration event (proto/wf_events.h). This class
    turns it into at most WF_AMQP_PUBLICATIONS_MAX AMQP messages:

    1. The topic message, to the durable topic exchange `walletflow.events`, for every event
       with a routing key below. Properties: delivery_mode 2 (persistent), message_id = the
       outbox message id (identical on every retry), type = the event name, timestamp = when
       the event occurred (seconds), content_type application/json, app_id walletflow. The
       body is the payload's own JSON object, integers kept as integers, plus for each money
       field (amount, balanceAfter) a display string with the currency's scale:
       "amountDisplay": "100.50 ARS".

           UserRegistered      identity.user.registered
           AccountOpened       finance.account.opened
           MoneyDeposited      finance.money.deposited
           MoneyWithdrawn      finance.money.withdrawn
           TransferSent        finance.transfer.sent
           TransferReceived    finance.transfer.received
           TransferRefunded    finance.transfer.refunded
           AccountSuspended    finance.account.suspended
           AccountReactivated  finance.account.reactivated
           TransferCreditFailed  (internal saga step: acknowledged, never published)

    2. The MassTransit copy, for the three events the original .NET services published with
       MassTransit, so an existing MassTransit consumer of those contracts receives them
       unchanged. It is built exactly as MassTransit 8 publishes (checked against its source:
       JsonMessageEnvelope, RabbitMqMessagePublishTopology, RabbitMqEndpointAddress,
       StringDecimalJsonConverter, and the envelope in its serialization documentation):
       - exchange: durable fanout, named "<namespace>:<TypeName>", routing key "";
       - properties: content_type application/vnd.masstransit+json, delivery_mode 2,
         message_id = the envelope's messageId;
       - body: the envelope {messageId, requestId, correlationId, conversationId, initiatorId,
         sourceAddress, destinationAddress, responseAddress, faultAddress, messageType,
         message, expirationTime, sentTime, headers, host}, unset members as null as
         System.Text.Json writes them;
       - messageId and conversationId are derived from the outbox message id (BLAKE2b, shaped
         as an RFC 9562 version 8 UUID), so a retried row carries the same ids and a
         MassTransit consumer's deduplication sees it as the same message;
       - decimals are JSON strings keeping the scale ("100.50"): MassTransit's own
         StringDecimalJsonConverter writes them that way, and reads strings or numbers.

           UserRegistered -> UserRegisteredIntegrationEvent
               {userId, email, firstName, lastName, currency, registeredAt}
           AccountOpened  -> AccountCreatedIntegrationEvent
               {accountId, ownerId, accountNumber, currency, createdAt}
           TransferSent   -> MoneyTransferredIntegrationEvent
               {sourceAccountId, destinationAccountId, transactionId, amount, currency,
                occurredAt}

    A payload that cannot be published (not a JSON object, a missing field, a money field that
    is not an integer, an unknown currency) is refused with a sentence: the row is wrong, and
    retrying it cannot help.
*/
#ifndef WF_AMQP_MESSAGE_H_INCLUDED
#define WF_AMQP_MESSAGE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wf_msg.h"

#define WF_AMQP_EXCHANGE_DEFAULT     "walletflow.events"
#define WF_AMQP_MT_NAMESPACE_DEFAULT "WalletFlow.Contracts.Events"
#define WF_AMQP_CURRENCY_DEFAULT     "ARS"
#define WF_AMQP_CONTENT_TYPE         "application/json"
#define WF_AMQP_MT_CONTENT_TYPE      "application/vnd.masstransit+json"
#define WF_AMQP_APP_ID               "walletflow"
#define WF_AMQP_MT_SOURCE_NAME       "walletflow"

#define WF_AMQP_PUBLICATIONS_MAX    2            //  per outbox row: topic + MassTransit
#define WF_AMQP_SHORTSTR_BYTES_MAX  256          //  AMQP shortstr (names, ids), NUL included
#define WF_AMQP_ADDRESS_BYTES_MAX   512          //  a MassTransit address, NUL included
#define WF_AMQP_UUID_TEXT_BYTES     37           //  "8-4-4-4-12" and a NUL
#define WF_AMQP_PAYLOAD_BYTES_MAX   32768        //  outbox.deliver payload (wf_msgs.def)
#define WF_AMQP_BODY_OVERHEAD_BYTES (16 * 1024)  //  envelope, display strings, escapes
#define WF_AMQP_BODY_BYTES_MAX      (128 * 1024) //  one published body

//  jansson writes back at most what the payload's own text spelled out (it escapes only what
//  JSON requires, and keeps UTF-8 as UTF-8), so a body is its payload plus what we add; the
//  factor 2 is a margin, and wf_amqp_message_test builds the largest payload to prove it.
_Static_assert(WF_AMQP_PAYLOAD_BYTES_MAX * 2 + WF_AMQP_BODY_OVERHEAD_BYTES <=
                   WF_AMQP_BODY_BYTES_MAX,
               "a maximal payload and its MassTransit envelope must fit in one body");

//  How one event name is published.
typedef struct {
    const char *event;            //  outbox type, e.g. "UserRegistered"
    const char *routing_key;      //  NULL: acknowledged without publishing
    const char *masstransit_type; //  NULL: no MassTransit copy
} wf_amqp_route_t;

//  The route of an event name; NULL when the name is not an integration event at all.
const wf_amqp_route_t *wf_amqp_route_find (wf_str_t event);

//  Number of known routes and the i-th of them (for tests and the bridge's declarations).
size_t wf_amqp_route_count (void);
const wf_amqp_route_t *wf_amqp_route_at (size_t index);

//  A RabbitMQ endpoint parsed from an amqp:// URL.
typedef struct {
    char host[WF_AMQP_SHORTSTR_BYTES_MAX];
    int port;
    char vhost[WF_AMQP_SHORTSTR_BYTES_MAX]; //  "/" when the URL names none or an empty one
    char user[WF_AMQP_SHORTSTR_BYTES_MAX];
    char password[WF_AMQP_SHORTSTR_BYTES_MAX];
    bool tls;                                     //  amqps://
    char address_base[WF_AMQP_ADDRESS_BYTES_MAX]; //  "rabbitmq://host[:port][/vhost]"
} wf_amqp_endpoint_t;

//  Parses an amqp:// or amqps:// URL. An empty vhost ("amqp://h:p/") means "/": rabbitmq-c
//  reads it as "", which RabbitMQ refuses. The address base is MassTransit's form of the
//  host address (port left out when it is the default, vhost "/" left out, another vhost
//  escaped). Returns 0, or -1 with a sentence in error.
int wf_amqp_endpoint_parse (const char *url, wf_amqp_endpoint_t *endpoint, char *error,
                            size_t error_size);

//  The host MassTransit names in every envelope (all text; NULL writes null).
typedef struct {
    const char *machine_name;
    const char *process_name;
    int process_id;
    const char *assembly;
    const char *assembly_version;
    const char *framework_version;
    const char *masstransit_version;
    const char *operating_system_version;
} wf_amqp_host_t;

//  What the messages are built from besides the row.
typedef struct {
    const char *exchange;         //  topic exchange; NULL = WF_AMQP_EXCHANGE_DEFAULT
    bool masstransit;             //  also build the MassTransit copies
    const char *mt_namespace;     //  NULL = WF_AMQP_MT_NAMESPACE_DEFAULT
    const char *default_currency; //  UserRegistered's currency; NULL = WF_AMQP_CURRENCY_DEFAULT
    const char *address_base;     //  wf_amqp_endpoint_t.address_base
    const wf_amqp_host_t *host;   //  envelope host; NULL writes null
} wf_amqp_message_config_t;

//  One AMQP message ready to publish. Text is NUL-terminated; the body is not.
typedef struct {
    char exchange[WF_AMQP_SHORTSTR_BYTES_MAX];
    char routing_key[WF_AMQP_SHORTSTR_BYTES_MAX];
    const char *content_type;
    char message_id[WF_AMQP_SHORTSTR_BYTES_MAX];
    const char *type;    //  event name, or NULL (MassTransit sets no type)
    const char *app_id;  //  or NULL
    int64_t timestamp_s; //  0 = no timestamp property
    bool masstransit;
    char *body; //  points into the owning publications_t
    size_t body_bytes;
} wf_amqp_publication_t;

//  The messages of one row, with their body buffers (allocate once, reuse).
typedef struct {
    size_t count;
    wf_amqp_publication_t items[WF_AMQP_PUBLICATIONS_MAX];
    char bodies[WF_AMQP_PUBLICATIONS_MAX][WF_AMQP_BODY_BYTES_MAX];
} wf_amqp_publications_t;

//  Builds the messages for one outbox.deliver at wall-clock time now_ms (the envelope's
//  sentTime). Returns 0 with out->count set (0 for an event that is acknowledged without
//  publishing), or -1 with a sentence in error when the row cannot be published.
int wf_amqp_message_build (const wf_amqp_message_config_t *config,
                           const wf_outbox_deliver_t *deliver, int64_t now_ms,
                           wf_amqp_publications_t *out, char *error, size_t error_size);

//  Derives a UUID (RFC 9562 version 8) from a purpose and an id: BLAKE2b-128 of the id keyed
//  by the purpose, lower-case text into out. The same inputs always give the same UUID.
void wf_amqp_uuid_derive (const char *purpose, wf_str_t id, char out[WF_AMQP_UUID_TEXT_BYTES]);

//  Formats ms since the epoch as ISO-8601 UTC with milliseconds ("2026-11-26T20:00:00.123Z").
void wf_amqp_iso8601 (int64_t ms, char out[32]);

#endif
