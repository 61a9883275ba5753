/*  wf_health_probe - one bounded probe of one dependency, its connection kept between probes.

    Every run computes one deadline and hands each step what is left of it: libpq is driven
    through PQconnectPoll and a non-blocking query with poll(2) (its own connect_timeout has a
    2 s floor, too coarse to rely on), hiredis and rabbitmq-c take their timeouts as timevals,
    and the DEALER's receive timeout is the time left. A failed step drops the connection.
*/
#include "wf_health_probe.h"
#include "wf_health_probe_internal.h"

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BROKER_FRAME_BYTES_MAX 1024 //  a reply to mmi.service is a few bytes
#define S_BROKER_STALE_MAX       16   //  stale messages drained before one probe
#define S_AMQP_FRAME_BYTES_MAX   131072
#define S_AMQP_PROBE_CHANNEL     1

static const char *s_check_names[WF_HEALTH_CHECKS] = {"postgres", "redis", "rabbitmq", "broker"};

const char *
wf_health_check_name (wf_health_check_t check)
{
    assert (check >= 0 && check < WF_HEALTH_CHECKS);
    return s_check_names[check];
}

//  Writes a one-line ASCII description: printf-style, cut at the first line break (libpq's
//  second line is a hint), other control characters turned into spaces and bytes past ASCII
//  into '?' (a server's message may be in any encoding, and the report must be valid JSON),
//  trailing spaces dropped, cut to the buffer.
void
wf_health_describe (char *description, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (description, WF_HEALTH_DESCRIPTION_BYTES_MAX, format, args);
    va_end (args);
    description[strcspn (description, "\r\n")] = 0;
    for (char *p = description; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            *p = ' ';
        else if ((unsigned char) *p > 0x7f)
            *p = '?';
    size_t length = strlen (description);
    while (length > 0 && description[length - 1] == ' ')
        description[--length] = 0;
}

//  Milliseconds left until deadline_us (monotonic), rounded up; 0 once passed.
int
wf_health_left_ms (int64_t deadline_us)
{
    int64_t left_us = deadline_us - zclock_usecs ();
    return left_us <= 0 ? 0 : (int) ((left_us + 999) / 1000);
}

//  The time left as a timeval of at least 1 ms: a zero timeval means "no timeout" to some of
//  the libraries, so a passed deadline must still be a short wait, never an endless one.
static struct timeval
s_left_tv (int64_t deadline_us)
{
    int64_t left_us = deadline_us - zclock_usecs ();
    if (left_us < 1000)
        left_us = 1000;
    struct timeval tv = {(time_t) (left_us / 1000000), (suseconds_t) (left_us % 1000000)};
    return tv;
}

//  Parses redis://[[user]:password@]host[:port][/db] into the probe; -1 when malformed.
static int
s_redis_parse (wf_health_probe_t *self, const char *url)
{
    if (strncmp (url, "redis://", 8) != 0)
        return -1;
    const char *host = url + 8;
    const char *at = strchr (host, '@');
    if (at) {
        const char *colon = memchr (host, ':', (size_t) (at - host));
        if (colon && colon + 1 < at)
            self->redis_password = strndup (colon + 1, (size_t) (at - colon - 1));
        host = at + 1;
    }
    size_t host_length;
    const char *rest;
    if (*host == '[') { //  [IPv6]
        const char *close = strchr (host, ']');
        if (!close)
            return -1;
        host_length = (size_t) (close - host - 1);
        rest = close + 1;
        host++;
    } else {
        host_length = strcspn (host, ":/");
        rest = host + host_length;
    }
    if (host_length == 0 || host_length >= sizeof self->redis_host)
        return -1;
    memcpy (self->redis_host, host, host_length);
    self->redis_host[host_length] = 0;
    self->redis_port = 6379;
    if (*rest == ':') {
        char *end;
        long port = strtol (rest + 1, &end, 10);
        if (end == rest + 1 || port <= 0 || port > 65535 || (*end && *end != '/'))
            return -1;
        self->redis_port = (int) port;
    }
    return 0;
}

//  Checks and stores the target for the probe's check; sets target_error when unusable.
static void
s_target_parse (wf_health_probe_t *self)
{
    if (strlen (self->target) >= WF_HEALTH_TARGET_BYTES_MAX)
        wf_health_describe (self->target_error, "target longer than %d bytes",
                            WF_HEALTH_TARGET_BYTES_MAX - 1);
    else if (self->check == WF_HEALTH_REDIS) {
        if (s_redis_parse (self, self->target) != 0)
            wf_health_describe (self->target_error, "invalid redis URL");
    } else if (self->check == WF_HEALTH_RABBITMQ) {
        self->amqp_url = strdup (self->target);
        assert (self->amqp_url);
        if (amqp_parse_url (self->amqp_url, &self->amqp_info) != AMQP_STATUS_OK)
            wf_health_describe (self->target_error, "invalid AMQP URL");
        //  amqp_parse_url reads "amqp://host:port/" as the vhost "", which RabbitMQ cannot
        //  have; the URL means the default vhost "/" (write %2f to be explicit).
        if (self->amqp_info.vhost && !*self->amqp_info.vhost)
            self->amqp_info.vhost = (char *) "/";
    }
}

wf_health_probe_t *
wf_health_probe_new (wf_health_check_t check, const char *target, int timeout_ms)
{
    assert (check >= 0 && check < WF_HEALTH_CHECKS);
    assert (target);
    wf_health_probe_t *self = calloc (1, sizeof *self);
    assert (self);
    self->check = check;
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : WF_HEALTH_PROBE_TIMEOUT_MS;
    self->target = strdup (target);
    assert (self->target);
    self->amqp_tls_verify = true;
    s_target_parse (self);
    return self;
}

void
wf_health_probe_set_tls (wf_health_probe_t *self, const char *ca_path, bool verify)
{
    assert (self && !self->amqp);
    free (self->amqp_tls_ca);
    self->amqp_tls_ca = ca_path && *ca_path ? strdup (ca_path) : NULL;
    self->amqp_tls_verify = verify;
}

//  Redis --------------------------------------------------------------------------------

//  Sends one command; 0 when the reply is the expected status text.
static int
s_redis_command (wf_health_probe_t *self, const char *expected, char *error, const char *format,
                 ...)
{
    va_list args;
    va_start (args, format);
    redisReply *reply = redisvCommand (self->redis, format, args);
    va_end (args);
    if (!reply) {
        //  A read past the socket timeout fails with EAGAIN, which hiredis reports verbatim.
        bool timed_out =
            self->redis->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
        wf_health_describe (error, "%.*s: %s", (int) strcspn (format, " "), format,
                            timed_out ? "timed out" : self->redis->errstr);
        return -1;
    }
    int rc = reply->type == REDIS_REPLY_STATUS && strcmp (reply->str, expected) == 0 ? 0 : -1;
    if (rc != 0)
        wf_health_describe (error, "%.*s: unexpected reply: %s", (int) strcspn (format, " "),
                            format,
                            reply->type == REDIS_REPLY_ERROR || reply->type == REDIS_REPLY_STATUS
                                ? reply->str
                                : "(not a status)");
    freeReplyObject (reply);
    return rc;
}

//  Probes Redis: connect (and AUTH) when needed, then PING.
static int
s_redis_probe (wf_health_probe_t *self, int64_t deadline_us, char *error)
{
    int rc = 0;
    if (!self->redis) {
        self->redis =
            redisConnectWithTimeout (self->redis_host, self->redis_port, s_left_tv (deadline_us));
        assert (self->redis);
        if (self->redis->err) {
            wf_health_describe (error, "connect: %s", self->redis->errstr);
            rc = -1;
        } else if (self->redis_password) {
            redisSetTimeout (self->redis, s_left_tv (deadline_us));
            rc = s_redis_command (self, "OK", error, "AUTH %s", self->redis_password);
        }
    }
    if (rc == 0) {
        redisSetTimeout (self->redis, s_left_tv (deadline_us));
        rc = s_redis_command (self, "PONG", error, "PING");
    }
    if (rc != 0) {
        redisFree (self->redis);
        self->redis = NULL;
    }
    return rc;
}

//  RabbitMQ -----------------------------------------------------------------------------

//  Describes a failed AMQP RPC reply.
static void
s_amqp_describe (char *error, const char *step, amqp_rpc_reply_t reply)
{
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
        wf_health_describe (error, "%s: %s", step, amqp_error_string2 (reply.library_error));
    else if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
             reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_t *close = reply.reply.decoded;
        wf_health_describe (error, "%s: server closed the connection: %u %.*s", step,
                            close->reply_code, (int) close->reply_text.len,
                            (const char *) close->reply_text.bytes);
    } else if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
               reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        amqp_channel_close_t *close = reply.reply.decoded;
        wf_health_describe (error, "%s: server closed the channel: %u %.*s", step,
                            close->reply_code, (int) close->reply_text.len,
                            (const char *) close->reply_text.bytes);
    } else
        wf_health_describe (error, "%s: failed (reply type %d)", step, (int) reply.reply_type);
}

