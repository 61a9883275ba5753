/*  wf_front_http - the libwebsockets HTTP server thread (see the header).

    One request = one slot from a fixed table (WF_HTTP_PENDING_MAX). The lws
    per-session struct only remembers (slot, generation): lws reallocates it
    for every keep-alive request, so nothing else may point into it.
*/
#include "wf_front_http.h"
#include "wf_front_routes.h"
#include "wf_front_hub.h"
#include "wf_front_security.h"
#include "wf_jwt_cache.h"
#include "wf_problem.h"
#include "wf_log.h"
#include "wf_metrics.h"
#include "wf_wire.h"
#include <jansson.h>
#include <libwebsockets.h>
#include <sodium.h>

#define SLOTS_MAX               WF_HTTP_PENDING_MAX
#define AUTHORIZATION_BYTES_MAX 4096
#define SMALL_HEADER_BYTES_MAX  256
#define RESPONSE_HEADERS_BYTES  2048
#define PIPE_BATCH_MAX          1024
#define DRAIN_TIMEOUT_MS        (WF_REQUEST_TIMEOUT_MS + 1000)
//  The front waits this much past a request's deadline, so the broker's own
//  answer at the deadline (UNAVAILABLE, TIMEOUT) reaches the client first.
#define DEADLINE_GRACE_MS 500
//  Verified access tokens this HTTP thread remembers (wf_jwt_cache).
#define JWT_CACHE_ENTRIES 4096
//  An auth request's rate-limit subject: "email:" or "refresh:" and the text.
#define AUTH_SUBJECT_BYTES_MAX 600

typedef enum {
    SLOT_FREE,
    SLOT_READING_BODY,
    SLOT_LIMITING, //  the bridge checks its rate limit (wf_front_ratelimit.h)
    SLOT_WAITING,
    SLOT_RESPONDING
} slot_state_t;

typedef struct {
    uint32_t generation;
    slot_state_t state;
    struct lws *wsi;
    const wf_front_route_def_t *def;
    wf_http_request_t req;
    char path[WF_HTTP_URL_BYTES_MAX + 1];
    char query[WF_HTTP_URL_BYTES_MAX + 1];
    char request_id[WF_REQUEST_ID_BYTES_MAX + 1];
    char trace_id[WF_TRACEPARENT_BYTES_MAX + 1];
    char authorization[AUTHORIZATION_BYTES_MAX];
    char content_type[SMALL_HEADER_BYTES_MAX];
    char idempotency_key[SMALL_HEADER_BYTES_MAX + 1]; //  room for one byte over the 255 limit
    char client_ip[64];
    char origin[WF_CORS_ORIGIN_BYTES_MAX + 1];
    char *body;
    size_t body_len;
    size_t body_expected;
    bool empty_body_completed; //  lws's completion of a Content-Length: 0 body
    int64_t start_us;
    int64_t deadline_ms;
    wf_http_response_t resp;
    unsigned char *wbuf; //  LWS_PRE + headers + body, reused
    size_t wbuf_size;
} slot_t;

typedef struct {
    uint32_t slot;
    uint32_t generation;
    bool has_slot;
} pss_t;

//  The hub's WebSockets share the "http" protocol (see wf_front_hub.h): the
//  session data holds either kind.
typedef union {
    pss_t http;
    wf_front_hub_session_t hub;
} session_t;

struct _wf_front_http_t {
    const wf_front_http_config_t *config;
    zsock_t *pipe;
    struct lws_context *context;
    slot_t *slots;
    uint32_t *free_slots; //  stack of free slot indexes
    size_t free_count;
    size_t body_bytes_max;
    int request_timeout_ms;
    wf_front_route_def_t *defs;
    size_t defs_count;
    wf_route_t *routes;
    slot_t *current;          //  slot whose handler is running
    wf_any_msg_t *reply_body; //  decode storage, allocated once
    wf_buf_t scratch;
    char *health_json;
    char *metrics_others;
    wf_metrics_t *metrics;
    wf_metric_t **route_latency; //  per route def, histogram handles
    wf_metric_t *unrouted_latency;
    wf_metric_t *pending_gauge;
    bool draining;
    bool stop;
    int64_t drain_deadline_ms;
    wf_front_hub_t *hub;       //  the SignalR hub's WebSocket connections
    wf_jwt_cache_t *jwt_cache; //  REST bearer tokens verified here; NULL without config->jwt
    bool ratelimit;            //  ask the bridge before limited routes
    bool tls;                  //  serving HTTPS/WSS
    const char *cors_origins;  //  "" = CORS off
};

//  Frees what a response owns and resets it.
static void
s_response_reset (wf_http_response_t *resp)
{
    free (resp->body);
    for (size_t i = 0; i < resp->headers_count; i++)
        free (resp->header_values[i]);
    memset (resp, 0, sizeof *resp);
}

const char *
wf_front_http_health (wf_front_http_t *http)
{
    return http->health_json;
}

const char *
wf_front_http_metrics_others (wf_front_http_t *http)
{
    return http->metrics_others;
}

wf_front_hub_t *
wf_front_http_hub (wf_front_http_t *http)
{
    return http->hub;
}

wf_metrics_t *
wf_front_http_registry (wf_front_http_t *http)
{
    return http->metrics;
}

const wf_front_http_config_t *
wf_front_http_config (wf_front_http_t *http)
{
    return http->config;
}

wf_jwt_cache_t *
wf_front_http_jwt_cache (wf_front_http_t *http)
{
    return http->jwt_cache;
}

char *
wf_front_http_metrics_own (wf_front_http_t *http)
{
    wf_metric_set (http->pending_gauge, (double) (SLOTS_MAX - http->free_count));
    return wf_metrics_text (http->metrics);
}

