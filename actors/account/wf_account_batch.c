/*  wf_account_batch - a shard transaction's rows, one statement per table.  */
#include "wf_account_batch.h"
#include <assert.h>
#include <libpq-events.h>
#include <czmq.h>

#define COLUMNS_MAX 10

//  A PostgreSQL array literal being built: "{a,b,...".
typedef struct {
    char *data;
    size_t size;
    size_t capacity;
} text_t;

typedef struct {
    const char *sql;
    int columns;
    text_t column[COLUMNS_MAX];
    size_t rows;
} table_t;

struct _wf_account_batch_t {
    PGconn *prepared_on; //  the connection our statements are prepared on
    bool open;
    table_t tables[WF_BATCH_TABLES];
    PGresult *idem;    //  the prefetched keys that exist
    text_t idem_asked; //  "user|key\n" for every key prefetched, found or not
    bool idem_prefetched;
    PGresult *inbox; //  the message ids the batch's inbox insert took (new ones)
    char inbox_consumer[32];
    bool *inbox_taken; //  per row of `inbox`: handed out already
    size_t inbox_taken_size;
    text_t inbox_asked; //  "\nid\n..." for every id inserted, new or not
    PGresult *peek;     //  id, currency, status of the accounts that exist
    text_t peek_asked;
};

//  One statement per table: every column arrives as one array.
static const char *s_table_sql[WF_BATCH_TABLES] = {
    [WF_BATCH_EVENTS] =
        "INSERT INTO events (stream_id, version, type, data, occurred_at) SELECT * FROM unnest "
        "($1::uuid[], $2::bigint[], $3::text[], $4::jsonb[], $5::timestamptz[])",
    //  The last state of each account wins; is_default only counts at the insert.
    [WF_BATCH_ACCOUNTS] =
        "INSERT INTO accounts (id, owner_id, number, currency, balance, status, version, "
        "is_default, created_at, updated_at) SELECT DISTINCT ON (i) i, o, n, c, b, s, v, "
        "bool_or (d) OVER (PARTITION BY i), ca, ua FROM unnest ($1::uuid[], $2::uuid[], "
        "$3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::bool[], "
        "$9::timestamptz[], $10::timestamptz[]) WITH ORDINALITY AS u (i, o, n, c, b, s, v, d, "
        "ca, ua, r) ORDER BY i, r DESC "
        "ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance, status = EXCLUDED.status, "
        "version = EXCLUDED.version, updated_at = EXCLUDED.updated_at",
    [WF_BATCH_TRANSACTIONS] =
        "INSERT INTO transactions (id, account_id, type, amount, currency, balance_after, "
        "counterparty_account_id, description, created_at) SELECT * FROM unnest ($1::uuid[], "
        "$2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::uuid[], $8::text[], "
        "$9::timestamptz[])",
    [WF_BATCH_TRANSFERS_BEGIN] =
        "INSERT INTO transfers (id, source_account_id, destination_account_id, amount, currency, "
        "status, created_at) SELECT i, s, d, a, c, 'InFlight', t FROM unnest ($1::uuid[], "
        "$2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::timestamptz[]) AS u (i, s, d, a, "
        "c, t)",
    [WF_BATCH_TRANSFERS_END] =
        "UPDATE transfers t SET status = u.s, completed_at = u.c FROM unnest ($1::uuid[], "
        "$2::text[], $3::timestamptz[]) AS u (i, s, c) WHERE t.id = ANY ($1::uuid[]) AND t.id = "
        "u.i AND t.status = 'InFlight'",
    [WF_BATCH_OUTBOX] =
        "INSERT INTO outbox (type, stream_id, route_key, payload, destinations, pending) SELECT "
        "t, s, r, p, d::text[], d::text[] FROM unnest ($1::text[], $2::uuid[], $3::uuid[], "
        "$4::jsonb[], $5::text[]) AS u (t, s, r, p, d)",
    [WF_BATCH_IDEMPOTENCY] =
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, reply_type, reply, expires_at) "
        "SELECT u, k, f, t, r, now () + i FROM unnest ($1::uuid[], $2::text[], $3::text[], "
        "$4::text[], $5::bytea[], $6::interval[]) AS x (u, k, f, t, r, i)",
};

