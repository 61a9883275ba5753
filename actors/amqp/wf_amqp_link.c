/*  wf_amqp_link - one RabbitMQ connection in publisher-confirm mode, with bounded waits.  */
#include "wf_amqp_link.h"

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

struct _wf_amqp_link_t {
    const wf_amqp_link_config_t *config;
    amqp_connection_state_t conn; //  NULL while closed
    bool blocked;
    uint64_t next_tag; //  delivery tag of the next publish
};

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

//  A timeval of ms milliseconds.
static struct timeval
s_timeval (int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return tv;
}

//  Describes a failed RPC reply in error; returns -1.
static int
s_rpc_failed (const char *step, amqp_rpc_reply_t reply, char *error, size_t error_size)
{
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
        return s_fail (error, error_size, "%s: %s", step, amqp_error_string2 (reply.library_error));
    if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_t *close = (amqp_connection_close_t *) reply.reply.decoded;
        return s_fail (error, error_size, "%s: server closed the connection: %u %.*s", step,
                       close->reply_code, (int) close->reply_text.len,
                       (const char *) close->reply_text.bytes);
    }
    if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_t *close = (amqp_channel_close_t *) reply.reply.decoded;
        return s_fail (error, error_size, "%s: server closed the channel: %u %.*s", step,
                       close->reply_code, (int) close->reply_text.len,
                       (const char *) close->reply_text.bytes);
    }
    return s_fail (error, error_size, "%s: failed (reply type %d)", step, (int) reply.reply_type);
}

wf_amqp_link_t *
wf_amqp_link_new (const wf_amqp_link_config_t *config)
{
    assert (config && config->endpoint);
    assert (config->connect_timeout_ms > 0);
    wf_amqp_link_t *self = (wf_amqp_link_t *) calloc (1, sizeof (wf_amqp_link_t));
    assert (self);
    self->config = config;
    return self;
}

void
wf_amqp_link_destroy (wf_amqp_link_t **self_p)
{
    wf_amqp_link_t *self = *self_p;
    if (!self)
        return;
    wf_amqp_link_close (self, true);
    free (self);
    *self_p = NULL;
}

//  Logs in with our client properties: a connection name, and the connection.blocked
//  capability so that a broker under a resource alarm tells us instead of going silent.
static amqp_rpc_reply_t
s_login (wf_amqp_link_t *self)
{
    const wf_amqp_endpoint_t *endpoint = self->config->endpoint;
    amqp_table_entry_t capability[1];
    capability[0].key = amqp_cstring_bytes ("connection.blocked");
    capability[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
    capability[0].value.value.boolean = 1;
    amqp_table_entry_t properties[2];
    properties[0].key = amqp_cstring_bytes ("capabilities");
    properties[0].value.kind = AMQP_FIELD_KIND_TABLE;
    properties[0].value.value.table.num_entries = 1;
    properties[0].value.value.table.entries = capability;
    properties[1].key = amqp_cstring_bytes ("connection_name");
    properties[1].value.kind = AMQP_FIELD_KIND_UTF8;
    properties[1].value.value.bytes = amqp_cstring_bytes (
        self->config->connection_name ? self->config->connection_name : "walletflow");
    amqp_table_t table = {.num_entries = 2, .entries = properties};
    return amqp_login_with_properties (self->conn, endpoint->vhost, 0, WF_AMQP_FRAME_BYTES_MAX,
                                       self->config->heartbeat_s, &table, AMQP_SASL_METHOD_PLAIN,
                                       endpoint->user, endpoint->password);
}

//  Opens channel 1 in confirm mode and declares the exchanges; 0 or -1 with error set.
static int
s_setup_channel (wf_amqp_link_t *self, const wf_amqp_exchange_t *exchanges, size_t count,
                 char *error, size_t error_size)
{
    amqp_channel_open (self->conn, WF_AMQP_CHANNEL);
    amqp_rpc_reply_t reply = amqp_get_rpc_reply (self->conn);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL)
        return s_rpc_failed ("channel open", reply, error, error_size);
    amqp_confirm_select (self->conn, WF_AMQP_CHANNEL);
    reply = amqp_get_rpc_reply (self->conn);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL)
        return s_rpc_failed ("confirm select", reply, error, error_size);
    for (size_t i = 0; i < count; i++) {
        //  durable, not auto-delete, not internal, no arguments: what MassTransit declares
        //  for a message type, so either side may declare first.
        amqp_exchange_declare (self->conn, WF_AMQP_CHANNEL, amqp_cstring_bytes (exchanges[i].name),
                               amqp_cstring_bytes (exchanges[i].type), 0, 1, 0, 0,
                               amqp_empty_table);
        reply = amqp_get_rpc_reply (self->conn);
        if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
            char step[WF_AMQP_SHORTSTR_BYTES_MAX + 32];
            snprintf (step, sizeof step, "declare exchange %s", exchanges[i].name);
            return s_rpc_failed (step, reply, error, error_size);
        }
    }
    return 0;
}

