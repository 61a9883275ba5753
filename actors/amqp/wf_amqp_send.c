/*  wf_amqp_send - sends outbox.deliver rows to the amqp service, as the outbox relay will
    (a test helper for tests/e2e/amqp.sh; not installed).

        wf_amqp_send --broker tcp://127.0.0.1:5555 --count N --out FILE [--timeout-ms MS]

    Sends N rows cycling through every integration event (fresh uuids, realistic payloads),
    then the first row once more as a retry (attempt 2, same message id). A row answered with
    UNAVAILABLE, BUSY or TIMEOUT is sent again after a pause, as the relay would, until it is
    acknowledged or the timeout passes. Before sending, writes FILE: one JSON object per row
    with what a consumer must find in RabbitMQ:

        {"messageId", "type", "routingKey" (null: not published), "payload",
         "copies" (times it is sent and acknowledged at least), "masstransitId",
         "masstransitExchange" (both null without a MassTransit copy)}

    Exit 0 when every row was acknowledged, 1 otherwise (with the reason on stderr).
*/
#include "wf_amqp_message.h"
#include "wf_events.h"
#include "wf_mdp_client.h"
#include "wf_wire.h"

#include <jansson.h>

#define S_ROWS_MAX       10000
#define S_RETRY_PAUSE_MS 100
#define S_DEADLINE_MS    2000 //  per request, in the broker's queue

typedef struct {
    char id[WF_AMQP_UUID_TEXT_BYTES];
    const char *type;
    char payload[512];
    int attempt;
    bool acked;
    bool retry_due; //  answered with a retryable error
} s_row_t;

static const char *const s_types[] = {
    WF_EVENT_USER_REGISTERED,       WF_EVENT_ACCOUNT_OPENED,    WF_EVENT_MONEY_DEPOSITED,
    WF_EVENT_MONEY_WITHDRAWN,       WF_EVENT_TRANSFER_SENT,     WF_EVENT_TRANSFER_RECEIVED,
    WF_EVENT_TRANSFER_REFUNDED,     WF_EVENT_ACCOUNT_SUSPENDED, WF_EVENT_ACCOUNT_REACTIVATED,
    WF_EVENT_TRANSFER_CREDIT_FAILED};

