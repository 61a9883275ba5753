/*  wf_front_auth - the identity part of the HTTP API, and bearer-token checks.

    Register and login bodies are validated here with the identity service's
    own rules (wf_identity_validate), so a bad request costs no round trip and
    its 400 lists every broken rule per field; the identity service checks
    the normalized fields again. Tokens are never logged: a refused bearer
    token logs only the reason (wf_jwt_reason_name).

    Routes:
        POST /api/auth/register  {email, firstName, lastName, password, confirmPassword?}
                                 -> 201 AuthResponse, Location: /api/users/{id}
        POST /api/auth/login     {email, password}              -> 200 AuthResponse
        POST /api/auth/refresh   {refreshToken, accessToken?}   -> 200 AuthResponse
        POST /api/auth/logout    {refreshToken}                 -> 204
        GET  /api/auth/me                                       -> 200 UserDto (bearer)
        GET  /api/users/{id}     (only the caller's own id; any other is 404)
    AuthResponse = {accessToken, refreshToken, expiresAt, user: {id, email,
    firstName, lastName, role, status}}; UserDto adds createdAt. Times are
    ISO-8601 UTC with milliseconds and `Z`.
*/
#include "wf_front_auth.h"
#include "wf_front_json.h"
#include "wf_identity_validate.h"
#include "wf_jwt_cache.h"
#include "wf_log.h"
#include "wf_problem.h"
#include "wf_refresh_token.h"
#include <jansson.h>
#include <strings.h>
#include <time.h>

#define S_CHALLENGE         "Bearer"
#define S_CHALLENGE_INVALID "Bearer error=\"invalid_token\""
#define S_BAD_REFRESH_TOKEN "The refresh token is invalid, expired or revoked."
#define S_ISO8601_BYTES     32
#define S_JSON_FLAGS        (JSON_COMPACT | JSON_PRESERVE_ORDER)

//  Answers 401 with a Bearer challenge.
static void
s_unauthorized (const wf_http_request_t *req, wf_http_response_t *resp, const char *challenge,
                const char *detail)
{
    wf_http_respond_problem (resp, req, 401, wf_err_title (WF_ERR_UNAUTHORIZED), detail);
    wf_http_add_header (resp, "www-authenticate:", challenge);
}

int
wf_front_auth_require (wf_front_http_t *http, const wf_http_request_t *req,
                       wf_http_response_t *resp, wf_jwt_claims_t *claims)
{
    const char *header = req->authorization ? req->authorization : "";
    if (strncasecmp (header, "Bearer ", 7) != 0) {
        memset (claims, 0, sizeof *claims);
        s_unauthorized (req, resp, S_CHALLENGE, "an access token is required");
        return -1;
    }
    const char *token = header + 7;
    while (*token == ' ') {
        token++;
    }
    size_t len = strlen (token);
    while (len > 0 && token[len - 1] == ' ') {
        len--;
    }
    wf_jwt_cache_t *cache = wf_front_http_jwt_cache (http);
    wf_jwt_reason_t reason = WF_JWT_MALFORMED;
    if (cache) {
        reason = wf_jwt_cache_verify (cache, token, len, wf_clock_ms () / 1000, claims);
    } else {
        memset (claims, 0, sizeof *claims);
    }
    if (reason != WF_JWT_OK) {
        wf_log (WF_LOG_INFO, "front", "token_refused", req->request_id, "reason=%s",
                wf_jwt_reason_name (reason));
        s_unauthorized (req, resp, S_CHALLENGE_INVALID, "the access token is invalid or expired");
        return -1;
    }
    return 0;
}

//  Reads an optional string member. Absent or null: a NULL slice. Another
//  type: a NULL slice and an error for the field.
static wf_str_t
s_string (json_t *root, const char *field, const char *message, wf_identity_errors_t *errors)
{
    json_t *value = json_object_get (root, field);
    if (json_is_string (value)) {
        return (wf_str_t){json_string_value (value), json_string_length (value)};
    }
    if (value && !json_is_null (value) && errors->count < WF_IDENTITY_ERRORS_MAX) {
        errors->items[errors->count++] = (wf_identity_field_error_t){field, message};
    }
    return (wf_str_t){NULL, 0};
}

