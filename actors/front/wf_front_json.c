/*  wf_front_json - request bodies as JSON.  */
#include "wf_front_json.h"
#include "wf_problem.h"
#include <strings.h>

//  True for application/json, with or without parameters (charset=utf-8).
static bool
s_is_json_type (const char *content_type)
{
    size_t len = strlen ("application/json");
    return strncasecmp (content_type, "application/json", len) == 0 &&
           (content_type[len] == 0 || content_type[len] == ';' || content_type[len] == ' ');
}

int
wf_front_json_parse_raw (const wf_http_request_t *req, wf_http_response_t *resp, json_t **root,
                         wf_json_raw_t *raw)
{
    *root = NULL;
    if (!s_is_json_type (req->content_type)) {
        wf_http_respond_problem (resp, req, 415, "Unsupported Media Type",
                                 "the request body must be application/json");
        return -1;
    }
    wf_json_raw_t local;
    wf_json_raw_t *scan = raw ? raw : &local;
    if (!req->body || wf_json_raw_scan (req->body, req->body_len, scan) != 0) {
        char detail[160];
        if (!req->body)
            snprintf (detail, sizeof detail, "the request body is empty");
        else
            snprintf (detail, sizeof detail, "invalid JSON at byte %zu: %s", scan->err_offset,
                      wf_json_raw_strerror (scan->err));
        wf_http_respond_problem (resp, req, 400, "Bad Request", detail);
        return -1;
    }
    json_error_t error;
    //  Integers are decoded as reals so that a huge number is not a syntax
    //  error here: money is never read from jansson's numbers (wf_json_raw
    //  hands out the exact text), so the field's own validation names it.
    *root = json_loadb (req->body, req->body_len,
                        JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &error);
    if (!*root || !json_is_object (*root)) {
        char detail[256];
        snprintf (detail, sizeof detail, "invalid JSON at line %d, column %d: %s", error.line,
                  error.column, error.text);
        wf_http_respond_problem (resp, req, 400, "Bad Request", detail);
        json_decref (*root);
        *root = NULL;
        return -1;
    }
    return 0;
}

int
wf_front_json_parse (const wf_http_request_t *req, wf_http_response_t *resp, json_t **root)
{
    return wf_front_json_parse_raw (req, resp, root, NULL);
}

void
wf_front_json_field_error (const wf_http_request_t *req, wf_http_response_t *resp,
                           const char *field, const char *message)
{
    wf_field_error_t error = {.field = wf_str_c (field), .message = wf_str_c (message)};
    free (resp->body);
    resp->status = 400;
    resp->content_type = "application/problem+json; charset=utf-8";
    resp->body =
        wf_problem_render (400, wf_err_title (WF_ERR_VALIDATION), NULL, req->trace_id, &error, 1);
    resp->body_len = strlen (resp->body);
}