static const int s_table_columns[WF_BATCH_TABLES] = {5, 10, 9, 6, 3, 5, 6};

static const char *s_read_sql[WF_BATCH_READS] = {
    [WF_BATCH_READ_VERSION] = "SELECT coalesce (max (version), 0) FROM events WHERE stream_id = $1",
    [WF_BATCH_READ_VERSIONS] =
        "SELECT s::text, (SELECT coalesce (max (version), 0) FROM events WHERE stream_id = s) "
        "FROM unnest ($1::uuid[]) AS s",
    [WF_BATCH_READ_SNAPSHOT] = "SELECT state::text FROM snapshots WHERE stream_id = $1",
    [WF_BATCH_READ_EVENTS] = "SELECT data::text FROM events WHERE stream_id = $1 AND version > $2 "
                             "ORDER BY version",
    [WF_BATCH_READ_PEEK] = "SELECT currency, status FROM accounts WHERE id = $1",
    [WF_BATCH_READ_INBOX] = "INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) "
                            "ON CONFLICT DO NOTHING",
    [WF_BATCH_READ_IDEMPOTENCY] = "SELECT fingerprint, reply_type, reply FROM idempotency_keys "
                                  "WHERE user_id = $1 AND key = $2",
    [WF_BATCH_READ_INBOX_MANY] =
        "INSERT INTO inbox (consumer, message_id) SELECT $1, m FROM unnest ($2::uuid[]) AS m "
        "ON CONFLICT DO NOTHING RETURNING message_id::text",
    [WF_BATCH_READ_PEEK_MANY] = "SELECT id::text, currency, status FROM accounts WHERE id = ANY "
                                "($1::uuid[])",
    [WF_BATCH_READ_SNAPSHOTS_MANY] = "SELECT stream_id::text, state::text FROM snapshots WHERE "
                                     "stream_id = ANY ($1::uuid[])",
    [WF_BATCH_READ_EVENTS_MANY] =
        "SELECT e.stream_id::text, e.data::text FROM unnest ($1::uuid[], $2::bigint[]) AS u (i, v) "
        "JOIN events e ON e.stream_id = u.i AND e.version > u.v ORDER BY e.stream_id, e.version",
    [WF_BATCH_READ_IDEMPOTENCY_MANY] =
        "SELECT i.user_id::text, i.key, i.fingerprint, i.reply_type, i.reply FROM "
        "idempotency_keys i JOIN unnest ($1::uuid[], $2::text[]) AS u (u, k) ON i.user_id = u.u "
        "AND i.key = u.k",
};

static const int s_read_params[WF_BATCH_READS] = {1, 1, 1, 2, 1, 2, 2, 2, 2, 1, 1, 2};

//  Makes room for `more` bytes.
static void
s_reserve (text_t *text, size_t more)
{
    if (text->size + more + 1 <= text->capacity)
        return;
    size_t capacity = text->capacity ? text->capacity : 1024;
    while (capacity < text->size + more + 1)
        capacity *= 2;
    text->data = (char *) realloc (text->data, capacity);
    assert (text->data); //  out of memory aborts
    text->capacity = capacity;
}

//  Appends bytes as they are.
static void
s_put (text_t *text, const char *bytes, size_t size)
{
    s_reserve (text, size);
    memcpy (text->data + text->size, bytes, size);
    text->size += size;
    text->data[text->size] = 0;
}