//  Opens socket, logs in (heartbeat 0: we probe, nobody keeps the link busy) and opens the
//  probe channel, each step bounded by what is left of the deadline.
static int
s_amqp_connect (wf_health_probe_t *self, int64_t deadline_us, char *error)
{
    self->amqp = amqp_new_connection ();
    assert (self->amqp);
    amqp_socket_t *socket =
        self->amqp_info.ssl ? amqp_ssl_socket_new (self->amqp) : amqp_tcp_socket_new (self->amqp);
    assert (socket);
    if (self->amqp_info.ssl) {
        //  The same checks as the bridge's: the peer's chain against the CA, and its name.
        if (self->amqp_tls_ca && amqp_ssl_socket_set_cacert (socket, self->amqp_tls_ca) != 0) {
            wf_health_describe (error, "TLS: cannot read the CA file %s", self->amqp_tls_ca);
            return -1;
        }
        amqp_ssl_socket_set_verify_peer (socket, self->amqp_tls_verify);
        amqp_ssl_socket_set_verify_hostname (socket, self->amqp_tls_verify);
    }
    struct timeval left = s_left_tv (deadline_us);
    int status =
        amqp_socket_open_noblock (socket, self->amqp_info.host, self->amqp_info.port, &left);
    if (status != AMQP_STATUS_OK) {
        wf_health_describe (error, "connect: %s", amqp_error_string2 (status));
        return -1;
    }
    left = s_left_tv (deadline_us);
    amqp_set_handshake_timeout (self->amqp, &left);
    amqp_set_rpc_timeout (self->amqp, &left);
    amqp_rpc_reply_t reply =
        amqp_login (self->amqp, self->amqp_info.vhost, 0, S_AMQP_FRAME_BYTES_MAX, 0,
                    AMQP_SASL_METHOD_PLAIN, self->amqp_info.user, self->amqp_info.password);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
        s_amqp_describe (error, "login", reply);
        return -1;
    }
    left = s_left_tv (deadline_us);
    amqp_set_rpc_timeout (self->amqp, &left);
    amqp_channel_open (self->amqp, S_AMQP_PROBE_CHANNEL);
    reply = amqp_get_rpc_reply (self->amqp);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
        s_amqp_describe (error, "channel open", reply);
        return -1;
    }
    return 0;
}

