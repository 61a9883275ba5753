/*  wf_amqp_test_consumer - reads what reached RabbitMQ, for the bridge's tests.  */
#include "wf_amqp_test_consumer.h"
#include "wf_amqp_message.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <amqp_tcp_socket.h>
#include <czmq.h>

//  Opens a consumer: an exclusive queue bound to each exchange with the key, consuming.
wf_amqp_test_consumer_t *
wf_amqp_test_consumer_new (const char *url, const char *const *exchanges, size_t count,
                           const char *key)
{
    wf_amqp_endpoint_t endpoint;
    char error[256];
    assert_int_equal (wf_amqp_endpoint_parse (url, &endpoint, error, sizeof error), 0);
    wf_amqp_test_consumer_t *c =
        (wf_amqp_test_consumer_t *) calloc (1, sizeof (wf_amqp_test_consumer_t));
    c->conn = amqp_new_connection ();
    amqp_socket_t *socket = amqp_tcp_socket_new (c->conn);
    struct timeval timeout = {5, 0};
    assert_int_equal (amqp_socket_open_noblock (socket, endpoint.host, endpoint.port, &timeout),
                      AMQP_STATUS_OK);
    amqp_rpc_reply_t reply = amqp_login (c->conn, endpoint.vhost, 0, 131072, 0,
                                         AMQP_SASL_METHOD_PLAIN, endpoint.user, endpoint.password);
    assert_int_equal (reply.reply_type, AMQP_RESPONSE_NORMAL);
    amqp_channel_open (c->conn, 1);
    assert_int_equal (amqp_get_rpc_reply (c->conn).reply_type, AMQP_RESPONSE_NORMAL);
    amqp_queue_declare_ok_t *queue =
        amqp_queue_declare (c->conn, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
    assert_non_null (queue);
    snprintf (c->queue, sizeof c->queue, "%.*s", (int) queue->queue.len,
              (const char *) queue->queue.bytes);
    for (size_t i = 0; i < count; i++) {
        amqp_queue_bind (c->conn, 1, amqp_cstring_bytes (c->queue),
                         amqp_cstring_bytes (exchanges[i]), amqp_cstring_bytes (key),
                         amqp_empty_table);
        assert_int_equal (amqp_get_rpc_reply (c->conn).reply_type, AMQP_RESPONSE_NORMAL);
    }
    amqp_basic_consume (c->conn, 1, amqp_cstring_bytes (c->queue), amqp_empty_bytes, 0, 1, 1,
                        amqp_empty_table);
    assert_int_equal (amqp_get_rpc_reply (c->conn).reply_type, AMQP_RESPONSE_NORMAL);
    return c;
}

//  Closes a consumer (its queue goes with it).
void
wf_amqp_test_consumer_destroy (wf_amqp_test_consumer_t **c_p)
{
    wf_amqp_test_consumer_t *c = *c_p;
    amqp_channel_close (c->conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close (c->conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection (c->conn);
    free (c);
    *c_p = NULL;
}

//  Copies an AMQP byte string into a C buffer.
static void
s_copy_bytes (char *dest, size_t size, amqp_bytes_t bytes, bool present)
{
    snprintf (dest, size, "%.*s", present ? (int) bytes.len : 0,
              present ? (const char *) bytes.bytes : "");
}

//  Reads the next message within timeout_ms; false when none came.
bool
wf_amqp_test_consume (wf_amqp_test_consumer_t *c, int timeout_ms, wf_amqp_test_received_t *out)
{
    struct timeval timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    amqp_envelope_t envelope;
    amqp_maybe_release_buffers (c->conn);
    amqp_rpc_reply_t reply = amqp_consume_message (c->conn, &envelope, &timeout, 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL)
        return false;
    amqp_basic_properties_t *p = &envelope.message.properties;
    memset (out, 0, sizeof *out);
    s_copy_bytes (out->exchange, sizeof out->exchange, envelope.exchange, true);
    s_copy_bytes (out->routing_key, sizeof out->routing_key, envelope.routing_key, true);
    s_copy_bytes (out->message_id, sizeof out->message_id, p->message_id,
                  p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG);
    s_copy_bytes (out->type, sizeof out->type, p->type, p->_flags & AMQP_BASIC_TYPE_FLAG);
    s_copy_bytes (out->content_type, sizeof out->content_type, p->content_type,
                  p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG);
    s_copy_bytes (out->app_id, sizeof out->app_id, p->app_id, p->_flags & AMQP_BASIC_APP_ID_FLAG);
    out->delivery_mode = p->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG ? p->delivery_mode : 0;
    out->timestamp = p->_flags & AMQP_BASIC_TIMESTAMP_FLAG ? p->timestamp : 0;
    json_error_t error;
    out->body = json_loadb ((const char *) envelope.message.body.bytes, envelope.message.body.len,
                            0, &error);
    amqp_destroy_envelope (&envelope);
    return true;
}

//  Reads until a message with this id arrives (others are skipped); fails after
//  WF_AMQP_TEST_WAIT_MS.
void
wf_amqp_test_consume_id (wf_amqp_test_consumer_t *c, const char *message_id,
                         wf_amqp_test_received_t *out)
{
    int64_t end = zclock_mono () + WF_AMQP_TEST_WAIT_MS;
    while (zclock_mono () < end) {
        if (!wf_amqp_test_consume (c, 200, out))
            continue;
        if (streq (out->message_id, message_id))
            return;
        json_decref (out->body);
    }
    fail_msg ("message %s never reached queue %s", message_id, c->queue);
}
