/*  wf_http_response - how handlers fill a response (wf_front_http.h): text,
    JSON, problem+json and extra headers. Apart from the libwebsockets thread
    that sends it, so the http fuzz target runs the same code.
*/
#include "wf_front_http.h"
#include "wf_problem.h"
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
wf_http_add_header (wf_http_response_t *resp, const char *name, const char *value)
{
    assert (resp->headers_count < WF_HTTP_EXTRA_HEADERS_MAX);
    if (resp->headers_count >= WF_HTTP_EXTRA_HEADERS_MAX)
        return; //  a handler's bug: drop the header rather than write past the table
    resp->header_names[resp->headers_count] = name;
    resp->header_values[resp->headers_count] = strdup (value);
    resp->headers_count++;
}

void
wf_http_respond_text (wf_http_response_t *resp, int status, const char *content_type,
                      const char *text)
{
    free (resp->body);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = strdup (text);
    resp->body_len = strlen (text);
}

void
wf_http_respond_json (wf_http_response_t *resp, int status, char *json_text)
{
    free (resp->body);
    resp->status = status;
    resp->content_type = "application/json; charset=utf-8";
    resp->body = json_text;
    resp->body_len = strlen (json_text);
}

void
wf_http_respond_problem (wf_http_response_t *resp, const wf_http_request_t *req, int status,
                         const char *title, const char *detail)
{
    free (resp->body);
    resp->status = status;
    resp->content_type = "application/problem+json; charset=utf-8";
    resp->body = wf_problem_render (status, title, detail, req ? req->trace_id : NULL, NULL, 0);
    resp->body_len = strlen (resp->body);
}

void
wf_http_respond_error (wf_http_response_t *resp, const wf_http_request_t *req,
                       const wf_error_t *error)
{
    wf_err_t code = (wf_err_t) error->code;
    int status = wf_err_http_status (code);
    char detail[513];
    snprintf (detail, sizeof detail, "%.*s", (int) error->detail.len,
              error->detail.ptr ? error->detail.ptr : "");
    free (resp->body);
    resp->status = status;
    resp->content_type = "application/problem+json; charset=utf-8";
    resp->body = wf_problem_render (status, wf_err_title (code), detail, req->trace_id,
                                    error->errors, error->errors_count);
    resp->body_len = strlen (resp->body);
    if (error->retry_after_s > 0) {
        char seconds[24];
        snprintf (seconds, sizeof seconds, "%" PRId64, error->retry_after_s);
        wf_http_add_header (resp, "retry-after:", seconds);
    } else if (status == 503 || status == 429)
        wf_http_add_header (resp, "retry-after:", "1");
}
