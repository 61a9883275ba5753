/*  wf_front_hub_auth - who may use the hub: access tokens, the WebSocket
    upgrade check and the negotiate route.

    The access token comes from the access_token query parameter (what
    browsers must use: they cannot set headers on a WebSocket) or else from
    "Authorization: Bearer" (what Node clients and negotiate use). It is
    verified by wf_jwt_verify through a cache, exactly as the REST API does:
    HS256 with the server's key, iss, aud, exp and nbf.

    An upgrade refused here gets a problem+json answer written directly from
    LWS_CALLBACK_HTTP_CONFIRM_UPGRADE (returning 1 tells lws we answered).

    An upgrade with an id whose connection exists is a stateful reconnect
    when that connection has replay on (it resumes it, even while its old
    socket looks open), else a conflict (409). An id whose connection does
    not exist is a first use within WF_HUB_NEGOTIATE_TTL_S of the negotiate
    that issued it; later, it names a connection that is gone (404).
*/
#include "wf_front_hub_internal.h"
#include "wf_log.h"
#include "wf_problem.h"

#define S_BEARER        "bearer "
#define S_REFUSAL_BYTES 2048 //  headers and problem body of a refused upgrade
#define S_VERSION_BYTES 16

//  Copies header `token` of wsi into dst ("" when absent or too long).
static void
s_header (struct lws *wsi, enum lws_token_indexes token, char *dst, size_t size)
{
    dst[0] = 0;
    int len = lws_hdr_total_length (wsi, token);
    if (len > 0 && (size_t) len < size && lws_hdr_copy (wsi, dst, (int) size, token) < 0)
        dst[0] = 0;
}

//  Finds the request's access token: access_token in the query, else an
//  Authorization Bearer header. Returns its length, or -1 when there is none.
static int
s_request_token (const char *query, const char *authorization, char *token, size_t size)
{
    int len = wf_signalr_query_param (query, "access_token", token, size);
    if (len > 0)
        return len;
    size_t prefix = strlen (S_BEARER);
    if (strncasecmp (authorization, S_BEARER, prefix) != 0)
        return -1;
    const char *start = authorization + prefix;
    while (*start == ' ')
        start++;
    size_t n = strcspn (start, " ");
    if (n == 0 || n >= size || start[n] != 0)
        return -1;
    memcpy (token, start, n);
    token[n] = 0;
    return (int) n;
}

//  Verifies the request's token; 0 with claims, or -1.
static int
s_authenticate (wf_front_hub_t *self, const char *query, const char *authorization,
                wf_jwt_claims_t *claims)
{
    char token[WF_JWT_TOKEN_BYTES_MAX + 1];
    int len = s_request_token (query, authorization, token, sizeof token);
    if (len <= 0 || !self->tokens)
        return -1;
    wf_jwt_reason_t reason =
        wf_jwt_cache_verify (self->tokens, token, (size_t) len, wf_clock_ms () / 1000, claims);
    if (reason != WF_JWT_OK && wf_log_enabled (WF_LOG_INFO))
        wf_log (WF_LOG_INFO, "front", "hub_token_refused", NULL, "reason=%s",
                wf_jwt_reason_name (reason));
    return reason == WF_JWT_OK ? 0 : -1;
}

//  True when the user already holds as many connections as allowed.
static bool
s_user_full (wf_front_hub_t *self, const char *user_id)
{
    s_hub_user_t *user = wf_front_hub_user (self, user_id);
    return user && user->count >= self->config.user_connections_max;
}

//  Answers an upgrade request with a problem; returns 1 (answered) or -1.
static int
s_refuse (wf_front_hub_t *self, struct lws *wsi, int status, const char *title, const char *detail)
{
    char status_text[8];
    snprintf (status_text, sizeof status_text, "%d", status);
    wf_metrics_counter_add (self->metrics, "wf_hub_upgrades_refused_total",
                            "WebSocket upgrades to the hub refused, by status.", 1, "status",
                            status_text, NULL);
    char *body = wf_problem_render (status, title, detail, NULL, NULL, 0);
    size_t len = strlen (body);
    unsigned char buffer[LWS_PRE + S_REFUSAL_BYTES];
    unsigned char *start = buffer + LWS_PRE, *p = start, *end = buffer + sizeof buffer;
    assert (len < S_REFUSAL_BYTES);
    bool ok =
        lws_add_http_common_headers (wsi, (unsigned int) status,
                                     "application/problem+json; charset=utf-8", len, &p, end) == 0;
    if (ok && status == 401)
        ok = lws_add_http_header_by_name (wsi, (const unsigned char *) "www-authenticate:",
                                          (const unsigned char *) "Bearer", 6, &p, end) == 0;
    ok = ok && lws_finalize_write_http_header (wsi, start, &p, end) == 0;
    if (ok) {
        memcpy (start, body, len); //  the headers are written: reuse the buffer
        ok = lws_write (wsi, start, len, LWS_WRITE_HTTP_FINAL) >= 0;
    }
    free (body);
    return ok ? 1 : -1;
}

