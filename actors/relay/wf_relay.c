/*  wf_relay - the outbox relay (see wf_relay.h).  */
#include "wf_relay.h"
#include "wf_events.h"
#include "wf_limits.h"
#include "wf_log.h"
#include "wf_mdp_client.h"
#include "wf_metrics.h"
#include "wf_pg.h"
#include "wf_shard.h"
#include "wf_wire.h"

#define DESTINATIONS_MAX       4 //  per row
#define SERVICE_BYTES          32
#define KNOWN_DESTINATIONS_MAX 8    //  destination names whose failures we remember
#define REPLIES_MAX            1024 //  replies per wake-up; acknowledgements per statement
#define ACK_TEXT_BYTES         (REPLIES_MAX * (SERVICE_BYTES + 24))
#define GAPS_MAX               256  //  ids skipped by the cursor that we look for again
#define GAP_WAIT_MS            1000 //  how long a gap is looked for; then the sweep finds it
#define GAP_TEXT_BYTES         (GAPS_MAX * 24)

//  A destination name and whether its last answer was a failure.
typedef struct {
    char name[SERVICE_BYTES];
    bool failing;
    bool recovered; //  acknowledged after failing: its backlog is woken at the end of the round
} destination_t;

//  One claimed row and the state of its deliveries.
typedef struct {
    bool used;
    uint32_t generation;
    int64_t id;
    int attempts;
    int outstanding; //  deliveries sent, not yet answered
    bool failed;     //  a delivery failed: release with backoff
    int64_t deadline_ms;
    char destinations[DESTINATIONS_MAX][SERVICE_BYTES];
    bool answered[DESTINATIONS_MAX];
    bool acked[DESTINATIONS_MAX]; //  answered with outbox.ack, recorded when the row finishes
    bool touched;                 //  answered in the current batch of replies
} row_t;

//  One destination's acknowledgement of a row, waiting to be recorded with its batch.
typedef struct {
    row_t *row;
    int d;
} ack_t;

//  Every destination of every row in flight fits one batch of acknowledgements.
_Static_assert(WF_RELAY_ROWS_MAX *DESTINATIONS_MAX <= REPLIES_MAX, "acks fit one batch");

typedef struct {
    const wf_relay_config_t *config;
    zsock_t *pipe;
    wf_mdp_client_t *client;
    wf_pg_t *pg;
    PGconn *listening;             //  the connection we ran LISTEN on
    uint64_t listening_generation; //  wf_pg_generation () when we did
    row_t rows[WF_RELAY_ROWS_MAX];
    size_t rows_used;
    int delivery_timeout_ms;
    int64_t poll_at_ms;
    bool wanted; //  a NOTIFY or a completion: claim again soon
    //  The cursor: the highest id claimed. A claim looks above it (plus the gaps below it), not
    //  from the start of the outbox, so its cost does not grow with the rows that are leased,
    //  delivered or dead; a full sweep from the start runs once per poll interval (retries after
    //  backoff, expired leases, rows the gaps missed) and when a destination recovers.
    int64_t cursor;
    int64_t gaps[GAPS_MAX]; //  ids below the cursor that were not there when it passed them
    int64_t gap_seen_ms[GAPS_MAX];
    size_t gaps_count;
    int64_t sweep_at_ms; //  mono
    bool fresh_found;    //  a claim by the cursor found rows since the last sweep
    int poll_ms;
    char gap_text[GAP_TEXT_BYTES];
    destination_t known[KNOWN_DESTINATIONS_MAX];
    ack_t acks[REPLIES_MAX];     //  the batch being answered
    row_t *touched[REPLIES_MAX]; //  rows answered since the last round, each once
    size_t touched_count;
    size_t touched_done;          //  those of them with every destination answered
    int64_t claim_at_ms;          //  mono, the last claim (WF_RELAY_ROUND_MS)
    int64_t acks_at_ms;           //  mono, the last acknowledgements recorded
    char ack_ids[ACK_TEXT_BYTES]; //  its array literals
    char ack_destinations[ACK_TEXT_BYTES];
    wf_buf_t scratch;
    wf_metrics_t *metrics;
    wf_metric_t *delivered;
    wf_metric_t *failed;
    wf_metric_t *claimed;
    wf_metric_t *delivery_seconds;
} self_t;

