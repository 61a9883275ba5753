/*  wf_sim_relay - the network, the outbox relay and the consumers that
    need no inbox (notifier, AMQP bridge).

    The network holds every message in flight. A message is dropped,
    delayed or (deliveries and their answers only: ZeroMQ itself never
    duplicates a request, a client retry does) duplicated when it is sent;
    delivery picks any message that is due, so the order is scrambled. An
    arrived request waits in its service's queue at the broker (FIFO, shared
    by the shard's workers); an answer waits in the relay's mailbox.

    The relay follows actors/relay/wf_relay.c: claim rows in id order whose
    attempt is due and whose lease ran out (and take a lease, attempts + 1),
    send one outbox.deliver per pending destination, record the acks of one
    wake-up with one statement (pending minus the acked destinations;
    delivered when none is left), release a failed row with a capped
    exponential backoff, fail deliveries that were not answered by their
    deadline plus a second, and wake the backlog of a destination that
    answers again after failing. Each of its statements may fail.
*/
#include "wf_sim.h"
#include "wf_events.h"
#include "wf_shard.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define REPLIES_MAX 64 //  answers handled per wake-up

static const char *const s_dest_names[SIM_DESTINATIONS] = {"account", "notifier", "amqp"};

//  Adds one copy of a message to the network.
static void
s_net_add (sim_world_t *w, const sim_net_t *msg, int64_t deliver_at_ms)
{
    for (int i = 0; i < SIM_NET_MAX; i++) {
        sim_net_t *slot = &w->net[i];
        if (slot->used)
            continue;
        *slot = *msg;
        slot->used = true;
        slot->queued = false;
        slot->deliver_at_ms = deliver_at_ms;
        slot->seq = w->net_seq++;
        slot->bytes = (uint8_t *) malloc (msg->size ? msg->size : 1);
        memcpy (slot->bytes, msg->bytes, msg->size);
        if (i >= w->net_high)
            w->net_high = i + 1;
        return;
    }
    assert (false && "network full: raise SIM_NET_MAX");
}

//  The usual latency, or a long delay.
static int64_t
s_latency (sim_world_t *w)
{
    int64_t ms = 1 + (int64_t) sim_below (w, 5);
    if (w->faults_on && sim_fault (w, w->config.delay, F_DELAYED))
        ms += 100 + (int64_t) sim_below (w, 20000);
    return ms;
}

//  Sends a message (copied) through the network and its faults.
void
sim_net_send (sim_world_t *w, const sim_net_t *msg)
{
    if (w->faults_on && sim_fault (w, w->config.drop, F_DROPPED))
        return;
    s_net_add (w, msg, w->now_ms + s_latency (w));
    bool at_least_once = msg->type == WF_MSG_OUTBOX_DELIVER || msg->to == TO_RELAY;
    if (at_least_once && w->faults_on && sim_fault (w, w->config.duplicate, F_DUPLICATED))
        s_net_add (w, msg, w->now_ms + s_latency (w));
}

//  Frees the messages a crash loses.
void
sim_net_clear (sim_world_t *w, bool (*lost) (const sim_net_t *msg))
{
    for (int i = w->net_high - 1; i >= 0; i--)
        if (w->net[i].used && lost (&w->net[i]))
            sim_net_release (w, &w->net[i]);
}

//  Frees a message slot (and its bytes, unless taken).
void
sim_net_release (sim_world_t *w, sim_net_t *msg)
{
    free (msg->bytes);
    msg->bytes = NULL;
    msg->used = false;
    while (w->net_high > 0 && !w->net[w->net_high - 1].used)
        w->net_high--;
}

//  Messages due for delivery.
int
sim_net_ready (sim_world_t *w)
{
    int ready = 0;
    for (int i = 0; i < w->net_high; i++)
        ready += w->net[i].used && !w->net[i].queued && w->net[i].deliver_at_ms <= w->now_ms;
    return ready;
}

