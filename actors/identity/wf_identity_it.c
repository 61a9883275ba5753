/*  wf_identity_it - the identity actor against the real PostgreSQL
    (WF_PG_URL, in a database of its own) and Redis (WF_REDIS_URL).

    Runs a broker and the identity actor over inproc and talks 7/MDP to it as
    the front does: registration with its outbox row and refresh token in one
    statement, duplicate emails, login and its failure limits (in Redis, and
    in process when Redis is down), suspension, refresh rotation with the
    reuse grace window and family revocation, logout, profile reads, the
    hashing pool's bound, and re-hashing on login. Fails when WF_PG_URL or
    WF_REDIS_URL is unset.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <sodium.h>

#include "wf_account_default_id.h"
#include "wf_broker.h"
#include "wf_identity.h"
#include "wf_identity_store.h"
#include "wf_login_limit.h"
#include "wf_mdp_client.h"
#include "wf_migrate.h"
#include "wf_refresh_token.h"
#include "wf_uuid.h"
#include "wf_wire.h"

#define WAIT_MS        5000
#define GRACE_MS       300
#define EMAIL_FAILURES 3
#define BROKER         "inproc://it-identity-broker"
#define PASSWORD       "Corr3ct horse!"
#define SECRET         "it-secret-0123456789-abcdefghijklmnopqrstuvwxyz"

typedef struct {
    char dbname[64];
    char url[512];
    char prefix[64];
    PGconn *conn;
    zactor_t *broker;
    zactor_t *identity;
    wf_broker_config_t broker_config;
    wf_identity_config_t identity_config;
    wf_jwt_t *jwt;
    wf_password_t *password;
    wf_mdp_client_t *client;
    wf_buf_t scratch;
    uint64_t next_id;
    zmsg_t *last; //  owns the slices of the last decoded reply
    wf_envelope_t env;
    wf_any_msg_t reply;
} fx_t;

static fx_t s_fx;

//  Connects to dbname on the WF_PG_URL server.
static PGconn *
s_connect (const char *dbname)
{
    const char *url = getenv ("WF_PG_URL");
    if (!url || !getenv ("WF_REDIS_URL")) {
        fail_msg ("WF_PG_URL and WF_REDIS_URL must be set: run through deploy/test.sh");
    }
    const char *keys[] = {"dbname", "dbname", NULL};
    const char *values[] = {url, dbname, NULL};
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (PQstatus (conn) != CONNECTION_OK) {
        fail_msg ("connect: %s", PQerrorMessage (conn));
    }
    return conn;
}

//  Runs SQL that must succeed; returns the first value of the first row (or "").
static char *
s_sql (const char *sql)
{
    PGresult *res = PQexec (s_fx.conn, sql);
    ExecStatusType status = PQresultStatus (res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        fail_msg ("%s: %s", sql, PQerrorMessage (s_fx.conn));
    }
    char *value = strdup (PQntuples (res) > 0 ? PQgetvalue (res, 0, 0) : "");
    PQclear (res);
    return value;
}

//  True when the SQL's first value equals expected.
static bool
s_sql_is (const char *sql, const char *expected)
{
    char *value = s_sql (sql);
    bool equal = strcmp (value, expected) == 0;
    if (!equal) {
        print_message ("%s -> \"%s\", expected \"%s\"\n", sql, value, expected);
    }
    free (value);
    return equal;
}

static int
s_setup (void **state)
{
    zsys_init ();
    zsys_handler_set (NULL);
    snprintf (s_fx.dbname, sizeof s_fx.dbname, "wf_it_identity_%d", (int) getpid ());
    PGconn *admin = s_connect ("postgres");
    char sql[160];
    snprintf (sql, sizeof sql, "DROP DATABASE IF EXISTS %s", s_fx.dbname);
    PQclear (PQexec (admin, sql));
    snprintf (sql, sizeof sql, "CREATE DATABASE %s", s_fx.dbname);
    PQclear (PQexec (admin, sql));
    PQfinish (admin);
    s_fx.conn = s_connect (s_fx.dbname);
    char err[512];
    assert_true (wf_migrate_apply (s_fx.conn, err, sizeof err) >= 2);
    snprintf (s_fx.url, sizeof s_fx.url, "host=%s port=%s user=%s dbname=%s", PQhost (s_fx.conn),
              PQport (s_fx.conn), PQuser (s_fx.conn), s_fx.dbname);
    //  Keys of this run only, so runs never share counters.
    snprintf (s_fx.prefix, sizeof s_fx.prefix, "wf:it:%d:%u:", (int) getpid (),
              randombytes_random ());
    wf_jwt_config_t jwt_config = {(const uint8_t *) SECRET, strlen (SECRET), NULL, NULL, 0, 0};
    s_fx.jwt = wf_jwt_new (&jwt_config);
    //  Stronger than the minimum, so a minimum-factor hash needs a re-hash.
    wf_password_config_t password_config = {crypto_pwhash_OPSLIMIT_MIN + 1,
                                            crypto_pwhash_MEMLIMIT_MIN * 2};
    s_fx.password = wf_password_new (&password_config);
    assert_non_null (s_fx.jwt);
    assert_non_null (s_fx.password);
    s_fx.broker_config = (wf_broker_config_t){.endpoint = BROKER, .heartbeat_interval_ms = 200};
    s_fx.broker = zactor_new (wf_broker_actor, &s_fx.broker_config);
    s_fx.identity_config = (wf_identity_config_t){
        .broker_endpoint = BROKER,
        .pg_url = s_fx.url,
        .worker_name = "it",
        .heartbeat_interval_ms = 200,
        .jwt = s_fx.jwt,
        .password = s_fx.password,
        .hash_threads = 1,
        .hash_queue_max = 2,
        .refresh_reuse_grace_ms = GRACE_MS,
        .login_limit = {.redis_url = getenv ("WF_REDIS_URL"),
                        .prefix = s_fx.prefix,
                        .email_failures_max = EMAIL_FAILURES,
                        .address_failures_max = 1000},
    };
    s_fx.identity = zactor_new (wf_identity_actor, &s_fx.identity_config);
    s_fx.client = wf_mdp_client_new (BROKER);
    wf_buf_init (&s_fx.scratch);
    return 0;
}

static int
s_teardown (void **state)
{
    zmsg_destroy (&s_fx.last);
    wf_mdp_client_destroy (&s_fx.client);
    zactor_destroy (&s_fx.identity);
    zactor_destroy (&s_fx.broker);
    wf_password_destroy (&s_fx.password);
    wf_jwt_destroy (&s_fx.jwt);
    wf_buf_free (&s_fx.scratch);
    PQfinish (s_fx.conn);
    PGconn *admin = s_connect ("postgres");
    char sql[160];
    snprintf (sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", s_fx.dbname);
    PQclear (PQexec (admin, sql));
    PQfinish (admin);
    return 0;
}

//  Sends one request without waiting; returns its correlation id.
static uint64_t
s_send (wf_msg_id_t type, const void *body)
{
    uint64_t id = ++s_fx.next_id;
    wf_envelope_t req = {.version = WF_PROTO_VERSION,
                         .type = type,
                         .correlation_id = id,
                         .deadline_ms = wf_clock_ms () + WAIT_MS,
                         .request_id = WF_STR ("it")};
    zmsg_t *msg = zmsg_new ();
    assert_int_equal (wf_wire_append (msg, &req, body, &s_fx.scratch), 0);
    assert_int_equal (wf_mdp_client_send (s_fx.client, "identity", &msg), 0);
    return id;
}

//  Waits for the next reply into s_fx.env / s_fx.reply; returns its type.
static wf_msg_id_t
s_receive (void)
{
    zmsg_destroy (&s_fx.last);
    zpoller_t *poller = zpoller_new (wf_mdp_client_sock (s_fx.client), NULL);
    int64_t end = zclock_mono () + WAIT_MS + 1000;
    while (!s_fx.last && zclock_mono () < end) {
        if (!zpoller_wait (poller, 100)) {
            continue;
        }
        s_fx.last = wf_mdp_client_recv (s_fx.client, NULL);
        wf_codec_err_t err;
        if (s_fx.last && wf_wire_decode (s_fx.last, &s_fx.env, &s_fx.reply, &err) != 0) {
            zmsg_destroy (&s_fx.last);
        }
    }
    zpoller_destroy (&poller);
    assert_non_null (s_fx.last);
    return s_fx.env.type;
}

//  Sends a request and waits for its reply; returns the reply's type.
static wf_msg_id_t
s_call (wf_msg_id_t type, const void *body)
{
    uint64_t id = s_send (type, body);
    wf_msg_id_t reply;
    do {
        reply = s_receive ();
    } while (s_fx.env.correlation_id != id); //  a stale reply of an earlier step
    return reply;
}

//  Asserts the last reply is an error with this code.
static void
s_expect_error (wf_msg_id_t type, wf_err_t code)
{
    assert_int_equal (type, WF_MSG_ERROR);
    assert_int_equal (s_fx.reply.error.code, code);
}

//  Copies a reply slice into a C string buffer.
static void
s_take (char *to, size_t size, wf_str_t from)
{
    assert_true (from.len < size);
    memcpy (to, from.ptr, from.len);
    to[from.len] = 0;
}

typedef struct {
    char user_id[37];
    char email[64];
    char access[WF_JWT_TOKEN_BYTES_MAX + 1];
    char refresh[WF_REFRESH_TOKEN_CHARS + 1];
} s_session_t;

//  Keeps the tokens of an auth reply.
static void
s_session (s_session_t *session)
{
    const wf_identity_auth_reply_t *auth = &s_fx.reply.identity_auth_reply;
    s_take (session->user_id, sizeof session->user_id, auth->user_id);
    s_take (session->access, sizeof session->access, auth->access_token);
    s_take (session->refresh, sizeof session->refresh, auth->refresh_token);
}

//  Registers a fresh user named by tag; fills session.
static void
s_register (const char *tag, s_session_t *session)
{
    snprintf (session->email, sizeof session->email, "%s.%u@example.com", tag,
              randombytes_random ());
    wf_identity_register_t msg = {.email = wf_str_c (session->email),
                                  .first_name = WF_STR ("Ada"),
                                  .last_name = WF_STR ("Lovelace"),
                                  .password = WF_STR (PASSWORD),
                                  .client_ip = WF_STR ("10.0.0.1")};
    assert_int_equal (s_call (WF_MSG_IDENTITY_REGISTER, &msg), WF_MSG_IDENTITY_AUTH_REPLY);
    s_session (session);
}

//  Refreshes a token (with an access token when not NULL); returns the reply type.
static wf_msg_id_t
s_refresh (const char *refresh, const char *access)
{
    wf_identity_refresh_t msg = {.refresh_token = wf_str_c (refresh),
                                 .access_token = access ? wf_str_c (access) : (wf_str_t){NULL, 0}};
    return s_call (WF_MSG_IDENTITY_REFRESH, &msg);
}

//  Logs in; returns the reply type.
static wf_msg_id_t
s_login (const char *email, const char *password, const char *address)
{
    wf_identity_login_t msg = {.email = wf_str_c (email),
                               .password = wf_str_c (password),
                               .client_ip = wf_str_c (address)};
    return s_call (WF_MSG_IDENTITY_LOGIN, &msg);
}

static void
test_register (void **state)
{
    s_session_t ada;
    s_register ("Ada", &ada);
    const wf_identity_auth_reply_t *auth = &s_fx.reply.identity_auth_reply;
    assert_true (wf_str_eq (auth->role, "User"));
    assert_true (wf_str_eq (auth->status, "Active"));
    assert_true (auth->created_at_ms > 0);
    //  The email is stored lower-cased.
    char lower[64];
    snprintf (lower, sizeof lower, "%s", ada.email);
    for (char *at = lower; *at; at++) {
        *at = (char) tolower ((unsigned char) *at);
    }
    assert_true (wf_str_eq (auth->email, lower));
    wf_jwt_claims_t claims;
    assert_int_equal (wf_jwt_verify (s_fx.jwt, ada.access, strlen (ada.access),
                                     wf_clock_ms () / 1000, 0, &claims),
                      WF_JWT_OK);
    assert_string_equal (claims.sub, ada.user_id);
    assert_string_equal (claims.role, "User");
    assert_int_equal (auth->expires_at_s, claims.exp);
    //  One statement wrote the user, its event and its refresh token.
    char sql[512], account[37], hash[WF_REFRESH_TOKEN_HASH_CHARS + 1];
    wf_account_default_id (ada.user_id, account);
    snprintf (sql, sizeof sql,
              "SELECT route_key::text || ' ' || stream_id::text || ' ' || destinations::text"
              " || ' ' || pending::text || ' ' || (payload->>'userId') || ' '"
              " || (payload->>'email') || ' ' || (payload->>'firstName') || ' '"
              " || (payload->>'lastName') || ' ' || (payload ? 'occurredAt')::text"
              " FROM outbox WHERE type = 'UserRegistered' AND stream_id = '%s'",
              ada.user_id);
    char expected[512];
    snprintf (expected, sizeof expected,
              "%s %s {account,amqp} {account,amqp} %s %s Ada Lovelace true", account, ada.user_id,
              ada.user_id, lower);
    assert_true (s_sql_is (sql, expected));
    assert_int_equal (wf_refresh_token_hash (ada.refresh, strlen (ada.refresh), hash), 0);
    snprintf (sql, sizeof sql, "SELECT user_id FROM refresh_tokens WHERE token_hash = '%s'", hash);
    assert_true (s_sql_is (sql, ada.user_id));
    snprintf (sql, sizeof sql,
              "SELECT password_hash LIKE '$argon2id$%%' FROM users WHERE id = '%s'", ada.user_id);
    assert_true (s_sql_is (sql, "t"));

    //  The same email in another letter case: 409, and nothing written.
    char upper[64];
    snprintf (upper, sizeof upper, "%s", lower);
    for (char *at = upper; *at; at++) {
        *at = (char) toupper ((unsigned char) *at);
    }
    wf_identity_register_t again = {.email = wf_str_c (upper),
                                    .first_name = WF_STR ("Eve"),
                                    .last_name = WF_STR ("Copy"),
                                    .password = WF_STR (PASSWORD)};
    s_expect_error (s_call (WF_MSG_IDENTITY_REGISTER, &again), WF_ERR_CONFLICT);
    assert_true (s_sql_is ("SELECT count (*) FROM users WHERE first_name = 'Eve'", "0"));

    //  Input that bypassed the front is checked again, field by field.
    wf_identity_register_t bad = {.email = WF_STR ("not-an-email"),
                                  .first_name = WF_STR ("A\x01"),
                                  .last_name = WF_STR ("B"),
                                  .password = WF_STR ("weak")};
    s_expect_error (s_call (WF_MSG_IDENTITY_REGISTER, &bad), WF_ERR_VALIDATION);
    assert_true (s_fx.reply.error.errors_count >= 3);
    assert_true (wf_str_eq (s_fx.reply.error.errors[0].field, "email"));
}

static void
test_login_and_limits (void **state)
{
    s_session_t bob;
    s_register ("bob", &bob);
    assert_int_equal (s_login (bob.email, PASSWORD, "10.0.0.2"), WF_MSG_IDENTITY_AUTH_REPLY);
    //  Wrong password and unknown email: the same answer.
    s_expect_error (s_login (bob.email, "Wrong pass 1!", "10.0.0.2"), WF_ERR_UNAUTHORIZED);
    char detail[128];
    s_take (detail, sizeof detail, s_fx.reply.error.detail);
    s_expect_error (s_login ("nobody.at.all@example.com", "Wrong pass 1!", "10.0.0.2"),
                    WF_ERR_UNAUTHORIZED);
    assert_true (wf_str_eq (s_fx.reply.error.detail, detail));
    //  A success clears the email's failures; then EMAIL_FAILURES failures block it.
    assert_int_equal (s_login (bob.email, PASSWORD, "10.0.0.2"), WF_MSG_IDENTITY_AUTH_REPLY);
    for (int failure = 0; failure < EMAIL_FAILURES; failure++) {
        s_expect_error (s_login (bob.email, "Wrong pass 1!", "10.0.0.3"), WF_ERR_UNAUTHORIZED);
    }
    s_expect_error (s_login (bob.email, PASSWORD, "10.0.0.4"), WF_ERR_TOO_MANY_REQUESTS);
    assert_true (s_fx.reply.error.retry_after_s >= 1);
    //  The counters are in Redis: a second limiter (another process) sees them.
    wf_login_limit_config_t config = s_fx.identity_config.login_limit;
    wf_login_limit_t *other = wf_login_limit_new (&config);
    char lower[64];
    snprintf (lower, sizeof lower, "%s", bob.email);
    for (char *at = lower; *at; at++) {
        *at = (char) tolower ((unsigned char) *at);
    }
    int64_t retry_after_s = 0;
    assert_int_equal (wf_login_limit_check (other, lower, "", wf_clock_ms (), &retry_after_s), -1);
    assert_true (wf_login_limit_redis_up (other));
    assert_true (retry_after_s >= 1 && retry_after_s <= 900);
    wf_login_limit_destroy (&other);

    //  Suspended: the right password gets 403, a wrong one still 401.
    s_session_t carol;
    s_register ("carol", &carol);
    char sql[256];
    snprintf (sql, sizeof sql, "UPDATE users SET status = 'Suspended' WHERE id = '%s'",
              carol.user_id);
    free (s_sql (sql));
    s_expect_error (s_login (carol.email, PASSWORD, "10.0.0.5"), WF_ERR_FORBIDDEN);
    s_expect_error (s_login (carol.email, "Wrong pass 1!", "10.0.0.5"), WF_ERR_UNAUTHORIZED);
    //  ... and cannot refresh either: the family is revoked.
    s_expect_error (s_refresh (carol.refresh, NULL), WF_ERR_FORBIDDEN);
    s_expect_error (s_refresh (carol.refresh, NULL), WF_ERR_UNAUTHORIZED);
}

static void
test_limits_without_redis (void **state)
{
    //  Nothing listens on port 1: every Redis call fails, the table holds.
    wf_login_limit_config_t config = {.redis_url = "redis://127.0.0.1:1",
                                      .email_failures_max = 2,
                                      .address_failures_max = 3,
                                      .window_s = 60};
    wf_login_limit_t *limit = wf_login_limit_new (&config);
    assert_non_null (limit);
    int64_t now_ms = wf_clock_ms (), retry_after_s;
    assert_int_equal (wf_login_limit_check (limit, "a@x.org", "10.1.1.1", now_ms, &retry_after_s),
                      0);
    wf_login_limit_fail (limit, "a@x.org", "10.1.1.1", now_ms);
    wf_login_limit_fail (limit, "a@x.org", "10.1.1.1", now_ms);
    assert_false (wf_login_limit_redis_up (limit));
    assert_int_equal (
        wf_login_limit_check (limit, "a@x.org", "10.9.9.9", now_ms + 1000, &retry_after_s), -1);
    assert_int_equal (retry_after_s, 59);
    //  Per address: a third email from the same address is blocked too.
    wf_login_limit_fail (limit, "b@x.org", "10.1.1.1", now_ms);
    assert_int_equal (wf_login_limit_check (limit, "c@x.org", "10.1.1.1", now_ms, &retry_after_s),
                      -1);
    assert_int_equal (wf_login_limit_check (limit, "c@x.org", "10.2.2.2", now_ms, &retry_after_s),
                      0);
    //  The window ends.
    assert_int_equal (
        wf_login_limit_check (limit, "a@x.org", "10.1.1.1", now_ms + 60000, &retry_after_s), 0);
    wf_login_limit_succeed (limit, "a@x.org");
    wf_login_limit_destroy (&limit);
    //  Malformed URLs are refused at once.
    config.redis_url = "http://127.0.0.1:1";
    assert_null (wf_login_limit_new (&config));
    config.redis_url = "redis://127.0.0.1:99999";
    assert_null (wf_login_limit_new (&config));
}

static void
test_refresh_rotation (void **state)
{
    s_session_t dave, eve;
    s_register ("dave", &dave);
    s_register ("eve", &eve);
    //  Rotation: a new pair, the old token consumed.
    assert_int_equal (s_refresh (dave.refresh, dave.access), WF_MSG_IDENTITY_AUTH_REPLY);
    s_session_t second;
    s_session (&second);
    assert_string_not_equal (second.refresh, dave.refresh);
    //  A second presentation within the grace window: refused, nothing revoked.
    s_expect_error (s_refresh (dave.refresh, NULL), WF_ERR_UNAUTHORIZED);
    assert_int_equal (s_refresh (second.refresh, NULL), WF_MSG_IDENTITY_AUTH_REPLY);
    s_session_t third;
    s_session (&third);
    //  Someone else's access token, or a forged one: refused, token kept.
    s_expect_error (s_refresh (third.refresh, eve.access), WF_ERR_UNAUTHORIZED);
    wf_jwt_config_t other_key = {
        (const uint8_t *) "another-key-0123456789-0123456789", 33, NULL, NULL, 0, 0};
    wf_jwt_t *forger = wf_jwt_new (&other_key);
    wf_jwt_subject_t subject = {dave.user_id, dave.email, "Ada", "Lovelace", "Admin"};
    char forged[WF_JWT_TOKEN_BYTES_MAX + 1];
    int64_t exp_s;
    assert_int_equal (
        wf_jwt_issue (forger, &subject, wf_clock_ms () / 1000, forged, sizeof forged, &exp_s), 0);
    wf_jwt_destroy (&forger);
    s_expect_error (s_refresh (third.refresh, forged), WF_ERR_UNAUTHORIZED);
    //  An expired access token of ours still names its user.
    char expired[WF_JWT_TOKEN_BYTES_MAX + 1];
    assert_int_equal (wf_jwt_issue (s_fx.jwt, &subject, wf_clock_ms () / 1000 - 7200, expired,
                                    sizeof expired, &exp_s),
                      0);
    assert_int_equal (s_refresh (third.refresh, expired), WF_MSG_IDENTITY_AUTH_REPLY);
    s_session_t fourth;
    s_session (&fourth);
    //  Past the grace window, a consumed token is a replay: the family dies.
    zclock_sleep (GRACE_MS + 200);
    s_expect_error (s_refresh (second.refresh, NULL), WF_ERR_UNAUTHORIZED);
    s_expect_error (s_refresh (fourth.refresh, NULL), WF_ERR_UNAUTHORIZED);
    char sql[256];
    snprintf (sql, sizeof sql,
              "SELECT count (*) FROM refresh_tokens WHERE user_id = '%s' AND revoked_at IS NULL",
              dave.user_id);
    assert_true (s_sql_is (sql, "0"));
    //  ... with one SessionsRevoked row for the notifier (the hub closes Dave's connections).
    snprintf (sql, sizeof sql,
              "SELECT string_agg (payload->>'reason' || ' ' || destinations::text, ',')"
              " FROM outbox WHERE type = 'SessionsRevoked' AND payload->>'userId' = '%s'",
              dave.user_id);
    assert_true (s_sql_is (sql, "reuse {notifier}"));
    //  Eve's family is untouched; garbage is refused.
    assert_int_equal (s_refresh (eve.refresh, NULL), WF_MSG_IDENTITY_AUTH_REPLY);
    s_expect_error (s_refresh ("not-a-token", NULL), WF_ERR_UNAUTHORIZED);
    char unknown[WF_REFRESH_TOKEN_CHARS + 1];
    wf_refresh_token_generate (unknown);
    s_expect_error (s_refresh (unknown, NULL), WF_ERR_UNAUTHORIZED);
}

static void
test_logout_and_user (void **state)
{
    s_session_t fay;
    s_register ("fay", &fay);
    assert_int_equal (s_refresh (fay.refresh, NULL), WF_MSG_IDENTITY_AUTH_REPLY);
    s_session_t next;
    s_session (&next);
    wf_identity_logout_t logout = {.refresh_token = wf_str_c (next.refresh)};
    assert_int_equal (s_call (WF_MSG_IDENTITY_LOGOUT, &logout), WF_MSG_IDENTITY_LOGOUT_REPLY);
    assert_int_equal (s_fx.reply.identity_logout_reply.revoked, 2);
    s_expect_error (s_refresh (next.refresh, NULL), WF_ERR_UNAUTHORIZED);
    assert_int_equal (s_call (WF_MSG_IDENTITY_LOGOUT, &logout), WF_MSG_IDENTITY_LOGOUT_REPLY);
    assert_int_equal (s_fx.reply.identity_logout_reply.revoked, 0);
    //  One SessionsRevoked row, from the logout that revoked something.
    char sql[512];
    snprintf (sql, sizeof sql,
              "SELECT string_agg (payload->>'reason' || ' ' || stream_id::text || ' '"
              " || (payload ? 'familyId')::text || ' ' || (payload ? 'occurredAt')::text, ',')"
              " FROM outbox WHERE type = 'SessionsRevoked' AND payload->>'userId' = '%s'",
              fay.user_id);
    char expected[128];
    snprintf (expected, sizeof expected, "logout %s true true", fay.user_id);
    assert_true (s_sql_is (sql, expected));
    logout.refresh_token = WF_STR ("short");
    s_expect_error (s_call (WF_MSG_IDENTITY_LOGOUT, &logout), WF_ERR_BAD_REQUEST);

    wf_identity_user_t user = {.user_id = wf_str_c (fay.user_id)};
    assert_int_equal (s_call (WF_MSG_IDENTITY_USER, &user), WF_MSG_IDENTITY_USER_REPLY);
    assert_true (wf_str_eq (s_fx.reply.identity_user_reply.first_name, "Ada"));
    assert_true (s_fx.reply.identity_user_reply.created_at_ms > 0);
    char other[37];
    wf_uuid_v4 (other);
    user.user_id = wf_str_c (other);
    s_expect_error (s_call (WF_MSG_IDENTITY_USER, &user), WF_ERR_NOT_FOUND);
    user.user_id = WF_STR ("'; DROP TABLE users; --");
    s_expect_error (s_call (WF_MSG_IDENTITY_USER, &user), WF_ERR_NOT_FOUND);
    //  Another service's message is refused cleanly.
    wf_system_info_t info = {0};
    s_expect_error (s_call (WF_MSG_SYSTEM_INFO, &info), WF_ERR_BAD_REQUEST);
    //  The admin role, as `walletflow admin grant` sets it.
    assert_int_equal (wf_identity_store_set_role (s_fx.conn, fay.email, "Admin"), WF_STORE_OK);
    assert_int_equal (wf_identity_store_set_role (s_fx.conn, "none@example.com", "Admin"),
                      WF_STORE_NOT_FOUND);
    assert_int_equal (s_login (fay.email, PASSWORD, "10.0.0.6"), WF_MSG_IDENTITY_AUTH_REPLY);
    assert_true (wf_str_eq (s_fx.reply.identity_auth_reply.role, "Admin"));
}

static void
test_pool_bound (void **state)
{
    //  A second service instance whose hashing is slow (tens of ms) and whose
    //  pool takes 2 jobs: a burst gets BUSY at once, with a Retry-After, and
    //  every request is answered.
    enum { BURST = 12 };
    wf_password_config_t slow = {3, 16 * 1024 * 1024};
    wf_password_t *password = wf_password_new (&slow);
    wf_broker_config_t broker_config = {.endpoint = "inproc://it-identity-busy",
                                        .heartbeat_interval_ms = 200};
    zactor_t *broker = zactor_new (wf_broker_actor, &broker_config);
    wf_identity_config_t config = s_fx.identity_config;
    config.broker_endpoint = broker_config.endpoint;
    config.password = password;
    zactor_t *identity = zactor_new (wf_identity_actor, &config);
    wf_mdp_client_t *main_client = s_fx.client;
    s_fx.client = wf_mdp_client_new (broker_config.endpoint);
    char emails[BURST][64];
    for (int index = 0; index < BURST; index++) {
        snprintf (emails[index], sizeof emails[index], "burst%d.%u@example.com", index,
                  randombytes_random ());
        wf_identity_register_t msg = {.email = wf_str_c (emails[index]),
                                      .first_name = WF_STR ("B"),
                                      .last_name = WF_STR ("U"),
                                      .password = WF_STR (PASSWORD)};
        s_send (WF_MSG_IDENTITY_REGISTER, &msg);
    }
    int created = 0, busy = 0;
    for (int index = 0; index < BURST; index++) {
        wf_msg_id_t type = s_receive ();
        if (type == WF_MSG_IDENTITY_AUTH_REPLY) {
            created++;
        } else {
            s_expect_error (type, WF_ERR_BUSY);
            assert_true (s_fx.reply.error.retry_after_s >= 1);
            busy++;
        }
    }
    print_message ("burst of %d: %d created, %d busy\n", BURST, created, busy);
    zmsg_destroy (&s_fx.last);
    wf_mdp_client_destroy (&s_fx.client);
    s_fx.client = main_client;
    zactor_destroy (&identity);
    zactor_destroy (&broker);
    wf_password_destroy (&password);
    assert_int_equal (created + busy, BURST);
    assert_true (created >= 2);
    assert_true (busy >= 1);
}

static void
test_rehash (void **state)
{
    //  A user whose hash was made with weaker factors gets a new one at login.
    wf_password_config_t weak = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
    wf_password_t *old = wf_password_new (&weak);
    char hash[WF_HASH_STRING_BYTES_MAX + 1];
    assert_int_equal (wf_password_hash (old, PASSWORD, strlen (PASSWORD), hash), 0);
    wf_password_destroy (&old);
    assert_true (wf_password_needs_rehash (s_fx.password, hash));
    char id[37], email[64], sql[512];
    wf_uuid_v4 (id);
    snprintf (email, sizeof email, "old.%u@example.com", randombytes_random ());
    snprintf (sql, sizeof sql,
              "INSERT INTO users (id, email, first_name, last_name, password_hash)"
              " VALUES ('%s', '%s', 'Old', 'Hash', '%s')",
              id, email, hash);
    free (s_sql (sql));
    assert_int_equal (s_login (email, PASSWORD, "10.0.0.7"), WF_MSG_IDENTITY_AUTH_REPLY);
    //  The re-hash runs after the reply: wait for it, bounded.
    snprintf (sql, sizeof sql, "SELECT password_hash FROM users WHERE id = '%s'", id);
    int64_t end = zclock_mono () + WAIT_MS;
    char *stored = s_sql (sql);
    while (strcmp (stored, hash) == 0 && zclock_mono () < end) {
        free (stored);
        zclock_sleep (20);
        stored = s_sql (sql);
    }
    assert_string_not_equal (stored, hash);
    assert_false (wf_password_needs_rehash (s_fx.password, stored));
    free (stored);
    assert_int_equal (s_login (email, PASSWORD, "10.0.0.7"), WF_MSG_IDENTITY_AUTH_REPLY);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_register),
        cmocka_unit_test (test_login_and_limits),
        cmocka_unit_test (test_limits_without_redis),
        cmocka_unit_test (test_refresh_rotation),
        cmocka_unit_test (test_logout_and_user),
        cmocka_unit_test (test_pool_bound),
        cmocka_unit_test (test_rehash),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
