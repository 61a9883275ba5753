/*  wf_migrate - applies the compiled-in SQL migrations at start.  */
#include "wf_migrate.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Arbitrary constant naming WalletFlow's migration lock ("WFMIGRAT").
#define MIGRATION_LOCK_KEY 0x57464d4947524154LL

//  Runs one statement; on failure copies the server's message into err.
static int
s_exec (PGconn *conn, const char *sql, char *err, size_t err_size)
{
    PGresult *res = PQexec (conn, sql);
    ExecStatusType status = PQresultStatus (res);
    int rc = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? 0 : -1;
    if (rc != 0)
        snprintf (err, err_size, "%s", PQerrorMessage (conn));
    PQclear (res);
    return rc;
}

//  Hex BLAKE2b-128 checksum of a migration's text.
static void
s_checksum (const char *sql, char hex[33])
{
    unsigned char hash[16];
    crypto_generichash (hash, sizeof hash, (const unsigned char *) sql, strlen (sql), NULL, 0);
    sodium_bin2hex (hex, 33, hash, sizeof hash);
}

//  Checks one migration against what schema_migrations recorded; applies it if
//  it is pending. Returns 0 or -1.
static int
s_apply_one (PGconn *conn, const wf_migration_t *m, char *err, size_t err_size)
{
    char checksum[33];
    s_checksum (m->sql, checksum);
    char version[16];
    snprintf (version, sizeof version, "%d", m->version);
    const char *params[3] = {version, m->name, checksum};
    PGresult *res = PQexecParams (conn, "SELECT checksum FROM schema_migrations WHERE version = $1",
                                  1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        snprintf (err, err_size, "%s", PQerrorMessage (conn));
        PQclear (res);
        return -1;
    }
    int rc = 0;
    if (PQntuples (res) == 1) {
        if (strcmp (PQgetvalue (res, 0, 0), checksum) != 0) {
            snprintf (err, err_size, "migration %s was edited after it was applied", m->name);
            rc = -1;
        }
        PQclear (res);
        return rc;
    }
    PQclear (res);
    if (s_exec (conn, m->sql, err, err_size) != 0)
        return -1;
    res = PQexecParams (conn,
                        "INSERT INTO schema_migrations (version, name, checksum) "
                        "VALUES ($1, $2, $3)",
                        3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_COMMAND_OK) {
        snprintf (err, err_size, "%s", PQerrorMessage (conn));
        rc = -1;
    }
    PQclear (res);
    return rc;
}

int
wf_migrate_apply (PGconn *conn, char *err, size_t err_size)
{
    char lock_sql[96];
    snprintf (lock_sql, sizeof lock_sql, "SELECT pg_advisory_xact_lock (%lld)",
              (long long) MIGRATION_LOCK_KEY);
    if (s_exec (conn, "BEGIN", err, err_size) != 0)
        return -1;
    int rc = s_exec (conn, lock_sql, err, err_size);
    if (rc == 0)
        rc = s_exec (conn,
                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version integer PRIMARY KEY, name text NOT NULL,"
                     " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                     err, err_size);
    size_t count;
    const wf_migration_t *migrations = wf_migrations (&count);
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = s_apply_one (conn, &migrations[i], err, err_size);
    if (rc != 0) {
        char ignored[8];
        s_exec (conn, "ROLLBACK", ignored, sizeof ignored);
        return -1;
    }
    if (s_exec (conn, "COMMIT", err, err_size) != 0)
        return -1;
    return wf_migrate_version (conn);
}

int
wf_migrate_version (PGconn *conn)
{
    PGresult *res = PQexec (conn, "SELECT coalesce (max (version), 0) FROM schema_migrations");
    int version = -1;
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
        version = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return version;
}
