/*  wf_front_accounts_internal - what the account routes (wf_front_accounts.c)
    share with the ledger routes (wf_front_ledger.c). Private to the front.
*/
#ifndef WF_FRONT_ACCOUNTS_INTERNAL_H_INCLUDED
#define WF_FRONT_ACCOUNTS_INTERNAL_H_INCLUDED

#include <jansson.h>
#include "wf_front_routes.h"
#include "wf_account_aggregate.h"

//  A JSON number that keeps the scale of minor units (a money placeholder).
json_t *wf_front_accounts_money (int64_t minor, int64_t digits);
//  ISO-8601 UTC text of a time in ms.
json_t *wf_front_accounts_time (int64_t ms);
//  A string from a slice, or JSON null when empty.
json_t *wf_front_accounts_text_or_null (wf_str_t s);
//  Renders a document with money placeholders; takes the reference.
void wf_front_accounts_respond_money_json (wf_http_response_t *resp, int status, json_t *doc);
//  The path's {id} when it is a valid uuid; else answers 404.
bool wf_front_accounts_path_account (const wf_http_request_t *req, wf_http_response_t *resp,
                                     char id[WF_UUID_BYTES]);
//  Sends a call, or answers 503 when the bridge is full.
wf_handler_result_t wf_front_accounts_call (wf_front_http_t *http, const wf_http_request_t *req,
                                            wf_http_response_t *resp, const char *service,
                                            wf_msg_id_t type, const void *body);
//  The shard service of an id.
void wf_front_accounts_shard_service (wf_front_http_t *http, const char *id, char service[32]);
//  An optional string member of at most max bytes; false (and 400) otherwise.
bool wf_front_accounts_optional_string (const wf_http_request_t *req, wf_http_response_t *resp,
                                        json_t *root, const char *name, size_t max, wf_str_t *out);
//  The optional metadata object as compact JSON (caller frees); false (and 400).
bool wf_front_accounts_metadata (const wf_http_request_t *req, wf_http_response_t *resp,
                                 json_t *root, char **out);
//  The request's idempotency fingerprint (BLAKE2b of method, path, body).
void wf_front_accounts_fingerprint (const wf_http_request_t *req, char hex[65]);
//  AccountDto and TransactionDto replies.
void wf_front_accounts_account_reply (wf_front_http_t *http, const wf_http_request_t *req,
                                      const wf_envelope_t *env, const wf_any_msg_t *body,
                                      wf_http_response_t *resp);
void wf_front_accounts_transaction_reply (wf_front_http_t *http, const wf_http_request_t *req,
                                          const wf_envelope_t *env, const wf_any_msg_t *body,
                                          wf_http_response_t *resp);

#endif
