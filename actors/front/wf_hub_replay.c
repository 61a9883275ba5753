/*  wf_hub_replay - stateful reconnect's numbers and buffer (see the header).  */
#include "wf_hub_replay.h"
#include "wf_signalr.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

//  The ring slot of sequence id seq, which must be kept.
static wf_hub_record_t *
s_item (wf_hub_replay_t *self, uint64_t seq)
{
    assert (seq >= self->first_seq && seq < self->first_seq + self->count);
    return &self->items[(self->head + (seq - self->first_seq)) % self->capacity];
}

//  Drops the oldest record.
static void
s_drop_oldest (wf_hub_replay_t *self)
{
    assert (self->count > 0);
    wf_hub_record_t *item = &self->items[self->head];
    assert (self->bytes >= item->len);
    self->bytes -= item->len;
    free (item->data);
    item->data = NULL;
    self->head = (self->head + 1) % self->capacity;
    self->first_seq++;
    self->count--;
}

void
wf_hub_replay_init (wf_hub_replay_t *self, uint32_t capacity, size_t bytes_max, size_t headroom)
{
    assert (capacity >= 1 && bytes_max >= 1);
    memset (self, 0, sizeof *self);
    self->items = (wf_hub_record_t *) calloc (capacity, sizeof (wf_hub_record_t));
    assert (self->items);
    self->capacity = capacity;
    self->bytes_max = bytes_max;
    self->headroom = headroom;
    self->first_seq = self->write_seq = self->in_next = 1;
}

void
wf_hub_replay_fini (wf_hub_replay_t *self)
{
    while (self->count > 0)
        s_drop_oldest (self);
    free (self->items);
    memset (self, 0, sizeof *self);
}

wf_hub_replay_push_t
wf_hub_replay_push (wf_hub_replay_t *self, const uint8_t *bytes, size_t len, bool binary)
{
    assert (self->items);
    if (self->resync)
        return WF_HUB_REPLAY_DISCARDED;
    if (self->count == self->capacity || len > self->bytes_max ||
        self->bytes + len > self->bytes_max) {
        //  What cannot be replayed whole is not replayed at all.
        while (self->count > 0)
            s_drop_oldest (self);
        self->write_seq = self->first_seq;
        self->resync = true;
        return WF_HUB_REPLAY_OVERFLOW;
    }
    wf_hub_record_t *item = &self->items[(self->head + self->count) % self->capacity];
    assert (!item->data);
    item->data = (uint8_t *) malloc (self->headroom + len);
    assert (item->data);
    memcpy (item->data + self->headroom, bytes, len);
    item->len = (uint32_t) len;
    item->binary = binary;
    self->count++;
    self->bytes += len;
    return WF_HUB_REPLAY_KEPT;
}

wf_hub_record_t *
wf_hub_replay_next (wf_hub_replay_t *self)
{
    if (!self->items || self->write_seq >= self->first_seq + self->count)
        return NULL;
    return s_item (self, self->write_seq);
}

void
wf_hub_replay_written (wf_hub_replay_t *self)
{
    assert (self->write_seq < self->first_seq + self->count);
    if (self->write_seq > self->written_max)
        self->written_max = self->write_seq;
    self->write_seq++;
}

void
wf_hub_replay_ack (wf_hub_replay_t *self, uint64_t seq)
{
    //  An ack of something never written is cut to what was (a confused or
    //  hostile peer must not make us drop what it never had).
    if (seq > self->written_max)
        seq = self->written_max;
    if (seq > self->acked)
        self->acked = seq;
    //  Everything up to written_max is kept or dropped, so this stops at seq.
    while (self->count > 0 && self->first_seq <= seq)
        s_drop_oldest (self);
    if (self->write_seq < self->first_seq)
        self->write_seq = self->first_seq;
}

uint64_t
wf_hub_replay_rewind (wf_hub_replay_t *self)
{
    self->write_seq = self->first_seq;
    self->in_acked = 0;
    //  After an overflow nothing is kept; acked + 1 is at most what the
    //  client expects next, so it accepts the Sequence and reads the close.
    return self->resync ? self->acked + 1 : self->first_seq;
}

wf_hub_replay_verdict_t
wf_hub_replay_receive (wf_hub_replay_t *self, int64_t type, int64_t sequence_id)
{
    if (type == WF_SIGNALR_ACK) {
        wf_hub_replay_ack (self, sequence_id > 0 ? (uint64_t) sequence_id : 0);
        return WF_HUB_REPLAY_DROP;
    }
    if (type == WF_SIGNALR_SEQUENCE) {
        //  The client's next tracked message carries this id; a gap would be
        //  messages we never saw, which nothing can fill.
        if (sequence_id <= 0 || (uint64_t) sequence_id > self->in_latest + 1)
            return WF_HUB_REPLAY_ERROR;
        self->in_next = (uint64_t) sequence_id;
        return WF_HUB_REPLAY_DROP;
    }
    if (!wf_signalr_type_tracked (type))
        return WF_HUB_REPLAY_HANDLE;
    uint64_t id = self->in_next++;
    if (id <= self->in_latest)
        return WF_HUB_REPLAY_DROP; //  replayed after a reconnect: handled before
    self->in_latest = id;
    return WF_HUB_REPLAY_HANDLE;
}

bool
wf_hub_replay_ack_due (wf_hub_replay_t *self, uint64_t *seq)
{
    if (self->in_latest <= self->in_acked)
        return false;
    *seq = self->in_acked = self->in_latest;
    return true;
}
