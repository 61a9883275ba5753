/*  wf_front_security - security headers and the CORS origin check.  */
#include "wf_front_security.h"
#include "wf_problem.h"
#include <string.h>

//  Linked from the last to the first; HSTS heads the TLS list.
static const struct lws_protocol_vhost_options s_frame = {NULL, NULL, "x-frame-options:", "DENY"};
static const struct lws_protocol_vhost_options s_referrer = {&s_frame, NULL,
                                                             "referrer-policy:", "no-referrer"};
static const struct lws_protocol_vhost_options s_nosniff = {&s_referrer, NULL,
                                                            "x-content-type-options:", "nosniff"};
static const struct lws_protocol_vhost_options s_hsts = {
    &s_nosniff, NULL, "strict-transport-security:", WF_HSTS_VALUE};

const struct lws_protocol_vhost_options *
wf_front_security_vhost_headers (bool tls)
{
    return tls ? &s_hsts : &s_nosniff;
}

bool
wf_front_cors_allowed (const char *origins, const char *origin)
{
    if (!origins || !origin)
        return false;
    size_t len = strlen (origin);
    if (len == 0 || len > WF_CORS_ORIGIN_BYTES_MAX || strcmp (origin, "null") == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (origin[i] <= ' ' || origin[i] > '~' || origin[i] == ',')
            return false;
    for (const char *p = origins; *p;) {
        p += strspn (p, " ");
        size_t item = strcspn (p, ",");
        size_t trimmed = item;
        while (trimmed > 0 && p[trimmed - 1] == ' ')
            trimmed--;
        if (trimmed == len && memcmp (p, origin, len) == 0)
            return true;
        p += item;
        if (*p == ',')
            p++;
    }
    return false;
}

//  True when the handler set the header name ("cache-control:").
static bool
s_has_header (const wf_http_response_t *resp, const char *name)
{
    for (size_t i = 0; i < resp->headers_count; i++)
        if (strcasecmp (resp->header_names[i], name) == 0)
            return true;
    return false;
}

//  Adds one header to the block being written; false when it does not fit.
static bool
s_put_header (struct lws *wsi, const char *name, const char *value, unsigned char **p,
              unsigned char *end)
{
    return lws_add_http_header_by_name (wsi, (const unsigned char *) name,
                                        (const unsigned char *) value, (int) strlen (value), p,
                                        end) == 0;
}

bool
wf_front_security_headers (struct lws *wsi, const wf_http_response_t *resp, const char *origin,
                           const char *cors_origins, unsigned char **p, unsigned char *end)
{
    bool ok = true;
    if (!s_has_header (resp, "cache-control:"))
        ok = ok && s_put_header (wsi, "cache-control:", "no-store", p, end);
    if (!s_has_header (resp, "content-security-policy:"))
        ok = ok && s_put_header (wsi, "content-security-policy:", WF_API_CSP_VALUE, p, end);
    if (!*cors_origins)
        return ok;
    ok = ok && s_put_header (wsi, "vary:", "Origin", p, end);
    if (*origin && wf_front_cors_allowed (cors_origins, origin)) {
        ok = ok && s_put_header (wsi, "access-control-allow-origin:", origin, p, end);
        ok = ok && s_put_header (wsi, "access-control-allow-credentials:", "true", p, end);
        ok = ok &&
             s_put_header (wsi, "access-control-expose-headers:", WF_CORS_EXPOSE_HEADERS, p, end);
    }
    return ok;
}

//  The status for the bytes lws's parser gave up on: 501 for something
//  shaped like a request with another method ("BREW /x"), else 400.
static int
s_unparsed_status (const char *in, size_t len)
{
    size_t method = 0;
    while (method < len && method < 20 && in[method] >= 'A' && in[method] <= 'Z')
        method++;
    return method > 0 && method < len && in[method] == ' ' ? 501 : 400;
}

//  Writes the one answer of an unparsed connection.
static void
s_unparsed_answer (struct lws *wsi, int status)
{
    const char *title = status == 501 ? "Not Implemented" : "Bad Request";
    const char *detail = status == 501 ? "the server does not implement this method"
                                       : "the request line is not HTTP/1.1";
    char *body = wf_problem_render (status, title, detail, NULL, NULL, 0);
    size_t body_len = strlen (body);
    size_t size = WF_FRONT_UNPARSED_HEAD_BYTES + body_len;
    unsigned char *buf = (unsigned char *) malloc (LWS_PRE + size);
    assert (buf);
    int n = snprintf ((char *) buf + LWS_PRE, size,
                      "HTTP/1.1 %d %s\r\ncontent-type: application/problem+json; charset=utf-8\r\n"
                      "content-length: %zu\r\nconnection: close\r\n"
                      "x-content-type-options: nosniff\r\ncache-control: no-store\r\n\r\n%s",
                      status, title, body_len, body);
    assert (n > 0 && (size_t) n < size);
    lws_write (wsi, buf + LWS_PRE, (size_t) n, LWS_WRITE_RAW);
    free (buf);
    free (body);
}

int
wf_front_security_unparsed_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user,
                                     void *in, size_t len)
{
    (void) user;
    //  The status chosen at the first bytes rides in the wsi's opaque pointer.
    if (reason == LWS_CALLBACK_RAW_RX && !lws_get_opaque_user_data (wsi)) {
        int status = s_unparsed_status ((const char *) in, in ? len : 0);
        lws_set_opaque_user_data (wsi, (void *) (intptr_t) status);
        wf_front_http_t *http = (wf_front_http_t *) lws_context_user (lws_get_context (wsi));
        wf_metrics_counter_add (wf_front_http_registry (http), "wf_http_unparsed_requests_total",
                                "Requests lws could not parse, answered without a route.", 1,
                                "status", status == 501 ? "501" : "400", NULL);
        lws_callback_on_writable (wsi);
        return 0;
    }
    if (reason == LWS_CALLBACK_RAW_WRITEABLE && lws_get_opaque_user_data (wsi)) {
        s_unparsed_answer (wsi, (int) (intptr_t) lws_get_opaque_user_data (wsi));
        return -1; //  close
    }
    return 0;
}
