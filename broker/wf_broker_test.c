/*  wf_broker_test - the broker, its worker and client halves, over inproc.

    Each test runs a real broker actor with a short heartbeat and talks to it
    with real DEALER sockets through wf_mdp_client / wf_mdp_worker or raw
    frames where a misbehaving peer is needed. Every receive has a timeout.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wf_broker.h"
#include "wf_mdp.h"
#include "wf_mdp_client.h"
#include "wf_mdp_worker.h"
#include "wf_wire.h"

#define HEARTBEAT_MS 100
#define LIVENESS     3
#define RECV_MS      10000 //  a bound on waits, never a timing claim (loaded CI, sanitizers)

typedef struct {
    wf_broker_config_t config;
    zactor_t *broker;
    char endpoint[64];
    wf_buf_t scratch;
} fixture_t;

static int s_fixture_seq;

//  Starts a broker on a fresh inproc endpoint.
static int
s_setup (void **state)
{
    fixture_t *f = (fixture_t *) calloc (1, sizeof (fixture_t));
    snprintf (f->endpoint, sizeof f->endpoint, "inproc://broker-test-%d", ++s_fixture_seq);
    f->config.endpoint = f->endpoint;
    f->config.heartbeat_interval_ms = HEARTBEAT_MS;
    f->config.heartbeat_liveness = LIVENESS;
    f->config.service_queue_depth_max = 3;
    f->config.request_timeout_ms = 1000;
    f->broker = zactor_new (wf_broker_actor, &f->config);
    assert_non_null (f->broker);
    wf_buf_init (&f->scratch);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    zactor_destroy (&f->broker);
    wf_buf_free (&f->scratch);
    free (f);
    return 0;
}

//  Builds a system.info request body with a correlation id and deadline.
static zmsg_t *
s_request (fixture_t *f, uint64_t correlation_id, int64_t deadline_ms, const char *probe)
{
    wf_envelope_t env = {.version = WF_PROTO_VERSION,
                         .type = WF_MSG_SYSTEM_INFO,
                         .correlation_id = correlation_id,
                         .deadline_ms = deadline_ms,
                         .request_id = WF_STR ("test")};
    wf_system_info_t body = {.probe = wf_str_c (probe)};
    zmsg_t *msg = zmsg_new ();
    assert_int_equal (wf_wire_append (msg, &env, &body, &f->scratch), 0);
    return msg;
}

//  Waits for a message on a socket, NULL after timeout_ms.
static zmsg_t *
s_recv_timeout (zsock_t *sock, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    zmsg_t *msg = zpoller_wait (poller, timeout_ms) ? zmsg_recv (sock) : NULL;
    zpoller_destroy (&poller);
    return msg;
}

//  Waits for a client reply; decodes envelope + body.
static zmsg_t *
s_client_reply (wf_mdp_client_t *client, wf_envelope_t *env, wf_any_msg_t *body, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (wf_mdp_client_sock (client), NULL);
    zmsg_t *reply = NULL;
    int64_t end = zclock_mono () + timeout_ms;
    while (!reply && zclock_mono () < end) {
        if (zpoller_wait (poller, (int) (end - zclock_mono ())))
            reply = wf_mdp_client_recv (client, NULL);
    }
    zpoller_destroy (&poller);
    if (reply) {
        wf_codec_err_t err;
        zframe_t *first = zmsg_first (reply);
        assert_non_null (first);
        assert_int_equal (wf_envelope_decode (zframe_data (first), zframe_size (first), env, &err),
                          0);
        zframe_t *second = zmsg_next (reply);
        assert_non_null (second);
        assert_int_equal (
            wf_body_decode (env->type, zframe_data (second), zframe_size (second), body, &err), 0);
    }
    return reply;
}

//  Asserts the client gets an `error` reply with the given code.
static void
s_expect_error (wf_mdp_client_t *client, uint64_t correlation_id, wf_err_t code, int timeout_ms)
{
    wf_envelope_t env;
    wf_any_msg_t body;
    zmsg_t *reply = s_client_reply (client, &env, &body, timeout_ms);
    assert_non_null (reply);
    assert_int_equal (env.type, WF_MSG_ERROR);
    assert_int_equal (env.correlation_id, correlation_id);
    assert_int_equal (body.error.code, code);
    zmsg_destroy (&reply);
}

//  Drives workers (receive, tick) until one of them has a request; returns it
//  and sets *which to that worker's index. NULL after RECV_MS.
static zmsg_t *
s_next_request (wf_mdp_worker_t **workers, int count, int *which)
{
    zpoller_t *poller = zpoller_new (NULL);
    for (int i = 0; i < count; i++)
        zpoller_add (poller, wf_mdp_worker_sock (workers[i]));
    zmsg_t *request = NULL;
    int64_t end = zclock_mono () + RECV_MS;
    while (!request && zclock_mono () < end) {
        zpoller_wait (poller, 20);
        for (int i = 0; i < count && !request; i++) {
            wf_mdp_worker_tick (workers[i]);
            while (!request && (zsock_events (wf_mdp_worker_sock (workers[i])) & ZMQ_POLLIN)) {
                request = wf_mdp_worker_recv (workers[i]);
                if (request && which)
                    *which = i;
            }
        }
    }
    zpoller_destroy (&poller);
    return request;
}

//  Answers a request ([client][envelope][body]) with the probe echoed.
static void
s_serve (fixture_t *f, wf_mdp_worker_t *worker, zmsg_t **request_p, const char *name)
{
    zmsg_t *request = *request_p;
    assert_non_null (request);
    zframe_t *client = zmsg_pop (request);
    wf_envelope_t env;
    wf_any_msg_t body;
    wf_codec_err_t err;
    zframe_t *first = zmsg_first (request);
    assert_int_equal (wf_envelope_decode (zframe_data (first), zframe_size (first), &env, &err), 0);
    zframe_t *second = zmsg_next (request);
    assert_int_equal (
        wf_body_decode (env.type, zframe_data (second), zframe_size (second), &body, &err), 0);
    wf_envelope_t reply_env;
    wf_wire_reply_envelope (&env, WF_MSG_SYSTEM_INFO_REPLY, &reply_env);
    wf_system_info_reply_t reply = {.schema_version = 1,
                                    .server_version = WF_STR ("test"),
                                    .worker = wf_str_c (name),
                                    .probe = body.system_info.probe};
    zmsg_t *out = zmsg_new ();
    assert_int_equal (wf_wire_append (out, &reply_env, &reply, &f->scratch), 0);
    wf_mdp_worker_send (worker, client, &out);
    zframe_destroy (&client);
    zmsg_destroy (request_p);
}

//  Receives on a raw worker socket until a given MDP command arrives.
static zmsg_t *
s_raw_command (zsock_t *sock, const char *command)
{
    int64_t end = zclock_mono () + RECV_MS;
    while (zclock_mono () < end) {
        zmsg_t *msg = s_recv_timeout (sock, (int) (end - zclock_mono ()));
        if (!msg)
            break;
        zframe_t *frame = zmsg_first (msg);
        frame = zmsg_next (msg);
        frame = zmsg_next (msg);
        if (frame && zframe_streq (frame, command))
            return msg;
        zmsg_destroy (&msg);
    }
    return NULL;
}

//  A worker for `service` on the fixture's broker.
static wf_mdp_worker_t *
s_worker_new (fixture_t *f, const char *service, size_t credit)
{
    wf_mdp_worker_config_t config = {.broker_endpoint = f->endpoint,
                                     .service = service,
                                     .credit = credit,
                                     .heartbeat_interval_ms = HEARTBEAT_MS,
                                     .heartbeat_liveness = LIVENESS};
    wf_mdp_worker_t *worker = wf_mdp_worker_new (&config);
    assert_non_null (worker);
    return worker;
}

//  Asks the broker whether a service has workers, via MMI.
static char *
s_mmi_service (wf_mdp_client_t *client, const char *service)
{
    zmsg_t *body = zmsg_new ();
    zmsg_addstr (body, service);
    zmsg_t *reply = wf_mdp_client_request (client, "mmi.service", &body, RECV_MS);
    assert_non_null (reply);
    char *code = zmsg_popstr (reply);
    zmsg_destroy (&reply);
    return code;
}

//  Waits until MMI reports the service as `code` (registration is async).
static void
s_await_service (wf_mdp_client_t *client, const char *service, const char *code)
{
    int64_t end = zclock_mono () + RECV_MS;
    while (zclock_mono () < end) {
        char *got = s_mmi_service (client, service);
        bool match = streq (got, code);
        zstr_free (&got);
        if (match)
            return;
        zclock_sleep (10);
    }
    fail_msg ("service %s never reported %s", service, code);
}

//  Requests are spread round robin over the workers of a service.
static void
test_routes_round_robin (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    wf_mdp_worker_t *a = s_worker_new (f, "echo", 1);
    wf_mdp_worker_t *b = s_worker_new (f, "echo", 1);
    s_await_service (client, "echo", "200");
    int served_a = 0, served_b = 0;
    for (uint64_t id = 1; id <= 4; id++) {
        zmsg_t *req = s_request (f, id, wf_clock_ms () + RECV_MS, "hello");
        assert_int_equal (wf_mdp_client_send (client, "echo", &req), 0);
        //  Whichever worker got it answers; only one of them can have it.
        wf_mdp_worker_t *workers[] = {a, b};
        int which = -1;
        zmsg_t *request = s_next_request (workers, 2, &which);
        assert_non_null (request);
        s_serve (f, workers[which], &request, which == 0 ? "a" : "b");
        if (which == 0)
            served_a++;
        else
            served_b++;
        wf_envelope_t env;
        wf_any_msg_t body;
        zmsg_t *reply = s_client_reply (client, &env, &body, RECV_MS);
        assert_non_null (reply);
        assert_int_equal (env.type, WF_MSG_SYSTEM_INFO_REPLY);
        assert_int_equal (env.correlation_id, id);
        assert_true (wf_str_eq (body.system_info_reply.probe, "hello"));
        zmsg_destroy (&reply);
    }
    assert_int_equal (served_a, 2);
    assert_int_equal (served_b, 2);
    wf_mdp_worker_destroy (&a);
    wf_mdp_worker_destroy (&b);
    wf_mdp_client_destroy (&client);
}

//  A request for a service nobody serves fails as UNAVAILABLE at its deadline.
static void
test_unknown_service_unavailable (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    int64_t start = zclock_mono ();
    zmsg_t *req = s_request (f, 7, wf_clock_ms () + 200, "x");
    assert_int_equal (wf_mdp_client_send (client, "nobody", &req), 0);
    s_expect_error (client, 7, WF_ERR_UNAVAILABLE, RECV_MS);
    assert_true (zclock_mono () - start >= 150);
    char *code = s_mmi_service (client, "nobody");
    assert_string_equal (code, "404");
    zstr_free (&code);
    wf_mdp_client_destroy (&client);
}

//  A queued request whose deadline passes while its worker is busy times out.
static void
test_deadline_timeout (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    wf_mdp_worker_t *worker = s_worker_new (f, "slow", 1);
    s_await_service (client, "slow", "200");
    zmsg_t *first = s_request (f, 1, wf_clock_ms () + RECV_MS, "first");
    assert_int_equal (wf_mdp_client_send (client, "slow", &first), 0);
    zmsg_t *second = s_request (f, 2, wf_clock_ms () + 150, "second");
    assert_int_equal (wf_mdp_client_send (client, "slow", &second), 0);
    //  The worker holds the first (credit 1) and keeps heartbeating.
    zmsg_t *held = s_next_request (&worker, 1, NULL);
    assert_non_null (held);
    zmsg_destroy (&held);
    int64_t end = zclock_mono () + 400;
    while (zclock_mono () < end) {
        wf_mdp_worker_tick (worker);
        zclock_sleep (20);
    }
    s_expect_error (client, 2, WF_ERR_TIMEOUT, RECV_MS);
    wf_mdp_worker_destroy (&worker);
    //  The held request fails once its worker says goodbye.
    s_expect_error (client, 1, WF_ERR_UNAVAILABLE, RECV_MS);
    wf_mdp_client_destroy (&client);
}

//  The per-service queue is bounded: one past the bound is refused as BUSY.
static void
test_queue_bound_busy (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    for (uint64_t id = 1; id <= 4; id++) {
        zmsg_t *req = s_request (f, id, wf_clock_ms () + 500, "q");
        assert_int_equal (wf_mdp_client_send (client, "queued", &req), 0);
    }
    //  Depth is 3: request 4 is refused at once, long before any deadline.
    s_expect_error (client, 4, WF_ERR_BUSY, 300);
    for (uint64_t id = 1; id <= 3; id++)
        s_expect_error (client, id, WF_ERR_UNAVAILABLE, RECV_MS);
    wf_mdp_client_destroy (&client);
}

//  A worker that stops heartbeating is dropped; its in-flight request fails.
static void
test_heartbeat_expiry (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    //  A raw worker: registers, then never speaks again.
    zsock_t *silent = zsock_new_dealer (f->endpoint);
    zstr_sendm (silent, "");
    zstr_sendm (silent, WF_MDPW);
    zstr_sendm (silent, WF_MDPW_READY);
    zstr_send (silent, "mute");
    s_await_service (client, "mute", "200");
    zmsg_t *req = s_request (f, 9, wf_clock_ms () + RECV_MS, "x");
    assert_int_equal (wf_mdp_client_send (client, "mute", &req), 0);
    zmsg_t *got = s_raw_command (silent, WF_MDPW_REQUEST);
    assert_non_null (got);
    zmsg_destroy (&got);
    int64_t start = zclock_mono ();
    s_expect_error (client, 9, WF_ERR_UNAVAILABLE, RECV_MS);
    assert_true (zclock_mono () - start <= (LIVENESS + 2) * HEARTBEAT_MS);
    s_await_service (client, "mute", "404");
    zsock_destroy (&silent);
    wf_mdp_client_destroy (&client);
}

//  A live worker that heartbeats stays registered well past the liveness window.
static void
test_heartbeating_worker_stays (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    wf_mdp_worker_t *worker = s_worker_new (f, "alive", 1);
    s_await_service (client, "alive", "200");
    zpoller_t *poller = zpoller_new (wf_mdp_worker_sock (worker), NULL);
    int64_t end = zclock_mono () + (LIVENESS + 3) * HEARTBEAT_MS;
    while (zclock_mono () < end) {
        if (zpoller_wait (poller, wf_mdp_worker_timeout_ms (worker)))
            wf_mdp_worker_recv (worker);
        wf_mdp_worker_tick (worker);
    }
    zpoller_destroy (&poller);
    char *code = s_mmi_service (client, "alive");
    assert_string_equal (code, "200");
    zstr_free (&code);
    assert_int_equal (wf_mdp_worker_reconnects (worker), 0);
    wf_mdp_worker_destroy (&worker);
    wf_mdp_client_destroy (&client);
}

//  Garbage from the network is dropped without harm; service goes on.
static void
test_malformed_input_dropped (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    zsock_t *raw = zsock_new_dealer (f->endpoint);
    zstr_send (raw, "garbage");
    zstr_sendm (raw, "");
    zstr_send (raw, WF_MDPC); //  no service frame
    zstr_sendm (raw, "");
    zstr_sendm (raw, WF_MDPW);
    zstr_send (raw, "\x09"); //  unknown command
    zstr_sendm (raw, "");
    zstr_sendm (raw, WF_MDPW);
    zstr_send (raw, WF_MDPW_REPLY); //  reply from a stranger
    zmsg_t *disconnect = s_raw_command (raw, WF_MDPW_DISCONNECT);
    assert_non_null (disconnect);
    zmsg_destroy (&disconnect);
    zsock_destroy (&raw);
    zstr_send (f->broker, "METRICS");
    char *metrics = zstr_recv (f->broker);
    assert_non_null (strstr (metrics, "wf_broker_malformed_total 3"));
    zstr_free (&metrics);
    //  A foreign MDP client (no WalletFlow envelope) still gets served.
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    char *code = s_mmi_service (client, "echo");
    assert_string_equal (code, "404");
    zstr_free (&code);
    wf_mdp_client_destroy (&client);
}

//  Binds the fixture's broker to an extra endpoint; returns its tcp port. A
//  closed socket releases its endpoints asynchronously (libzmq's reaper), so
//  rebinding a restarted broker's port may take a few attempts.
static int
s_broker_bind (fixture_t *f, const char *endpoint)
{
    int rc = -1;
    for (int attempt = 0; attempt < 50 && rc != 0; attempt++) {
        if (attempt)
            zclock_sleep (20);
        zstr_sendm (f->broker, "BIND");
        zstr_send (f->broker, endpoint);
        rc = zsock_wait (f->broker);
    }
    assert_int_equal (rc, 0);
    zstr_send (f->broker, "PORT");
    char *port = zstr_recv (f->broker);
    int n = atoi (port);
    zstr_free (&port);
    return n;
}

//  A worker re-registers by itself after the broker restarts (over tcp, as
//  between hosts).
static void
test_worker_survives_broker_restart (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    int port = s_broker_bind (f, "tcp://127.0.0.1:*");
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    wf_mdp_worker_config_t config = {.broker_endpoint = endpoint,
                                     .service = "phoenix",
                                     .heartbeat_interval_ms = HEARTBEAT_MS,
                                     .heartbeat_liveness = LIVENESS};
    wf_mdp_worker_t *worker = wf_mdp_worker_new (&config);
    wf_mdp_client_t *client = wf_mdp_client_new (endpoint);
    s_await_service (client, "phoenix", "200");
    zactor_destroy (&f->broker);
    //  A fresh inproc name: the old one is released asynchronously.
    snprintf (f->endpoint, sizeof f->endpoint, "inproc://broker-test-%d", ++s_fixture_seq);
    f->broker = zactor_new (wf_broker_actor, &f->config);
    assert_non_null (f->broker);
    assert_int_equal (s_broker_bind (f, endpoint), port);
    zmsg_t *req = s_request (f, 11, wf_clock_ms () + RECV_MS, "again");
    assert_int_equal (wf_mdp_client_send (client, "phoenix", &req), 0);
    //  Drive the worker until it has re-registered and served the request.
    zmsg_t *request = s_next_request (&worker, 1, NULL);
    assert_non_null (request);
    assert_true (wf_mdp_worker_reconnects (worker) >= 1);
    zframe_t *client_addr = zmsg_pop (request);
    zmsg_t *reply = zmsg_new ();
    wf_envelope_t env = {
        .version = WF_PROTO_VERSION, .type = WF_MSG_SYSTEM_INFO_REPLY, .correlation_id = 11};
    wf_system_info_reply_t body = {
        .schema_version = 1, .server_version = WF_STR ("t"), .worker = WF_STR ("w")};
    assert_int_equal (wf_wire_append (reply, &env, &body, &f->scratch), 0);
    wf_mdp_worker_send (worker, client_addr, &reply);
    wf_envelope_t got;
    wf_any_msg_t got_body;
    zmsg_t *answer = s_client_reply (client, &got, &got_body, RECV_MS);
    assert_non_null (answer);
    assert_int_equal (got.correlation_id, 11);
    zmsg_destroy (&answer);
    zframe_destroy (&client_addr);
    zmsg_destroy (&request);
    wf_mdp_worker_destroy (&worker);
    wf_mdp_client_destroy (&client);
}

//  A worker with credit N receives N requests before replying to any.
static void
test_worker_credit (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    wf_mdp_worker_t *worker = s_worker_new (f, "batch", 3);
    s_await_service (client, "batch", "200");
    for (uint64_t id = 1; id <= 3; id++) {
        zmsg_t *req = s_request (f, id, wf_clock_ms () + RECV_MS, "b");
        assert_int_equal (wf_mdp_client_send (client, "batch", &req), 0);
    }
    zmsg_t *requests[3];
    for (int i = 0; i < 3; i++) {
        requests[i] = s_next_request (&worker, 1, NULL);
        assert_non_null (requests[i]);
    }
    for (int i = 0; i < 3; i++)
        s_serve (f, worker, &requests[i], "w");
    for (int i = 0; i < 3; i++) {
        wf_envelope_t env;
        wf_any_msg_t body;
        zmsg_t *reply = s_client_reply (client, &env, &body, RECV_MS);
        assert_non_null (reply);
        assert_int_equal (env.type, WF_MSG_SYSTEM_INFO_REPLY);
        zmsg_destroy (&reply);
    }
    wf_mdp_worker_destroy (&worker);
    wf_mdp_client_destroy (&client);
}

//  Reads one counter from the broker's metrics text.
static long
s_metric (fixture_t *f, const char *name)
{
    zstr_send (f->broker, "METRICS");
    char *text = zstr_recv (f->broker);
    assert_non_null (text);
    char pattern[128];
    snprintf (pattern, sizeof pattern, "\n%s ", name);
    const char *at = strstr (text, pattern);
    long value = at ? atol (at + strlen (pattern)) : -1;
    zstr_free (&text);
    return value;
}

//  A worker whose connection is gone (its process died) is dropped at the
//  broker's next send to it, well inside the liveness window; a request sent
//  to it goes to the live worker instead, and nobody sees an error.
static void
test_dead_worker_routed_around (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    zsock_t *doomed = zsock_new_dealer (f->endpoint);
    zstr_sendm (doomed, "");
    zstr_sendm (doomed, WF_MDPW);
    zstr_sendm (doomed, WF_MDPW_READY);
    zstr_sendm (doomed, "shard");
    zstr_send (doomed, "4");
    wf_mdp_worker_t *live = s_worker_new (f, "shard", 4);
    zclock_sleep (20);
    s_await_service (client, "shard", "200");
    //  The doomed worker dies without a word: its connection closes.
    zsock_destroy (&doomed);
    zclock_sleep (20);
    for (uint64_t id = 1; id <= 6; id++) {
        zmsg_t *req = s_request (f, id, wf_clock_ms () + RECV_MS, "failover");
        assert_int_equal (wf_mdp_client_send (client, "shard", &req), 0);
        zmsg_t *request = s_next_request (&live, 1, NULL);
        assert_non_null (request);
        s_serve (f, live, &request, "live");
        wf_envelope_t env;
        wf_any_msg_t body;
        zmsg_t *reply = s_client_reply (client, &env, &body, RECV_MS);
        assert_non_null (reply);
        assert_int_equal (env.type, WF_MSG_SYSTEM_INFO_REPLY);
        assert_int_equal (env.correlation_id, id);
        zmsg_destroy (&reply);
    }
    //  Dropped once: normally because its connection closed (lost), on a
    //  starved machine perhaps by heartbeat expiry first; never an error.
    assert_int_equal (s_metric (f, "wf_broker_workers_lost_total") +
                          s_metric (f, "wf_broker_workers_expired_total"),
                      1);
    assert_int_equal (s_metric (f, "wf_broker_errors_total{reason=\"unavailable\"}"), 0);
    wf_mdp_worker_destroy (&live);
    wf_mdp_client_destroy (&client);
}

//  DRAIN: a stopping worker gets nothing new, answers what it holds, and the
//  requests that arrive meanwhile wait for another worker; nothing fails.
static void
test_worker_drain (void **state)
{
    fixture_t *f = (fixture_t *) *state;
    wf_mdp_client_t *client = wf_mdp_client_new (f->endpoint);
    wf_mdp_worker_t *old = s_worker_new (f, "rolling", 2);
    s_await_service (client, "rolling", "200");
    zmsg_t *held[2];
    for (uint64_t id = 1; id <= 2; id++) {
        zmsg_t *req = s_request (f, id, wf_clock_ms () + RECV_MS, "held");
        assert_int_equal (wf_mdp_client_send (client, "rolling", &req), 0);
        held[id - 1] = s_next_request (&old, 1, NULL);
        assert_non_null (held[id - 1]);
    }
    wf_mdp_worker_drain (old);
    zmsg_t *req = s_request (f, 3, wf_clock_ms () + RECV_MS, "later");
    assert_int_equal (wf_mdp_client_send (client, "rolling", &req), 0);
    //  Until the broker's answer, the old worker receives nothing new.
    zpoller_t *poller = zpoller_new (wf_mdp_worker_sock (old), NULL);
    int64_t end = zclock_mono () + RECV_MS;
    while (!wf_mdp_worker_drained (old) && zclock_mono () < end) {
        if (zpoller_wait (poller, 20)) {
            zmsg_t *extra = wf_mdp_worker_recv (old);
            assert_null (extra);
        }
        wf_mdp_worker_tick (old);
    }
    zpoller_destroy (&poller);
    assert_true (wf_mdp_worker_drained (old));
    assert_true (zclock_mono () < end);
    for (int i = 0; i < 2; i++)
        s_serve (f, old, &held[i], "old");
    wf_mdp_worker_destroy (&old);
    for (uint64_t id = 1; id <= 2; id++) {
        wf_envelope_t env;
        wf_any_msg_t body;
        zmsg_t *reply = s_client_reply (client, &env, &body, RECV_MS);
        assert_non_null (reply);
        assert_int_equal (env.type, WF_MSG_SYSTEM_INFO_REPLY);
        assert_int_equal (env.correlation_id, id);
        zmsg_destroy (&reply);
    }
    //  The request that came during the drain goes to the next worker.
    wf_mdp_worker_t *next = s_worker_new (f, "rolling", 2);
    zmsg_t *request = s_next_request (&next, 1, NULL);
    assert_non_null (request);
    s_serve (f, next, &request, "next");
    wf_envelope_t env;
    wf_any_msg_t body;
    zmsg_t *reply = s_client_reply (client, &env, &body, RECV_MS);
    assert_non_null (reply);
    assert_int_equal (env.correlation_id, 3);
    assert_true (wf_str_eq (body.system_info_reply.worker, "next"));
    zmsg_destroy (&reply);
    assert_int_equal (s_metric (f, "wf_broker_errors_total{reason=\"unavailable\"}"), 0);
    wf_mdp_worker_destroy (&next);
    wf_mdp_client_destroy (&client);
}

int
main (int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter (argv[1]);
    zsys_init ();
    if (!getenv ("WF_TEST_VERBOSE"))
        zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_routes_round_robin, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_service_unavailable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_deadline_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_queue_bound_busy, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_heartbeat_expiry, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_heartbeating_worker_stays, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_input_dropped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_worker_survives_broker_restart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_worker_credit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_dead_worker_routed_around, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_worker_drain, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