//  Takes a free slot; NULL when every slot is busy.
static slot_t *
s_slot_alloc (wf_front_http_t *http)
{
    if (http->free_count == 0)
        return NULL;
    slot_t *slot = &http->slots[http->free_slots[--http->free_count]];
    assert (slot->state == SLOT_FREE);
    slot->generation++;
    return slot;
}

//  Returns a slot to the free stack; later replies for it are ignored.
static void
s_slot_release (wf_front_http_t *http, slot_t *slot)
{
    if (slot->state == SLOT_FREE)
        return;
    s_response_reset (&slot->resp);
    free (slot->body);
    slot->body = NULL;
    slot->body_len = slot->body_expected = 0;
    slot->empty_body_completed = false;
    slot->state = SLOT_FREE;
    slot->wsi = NULL;
    slot->generation++;
    http->free_slots[http->free_count++] = (uint32_t) (slot - http->slots);
}

//  The slot a session refers to, if it is still that session's.
static slot_t *
s_slot_of (wf_front_http_t *http, pss_t *pss)
{
    if (!pss || !pss->has_slot || pss->slot >= SLOTS_MAX)
        return NULL;
    slot_t *slot = &http->slots[pss->slot];
    return slot->state != SLOT_FREE && slot->generation == pss->generation ? slot : NULL;
}

int
wf_front_http_call (wf_front_http_t *http, const char *service, wf_msg_id_t type, const void *body)
{
    slot_t *slot = http->current;
    assert (slot);
    uint32_t index = (uint32_t) (slot - http->slots);
    int64_t deadline_ms = wf_clock_ms () + http->request_timeout_ms;
    slot->deadline_ms = deadline_ms + DEADLINE_GRACE_MS;
    wf_envelope_t env = {
        .version = WF_PROTO_VERSION,
        .type = type,
        .correlation_id = ((uint64_t) index << 32) | slot->generation,
        .deadline_ms = deadline_ms,
        .request_id = wf_str_c (slot->request_id),
        .traceparent = wf_str_c (slot->trace_id),
    };
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "REQUEST");
    zmsg_addstr (msg, service);
    if (wf_wire_append (msg, &env, body, &http->scratch) != 0) {
        zmsg_destroy (&msg);
        return -1;
    }
    //  The pipe has sndtimeo 0 (set at start): never block the HTTP thread.
    int rc = zmsg_send (&msg, http->pipe);
    zmsg_destroy (&msg);
    return rc == 0 ? 0 : -1;
}

//  Copies a standard header into dst ("" when absent or too long).
static void
s_header (struct lws *wsi, enum lws_token_indexes token, char *dst, size_t size)
{
    dst[0] = 0;
    int len = lws_hdr_total_length (wsi, token);
    if (len > 0 && (size_t) len < size && lws_hdr_copy (wsi, dst, (int) size, token) < 0)
        dst[0] = 0;
}

//  Copies a custom header ("name:") into dst ("" when absent or too long).
static void
s_custom_header (struct lws *wsi, const char *name, char *dst, size_t size)
{
    dst[0] = 0;
    int nlen = (int) strlen (name);
    int len = lws_hdr_custom_length (wsi, name, nlen);
    if (len > 0 && (size_t) len < size &&
        lws_hdr_custom_copy (wsi, dst, (int) size, name, nlen) < 0)
        dst[0] = 0;
}

//  Copies the query string as "a=1&b=2". lws keeps each argument as a
//  fragment (and would join them with ','), so they are joined here.
static void
s_query (struct lws *wsi, char *dst, size_t size)
{
    size_t used = 0;
    dst[0] = 0;
    char fragment[WF_HTTP_URL_BYTES_MAX + 1];
    for (int n = 0; n < 64; n++) {
        int len = lws_hdr_copy_fragment (wsi, fragment, (int) sizeof fragment,
                                         WSI_TOKEN_HTTP_URI_ARGS, n);
        if (len < 0)
            break;
        if (used + (size_t) len + 2 > size)
            break; //  over the URL limit: later arguments are ignored
        used += (size_t) snprintf (dst + used, size - used, "%s%s", used ? "&" : "", fragment);
    }
}

//  True when every byte is in [A-Za-z0-9._-] (request ids we accept from clients).
static bool
s_is_token (const char *text, size_t len_max)
{
    size_t len = strlen (text);
    if (len == 0 || len > len_max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum ((unsigned char) text[i]) && !strchr ("._-", text[i]))
            return false;
    return true;
}

//  True for a W3C traceparent "00-<32 hex>-<16 hex>-<2 hex>".
static bool
s_is_traceparent (const char *text)
{
    if (strlen (text) != 55 || strncmp (text, "00-", 3) != 0 || text[35] != '-' || text[52] != '-')
        return false;
    for (int i = 3; i < 55; i++)
        if (i != 35 && i != 52 && !strchr ("0123456789abcdef", text[i]))
            return false;
    return true;
}

//  Random lower-case hex of 2 * bytes characters.
static void
s_random_hex (char *out, size_t bytes)
{
    unsigned char raw[16];
    assert (bytes <= sizeof raw);
    randombytes_buf (raw, bytes);
    sodium_bin2hex (out, 2 * bytes + 1, raw, bytes);
}

