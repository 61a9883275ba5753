/*  wf_benchdata - data for two bench steps that HTTP cannot set up quickly.

    snapshot  Shows that loading an account costs the same whatever its
              history: it writes a stream of N events (default 1,000,000)
              plus a snapshot at N-10, and a stream of 10 events without
              one, then times the shard's own loader (wf_account_store_load)
              on both, interleaved, and prints the medians. It also times
              one load of the long stream before its snapshot existed (a
              full replay), to show what the snapshot saves.
    accounts  Opens N accounts for one owner straight in the event store
              (an AccountOpened event and its read-model row each, as a
              shard writes them), and prints their ids, one a line: the
              RSS step then touches each with a deposit over HTTP.

    Usage:
      wf_benchdata snapshot PG_URL [EVENTS [LOADS]]
      wf_benchdata accounts PG_URL OWNER_ID COUNT > ids.txt

    It writes into the database it is given: run `snapshot` against a
    database of its own (bench/run.sh creates one), since its streams have
    no read-model rows and the audit would rightly object to them.
*/
#include "wf_account_aggregate.h"
#include "wf_account_codec.h"
#include "wf_account_number.h"
#include "wf_account_store.h"
#include "wf_uuid.h"
#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>

#define TAIL_EVENTS       10      //  events after the snapshot (and the short stream's length)
#define EVENTS_DEFAULT    1000000 //  the long stream
#define LOADS_DEFAULT     200     //  timed loads of each stream
#define ACCOUNTS_CHUNK    1000    //  accounts per INSERT
#define ACCOUNTS_MAX      1000000
#define STREAM_EVENTS_MAX 100000000
#define OPEN_CURRENCY     "USD"