//  The earliest time a message in flight is due (INT64_MAX when none).
int64_t
sim_net_next_ms (sim_world_t *w)
{
    int64_t next = INT64_MAX;
    for (int i = 0; i < w->net_high; i++)
        if (w->net[i].used && !w->net[i].queued && w->net[i].deliver_at_ms < next)
            next = w->net[i].deliver_at_ms;
    return next;
}

//  The oldest arrived message for a destination, or NULL.
sim_net_t *
sim_net_take (sim_world_t *w, sim_to_t to, int index)
{
    sim_net_t *oldest = NULL;
    for (int i = 0; i < w->net_high; i++) {
        sim_net_t *msg = &w->net[i];
        if (msg->used && msg->queued && msg->to == to && msg->to_index == index &&
            (!oldest || msg->seq < oldest->seq))
            oldest = msg;
    }
    return oldest;
}

bool
sim_net_has (sim_world_t *w, sim_to_t to, int index)
{
    return sim_net_take (w, to, index) != NULL;
}

//  A notifier or AMQP bridge: records the delivery, answers ack (or an
//  error, e.g. RabbitMQ is down) to the relay that sent it.
static void
s_consume (sim_world_t *w, sim_net_t *msg, int dest)
{
    wf_outbox_deliver_t body;
    wf_codec_err_t err;
    if (wf_body_decode (WF_MSG_OUTBOX_DELIVER, msg->bytes, msg->size, &body, &err) != 0) {
        sim_violation (w, "a delivery to %s does not decode: %s", s_dest_names[dest], err.detail);
        return;
    }
    assert (body.outbox_id >= 1 && (size_t) body.outbox_id <= w->store.outbox_count);
    bool failed = w->faults_on && sim_fault (w, w->config.consumer_error, F_CONSUMER_ERROR);
    if (!failed)
        w->store.outbox[body.outbox_id - 1].received[dest]++;
    sim_trace (w, "  %s got row %lld: %s", s_dest_names[dest], (long long) body.outbox_id,
               failed ? "error" : "ack");
    wf_buf_t reply;
    wf_buf_init (&reply);
    wf_outbox_ack_t ack = {.message_id = body.message_id};
    wf_error_t error = {.code = WF_ERR_UNAVAILABLE, .detail = WF_STR ("broker down")};
    if (failed)
        wf_body_encode (WF_MSG_ERROR, &error, &reply);
    else
        wf_body_encode (WF_MSG_OUTBOX_ACK, &ack, &reply);
    sim_net_t answer = {.to = TO_RELAY,
                        .to_index = msg->reply_to_relay,
                        .type = failed ? WF_MSG_ERROR : WF_MSG_OUTBOX_ACK,
                        .correlation = msg->correlation,
                        .reply_to_relay = -1,
                        .incarnation = msg->incarnation,
                        .bytes = reply.data,
                        .size = reply.size};
    sim_net_send (w, &answer);
    wf_buf_free (&reply);
}

//  Delivers one due message, chosen at random among the due ones.
void
sim_net_deliver (sim_world_t *w)
{
    int ready = sim_net_ready (w);
    assert (ready > 0);
    int pick = (int) sim_below (w, (uint64_t) ready);
    sim_net_t *msg = NULL;
    for (int i = 0; i < w->net_high && !msg; i++) {
        sim_net_t *m = &w->net[i];
        if (m->used && !m->queued && m->deliver_at_ms <= w->now_ms && pick-- == 0)
            msg = m;
    }
    //  Reordered: it overtakes an older message to the same place.
    for (int i = 0; i < w->net_high; i++) {
        sim_net_t *m = &w->net[i];
        if (m->used && !m->queued && m->to == msg->to && m->to_index == msg->to_index &&
            m->seq < msg->seq) {
            w->stats.faults[F_REORDERED]++;
            break;
        }
    }
    w->stats.deliveries++;
    switch (msg->to) {
        case TO_SHARD:
            msg->queued = true;
            msg->seq = w->net_seq++; //  arrival order at the broker
            sim_trace (w, "  to account.%d: %s", msg->to_index, wf_msg_name (msg->type));
            break;
        case TO_RELAY:
            if (!w->relays[msg->to_index].up ||
                w->relays[msg->to_index].incarnation != msg->incarnation) {
                sim_net_release (w, msg); //  the relay that asked is gone
                break;
            }
            msg->queued = true;
            msg->seq = w->net_seq++;
            break;
        case TO_CLIENT:
            sim_client_reply (w, msg);
            sim_net_release (w, msg);
            break;
        case TO_NOTIFIER:
        case TO_AMQP:
            s_consume (w, msg, msg->to == TO_NOTIFIER ? DEST_NOTIFIER : DEST_AMQP);
            sim_net_release (w, msg);
            break;
    }
}

