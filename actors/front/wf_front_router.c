/*  wf_front_router - route matching for the HTTP front.  */
#include "wf_front_router.h"
#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *s_method_names[] = {"GET",    "POST", "PUT",     "PATCH",
                                       "DELETE", "HEAD", "OPTIONS", "OTHER"};

const char *
wf_http_method_name (wf_http_method_t method)
{
    assert ((unsigned) method <= WF_HTTP_METHOD_OTHER);
    return s_method_names[method];
}

//  Matches one pattern; fills params on success.
static bool
s_match_pattern (const char *pattern, const char *path, size_t path_len, wf_route_match_t *match)
{
    size_t p = 0, i = 0, plen = strlen (pattern);
    match->params_count = 0;
    while (p < plen && i < path_len) {
        if (pattern[p] == '{') {
            const char *close = strchr (pattern + p, '}');
            assert (close);
            size_t start = i;
            while (i < path_len && path[i] != '/')
                i++;
            if (i == start || match->params_count >= WF_HTTP_ROUTE_PARAMS_MAX)
                return false; //  a parameter is never empty
            match->params[match->params_count++] = (wf_str_t){path + start, i - start};
            p = (size_t) (close - pattern) + 1;
        } else if (pattern[p] == path[i]) {
            p++;
            i++;
        } else
            return false;
    }
    return p == plen && i == path_len;
}

wf_route_result_t
wf_route_match (const wf_route_t *routes, size_t count, wf_http_method_t method, const char *path,
                size_t path_len, wf_route_match_t *match, char *allow, size_t allow_size)
{
    bool path_known = false;
    size_t allow_len = 0;
    if (allow_size)
        allow[0] = 0;
    for (size_t r = 0; r < count; r++) {
        wf_route_match_t candidate;
        if (!s_match_pattern (routes[r].pattern, path, path_len, &candidate))
            continue;
        candidate.route = &routes[r];
        bool head_as_get = method == WF_HTTP_HEAD && routes[r].method == WF_HTTP_GET;
        if (routes[r].method == method || head_as_get) {
            *match = candidate;
            return WF_ROUTE_FOUND;
        }
        path_known = true;
        if (allow_size > allow_len) {
            int n = snprintf (allow + allow_len, allow_size - allow_len, "%s%s",
                              allow_len ? ", " : "", wf_http_method_name (routes[r].method));
            if (n > 0)
                allow_len += (size_t) n;
            if (allow_len >= allow_size)
                allow_len = allow_size - 1;
        }
    }
    return path_known ? WF_ROUTE_WRONG_METHOD : WF_ROUTE_NOT_FOUND;
}
