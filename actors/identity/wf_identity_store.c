/*  wf_identity_store - the identity service's SQL (see the header).  */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wf_events.h"
#include "wf_identity_store.h"
#include "wf_uuid.h"

#define S_USER_COLUMNS                                                                             \
    "id, email, first_name, last_name, role, status, "                                             \
    "floor (extract (epoch FROM created_at) * 1000)::bigint"
#define S_UNIQUE_VIOLATION "23505"
#define S_EMAIL_INDEX      "users_email_unique"

//  Run one statement with text parameters. Returns the result when its status
//  is `expect`, else NULL (the result is cleared).
static PGresult *
s_exec (PGconn *conn, const char *sql, int count, const char *const *params, ExecStatusType expect)
{
    PGresult *res = PQexecParams (conn, sql, count, NULL, params, NULL, NULL, 0);
    if (res && PQresultStatus (res) == expect) {
        return res;
    }
    PQclear (res);
    return NULL;
}

//  Run a command without parameters; 0 or -1.
static int
s_command (PGconn *conn, const char *sql)
{
    PGresult *res = s_exec (conn, sql, 0, NULL, PGRES_COMMAND_OK);
    PQclear (res);
    return res ? 0 : -1;
}

//  Copy a column into a fixed buffer, cut at its size (values are bounded by
//  the schema's checks, so nothing is cut in practice).
static void
s_copy (char *to, size_t size, const PGresult *res, int row, int column)
{
    snprintf (to, size, "%s", PQgetvalue (res, row, column));
}

//  Fill user from the S_USER_COLUMNS of row 0, starting at column first.
static void
s_user_from (wf_identity_store_user_t *user, const PGresult *res, int first)
{
    s_copy (user->id, sizeof user->id, res, 0, first);
    s_copy (user->email, sizeof user->email, res, 0, first + 1);
    s_copy (user->first_name, sizeof user->first_name, res, 0, first + 2);
    s_copy (user->last_name, sizeof user->last_name, res, 0, first + 3);
    s_copy (user->role, sizeof user->role, res, 0, first + 4);
    s_copy (user->status, sizeof user->status, res, 0, first + 5);
    user->created_at_ms = strtoll (PQgetvalue (res, 0, first + 6), NULL, 10);
}

int
wf_identity_store_email_taken (PGconn *conn, const char *email)
{
    assert (conn && email);
    const char *params[1] = {email};
    PGresult *res = s_exec (conn, "SELECT 1 FROM users WHERE lower (email) = lower ($1)", 1, params,
                            PGRES_TUPLES_OK);
    int taken = res ? PQntuples (res) > 0 : -1;
    PQclear (res);
    return taken;
}

wf_store_result_t
wf_identity_store_register (PGconn *conn, wf_identity_store_user_t *user, const char *password_hash,
                            const char *account_id, const char *token_hash, int64_t refresh_ttl_s)
{
    assert (conn && user && password_hash && account_id && token_hash);
    assert (refresh_ttl_s > 0);
    //  One statement, so one transaction: the user, the event that opens its
    //  wallet and its first refresh token commit together or not at all.
    static const char sql[] =
        "WITH new_user AS ("
        "  INSERT INTO users (id, email, first_name, last_name, password_hash)"
        "  VALUES ($1, $2, $3, $4, $5)"
        "  RETURNING id, email, first_name, last_name, role, status, created_at),"
        " event AS ("
        "  INSERT INTO outbox (type, stream_id, route_key, payload, destinations, pending)"
        "  SELECT '" WF_EVENT_USER_REGISTERED "', id, $6,"
        "   jsonb_build_object ('userId', id, 'email', email, 'firstName', first_name,"
        "    'lastName', last_name, 'occurredAt', to_char (created_at AT TIME ZONE 'UTC',"
        "    'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')),"
        "   ARRAY['" WF_DEST_ACCOUNT "', '" WF_DEST_AMQP "'],"
        "   ARRAY['" WF_DEST_ACCOUNT "', '" WF_DEST_AMQP "']"
        "  FROM new_user),"
        " token AS ("
        "  INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at)"
        "  SELECT $7, id, gen_random_uuid (), now () + make_interval (secs => $8)"
        "  FROM new_user)"
        " SELECT role, status, floor (extract (epoch FROM created_at) * 1000)::bigint"
        " FROM new_user";
    char ttl[24];
    snprintf (ttl, sizeof ttl, "%" PRId64, refresh_ttl_s);
    const char *params[8] = {user->id,      user->email, user->first_name, user->last_name,
                             password_hash, account_id,  token_hash,       ttl};
    PGresult *res = PQexecParams (conn, sql, 8, NULL, params, NULL, NULL, 0);
    wf_store_result_t result = WF_STORE_DOWN;
    if (res && PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1) {
        s_copy (user->role, sizeof user->role, res, 0, 0);
        s_copy (user->status, sizeof user->status, res, 0, 1);
        user->created_at_ms = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
        result = WF_STORE_OK;
    } else if (res) {
        const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
        const char *constraint = PQresultErrorField (res, PG_DIAG_CONSTRAINT_NAME);
        if (state && strcmp (state, S_UNIQUE_VIOLATION) == 0 && constraint &&
            strcmp (constraint, S_EMAIL_INDEX) == 0) {
            result = WF_STORE_CONFLICT;
        }
    }
    PQclear (res);
    return result;
}

