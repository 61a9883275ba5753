/*  wf_front_routes - the HTTP API's route table and handlers.

    Handlers here are the walking skeleton's: health in the ASP.NET Core
    convention, Prometheus metrics, and system.info, a round trip through the
    broker to a worker that reads PostgreSQL. Business routes join this table
    from their own files (wf_front_<area>.c).
*/
#include "wf_front_routes.h"
#include "wf_front_accounts.h"
#include "wf_front_auth.h"
#include "wf_front_hub.h"
#include "wf_front_json.h"
#include "wf_front_web.h"
#include "wf_health_report.h"
#include <jansson.h>

//  GET /health, /health/live, /health/ready.
static wf_handler_result_t
s_health (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp,
          wf_health_kind_t kind)
{
    int status;
    char *body = NULL;
    const char *content_type;
    wf_health_render (wf_front_http_health (http), kind, req->accept_json, wf_clock_ms (), &status,
                      &body, &content_type);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = body;
    resp->body_len = strlen (body);
    wf_http_add_header (resp, "cache-control:", "no-store, no-cache");
    return WF_HANDLER_DONE;
}

static wf_handler_result_t
s_health_all (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_health (http, req, resp, WF_HEALTH_ALL);
}

static wf_handler_result_t
s_health_live (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_health (http, req, resp, WF_HEALTH_LIVE);
}

static wf_handler_result_t
s_health_ready (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_health (http, req, resp, WF_HEALTH_READY);
}

//  GET /metrics: this thread's registry plus what the other actors published.
static wf_handler_result_t
s_metrics (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    char *own = wf_front_http_metrics_own (http);
    const char *others = wf_front_http_metrics_others (http);
    char *text = zsys_sprintf ("%s%s", own, others ? others : "");
    free (own);
    wf_http_respond_text (resp, 200, "text/plain; version=0.0.4; charset=utf-8", text);
    zstr_free (&text);
    return WF_HANDLER_DONE;
}

//  GET|POST /api/system/info: asks the system service (POST may send {"probe"}).
static wf_handler_result_t
s_system_info (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_system_info_t msg = {0};
    json_t *root = NULL;
    if (req->method == WF_HTTP_POST) {
        if (wf_front_json_parse (req, resp, &root) != 0)
            return WF_HANDLER_DONE;
        json_t *probe = json_object_get (root, "probe");
        if (probe && (!json_is_string (probe) || json_string_length (probe) > 64)) {
            wf_front_json_field_error (req, resp, "probe",
                                       "probe must be a string of at most 64 bytes");
            json_decref (root);
            return WF_HANDLER_DONE;
        }
        if (probe)
            msg.probe = (wf_str_t){json_string_value (probe), json_string_length (probe)};
    }
    int rc = wf_front_http_call (http, "system", WF_MSG_SYSTEM_INFO, &msg);
    json_decref (root);
    if (rc != 0) {
        wf_http_respond_problem (resp, req, 503, "Service Unavailable", "the front is overloaded");
        return WF_HANDLER_DONE;
    }
    return WF_HANDLER_PENDING;
}

static void
s_system_info_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                     const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (env->type != WF_MSG_SYSTEM_INFO_REPLY) {
        wf_http_respond_problem (resp, req, 502, "Bad Gateway", "unexpected reply type");
        return;
    }
    const wf_system_info_reply_t *r = &body->system_info_reply;
    json_t *root = json_object ();
    json_object_set_new (root, "schemaVersion", json_integer (r->schema_version));
    json_object_set_new (root, "postgresVersion",
                         json_stringn (r->server_version.ptr, r->server_version.len));
    json_object_set_new (root, "worker", json_stringn (r->worker.ptr, r->worker.len));
    json_object_set_new (root, "probe",
                         json_stringn (r->probe.ptr ? r->probe.ptr : "", r->probe.len));
    json_object_set_new (root, "requestId", json_string (req->request_id));
    wf_http_respond_json (resp, 200, json_dumps (root, JSON_COMPACT | JSON_PRESERVE_ORDER));
    json_decref (root);
}

static const wf_front_route_def_t s_routes[] = {
    {{WF_HTTP_GET, "/health", 0}, "/health", s_health_all, NULL},
    {{WF_HTTP_GET, "/health/live", 0}, "/health/live", s_health_live, NULL},
    {{WF_HTTP_GET, "/health/ready", 0}, "/health/ready", s_health_ready, NULL},
    {{WF_HTTP_GET, "/metrics", 0}, "/metrics", s_metrics, NULL},
    {{WF_HTTP_GET, "/api/system/info", 0}, "/api/system/info", s_system_info, s_system_info_reply},
    {{WF_HTTP_POST, "/api/system/info", 0}, "/api/system/info", s_system_info, s_system_info_reply},
};

const wf_front_route_def_t *
wf_front_routes_system (size_t *count)
{
    *count = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}

//  Every area of the API registers its provider here, one entry each.
static const wf_front_routes_fn s_providers[] = {
    wf_front_routes_system, wf_front_hub_routes, wf_front_account_routes,
    wf_front_auth_routes,   wf_front_web_routes, wf_front_ledger_routes,
};

wf_front_route_def_t *
wf_front_routes_collect (size_t *count)
{
    size_t total = 0, n;
    for (size_t p = 0; p < sizeof s_providers / sizeof s_providers[0]; p++) {
        s_providers[p](&n);
        total += n;
    }
    wf_front_route_def_t *defs = (wf_front_route_def_t *) calloc (total, sizeof *defs);
    assert (defs);
    size_t at = 0;
    for (size_t p = 0; p < sizeof s_providers / sizeof s_providers[0]; p++) {
        const wf_front_route_def_t *part = s_providers[p](&n);
        memcpy (defs + at, part, n * sizeof *part);
        at += n;
    }
    *count = total;
    return defs;
}
