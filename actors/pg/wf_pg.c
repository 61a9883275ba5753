/*  wf_pg - one PostgreSQL connection owned by one actor.  */
#include "wf_pg.h"
#include <czmq.h>
#include <poll.h>

struct _wf_pg_t {
    char *url;
    char *owner;
    PGconn *conn;
    int64_t retry_at_ms; //  mono: no attempt before this
    int backoff_ms;
    bool was_up;
    uint64_t generation; //  bumped when conn is opened or dropped
};

wf_pg_t *
wf_pg_new (const char *url, const char *owner)
{
    wf_pg_t *self = (wf_pg_t *) zmalloc (sizeof (wf_pg_t));
    self->url = strdup (url);
    self->owner = strdup (owner);
    self->was_up = true;
    return self;
}

void
wf_pg_destroy (wf_pg_t **self_p)
{
    wf_pg_t *self = *self_p;
    if (!self)
        return;
    if (self->conn)
        PQfinish (self->conn);
    free (self->url);
    free (self->owner);
    free (self);
    *self_p = NULL;
}

PGconn *
wf_pg_connect_url (const char *url)
{
    return wf_pg_connect_named (url, NULL);
}

PGconn *
wf_pg_connect_named (const char *url, const char *name)
{
    char timeout[16], options[128], application[64];
    //  pg_stat_activity then says which actor a backend serves (bench/run.sh's CPU by role).
    snprintf (application, sizeof application, "walletflow%s%s", name ? "/" : "", name ? name : "");
    snprintf (timeout, sizeof timeout, "%d", WF_PG_CONNECT_TIMEOUT_S);
    snprintf (options, sizeof options,
              "-c statement_timeout=%d -c idle_in_transaction_session_timeout=%d",
              WF_PG_STATEMENT_TIMEOUT_MS, WF_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS);
    //  Later keywords override what the URL says (expand_dbname).
    const char *keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
    const char *values[] = {url, timeout, options, application, NULL};
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (PQstatus (conn) != CONNECTION_OK) {
        PQfinish (conn);
        return NULL;
    }
    return conn;
}

//  True unless the server closed an idle connection. libpq learns of that only
//  when it next reads: after PostgreSQL restarts, every connection that sat
//  idle through the outage would otherwise fail the first request it serves.
//  The server's farewell (a FATAL notice) and the end of file can arrive as two
//  reads, hence the short loop; a healthy idle connection costs one poll ().
static bool
s_alive (PGconn *conn)
{
    if (PQtransactionStatus (conn) != PQTRANS_IDLE)
        return PQstatus (conn) == CONNECTION_OK;
    for (int read = 0; read < WF_PG_PROBE_READS_MAX; read++) {
        struct pollfd waiting = {.fd = PQsocket (conn), .events = POLLIN};
        if (poll (&waiting, 1, 0) != 1 || !PQconsumeInput (conn))
            break;
    }
    return PQstatus (conn) == CONNECTION_OK;
}

PGconn *
wf_pg_conn (wf_pg_t *self)
{
    if (self->conn && s_alive (self->conn))
        return self->conn;
    if (self->conn) {
        PQfinish (self->conn);
        self->conn = NULL;
        self->generation++;
    }
    int64_t now = zclock_mono ();
    if (now < self->retry_at_ms)
        return NULL;
    self->conn = wf_pg_connect_named (self->url, self->owner);
    if (self->conn) {
        self->generation++;
        if (!self->was_up)
            zsys_info ("%s: postgres connection restored", self->owner);
        self->was_up = true;
        self->backoff_ms = 0;
        return self->conn;
    }
    if (self->was_up)
        zsys_warning ("%s: postgres unreachable, retrying with backoff", self->owner);
    self->was_up = false;
    self->backoff_ms = self->backoff_ms ? self->backoff_ms * 2 : 50;
    if (self->backoff_ms > WF_PG_BACKOFF_MS_MAX)
        self->backoff_ms = WF_PG_BACKOFF_MS_MAX;
    self->retry_at_ms = now + self->backoff_ms;
    return NULL;
}

void
wf_pg_failed (wf_pg_t *self)
{
    if (self->conn && PQstatus (self->conn) != CONNECTION_OK) {
        PQfinish (self->conn);
        self->conn = NULL;
        self->generation++;
    }
}

uint64_t
wf_pg_generation (const wf_pg_t *self)
{
    return self->generation;
}