//  Makes the connection's socket: TCP, or TLS for amqps:// with the configured checks.
static int
s_socket (wf_amqp_link_t *self, amqp_socket_t **socket, char *error, size_t error_size)
{
    const wf_amqp_link_config_t *config = self->config;
    if (!config->endpoint->tls) {
        *socket = amqp_tcp_socket_new (self->conn);
        assert (*socket);
        return 0;
    }
    *socket = amqp_ssl_socket_new (self->conn);
    if (!*socket)
        return s_fail (error, error_size, "TLS: cannot set up OpenSSL");
    if (config->tls_ca && amqp_ssl_socket_set_cacert (*socket, config->tls_ca) != AMQP_STATUS_OK)
        return s_fail (error, error_size, "TLS: cannot read the CA file %s", config->tls_ca);
    amqp_ssl_socket_set_verify_peer (*socket, !config->tls_no_verify);
    amqp_ssl_socket_set_verify_hostname (*socket, !config->tls_no_verify);
    return 0;
}

int
wf_amqp_link_open (wf_amqp_link_t *self, const wf_amqp_exchange_t *exchanges, size_t count,
                   char *error, size_t error_size)
{
    assert (self && !self->conn);
    const wf_amqp_endpoint_t *endpoint = self->config->endpoint;
    self->conn = amqp_new_connection ();
    assert (self->conn);
    amqp_socket_t *socket = NULL;
    int rc = s_socket (self, &socket, error, error_size);
    struct timeval timeout = s_timeval (self->config->connect_timeout_ms);
    int status =
        rc == 0 ? amqp_socket_open_noblock (socket, endpoint->host, endpoint->port, &timeout) : 0;
    if (rc == 0 && status != AMQP_STATUS_OK)
        rc = s_fail (error, error_size, "connect %s:%d: %s", endpoint->host, endpoint->port,
                     amqp_error_string2 (status));
    if (rc == 0) {
        amqp_set_handshake_timeout (self->conn, &timeout);
        amqp_set_rpc_timeout (self->conn, &timeout);
        amqp_rpc_reply_t reply = s_login (self);
        if (reply.reply_type != AMQP_RESPONSE_NORMAL)
            rc = s_rpc_failed ("login", reply, error, error_size);
    }
    if (rc == 0)
        rc = s_setup_channel (self, exchanges, count, error, error_size);
    if (rc != 0) {
        wf_amqp_link_close (self, false);
        return -1;
    }
    self->blocked = false;
    self->next_tag = 1;
    return 0;
}

bool
wf_amqp_link_is_open (wf_amqp_link_t *self)
{
    return self->conn != NULL;
}

bool
wf_amqp_link_is_blocked (wf_amqp_link_t *self)
{
    return self->conn && self->blocked;
}

int
wf_amqp_link_fd (wf_amqp_link_t *self)
{
    return self->conn ? amqp_get_sockfd (self->conn) : -1;
}

