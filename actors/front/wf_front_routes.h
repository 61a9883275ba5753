/*  wf_front_routes - the HTTP API: one table of routes with their handlers.

    A handler either answers at once (health, metrics, validation errors) or
    sends one request to a service and completes in its reply handler.
*/
#ifndef WF_FRONT_ROUTES_H_INCLUDED
#define WF_FRONT_ROUTES_H_INCLUDED

#include "wf_front_http.h"

typedef struct {
    wf_route_t route; //  route.id is the index in the table
    const char *name; //  metrics/log label: the pattern
    wf_route_handler_fn handle;
    wf_route_reply_fn reply; //  NULL when the handler never calls a service
} wf_front_route_def_t;

//  A part of the API contributes its routes through one provider function.
typedef const wf_front_route_def_t *(*wf_front_routes_fn) (size_t *count);

//  The skeleton's routes: health, metrics, system info.
const wf_front_route_def_t *wf_front_routes_system (size_t *count);

//  Every route of the API, joined from the providers listed in
//  wf_front_routes.c, in a fresh array the caller frees.
wf_front_route_def_t *wf_front_routes_collect (size_t *count);

#endif