//  The method of the request on wsi, and in *token its URI token (when not NULL).
static wf_http_method_t
s_method (struct lws *wsi, enum lws_token_indexes *token)
{
    static const struct {
        enum lws_token_indexes token;
        wf_http_method_t method;
    } methods[] = {{WSI_TOKEN_GET_URI, WF_HTTP_GET},        {WSI_TOKEN_POST_URI, WF_HTTP_POST},
                   {WSI_TOKEN_PUT_URI, WF_HTTP_PUT},        {WSI_TOKEN_PATCH_URI, WF_HTTP_PATCH},
                   {WSI_TOKEN_DELETE_URI, WF_HTTP_DELETE},  {WSI_TOKEN_HEAD_URI, WF_HTTP_HEAD},
                   {WSI_TOKEN_OPTIONS_URI, WF_HTTP_OPTIONS}};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (lws_hdr_total_length (wsi, methods[i].token) > 0) {
            if (token)
                *token = methods[i].token;
            return methods[i].method;
        }
    if (token)
        *token = WSI_TOKEN_GET_URI;
    return WF_HTTP_METHOD_OTHER;
}

//  Fills the slot's request view from the wsi's headers.
static void
s_read_request (wf_front_http_t *http, slot_t *slot, struct lws *wsi, const char *path,
                size_t path_len)
{
    wf_http_request_t *req = &slot->req;
    memset (req, 0, sizeof *req);
    req->method = s_method (wsi, NULL);
    snprintf (slot->path, sizeof slot->path, "%.*s", (int) path_len, path);
    req->path = slot->path;
    s_query (wsi, slot->query, sizeof slot->query);
    req->query = slot->query;
    s_custom_header (wsi, "x-request-id:", slot->request_id, sizeof slot->request_id);
    if (!s_is_token (slot->request_id, WF_REQUEST_ID_BYTES_MAX))
        s_random_hex (slot->request_id, 12);
    req->request_id = slot->request_id;
    s_custom_header (wsi, "traceparent:", slot->trace_id, sizeof slot->trace_id);
    if (!s_is_traceparent (slot->trace_id)) {
        char trace[33], span[17];
        s_random_hex (trace, 16);
        s_random_hex (span, 8);
        snprintf (slot->trace_id, sizeof slot->trace_id, "00-%s-%s-01", trace, span);
    }
    req->trace_id = slot->trace_id;
    s_header (wsi, WSI_TOKEN_HTTP_AUTHORIZATION, slot->authorization, sizeof slot->authorization);
    req->authorization = slot->authorization;
    s_header (wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, slot->content_type, sizeof slot->content_type);
    req->content_type = slot->content_type;
    s_custom_header (wsi, "idempotency-key:", slot->idempotency_key, sizeof slot->idempotency_key);
    if (!slot->idempotency_key[0] && lws_hdr_custom_length (wsi, "idempotency-key:", 16) > 0) {
        //  Too long to keep: hand on a key over every limit, so the handler
        //  refuses the request instead of running it without idempotency.
        memset (slot->idempotency_key, 'x', sizeof slot->idempotency_key - 1);
        slot->idempotency_key[sizeof slot->idempotency_key - 1] = 0;
    }
    req->idempotency_key = slot->idempotency_key;
    lws_get_peer_simple (wsi, slot->client_ip, sizeof slot->client_ip);
    req->client_ip = slot->client_ip;
    s_header (wsi, WSI_TOKEN_ORIGIN, slot->origin, sizeof slot->origin);
    req->origin = slot->origin;
    char accept[SMALL_HEADER_BYTES_MAX];
    s_header (wsi, WSI_TOKEN_HTTP_ACCEPT, accept, sizeof accept);
    req->accept_json = strstr (accept, "application/json") != NULL;
    req->accept_csv = strstr (accept, "text/csv") != NULL;
    slot->start_us = zclock_usecs ();
}

//  Marks the slot's response ready and asks lws for a write callback.
static void
s_respond (slot_t *slot)
{
    slot->state = SLOT_RESPONDING;
    lws_callback_on_writable (slot->wsi);
}

//  The subject of the request's bearer token when it verifies, else "".
static const char *
s_bearer_subject (wf_front_http_t *http, const wf_http_request_t *req, wf_jwt_claims_t *claims)
{
    const char *header = req->authorization;
    if (!http->jwt_cache || strncasecmp (header, "Bearer ", 7) != 0)
        return "";
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    size_t len = strlen (token);
    while (len > 0 && token[len - 1] == ' ')
        len--;
    if (wf_jwt_cache_verify (http->jwt_cache, token, len, wf_clock_ms () / 1000, claims) !=
        WF_JWT_OK)
        return "";
    return claims->sub;
}

//  The "user" of an auth request, from its body (into buffer): the lower-cased
//  email of register and login, the refresh token of refresh; "" when absent,
//  malformed or too long (the handler then refuses the request anyway).
static const char *
s_auth_subject (const wf_http_request_t *req, char *buffer, size_t size)
{
    buffer[0] = 0;
    if (!req->body || req->body_len == 0)
        return buffer;
    json_t *root = json_loadb (req->body, req->body_len, JSON_DISABLE_EOF_CHECK, NULL);
    bool refresh = strcmp (req->match.route->pattern, "/api/auth/refresh") == 0;
    json_t *value = json_object_get (root, refresh ? "refreshToken" : "email");
    if (json_is_string (value) && json_string_length (value) + 8 < size) {
        snprintf (buffer, size, "%s:%s", refresh ? "refresh" : "email", json_string_value (value));
        for (char *c = buffer; !refresh && *c; c++)
            *c = (char) tolower ((unsigned char) *c);
    }
    json_decref (root);
    return buffer;
}