//  A fresh lower-case uuid.
static void
s_uuid (char out[WF_AMQP_UUID_TEXT_BYTES])
{
    zuuid_t *uuid = zuuid_new ();
    snprintf (out, WF_AMQP_UUID_TEXT_BYTES, "%s", zuuid_str_canonical (uuid));
    for (char *p = out; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    zuuid_destroy (&uuid);
}

//  Fills a row of the i-th kind with a payload as wf_events.h describes it.
static void
s_row (s_row_t *row, size_t i)
{
    char user[WF_AMQP_UUID_TEXT_BYTES], account[WF_AMQP_UUID_TEXT_BYTES];
    s_uuid (row->id);
    s_uuid (user);
    s_uuid (account);
    row->type = s_types[i % (sizeof s_types / sizeof s_types[0])];
    row->attempt = 1;
    const char *at = "2026-11-26T20:00:00.123Z";
    int64_t amount = 100 + (int64_t) i; //  1.00 and up, in cents
    if (streq (row->type, WF_EVENT_USER_REGISTERED))
        snprintf (row->payload, sizeof row->payload,
                  "{\"userId\":\"%s\",\"email\":\"user%zu@example.com\",\"firstName\":\"Zoë\","
                  "\"lastName\":\"O'Brien\",\"occurredAt\":\"%s\"}",
                  user, i, at);
    else if (streq (row->type, WF_EVENT_ACCOUNT_OPENED))
        snprintf (row->payload, sizeof row->payload,
                  "{\"accountId\":\"%s\",\"ownerId\":\"%s\",\"accountNumber\":\"WF%08zu\","
                  "\"currency\":\"ARS\",\"isDefault\":true,\"occurredAt\":\"%s\"}",
                  account, user, i, at);
    else if (streq (row->type, WF_EVENT_ACCOUNT_SUSPENDED) ||
             streq (row->type, WF_EVENT_ACCOUNT_REACTIVATED))
        snprintf (row->payload, sizeof row->payload,
                  "{\"accountId\":\"%s\",\"ownerId\":\"%s\",\"reason\":\"e2e\",\"occurredAt\":"
                  "\"%s\"}",
                  account, user, at);
    else
        snprintf (row->payload, sizeof row->payload,
                  "{\"transactionId\":\"%s\",\"accountId\":\"%s\",\"destinationAccountId\":"
                  "\"%s\",\"sourceAccountId\":\"%s\",\"ownerId\":\"%s\",\"amount\":%lld,"
                  "\"currency\":\"ARS\",\"balanceAfter\":%lld,\"description\":\"e2e\","
                  "\"reason\":\"e2e\",\"occurredAt\":\"%s\"}",
                  row->id, account, user, user, user, (long long) amount, (long long) amount * 3,
                  at);
}

//  Writes the expectations of every row, one JSON object per line, to path.tmp, then renames
//  it to path: a reader never sees half a file.
static int
s_write_expectations (const char *path, s_row_t *rows, size_t count)
{
    char temporary[4096];
    if (snprintf (temporary, sizeof temporary, "%s.tmp", path) >= (int) sizeof temporary)
        return -1;
    FILE *out = fopen (temporary, "w");
    if (!out)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const wf_amqp_route_t *route = wf_amqp_route_find (wf_str_c (rows[i].type));
        json_t *doc = json_object ();
        json_object_set_new (doc, "messageId", json_string (rows[i].id));
        json_object_set_new (doc, "type", json_string (rows[i].type));
        json_object_set_new (doc, "routingKey",
                             route->routing_key ? json_string (route->routing_key) : json_null ());
        json_object_set_new (doc, "payload", json_loads (rows[i].payload, 0, NULL));
        json_object_set_new (doc, "copies", json_integer (i == 0 ? 2 : 1));
        json_t *mt_id = json_null (), *mt_exchange = json_null ();
        if (route->masstransit_type) {
            char id[WF_AMQP_UUID_TEXT_BYTES], exchange[256];
            wf_amqp_uuid_derive ("walletflow.masstransit.messageId", wf_str_c (rows[i].id), id);
            snprintf (exchange, sizeof exchange, "%s:%s", WF_AMQP_MT_NAMESPACE_DEFAULT,
                      route->masstransit_type);
            mt_id = json_string (id);
            mt_exchange = json_string (exchange);
        }
        json_object_set_new (doc, "masstransitId", mt_id);
        json_object_set_new (doc, "masstransitExchange", mt_exchange);
        char *line = json_dumps (doc, JSON_COMPACT);
        fprintf (out, "%s\n", line);
        free (line);
        json_decref (doc);
    }
    return fclose (out) == 0 && rename (temporary, path) == 0 ? 0 : -1;
}

//  Sends one row; its correlation id is its index.
static void
s_send (wf_mdp_client_t *client, s_row_t *row, size_t index, wf_buf_t *scratch)
{
    wf_envelope_t env = {.version = WF_PROTO_VERSION,
                         .type = WF_MSG_OUTBOX_DELIVER,
                         .correlation_id = index,
                         .deadline_ms = wf_clock_ms () + S_DEADLINE_MS,
                         .request_id = WF_STR ("wf_amqp_send")};
    wf_outbox_deliver_t body = {.message_id = wf_str_c (row->id),
                                .outbox_id = (int64_t) index + 1,
                                .type = wf_str_c (row->type),
                                .destination = WF_STR ("amqp"),
                                .payload = wf_str_c (row->payload),
                                .occurred_at_ms = wf_clock_ms (),
                                .attempt = row->attempt};
    zmsg_t *msg = zmsg_new ();
    if (wf_wire_append (msg, &env, &body, scratch) != 0 ||
        wf_mdp_client_send (client, "amqp", &msg) != 0) {
        zmsg_destroy (&msg);
        row->retry_due = true;
    }
}

