/*  wf_health_probe_pg - the PostgreSQL probe and the AMQP backlog query.

    libpq is driven through PQconnectPoll and non-blocking queries with poll(2), so every step
    gets what is left of the run's deadline (libpq's own connect_timeout has a 2 s floor, too
    coarse to rely on). The connection is the probe's, kept between runs.
*/
#include "wf_health_probe_internal.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BACKLOG_SQL_BYTES 512 //  the backlog query's text

//  Waits until fd is readable (or writable), or the deadline: 1 ready, 0 timeout, -1 error.
static int
s_wait_fd (int fd, bool for_write, int64_t deadline_us)
{
    struct pollfd item = {fd, for_write ? POLLOUT : POLLIN, 0};
    while (true) {
        int left_ms = wf_health_left_ms (deadline_us);
        if (left_ms == 0)
            return 0;
        int rc = poll (&item, 1, left_ms);
        if (rc >= 0 || errno != EINTR)
            return rc > 0 ? 1 : rc;
    }
}

//  Opens the PostgreSQL connection, driving PQconnectPoll until the deadline.
static int
s_pg_connect (wf_health_probe_t *self, int64_t deadline_us, char *error)
{
    //  connect_timeout is libpq's own backstop; it has a 2 s floor, so the deadline here rules.
    const char *keywords[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *values[] = {self->target, "1", "wf-health", NULL};
    self->pg = PQconnectStartParams (keywords, values, 1);
    assert (self->pg);
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (PQstatus (self->pg) != CONNECTION_BAD && status != PGRES_POLLING_OK &&
           status != PGRES_POLLING_FAILED) {
        int ready = s_wait_fd (PQsocket (self->pg), status == PGRES_POLLING_WRITING, deadline_us);
        if (ready <= 0) {
            wf_health_describe (error, "connect: %s", ready == 0 ? "timed out" : strerror (errno));
            return -1;
        }
        status = PQconnectPoll (self->pg);
    }
    if (PQstatus (self->pg) != CONNECTION_OK) {
        wf_health_describe (error, "connect: %s", PQerrorMessage (self->pg));
        return -1;
    }
    PQsetnonblocking (self->pg, 1);
    return 0;
}

//  Sends one query and reads its results without blocking past the deadline. Returns its
//  PGRES_TUPLES_OK result (the caller clears it), or NULL with error set; *lost says whether the
//  connection is in doubt (an I/O failure or a timeout) rather than refused by the server.
static PGresult *
s_pg_query (wf_health_probe_t *self, const char *sql, int64_t deadline_us, char *error, bool *lost)
{
    PGconn *pg = self->pg;
    *lost = true;
    if (!PQsendQuery (pg, sql)) {
        wf_health_describe (error, "query: %s", PQerrorMessage (pg));
        return NULL;
    }
    int flushed;
    while ((flushed = PQflush (pg)) == 1)
        if (s_wait_fd (PQsocket (pg), true, deadline_us) <= 0)
            break;
    if (flushed != 0) {
        wf_health_describe (error, "query: %s",
                            flushed < 0 ? PQerrorMessage (pg) : "send timed out");
        return NULL;
    }
    PGresult *kept = NULL;
    bool refused = false;
    while (true) {
        while (PQisBusy (pg)) {
            int ready = s_wait_fd (PQsocket (pg), false, deadline_us);
            if (ready <= 0 || !PQconsumeInput (pg)) {
                wf_health_describe (error, "query: %s",
                                    ready == 0 ? "timed out" : PQerrorMessage (pg));
                PQclear (kept);
                return NULL;
            }
        }
        PGresult *result = PQgetResult (pg);
        if (!result)
            break;
        if (!kept && !refused && PQresultStatus (result) == PGRES_TUPLES_OK) {
            kept = result;
            continue;
        }
        if (!kept && !refused)
            wf_health_describe (error, "query: %s", PQresultErrorMessage (result));
        refused = true;
        PQclear (result);
    }
    *lost = false;
    if (refused) {
        PQclear (kept);
        return NULL;
    }
    return kept;
}

//  Sends SELECT 1 and reads its result without blocking past the deadline.
static int
s_pg_select (wf_health_probe_t *self, int64_t deadline_us, char *error)
{
    bool lost;
    PGresult *result = s_pg_query (self, "SELECT 1", deadline_us, error, &lost);
    bool ok = result && PQntuples (result) == 1 && strcmp (PQgetvalue (result, 0, 0), "1") == 0;
    if (result && !ok)
        wf_health_describe (error, "query: unexpected answer to SELECT 1");
    PQclear (result);
    return ok ? 0 : -1;
}

//  Probes PostgreSQL: connect when needed, then SELECT 1.
int
wf_health_pg_probe (wf_health_probe_t *self, int64_t deadline_us, char *error)
{
    if (self->pg && PQstatus (self->pg) != CONNECTION_OK) {
        PQfinish (self->pg);
        self->pg = NULL;
    }
    int rc = self->pg ? 0 : s_pg_connect (self, deadline_us, error);
    if (rc == 0)
        rc = s_pg_select (self, deadline_us, error);
    if (rc != 0 && self->pg) {
        PQfinish (self->pg);
        self->pg = NULL;
    }
    return rc;
}

//  The AMQP backlog: one query, which the partial index outbox_pending_amqp (schema 0004)
//  answers from the pending rows alone: the count stops at WF_HEALTH_BACKLOG_ROWS_MAX, so a
//  huge backlog costs a bounded scan, and the oldest row is the first index entry.
int
wf_health_probe_backlog (wf_health_probe_t *self, wf_health_backlog_t *backlog, char *error)
{
    assert (self && self->check == WF_HEALTH_POSTGRES);
    assert (backlog && error);
    memset (backlog, 0, sizeof *backlog);
    strcpy (error, "ok");
    if (self->target_error[0]) {
        wf_health_describe (error, "%s", self->target_error);
        return -1;
    }
    int64_t deadline_us = zclock_usecs () + (int64_t) self->timeout_ms * 1000;
    if (self->pg && PQstatus (self->pg) != CONNECTION_OK) {
        PQfinish (self->pg);
        self->pg = NULL;
    }
    if (!self->pg && s_pg_connect (self, deadline_us, error) != 0) {
        PQfinish (self->pg);
        self->pg = NULL;
        return -1;
    }
    char sql[S_BACKLOG_SQL_BYTES];
    snprintf (sql, sizeof sql,
              "SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox WHERE delivered_at IS NULL"
              " AND 'amqp' = ANY (pending) LIMIT %d) AS capped),"
              " coalesce (extract (epoch FROM now () - (SELECT min (created_at) FROM outbox"
              " WHERE delivered_at IS NULL AND 'amqp' = ANY (pending))), 0)::float8",
              WF_HEALTH_BACKLOG_ROWS_MAX);
    bool lost;
    PGresult *result = s_pg_query (self, sql, deadline_us, error, &lost);
    if (!result) {
        //  A refused query (no outbox table yet) leaves a good connection; a lost one goes.
        if (lost) {
            PQfinish (self->pg);
            self->pg = NULL;
        }
        return -1;
    }
    int rc = PQntuples (result) == 1 && PQnfields (result) == 2 ? 0 : -1;
    if (rc == 0) {
        backlog->rows = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
        backlog->oldest_age_s = strtod (PQgetvalue (result, 0, 1), NULL);
        if (backlog->oldest_age_s < 0) //  clocks of a just-committed row
            backlog->oldest_age_s = 0;
    } else
        wf_health_describe (error, "backlog: unexpected answer");
    PQclear (result);
    return rc;
}
