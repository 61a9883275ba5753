/*  wf_front_security - security headers and the CORS origin check.  */
#include "wf_front_security.h"
#include <libwebsockets.h>
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