//  What a claim sets on each row it takes, and the columns it returns.
#define CLAIM_SET                                                                                  \
    "UPDATE outbox SET lease_until = now () + make_interval (secs => $2), "                        \
    "attempts = attempts + 1 WHERE id IN "
#define CLAIMABLE                                                                                  \
    " delivered_at IS NULL AND next_attempt_at <= now () AND (lease_until IS NULL OR "             \
    "lease_until < now ()) "
#define CLAIM_RETURNING                                                                            \
    " RETURNING id, message_id, type, coalesce (stream_id::text, ''), "                            \
    "coalesce (route_key::text, ''), payload::text, pending::text, "                               \
    "(extract (epoch FROM created_at) * 1000)::bigint, attempts"

//  The sweep: every claimable row from the start of the outbox, in id order. It walks every
//  leased, delivered and dead index entry on its way, so it runs once per poll interval only.
static const char s_claim_sweep_sql[] =
    "WITH claimed AS (" CLAIM_SET "(SELECT id FROM outbox WHERE" CLAIMABLE
    "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)" CLAIM_RETURNING ") "
    "SELECT * FROM claimed ORDER BY id";

//  The usual claim: the gaps by their ids ($4), and the rows above the cursor ($3).
static const char s_claim_cursor_sql[] =
    "WITH gap AS (" CLAIM_SET "(SELECT id FROM outbox WHERE id = ANY ($4::bigint[]) AND" CLAIMABLE
    "FOR UPDATE SKIP LOCKED)" CLAIM_RETURNING "), "
    "fresh AS (" CLAIM_SET "(SELECT id FROM outbox WHERE id > $3 AND" CLAIMABLE
    "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)" CLAIM_RETURNING ") "
    "SELECT * FROM gap UNION ALL SELECT * FROM fresh ORDER BY 1";

//  Records the acknowledgements of a wake-up: a row whose every destination answered is delivered.
static const char s_ack_sql[] =
    "WITH acked AS (SELECT id, array_agg (destination) AS destinations "
    "FROM unnest ($1::bigint[], $2::text[]) AS a (id, destination) GROUP BY id) "
    "UPDATE outbox o SET pending = ARRAY (SELECT p FROM unnest (o.pending) AS p "
    "WHERE p <> ALL (acked.destinations)), delivered_at = CASE WHEN o.pending <@ "
    "acked.destinations THEN now () END, lease_until = CASE WHEN o.pending <@ "
    "acked.destinations THEN NULL ELSE o.lease_until END FROM acked WHERE o.id = acked.id";

//  The statements prepared on each new connection (s_conn).
enum { CLAIM_SWEEP, CLAIM_CURSOR, ACK, STATEMENTS };
static const char *const s_statement_name[STATEMENTS] = {"wf_relay_sweep", "wf_relay_cursor",
                                                         "wf_relay_ack"};
static const char *const s_statement_sql[STATEMENTS] = {s_claim_sweep_sql, s_claim_cursor_sql,
                                                        s_ack_sql};

//  The connection that LISTENs, or NULL once wf_pg has dropped it (a failed
//  query, a restarted server): never a freed PGconn, nor a new one at the
//  same address that never ran LISTEN.
static PGconn *
s_listening (self_t *self)
{
    if (self->listening && wf_pg_generation (self->pg) != self->listening_generation)
        self->listening = NULL;
    return self->listening;
}