//  Asks the bridge for the route's rate limit when it has one: "LIMIT" index
//  generation class user address. The bridge owns the limiter, so a slow
//  Redis never stalls this thread; its "LIMITED" answer resumes the slot
//  (s_on_limited). False when no limit applies.
static bool
s_rate_limit_ask (wf_front_http_t *http, slot_t *slot)
{
    wf_rate_class_t rate_class =
        wf_front_ratelimit_classify (slot->req.method, slot->def->route.pattern);
    if (rate_class == WF_RATE_CLASS_NONE || !http->ratelimit)
        return false;
    wf_jwt_claims_t claims;
    char subject[AUTH_SUBJECT_BYTES_MAX];
    const char *user = rate_class == WF_RATE_CLASS_MONEY
                           ? s_bearer_subject (http, &slot->req, &claims)
                           : s_auth_subject (&slot->req, subject, sizeof subject);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "LIMIT");
    zmsg_addstrf (msg, "%u", (unsigned) (slot - http->slots));
    zmsg_addstrf (msg, "%u", slot->generation);
    zmsg_addstr (msg, rate_class == WF_RATE_CLASS_AUTH ? "auth" : "money");
    zmsg_addstr (msg, user);
    zmsg_addstr (msg, slot->client_ip);
    slot->state = SLOT_LIMITING;
    slot->deadline_ms = wf_clock_ms () + http->request_timeout_ms;
    //  The pipe has sndtimeo 0: a bridge that far behind means overload.
    if (zmsg_send (&msg, http->pipe) != 0) {
        zmsg_destroy (&msg);
        wf_http_respond_problem (&slot->resp, &slot->req, 503, "Service Unavailable",
                                 "the front is overloaded");
        wf_http_add_header (&slot->resp, "retry-after:", "1");
        s_respond (slot);
    }
    return true;
}

//  Fills a 429 for a request the limiter refused.
static void
s_respond_limited (slot_t *slot, int64_t retry_after_s, const char *scope)
{
    char detail[128], seconds[24];
    snprintf (detail, sizeof detail, "too many requests from this %s; retry in %" PRId64 " s",
              scope, retry_after_s);
    snprintf (seconds, sizeof seconds, "%" PRId64, retry_after_s);
    wf_http_respond_problem (&slot->resp, &slot->req, 429, "Too Many Requests", detail);
    wf_http_add_header (&slot->resp, "retry-after:", seconds);
    wf_log (WF_LOG_INFO, "front", "rate_limited", slot->request_id,
            "route=%s scope=%s retry_after_s=%" PRId64, slot->def->name, scope, retry_after_s);
    s_respond (slot);
}

//  Runs the route's handler.
static void
s_run_handler (wf_front_http_t *http, slot_t *slot)
{
    http->current = slot;
    wf_handler_result_t result = slot->def->handle (http, &slot->req, &slot->resp);
    http->current = NULL;
    if (result == WF_HANDLER_PENDING)
        slot->state = SLOT_WAITING;
    else
        s_respond (slot);
}

//  The whole request is there: its rate limit first (the bridge answers),
//  then its handler.
static void
s_dispatch (wf_front_http_t *http, slot_t *slot)
{
    if (!s_rate_limit_ask (http, slot))
        s_run_handler (http, slot);
}

//  The bridge's verdict: "LIMITED" index generation retry_after_s scope;
//  retry_after_s 0 lets the request through to its handler.
static void
s_on_limited (wf_front_http_t *http, zmsg_t *msg)
{
    char *index = zmsg_popstr (msg), *generation = zmsg_popstr (msg);
    char *retry = zmsg_popstr (msg), *scope = zmsg_popstr (msg);
    if (index && generation && retry && scope) {
        unsigned long at = strtoul (index, NULL, 10);
        slot_t *slot = at < SLOTS_MAX ? &http->slots[at] : NULL;
        if (slot && slot->state == SLOT_LIMITING &&
            slot->generation == (uint32_t) strtoul (generation, NULL, 10)) {
            int64_t retry_after_s = strtoll (retry, NULL, 10);
            if (retry_after_s > 0)
                s_respond_limited (slot, retry_after_s, scope);
            else
                s_run_handler (http, slot);
        }
    }
    zstr_free (&index);
    zstr_free (&generation);
    zstr_free (&retry);
    zstr_free (&scope);
}

//  Answers at once with a problem (before any handler ran).
static void
s_reject (slot_t *slot, int status, const char *title, const char *detail, bool close)
{
    wf_http_respond_problem (&slot->resp, &slot->req, status, title, detail);
    slot->resp.close_connection = close;
    s_respond (slot);
}