wf_store_result_t
wf_identity_store_find_by_email (PGconn *conn, const char *email, wf_identity_store_user_t *user)
{
    assert (conn && email && user);
    const char *params[1] = {email};
    PGresult *res = s_exec (conn,
                            "SELECT " S_USER_COLUMNS ", password_hash FROM users"
                            " WHERE lower (email) = lower ($1)",
                            1, params, PGRES_TUPLES_OK);
    if (!res) {
        return WF_STORE_DOWN;
    }
    wf_store_result_t result = PQntuples (res) == 1 ? WF_STORE_OK : WF_STORE_NOT_FOUND;
    if (result == WF_STORE_OK) {
        s_user_from (user, res, 0);
        s_copy (user->password_hash, sizeof user->password_hash, res, 0, 7);
    }
    PQclear (res);
    return result;
}

wf_store_result_t
wf_identity_store_find_by_id (PGconn *conn, const char *user_id, wf_identity_store_user_t *user)
{
    assert (conn && user_id && user);
    //  A malformed id is "not found", not an SQL error.
    uint8_t bytes[16];
    if (wf_uuid_parse (user_id, strlen (user_id), bytes) != 0) {
        return WF_STORE_NOT_FOUND;
    }
    const char *params[1] = {user_id};
    PGresult *res = s_exec (conn, "SELECT " S_USER_COLUMNS " FROM users WHERE id = $1", 1, params,
                            PGRES_TUPLES_OK);
    if (!res) {
        return WF_STORE_DOWN;
    }
    wf_store_result_t result = PQntuples (res) == 1 ? WF_STORE_OK : WF_STORE_NOT_FOUND;
    if (result == WF_STORE_OK) {
        s_user_from (user, res, 0);
        user->password_hash[0] = 0;
    }
    PQclear (res);
    return result;
}

wf_store_result_t
wf_identity_store_issue (PGconn *conn, const char *user_id, const char *token_hash,
                         int64_t refresh_ttl_s)
{
    assert (conn && user_id && token_hash);
    char ttl[24];
    snprintf (ttl, sizeof ttl, "%" PRId64, refresh_ttl_s);
    const char *params[3] = {token_hash, user_id, ttl};
    PGresult *res =
        s_exec (conn,
                "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at)"
                " VALUES ($1, $2, gen_random_uuid (),"
                " now () + make_interval (secs => $3))",
                3, params, PGRES_COMMAND_OK);
    PQclear (res);
    return res ? WF_STORE_OK : WF_STORE_DOWN;
}