//  ---------------------------------------------------------------- relay --

void
sim_relay_crash (sim_world_t *w, sim_relay_t *relay)
{
    (void) w;
    memset (relay->rows, 0, sizeof relay->rows);
    relay->rows_used = 0;
    memset (relay->failing, 0, sizeof relay->failing);
    relay->up = false;
    relay->incarnation++;
}

//  True when an outbox row may be claimed now.
static bool
s_claimable (const sim_world_t *w, const sim_outbox_t *row)
{
    return !row->delivered && row->next_attempt_at_ms <= w->now_ms &&
           (row->lease_until_ms == 0 || row->lease_until_ms < w->now_ms);
}

//  Moves the scan start past delivered rows.
static size_t
s_outbox_low (sim_world_t *w)
{
    sim_store_t *store = &w->store;
    while (store->outbox_low < store->outbox_count && store->outbox[store->outbox_low].delivered)
        store->outbox_low++;
    return store->outbox_low;
}

bool
sim_relay_claimable (sim_world_t *w, int r)
{
    if (!w->relays[r].up || w->relays[r].rows_used >= SIM_RELAY_ROWS_MAX)
        return false;
    for (size_t i = s_outbox_low (w); i < w->store.outbox_count; i++)
        if (s_claimable (w, &w->store.outbox[i]))
            return true;
    return false;
}

//  The earliest time something of the relays' comes due (INT64_MAX: none).
int64_t
sim_relay_next_ms (sim_world_t *w)
{
    int64_t next = INT64_MAX;
    for (size_t i = s_outbox_low (w); i < w->store.outbox_count; i++) {
        const sim_outbox_t *row = &w->store.outbox[i];
        if (row->delivered)
            continue;
        int64_t due = row->next_attempt_at_ms;
        if (row->lease_until_ms && row->lease_until_ms + 1 > due)
            due = row->lease_until_ms + 1;
        next = due < next ? due : next;
    }
    for (int r = 0; r < w->config.relays; r++)
        for (int s = 0; s < SIM_RELAY_ROWS_MAX; s++)
            if (w->relays[r].rows[s].used && w->relays[r].rows[s].deadline_ms + 1000 < next)
                next = w->relays[r].rows[s].deadline_ms + 1000;
    return next;
}

//  s_send: one outbox.deliver; correlation = slot << 40 | generation << 8 | d.
static void
s_send (sim_world_t *w, int r, int slot, int d)
{
    sim_relay_row_t *row = &w->relays[r].rows[slot];
    const sim_outbox_t *out = &w->store.outbox[row->id - 1];
    int dest = row->dest[d];
    char stream[WF_UUID_BYTES] = "";
    if (out->stream >= 0)
        snprintf (stream, sizeof stream, "%s", w->accounts[out->stream].id);
    wf_outbox_deliver_t body = {.message_id = wf_str_c (out->message_id),
                                .outbox_id = row->id,
                                .type = wf_str_c (out->type),
                                .destination = wf_str_c (s_dest_names[dest]),
                                .stream_id = wf_str_c (stream),
                                .payload = wf_str_c (out->payload),
                                .occurred_at_ms = w->now_ms,
                                .attempt = row->attempts};
    wf_buf_reset (&w->scratch);
    wf_body_encode (WF_MSG_OUTBOX_DELIVER, &body, &w->scratch);
    sim_net_t msg = {
        .to = dest == DEST_ACCOUNT ? TO_SHARD : (dest == DEST_NOTIFIER ? TO_NOTIFIER : TO_AMQP),
        .deadline_ms = row->deadline_ms,
        .type = WF_MSG_OUTBOX_DELIVER,
        .correlation = (uint64_t) slot << 40 | (uint64_t) row->generation << 8 | (uint64_t) d,
        .reply_to_relay = r,
        .incarnation = w->relays[r].incarnation,
        .bytes = w->scratch.data,
        .size = w->scratch.size};
    if (dest == DEST_ACCOUNT)
        msg.to_index = wf_shard_of (out->route_key, strlen (out->route_key), w->config.shards);
    sim_net_send (w, &msg);
}

