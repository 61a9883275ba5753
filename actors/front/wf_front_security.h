/*  wf_front_security - the front's security headers and its CORS policy.

    Every response, the front's own and the ones libwebsockets writes itself
    (lws adds a vhost's header list to each status line it writes), carries
        x-content-type-options: nosniff
        referrer-policy: no-referrer
        x-frame-options: DENY
        strict-transport-security: max-age=31536000   (only when serving TLS)
    and the front adds, where the handler set none, `cache-control: no-store`
    and `content-security-policy: default-src 'none'; frame-ancestors 'none'`
    (the web page sets its own, fuller policy).

    CORS is off unless origins are configured (a comma-separated list of exact
    origins, "https://app.example.com"). A request whose Origin is listed gets
    Access-Control-Allow-Origin with that origin (never "*": the SignalR
    browser client sends credentials), Vary: Origin and the exposed headers;
    a preflight (OPTIONS with Origin and Access-Control-Request-Method) from a
    listed origin is answered 204 with the allowed methods and headers, one
    from any other origin 403 problem+json (wf_front_cors_allowed is pure and
    unit-tested).

    Requests lws's parser gives up on (an unknown method, bytes that are not
    HTTP) reach the "unparsed" protocol (lws's fallback for such
    connections) instead of lws's own 403 text/html page: 501 problem+json
    for something shaped like a request with another method, else 400; then
    the connection closes.
*/
#ifndef WF_FRONT_SECURITY_H_INCLUDED
#define WF_FRONT_SECURITY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define WF_CORS_ORIGIN_BYTES_MAX 256
#define WF_CORS_MAX_AGE_S        "600"
#define WF_CORS_ALLOW_METHODS    "GET, POST, PUT, PATCH, DELETE, OPTIONS"
#define WF_CORS_ALLOW_HEADERS                                                                      \
    "authorization, content-type, idempotency-key, x-request-id, traceparent, "                    \
    "x-requested-with, x-signalr-user-agent"
#define WF_CORS_EXPOSE_HEADERS "retry-after, x-request-id, location, www-authenticate"
#define WF_HSTS_VALUE          "max-age=31536000"
#define WF_API_CSP_VALUE       "default-src 'none'; frame-ancestors 'none'"

#include <libwebsockets.h>
#include "wf_front_http.h"

#define WF_FRONT_UNPARSED_PROTOCOL   "wf-unparsed"
#define WF_FRONT_UNPARSED_HEAD_BYTES 512 //  status line and headers of its answer

//  The header list for the lws vhost (static storage): with tls, HSTS too.
const struct lws_protocol_vhost_options *wf_front_security_vhost_headers (bool tls);

//  True when origin is one of the comma-separated origins (exact, byte for
//  byte; spaces around commas ignored). An empty list, an empty or "null"
//  origin, or one with bytes outside printable ASCII is never allowed.
bool wf_front_cors_allowed (const char *origins, const char *origin);

//  Adds the per-response headers to the block being written: no-store and
//  the API's CSP where resp sets none, and CORS for an allowed origin ("" =
//  none) when cors_origins is not "". False when they do not fit.
bool wf_front_security_headers (struct lws *wsi, const wf_http_response_t *resp, const char *origin,
                                const char *cors_origins, unsigned char **p, unsigned char *end);

//  The callback of the unparsed protocol (its context user is the front's
//  wf_front_http_t, which counts each answer in its metrics).
int wf_front_security_unparsed_callback (struct lws *wsi, enum lws_callback_reasons reason,
                                         void *user, void *in, size_t len);

#endif