//  Answers 400 with the type errors, then the rule errors of the other fields.
static void
s_validation_problem (const wf_http_request_t *req, wf_http_response_t *resp,
                      const wf_identity_errors_t *type_errors, const wf_identity_errors_t *errors)
{
    wf_field_error_t items[WF_IDENTITY_ERRORS_MAX * 2];
    size_t count = 0;
    for (size_t index = 0; index < type_errors->count; index++) {
        items[count++] =
            (wf_field_error_t){.field = wf_str_c (type_errors->items[index].field),
                               .message = wf_str_c (type_errors->items[index].message)};
    }
    for (size_t index = 0; index < errors->count; index++) {
        bool typed = false;
        for (size_t other = 0; other < type_errors->count; other++) {
            typed =
                typed || strcmp (type_errors->items[other].field, errors->items[index].field) == 0;
        }
        if (!typed) {
            items[count++] = (wf_field_error_t){.field = wf_str_c (errors->items[index].field),
                                                .message = wf_str_c (errors->items[index].message)};
        }
    }
    free (resp->body);
    resp->status = 400;
    resp->content_type = "application/problem+json; charset=utf-8";
    resp->body = wf_problem_render (400, wf_err_title (WF_ERR_VALIDATION), NULL, req->trace_id,
                                    items, count);
    resp->body_len = strlen (resp->body);
}

//  Sends msg to the identity service; answers 503 when the front cannot.
static wf_handler_result_t
s_call (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp,
        wf_msg_id_t type, const void *msg)
{
    if (wf_front_http_call (http, "identity", type, msg) != 0) {
        wf_http_respond_problem (resp, req, 503, wf_err_title (WF_ERR_UNAVAILABLE),
                                 "the front is overloaded");
        return WF_HANDLER_DONE;
    }
    return WF_HANDLER_PENDING;
}

//  POST /api/auth/register
static wf_handler_result_t
s_register (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    json_t *root;
    if (wf_front_json_parse (req, resp, &root) != 0) {
        return WF_HANDLER_DONE;
    }
    wf_identity_errors_t type_errors, errors;
    wf_identity_errors_reset (&type_errors);
    wf_identity_errors_reset (&errors);
    wf_identity_register_input_t input = {
        s_string (root, "email", "The Email field must be a string.", &type_errors),
        s_string (root, "firstName", "The FirstName field must be a string.", &type_errors),
        s_string (root, "lastName", "The LastName field must be a string.", &type_errors),
        s_string (root, "password", "The Password field must be a string.", &type_errors),
        s_string (root, "confirmPassword", "The ConfirmPassword field must be a string.",
                  &type_errors),
    };
    wf_identity_register_output_t output;
    wf_handler_result_t result = WF_HANDLER_DONE;
    if (wf_identity_validate_register (&input, &output, &errors) != 0 || type_errors.count > 0) {
        s_validation_problem (req, resp, &type_errors, &errors);
    } else {
        wf_identity_register_t msg = {
            .email = wf_str_c (output.email),
            .first_name = wf_str_c (output.first_name),
            .last_name = wf_str_c (output.last_name),
            .password = input.password,
            .client_ip = wf_str_c (req->client_ip),
        };
        result = s_call (http, req, resp, WF_MSG_IDENTITY_REGISTER, &msg);
    }
    json_decref (root);
    return result;
}

//  POST /api/auth/login
static wf_handler_result_t
s_login (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    json_t *root;
    if (wf_front_json_parse (req, resp, &root) != 0) {
        return WF_HANDLER_DONE;
    }
    wf_identity_errors_t type_errors, errors;
    wf_identity_errors_reset (&type_errors);
    wf_identity_errors_reset (&errors);
    wf_str_t email = s_string (root, "email", "The Email field must be a string.", &type_errors);
    wf_str_t password =
        s_string (root, "password", "The Password field must be a string.", &type_errors);
    char normalized[WF_EMAIL_BYTES_MAX + 1];
    wf_handler_result_t result = WF_HANDLER_DONE;
    if (wf_identity_validate_login (email, password, normalized, &errors) != 0 ||
        type_errors.count > 0) {
        s_validation_problem (req, resp, &type_errors, &errors);
    } else {
        wf_identity_login_t msg = {
            .email = wf_str_c (normalized),
            .password = password,
            .client_ip = wf_str_c (req->client_ip),
        };
        result = s_call (http, req, resp, WF_MSG_IDENTITY_LOGIN, &msg);
    }
    json_decref (root);
    return result;
}

//  Reads the required refreshToken member; 0, or -1 with a 400 set.
static int
s_refresh_token_field (const wf_http_request_t *req, wf_http_response_t *resp, json_t *root,
                       wf_str_t *token)
{
    wf_identity_errors_t type_errors, errors;
    wf_identity_errors_reset (&type_errors);
    wf_identity_errors_reset (&errors);
    *token =
        s_string (root, "refreshToken", "The RefreshToken field must be a string.", &type_errors);
    if (!token->ptr || token->len == 0) {
        errors.items[errors.count++] =
            (wf_identity_field_error_t){"refreshToken", "The RefreshToken field is required."};
    }
    if (type_errors.count > 0 || errors.count > 0) {
        s_validation_problem (req, resp, &type_errors, &errors);
        return -1;
    }
    return 0;
}