//  Checks the framing of a request with a body; 0 to read it, -1 if rejected.
static int
s_check_body_framing (wf_front_http_t *http, slot_t *slot, struct lws *wsi)
{
    char length[32], encoding[64];
    s_header (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, length, sizeof length);
    s_header (wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING, encoding, sizeof encoding);
    if (*encoding && *length) {
        //  Both framings at once is the classic smuggling set-up: refuse, close.
        s_reject (slot, 400, "Bad Request",
                  "Content-Length and Transfer-Encoding must not both be present", true);
        return -1;
    }
    if (!*length) {
        s_reject (slot, 411, "Length Required",
                  "a request body needs a Content-Length header (chunked bodies are not accepted)",
                  true);
        return -1;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long declared = strtoull (length, &end, 10);
    if (!isdigit ((unsigned char) length[0]) || *end || errno) {
        s_reject (slot, 400, "Bad Request", "Content-Length is not a number", true);
        return -1;
    }
    if (declared > http->body_bytes_max) {
        char detail[96];
        snprintf (detail, sizeof detail, "the request body is larger than %zu bytes",
                  http->body_bytes_max);
        s_reject (slot, 413, "Payload Too Large", detail, true);
        return -1;
    }
    slot->body_expected = (size_t) declared;
    slot->body = (char *) malloc (slot->body_expected + 1);
    slot->body[0] = 0;
    return 0;
}

//  Checks what lws lets through of the request line: the version must be
//  HTTP/1.0 or HTTP/1.1 (505 otherwise), and the path must hold no ';' or
//  '&' (lws cuts the path there and drops the rest, so "/x;y" would be
//  served as "/x"; 400). 0, or -1 when the request was refused.
static int
s_check_request_line (slot_t *slot, struct lws *wsi)
{
    char version[16];
    s_header (wsi, WSI_TOKEN_HTTP, version, sizeof version);
    if (strcmp (version, "HTTP/1.1") != 0 && strcmp (version, "HTTP/1.0") != 0) {
        s_reject (slot, *version ? 505 : 400,
                  *version ? "HTTP Version Not Supported" : "Bad Request",
                  "the request line must end in HTTP/1.1 or HTTP/1.0", true);
        return -1;
    }
    enum lws_token_indexes token;
    s_method (wsi, &token);
    char fragment[8];
    if (lws_hdr_copy_fragment (wsi, fragment, sizeof fragment, token, 1) >= 0 ||
        lws_hdr_fragment_length (wsi, token, 1) > 0) {
        s_reject (slot, 400, "Bad Request", "the path must not contain ';' or '&'", false);
        return -1;
    }
    return 0;
}

//  Answers a CORS preflight (OPTIONS with Origin and
//  Access-Control-Request-Method): 204 with the policy for a configured
//  origin, 403 for any other. True when it was one.
static bool
s_cors_preflight (wf_front_http_t *http, slot_t *slot, struct lws *wsi)
{
    if (slot->req.method != WF_HTTP_OPTIONS || !*slot->origin ||
        lws_hdr_custom_length (wsi, "access-control-request-method:", 30) <= 0)
        return false;
    slot->def = NULL;
    if (!wf_front_cors_allowed (http->cors_origins, slot->origin)) {
        s_reject (slot, 403, "Forbidden", "this origin may not call the API", false);
        return true;
    }
    wf_http_response_t *resp = &slot->resp;
    resp->status = 204;
    resp->content_type = "text/plain";
    wf_http_add_header (resp, "access-control-allow-methods:", WF_CORS_ALLOW_METHODS);
    wf_http_add_header (resp, "access-control-allow-headers:", WF_CORS_ALLOW_HEADERS);
    wf_http_add_header (resp, "access-control-max-age:", WF_CORS_MAX_AGE_S);
    s_respond (slot); //  s_on_writeable adds the allow-origin headers
    return true;
}

//  A new request's headers are in: route it, then read its body or dispatch.
static int
s_on_http (wf_front_http_t *http, struct lws *wsi, pss_t *pss, const char *path, size_t path_len)
{
    pss->has_slot = false;
    slot_t *slot = s_slot_alloc (http);
    if (!slot) {
        //  Every slot busy: the bound holds; answer without a slot and close.
        lws_return_http_status (wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "server busy");
        return -1;
    }
    slot->wsi = wsi;
    slot->state = SLOT_READING_BODY;
    slot->def = NULL; //  until routed: a reject before it must not log the slot's last route
    pss->slot = (uint32_t) (slot - http->slots);
    pss->generation = slot->generation;
    pss->has_slot = true;
    s_read_request (http, slot, wsi, path, path_len);
    int query_len = lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_URI_ARGS);
    if (path_len + (query_len > 0 ? (size_t) query_len : 0) > WF_HTTP_URL_BYTES_MAX) {
        //  Longer than a whole header block, lws itself closes the connection.
        s_reject (slot, 414, "URI Too Long", "the request target is longer than 2048 bytes", true);
        return 0;
    }
    if (http->draining) {
        s_reject (slot, 503, "Service Unavailable", "the server is shutting down", true);
        return 0;
    }
    if (s_check_request_line (slot, wsi) != 0 || s_cors_preflight (http, slot, wsi))
        return 0;
    char allow[64];
    wf_route_result_t found =
        wf_route_match (http->routes, http->defs_count, slot->req.method, slot->path,
                        strlen (slot->path), &slot->req.match, allow, sizeof allow);
    if (found == WF_ROUTE_NOT_FOUND) {
        slot->def = NULL;
        s_reject (slot, 404, "Not Found", "no resource at this path", false);
        return 0;
    }
    if (found == WF_ROUTE_WRONG_METHOD) {
        slot->def = NULL;
        s_reject (slot, 405, "Method Not Allowed", "this resource does not support the method",
                  false);
        wf_http_add_header (&slot->resp, "allow:", allow);
        return 0;
    }
    slot->def = &http->defs[slot->req.match.route->id];
    wf_http_method_t m = slot->req.method;
    if (m == WF_HTTP_POST || m == WF_HTTP_PUT || m == WF_HTTP_PATCH) {
        if (s_check_body_framing (http, slot, wsi) != 0)
            return 0;
        if (slot->body_expected > 0)
            return 0; //  LWS_CALLBACK_HTTP_BODY follows
    }
    s_dispatch (http, slot);
    return 0;
}

//  A chunk of the request body arrived.
static int
s_on_body (wf_front_http_t *http, pss_t *pss, const char *data, size_t len)
{
    slot_t *slot = s_slot_of (http, pss);
    if (!slot || slot->state != SLOT_READING_BODY || !slot->body)
        return 0;
    if (slot->body_len + len > slot->body_expected) {
        slot->body_len = slot->body_expected + 1; //  marks the overflow
        return 0;
    }
    memcpy (slot->body + slot->body_len, data, len);
    slot->body_len += len;
    slot->body[slot->body_len] = 0;
    return 0;
}

