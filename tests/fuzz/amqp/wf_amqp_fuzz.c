/*  wf_amqp_fuzz - libFuzzer target for what the AMQP bridge reads
    (actors/amqp/wf_amqp_message.c): outbox.deliver payloads turned into AMQP
    messages, and amqp:// URLs.

    The first byte picks the parser; the rest is its input:
      0  wf_amqp_message_build: the bytes split at '\n' into event type,
         message id and payload (the rest), with the MassTransit copies on
      1  wf_amqp_endpoint_parse on the bytes as a URL
    Properties: a refused row says why; an accepted one gives at most
    WF_AMQP_PUBLICATIONS_MAX messages, each body valid JSON of at most
    WF_AMQP_BODY_BYTES_MAX bytes with the row's message id on the topic copy;
    building is deterministic (the same row gives the same bytes, which is what
    makes a retried row a duplicate to its consumers); an accepted URL has a
    host, a port in 1..65535 and a rabbitmq[s]:// address base.
    Built only with -DWF_FUZZ=ON (clang).
*/
#include <jansson.h>
#include "../common/wf_fuzz.h"
#include "wf_amqp_message.h"

#define S_NOW_MS 1700000000123LL

static wf_amqp_publications_t *s_first, *s_second;

static void
s_build (const uint8_t *data, size_t size)
{
    wf_fuzz_field_t f[3];
    wf_fuzz_split (data, size, '\n', f, 3);
    //  The limits wf_body_decode enforces on outbox.deliver (wf_msgs.def).
    if (f[0].len > 64 || f[1].len > 36 || f[2].len > WF_AMQP_PAYLOAD_BYTES_MAX)
        return;
    wf_outbox_deliver_t deliver;
    memset (&deliver, 0, sizeof deliver);
    deliver.type = (wf_str_t){f[0].ptr, f[0].len};
    deliver.message_id = (wf_str_t){f[1].ptr, f[1].len};
    deliver.payload = (wf_str_t){f[2].ptr, f[2].len};
    deliver.destination = wf_str_c ("amqp");
    deliver.outbox_id = 42;
    deliver.occurred_at_ms = S_NOW_MS - 5000;
    deliver.attempt = 1;
    wf_amqp_host_t host = {"fuzz", "walletflow", 1, "walletflow", "0.1.0", NULL, NULL, NULL};
    wf_amqp_message_config_t config = {
        .masstransit = true, .address_base = "rabbitmq://localhost", .host = &host};
    char error[256], error_again[256];
    error[0] = error_again[0] = 0;
    int rc = wf_amqp_message_build (&config, &deliver, S_NOW_MS, s_first, error, sizeof error);
    int rc_again =
        wf_amqp_message_build (&config, &deliver, S_NOW_MS, s_second, error_again, sizeof error);
    WF_FUZZ_CHECK (rc == rc_again);
    if (getenv ("WF_FUZZ_VERBOSE"))
        fprintf (stderr, "build: %s (%zu messages)\n", rc ? error : "ok", s_first->count);
    if (rc != 0) {
        WF_FUZZ_CHECK (rc == -1 && error[0] != 0 && strcmp (error, error_again) == 0);
        return;
    }
    WF_FUZZ_CHECK (s_first->count <= WF_AMQP_PUBLICATIONS_MAX);
    WF_FUZZ_CHECK (s_first->count == s_second->count);
    for (size_t i = 0; i < s_first->count; i++) {
        const wf_amqp_publication_t *p = &s_first->items[i], *q = &s_second->items[i];
        WF_FUZZ_CHECK (p->body_bytes > 0 && p->body_bytes <= WF_AMQP_BODY_BYTES_MAX);
        WF_FUZZ_CHECK (p->body_bytes == q->body_bytes &&
                       memcmp (p->body, q->body, p->body_bytes) == 0);
        WF_FUZZ_CHECK (strcmp (p->message_id, q->message_id) == 0);
        WF_FUZZ_CHECK (strcmp (p->exchange, q->exchange) == 0 && p->exchange[0] != 0);
        json_error_t json_error;
        json_t *body = json_loadb (p->body, p->body_bytes, 0, &json_error);
        WF_FUZZ_CHECK (body && json_is_object (body));
        json_decref (body);
        if (!p->masstransit) {
            size_t len = strnlen (deliver.message_id.ptr ? deliver.message_id.ptr : "",
                                  deliver.message_id.len);
            WF_FUZZ_CHECK (strlen (p->message_id) == len &&
                           memcmp (p->message_id, deliver.message_id.ptr, len) == 0);
        }
    }
}

static void
s_endpoint (const uint8_t *data, size_t size)
{
    char *url = wf_fuzz_strdup ((wf_fuzz_field_t){(const char *) data, size});
    wf_amqp_endpoint_t *endpoint = (wf_amqp_endpoint_t *) malloc (sizeof *endpoint);
    char error[256];
    error[0] = 0;
    if (wf_amqp_endpoint_parse (url, endpoint, error, sizeof error) == 0) {
        WF_FUZZ_CHECK (endpoint->host[0] != 0);
        WF_FUZZ_CHECK (endpoint->port >= 1 && endpoint->port <= 65535);
        WF_FUZZ_CHECK (endpoint->vhost[0] != 0);
        const char *scheme = endpoint->tls ? "rabbitmqs://" : "rabbitmq://";
        WF_FUZZ_CHECK (strncmp (endpoint->address_base, scheme, strlen (scheme)) == 0);
    } else
        WF_FUZZ_CHECK (error[0] != 0);
    free (endpoint);
    free (url);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_first) {
        s_first = (wf_amqp_publications_t *) malloc (sizeof *s_first);
        s_second = (wf_amqp_publications_t *) malloc (sizeof *s_second);
    }
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        s_build (data + 1, size - 1);
    else
        s_endpoint (data + 1, size - 1);
    return 0;
}