//  POST /api/auth/refresh
static wf_handler_result_t
s_refresh (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    json_t *root;
    if (wf_front_json_parse (req, resp, &root) != 0) {
        return WF_HANDLER_DONE;
    }
    wf_str_t token;
    wf_handler_result_t result = WF_HANDLER_DONE;
    if (s_refresh_token_field (req, resp, root, &token) == 0) {
        wf_identity_errors_t type_errors;
        wf_identity_errors_reset (&type_errors);
        wf_str_t access =
            s_string (root, "accessToken", "The AccessToken field must be a string.", &type_errors);
        if (type_errors.count > 0) {
            wf_identity_errors_t none;
            wf_identity_errors_reset (&none);
            s_validation_problem (req, resp, &type_errors, &none);
        } else if (wf_refresh_token_check (token.ptr, token.len) != 0 ||
                   access.len > WF_JWT_TOKEN_BYTES_MAX) {
            //  Not a token we could have issued: no need to ask.
            wf_http_respond_problem (resp, req, 401, wf_err_title (WF_ERR_UNAUTHORIZED),
                                     S_BAD_REFRESH_TOKEN);
        } else {
            wf_identity_refresh_t msg = {
                .refresh_token = token,
                .access_token = access,
                .client_ip = wf_str_c (req->client_ip),
            };
            result = s_call (http, req, resp, WF_MSG_IDENTITY_REFRESH, &msg);
        }
    }
    json_decref (root);
    return result;
}

//  POST /api/auth/logout
static wf_handler_result_t
s_logout (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    json_t *root;
    if (wf_front_json_parse (req, resp, &root) != 0) {
        return WF_HANDLER_DONE;
    }
    wf_str_t token;
    wf_handler_result_t result = WF_HANDLER_DONE;
    if (s_refresh_token_field (req, resp, root, &token) == 0) {
        if (wf_refresh_token_check (token.ptr, token.len) != 0) {
            wf_front_json_field_error (req, resp, "refreshToken",
                                       "The RefreshToken field is not a valid refresh token.");
        } else {
            wf_identity_logout_t msg = {.refresh_token = token};
            result = s_call (http, req, resp, WF_MSG_IDENTITY_LOGOUT, &msg);
        }
    }
    json_decref (root);
    return result;
}

//  GET /api/auth/me
static wf_handler_result_t
s_me (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_jwt_claims_t claims;
    if (wf_front_auth_require (http, req, resp, &claims) != 0) {
        return WF_HANDLER_DONE;
    }
    wf_identity_user_t msg = {.user_id = wf_str_c (claims.sub)};
    return s_call (http, req, resp, WF_MSG_IDENTITY_USER, &msg);
}

//  GET /api/users/{id}: a user may read only themself; anyone else is 404,
//  so ids cannot be probed.
static wf_handler_result_t
s_user (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_jwt_claims_t claims;
    if (wf_front_auth_require (http, req, resp, &claims) != 0) {
        return WF_HANDLER_DONE;
    }
    wf_str_t id = req->match.params[0];
    if (id.len != strlen (claims.sub) || strncasecmp (id.ptr, claims.sub, id.len) != 0) {
        wf_http_respond_problem (resp, req, 404, wf_err_title (WF_ERR_NOT_FOUND), "no such user");
        return WF_HANDLER_DONE;
    }
    wf_identity_user_t msg = {.user_id = wf_str_c (claims.sub)};
    return s_call (http, req, resp, WF_MSG_IDENTITY_USER, &msg);
}