//  Makes sure the connection LISTENs; returns it, or NULL when down.
static PGconn *
s_conn (self_t *self)
{
    PGconn *conn = wf_pg_conn (self->pg);
    if (conn && conn != s_listening (self)) {
        //  The claim and acknowledgement run many times a second: prepared, with one generic
        //  plan each (custom plans re-planned them at every call, most of this backend's CPU).
        //  DEALLOCATE first: a setup that failed halfway (one statement prepared, the next not)
        //  must not make every retry fail with "already exists".
        PGresult *res = PQexec (
            conn, "DEALLOCATE ALL; LISTEN wf_outbox; SET plan_cache_mode = force_generic_plan");
        bool ok = PQresultStatus (res) == PGRES_COMMAND_OK;
        PQclear (res);
        for (int s = 0; ok && s < STATEMENTS; s++) {
            res = PQprepare (conn, s_statement_name[s], s_statement_sql[s], 0, NULL);
            ok = PQresultStatus (res) == PGRES_COMMAND_OK;
            PQclear (res);
        }
        if (!ok) {
            wf_pg_failed (self->pg);
            return NULL;
        }
        self->listening = conn;
        self->listening_generation = wf_pg_generation (self->pg);
        self->wanted = true; //  rows may have piled up while we were away
        //  A new connection may reach another database (a restore): find the cursor again.
        self->sweep_at_ms = 0;
        self->cursor = 0;
        self->gaps_count = 0;
    }
    return conn;
}

//  After a failed statement: a broken connection is dropped; on a live one the next s_conn sets
//  it up again (a prepared statement can go stale, e.g. "cached plan must not change result
//  type" after the outbox's columns changed, and would fail forever).
static void
s_statement_failed (self_t *self)
{
    wf_pg_failed (self->pg);
    self->listening = NULL;
}

//  The service a destination of a row is delivered to.
static void
s_service (self_t *self, const char *destination, const char *route_key, char *service)
{
    if (streq (destination, WF_DEST_ACCOUNT) && route_key && *route_key)
        wf_shard_service (wf_shard_of (route_key, strlen (route_key), self->config->shards),
                          service, SERVICE_BYTES);
    else
        snprintf (service, SERVICE_BYTES, "%s", destination);
}

//  Splits a PostgreSQL text array literal "{a,b}" into row->destinations.
static int
s_parse_destinations (const char *literal, row_t *row)
{
    int count = 0;
    memset (row->destinations, 0, sizeof row->destinations);
    for (int d = 0; d < DESTINATIONS_MAX; d++)
        row->answered[d] = true;
    const char *p = literal + (*literal == '{');
    while (*p && *p != '}' && count < DESTINATIONS_MAX) {
        size_t len = strcspn (p, ",}");
        snprintf (row->destinations[count], SERVICE_BYTES, "%.*s", (int) len, p);
        row->answered[count] = false;
        row->acked[count] = false;
        count++;
        p += len + (p[len] == ',');
    }
    return count;
}

//  Sends one outbox.deliver; correlation = slot << 40 | generation << 8 | d.
static void
s_send (self_t *self, row_t *row, int d, PGresult *res, int i, const char *service)
{
    uint64_t slot = (uint64_t) (row - self->rows);
    wf_envelope_t env = {
        .version = WF_PROTO_VERSION,
        .type = WF_MSG_OUTBOX_DELIVER,
        .correlation_id =
            slot << 40 | (uint64_t) (row->generation & 0xffffffff) << 8 | (uint64_t) d,
        .deadline_ms = row->deadline_ms,
        .request_id = wf_str_c (PQgetvalue (res, i, 1)),
    };
    wf_outbox_deliver_t body = {
        .message_id = wf_str_c (PQgetvalue (res, i, 1)),
        .outbox_id = row->id,
        .type = wf_str_c (PQgetvalue (res, i, 2)),
        .destination = wf_str_c (row->destinations[d]),
        .stream_id = wf_str_c (PQgetvalue (res, i, 3)),
        .payload = wf_str_c (PQgetvalue (res, i, 5)),
        .occurred_at_ms = atoll (PQgetvalue (res, i, 7)),
        .attempt = row->attempts,
    };
    zmsg_t *msg = zmsg_new ();
    if (wf_wire_append (msg, &env, &body, &self->scratch) != 0 ||
        wf_mdp_client_send (self->client, service, &msg) != 0) {
        row->failed = true; //  too large or the broker link is full: retry later
        row->answered[d] = true;
        row->outstanding--;
    }
    zmsg_destroy (&msg);
}