//  Appends one array element: NULL, quoted text (with \ and " escaped), or
//  bytes as a bytea hex literal.
static void
s_element (text_t *text, const char *value, int length, bool binary)
{
    s_put (text, text->size > 1 ? "," : "", text->size > 1);
    if (!value) {
        s_put (text, "NULL", 4);
        return;
    }
    if (binary) {
        static const char hex[] = "0123456789abcdef";
        s_reserve (text, 5 + 2 * (size_t) length);
        s_put (text, "\"\\\\x", 4);
        for (int i = 0; i < length; i++) {
            uint8_t byte = (uint8_t) value[i];
            text->data[text->size++] = hex[byte >> 4];
            text->data[text->size++] = hex[byte & 15];
        }
        s_put (text, "\"", 1);
        return;
    }
    size_t size = strlen (value);
    s_reserve (text, 2 * size + 2);
    text->data[text->size++] = '"';
    for (size_t i = 0; i < size; i++) {
        if (value[i] == '"' || value[i] == '\\')
            text->data[text->size++] = '\\';
        text->data[text->size++] = value[i];
    }
    text->data[text->size++] = '"';
    text->data[text->size] = 0;
}

//  Empties a table (its literals start again with "{").
static void
s_table_reset (table_t *table)
{
    for (int c = 0; c < table->columns; c++) {
        table->column[c].size = 0;
        s_put (&table->column[c], "{", 1);
    }
    table->rows = 0;
}

wf_account_batch_t *
wf_account_batch_new (void)
{
    wf_account_batch_t *self = (wf_account_batch_t *) zmalloc (sizeof (wf_account_batch_t));
    for (int t = 0; t < WF_BATCH_TABLES; t++) {
        self->tables[t].sql = s_table_sql[t];
        self->tables[t].columns = s_table_columns[t];
        assert (self->tables[t].columns <= COLUMNS_MAX);
        s_table_reset (&self->tables[t]);
    }
    return self;
}

void
wf_account_batch_destroy (wf_account_batch_t **self_p)
{
    wf_account_batch_t *self = *self_p;
    if (!self)
        return;
    for (int t = 0; t < WF_BATCH_TABLES; t++)
        for (int c = 0; c < COLUMNS_MAX; c++)
            free (self->tables[t].column[c].data);
    PQclear (self->idem);
    free (self->idem_asked.data);
    PQclear (self->inbox);
    free (self->inbox_taken);
    free (self->inbox_asked.data);
    PQclear (self->peek);
    free (self->peek_asked.data);
    free (self);
    *self_p = NULL;
}

//  libpq event procedure: our statements die with their connection.
static int
s_event (PGEventId id, void *info, void *pass_through)
{
    (void) pass_through;
    PGconn *conn = NULL;
    if (id == PGEVT_CONNDESTROY)
        conn = ((PGEventConnDestroy *) info)->conn;
    else if (id == PGEVT_CONNRESET)
        conn = ((PGEventConnReset *) info)->conn;
    if (conn) {
        wf_account_batch_t *self = (wf_account_batch_t *) PQinstanceData (conn, s_event);
        if (self && self->prepared_on == conn)
            self->prepared_on = NULL;
    }
    return 1;
}

//  Prepares one statement; 0 or -1.
static int
s_prepare (PGconn *conn, const char *name, const char *sql, int params)
{
    PGresult *res = PQprepare (conn, name, sql, params, NULL);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear (res);
    return rc;
}

//  Attaches self to conn and prepares every statement there, once per connection.
static int
s_attach (wf_account_batch_t *self, PGconn *conn)
{
    if (self->prepared_on == conn && PQinstanceData (conn, s_event) == self)
        return 0;
    PQregisterEventProc (conn, s_event, "wf_account_batch", NULL); //  false when already there
    if (!PQsetInstanceData (conn, s_event, self))
        return -1;
    //  Statements are not transactional: an attach that failed halfway left some prepared, and
    //  preparing them again would fail with "already exists" at every retry.
    PGresult *res = PQexec (conn, "DEALLOCATE ALL");
    bool cleared = PQresultStatus (res) == PGRES_COMMAND_OK;
    PQclear (res);
    if (!cleared)
        return -1;
    char name[16];
    for (int t = 0; t < WF_BATCH_TABLES; t++) {
        snprintf (name, sizeof name, "wf_batch_%d", t);
        if (s_prepare (conn, name, s_table_sql[t], s_table_columns[t]) != 0)
            return -1;
    }
    for (int r = 0; r < WF_BATCH_READS; r++) {
        snprintf (name, sizeof name, "wf_read_%d", r);
        if (s_prepare (conn, name, s_read_sql[r], s_read_params[r]) != 0)
            return -1;
    }
    self->prepared_on = conn;
    return 0;
}

