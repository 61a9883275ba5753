/*  wf_front_json - request bodies as JSON: content type, strict validation,
    then jansson, each failure a 400/415 problem+json naming the problem.
*/
#ifndef WF_FRONT_JSON_H_INCLUDED
#define WF_FRONT_JSON_H_INCLUDED

#include <jansson.h>
#include "wf_front_http.h"
#include "wf_json_raw.h"

//  Parses req's body into *root (an object). Returns 0, or -1 with resp set.
//  raw, when not NULL, receives the strict scan (exact member texts).
int wf_front_json_parse_raw (const wf_http_request_t *req, wf_http_response_t *resp, json_t **root,
                             wf_json_raw_t *raw);
int wf_front_json_parse (const wf_http_request_t *req, wf_http_response_t *resp, json_t **root);

//  Answers 400 validation problem with one field error.
void wf_front_json_field_error (const wf_http_request_t *req, wf_http_response_t *resp,
                                const char *field, const char *message);

#endif