//  Releases a finished row: failed rows come back after a backoff.
static void
s_finish (self_t *self, row_t *row)
{
    if (row->outstanding > 0)
        return;
    if (row->failed) {
        wf_metric_inc (self->failed, 1);
        int64_t backoff_ms = 100LL << (row->attempts > 9 ? 9 : row->attempts - 1);
        if (backoff_ms > WF_RELAY_BACKOFF_MS_MAX)
            backoff_ms = WF_RELAY_BACKOFF_MS_MAX;
        char id[24], seconds[24];
        snprintf (id, sizeof id, "%" PRId64, row->id);
        snprintf (seconds, sizeof seconds, "%.3f", (double) backoff_ms / 1000.0);
        const char *params[] = {id, seconds};
        PGconn *conn = s_conn (self);
        PGresult *res = conn ? PQexecParams (conn,
                                             "UPDATE outbox SET lease_until = NULL, "
                                             "next_attempt_at = now () + make_interval "
                                             "(secs => $2::float8) WHERE id = $1",
                                             2, NULL, params, NULL, NULL, 0)
                             : NULL;
        //  If even this fails, the lease runs out and the row comes back.
        PQclear (res);
        //  The row is below the cursor now: a sweep picks it up when its backoff ends.
        int64_t due = zclock_mono () + backoff_ms;
        if (due < self->sweep_at_ms)
            self->sweep_at_ms = due;
    } else
        self->wanted = true; //  the pipeline has room: look for more
    row->used = false;
    row->generation++;
    self->rows_used--;
}

//  Forgets the gap at index g.
static void
s_gap_drop (self_t *self, size_t g)
{
    self->gaps_count--;
    self->gaps[g] = self->gaps[self->gaps_count];
    self->gap_seen_ms[g] = self->gap_seen_ms[self->gaps_count];
}

//  Moves the cursor over the claimed ids (ascending): an id it jumps over was not claimable
//  (an insert not committed yet, a rolled-back one, or a row another relay holds), and is
//  looked for by id for a while. A claimed gap is forgotten; old gaps are left to the sweep.
static void
s_cursor_advance (self_t *self, PGresult *res)
{
    int64_t now = wf_clock_ms ();
    for (size_t g = self->gaps_count; g-- > 0;)
        if (now - self->gap_seen_ms[g] > GAP_WAIT_MS)
            s_gap_drop (self, g);
    for (int i = 0; i < PQntuples (res); i++) {
        int64_t id = atoll (PQgetvalue (res, i, 0));
        if (id <= self->cursor) {
            for (size_t g = 0; g < self->gaps_count; g++)
                if (self->gaps[g] == id) {
                    s_gap_drop (self, g);
                    break;
                }
            continue;
        }
        //  A jump wider than the gap table (a first claim, a long outage) is the sweep's.
        if (self->cursor > 0 && id - self->cursor - 1 <= (int64_t) (GAPS_MAX - self->gaps_count))
            for (int64_t missing = self->cursor + 1; missing < id; missing++) {
                self->gaps[self->gaps_count] = missing;
                self->gap_seen_ms[self->gaps_count++] = now;
            }
        self->cursor = id;
    }
}

//  Takes the claimed rows into free slots and sends their deliveries.
static void
s_claimed (self_t *self, PGresult *res)
{
    int count = PQntuples (res);
    wf_metric_inc (self->claimed, (uint64_t) count);
    size_t slot = 0;
    for (int i = 0; i < count; i++) {
        while (self->rows[slot].used)
            slot++;
        row_t *row = &self->rows[slot];
        row->used = true;
        self->rows_used++;
        row->id = atoll (PQgetvalue (res, i, 0));
        row->attempts = atoi (PQgetvalue (res, i, 8));
        row->failed = false;
        row->deadline_ms = wf_clock_ms () + self->delivery_timeout_ms;
        int destinations = s_parse_destinations (PQgetvalue (res, i, 6), row);
        row->outstanding = destinations;
        for (int d = 0; d < destinations; d++) {
            char service[SERVICE_BYTES];
            s_service (self, row->destinations[d], PQgetvalue (res, i, 4), service);
            s_send (self, row, d, res, i, service);
        }
        s_finish (self, row);
    }
}