//  Forgets what the last batch prefetched.
static void
s_idem_reset (wf_account_batch_t *self)
{
    PQclear (self->idem);
    self->idem = NULL;
    self->idem_asked.size = 0;
    s_put (&self->idem_asked, "\n", 1);
    self->idem_prefetched = false;
    PQclear (self->inbox);
    self->inbox = NULL;
    self->inbox_asked.size = 0;
    PQclear (self->peek);
    self->peek = NULL;
    self->peek_asked.size = 0;
}

int
wf_account_batch_begin (wf_account_batch_t *self, PGconn *conn)
{
    if (s_attach (self, conn) != 0)
        return -1;
    for (int t = 0; t < WF_BATCH_TABLES; t++)
        s_table_reset (&self->tables[t]);
    s_idem_reset (self);
    self->open = true;
    return 0;
}

wf_account_batch_t *
wf_account_batch_of (PGconn *conn)
{
    wf_account_batch_t *self = (wf_account_batch_t *) PQinstanceData (conn, s_event);
    return self && self->open && self->prepared_on == conn ? self : NULL;
}

void
wf_account_batch_add (wf_account_batch_t *self, wf_batch_table_t table, const char *const *values,
                      const int *lengths, const bool *binary)
{
    assert (self->open && table < WF_BATCH_TABLES);
    table_t *t = &self->tables[table];
    for (int c = 0; c < t->columns; c++)
        s_element (&t->column[c], values[c], lengths ? lengths[c] : 0, binary && binary[c]);
    t->rows++;
}