//  Checks the id of an upgrade: 0 with pending.connection_id, .stateful and
//  .reattach set, or a refusal's answer (1 or -1).
static int
s_check_id (wf_front_hub_t *self, struct lws *wsi, const char *user_id, const char *id)
{
    wf_signalr_token_info_t info;
    if (wf_signalr_connection_token_check (self->key, user_id, id, self->pending.connection_id,
                                           &info) != 0)
        return s_refuse (self, wsi, 404, "Not Found", "no connection with this id");
    self->pending.stateful = info.stateful;
    uint32_t slot = wf_front_hub_find (self, user_id, self->pending.connection_id);
    if (slot != S_HUB_NONE) {
        s_hub_conn_t *conn = &self->conns[slot];
        if (!conn->stateful || conn->closing)
            return s_refuse (self, wsi, 409, "Conflict", "this connection is already connected");
        self->pending.reattach = slot; //  a stateful reconnect
        return 0;
    }
    if (wf_clock_ms () / 1000 - info.issued_s > WF_HUB_NEGOTIATE_TTL_S)
        return s_refuse (self, wsi, 404, "Not Found",
                         "this connection is gone: negotiate a new one and read the balance");
    return 0;
}

int
wf_front_hub_confirm_upgrade (wf_front_hub_t *self, struct lws *wsi)
{
    memset (&self->pending, 0, sizeof self->pending);
    self->pending.reattach = S_HUB_NONE;
    char path[WF_HTTP_URL_BYTES_MAX + 1], query[WF_HTTP_URL_BYTES_MAX + 1];
    char authorization[WF_JWT_TOKEN_BYTES_MAX + 16];
    s_header (wsi, WSI_TOKEN_GET_URI, path, sizeof path);
    s_header (wsi, WSI_TOKEN_HTTP_URI_ARGS, query, sizeof query);
    s_header (wsi, WSI_TOKEN_HTTP_AUTHORIZATION, authorization, sizeof authorization);
    if (strcmp (path, WF_HUB_PATH) != 0)
        return s_refuse (self, wsi, 404, "Not Found", "no WebSocket endpoint at this path");
    if (self->draining)
        return s_refuse (self, wsi, 503, "Service Unavailable", "the server is shutting down");
    wf_jwt_claims_t claims;
    if (s_authenticate (self, query, authorization, &claims) != 0)
        return s_refuse (self, wsi, 401, "Unauthorized",
                         "a valid access token is required (access_token or Authorization)");
    char id[WF_SIGNALR_CONNECTION_TOKEN_CHARS + 2];
    char unused[WF_SIGNALR_CONNECTION_TOKEN_CHARS + 1];
    if (wf_signalr_query_param (query, "id", id, sizeof id) >= 0) {
        int refused = s_check_id (self, wsi, claims.sub, id);
        if (refused != 0)
            return refused;
    } else
        //  No negotiate (skipNegotiation): a new connection, without replay.
        wf_signalr_connection_token_new (self->key, claims.sub, wf_clock_ms () / 1000, false,
                                         self->pending.connection_id, unused);
    if (self->pending.reattach == S_HUB_NONE) {
        if (s_user_full (self, claims.sub))
            return s_refuse (self, wsi, 429, "Too Many Requests",
                             "this user has too many hub connections open");
        if (self->free_count == 0)
            return s_refuse (self, wsi, 503, "Service Unavailable",
                             "the hub holds as many connections as it can");
    }
    self->pending.wsi = wsi;
    snprintf (self->pending.user_id, sizeof self->pending.user_id, "%s", claims.sub);
    self->pending.exp_s = claims.exp;
    return 0;
}

//  POST /hubs/wallet/negotiate: a connection id and token for the WebSocket.
static wf_handler_result_t
s_negotiate (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_front_hub_t *self = wf_front_http_hub (http);
    wf_jwt_claims_t claims;
    if (s_authenticate (self, req->query, req->authorization, &claims) != 0) {
        wf_http_respond_problem (resp, req, 401, "Unauthorized",
                                 "a valid access token is required (Authorization or "
                                 "access_token)");
        wf_http_add_header (resp, "www-authenticate:", "Bearer");
        return WF_HANDLER_DONE;
    }
    //  Absent means version 0; versions above ours get ours (TransportProtocols.md).
    char text[S_VERSION_BYTES];
    int version = 0;
    int len = wf_signalr_query_param (req->query, "negotiateVersion", text, sizeof text);
    if (len >= 0) {
        bool digits = len > 0 && strspn (text, "0123456789") == (size_t) len;
        if (!digits) {
            wf_http_respond_problem (resp, req, 400, "Bad Request",
                                     "negotiateVersion must be a non-negative integer");
            return WF_HANDLER_DONE;
        }
        version = strtoull (text, NULL, 10) >= 1 ? 1 : 0;
    }
    if (s_user_full (self, claims.sub)) {
        wf_http_respond_problem (resp, req, 429, "Too Many Requests",
                                 "this user has too many hub connections open");
        return WF_HANDLER_DONE;
    }
    //  Stateful reconnect only for a client that asks (the official client
    //  refuses a server that offers it unasked).
    char flag[8];
    bool stateful =
        wf_signalr_query_param (req->query, "useStatefulReconnect", flag, sizeof flag) == 4 &&
        strcmp (flag, "true") == 0;
    char connection_id[WF_SIGNALR_CONNECTION_ID_CHARS + 1];
    char token[WF_SIGNALR_CONNECTION_TOKEN_CHARS + 1];
    wf_signalr_connection_token_new (self->key, claims.sub, wf_clock_ms () / 1000, stateful,
                                     connection_id, token);
    wf_http_respond_json (resp, 200,
                          wf_signalr_negotiate_response (version, connection_id, token, stateful));
    wf_http_add_header (resp, "cache-control:", "no-store");
    return WF_HANDLER_DONE;
}

static const wf_front_route_def_t s_routes[] = {
    {{WF_HTTP_POST, WF_HUB_PATH "/negotiate", 0}, WF_HUB_PATH "/negotiate", s_negotiate, NULL},
};

const wf_front_route_def_t *
wf_front_hub_routes (size_t *count)
{
    *count = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}