//  The whole body is in: hand the request to its handler.
static int
s_on_body_complete (wf_front_http_t *http, struct lws *wsi, pss_t *pss)
{
    slot_t *slot = s_slot_of (http, pss);
    if (slot && slot->state != SLOT_READING_BODY && slot->body_expected == 0 &&
        !slot->empty_body_completed) {
        slot->empty_body_completed = true; //  Content-Length: 0 was dispatched at once
        return 0;
    }
    if (slot && slot->state != SLOT_READING_BODY) {
        //  A second completion for one body: lws 4.1 re-signals it for every
        //  service pass while bytes pipelined behind a POST body wait in its
        //  buffer, which would spin this thread until the reply. We do not
        //  serve requests pipelined after a body: an answer already written
        //  goes out (the next pass) and closes the connection; otherwise
        //  close now.
        //  (While the bridge checks the rate limit, a millisecond or up to
        //  the Redis bound, the same holds: the answer follows, then close.)
        if (slot->state == SLOT_RESPONDING || slot->state == SLOT_LIMITING) {
            slot->resp.close_connection = true;
            return 0;
        }
        return -1;
    }
    if (!slot)
        return 0;
    if (slot->body_len != slot->body_expected) {
        s_reject (slot, 400, "Bad Request", "the body length differs from Content-Length", true);
        return 0;
    }
    slot->req.body = slot->body;
    slot->req.body_len = slot->body_len;
    s_dispatch (http, slot);
    return 0;
}

//  Logs and counts a finished request.
static void
s_log_request (wf_front_http_t *http, slot_t *slot)
{
    double duration_s = (double) (zclock_usecs () - slot->start_us) / 1e6;
    const char *route = slot->def ? slot->def->name : "unmatched";
    char status[8];
    snprintf (status, sizeof status, "%d", slot->resp.status);
    const char *method = wf_http_method_name (slot->req.method);
    wf_metrics_counter_add (http->metrics, "wf_http_requests_total", "HTTP requests answered.", 1,
                            "route", route, "method", method, "status", status, NULL);
    wf_metric_observe (slot->def ? http->route_latency[slot->def - http->defs]
                                 : http->unrouted_latency,
                       duration_s);
    if (!wf_log_enabled (WF_LOG_INFO))
        return;
    //  The path is quoted: a client must not be able to forge a log line.
    char path[160];
    wf_log (WF_LOG_INFO, "front", "request", slot->request_id,
            "method=%s path=%s route=%s status=%d duration_ms=%.3f", method,
            wf_log_quote (path, sizeof path, slot->path), route, slot->resp.status,
            duration_s * 1000.0);
}

//  Writes a ready response; returns -1 when the connection must close.
static int
s_on_writeable (wf_front_http_t *http, struct lws *wsi, pss_t *pss)
{
    slot_t *slot = s_slot_of (http, pss);
    if (!slot || slot->state != SLOT_RESPONDING)
        return 0;
    wf_http_response_t *resp = &slot->resp;
    size_t need = LWS_PRE + RESPONSE_HEADERS_BYTES + resp->body_len;
    if (slot->wbuf_size < need) {
        free (slot->wbuf);
        slot->wbuf = (unsigned char *) malloc (need);
        slot->wbuf_size = need;
    }
    unsigned char *start = slot->wbuf + LWS_PRE, *p = start;
    unsigned char *end = start + RESPONSE_HEADERS_BYTES;
    const char *type = resp->content_type ? resp->content_type : "text/plain";
    bool ok = lws_add_http_common_headers (wsi, (unsigned int) resp->status, type, resp->body_len,
                                           &p, end) == 0;
    ok = ok && lws_add_http_header_by_name (wsi, (const unsigned char *) "x-request-id:",
                                            (const unsigned char *) slot->request_id,
                                            (int) strlen (slot->request_id), &p, end) == 0;
    ok = ok && wf_front_security_headers (wsi, resp, slot->origin, http->cors_origins, &p, end);
    for (size_t i = 0; ok && i < resp->headers_count; i++)
        ok = lws_add_http_header_by_name (wsi, (const unsigned char *) resp->header_names[i],
                                          (const unsigned char *) resp->header_values[i],
                                          (int) strlen (resp->header_values[i]), &p, end) == 0;
    if (ok && resp->close_connection)
        ok = lws_add_http_header_by_name (wsi, (const unsigned char *) "connection:",
                                          (const unsigned char *) "close", 5, &p, end) == 0;
    ok = ok && lws_finalize_write_http_header (wsi, start, &p, end) == 0;
    if (ok && resp->body_len > 0 && slot->req.method != WF_HTTP_HEAD) {
        unsigned char *body = slot->wbuf + LWS_PRE; //  headers are already written
        memcpy (body, resp->body, resp->body_len);
        ok = lws_write (wsi, body, resp->body_len, LWS_WRITE_HTTP_FINAL) >= 0;
    }
    s_log_request (http, slot);
    bool close = !ok || resp->close_connection;
    pss->has_slot = false;
    s_slot_release (http, slot);
    if (close)
        return -1;
    return lws_http_transaction_completed (wsi) ? -1 : 0;
}

//  A worker's reply arrived: complete the slot it belongs to, if still alive.
static void
s_on_reply (wf_front_http_t *http, zmsg_t *msg)
{
    wf_envelope_t env;
    wf_codec_err_t err;
    if (wf_wire_decode (msg, &env, NULL, &err) != 0) {
        wf_log (WF_LOG_WARN, "front", "bad_reply", NULL, "detail=\"%s\"", err.detail);
        return;
    }
    uint32_t index = (uint32_t) (env.correlation_id >> 32);
    uint32_t generation = (uint32_t) env.correlation_id;
    if (index >= SLOTS_MAX)
        return;
    slot_t *slot = &http->slots[index];
    if (slot->state != SLOT_WAITING || slot->generation != generation)
        return; //  the client left or the deadline passed: drop it
    if (wf_wire_decode (msg, &env, http->reply_body, &err) != 0) {
        wf_http_respond_problem (&slot->resp, &slot->req, 502, "Bad Gateway",
                                 "a worker sent a reply that could not be decoded");
    } else if (env.type == WF_MSG_ERROR)
        wf_http_respond_error (&slot->resp, &slot->req, &http->reply_body->error);
    else
        slot->def->reply (http, &slot->req, &env, http->reply_body, &slot->resp);
    s_respond (slot);
}