//  Claims up to the free row slots (a sweep when one is due, else by the cursor) and sends
//  their deliveries.
static void
s_claim (self_t *self)
{
    PGconn *conn = s_conn (self);
    size_t room = WF_RELAY_ROWS_MAX - self->rows_used;
    if (!conn || room == 0)
        return;
    int64_t now = zclock_mono ();
    bool sweep = now >= self->sweep_at_ms;
    size_t gaps = self->gaps_count < room ? self->gaps_count : room;
    size_t fresh = sweep ? room : room - gaps;
    char limit[24], lease[24], cursor[24];
    snprintf (limit, sizeof limit, "%zu", fresh);
    snprintf (lease, sizeof lease, "%d", WF_RELAY_LEASE_S);
    snprintf (cursor, sizeof cursor, "%" PRId64, self->cursor);
    size_t length = 1;
    strcpy (self->gap_text, "{");
    for (size_t g = 0; g < gaps; g++)
        length += (size_t) snprintf (self->gap_text + length, GAP_TEXT_BYTES - length, "%s%" PRId64,
                                     g ? "," : "", self->gaps[g]);
    strcpy (self->gap_text + length, "}");
    const char *params[] = {limit, lease, cursor, self->gap_text};
    PGresult *res = PQexecPrepared (conn, s_statement_name[sweep ? CLAIM_SWEEP : CLAIM_CURSOR],
                                    sweep ? 2 : 4, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        s_statement_failed (self);
        return;
    }
    if (sweep)
        self->sweep_at_ms = now + self->poll_ms;
    //  More may be waiting when the claim took all it could.
    size_t above = 0;
    for (int i = 0; i < PQntuples (res); i++)
        above += atoll (PQgetvalue (res, i, 0)) > self->cursor;
    self->wanted = fresh > 0 && (sweep ? (size_t) PQntuples (res) : above) == fresh;
    if (self->wanted && sweep)
        self->sweep_at_ms = now + WF_RELAY_ROUND_MS; //  a backlog from the start: sweep on
    if (!sweep && above)
        self->fresh_found = true;
    //  Only sweeps found rows for a whole poll interval, all below the cursor: the ids may have
    //  started again lower (a sequence reset), so the cursor follows the sweep down.
    if (sweep && PQntuples (res) > 0 && !self->fresh_found &&
        atoll (PQgetvalue (res, PQntuples (res) - 1, 0)) < self->cursor) {
        self->cursor = atoll (PQgetvalue (res, PQntuples (res) - 1, 0));
        self->gaps_count = 0;
    }
    if (sweep)
        self->fresh_found = false;
    s_cursor_advance (self, res);
    s_claimed (self, res);
    PQclear (res);
}

//  The remembered state of a destination name; NULL when the table is full.
static destination_t *
s_destination (self_t *self, const char *name)
{
    for (int i = 0; i < KNOWN_DESTINATIONS_MAX; i++) {
        destination_t *known = &self->known[i];
        if (!*known->name)
            snprintf (known->name, SERVICE_BYTES, "%s", name);
        if (streq (known->name, name))
            return known;
    }
    return NULL;
}

//  A destination failed a delivery: remember it, so its recovery can wake its backlog.
static void
s_destination_failed (self_t *self, const char *name)
{
    destination_t *known = s_destination (self, name);
    if (known) {
        known->failing = true;
        known->recovered = false;
    }
}

//  A destination acknowledged a delivery; after failing, it is noted as recovered. Answers are
//  taken in the order they came, so an acknowledgement followed by a failure is no recovery.
static void
s_destination_acked (self_t *self, const char *name)
{
    destination_t *known = s_destination (self, name);
    if (known && known->failing) {
        known->failing = false;
        known->recovered = true;
    }
}

//  Makes the rows that wait for one destination due now.
static void
s_wake (self_t *self, destination_t *known)
{
    const char *name = known->name;
    PGconn *conn = s_conn (self);
    const char *params[] = {name};
    PGresult *res = conn ? PQexecParams (conn,
                                         "UPDATE outbox SET next_attempt_at = now () WHERE "
                                         "delivered_at IS NULL AND $1 = ANY (pending) AND "
                                         "next_attempt_at > now ()",
                                         1, NULL, params, NULL, NULL, 0)
                         : NULL;
    if (res && PQresultStatus (res) == PGRES_COMMAND_OK) {
        known->recovered = false;
        self->wanted = true;
        self->sweep_at_ms = 0; //  the woken rows are below the cursor
        char quoted[WF_LOG_VALUE_BYTES_MAX];
        wf_log (WF_LOG_INFO, "relay", "destination_recovered", NULL, "destination=%s woken=%s",
                wf_log_quote (quoted, sizeof quoted, name), PQcmdTuples (res));
    }
    PQclear (res);
}

