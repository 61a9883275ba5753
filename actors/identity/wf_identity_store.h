/*  wf_identity_store - the identity service's SQL: users and refresh tokens.

    Plain functions over one PGconn (the actor's, from wf_pg), each a bounded
    number of round trips under the connection's statement_timeout. A result
    of WF_STORE_DOWN means the query failed (the caller tells wf_pg and answers
    503); every multi-statement path ends its transaction before returning.

    Writes that must be atomic are:
    - register: the user row, its UserRegistered outbox row (route_key = the
      default account id, destinations account + amqp) and the first refresh
      token of a new family, in one statement, so all commit or none does.
    - refresh: consume the presented token with
          UPDATE ... SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL
          AND revoked_at IS NULL AND expires_at > now() RETURNING ...
      and insert its successor, in one transaction. Two concurrent refreshes
      of one token serialize on that row: the second UPDATE finds used_at set
      and returns nothing, so exactly one wins.
    A token presented again after it was consumed is either a concurrent
    duplicate (consumed less than grace_ms ago: refused, nothing revoked, so
    the winner's family stays usable) or a replay (later: the whole family is
    revoked).
    - revoking a family (logout, a replay, a suspended user's refresh) and
      its SessionsRevoked outbox row for the notifier (the fronts close the
      user's hub connections) happen in one statement; no row when nothing
      was live to revoke.

    Refresh tokens reach SQL only as their hex hash (wf_refresh_token_hash).
*/
#ifndef WF_IDENTITY_STORE_H_INCLUDED
#define WF_IDENTITY_STORE_H_INCLUDED

#include <libpq-fe.h>
#include <stdint.h>
#include "wf_identity_limits.h"

#define WF_STATUS_BYTES_MAX 32

typedef enum {
    WF_STORE_OK = 0,
    WF_STORE_NOT_FOUND, //  no such user / token
    WF_STORE_CONFLICT,  //  register: the email is taken (any letter case)
    WF_STORE_DOWN       //  the query failed: PostgreSQL down, timeout, ...
} wf_store_result_t;

//  A user row. All strings NUL-terminated.
typedef struct {
    char id[WF_USER_ID_BYTES_MAX + 1];
    char email[WF_EMAIL_BYTES_MAX + 1];
    char first_name[WF_NAME_BYTES_MAX + 1];
    char last_name[WF_NAME_BYTES_MAX + 1];
    char role[WF_ROLE_BYTES_MAX + 1];
    char status[WF_STATUS_BYTES_MAX + 1];
    char password_hash[WF_HASH_STRING_BYTES_MAX + 1]; //  filled by find_by_email only
    int64_t created_at_ms;
} wf_identity_store_user_t;

//  What a refresh did.
typedef enum {
    WF_ROTATE_OK = 0,     //  consumed; the successor is stored; user filled
    WF_ROTATE_INVALID,    //  unknown, expired or revoked token
    WF_ROTATE_IN_GRACE,   //  consumed moments ago (a concurrent refresh): refused, not revoked
    WF_ROTATE_REUSED,     //  consumed earlier: the family is now revoked
    WF_ROTATE_WRONG_USER, //  the access token names another user: nothing changed
    WF_ROTATE_SUSPENDED,  //  the user is suspended: the family is now revoked
    WF_ROTATE_DOWN        //  the query failed
} wf_rotate_result_t;

//  1 when a user has this (normalized) email, 0 when none, -1 on failure.
int wf_identity_store_email_taken (PGconn *conn, const char *email);

//  Insert user (id, email, names filled) with password_hash, its
//  UserRegistered outbox row (route_key = account_id) and its first refresh
//  token (token_hash, a new family, expiring refresh_ttl_s from now), in one
//  statement. Fills role, status and created_at_ms.
wf_store_result_t wf_identity_store_register (PGconn *conn, wf_identity_store_user_t *user,
                                              const char *password_hash, const char *account_id,
                                              const char *token_hash, int64_t refresh_ttl_s);

//  Find a user by normalized email (with the password hash) or by id.
wf_store_result_t wf_identity_store_find_by_email (PGconn *conn, const char *email,
                                                   wf_identity_store_user_t *user);
wf_store_result_t wf_identity_store_find_by_id (PGconn *conn, const char *user_id,
                                                wf_identity_store_user_t *user);

//  Store the first refresh token of a new family (a login).
wf_store_result_t wf_identity_store_issue (PGconn *conn, const char *user_id,
                                           const char *token_hash, int64_t refresh_ttl_s);

//  Rotate: consume old_hash and store new_hash in its family, as described
//  above. expected_user_id, when not NULL, must own the token. Fills user on
//  WF_ROTATE_OK.
wf_rotate_result_t wf_identity_store_rotate (PGconn *conn, const char *old_hash,
                                             const char *new_hash, int64_t refresh_ttl_s,
                                             int64_t grace_ms, const char *expected_user_id,
                                             wf_identity_store_user_t *user);

//  Revoke the family of token_hash; *revoked receives the number of tokens
//  revoked now (0 for an unknown token).
wf_store_result_t wf_identity_store_logout (PGconn *conn, const char *token_hash, int64_t *revoked);

//  Replace a user's password hash (re-hash on login).
wf_store_result_t wf_identity_store_set_hash (PGconn *conn, const char *user_id,
                                              const char *password_hash);

//  Set the role of the user with this (normalized) email; NOT_FOUND when none.
wf_store_result_t wf_identity_store_set_role (PGconn *conn, const char *email, const char *role);

//  The stable name of a rotate result ("reused"), for logs.
const char *wf_rotate_result_name (wf_rotate_result_t result);

#endif