int
wf_amqp_link_publish (wf_amqp_link_t *self, const wf_amqp_publication_t *publication, uint64_t *tag,
                      char *error, size_t error_size)
{
    assert (self->conn && publication && tag);
    amqp_basic_properties_t props;
    memset (&props, 0, sizeof props);
    props._flags =
        AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
    props.content_type = amqp_cstring_bytes (publication->content_type);
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.message_id = amqp_cstring_bytes (publication->message_id);
    if (publication->type) {
        props._flags |= AMQP_BASIC_TYPE_FLAG;
        props.type = amqp_cstring_bytes (publication->type);
    }
    if (publication->app_id) {
        props._flags |= AMQP_BASIC_APP_ID_FLAG;
        props.app_id = amqp_cstring_bytes (publication->app_id);
    }
    if (publication->timestamp_s > 0) {
        props._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
        props.timestamp = (uint64_t) publication->timestamp_s;
    }
    amqp_bytes_t body = {.len = publication->body_bytes, .bytes = publication->body};
    int status =
        amqp_basic_publish (self->conn, WF_AMQP_CHANNEL, amqp_cstring_bytes (publication->exchange),
                            amqp_cstring_bytes (publication->routing_key), 0, 0, &props, body);
    if (status != AMQP_STATUS_OK) {
        s_fail (error, error_size, "publish: %s", amqp_error_string2 (status));
        wf_amqp_link_close (self, false);
        return -1;
    }
    *tag = self->next_tag++;
    return 0;
}

//  Handles one method frame; 0, or -1 with error set when the broker closed on us.
static int
s_method (wf_amqp_link_t *self, const amqp_frame_t *frame, wf_amqp_confirm_fn *confirm, void *arg,
          char *error, size_t error_size)
{
    amqp_method_t method = frame->payload.method;
    if (method.id == AMQP_BASIC_ACK_METHOD) {
        amqp_basic_ack_t *ack = (amqp_basic_ack_t *) method.decoded;
        confirm (arg, ack->delivery_tag, ack->multiple != 0, true);
    } else if (method.id == AMQP_BASIC_NACK_METHOD) {
        amqp_basic_nack_t *nack = (amqp_basic_nack_t *) method.decoded;
        confirm (arg, nack->delivery_tag, nack->multiple != 0, false);
    } else if (method.id == AMQP_CONNECTION_BLOCKED_METHOD)
        self->blocked = true;
    else if (method.id == AMQP_CONNECTION_UNBLOCKED_METHOD)
        self->blocked = false;
    else if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_t *close = (amqp_channel_close_t *) method.decoded;
        return s_fail (error, error_size, "server closed the channel: %u %.*s", close->reply_code,
                       (int) close->reply_text.len, (const char *) close->reply_text.bytes);
    } else if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_t *close = (amqp_connection_close_t *) method.decoded;
        return s_fail (error, error_size, "server closed the connection: %u %.*s",
                       close->reply_code, (int) close->reply_text.len,
                       (const char *) close->reply_text.bytes);
    }
    //  Anything else (a basic.return we never ask for, a stray header) is ignored.
    return 0;
}

int
wf_amqp_link_pump (wf_amqp_link_t *self, int wait_ms, wf_amqp_confirm_fn *confirm, void *arg,
                   char *error, size_t error_size)
{
    assert (self->conn && confirm);
    int rc = 1; //  until a read finds nothing
    for (int frames = 0; frames < WF_AMQP_PUMP_FRAMES_MAX && rc == 1; frames++) {
        struct timeval timeout = s_timeval (frames == 0 && wait_ms > 0 ? wait_ms : 0);
        amqp_frame_t frame;
        int status = amqp_simple_wait_frame_noblock (self->conn, &frame, &timeout);
        if (status == AMQP_STATUS_TIMEOUT)
            rc = 0;
        else if (status != AMQP_STATUS_OK)
            rc = s_fail (error, error_size, "%s", amqp_error_string2 (status));
        else if (frame.frame_type == AMQP_FRAME_METHOD &&
                 s_method (self, &frame, confirm, arg, error, error_size) != 0)
            rc = -1;
    }
    if (rc < 0) {
        wf_amqp_link_close (self, false);
        return -1;
    }
    amqp_maybe_release_buffers (self->conn);
    return rc;
}

void
wf_amqp_link_close (wf_amqp_link_t *self, bool polite)
{
    if (!self->conn)
        return;
    if (polite) {
        struct timeval timeout = s_timeval (self->config->connect_timeout_ms);
        amqp_set_rpc_timeout (self->conn, &timeout);
        amqp_channel_close (self->conn, WF_AMQP_CHANNEL, AMQP_REPLY_SUCCESS);
        amqp_connection_close (self->conn, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection (self->conn);
    self->conn = NULL;
    self->blocked = false;
}
