/*  wf_amqp_inflight - which outbox requests wait for which publisher confirms (pure).

    The bridge publishes each request's messages (one or two) on one confirm-mode channel,
    where RabbitMQ numbers them with delivery tags 1, 2, 3, ... and later confirms them with
    basic.ack or basic.nack, either one tag or every tag up to one (`multiple`), and not
    necessarily in order. This table maps tags back to requests:

    - wf_amqp_inflight_add takes a free slot for a request that will publish n messages;
      wf_amqp_inflight_tag records each message's tag as it is published;
    - wf_amqp_inflight_confirm settles tags; a request is done when all of its messages are
      settled, acked only when every one of them was acked (one nack fails the request);
    - wf_amqp_inflight_reset fails every request (the link was lost: a confirm that never
      came is a failure, never a success).

    Tags live in a ring of tags_max entries indexed by tag % tags_max, so at most tags_max
    tags may be unsettled between the lowest unsettled one and the next to publish;
    wf_amqp_inflight_has_room says whether one more request fits. Sized once, never grows.
*/
#ifndef WF_AMQP_INFLIGHT_H_INCLUDED
#define WF_AMQP_INFLIGHT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _wf_amqp_inflight_t wf_amqp_inflight_t;

//  Called once per finished request: acked when every message was confirmed by basic.ack;
//  latency_us from wf_amqp_inflight_add to the last settling confirm (0 on reset).
typedef void (wf_amqp_inflight_done_fn) (void *arg, size_t slot, bool acked, int64_t latency_us);

//  A table for requests_max requests and tags_max unsettled tags.
wf_amqp_inflight_t *wf_amqp_inflight_new (size_t requests_max, size_t tags_max);

//  Frees the table and nulls the pointer.
void wf_amqp_inflight_destroy (wf_amqp_inflight_t **self_p);

//  True when a request of `publications` messages fits now.
bool wf_amqp_inflight_has_room (wf_amqp_inflight_t *self, size_t publications);

//  Takes a slot (0..requests_max-1) for a request of `publications` messages, started at
//  now_us. The caller checked wf_amqp_inflight_has_room.
size_t wf_amqp_inflight_add (wf_amqp_inflight_t *self, size_t publications, int64_t now_us);

//  Records that slot's next message was published with delivery tag `tag`, which must be the
//  next tag of the channel (1 after a reset).
void wf_amqp_inflight_tag (wf_amqp_inflight_t *self, size_t slot, uint64_t tag);

//  Applies one basic.ack (ack) or basic.nack at now_us; calls done for each request it
//  finishes. Tags that are unknown or already settled are ignored. Returns the number of
//  messages it settled.
size_t wf_amqp_inflight_confirm (wf_amqp_inflight_t *self, uint64_t tag, bool multiple, bool ack,
                                 int64_t now_us, wf_amqp_inflight_done_fn *done, void *arg);

//  Fails every request (calls done with acked = false) and restarts tags at 1.
void wf_amqp_inflight_reset (wf_amqp_inflight_t *self, wf_amqp_inflight_done_fn *done, void *arg);

//  Start time of the oldest request still waiting, or -1 when none waits.
int64_t wf_amqp_inflight_oldest_us (wf_amqp_inflight_t *self);

//  Requests waiting now.
size_t wf_amqp_inflight_count (wf_amqp_inflight_t *self);

#endif