//  Writes one table's rows with its one statement.
static int
s_flush_table (PGconn *conn, table_t *table, int index)
{
    const char *params[COLUMNS_MAX];
    for (int c = 0; c < table->columns; c++) {
        s_put (&table->column[c], "}", 1);
        params[c] = table->column[c].data;
    }
    char name[16];
    snprintf (name, sizeof name, "wf_batch_%d", index);
    PGresult *res = PQexecPrepared (conn, name, table->columns, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    //  Exactly one saga step may close a transfer: each named row must have been InFlight.
    if (rc == 0 && index == WF_BATCH_TRANSFERS_END &&
        (size_t) atoll (PQcmdTuples (res)) != table->rows)
        rc = -1;
    PQclear (res);
    s_table_reset (table);
    return rc;
}

int
wf_account_batch_flush (PGconn *conn)
{
    wf_account_batch_t *self = wf_account_batch_of (conn);
    if (!self)
        return 0;
    int rc = 0;
    //  What was prefetched before these rows were written may not hold after them.
    if (self->tables[WF_BATCH_ACCOUNTS].rows) {
        PQclear (self->peek);
        self->peek = NULL;
    }
    if (self->tables[WF_BATCH_IDEMPOTENCY].rows)
        self->idem_prefetched = false;
    for (int t = 0; t < WF_BATCH_TABLES; t++)
        if (self->tables[t].rows && rc == 0)
            rc = s_flush_table (conn, &self->tables[t], t);
    for (int t = 0; t < WF_BATCH_TABLES; t++)
        s_table_reset (&self->tables[t]);
    return rc;
}

void
wf_account_batch_forget (wf_account_batch_t *self)
{
    self->prepared_on = NULL;
}

void
wf_account_batch_end (PGconn *conn)
{
    wf_account_batch_t *self = (wf_account_batch_t *) PQinstanceData (conn, s_event);
    if (!self)
        return;
    for (int t = 0; t < WF_BATCH_TABLES; t++)
        s_table_reset (&self->tables[t]);
    s_idem_reset (self);
    self->open = false;
}

int
wf_account_batch_sync (PGconn *conn, wf_batch_table_t table, int column, const char *value)
{
    wf_account_batch_t *self = wf_account_batch_of (conn);
    if (!self || !self->tables[table].rows)
        return 0;
    //  A match in the literal may be a false positive (a value inside another): that only
    //  costs an early flush.
    if (!strstr (self->tables[table].column[column].data, value))
        return 0;
    return wf_account_batch_flush (conn);
}

PGresult *
wf_account_batch_read (PGconn *conn, wf_batch_read_t read, int count, const char *const *values,
                       const int *lengths, const int *formats, int result_format)
{
    assert (read < WF_BATCH_READS && count == s_read_params[read]);
    wf_account_batch_t *self = (wf_account_batch_t *) PQinstanceData (conn, s_event);
    if (!self || self->prepared_on != conn)
        return PQexecParams (conn, s_read_sql[read], count, NULL, values, lengths, formats,
                             result_format);
    char name[16];
    snprintf (name, sizeof name, "wf_read_%d", read);
    return PQexecPrepared (conn, name, count, values, lengths, formats, result_format);
}

//  Appends "user|key\n" to a list of asked keys.
static void
s_asked (text_t *text, const char *user, const char *key)
{
    s_put (text, user, strlen (user));
    s_put (text, "|", 1);
    s_put (text, key, strlen (key));
    s_put (text, "\n", 1);
}

int
wf_account_batch_idem_prefetch (PGconn *conn, const char *const *users, const char *const *keys,
                                size_t count)
{
    wf_account_batch_t *self = wf_account_batch_of (conn);
    if (!self || count == 0 || count > WF_BATCH_IDEM_PREFETCH_MAX)
        return 0; //  the keys are then looked up one by one
    for (size_t i = 0; i < count; i++)
        if (strchr (keys[i], '\n'))
            return 0; //  the asked list could not tell them apart
    text_t u = {0}, k = {0};
    s_put (&u, "{", 1);
    s_put (&k, "{", 1);
    for (size_t i = 0; i < count; i++) {
        s_element (&u, users[i], 0, false);
        s_element (&k, keys[i], 0, false);
    }
    s_put (&u, "}", 1);
    s_put (&k, "}", 1);
    const char *params[] = {u.data, k.data};
    PGresult *res =
        wf_account_batch_read (conn, WF_BATCH_READ_IDEMPOTENCY_MANY, 2, params, NULL, NULL, 1);
    free (u.data);
    free (k.data);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return -1;
    }
    s_idem_reset (self);
    self->idem = res;
    for (size_t i = 0; i < count; i++)
        s_asked (&self->idem_asked, users[i], keys[i]);
    self->idem_prefetched = true;
    return 0;
}

int
wf_account_batch_idem_lookup (PGconn *conn, const char *user, const char *key,
                              const char **fingerprint, const char **reply_type,
                              const uint8_t **reply, size_t *reply_size)
{
    wf_account_batch_t *self = wf_account_batch_of (conn);
    if (!self || !self->idem_prefetched || strchr (key, '\n'))
        return -1;
    //  Binary results: text columns are their bytes (NUL-terminated by libpq).
    for (int i = 0; i < PQntuples (self->idem); i++)
        if (streq (PQgetvalue (self->idem, i, 0), user) &&
            streq (PQgetvalue (self->idem, i, 1), key)) {
            *fingerprint = PQgetvalue (self->idem, i, 2);
            *reply_type = PQgetvalue (self->idem, i, 3);
            *reply = (const uint8_t *) PQgetvalue (self->idem, i, 4);
            *reply_size = (size_t) PQgetlength (self->idem, i, 4);
            return 1;
        }
    text_t asked = {0};
    s_asked (&asked, user, key);
    //  The list starts with "\n", so "\nuser|key\n" matches whole entries only.
    s_reserve (&asked, 1);
    memmove (asked.data + 1, asked.data, asked.size + 1);
    asked.data[0] = '\n';
    bool was_asked = strstr (self->idem_asked.data, asked.data) != NULL;
    free (asked.data);
    return was_asked ? 0 : -1;
}