//  s_finish: releases a row whose deliveries all answered; a failed row
//  comes back after its backoff.
static void
s_finish (sim_world_t *w, int r, sim_relay_row_t *row)
{
    if (row->outstanding > 0)
        return;
    if (row->failed) {
        int64_t backoff_ms = 100LL << (row->attempts > 9 ? 9 : row->attempts - 1);
        if (backoff_ms > SIM_RELAY_BACKOFF_MS_MAX)
            backoff_ms = SIM_RELAY_BACKOFF_MS_MAX;
        //  If even this fails, the lease runs out and the row comes back.
        if (!(w->faults_on && sim_fault (w, w->config.relay_db_fail, F_RELAY_DB_FAILED))) {
            sim_outbox_t *out = &w->store.outbox[row->id - 1];
            out->lease_until_ms = 0;
            out->next_attempt_at_ms = w->now_ms + backoff_ms;
        }
    }
    row->used = false;
    row->generation++;
    w->relays[r].rows_used--;
}

//  s_claim: claims due rows in id order and sends their deliveries.
void
sim_relay_claim (sim_world_t *w, int r)
{
    sim_relay_t *relay = &w->relays[r];
    if (w->faults_on && sim_fault (w, w->config.relay_db_fail, F_RELAY_DB_FAILED))
        return;
    int slot = 0, claimed = 0;
    for (size_t i = s_outbox_low (w);
         i < w->store.outbox_count && relay->rows_used < SIM_RELAY_ROWS_MAX; i++) {
        sim_outbox_t *out = &w->store.outbox[i];
        if (!s_claimable (w, out))
            continue;
        out->lease_until_ms = w->now_ms + SIM_RELAY_LEASE_MS;
        out->attempts++;
        while (relay->rows[slot].used)
            slot++;
        sim_relay_row_t *row = &relay->rows[slot];
        uint32_t generation = row->generation;
        memset (row, 0, sizeof *row);
        row->generation = generation;
        row->used = true;
        relay->rows_used++;
        row->id = (int64_t) i + 1;
        row->attempts = out->attempts;
        row->deadline_ms = w->now_ms + SIM_RELAY_TIMEOUT_MS;
        for (int d = 0; d < SIM_DESTINATIONS; d++)
            if (out->pending & DEST_BIT (d))
                row->dest[row->dest_count++] = d;
        row->outstanding = row->dest_count;
        for (int d = 0; d < row->dest_count; d++)
            s_send (w, r, slot, d);
        s_finish (w, r, row);
        claimed++;
    }
    sim_trace (w, "  relay %d claimed %d rows", r, claimed);
}

//  s_destination_acked: a destination answering again wakes its backlog.
static void
s_destination_acked (sim_world_t *w, sim_relay_t *relay, int dest)
{
    if (!relay->failing[dest])
        return;
    if (w->faults_on && sim_fault (w, w->config.relay_db_fail, F_RELAY_DB_FAILED))
        return;
    for (size_t i = s_outbox_low (w); i < w->store.outbox_count; i++) {
        sim_outbox_t *out = &w->store.outbox[i];
        if (!out->delivered && (out->pending & DEST_BIT (dest)) &&
            out->next_attempt_at_ms > w->now_ms)
            out->next_attempt_at_ms = w->now_ms;
    }
    relay->failing[dest] = false;
}