//  Destinations that recovered in this round (RabbitMQ is back, say): the rows that wait for
//  them in their backoff, up to 30 s, are due now, so the backlog drains at once, in id order.
//  Runs after the round's failed rows got their backoff, once per destination; a wake-up that
//  fails is tried again at the next round.
static void
s_wake_recovered (self_t *self)
{
    for (int i = 0; i < KNOWN_DESTINATIONS_MAX; i++)
        if (self->known[i].recovered)
            s_wake (self, &self->known[i]);
}

//  Appends one element to an array literal being built; the caller closes it.
static size_t
s_append (char *text, size_t length, const char *element)
{
    int written =
        snprintf (text + length, ACK_TEXT_BYTES - length, "%s%s", length > 1 ? "," : "", element);
    assert (written > 0 && length + (size_t) written < ACK_TEXT_BYTES - 1);
    return length + (size_t) written;
}

//  Records a batch of acknowledgements with one statement (one round trip, one commit, instead
//  of one each): every destination leaves its row's `pending`, and a row with none left is
//  delivered. When it fails, nothing is recorded: the rows go again later (consumers
//  deduplicate).
static void
s_record_acks (self_t *self, size_t count)
{
    if (count == 0)
        return;
    size_t ids = 1, destinations = 1;
    strcpy (self->ack_ids, "{");
    strcpy (self->ack_destinations, "{");
    for (size_t i = 0; i < count; i++) {
        char id[24];
        snprintf (id, sizeof id, "%" PRId64, self->acks[i].row->id);
        ids = s_append (self->ack_ids, ids, id);
        //  The name is an element of `pending::text` as PostgreSQL wrote it: valid as it is.
        destinations = s_append (self->ack_destinations, destinations,
                                 self->acks[i].row->destinations[self->acks[i].d]);
    }
    strcpy (self->ack_ids + ids, "}");
    strcpy (self->ack_destinations + destinations, "}");
    const char *params[] = {self->ack_ids, self->ack_destinations};
    PGconn *conn = s_conn (self);
    PGresult *res =
        conn ? PQexecPrepared (conn, s_statement_name[ACK], 2, params, NULL, NULL, 0) : NULL;
    bool ok = res && PQresultStatus (res) == PGRES_COMMAND_OK;
    PQclear (res);
    if (!ok && conn)
        s_statement_failed (self);
    if (ok)
        wf_metric_inc (self->delivered, (uint64_t) count);
    for (size_t i = 0; !ok && i < count; i++)
        self->acks[i].row->failed = true;
}

//  Adds a finished row's acknowledged destinations to the batch being recorded; returns its size.
static size_t
s_acks_of (self_t *self, row_t *row, size_t acks)
{
    if (row->outstanding > 0)
        return acks;
    for (int d = 0; d < DESTINATIONS_MAX; d++)
        if (row->acked[d]) {
            row->acked[d] = false;
            self->acks[acks++] = (ack_t){row, d};
        }
    return acks;
}

//  Records the acknowledgements of the rows answered since the last round as one batch, then
//  finishes those rows.
static void
s_flush_replies (self_t *self)
{
    //  A row's acknowledgements are recorded once all its destinations answered: one UPDATE
    //  per row instead of one per destination (each would write a new row version and index
    //  entries). Until then a crash only means a redelivery, which consumers deduplicate.
    size_t acks = 0;
    for (size_t i = 0; i < self->touched_count; i++)
        acks = s_acks_of (self, self->touched[i], acks);
    s_record_acks (self, acks);
    for (size_t i = 0; i < self->touched_count; i++) {
        self->touched[i]->touched = false;
        s_finish (self, self->touched[i]);
    }
    self->touched_count = 0;
    self->touched_done = 0;
    s_wake_recovered (self);
    self->acks_at_ms = zclock_mono ();
}

