/*  wf_amqp_inflight - which outbox requests wait for which publisher confirms.  */
#include "wf_amqp_inflight.h"

#include <assert.h>
#include <stdlib.h>

#define S_SETTLED (-1) //  a ring entry whose tag needs no confirm (any more)

typedef struct {
    bool used;
    size_t awaiting; //  messages added but not yet settled
    bool nacked;     //  one of its messages was nacked
    int64_t started_us;
} s_request_t;

struct _wf_amqp_inflight_t {
    size_t requests_max;
    size_t tags_max;
    s_request_t *requests;
    size_t *free_slots; //  stack of free request slots
    size_t free_count;
    int32_t *tag_slot; //  tag % tags_max -> request slot, or S_SETTLED
    uint64_t tag_low;  //  lowest tag not settled (== tag_next when none)
    uint64_t tag_next; //  tag of the next message published
};

wf_amqp_inflight_t *
wf_amqp_inflight_new (size_t requests_max, size_t tags_max)
{
    assert (requests_max > 0 && requests_max < INT32_MAX);
    assert (tags_max >= 2 * requests_max);
    wf_amqp_inflight_t *self = (wf_amqp_inflight_t *) calloc (1, sizeof (wf_amqp_inflight_t));
    assert (self);
    self->requests_max = requests_max;
    self->tags_max = tags_max;
    self->requests = (s_request_t *) calloc (requests_max, sizeof (s_request_t));
    self->free_slots = (size_t *) calloc (requests_max, sizeof (size_t));
    self->tag_slot = (int32_t *) calloc (tags_max, sizeof (int32_t));
    assert (self->requests && self->free_slots && self->tag_slot);
    for (size_t i = 0; i < requests_max; i++)
        self->free_slots[i] = requests_max - 1 - i;
    self->free_count = requests_max;
    for (size_t i = 0; i < tags_max; i++)
        self->tag_slot[i] = S_SETTLED;
    self->tag_low = self->tag_next = 1;
    return self;
}

void
wf_amqp_inflight_destroy (wf_amqp_inflight_t **self_p)
{
    wf_amqp_inflight_t *self = *self_p;
    if (!self)
        return;
    free (self->requests);
    free (self->free_slots);
    free (self->tag_slot);
    free (self);
    *self_p = NULL;
}

bool
wf_amqp_inflight_has_room (wf_amqp_inflight_t *self, size_t publications)
{
    return self->free_count > 0 && self->tag_next - self->tag_low + publications <= self->tags_max;
}

size_t
wf_amqp_inflight_add (wf_amqp_inflight_t *self, size_t publications, int64_t now_us)
{
    assert (publications > 0);
    assert (wf_amqp_inflight_has_room (self, publications));
    size_t slot = self->free_slots[--self->free_count];
    s_request_t *request = &self->requests[slot];
    assert (!request->used);
    *request = (s_request_t){
        .used = true, .awaiting = publications, .nacked = false, .started_us = now_us};
    return slot;
}

void
wf_amqp_inflight_tag (wf_amqp_inflight_t *self, size_t slot, uint64_t tag)
{
    assert (slot < self->requests_max && self->requests[slot].used);
    assert (tag == self->tag_next);
    assert (self->tag_next - self->tag_low < self->tags_max);
    self->tag_slot[tag % self->tags_max] = (int32_t) slot;
    self->tag_next++;
}

//  Frees a finished request's slot and reports it.
static void
s_finish (wf_amqp_inflight_t *self, size_t slot, bool acked, int64_t latency_us,
          wf_amqp_inflight_done_fn *done, void *arg)
{
    self->requests[slot].used = false;
    self->free_slots[self->free_count++] = slot;
    assert (self->free_count <= self->requests_max);
    done (arg, slot, acked, latency_us);
}

//  Settles one tag; finishes its request when that was its last message. Returns 1 when the
//  tag was waiting, else 0.
static size_t
s_settle (wf_amqp_inflight_t *self, uint64_t tag, bool ack, int64_t now_us,
          wf_amqp_inflight_done_fn *done, void *arg)
{
    int32_t *entry = &self->tag_slot[tag % self->tags_max];
    if (*entry == S_SETTLED)
        return 0;
    size_t slot = (size_t) *entry;
    *entry = S_SETTLED;
    s_request_t *request = &self->requests[slot];
    assert (request->used && request->awaiting > 0);
    if (!ack)
        request->nacked = true;
    if (--request->awaiting == 0)
        s_finish (self, slot, !request->nacked, now_us - request->started_us, done, arg);
    return 1;
}

size_t
wf_amqp_inflight_confirm (wf_amqp_inflight_t *self, uint64_t tag, bool multiple, bool ack,
                          int64_t now_us, wf_amqp_inflight_done_fn *done, void *arg)
{
    //  A tag we never published (a confused peer) or one already behind us changes nothing.
    if (tag >= self->tag_next || tag < self->tag_low)
        return 0;
    size_t settled = 0;
    if (multiple)
        for (uint64_t t = self->tag_low; t <= tag; t++)
            settled += s_settle (self, t, ack, now_us, done, arg);
    else
        settled = s_settle (self, tag, ack, now_us, done, arg);
    while (self->tag_low < self->tag_next &&
           self->tag_slot[self->tag_low % self->tags_max] == S_SETTLED)
        self->tag_low++;
    return settled;
}

void
wf_amqp_inflight_reset (wf_amqp_inflight_t *self, wf_amqp_inflight_done_fn *done, void *arg)
{
    for (size_t slot = 0; slot < self->requests_max; slot++)
        if (self->requests[slot].used)
            s_finish (self, slot, false, 0, done, arg);
    for (size_t i = 0; i < self->tags_max; i++)
        self->tag_slot[i] = S_SETTLED;
    self->tag_low = self->tag_next = 1;
    assert (self->free_count == self->requests_max);
}

int64_t
wf_amqp_inflight_oldest_us (wf_amqp_inflight_t *self)
{
    int64_t oldest = -1;
    for (size_t slot = 0; slot < self->requests_max; slot++)
        if (self->requests[slot].used && (oldest < 0 || self->requests[slot].started_us < oldest))
            oldest = self->requests[slot].started_us;
    return oldest;
}

size_t
wf_amqp_inflight_count (wf_amqp_inflight_t *self)
{
    return self->requests_max - self->free_count;
}
