/*  wf_front_auth - the identity part of the HTTP API, and bearer-token checks
    for every protected route.

    The front verifies access tokens itself (no round trip): HS256 only, with
    the server's key, iss/aud/exp/nbf checked, through a per-thread cache of
    verified tokens (wf_jwt_cache).
*/
#ifndef WF_FRONT_AUTH_H_INCLUDED
#define WF_FRONT_AUTH_H_INCLUDED

#include "wf_front_routes.h"
#include "wf_jwt.h"

//  Verifies the request's "Authorization: Bearer" token. Returns 0 with
//  claims filled, or -1 with resp set to 401 problem+json and
//  `WWW-Authenticate: Bearer error="invalid_token"` (no token: just
//  `Bearer`).
int wf_front_auth_require (wf_front_http_t *http, const wf_http_request_t *req,
                           wf_http_response_t *resp, wf_jwt_claims_t *claims);

//  /api/auth/register, /login, /refresh, /logout, /me and /api/users/{id}.
const wf_front_route_def_t *wf_front_auth_routes (size_t *count);

#endif