//  Revokes the live tokens picked by `which` (SQL over parameter $1) and, if
//  there were any, commits a SessionsRevoked row for the notifier with
//  `reason` ($2), in one statement. Returns the tokens revoked, or -1.
static int64_t
s_revoke (PGconn *conn, const char *which, const char *param, const char *reason)
{
    char sql[1024];
    snprintf (sql, sizeof sql,
              "WITH revoked AS ("
              "  UPDATE refresh_tokens SET revoked_at = now ()"
              "  WHERE family_id = (%s) AND revoked_at IS NULL"
              "  RETURNING user_id, family_id),"
              " event AS ("
              "  INSERT INTO outbox (type, stream_id, payload, destinations, pending)"
              "  SELECT DISTINCT '" WF_EVENT_SESSIONS_REVOKED "', user_id,"
              "   jsonb_build_object ('userId', user_id, 'familyId', family_id, 'reason', $2::text,"
              "    'occurredAt', to_char (now () AT TIME ZONE 'UTC',"
              "    'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')),"
              "   ARRAY['" WF_DEST_NOTIFIER "'], ARRAY['" WF_DEST_NOTIFIER "']"
              "  FROM revoked)"
              " SELECT count (*) FROM revoked",
              which);
    const char *params[2] = {param, reason};
    PGresult *res = s_exec (conn, sql, 2, params, PGRES_TUPLES_OK);
    int64_t revoked = res && PQntuples (res) == 1 ? strtoll (PQgetvalue (res, 0, 0), NULL, 10) : -1;
    PQclear (res);
    return revoked;
}

//  Revoke every live token of a family inside the open transaction; 0 or -1.
static int
s_revoke_family (PGconn *conn, const char *family_id, const char *reason)
{
    return s_revoke (conn, "SELECT $1::uuid", family_id, reason) >= 0 ? 0 : -1;
}

//  Ends the transaction: COMMIT when commit is set and nothing failed, else
//  ROLLBACK. Returns result, or WF_ROTATE_DOWN when the COMMIT failed.
static wf_rotate_result_t
s_finish (PGconn *conn, bool commit, wf_rotate_result_t result)
{
    if (commit && result != WF_ROTATE_DOWN) {
        return s_command (conn, "COMMIT") == 0 ? result : WF_ROTATE_DOWN;
    }
    s_command (conn, "ROLLBACK");
    return result;
}

//  The presented token was not consumable: tell a stale duplicate from a
//  replay, revoking the family on a replay.
static wf_rotate_result_t
s_not_consumable (PGconn *conn, const char *old_hash, int64_t grace_ms)
{
    char grace[32];
    snprintf (grace, sizeof grace, "%.3f", (double) grace_ms / 1000.0);
    const char *params[2] = {old_hash, grace};
    PGresult *res = s_exec (conn,
                            "SELECT family_id,"
                            " used_at IS NOT NULL AND revoked_at IS NULL AND expires_at > now (),"
                            " used_at > now () - make_interval (secs => $2)"
                            " FROM refresh_tokens WHERE token_hash = $1",
                            2, params, PGRES_TUPLES_OK);
    if (!res) {
        return s_finish (conn, false, WF_ROTATE_DOWN);
    }
    wf_rotate_result_t result = WF_ROTATE_INVALID;
    if (PQntuples (res) == 1 && strcmp (PQgetvalue (res, 0, 1), "t") == 0) {
        if (strcmp (PQgetvalue (res, 0, 2), "t") == 0) {
            result = WF_ROTATE_IN_GRACE;
        } else {
            result = s_revoke_family (conn, PQgetvalue (res, 0, 0), "reuse") == 0 ? WF_ROTATE_REUSED
                                                                                  : WF_ROTATE_DOWN;
        }
    }
    PQclear (res);
    return s_finish (conn, result == WF_ROTATE_REUSED, result);
}

