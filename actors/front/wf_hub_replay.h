/*  wf_hub_replay - the sequence numbers and replay buffer of one SignalR
    connection under stateful reconnect. Pure: no I/O.

    Follows HubProtocol.md, "Stateful Reconnect": tracked messages (types 1
    to 5) are numbered from 1 in each direction; each side acknowledges what
    it handled with Ack; after a reconnect each side first sends Sequence
    (the id of the next tracked message it will send, which may repeat ones
    the peer has) and then replays what the peer did not acknowledge.

    Server to client: every tracked record is pushed into a ring of
    `capacity` records and `bytes_max` bytes, and written from there: next()
    is the next one to write on the current socket, and the ring keeps
    everything from the oldest record the client has not acknowledged. An
    Ack drops what it covers (never beyond what was written); rewind(), at a
    reconnect, gives the id for the Sequence message and starts writing
    from the oldest kept record again. The ring never grows: a record that
    does not fit means the client cannot be given everything, so the ring
    is emptied and `resync` set - the caller tells the client to resync
    (the official client reads nothing after a reconnect until it has the
    Sequence message, so rewind() still gives one: acked + 1, which the
    client accepts, before the close message).

    Client to server: receive() counts the client's tracked messages, drops
    the ones a reconnect repeats, and ack_due() says when to acknowledge.

    Records are allocated with `headroom` spare bytes before them (LWS_PRE
    for libwebsockets), so the caller writes them in place.
*/
#ifndef WF_HUB_REPLAY_H_INCLUDED
#define WF_HUB_REPLAY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  One record: headroom spare bytes at data, then len bytes of record.
typedef struct {
    uint8_t *data;
    uint32_t len;
    bool binary;
} wf_hub_record_t;

typedef struct {
    wf_hub_record_t *items; //  ring of capacity records
    uint32_t capacity, head, count;
    size_t bytes, bytes_max, headroom;
    uint64_t first_seq;   //  oldest record kept (items[head])
    uint64_t write_seq;   //  next to write on the current socket
    uint64_t written_max; //  highest ever written
    uint64_t acked;       //  highest the client acknowledged
    uint64_t in_next;     //  sequence id of the client's next tracked message
    uint64_t in_latest;   //  highest tracked client message handled
    uint64_t in_acked;    //  highest acknowledged to the client
    bool resync;          //  overflowed: the client must resync
} wf_hub_replay_t;

typedef enum {
    WF_HUB_REPLAY_KEPT = 0,  //  buffered, to be written
    WF_HUB_REPLAY_OVERFLOW,  //  did not fit: the ring is emptied, resync is now set
    WF_HUB_REPLAY_DISCARDED, //  resync is already set: nothing is kept
} wf_hub_replay_push_t;

typedef enum {
    WF_HUB_REPLAY_HANDLE = 0, //  the caller handles the message as usual
    WF_HUB_REPLAY_DROP,       //  an Ack, a Sequence or a replayed duplicate: done here
    WF_HUB_REPLAY_ERROR,      //  a Sequence that skips messages: a protocol error
} wf_hub_replay_verdict_t;

//  Starts numbering at 1; capacity >= 1, bytes_max >= 1.
void wf_hub_replay_init (wf_hub_replay_t *self, uint32_t capacity, size_t bytes_max,
                         size_t headroom);

//  Frees every record and the ring; idempotent.
void wf_hub_replay_fini (wf_hub_replay_t *self);

//  Buffers a copy of one tracked record.
wf_hub_replay_push_t wf_hub_replay_push (wf_hub_replay_t *self, const uint8_t *bytes, size_t len,
                                         bool binary);

//  The next record to write, or NULL; wf_hub_replay_written after writing it.
wf_hub_record_t *wf_hub_replay_next (wf_hub_replay_t *self);
void wf_hub_replay_written (wf_hub_replay_t *self);

//  The client acknowledged every tracked message up to seq.
void wf_hub_replay_ack (wf_hub_replay_t *self, uint64_t seq);

//  A reconnect: returns the id for the Sequence message; writing starts
//  again from the oldest record kept, and the client's messages will be
//  acknowledged again.
uint64_t wf_hub_replay_rewind (wf_hub_replay_t *self);

//  A client message of `type` (sequence_id for Ack and Sequence).
wf_hub_replay_verdict_t wf_hub_replay_receive (wf_hub_replay_t *self, int64_t type,
                                               int64_t sequence_id);

//  True, with *seq, when the client's messages need an Ack now.
bool wf_hub_replay_ack_due (wf_hub_replay_t *self, uint64_t *seq);

#endif
