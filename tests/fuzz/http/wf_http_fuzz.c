/*  wf_http_fuzz - libFuzzer target for the HTTP API as the front sees a request.

    The input is a request in a readable form, what libwebsockets hands the
    front after its own header parsing:

        POST /api/accounts/<id>/deposit?limit=5
        authorization: Bearer $ALICE
        content-type: application/json
        idempotency-key: k1

        {"amount":"100.50"}
        --reply--
        <first byte: reply message type><msgpack body of the service's reply>

    The target routes it through the front's real route table
    (wf_route_match over wf_front_routes_system, wf_front_account_routes and
    wf_front_auth_routes) and runs the real handler: bearer-token check
    (wf_front_auth_require through a wf_jwt_cache), content type, strict JSON
    scan and jansson, every field rule, query parameters, Idempotency-Key.
    `$ALICE`, `$BOB` and `$ADMIN` in the authorization header stand for valid
    tokens of those users, `$EXPIRED` for an expired one of Alice. A handler
    that calls a service is answered with the bytes after "--reply--" decoded
    as that service's reply (when they decode), run through the route's reply
    handler.

    Properties checked on every input:
    - a route match's parameters lie inside the path and hold no '/';
    - an answer has a status 200..599 and a body of body_len bytes (none for
      204); a JSON or problem+json body parses as JSON;
    - a handler that calls a service calls exactly one, with a body that
      survives encode -> decode -> equal (so it is a valid wire message);
    - authorization: a call on behalf of a user carries exactly the subject of
      the token presented, and a call needing a user is never made without a
      valid token; an account command's amount is the exact text of at most
      64 bytes the client sent (never a re-formatted number).

    The libwebsockets thread (wf_front_http.c) is not linked: the functions of
    wf_front_http.h the handlers use are provided here (the response helpers
    do what the front's do). The hub's negotiate route and the web page are
    left out of the table (the signalr target covers the hub's parsers).
    Built only with -DWF_FUZZ=ON (clang).
*/
#define _GNU_SOURCE //  memmem
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <strings.h>
#include "../common/wf_fuzz.h"
#include "wf_account_aggregate.h"
#include "wf_front_accounts.h"
#include "wf_front_auth.h"
#include "wf_front_routes.h"
#include "wf_jwt_cache.h"
#include "wf_problem.h"

#define S_KEY            "fuzz-key-0123456789-0123456789-0123"
#define S_ALICE          "11111111-1111-4111-8111-111111111111"
#define S_BOB            "22222222-2222-4222-8222-222222222222"
#define S_ADMIN          "33333333-3333-4333-8333-333333333333"
#define S_REPLY_MARK     "\n--reply--\n"
#define S_ROUTES_MAX     64
#define S_TEXT_BYTES_MAX 8192 //  a header or path longer than this is cut, as lws would refuse it

//  What lives in the front's HTTP thread, reduced to what the handlers use.
struct _wf_front_http_t {
    wf_front_http_config_t config;
    wf_jwt_t *jwt;
    wf_jwt_cache_t *jwt_cache;
    //  The one call of the current request
    int calls;
    wf_msg_id_t call_type;
    char call_service[64];
    wf_buf_t call_body;
};

static wf_front_http_t s_http;
static wf_front_route_def_t s_defs[S_ROUTES_MAX];
static wf_route_t s_routes[S_ROUTES_MAX];
static size_t s_routes_count;
static char s_token_alice[WF_JWT_TOKEN_BYTES_MAX + 1], s_token_bob[WF_JWT_TOKEN_BYTES_MAX + 1],
    s_token_admin[WF_JWT_TOKEN_BYTES_MAX + 1], s_token_expired[WF_JWT_TOKEN_BYTES_MAX + 1];

//  --- The part of wf_front_http.h the handlers call (responses: wf_http_response.c) ---

const char *
wf_front_http_health (wf_front_http_t *http)
{
    return NULL;
}

const char *
wf_front_http_metrics_others (wf_front_http_t *http)
{
    return NULL;
}

char *
wf_front_http_metrics_own (wf_front_http_t *http)
{
    return strdup ("");
}

const wf_front_http_config_t *
wf_front_http_config (wf_front_http_t *http)
{
    return &http->config;
}