//  Probes RabbitMQ: connect when needed, then passively declare amq.direct, which every
//  broker has, to prove the connection and channel still work.
static int
s_amqp_probe (wf_health_probe_t *self, int64_t deadline_us, char *error)
{
    int rc = self->amqp ? 0 : s_amqp_connect (self, deadline_us, error);
    if (rc == 0) {
        struct timeval left = s_left_tv (deadline_us);
        amqp_set_rpc_timeout (self->amqp, &left);
        amqp_exchange_declare (self->amqp, S_AMQP_PROBE_CHANNEL, amqp_cstring_bytes ("amq.direct"),
                               amqp_cstring_bytes ("direct"), 1, 0, 0, 0, amqp_empty_table);
        amqp_rpc_reply_t reply = amqp_get_rpc_reply (self->amqp);
        if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
            s_amqp_describe (error, "declare amq.direct", reply);
            rc = -1;
        }
    }
    if (rc != 0 && self->amqp) {
        //  No close handshake with a peer that just failed us: drop the socket.
        amqp_destroy_connection (self->amqp);
        self->amqp = NULL;
    }
    return rc;
}

//  Closes a working AMQP connection politely, bounded by the probe's timeout.
static void
s_amqp_close (wf_health_probe_t *self)
{
    if (!self->amqp)
        return;
    int64_t deadline_us = zclock_usecs () + (int64_t) self->timeout_ms * 1000;
    struct timeval left = s_left_tv (deadline_us);
    amqp_set_rpc_timeout (self->amqp, &left);
    amqp_rpc_reply_t reply =
        amqp_channel_close (self->amqp, S_AMQP_PROBE_CHANNEL, AMQP_REPLY_SUCCESS);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL)
        amqp_connection_close (self->amqp, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection (self->amqp);
    self->amqp = NULL;
}

//  Broker -------------------------------------------------------------------------------

//  Creates the DEALER and connects it to the broker; -1 when the endpoint is refused.
static int
s_broker_connect (wf_health_probe_t *self, char *error)
{
    self->dealer = zsock_new (ZMQ_DEALER);
    assert (self->dealer);
    zsock_set_linger (self->dealer, 0);
    zsock_set_sndhwm (self->dealer, S_BROKER_STALE_MAX);
    zsock_set_rcvhwm (self->dealer, S_BROKER_STALE_MAX);
    zsock_set_maxmsgsize (self->dealer, S_BROKER_FRAME_BYTES_MAX);
    zsock_set_sndtimeo (self->dealer, 0);
    if (zsock_connect (self->dealer, "%s", self->target) != 0) {
        wf_health_describe (error, "invalid endpoint: %s", zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->dealer);
        return -1;
    }
    return 0;
}