//  Answers every waiting request whose deadline passed with 504, and closes
//  connections whose body trickles in slower than WF_HTTP_BODY_TIMEOUT_S
//  allows (lws restarts its own timeout on every byte, so a slow-body
//  attacker would otherwise hold a slot for ever).
static void
s_expire (wf_front_http_t *http)
{
    int64_t now_ms = wf_clock_ms ();
    int64_t now_us = zclock_usecs ();
    for (size_t i = 0; i < SLOTS_MAX; i++) {
        slot_t *slot = &http->slots[i];
        if (slot->state == SLOT_READING_BODY && slot->body &&
            now_us - slot->start_us > WF_HTTP_BODY_TIMEOUT_S * 1000000LL) {
            s_reject (slot, 408, "Request Timeout", "the request body did not arrive in time",
                      true);
            continue;
        }
        if (slot->state == SLOT_LIMITING && slot->deadline_ms <= now_ms) {
            wf_http_respond_problem (&slot->resp, &slot->req, 503, "Service Unavailable",
                                     "the rate limiter did not answer in time");
            s_respond (slot);
            continue;
        }
        if (slot->state == SLOT_WAITING && slot->deadline_ms <= now_ms) {
            wf_http_respond_problem (&slot->resp, &slot->req, 504, "Gateway Timeout",
                                     "no reply from the service before the deadline");
            s_respond (slot);
        }
    }
}

//  Drains the pipe from the bridge (never blocks).
static void
s_drain_pipe (wf_front_http_t *http)
{
    for (int i = 0; i < PIPE_BATCH_MAX; i++) {
        if (!(zsock_events (http->pipe) & ZMQ_POLLIN))
            break;
        zmsg_t *msg = zmsg_recv (http->pipe);
        if (!msg)
            break;
        char *command = zmsg_popstr (msg);
        if (!command || streq (command, "$TERM"))
            http->stop = true;
        else if (streq (command, "REPLY"))
            s_on_reply (http, msg);
        else if (streq (command, "LIMITED"))
            s_on_limited (http, msg);
        else if (streq (command, "PUSH"))
            wf_front_hub_push (http->hub, msg);
        else if (streq (command, "HEALTH")) {
            free (http->health_json);
            http->health_json = zmsg_popstr (msg);
        } else if (streq (command, "METRICS")) {
            free (http->metrics_others);
            http->metrics_others = zmsg_popstr (msg);
        } else if (streq (command, "TICK")) {
            s_expire (http);
            wf_front_hub_tick (http->hub);
        } else if (streq (command, "DRAIN") && !http->draining) {
            http->draining = true;
            wf_front_hub_drain (http->hub);
            http->drain_deadline_ms = wf_clock_ms () + DRAIN_TIMEOUT_MS;
        }
        zstr_free (&command);
        zmsg_destroy (&msg);
    }
}

//  The lws protocol callback: everything HTTP passes through here.
static int
s_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    wf_front_http_t *http = (wf_front_http_t *) lws_context_user (lws_get_context (wsi));
    pss_t *pss = (pss_t *) user;
    if (wf_front_hub_handles (reason))
        return wf_front_hub_callback (http->hub, wsi, reason, user, in, len);
    switch (reason) {
        case LWS_CALLBACK_HTTP:
            return s_on_http (http, wsi, pss, (const char *) in,
                              in ? strlen ((const char *) in) : 0);
        case LWS_CALLBACK_HTTP_BODY:
            return s_on_body (http, pss, (const char *) in, len);
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return s_on_body_complete (http, wsi, pss);
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return s_on_writeable (http, wsi, pss);
        case LWS_CALLBACK_CLOSED_HTTP:
        case LWS_CALLBACK_HTTP_DROP_PROTOCOL: {
            //  DROP_PROTOCOL: lws hands the connection to the unparsed protocol (a
            //  request it could not parse was pipelined behind this one) and
            //  frees the session: the slot goes, and its answer with it.
            slot_t *slot = s_slot_of (http, pss);
            if (slot && slot->wsi == wsi)
                s_slot_release (http, slot);
            if (pss)
                pss->has_slot = false;
            return 0;
        }
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            s_drain_pipe (http);
            return 0;
        default:
            return lws_callback_http_dummy (wsi, reason, user, in, len);
    }
}