wf_jwt_cache_t *
wf_front_http_jwt_cache (wf_front_http_t *http)
{
    return http->jwt_cache;
}

//  Records the call; its body must encode (the front would send it).
int
wf_front_http_call (wf_front_http_t *http, const char *service, wf_msg_id_t type, const void *body)
{
    WF_FUZZ_CHECK (http->calls == 0); //  one request, one call
    http->calls++;
    http->call_type = type;
    snprintf (http->call_service, sizeof http->call_service, "%s", service);
    wf_buf_reset (&http->call_body);
    WF_FUZZ_CHECK (wf_body_encode (type, body, &http->call_body) == 0);
    return 0;
}

//  The hub's negotiate route and the web page are not part of this target.
const wf_front_route_def_t *
wf_front_hub_routes (size_t *count)
{
    *count = 0;
    return NULL;
}

const wf_front_route_def_t *
wf_front_web_routes (size_t *count)
{
    *count = 0;
    return NULL;
}

//  --- The target -------------------------------------------------------------

//  Issues a token for user id at now_s into token.
static void
s_issue (const char *id, const char *role, int64_t now_s, char *token)
{
    wf_jwt_subject_t subject = {id, "user@example.com", "First", "Last", role};
    int64_t exp_s;
    WF_FUZZ_CHECK (
        wf_jwt_issue (s_http.jwt, &subject, now_s, token, WF_JWT_TOKEN_BYTES_MAX + 1, &exp_s) == 0);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    setenv ("WF_LOG_LEVEL", "error", 1);
    WF_FUZZ_CHECK (sodium_init () >= 0);
    wf_jwt_config_t jwt = {(const uint8_t *) S_KEY, strlen (S_KEY), NULL, NULL, 0, 0};
    s_http.jwt = wf_jwt_new (&jwt);
    s_http.jwt_cache = wf_jwt_cache_new (s_http.jwt, 64);
    s_http.config.jwt = s_http.jwt;
    s_http.config.account_shards = 4;
    wf_buf_init (&s_http.call_body);
    int64_t now_s = wf_clock_ms () / 1000;
    //  Tokens live 15 minutes: plenty for a short run; a long run re-issues them.
    s_issue (S_ALICE, "User", now_s, s_token_alice);
    s_issue (S_BOB, "User", now_s, s_token_bob);
    s_issue (S_ADMIN, "Admin", now_s, s_token_admin);
    s_issue (S_ALICE, "User", now_s - 7200, s_token_expired);
    const wf_front_routes_fn providers[] = {wf_front_routes_system, wf_front_account_routes,
                                            wf_front_auth_routes};
    for (size_t p = 0; p < sizeof providers / sizeof providers[0]; p++) {
        size_t n;
        const wf_front_route_def_t *part = providers[p](&n);
        for (size_t i = 0; i < n; i++) {
            WF_FUZZ_CHECK (s_routes_count < S_ROUTES_MAX);
            s_defs[s_routes_count] = part[i];
            s_routes[s_routes_count] = part[i].route;
            s_routes[s_routes_count].id = (int) s_routes_count;
            s_routes_count++;
        }
    }
    return 0;
}

//  Re-issues the tokens when they are about to expire (long runs).
static void
s_tokens_fresh (void)
{
    static int64_t issued_s;
    int64_t now_s = wf_clock_ms () / 1000;
    if (issued_s == 0)
        issued_s = now_s;
    if (now_s - issued_s < 600)
        return;
    issued_s = now_s;
    s_issue (S_ALICE, "User", now_s, s_token_alice);
    s_issue (S_BOB, "User", now_s, s_token_bob);
    s_issue (S_ADMIN, "Admin", now_s, s_token_admin);
}

//  The request as the front's handlers see it, with its buffers.
typedef struct {
    wf_http_request_t req;
    char path[S_TEXT_BYTES_MAX];
    char query[S_TEXT_BYTES_MAX];
    char authorization[S_TEXT_BYTES_MAX];
    char content_type[S_TEXT_BYTES_MAX];
    char idempotency_key[S_TEXT_BYTES_MAX];
    char *body;
    const char *token_user; //  the subject of a valid token presented, else NULL
    const char *token_role;
} s_request_t;