//  Takes the replies from destinations that are there (at most REPLIES_MAX) and notes the rows
//  they answered; s_flush_replies records them.
static void
s_replies (self_t *self)
{
    size_t touched = self->touched_count;
    for (int n = 0; n < REPLIES_MAX; n++) {
        zmsg_t *reply = wf_mdp_client_recv (self->client, NULL);
        if (reply) {
            wf_envelope_t env;
            wf_codec_err_t err;
            if (wf_wire_decode (reply, &env, NULL, &err) == 0) {
                uint64_t slot = env.correlation_id >> 40;
                uint32_t generation = (uint32_t) (env.correlation_id >> 8) & 0xffffffff;
                int d = (int) (env.correlation_id & 0xff);
                row_t *row = slot < WF_RELAY_ROWS_MAX ? &self->rows[slot] : NULL;
                if (row && row->used && (row->generation & 0xffffffff) == generation &&
                    d < DESTINATIONS_MAX && !row->answered[d]) {
                    row->answered[d] = true;
                    row->outstanding--;
                    self->touched_done += row->outstanding == 0;
                    if (env.type == WF_MSG_OUTBOX_ACK) {
                        row->acked[d] = true;
                        s_destination_acked (self, row->destinations[d]);
                    } else {
                        row->failed = true;
                        s_destination_failed (self, row->destinations[d]);
                    }
                    if (!row->touched) {
                        row->touched = true;
                        self->touched[touched++] = row;
                    }
                }
            }
            zmsg_destroy (&reply);
        }
        if (!(zsock_events (wf_mdp_client_sock (self->client)) & ZMQ_POLLIN))
            break;
    }
    self->touched_count = touched;
}

//  Fails deliveries whose deadline passed without an answer.
static void
s_expire (self_t *self)
{
    int64_t now = wf_clock_ms ();
    for (size_t s = 0; s < WF_RELAY_ROWS_MAX; s++) {
        row_t *row = &self->rows[s];
        if (!row->used || row->deadline_ms + 1000 > now)
            continue;
        if (row->touched)
            s_flush_replies (self); //  its answers first; it may be finished then
        if (!row->used)
            continue;
        for (int d = 0; d < DESTINATIONS_MAX; d++)
            if (*row->destinations[d] && !row->answered[d]) {
                row->answered[d] = true;
                row->outstanding--;
                s_destination_failed (self, row->destinations[d]);
            }
        row->outstanding = row->outstanding < 0 ? 0 : row->outstanding;
        row->failed = true;
        //  What did answer is recorded before the row is released for its retry.
        size_t acks = s_acks_of (self, row, 0);
        s_record_acks (self, acks);
        s_finish (self, row);
    }
}

//  True when the answers noted since the last round are to be recorded now: every row in flight
//  is fully answered, or a round is due.
static bool
s_flush_due (self_t *self, int64_t now)
{
    return self->touched_count &&
           (self->touched_done == self->rows_used || now - self->acks_at_ms >= WF_RELAY_ROUND_MS);
}

//  True when a wanted claim may run now: nothing is in flight, or a round is due.
static bool
s_claim_due (self_t *self, int64_t now)
{
    return self->wanted && (self->rows_used == 0 || now - self->claim_at_ms >= WF_RELAY_ROUND_MS);
}

//  How long the loop may wait for replies before its next round (a claim that is wanted, answers
//  to record): 0 when one is due now, at most 100 ms.
static long
s_round_wait_ms (self_t *self)
{
    int64_t now = zclock_mono ();
    if (s_flush_due (self, now) || s_claim_due (self, now))
        return 0;
    int64_t due = now + 100;
    if (self->wanted && self->claim_at_ms + WF_RELAY_ROUND_MS < due)
        due = self->claim_at_ms + WF_RELAY_ROUND_MS;
    if (self->touched_count && self->acks_at_ms + WF_RELAY_ROUND_MS < due)
        due = self->acks_at_ms + WF_RELAY_ROUND_MS;
    return due > now ? (long) (due - now) : 0;
}