static const struct lws_protocols s_protocols[] = {
    {"http", s_callback, sizeof (session_t), 0, 0, NULL, 0},
    {WF_FRONT_UNPARSED_PROTOCOL, wf_front_security_unparsed_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

//  Builds the HTTP state and the lws context; NULL when the port is taken.
static wf_front_http_t *
s_http_new (zsock_t *pipe, const wf_front_http_config_t *config)
{
    wf_front_http_t *http = (wf_front_http_t *) zmalloc (sizeof (wf_front_http_t));
    http->config = config;
    http->pipe = pipe;
    zsock_set_sndtimeo (pipe, 0);
    http->body_bytes_max = config->body_bytes_max ? config->body_bytes_max : WF_HTTP_BODY_BYTES_MAX;
    http->request_timeout_ms =
        config->request_timeout_ms > 0 ? config->request_timeout_ms : WF_REQUEST_TIMEOUT_MS;
    http->slots = (slot_t *) calloc (SLOTS_MAX, sizeof (slot_t));
    http->free_slots = (uint32_t *) calloc (SLOTS_MAX, sizeof (uint32_t));
    for (uint32_t i = 0; i < SLOTS_MAX; i++)
        http->free_slots[http->free_count++] = SLOTS_MAX - 1 - i;
    http->defs = wf_front_routes_collect (&http->defs_count);
    http->routes = (wf_route_t *) calloc (http->defs_count, sizeof (wf_route_t));
    for (size_t i = 0; i < http->defs_count; i++) {
        http->routes[i] = http->defs[i].route;
        http->routes[i].id = (int) i;
    }
    http->reply_body = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
    wf_buf_init (&http->scratch);
    http->metrics = wf_metrics_new ("http");
    http->route_latency = (wf_metric_t **) calloc (http->defs_count, sizeof (wf_metric_t *));
    for (size_t i = 0; i < http->defs_count; i++)
        http->route_latency[i] = wf_metrics_histogram (
            http->metrics, "wf_http_request_duration_seconds", "HTTP request latency by route.",
            "route", http->defs[i].name, NULL);
    http->unrouted_latency =
        wf_metrics_histogram (http->metrics, "wf_http_request_duration_seconds",
                              "HTTP request latency by route.", "route", "unmatched", NULL);
    http->pending_gauge = wf_metrics_gauge (http->metrics, "wf_http_pending_requests",
                                            "Requests holding a slot.", NULL);
    wf_front_hub_config_t hub_config = {.jwt = config->jwt,
                                        .replay_messages_max = config->hub_replay_messages_max,
                                        .reconnect_window_ms = config->hub_reconnect_window_ms};
    http->hub = wf_front_hub_new (&hub_config, pipe, http->metrics);
    http->jwt_cache = config->jwt ? wf_jwt_cache_new (config->jwt, JWT_CACHE_ENTRIES) : NULL;
    http->ratelimit = !config->ratelimit.disabled;
    http->cors_origins = config->cors_origins ? config->cors_origins : "";
    http->tls = config->tls_cert && *config->tls_cert;

    struct lws_context_creation_info info;
    memset (&info, 0, sizeof info);
    info.port = config->port == 0 ? WF_HTTP_PORT_DEFAULT : config->port < 0 ? 0 : config->port;
    info.iface = config->interface;
    info.protocols = s_protocols;
    info.user = http;
    info.max_http_header_data = WF_HTTP_HEADER_BYTES_MAX;
    info.max_http_header_pool = 256;
    info.fd_limit_per_thread = WF_HTTP_CONNECTIONS_MAX;
    info.keepalive_timeout = WF_HTTP_IDLE_TIMEOUT_S;
    info.timeout_secs = WF_HTTP_IDLE_TIMEOUT_S;
    info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | LWS_SERVER_OPTION_DISABLE_IPV6 |
                   LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG;
    //  Requests lws cannot parse go to wf_front_security_unparsed_callback
    //  instead of lws's 403 page.
    info.listen_accept_role = "raw-skt";
    info.listen_accept_protocol = WF_FRONT_UNPARSED_PROTOCOL;
    info.headers = wf_front_security_vhost_headers (http->tls);
    if (http->tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = config->tls_cert;
        info.ssl_private_key_filepath = config->tls_key;
        info.alpn = "http/1.1"; //  the front speaks HTTP/1.1 only (no h2 streams)
    }
    http->context = lws_create_context (&info);
    return http;
}

//  Frees the HTTP state (after the context is gone).
static void
s_http_destroy (wf_front_http_t **http_p)
{
    wf_front_http_t *http = *http_p;
    for (size_t i = 0; i < SLOTS_MAX; i++) {
        s_slot_release (http, &http->slots[i]);
        free (http->slots[i].wbuf);
    }
    free (http->slots);
    free (http->free_slots);
    free (http->routes);
    free (http->defs);
    free (http->reply_body);
    free (http->health_json);
    free (http->metrics_others);
    free (http->route_latency);
    wf_front_hub_destroy (&http->hub);
    wf_jwt_cache_destroy (&http->jwt_cache);
    wf_metrics_destroy (&http->metrics);
    wf_buf_free (&http->scratch);
    free (http);
    *http_p = NULL;
}

//  True while a request is being read, waited for or written, or a hub
//  connection is still open (draining closes them).
static bool
s_busy (wf_front_http_t *http)
{
    return http->free_count < SLOTS_MAX || wf_front_hub_connections (http->hub) > 0;
}

void
wf_front_http_actor (zsock_t *pipe, void *args)
{
    lws_set_log_level (LLL_ERR | LLL_WARN, NULL);
    wf_front_http_t *http = s_http_new (pipe, (const wf_front_http_config_t *) args);
    if (!http->context) {
        //  zactor_new does not report the status: the bridge learns of the
        //  failure from the NULL context (and must not wait for it for ever).
        zsock_signal (pipe, 1);
        zsock_send (pipe, "pi", NULL, -1);
        s_http_destroy (&http);
        return;
    }
    zsock_signal (pipe, 0);
    //  The bridge needs the context to wake us, and the port we got.
    struct lws_vhost *vhost = lws_get_vhost_by_name (http->context, "default");
    int port = vhost ? lws_get_vhost_listen_port (vhost) : -1;
    zsock_send (pipe, "pi", http->context, port);
    while (!http->stop) {
        lws_service (http->context, 0);
        if (http->draining && (!s_busy (http) || wf_clock_ms () > http->drain_deadline_ms))
            break;
    }
    lws_context_destroy (http->context);
    zsock_set_sndtimeo (pipe, -1);
    zstr_send (pipe, "DONE");
    s_http_destroy (&http);
}