//  Copies a slice as a NUL-terminated string, cut at the first NUL (lws
//  strings are C strings) and at the buffer's size.
static void
s_copy (char *dst, size_t size, const char *src, size_t len)
{
    size_t n = 0;
    while (n < len && n + 1 < size && src[n])
        n++;
    memcpy (dst, src, n);
    dst[n] = 0;
}

//  Maps a method word to the front's enum, as lws's URI tokens do.
static wf_http_method_t
s_method (const char *word, size_t len)
{
    static const char *names[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
    for (size_t m = 0; m < sizeof names / sizeof names[0]; m++)
        if (len == strlen (names[m]) && memcmp (word, names[m], len) == 0)
            return (wf_http_method_t) m;
    return WF_HTTP_METHOD_OTHER;
}

//  Replaces a token placeholder in the authorization header.
static void
s_authorization (s_request_t *r)
{
    static const struct {
        const char *word;
        const char *token;
        const char *user;
        const char *role;
    } tokens[] = {{"$ALICE", s_token_alice, S_ALICE, "User"},
                  {"$BOB", s_token_bob, S_BOB, "User"},
                  {"$ADMIN", s_token_admin, S_ADMIN, "Admin"},
                  {"$EXPIRED", s_token_expired, NULL, NULL}};
    char *mark = strchr (r->authorization, '$');
    if (!mark)
        return;
    for (size_t t = 0; t < sizeof tokens / sizeof tokens[0]; t++) {
        size_t len = strlen (tokens[t].word);
        if (strncmp (mark, tokens[t].word, len) == 0) {
            char rest[S_TEXT_BYTES_MAX];
            snprintf (rest, sizeof rest, "%s", mark + len);
            *mark = 0;
            char joined[S_TEXT_BYTES_MAX];
            snprintf (joined, sizeof joined, "%s%s%s", r->authorization, tokens[t].token, rest);
            snprintf (r->authorization, sizeof r->authorization, "%s", joined);
            //  Only "Bearer <token>" (any case, spaces around the token) is that user.
            const char *start = r->authorization + 7 + strspn (r->authorization + 7, " ");
            size_t token_len = strlen (tokens[t].token);
            bool exact = strncasecmp (r->authorization, "Bearer ", 7) == 0 &&
                         strncmp (start, tokens[t].token, token_len) == 0 &&
                         start[token_len + strspn (start + token_len, " ")] == 0;
            if (exact) {
                r->token_user = tokens[t].user;
                r->token_role = tokens[t].role;
            }
            return;
        }
    }
}

//  Parses the readable request form; returns the reply section or {NULL, 0}.
static wf_fuzz_field_t
s_parse (const uint8_t *data, size_t size, s_request_t *r)
{
    memset (&r->req, 0, sizeof r->req);
    r->path[0] = r->query[0] = r->authorization[0] = r->content_type[0] = 0;
    r->idempotency_key[0] = 0;
    r->body = NULL;
    r->token_user = r->token_role = NULL;
    wf_fuzz_field_t reply = {NULL, 0};
    const char *text = (const char *) data;
    const char *mark = (const char *) memmem (text, size, S_REPLY_MARK, strlen (S_REPLY_MARK));
    if (mark) {
        reply.ptr = mark + strlen (S_REPLY_MARK);
        reply.len = size - (size_t) (reply.ptr - text);
        size = (size_t) (mark - text);
    }
    const char *end = text + size;
    const char *line_end = (const char *) memchr (text, '\n', size);
    if (!line_end)
        line_end = end;
    //  Request line: METHOD SP target
    const char *space = (const char *) memchr (text, ' ', (size_t) (line_end - text));
    const char *target = space ? space + 1 : line_end;
    r->req.method = s_method (text, (size_t) ((space ? space : line_end) - text));
    const char *question = (const char *) memchr (target, '?', (size_t) (line_end - target));
    const char *path_end = question ? question : line_end;
    s_copy (r->path, sizeof r->path, target, (size_t) (path_end - target));
    if (question)
        s_copy (r->query, sizeof r->query, question + 1, (size_t) (line_end - question - 1));
    //  Headers until an empty line, then the body.
    const char *at = line_end < end ? line_end + 1 : end;
    while (at < end) {
        const char *eol = (const char *) memchr (at, '\n', (size_t) (end - at));
        if (!eol)
            eol = end;
        if (eol == at) {
            at++;
            if (at < end) {
                r->body = (char *) malloc ((size_t) (end - at) + 1);
                memcpy (r->body, at, (size_t) (end - at));
                r->body[end - at] = 0;
                r->req.body = r->body;
                r->req.body_len = (size_t) (end - at);
            }
            break;
        }
        const char *colon = (const char *) memchr (at, ':', (size_t) (eol - at));
        if (colon) {
            size_t name_len = (size_t) (colon - at);
            const char *value = colon + 1;
            while (value < eol && *value == ' ')
                value++;
            size_t value_len = (size_t) (eol - value);
            if (name_len == 13 && strncasecmp (at, "authorization", 13) == 0)
                s_copy (r->authorization, sizeof r->authorization, value, value_len);
            else if (name_len == 12 && strncasecmp (at, "content-type", 12) == 0)
                s_copy (r->content_type, sizeof r->content_type, value, value_len);
            else if (name_len == 15 && strncasecmp (at, "idempotency-key", 15) == 0)
                s_copy (r->idempotency_key, sizeof r->idempotency_key, value, value_len);
            else if (name_len == 6 && strncasecmp (at, "accept", 6) == 0)
                r->req.accept_json = memmem (value, value_len, "application/json", 16) != NULL;
        }
        at = eol + 1;
    }
    s_authorization (r);
    r->req.path = r->path;
    r->req.query = r->query;
    r->req.authorization = r->authorization;
    r->req.content_type = r->content_type;
    r->req.idempotency_key = r->idempotency_key;
    r->req.request_id = "fuzz";
    r->req.trace_id = "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01";
    r->req.client_ip = "192.0.2.1";
    return reply;
}

//  Checks an answer: a real status, a body of body_len bytes, JSON when it says so.
static void
s_check_response (const wf_http_response_t *resp)
{
    WF_FUZZ_CHECK (resp->status >= 200 && resp->status <= 599);
    if (resp->status == 204) {
        WF_FUZZ_CHECK (resp->body_len == 0); //  no content, and the writer sends none
        return;
    }
    WF_FUZZ_CHECK (resp->body && resp->content_type);
    WF_FUZZ_CHECK (strlen (resp->body) == resp->body_len);
    if (strstr (resp->content_type, "json")) {
        json_error_t error;
        //  \u0000 is valid JSON (a worker's text may hold it); jansson needs leave to read it.
        json_t *doc =
            json_loadb (resp->body, resp->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
        //  ...but not in an object key, which is still valid JSON (a worker's field name).
        bool nul_key = !doc && json_error_code (&error) == json_error_null_byte_in_key;
        if (!doc && !nul_key)
            fprintf (stderr, "not JSON: %s\n", resp->body);
        WF_FUZZ_CHECK (doc != NULL || nul_key);
        json_decref (doc);
    }
}

//  Checks the one call a handler made: a valid wire body on behalf of the
//  token's user.
static void
s_check_call (const s_request_t *r)
{
    static wf_any_msg_t msg, again; //  large: kept out of each run's stack
    wf_codec_err_t err;
    wf_msg_id_t type = s_http.call_type;
    WF_FUZZ_CHECK (
        wf_body_decode (type, s_http.call_body.data, s_http.call_body.size, &msg, &err) == 0);
    WF_FUZZ_CHECK (
        wf_body_decode (type, s_http.call_body.data, s_http.call_body.size, &again, &err) == 0);
    WF_FUZZ_CHECK (wf_body_equal (type, &msg, &again));
    const wf_str_t *user = NULL;
    if (type == WF_MSG_ACCOUNT_COMMAND) {
        const wf_account_command_t *cmd = &msg.account_command;
        user = &cmd->user_id;
        WF_FUZZ_CHECK (wf_str_eq (cmd->role, r->token_role ? r->token_role : ""));
        bool money = wf_str_eq (cmd->kind, "deposit") || wf_str_eq (cmd->kind, "withdraw") ||
                     wf_str_eq (cmd->kind, "transfer");
        if (money) {
            //  The exact text the client sent: it occurs in the body as is.
            WF_FUZZ_CHECK (cmd->amount.len > 0 && cmd->amount.len <= 64);
            WF_FUZZ_CHECK (
                memmem (r->req.body, r->req.body_len, cmd->amount.ptr, cmd->amount.len) != NULL);
        }
        WF_FUZZ_CHECK (wf_account_uuid_valid (cmd->account_id));
        WF_FUZZ_CHECK (strncmp (s_http.call_service, "account.", 8) == 0);
    } else if (type == WF_MSG_ACCOUNT_QUERY) {
        user = &msg.account_query.user_id;
        WF_FUZZ_CHECK (msg.account_query.limit >= 0 && msg.account_query.limit <= 100);
    } else if (type == WF_MSG_IDENTITY_USER) {
        user = &msg.identity_user.user_id;
    }
    if (user) {
        //  Only a valid token's subject may be the user of a call.
        WF_FUZZ_CHECK (r->token_user != NULL);
        WF_FUZZ_CHECK (wf_str_eq (*user, r->token_user));
    }
}

//  Answers a pending call with the reply bytes, when they decode.
static void
s_reply (const s_request_t *r, const wf_front_route_def_t *def, wf_fuzz_field_t reply,
         wf_http_response_t *resp)
{
    if (!def->reply || reply.len < 1)
        return;
    wf_envelope_t env;
    memset (&env, 0, sizeof env);
    env.version = WF_PROTO_VERSION;
    env.type = (wf_msg_id_t) ((uint8_t) reply.ptr[0] % WF_MSG_COUNT);
    if (env.type == WF_MSG_NONE)
        return;
    static wf_any_msg_t reply_body; //  large: allocated once, as the HTTP thread does
    wf_any_msg_t *body = &reply_body;
    wf_codec_err_t err;
    if (wf_body_decode (env.type, (const uint8_t *) reply.ptr + 1, reply.len - 1, body, &err) ==
        0) {
        //  As the HTTP thread does: an error reply is answered for every route.
        if (env.type == WF_MSG_ERROR)
            wf_http_respond_error (resp, &r->req, &body->error);
        else
            def->reply (&s_http, &r->req, &env, body, resp);
        if (getenv ("WF_FUZZ_VERBOSE"))
            fprintf (stderr, "  reply %s -> %d %s\n", wf_msg_name (env.type), resp->status,
                     resp->body ? resp->body : "");
        s_check_response (resp);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_tokens_fresh ();
    static s_request_t request; //  its buffers are reused, not allocated per input
    s_request_t *r = &request;
    wf_fuzz_field_t reply = s_parse (data, size, r);
    wf_http_response_t resp;
    memset (&resp, 0, sizeof resp);
    char allow[64];
    size_t path_len = strlen (r->path);
    wf_route_result_t found = wf_route_match (s_routes, s_routes_count, r->req.method, r->path,
                                              path_len, &r->req.match, allow, sizeof allow);
    WF_FUZZ_CHECK (strlen (allow) < sizeof allow);
    if (found == WF_ROUTE_FOUND) {
        for (size_t p = 0; p < r->req.match.params_count; p++) {
            wf_str_t param = r->req.match.params[p];
            WF_FUZZ_CHECK (param.len > 0 && param.ptr >= r->path &&
                           param.ptr + param.len <= r->path + path_len);
            WF_FUZZ_CHECK (memchr (param.ptr, '/', param.len) == NULL);
        }
        const wf_front_route_def_t *def = &s_defs[r->req.match.route->id];
        s_http.calls = 0;
        wf_handler_result_t result = def->handle (&s_http, &r->req, &resp);
        if (getenv ("WF_FUZZ_VERBOSE"))
            fprintf (stderr, "%s %s -> %s %s %s\n", wf_http_method_name (r->req.method), r->path,
                     result == WF_HANDLER_PENDING ? "call" : "answer",
                     result == WF_HANDLER_PENDING ? s_http.call_service : "",
                     resp.body ? resp.body : "");
        if (result == WF_HANDLER_PENDING) {
            WF_FUZZ_CHECK (s_http.calls == 1);
            s_check_call (r);
            s_reply (r, def, reply, &resp);
        } else {
            WF_FUZZ_CHECK (s_http.calls == 0);
            s_check_response (&resp);
        }
    } else
        WF_FUZZ_CHECK (found == WF_ROUTE_NOT_FOUND || allow[0] != 0);
    free (resp.body);
    for (size_t h = 0; h < resp.headers_count; h++)
        free (resp.header_values[h]);
    free (r->body);
    return 0;
}
