/*  wf_migrate_it - migrations against the real PostgreSQL (WF_PG_URL).

    Each test works in a database of its own, created and dropped here.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wf_migrate.h"

#define CHILDREN 4

static char s_dbname[64];

//  Connects to `dbname` on the server named by WF_PG_URL.
static PGconn *
s_connect (const char *dbname)
{
    const char *url = getenv ("WF_PG_URL");
    if (!url)
        fail_msg ("WF_PG_URL is not set: run through deploy/test.sh");
    const char *keys[] = {"dbname", "dbname", NULL};
    const char *values[] = {url, dbname, NULL};
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (PQstatus (conn) != CONNECTION_OK)
        fail_msg ("cannot connect: %s", PQerrorMessage (conn));
    return conn;
}

//  Runs a statement that must succeed.
static void
s_must (PGconn *conn, const char *sql)
{
    PGresult *res = PQexec (conn, sql);
    ExecStatusType status = PQresultStatus (res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        fail_msg ("%s: %s", sql, PQerrorMessage (conn));
    PQclear (res);
}

static int
s_setup (void **state)
{
    snprintf (s_dbname, sizeof s_dbname, "wf_it_migrate_%d", (int) getpid ());
    PGconn *admin = s_connect ("postgres");
    char sql[128];
    snprintf (sql, sizeof sql, "DROP DATABASE IF EXISTS %s", s_dbname);
    s_must (admin, sql);
    snprintf (sql, sizeof sql, "CREATE DATABASE %s", s_dbname);
    s_must (admin, sql);
    PQfinish (admin);
    return 0;
}

static int
s_teardown (void **state)
{
    PGconn *admin = s_connect ("postgres");
    char sql[128];
    snprintf (sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", s_dbname);
    s_must (admin, sql);
    PQfinish (admin);
    return 0;
}

//  The highest compiled-in version.
static int
s_latest (void)
{
    size_t count;
    const wf_migration_t *migrations = wf_migrations (&count);
    assert_true (count >= 1);
    return migrations[count - 1].version;
}

//  Several processes starting at once apply each migration exactly once.
static void
test_concurrent_start_applies_once (void **state)
{
    pid_t pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork ();
        if (pids[i] == 0) {
            PGconn *conn = s_connect (s_dbname);
            char err[512];
            int version = wf_migrate_apply (conn, err, sizeof err);
            if (version != s_latest ())
                fprintf (stderr, "child: %s\n", err);
            PQfinish (conn);
            _exit (version == s_latest () ? 0 : 1);
        }
    }
    for (int i = 0; i < CHILDREN; i++) {
        int status = 0;
        assert_int_equal (waitpid (pids[i], &status, 0), pids[i]);
        assert_true (WIFEXITED (status));
        assert_int_equal (WEXITSTATUS (status), 0);
    }
    PGconn *conn = s_connect (s_dbname);
    size_t count;
    wf_migrations (&count);
    PGresult *res = PQexec (conn, "SELECT count(*) FROM schema_migrations");
    assert_int_equal (atoi (PQgetvalue (res, 0, 0)), (int) count);
    PQclear (res);
    assert_int_equal (wf_migrate_version (conn), s_latest ());
    PQfinish (conn);
}

//  Applying again is a no-op; an edited migration is refused.
static void
test_reapply_and_tamper (void **state)
{
    PGconn *conn = s_connect (s_dbname);
    char err[512] = "";
    assert_int_equal (wf_migrate_apply (conn, err, sizeof err), s_latest ());
    assert_int_equal (wf_migrate_apply (conn, err, sizeof err), s_latest ());
    s_must (conn, "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1");
    assert_int_equal (wf_migrate_apply (conn, err, sizeof err), -1);
    assert_non_null (strstr (err, "edited"));
    PQfinish (conn);
}

//  A failing migration leaves nothing behind (one transaction).
static void
test_failure_rolls_back (void **state)
{
    PGconn *conn = s_connect (s_dbname);
    //  The first migration's table exists already: applying fails midway.
    s_must (conn, "CREATE TABLE outbox (id int)");
    char err[512] = "";
    assert_int_equal (wf_migrate_apply (conn, err, sizeof err), -1);
    PGresult *res = PQexec (conn, "SELECT to_regclass ('schema_migrations') IS NULL");
    assert_string_equal (PQgetvalue (res, 0, 0), "t");
    PQclear (res);
    PQfinish (conn);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_concurrent_start_applies_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reapply_and_tamper, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_failure_rolls_back, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