//  Writes ms since the epoch as ISO-8601 UTC with milliseconds and `Z`.
static const char *
s_iso8601 (int64_t ms, char *out)
{
    time_t seconds = (time_t) (ms / 1000);
    struct tm utc;
    gmtime_r (&seconds, &utc);
    size_t len = strftime (out, S_ISO8601_BYTES, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf (out + len, S_ISO8601_BYTES - len, ".%03dZ", (int) (ms % 1000));
    return out;
}

//  A JSON string from a slice.
static json_t *
s_json_str (wf_str_t text)
{
    json_t *value = json_stringn (text.ptr ? text.ptr : "", text.len);
    return value ? value : json_string ("");
}

//  The user object of an AuthResponse or a UserDto (with createdAt).
static json_t *
s_user_json (wf_str_t id, wf_str_t email, wf_str_t first_name, wf_str_t last_name, wf_str_t role,
             wf_str_t status, int64_t created_at_ms)
{
    json_t *user = json_object ();
    json_object_set_new (user, "id", s_json_str (id));
    json_object_set_new (user, "email", s_json_str (email));
    json_object_set_new (user, "firstName", s_json_str (first_name));
    json_object_set_new (user, "lastName", s_json_str (last_name));
    json_object_set_new (user, "role", s_json_str (role));
    json_object_set_new (user, "status", s_json_str (status));
    if (created_at_ms >= 0) {
        char created[S_ISO8601_BYTES];
        json_object_set_new (user, "createdAt", json_string (s_iso8601 (created_at_ms, created)));
    }
    return user;
}

//  Answers 502 when a reply is not of the expected type; returns -1 then.
static int
s_expect (const wf_http_request_t *req, const wf_envelope_t *env, wf_msg_id_t type,
          wf_http_response_t *resp)
{
    if (env->type == type) {
        return 0;
    }
    wf_http_respond_problem (resp, req, 502, wf_err_title (WF_ERR_PROTOCOL),
                             "unexpected reply type");
    return -1;
}

//  Renders an AuthResponse with status.
static void
s_auth_response (const wf_http_request_t *req, const wf_envelope_t *env, const wf_any_msg_t *body,
                 wf_http_response_t *resp, int status)
{
    if (s_expect (req, env, WF_MSG_IDENTITY_AUTH_REPLY, resp) != 0) {
        return;
    }
    const wf_identity_auth_reply_t *reply = &body->identity_auth_reply;
    char expires[S_ISO8601_BYTES];
    json_t *root = json_object ();
    json_object_set_new (root, "accessToken", s_json_str (reply->access_token));
    json_object_set_new (root, "refreshToken", s_json_str (reply->refresh_token));
    json_object_set_new (root, "expiresAt",
                         json_string (s_iso8601 (reply->expires_at_s * 1000, expires)));
    json_object_set_new (root, "user",
                         s_user_json (reply->user_id, reply->email, reply->first_name,
                                      reply->last_name, reply->role, reply->status, -1));
    wf_http_respond_json (resp, status, json_dumps (root, S_JSON_FLAGS));
    json_decref (root);
    //  Tokens must not be cached anywhere on the way (RFC 6749 section 5.1).
    wf_http_add_header (resp, "cache-control:", "no-store");
    if (status == 201) {
        char location[WF_USER_ID_BYTES_MAX + 16];
        snprintf (location, sizeof location, "/api/users/%.*s", (int) reply->user_id.len,
                  reply->user_id.ptr ? reply->user_id.ptr : "");
        wf_http_add_header (resp, "location:", location);
    }
}

static void
s_register_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                  const wf_any_msg_t *body, wf_http_response_t *resp)
{
    s_auth_response (req, env, body, resp, 201);
}

static void
s_token_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
               const wf_any_msg_t *body, wf_http_response_t *resp)
{
    s_auth_response (req, env, body, resp, 200);
}

static void
s_logout_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (s_expect (req, env, WF_MSG_IDENTITY_LOGOUT_REPLY, resp) == 0) {
        wf_http_respond_text (resp, 204, NULL, "");
    }
}

static void
s_user_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
              const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (s_expect (req, env, WF_MSG_IDENTITY_USER_REPLY, resp) != 0) {
        return;
    }
    const wf_identity_user_reply_t *reply = &body->identity_user_reply;
    json_t *root = s_user_json (reply->user_id, reply->email, reply->first_name, reply->last_name,
                                reply->role, reply->status, reply->created_at_ms);
    wf_http_respond_json (resp, 200, json_dumps (root, S_JSON_FLAGS));
    json_decref (root);
    wf_http_add_header (resp, "cache-control:", "no-store");
}

static const wf_front_route_def_t s_routes[] = {
    {{WF_HTTP_POST, "/api/auth/register", 0}, "/api/auth/register", s_register, s_register_reply},
    {{WF_HTTP_POST, "/api/auth/login", 0}, "/api/auth/login", s_login, s_token_reply},
    {{WF_HTTP_POST, "/api/auth/refresh", 0}, "/api/auth/refresh", s_refresh, s_token_reply},
    {{WF_HTTP_POST, "/api/auth/logout", 0}, "/api/auth/logout", s_logout, s_logout_reply},
    {{WF_HTTP_GET, "/api/auth/me", 0}, "/api/auth/me", s_me, s_user_reply},
    {{WF_HTTP_GET, "/api/users/{id}", 0}, "/api/users/{id}", s_user, s_user_reply},
};

const wf_front_route_def_t *
wf_front_auth_routes (size_t *count)
{
    *count = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}