//  Reads the mmi.service code from a reply; NULL when the reply is not one.
static const char *
s_broker_code (zmsg_t *reply)
{
    if (zmsg_size (reply) != 4)
        return NULL;
    zframe_t *frame = zmsg_first (reply);
    if (zframe_size (frame) != 0)
        return NULL;
    if (!zframe_streq (zmsg_next (reply), "MDPC01") ||
        !zframe_streq (zmsg_next (reply), "mmi.service"))
        return NULL;
    frame = zmsg_next (reply);
    if (zframe_size (frame) != 3)
        return NULL;
    const char *code = (const char *) zframe_data (frame);
    for (int index = 0; index < 3; index++)
        if (code[index] < '0' || code[index] > '9')
            return NULL;
    return code;
}

//  Sends the mmi.service request and waits for its reply until the deadline.
static int
s_broker_ask (wf_health_probe_t *self, int64_t deadline_us, char *description)
{
    //  Nothing should be waiting; whatever is, belongs to no probe.
    zsock_set_rcvtimeo (self->dealer, 0);
    for (int index = 0; index < S_BROKER_STALE_MAX; index++) {
        zmsg_t *stale = zmsg_recv (self->dealer);
        if (!stale)
            break;
        zmsg_destroy (&stale);
    }
    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, "");
    zmsg_addstr (request, "MDPC01");
    zmsg_addstr (request, "mmi.service");
    zmsg_addstr (request, "system");
    if (zmsg_send (&request, self->dealer) != 0) {
        zmsg_destroy (&request);
        wf_health_describe (description, "send: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    int left_ms;
    while ((left_ms = wf_health_left_ms (deadline_us)) > 0) {
        zsock_set_rcvtimeo (self->dealer, left_ms);
        zmsg_t *reply = zmsg_recv (self->dealer);
        if (!reply)
            break;
        const char *code = s_broker_code (reply);
        if (code)
            wf_health_describe (description, "ok (mmi.service system: %.3s, %s)", code,
                                strncmp (code, "200", 3) == 0 ? "worker registered" : "no worker");
        zmsg_destroy (&reply);
        if (code)
            return 0;
    }
    wf_health_describe (description, "no reply within %d ms", self->timeout_ms);
    return -1;
}

//  Probes the broker; a DEALER whose request went unanswered is replaced.
static int
s_broker_probe (wf_health_probe_t *self, int64_t deadline_us, char *description)
{
    if (!self->dealer && s_broker_connect (self, description) != 0)
        return -1;
    int rc = s_broker_ask (self, deadline_us, description);
    if (rc != 0)
        zsock_destroy (&self->dealer);
    return rc;
}

//  Runs and results -------------------------------------------------------------------------

//  Runs the probe of the check once; a failure drops the connection.
static int
s_probe_once (wf_health_probe_t *self, int64_t deadline_us, char *description)
{
    strcpy (description, "ok");
    if (self->check == WF_HEALTH_POSTGRES)
        return wf_health_pg_probe (self, deadline_us, description);
    if (self->check == WF_HEALTH_REDIS)
        return s_redis_probe (self, deadline_us, description);
    if (self->check == WF_HEALTH_RABBITMQ)
        return s_amqp_probe (self, deadline_us, description);
    return s_broker_probe (self, deadline_us, description);
}

int
wf_health_probe_run (wf_health_probe_t *self, wf_health_result_t *result)
{
    assert (self);
    assert (result);
    memset (result, 0, sizeof *result);
    result->name = s_check_names[self->check];
    int64_t started_us = zclock_usecs ();
    int64_t deadline_us = started_us + (int64_t) self->timeout_ms * 1000;
    int rc = -1;
    if (self->target_error[0])
        wf_health_describe (result->description, "%s", self->target_error);
    else {
        //  A kept connection may have died since the last run (the server restarted, or
        //  dropped idle clients): that says nothing about now, so once it fails, one fresh
        //  connection gets what is left of the deadline.
        bool kept = self->pg || self->redis || self->amqp;
        rc = s_probe_once (self, deadline_us, result->description);
        if (rc != 0 && kept && wf_health_left_ms (deadline_us) > 0)
            rc = s_probe_once (self, deadline_us, result->description);
    }
    result->healthy = rc == 0;
    result->duration_us = zclock_usecs () - started_us;
    return rc;
}

wf_health_check_t
wf_health_probe_check (wf_health_probe_t *self)
{
    assert (self);
    return self->check;
}

void
wf_health_probe_destroy (wf_health_probe_t **self_p)
{
    assert (self_p);
    wf_health_probe_t *self = *self_p;
    if (!self)
        return;
    if (self->pg)
        PQfinish (self->pg);
    if (self->redis)
        redisFree (self->redis);
    s_amqp_close (self);
    zsock_destroy (&self->dealer);
    free (self->redis_password);
    free (self->amqp_url);
    free (self->amqp_tls_ca);
    free (self->target);
    free (self);
    *self_p = NULL;
}