//  Handles one reply; -1 on an answer that retrying cannot fix.
static int
s_reply (zmsg_t *reply, s_row_t *rows, size_t count, wf_any_msg_t *body)
{
    wf_envelope_t env;
    wf_codec_err_t err;
    if (wf_wire_decode (reply, &env, body, &err) != 0 || env.correlation_id >= count) {
        fprintf (stderr, "wf_amqp_send: undecodable reply\n");
        return -1;
    }
    s_row_t *row = &rows[env.correlation_id];
    if (env.type == WF_MSG_OUTBOX_ACK && wf_str_eq (body->outbox_ack.message_id, row->id)) {
        row->acked = true;
        return 0;
    }
    int64_t code = env.type == WF_MSG_ERROR ? body->error.code : -1;
    if (code == WF_ERR_UNAVAILABLE || code == WF_ERR_BUSY || code == WF_ERR_TIMEOUT) {
        row->retry_due = true;
        return 0;
    }
    fprintf (stderr, "wf_amqp_send: row %s (%s) answered with code %lld: %.*s\n", row->id,
             row->type, (long long) code,
             env.type == WF_MSG_ERROR ? (int) body->error.detail.len : 0,
             env.type == WF_MSG_ERROR ? body->error.detail.ptr : "");
    return -1;
}

//  Sends every row and retries until all are acknowledged; 0, or -1 on failure or timeout.
static int
s_run (wf_mdp_client_t *client, s_row_t *rows, size_t count, int timeout_ms)
{
    wf_buf_t scratch;
    wf_buf_init (&scratch);
    wf_any_msg_t *body = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
    zpoller_t *poller = zpoller_new (wf_mdp_client_sock (client), NULL);
    for (size_t i = 0; i < count; i++)
        s_send (client, &rows[i], i, &scratch);
    int64_t end = zclock_mono () + timeout_ms, retry_at = zclock_mono () + S_RETRY_PAUSE_MS;
    size_t acked = 0;
    int rc = 0;
    while (rc == 0 && acked < count && zclock_mono () < end) {
        zmsg_t *reply = zpoller_wait (poller, 50) ? wf_mdp_client_recv (client, NULL) : NULL;
        if (reply)
            rc = s_reply (reply, rows, count, body);
        zmsg_destroy (&reply);
        acked = 0;
        for (size_t i = 0; i < count; i++)
            acked += rows[i].acked;
        if (zclock_mono () >= retry_at) {
            for (size_t i = 0; i < count; i++)
                if (rows[i].retry_due && !rows[i].acked) {
                    rows[i].retry_due = false;
                    rows[i].attempt++;
                    s_send (client, &rows[i], i, &scratch);
                }
            retry_at = zclock_mono () + S_RETRY_PAUSE_MS;
        }
    }
    if (rc == 0 && acked < count) {
        fprintf (stderr, "wf_amqp_send: %zu of %zu rows acknowledged within %d ms\n", acked, count,
                 timeout_ms);
        rc = -1;
    }
    zpoller_destroy (&poller);
    free (body);
    wf_buf_free (&scratch);
    return rc;
}

int
main (int argc, char **argv)
{
    const char *broker = NULL, *out = NULL;
    long count = 0, timeout_ms = 30000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (streq (argv[i], "--broker"))
            broker = argv[i + 1];
        else if (streq (argv[i], "--out"))
            out = argv[i + 1];
        else if (streq (argv[i], "--count"))
            count = atol (argv[i + 1]);
        else if (streq (argv[i], "--timeout-ms"))
            timeout_ms = atol (argv[i + 1]);
    }
    if (!broker || !out || count < 1 || count > S_ROWS_MAX - 1 || timeout_ms < 1) {
        fprintf (stderr,
                 "usage: wf_amqp_send --broker ENDPOINT --count 1..%d --out FILE "
                 "[--timeout-ms MS]\n",
                 S_ROWS_MAX - 1);
        return 2;
    }
    zsys_init ();
    s_row_t *rows = (s_row_t *) zmalloc ((size_t) (count + 1) * sizeof (s_row_t));
    for (long i = 0; i < count; i++)
        s_row (&rows[i], (size_t) i);
    rows[count] = rows[0]; //  the retry of the first row: same message id
    rows[count].attempt = 2;
    if (s_write_expectations (out, rows, (size_t) count) != 0) {
        fprintf (stderr, "wf_amqp_send: cannot write %s\n", out);
        return 1;
    }
    wf_mdp_client_t *client = wf_mdp_client_new (broker);
    int rc = client ? s_run (client, rows, (size_t) count + 1, (int) timeout_ms) : -1;
    wf_mdp_client_destroy (&client);
    free (rows);
    if (rc == 0)
        printf ("wf_amqp_send: %ld rows and 1 retry acknowledged\n", count);
    return rc == 0 ? 0 : 1;
}
