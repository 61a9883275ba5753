/*  wf_amqp_link - one RabbitMQ connection in publisher-confirm mode, with bounded waits.

    The link wraps rabbitmq-c for the AMQP bridge: it connects (socket, login, channel 1,
    confirm.select, exchange declarations), publishes, and pumps what the broker sends back
    (basic.ack / basic.nack confirms, connection.blocked / unblocked, channel or connection
    close). It owns no loop: the bridge polls wf_amqp_link_fd () and calls
    wf_amqp_link_pump (), which also sends heartbeats when they are due.

    An amqps:// endpoint connects over TLS (rabbitmq-c's OpenSSL socket): the server's
    certificate chain must verify against tls_ca and name the host of the URL, unless
    tls_no_verify says otherwise (for tests with self-signed certificates only).

    Every wait is bounded:
    - open: socket connect, login, and each RPC by connect_timeout_ms;
    - pump: by the wait the caller passes (0 = only what is already there);
    - publish: rabbitmq-c writes with no deadline of its own, but gives up when the broker has
      been silent for two heartbeat intervals, so a dead peer costs at most 2 x heartbeat_s.
      A broker under a resource alarm stops reading instead: we ask for connection.blocked
      notifications, and the bridge publishes nothing while blocked.

    Any failure (a socket error, a missed heartbeat, a channel or connection close) closes the
    link; the caller opens a new one later. Delivery tags start at 1 on every new link.
*/
#ifndef WF_AMQP_LINK_H_INCLUDED
#define WF_AMQP_LINK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wf_amqp_message.h"

#define WF_AMQP_CHANNEL         1
#define WF_AMQP_FRAME_BYTES_MAX 131072 //  AMQP_DEFAULT_FRAME_SIZE
#define WF_AMQP_PUMP_FRAMES_MAX 4096   //  frames handled per pump call
#define WF_AMQP_ERROR_BYTES_MAX 256

typedef struct _wf_amqp_link_t wf_amqp_link_t;

typedef struct {
    const wf_amqp_endpoint_t *endpoint; //  must outlive the link
    int heartbeat_s;                    //  AMQP heartbeat; 0 = none
    int connect_timeout_ms;             //  bounds each step of open
    const char *connection_name;        //  shown in the RabbitMQ management UI
    const char *tls_ca;                 //  amqps://: CA bundle (PEM) that signed the server's
                                        //  certificate; NULL loads none (verification fails)
    bool tls_no_verify;                 //  amqps:// without checking chain and host name
} wf_amqp_link_config_t;

//  An exchange the link declares on open.
typedef struct {
    const char *name;
    const char *type; //  "topic", "fanout"
} wf_amqp_exchange_t;

//  Called for each confirm: ack or nack of delivery_tag, or of every tag up to it (multiple).
typedef void (wf_amqp_confirm_fn) (void *arg, uint64_t delivery_tag, bool multiple, bool ack);

//  A closed link. config must outlive it.
wf_amqp_link_t *wf_amqp_link_new (const wf_amqp_link_config_t *config);

//  Closes the link politely (bounded) and frees it; nulls the pointer.
void wf_amqp_link_destroy (wf_amqp_link_t **self_p);

//  Connects, opens the channel in confirm mode and declares the durable exchanges. Returns 0,
//  or -1 with a sentence in error (the link stays closed).
int wf_amqp_link_open (wf_amqp_link_t *self, const wf_amqp_exchange_t *exchanges, size_t count,
                       char *error, size_t error_size);

//  True while the link is open.
bool wf_amqp_link_is_open (wf_amqp_link_t *self);

//  True while the broker has told us it blocks publishers (a resource alarm).
bool wf_amqp_link_is_blocked (wf_amqp_link_t *self);

//  The socket to poll for input, or -1 when closed.
int wf_amqp_link_fd (wf_amqp_link_t *self);

//  Publishes one message (persistent) and returns its delivery tag in *tag. Returns 0, or -1
//  with error set when the link failed (it is then closed).
int wf_amqp_link_publish (wf_amqp_link_t *self, const wf_amqp_publication_t *publication,
                          uint64_t *tag, char *error, size_t error_size);

//  Handles every frame there is (at most WF_AMQP_PUMP_FRAMES_MAX), waiting up to wait_ms for
//  the first; calls confirm for each ack or nack. Returns 0 when all was read, 1 when frames
//  may be left (call again before sleeping), or -1 with error set when the link failed (it
//  is then closed).
int wf_amqp_link_pump (wf_amqp_link_t *self, int wait_ms, wf_amqp_confirm_fn *confirm, void *arg,
                       char *error, size_t error_size);

//  Closes the link: a polite close when it is healthy (bounded by connect_timeout_ms), else
//  just the socket. Closing a closed link does nothing.
void wf_amqp_link_close (wf_amqp_link_t *self, bool polite);

#endif