//  Reads pending notifications from PostgreSQL: from the socket when it is
//  readable, and those libpq already queued while it ran our queries or
//  checked the idle connection (wf_pg_conn), which wake no poll.
static void
s_notifications (self_t *self, bool readable)
{
    PGconn *conn = s_listening (self);
    if (!conn)
        return;
    if (readable && PQconsumeInput (conn) == 0) {
        wf_pg_failed (self->pg);
        self->listening = NULL;
        return;
    }
    PGnotify *notify;
    while ((notify = PQnotifies (conn)) != NULL) {
        self->wanted = true;
        PQfreemem (notify);
    }
}

//  Creates the relay's state.
static self_t *
s_self_new (zsock_t *pipe, const wf_relay_config_t *config)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    self->config = config;
    self->pipe = pipe;
    self->client = wf_mdp_client_new_curve (config->broker_endpoint, config->curve_client_cert,
                                            config->curve_server_key);
    self->pg = wf_pg_new (config->pg_url, "relay");
    self->delivery_timeout_ms = config->delivery_timeout_ms > 0 ? config->delivery_timeout_ms
                                                                : WF_RELAY_DELIVERY_TIMEOUT_MS;
    wf_buf_init (&self->scratch);
    self->metrics = wf_metrics_new ("relay");
    self->delivered = wf_metrics_counter (self->metrics, "wf_relay_delivered_total",
                                          "Deliveries acknowledged by their destination.", NULL);
    self->failed = wf_metrics_counter (self->metrics, "wf_relay_retries_total",
                                       "Rows released for a retry after a failed delivery.", NULL);
    self->claimed =
        wf_metrics_counter (self->metrics, "wf_relay_claimed_total", "Outbox rows claimed.", NULL);
    self->wanted = true;
    return self;
}

//  Answers a pipe command; false on $TERM.
static bool
s_pipe (self_t *self)
{
    char *command = zstr_recv (self->pipe);
    bool go_on = command && !streq (command, "$TERM");
    if (go_on && streq (command, "METRICS")) {
        char *text = wf_metrics_text (self->metrics);
        zstr_send (self->pipe, text);
        free (text);
    }
    zstr_free (&command);
    return go_on;
}

void
wf_relay_actor (zsock_t *pipe, void *args)
{
    const wf_relay_config_t *config = (const wf_relay_config_t *) args;
    self_t *self = s_self_new (pipe, config);
    zsock_signal (pipe, self->client ? 0 : 1);
    int poll_ms = self->poll_ms =
        config->poll_interval_ms > 0 ? config->poll_interval_ms : WF_RELAY_POLL_INTERVAL_MS;
    bool running = self->client != NULL;
    while (running) {
        s_listening (self);
        zmq_pollitem_t items[3] = {
            {zsock_resolve (pipe), 0, ZMQ_POLLIN, 0},
            {zsock_resolve (wf_mdp_client_sock (self->client)), 0, ZMQ_POLLIN, 0},
            {NULL, self->listening ? PQsocket (self->listening) : -1, ZMQ_POLLIN, 0},
        };
        int count = self->listening ? 3 : 2;
        if (zmq_poll (items, count, s_round_wait_ms (self)) == -1 && zmq_errno () == ETERM)
            break;
        if (items[0].revents & ZMQ_POLLIN && !(running = s_pipe (self)))
            break; //  claim nothing more: it would sit leased until its lease ran out
        if (items[1].revents & ZMQ_POLLIN)
            s_replies (self);
        s_notifications (self, count == 3 && (items[2].revents & ZMQ_POLLIN));
        int64_t now = zclock_mono ();
        if (s_flush_due (self, now))
            s_flush_replies (self);
        if (s_claim_due (self, now) || now >= self->poll_at_ms || now >= self->sweep_at_ms) {
            self->wanted = false;
            self->claim_at_ms = now;
            s_claim (self);
            self->poll_at_ms = now + poll_ms;
        }
        s_expire (self);
    }
    //  What was answered is recorded, not delivered again.
    if (zsock_events (wf_mdp_client_sock (self->client)) & ZMQ_POLLIN)
        s_replies (self);
    if (self->touched_count)
        s_flush_replies (self);
    wf_mdp_client_destroy (&self->client);
    wf_pg_destroy (&self->pg);
    wf_metrics_destroy (&self->metrics);
    wf_buf_free (&self->scratch);
    free (self);
}
