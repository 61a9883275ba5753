/*  wf_amqp_test_consumer - reads what reached RabbitMQ, for the bridge's tests (test-only).

    A consumer is one rabbitmq-c connection with an exclusive, server-named queue bound to
    the exchanges a test names, consuming without acknowledgements. Received messages keep
    the properties the tests check and the body parsed as JSON (NULL when it is not JSON).
    Failures are cmocka failures: this runs inside tests only.
*/
#ifndef WF_AMQP_TEST_CONSUMER_H_INCLUDED
#define WF_AMQP_TEST_CONSUMER_H_INCLUDED

#include <amqp.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WF_AMQP_TEST_WAIT_MS 10000 //  the longest any single expectation may take

typedef struct {
    amqp_connection_state_t conn;
    char queue[256];
} wf_amqp_test_consumer_t;

typedef struct {
    char exchange[256], routing_key[256], message_id[256], type[64], content_type[64];
    char app_id[64];
    int delivery_mode;
    uint64_t timestamp;
    json_t *body;
} wf_amqp_test_received_t;

//  Opens a consumer on the RabbitMQ at url: a queue bound to each exchange with key.
wf_amqp_test_consumer_t *wf_amqp_test_consumer_new (const char *url, const char *const *exchanges,
                                                    size_t count, const char *key);

//  Closes a consumer (its queue goes with it) and nulls the pointer.
void wf_amqp_test_consumer_destroy (wf_amqp_test_consumer_t **c_p);

//  Reads the next message within timeout_ms; false when none came. The caller owns out->body.
bool wf_amqp_test_consume (wf_amqp_test_consumer_t *c, int timeout_ms,
                           wf_amqp_test_received_t *out);

//  Reads until a message with this id arrives, skipping others; fails the test after
//  WF_AMQP_TEST_WAIT_MS.
void wf_amqp_test_consume_id (wf_amqp_test_consumer_t *c, const char *message_id,
                              wf_amqp_test_received_t *out);

#endif