//  s_record_acks: one statement for the acks of one wake-up.
static void
s_record_acks (sim_world_t *w, sim_relay_t *relay, sim_relay_row_t **rows, int *dests, int count)
{
    if (count == 0)
        return;
    bool ok = !(w->faults_on && sim_fault (w, w->config.relay_db_fail, F_RELAY_DB_FAILED));
    if (ok) {
        //  Per row: acked = the destinations acked in this statement.
        unsigned acked[SIM_RELAY_ROWS_MAX] = {0};
        for (int i = 0; i < count; i++)
            acked[rows[i] - relay->rows] |= DEST_BIT (rows[i]->dest[dests[i]]);
        for (int s = 0; s < SIM_RELAY_ROWS_MAX; s++) {
            if (!acked[s])
                continue;
            sim_outbox_t *out = &w->store.outbox[relay->rows[s].id - 1];
            bool all = (out->pending & ~acked[s]) == 0;
            sim_trace (w, "  row %lld: pending %x acked %x", (long long) relay->rows[s].id,
                       out->pending, acked[s]);
            out->pending &= ~acked[s];
            out->delivered = all;
            if (all)
                out->lease_until_ms = 0;
        }
    }
    for (int i = 0; i < count; i++) {
        if (!ok)
            rows[i]->failed = true;
        else
            s_destination_acked (w, relay, rows[i]->dest[dests[i]]);
    }
}

//  s_replies: the answers in the mailbox, acks recorded as one batch.
void
sim_relay_replies (sim_world_t *w, int r)
{
    sim_relay_t *relay = &w->relays[r];
    sim_relay_row_t *ack_rows[REPLIES_MAX], *touched[REPLIES_MAX];
    int ack_dests[REPLIES_MAX], acks = 0, touched_count = 0;
    sim_net_t *msg;
    for (int n = 0; n < REPLIES_MAX && (msg = sim_net_take (w, TO_RELAY, r)) != NULL; n++) {
        int slot = (int) (msg->correlation >> 40);
        uint32_t generation = (uint32_t) (msg->correlation >> 8) & 0xffffffff;
        int d = (int) (msg->correlation & 0xff);
        sim_relay_row_t *row = slot < SIM_RELAY_ROWS_MAX ? &relay->rows[slot] : NULL;
        //  An answer to an earlier incarnation went to a socket that died with it.
        if (row && msg->incarnation == relay->incarnation && row->used &&
            row->generation == generation && d < row->dest_count && !row->answered[d]) {
            row->answered[d] = true;
            row->outstanding--;
            if (msg->type == WF_MSG_OUTBOX_ACK) {
                ack_rows[acks] = row;
                ack_dests[acks++] = d;
            } else {
                row->failed = true;
                relay->failing[row->dest[d]] = true;
            }
            if (!row->touched) {
                row->touched = true;
                touched[touched_count++] = row;
            }
        }
        sim_net_release (w, msg);
    }
    s_record_acks (w, relay, ack_rows, ack_dests, acks);
    for (int i = 0; i < touched_count; i++) {
        touched[i]->touched = false;
        s_finish (w, r, touched[i]);
    }
    sim_trace (w, "  relay %d recorded %d acks", r, acks);
}

bool
sim_relay_expired (sim_world_t *w, int r)
{
    for (int s = 0; s < SIM_RELAY_ROWS_MAX; s++)
        if (w->relays[r].rows[s].used && w->relays[r].rows[s].deadline_ms + 1000 <= w->now_ms)
            return true;
    return false;
}

//  s_expire: deliveries not answered by their deadline (plus a second) fail.
void
sim_relay_expire (sim_world_t *w, int r)
{
    sim_relay_t *relay = &w->relays[r];
    for (int s = 0; s < SIM_RELAY_ROWS_MAX; s++) {
        sim_relay_row_t *row = &relay->rows[s];
        if (!row->used || row->deadline_ms + 1000 > w->now_ms)
            continue;
        for (int d = 0; d < row->dest_count; d++)
            if (!row->answered[d]) {
                row->answered[d] = true;
                row->outstanding--;
                relay->failing[row->dest[d]] = true;
            }
        row->outstanding = row->outstanding < 0 ? 0 : row->outstanding;
        row->failed = true;
        s_finish (w, r, row);
    }
}