//  Runs a statement; exits on failure (this is a setup tool).
static PGresult *
s_exec (PGconn *conn, const char *sql, int count, const char *const *params)
{
    PGresult *res = PQexecParams (conn, sql, count, NULL, params, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus (res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fprintf (stderr, "wf_benchdata: %s\n", PQerrorMessage (conn));
        exit (1);
    }
    return res;
}

//  An event's JSON text (malloc'd).
static char *
s_event_text (const wf_account_event_t *event)
{
    json_t *json = wf_account_event_to_json (event);
    char *text = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (json);
    return text;
}

//  An AccountOpened event for a new account id.
static void
s_opened (wf_account_event_t *event, const char *id, const char *owner, int64_t now_ms)
{
    memset (event, 0, sizeof *event);
    event->type = WF_ACCOUNT_EVENT_OPENED;
    event->occurred_at_ms = now_ms;
    snprintf (event->account_id, sizeof event->account_id, "%s", id);
    snprintf (event->owner_id, sizeof event->owner_id, "%s", owner);
    wf_account_number_make (now_ms, randombytes_random (), event->account_number);
    snprintf (event->currency, sizeof event->currency, "%s", OPEN_CURRENCY);
}

//  Appends versions [from, to] of one deposit of 0.01 each to a stream, in one statement.
static void
s_deposits (PGconn *conn, const char *stream, int64_t from, int64_t to)
{
    wf_account_event_t event = {.type = WF_ACCOUNT_EVENT_DEPOSITED, .amount = 1};
    event.occurred_at_ms = zclock_time ();
    wf_uuid_v4 (event.transaction_id);
    char *data = s_event_text (&event);
    char first[24], last[24];
    snprintf (first, sizeof first, "%" PRId64, from);
    snprintf (last, sizeof last, "%" PRId64, to);
    const char *params[] = {stream, data, first, last};
    PQclear (s_exec (conn,
                     "INSERT INTO events (stream_id, version, type, data, occurred_at) SELECT $1, "
                     "v, 'MoneyDeposited', $2, now () FROM generate_series ($3::bigint, "
                     "$4::bigint) AS v",
                     4, params));
    free (data);
}

//  Writes a stream: AccountOpened, then deposits up to `events`.
static void
s_stream (PGconn *conn, char *id, int64_t events)
{
    char owner[WF_UUID_BYTES];
    wf_uuid_v4 (id);
    wf_uuid_v4 (owner);
    wf_account_event_t opened;
    s_opened (&opened, id, owner, zclock_time ());
    char *data = s_event_text (&opened);
    const char *params[] = {id, data};
    PQclear (s_exec (conn,
                     "INSERT INTO events (stream_id, version, type, data, occurred_at) "
                     "VALUES ($1, 1, 'AccountOpened', $2, now ())",
                     2, params));
    free (data);
    if (events > 1)
        s_deposits (conn, id, 2, events);
}

//  Microseconds one load of a stream takes; checks the version it reached.
static int64_t
s_load_us (PGconn *conn, const char *id, int64_t version)
{
    wf_account_t *account = wf_account_new ();
    int64_t start = zclock_usecs ();
    int rc = wf_account_store_load (conn, id, account);
    int64_t elapsed = zclock_usecs () - start;
    if (rc != 1 || wf_account_state (account)->version != version) {
        fprintf (stderr, "wf_benchdata: stream %s loaded to version %" PRId64 ", not %" PRId64 "\n",
                 id, wf_account_state (account)->version, version);
        exit (1);
    }
    wf_account_destroy (&account);
    return elapsed;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  The value at percentile p of sorted values.
static int64_t
s_percentile (const int64_t *sorted, int count, double p)
{
    int rank = (int) (p / 100.0 * count + 0.999999);
    return sorted[rank < 1 ? 0 : rank - 1];
}

static int
s_snapshot (PGconn *conn, int64_t events, int loads)
{
    char big[WF_UUID_BYTES], small[WF_UUID_BYTES];
    int64_t start = zclock_mono ();
    s_stream (conn, big, events - TAIL_EVENTS);
    int64_t write_ms = zclock_mono () - start;
    //  Before its snapshot, the long stream replays every event.
    int64_t replay_us = s_load_us (conn, big, events - TAIL_EVENTS);
    //  The snapshot the shard would have written at that version, then the tail after it.
    wf_account_t *account = wf_account_new ();
    if (wf_account_store_load (conn, big, account) != 1)
        return 1;
    json_t *json = wf_account_snapshot_to_json (account);
    char *state = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (json);
    char version[24];
    snprintf (version, sizeof version, "%" PRId64, wf_account_state (account)->version);
    const char *params[] = {big, version, state};
    PQclear (s_exec (conn, "INSERT INTO snapshots (stream_id, version, state) VALUES ($1, $2, $3)",
                     3, params));
    free (state);
    wf_account_destroy (&account);
    s_deposits (conn, big, events - TAIL_EVENTS + 1, events);
    s_stream (conn, small, TAIL_EVENTS);
    PQclear (s_exec (conn, "ANALYZE events", 0, NULL));
    PQclear (s_exec (conn, "ANALYZE snapshots", 0, NULL));
    int64_t *big_us = (int64_t *) calloc ((size_t) loads, sizeof (int64_t));
    int64_t *small_us = (int64_t *) calloc ((size_t) loads, sizeof (int64_t));
    for (int i = 0; i < loads; i++) { //  interleaved, so both see the same machine
        big_us[i] = s_load_us (conn, big, events);
        small_us[i] = s_load_us (conn, small, TAIL_EVENTS);
    }
    qsort (big_us, (size_t) loads, sizeof (int64_t), s_compare);
    qsort (small_us, (size_t) loads, sizeof (int64_t), s_compare);
    printf ("snapshot_load events_long=%" PRId64 " events_short=%d loads=%d long_p50_us=%" PRId64
            " long_p99_us=%" PRId64 " short_p50_us=%" PRId64 " short_p99_us=%" PRId64
            " ratio_p50=%.2f replay_without_snapshot_ms=%.1f write_s=%.1f\n",
            events, TAIL_EVENTS, loads, s_percentile (big_us, loads, 50),
            s_percentile (big_us, loads, 99), s_percentile (small_us, loads, 50),
            s_percentile (small_us, loads, 99),
            (double) s_percentile (big_us, loads, 50) / (double) s_percentile (small_us, loads, 50),
            (double) replay_us / 1000.0, (double) write_ms / 1000.0);
    free (big_us);
    free (small_us);
    return 0;
}

//  Appends one element to an array literal (values here need no quoting: uuids, numbers).
static void
s_element (zchunk_t *literal, const char *value)
{
    if (zchunk_size (literal) > 1)
        zchunk_extend (literal, ",", 1);
    zchunk_extend (literal, value, strlen (value));
}

//  Appends one quoted element (JSON text: quotes and backslashes escaped).
static void
s_quoted (zchunk_t *literal, const char *value)
{
    if (zchunk_size (literal) > 1)
        zchunk_extend (literal, ",", 1);
    zchunk_extend (literal, "\"", 1);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            zchunk_extend (literal, "\\", 1);
        zchunk_extend (literal, p, 1);
    }
    zchunk_extend (literal, "\"", 1);
}

//  Writes one chunk of opened accounts (events and read-model rows) in one transaction.
static void
s_accounts_chunk (PGconn *conn, const char *owner, int count, zhashx_t *numbers)
{
    zchunk_t *ids = zchunk_new ("{", 1), *data = zchunk_new ("{", 1), *nums = zchunk_new ("{", 1);
    int64_t now_ms = zclock_time ();
    for (int i = 0; i < count; i++) {
        char id[WF_UUID_BYTES];
        wf_uuid_v4 (id);
        wf_account_event_t opened;
        do //  numbers are unique in the database: draw again on a repeat
            s_opened (&opened, id, owner, now_ms);
        while (zhashx_lookup (numbers, opened.account_number));
        zhashx_insert (numbers, opened.account_number, (void *) 1);
        char *text = s_event_text (&opened);
        s_element (ids, id);
        s_quoted (data, text);
        s_element (nums, opened.account_number);
        free (text);
        printf ("%s\n", id);
    }
    zchunk_extend (ids, "}", 2); //  with the terminator
    zchunk_extend (data, "}", 2);
    zchunk_extend (nums, "}", 2);
    const char *params[] = {(char *) zchunk_data (ids), (char *) zchunk_data (data),
                            (char *) zchunk_data (nums), owner, OPEN_CURRENCY};
    PQclear (s_exec (conn,
                     "WITH e AS (INSERT INTO events (stream_id, version, type, data, occurred_at) "
                     "SELECT i, 1, 'AccountOpened', d, now () FROM unnest ($1::uuid[], "
                     "$2::jsonb[]) AS u (i, d)) "
                     "INSERT INTO accounts (id, owner_id, number, currency, balance, status, "
                     "version, is_default, created_at, updated_at) SELECT i, $4, n, $5, 0, "
                     "'Active', 1, false, now (), now () FROM unnest ($1::uuid[], $3::text[]) "
                     "AS u (i, n)",
                     5, params));
    zchunk_destroy (&ids);
    zchunk_destroy (&data);
    zchunk_destroy (&nums);
}

static int
s_accounts (PGconn *conn, const char *owner, long count)
{
    if (!wf_account_uuid_valid (wf_str_c (owner)))
        return 1;
    zhashx_t *numbers = zhashx_new ();
    for (long done = 0; done < count; done += ACCOUNTS_CHUNK)
        s_accounts_chunk (conn, owner,
                          (int) (count - done < ACCOUNTS_CHUNK ? count - done : ACCOUNTS_CHUNK),
                          numbers);
    zhashx_destroy (&numbers);
    return 0;
}

int
main (int argc, char *argv[])
{
    if (sodium_init () < 0 || argc < 3) {
        fprintf (stderr, "usage: wf_benchdata snapshot PG_URL [EVENTS [LOADS]]\n"
                         "       wf_benchdata accounts PG_URL OWNER_ID COUNT\n");
        return 2;
    }
    PGconn *conn = PQconnectdb (argv[2]);
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "wf_benchdata: %s\n", PQerrorMessage (conn));
        return 1;
    }
    int rc = 2;
    if (streq (argv[1], "snapshot")) {
        long events = argc > 3 ? atol (argv[3]) : EVENTS_DEFAULT;
        int loads = argc > 4 ? atoi (argv[4]) : LOADS_DEFAULT;
        if (events > 2 * TAIL_EVENTS && events <= STREAM_EVENTS_MAX && loads > 0)
            rc = s_snapshot (conn, events, loads);
    } else if (streq (argv[1], "accounts") && argc == 5) {
        long count = atol (argv[4]);
        if (count > 0 && count <= ACCOUNTS_MAX)
            rc = s_accounts (conn, argv[3], count);
    }
    if (rc == 2)
        fprintf (stderr, "wf_benchdata: bad arguments\n");
    PQfinish (conn);
    return rc;
}