//  "\n" + value + "\n": a whole entry of an asked list.
static bool
s_was_asked (const text_t *asked, const char *value)
{
    if (!asked->size)
        return false;
    char entry[64];
    int length = snprintf (entry, sizeof entry, "\n%s\n", value);
    return length > 0 && (size_t) length < sizeof entry && strstr (asked->data, entry);
}

//  Builds "{a,b}" and the asked list "\na\nb\n" from uuids.
static void
s_uuid_list (const char *const *ids, size_t count, text_t *literal, text_t *asked)
{
    literal->size = 0;
    asked->size = 0;
    s_put (literal, "{", 1);
    s_put (asked, "\n", 1);
    for (size_t i = 0; i < count; i++) {
        s_element (literal, ids[i], 0, false);
        s_put (asked, ids[i], strlen (ids[i]));
        s_put (asked, "\n", 1);
    }
    s_put (literal, "}", 1);
}

int
wf_account_batch_inbox_prefetch (PGconn *conn, const char *consumer, const char *const *message_ids,
                                 size_t count)
{
    wf_account_batch_t *self = wf_account_batch_of (conn);
    if (!self || count == 0 || strlen (consumer) >= sizeof self->inbox_consumer)
        return 0;
    text_t literal = {0};
    s_uuid_list (message_ids, count, &literal, &self->inbox_asked);
    const char *params[] = {consumer, literal.data};
    PGresult *res =
        wf_account_batch_read (conn, WF_BATCH_READ_INBOX_MANY, 2, params, NULL, NULL, 0);
    free (literal.data);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        self->inbox_asked.size = 0;
        return -1;
    }
    PQclear (self->inbox);
    self->inbox = res;
    snprintf (self->inbox_consumer, sizeof self->inbox_consumer, "%s", consumer);
    size_t rows = (size_t) PQntuples (res);
    if (rows > self->inbox_taken_size) {
        self->inbox_taken = (bool *) realloc (self->inbox_taken, rows * sizeof (bool));
        assert (self->inbox_taken);
        self->inbox_taken_size = rows;
    }
    if (rows)
        memset (self->inbox_taken, 0, rows * sizeof (bool));
    return 0;
}

int
wf_account_batch_inbox_lookup (PGconn *conn, const char *consumer, const char *message_id)
{
    wf_account_batch_t *self = wf_account_batch_of (conn);
    if (!self || !self->inbox || !streq (consumer, self->inbox_consumer) ||
        !s_was_asked (&self->inbox_asked, message_id))
        return -1;
    for (int i = 0; i < PQntuples (self->inbox); i++)
        if (!self->inbox_taken[i] && streq (PQgetvalue (self->inbox, i, 0), message_id)) {
            self->inbox_taken[i] = true; //  a second delivery of it in this batch is a repeat
            return 1;
        }
    return 0;
}

int
wf_account_batch_peek_prefetch (PGconn *conn, const char *const *account_ids, size_t count)
{
    wf_account_batch_t *self = wf_account_batch_of (conn);
    if (!self || count == 0)
        return 0;
    text_t literal = {0};
    s_uuid_list (account_ids, count, &literal, &self->peek_asked);
    const char *params[] = {literal.data};
    PGresult *res = wf_account_batch_read (conn, WF_BATCH_READ_PEEK_MANY, 1, params, NULL, NULL, 0);
    free (literal.data);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        self->peek_asked.size = 0;
        return -1;
    }
    PQclear (self->peek);
    self->peek = res;
    return 0;
}

int
wf_account_batch_peek_lookup (PGconn *conn, const char *account_id, char currency[4],
                              char status[16])
{
    wf_account_batch_t *self = wf_account_batch_of (conn);
    if (!self || !self->peek || !s_was_asked (&self->peek_asked, account_id))
        return -1;
    for (int i = 0; i < PQntuples (self->peek); i++)
        if (streq (PQgetvalue (self->peek, i, 0), account_id)) {
            snprintf (currency, 4, "%s", PQgetvalue (self->peek, i, 1));
            snprintf (status, 16, "%s", PQgetvalue (self->peek, i, 2));
            return 1;
        }
    return 0;
}