//  The token was consumed (row 0 of consumed: id, user_id, family_id): check
//  its user and store the successor.
static wf_rotate_result_t
s_consumed (PGconn *conn, const PGresult *consumed, const char *new_hash, int64_t refresh_ttl_s,
            const char *expected_user_id, wf_identity_store_user_t *user)
{
    const char *old_id = PQgetvalue (consumed, 0, 0);
    const char *user_id = PQgetvalue (consumed, 0, 1);
    const char *family_id = PQgetvalue (consumed, 0, 2);
    if (expected_user_id && strcmp (expected_user_id, user_id) != 0) {
        return s_finish (conn, false, WF_ROTATE_WRONG_USER);
    }
    if (wf_identity_store_find_by_id (conn, user_id, user) != WF_STORE_OK) {
        return s_finish (conn, false, WF_ROTATE_DOWN);
    }
    if (strcmp (user->status, "Active") != 0) {
        wf_rotate_result_t result = s_revoke_family (conn, family_id, "suspended") == 0
                                        ? WF_ROTATE_SUSPENDED
                                        : WF_ROTATE_DOWN;
        return s_finish (conn, true, result);
    }
    char ttl[24];
    snprintf (ttl, sizeof ttl, "%" PRId64, refresh_ttl_s);
    const char *params[5] = {new_hash, user_id, family_id, ttl, old_id};
    PGresult *res = s_exec (conn,
                            "WITH next AS ("
                            "  INSERT INTO refresh_tokens (token_hash, user_id, family_id,"
                            "   expires_at)"
                            "  VALUES ($1, $2, $3, now () + make_interval (secs => $4))"
                            "  RETURNING id)"
                            " UPDATE refresh_tokens SET replaced_by = (SELECT id FROM next)"
                            " WHERE id = $5",
                            5, params, PGRES_COMMAND_OK);
    PQclear (res);
    return s_finish (conn, true, res ? WF_ROTATE_OK : WF_ROTATE_DOWN);
}

wf_rotate_result_t
wf_identity_store_rotate (PGconn *conn, const char *old_hash, const char *new_hash,
                          int64_t refresh_ttl_s, int64_t grace_ms, const char *expected_user_id,
                          wf_identity_store_user_t *user)
{
    assert (conn && old_hash && new_hash && user);
    assert (refresh_ttl_s > 0 && grace_ms >= 0);
    if (s_command (conn, "BEGIN") != 0) {
        return WF_ROTATE_DOWN;
    }
    const char *params[1] = {old_hash};
    PGresult *res = s_exec (conn,
                            "UPDATE refresh_tokens SET used_at = now ()"
                            " WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL"
                            " AND expires_at > now ()"
                            " RETURNING id, user_id, family_id",
                            1, params, PGRES_TUPLES_OK);
    if (!res) {
        return s_finish (conn, false, WF_ROTATE_DOWN);
    }
    wf_rotate_result_t result =
        PQntuples (res) == 1
            ? s_consumed (conn, res, new_hash, refresh_ttl_s, expected_user_id, user)
            : s_not_consumable (conn, old_hash, grace_ms);
    PQclear (res);
    return result;
}

wf_store_result_t
wf_identity_store_logout (PGconn *conn, const char *token_hash, int64_t *revoked)
{
    assert (conn && token_hash && revoked);
    *revoked = s_revoke (conn, "SELECT family_id FROM refresh_tokens WHERE token_hash = $1",
                         token_hash, "logout");
    if (*revoked < 0) {
        *revoked = 0;
        return WF_STORE_DOWN;
    }
    return WF_STORE_OK;
}

wf_store_result_t
wf_identity_store_set_hash (PGconn *conn, const char *user_id, const char *password_hash)
{
    assert (conn && user_id && password_hash);
    const char *params[2] = {password_hash, user_id};
    PGresult *res = s_exec (conn,
                            "UPDATE users SET password_hash = $1, updated_at = now ()"
                            " WHERE id = $2",
                            2, params, PGRES_COMMAND_OK);
    PQclear (res);
    return res ? WF_STORE_OK : WF_STORE_DOWN;
}

wf_store_result_t
wf_identity_store_set_role (PGconn *conn, const char *email, const char *role)
{
    assert (conn && email && role);
    const char *params[2] = {role, email};
    PGresult *res = s_exec (conn,
                            "UPDATE users SET role = $1, updated_at = now ()"
                            " WHERE lower (email) = lower ($2)",
                            2, params, PGRES_COMMAND_OK);
    if (!res) {
        return WF_STORE_DOWN;
    }
    wf_store_result_t result =
        strtoll (PQcmdTuples (res), NULL, 10) > 0 ? WF_STORE_OK : WF_STORE_NOT_FOUND;
    PQclear (res);
    return result;
}

const char *
wf_rotate_result_name (wf_rotate_result_t result)
{
    static const char *names[] = {"rotated",    "invalid",   "in_grace", "reused",
                                  "wrong_user", "suspended", "down"};
    return (unsigned) result < sizeof names / sizeof names[0] ? names[result] : "?";
}
