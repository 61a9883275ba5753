/*  wf_problem - RFC 7807 problem+json bodies.  */
#include "wf_problem.h"
#include <assert.h>
#include <jansson.h>
#include <stdlib.h>

const char *
wf_problem_type (int status)
{
    switch (status) {
        case 400:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.1";
        case 401:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.2";
        case 403:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.4";
        case 404:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.5";
        case 405:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.6";
        case 409:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.10";
        case 411:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.12";
        case 413:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.14";
        case 414:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.15";
        case 415:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.16";
        case 422:
            return "https://tools.ietf.org/html/rfc9110#section-15.5.21";
        case 429:
            return "https://tools.ietf.org/html/rfc6585#section-4";
        case 431:
            return "https://tools.ietf.org/html/rfc6585#section-5";
        case 500:
            return "https://tools.ietf.org/html/rfc9110#section-15.6.1";
        case 502:
            return "https://tools.ietf.org/html/rfc9110#section-15.6.3";
        case 503:
            return "https://tools.ietf.org/html/rfc9110#section-15.6.4";
        case 504:
            return "https://tools.ietf.org/html/rfc9110#section-15.6.5";
        default:
            return "about:blank";
    }
}

//  Adds errors as {field: [message, ...]}, grouping messages per field.
static void
s_add_errors (json_t *root, const wf_field_error_t *errors, size_t count)
{
    json_t *map = json_object ();
    for (size_t i = 0; i < count; i++) {
        const char *field_ptr = errors[i].field.ptr ? errors[i].field.ptr : "";
        json_t *list = json_object_getn (map, field_ptr, errors[i].field.len);
        if (!list) {
            list = json_array ();
            json_object_setn_new (map, field_ptr, errors[i].field.len, list);
        }
        json_array_append_new (list,
                               json_stringn (errors[i].message.ptr ? errors[i].message.ptr : "",
                                             errors[i].message.len));
    }
    json_object_set_new (root, "errors", map);
}

char *
wf_problem_render (int status, const char *title, const char *detail, const char *trace_id,
                   const wf_field_error_t *errors, size_t errors_count)
{
    json_t *root = json_object ();
    json_object_set_new (root, "type", json_string (wf_problem_type (status)));
    json_object_set_new (root, "title", json_string (title ? title : ""));
    json_object_set_new (root, "status", json_integer (status));
    if (detail && *detail)
        json_object_set_new (root, "detail", json_string (detail));
    if (trace_id && *trace_id)
        json_object_set_new (root, "traceId", json_string (trace_id));
    if (errors && errors_count)
        s_add_errors (root, errors, errors_count);
    char *text = json_dumps (root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (root);
    if (!text) {
        //  Only invalid UTF-8 in detail can make dumps fail: fall back safely.
        root = json_pack ("{s:s,s:s,s:i}", "type", wf_problem_type (status), "title",
                          title ? title : "", "status", status);
        text = json_dumps (root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref (root);
    }
    assert (text);
    return text;
}
