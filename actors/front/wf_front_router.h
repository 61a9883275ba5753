/*  wf_front_router - matches "METHOD /path" against a table of routes with
    {param} segments.

    Pure and allocation-free: a match fills up to WF_HTTP_ROUTE_PARAMS_MAX
    parameter slices pointing into the path. The path must already be free of
    its query string; segments are compared byte for byte (no decoding), so
    "%2e%2e" never becomes "..": a route either matches literally or not at all.
*/
#ifndef WF_FRONT_ROUTER_H_INCLUDED
#define WF_FRONT_ROUTER_H_INCLUDED

#include "wf_limits.h"
#include "wf_msg.h"

typedef enum {
    WF_HTTP_GET,
    WF_HTTP_POST,
    WF_HTTP_PUT,
    WF_HTTP_PATCH,
    WF_HTTP_DELETE,
    WF_HTTP_HEAD,
    WF_HTTP_OPTIONS,
    WF_HTTP_METHOD_OTHER
} wf_http_method_t;

typedef struct {
    wf_http_method_t method;
    const char *pattern; //  "/api/accounts/{id}/deposit"
    int id;              //  the caller's handler id
} wf_route_t;

typedef struct {
    const wf_route_t *route;
    wf_str_t params[WF_HTTP_ROUTE_PARAMS_MAX];
    size_t params_count;
} wf_route_match_t;

typedef enum {
    WF_ROUTE_FOUND,
    WF_ROUTE_NOT_FOUND,   //  no pattern matches the path
    WF_ROUTE_WRONG_METHOD //  a pattern matches, but not for this method (405)
} wf_route_result_t;

//  Matches method + path against routes[0..count). On WRONG_METHOD, allow
//  receives the allowed methods as "GET, POST" (for the Allow header).
wf_route_result_t wf_route_match (const wf_route_t *routes, size_t count, wf_http_method_t method,
                                  const char *path, size_t path_len, wf_route_match_t *match,
                                  char *allow, size_t allow_size);

//  "GET" etc; "OTHER" for WF_HTTP_METHOD_OTHER.
const char *wf_http_method_name (wf_http_method_t method);

#endif
