/*  wf_front_accounts - the accounts part of the HTTP API.

    Commands go to the account's shard ("account.<n>"), reads to the "query"
    service. Amounts travel as the exact text the client wrote (number literal
    or string) and are parsed by the shard with the account's currency digits;
    money leaves as JSON numbers that keep the currency's scale (100.50).
*/
#include "wf_front_accounts.h"
#include "wf_front_accounts_internal.h"
#include "wf_front_auth.h"
#include "wf_front_json.h"
#include "wf_account_aggregate.h"
#include "wf_account_store.h"
#include "wf_currency.h"
#include "wf_money.h"
#include "wf_msgpack_scan.h"
#include "wf_log.h"
#include "wf_shard.h"
#include "wf_uuid.h"
#include <sodium.h>
#include <ctype.h>
#include <time.h>

#define IDEMPOTENCY_KEY_BYTES_MAX 255
#define DESCRIPTION_BYTES_MAX     512

//  A JSON number that keeps the scale of minor units (jansson placeholder,
//  rendered by wf_money_json_dumps).
static json_t *
s_money (int64_t minor, int64_t digits)
{
    return wf_money_json_value (minor, (int) digits);
}

//  True (and 502) when a worker's reply carries a scale no currency has: the
//  money formatter asserts on it, and a reply is outside input.
static bool
s_bad_scale (const wf_http_request_t *req, wf_http_response_t *resp, int64_t digits)
{
    if (digits >= 0 && digits <= WF_CURRENCY_DIGITS_MAX)
        return false;
    wf_http_respond_problem (resp, req, 502, "Bad Gateway", "a reply carried an invalid scale");
    return true;
}

//  ISO-8601 UTC text of a time in ms.
static json_t *
s_time (int64_t ms)
{
    char text[32];
    wf_account_iso_time (ms, text);
    return json_string (text);
}

//  A string member from a slice, or JSON null when empty.
static json_t *
s_text_or_null (wf_str_t s)
{
    return s.len ? json_stringn (s.ptr, s.len) : json_null ();
}

//  AccountDto as JSON.
static json_t *
s_account_json (const wf_account_info_t *a)
{
    json_t *o = json_object ();
    json_object_set_new (o, "id", json_stringn (a->id.ptr, a->id.len));
    json_object_set_new (o, "ownerId", json_stringn (a->owner_id.ptr, a->owner_id.len));
    json_object_set_new (o, "accountNumber", json_stringn (a->number.ptr, a->number.len));
    json_object_set_new (o, "balance", s_money (a->balance, a->digits));
    json_object_set_new (o, "availableBalance", s_money (a->balance - a->held, a->digits));
    json_object_set_new (o, "heldBalance", s_money (a->held, a->digits));
    json_object_set_new (o, "overdraftLimit", s_money (a->overdraft_limit, a->digits));
    json_object_set_new (o, "currency", json_stringn (a->currency.ptr, a->currency.len));
    json_object_set_new (o, "status", json_stringn (a->status.ptr, a->status.len));
    json_object_set_new (o, "createdAt", s_time (a->created_at_ms));
    json_object_set_new (o, "version", json_integer (a->version));
    json_object_set_new (o, "isDefault", json_boolean (a->is_default));
    return o;
}

//  TransactionDto as JSON.
static json_t *
s_transaction_json (const wf_account_transaction_t *t)
{
    //  A transfer's reversal (a Refund row) names where the money went back to.
    bool sent = wf_str_eq (t->type, "Transfer") ||
                (wf_str_eq (t->type, "Refund") && t->destination_account_id.len);
    bool received = wf_str_eq (t->type, "TransferReceived");
    json_t *o = json_object ();
    json_object_set_new (o, "id", json_stringn (t->id.ptr, t->id.len));
    json_object_set_new (o, "accountId", json_stringn (t->account_id.ptr, t->account_id.len));
    json_object_set_new (o, "destinationAccountId",
                         sent ? s_text_or_null (t->destination_account_id) : json_null ());
    if (sent || received)
        json_object_set_new (o, "counterpartyAccountId",
                             s_text_or_null (t->destination_account_id));
    json_object_set_new (o, "amount", s_money (t->amount, t->digits));
    json_object_set_new (o, "currency", json_stringn (t->currency.ptr, t->currency.len));
    json_object_set_new (o, "balanceAfter", s_money (t->balance_after, t->digits));
    json_object_set_new (o, "type", json_stringn (t->type.ptr, t->type.len));
    json_object_set_new (o, "description", s_text_or_null (t->description));
    json_object_set_new (o, "createdAt", s_time (t->created_at_ms));
    json_object_set_new (o, "refundedAmount", s_money (t->refunded, t->digits));
    json_error_t error;
    json_t *metadata =
        t->metadata.len ? json_loadb (t->metadata.ptr, t->metadata.len, 0, &error) : NULL;
    json_object_set_new (o, "metadata", json_is_object (metadata) ? metadata : json_object ());
    if (metadata && !json_is_object (metadata))
        json_decref (metadata);
    if (t->refund_of.len)
        json_object_set_new (o, "refundOf", json_stringn (t->refund_of.ptr, t->refund_of.len));
    return o;
}

//  Renders a JSON document with money placeholders; takes the reference.
static void
s_respond_money_json (wf_http_response_t *resp, int status, json_t *doc)
{
    char *text = wf_money_json_dumps (doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (doc);
    if (!text)
        text = strdup ("{}");
    wf_http_respond_json (resp, status, text);
}

//  The path's {id} when it is a valid account id; else answers 404.
static bool
s_path_account (const wf_http_request_t *req, wf_http_response_t *resp, char id[WF_UUID_BYTES])
{
    wf_str_t param = req->match.params[0];
    if (!wf_account_uuid_valid (param)) {
        wf_http_respond_problem (resp, req, 404, "Not Found", "No such account.");
        return false;
    }
    memcpy (id, param.ptr, WF_UUID_LEN);
    id[WF_UUID_LEN] = 0;
    return true;
}

//  Sends a call or answers 503 when the bridge is full.
static wf_handler_result_t
s_call (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp,
        const char *service, wf_msg_id_t type, const void *body)
{
    if (wf_front_http_call (http, service, type, body) == 0)
        return WF_HANDLER_PENDING;
    wf_http_respond_problem (resp, req, 503, "Service Unavailable", "the front is overloaded");
    wf_http_add_header (resp, "retry-after:", "1");
    return WF_HANDLER_DONE;
}

//  The shard service of an account id.
static void
s_shard_service (wf_front_http_t *http, const char *id, char service[32])
{
    int shards = wf_front_http_config (http)->account_shards;
    wf_shard_service (wf_shard_of (id, strlen (id), shards > 0 ? shards : 1), service, 32);
}

//  GET /api/accounts: the caller's accounts.
static wf_handler_result_t
s_list (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_jwt_claims_t claims;
    if (wf_front_auth_require (http, req, resp, &claims) != 0)
        return WF_HANDLER_DONE;
    wf_account_query_t q = {
        .kind = WF_STR ("list"), .user_id = wf_str_c (claims.sub), .role = wf_str_c (claims.role)};
    return s_call (http, req, resp, "query", WF_MSG_ACCOUNT_QUERY, &q);
}

static void
s_list_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
              const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (env->type != WF_MSG_ACCOUNT_LIST) {
        wf_http_respond_problem (resp, req, 502, "Bad Gateway", "unexpected reply");
        return;
    }
    for (uint32_t i = 0; i < body->account_list.items_count; i++)
        if (s_bad_scale (req, resp, body->account_list.items[i].digits))
            return;
    json_t *list = json_array ();
    for (uint32_t i = 0; i < body->account_list.items_count; i++)
        json_array_append_new (list, s_account_json (&body->account_list.items[i]));
    s_respond_money_json (resp, 200, list);
}

//  GET /api/accounts/{id}.
static wf_handler_result_t
s_get (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_jwt_claims_t claims;
    char id[WF_UUID_BYTES];
    if (wf_front_auth_require (http, req, resp, &claims) != 0 || !s_path_account (req, resp, id))
        return WF_HANDLER_DONE;
    wf_account_query_t q = {.kind = WF_STR ("get"),
                            .user_id = wf_str_c (claims.sub),
                            .role = wf_str_c (claims.role),
                            .account_id = wf_str_c (id)};
    return s_call (http, req, resp, "query", WF_MSG_ACCOUNT_QUERY, &q);
}

//  An AccountDto reply (200).
static void
s_account_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                 const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (env->type != WF_MSG_ACCOUNT_INFO) {
        wf_http_respond_problem (resp, req, 502, "Bad Gateway", "unexpected reply");
        return;
    }
    if (s_bad_scale (req, resp, body->account_info.digits))
        return;
    s_respond_money_json (resp, 200, s_account_json (&body->account_info));
}

//  A new account: 201 with its Location.
static void
s_created_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                 const wf_any_msg_t *body, wf_http_response_t *resp)
{
    s_account_reply (http, req, env, body, resp);
    if (resp->status != 200)
        return;
    const wf_account_info_t *a = &body->account_info;
    resp->status = 201;
    char location[96];
    snprintf (location, sizeof location, "/api/accounts/%.*s", (int) a->id.len, a->id.ptr);
    wf_http_add_header (resp, "location:", location);
}

//  A TransactionDto reply.
static void
s_transaction_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                     const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (env->type != WF_MSG_ACCOUNT_TRANSACTION) {
        wf_http_respond_problem (resp, req, 502, "Bad Gateway", "unexpected reply");
        return;
    }
    if (s_bad_scale (req, resp, body->account_transaction.digits))
        return;
    s_respond_money_json (resp, 200, s_transaction_json (&body->account_transaction));
}

//  Reads an optional string member; false (and 400) when it is not a string
//  or longer than max bytes.
static bool
s_optional_string (const wf_http_request_t *req, wf_http_response_t *resp, json_t *root,
                   const char *name, size_t max, wf_str_t *out)
{
    json_t *value = json_object_get (root, name);
    *out = (wf_str_t){"", 0};
    if (!value || json_is_null (value))
        return true;
    if (!json_is_string (value) || json_string_length (value) > max) {
        char message[96];
        snprintf (message, sizeof message, "The %s field must be a string of at most %zu bytes.",
                  name, max);
        wf_front_json_field_error (req, resp, name, message);
        return false;
    }
    *out = (wf_str_t){json_string_value (value), json_string_length (value)};
    return true;
}

//  The exact text of the amount member (number literal or plain string).
static bool
s_amount_text (const wf_http_request_t *req, wf_http_response_t *resp, const wf_json_raw_t *raw,
               wf_account_command_t *cmd)
{
    const wf_json_raw_member_t *m = wf_json_raw_find (raw, "amount");
    if (!m) {
        wf_front_json_field_error (req, resp, "amount", "The amount field is required.");
        return false;
    }
    if ((m->kind != WF_JSON_NUMBER && m->kind != WF_JSON_STRING) || m->escaped || m->raw.len > 64) {
        wf_front_json_field_error (req, resp, "amount",
                                   "The amount must be a decimal number or a string holding one.");
        return false;
    }
    cmd->amount = m->raw;
    cmd->amount_is_string = m->kind == WF_JSON_STRING;
    return true;
}

//  Reads the optional metadata object as compact JSON text into *out (the
//  caller frees it); the shard checks its rules. false (and 400) when it is
//  not an object or too large.
static bool
s_metadata (const wf_http_request_t *req, wf_http_response_t *resp, json_t *root, char **out)
{
    json_t *value = json_object_get (root, "metadata");
    *out = NULL;
    if (!value || json_is_null (value))
        return true;
    char *text = json_is_object (value) ? json_dumps (value, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!text || strlen (text) > WF_ACCOUNT_METADATA_BYTES_MAX) {
        free (text);
        wf_front_json_field_error (req, resp, "metadata",
                                   "metadata must be an object of at most 16 short strings.");
        return false;
    }
    *out = text;
    return true;
}

//  POST /api/accounts {currency}: opens another account of the caller.
static wf_handler_result_t
s_open (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_jwt_claims_t claims;
    json_t *root = NULL;
    if (wf_front_auth_require (http, req, resp, &claims) != 0 ||
        wf_front_json_parse (req, resp, &root) != 0)
        return WF_HANDLER_DONE;
    wf_account_command_t cmd = {
        .kind = WF_STR ("open"), .user_id = wf_str_c (claims.sub), .role = wf_str_c (claims.role)};
    wf_handler_result_t result = WF_HANDLER_DONE;
    if (!s_optional_string (req, resp, root, "currency", 8, &cmd.currency))
        goto done;
    if (!cmd.currency.len) {
        wf_front_json_field_error (req, resp, "currency", "The currency field is required.");
        goto done;
    }
    char id[WF_UUID_BYTES], service[32];
    wf_uuid_v4 (id);
    cmd.account_id = wf_str_c (id);
    s_shard_service (http, id, service);
    result = s_call (http, req, resp, service, WF_MSG_ACCOUNT_COMMAND, &cmd);
done:
    json_decref (root);
    return result;
}

//  The request's fingerprint for idempotency: BLAKE2b of method, path, body.
static void
s_fingerprint (const wf_http_request_t *req, char hex[65])
{
    crypto_generichash_state state;
    uint8_t hash[32];
    crypto_generichash_init (&state, NULL, 0, sizeof hash);
    const char *method = wf_http_method_name (req->method);
    crypto_generichash_update (&state, (const uint8_t *) method, strlen (method) + 1);
    crypto_generichash_update (&state, (const uint8_t *) req->path, strlen (req->path) + 1);
    if (req->body)
        crypto_generichash_update (&state, (const uint8_t *) req->body, req->body_len);
    crypto_generichash_final (&state, hash, sizeof hash);
    sodium_bin2hex (hex, 65, hash, sizeof hash);
}

//  POST /api/accounts/{id}/deposit|withdraw|transfer|suspend|reactivate.
static wf_handler_result_t
s_command (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp,
           const char *kind)
{
    wf_jwt_claims_t claims;
    char id[WF_UUID_BYTES], service[32], fingerprint[65];
    json_t *root = NULL;
    wf_json_raw_t *raw = (wf_json_raw_t *) malloc (sizeof (wf_json_raw_t));
    wf_handler_result_t result = WF_HANDLER_DONE;
    char *metadata = NULL;
    bool money = !streq (kind, "suspend") && !streq (kind, "reactivate");
    if (wf_front_auth_require (http, req, resp, &claims) != 0 || !s_path_account (req, resp, id))
        goto done;
    if (!money && !req->body)
        root = json_object (); //  /reactivate needs no body
    else if (wf_front_json_parse_raw (req, resp, &root, raw) != 0)
        goto done;
    wf_account_command_t cmd = {.kind = wf_str_c (kind),
                                .account_id = wf_str_c (id),
                                .user_id = wf_str_c (claims.sub),
                                .role = wf_str_c (claims.role),
                                .idempotency_key = wf_str_c (req->idempotency_key)};
    if (strlen (req->idempotency_key) > IDEMPOTENCY_KEY_BYTES_MAX) {
        wf_http_respond_problem (resp, req, 400, "Bad Request",
                                 "Idempotency-Key is longer than 255 bytes");
        goto done;
    }
    //  The key travels as a msgpack string, which must be UTF-8: bytes outside
    //  printable ASCII would make the shard refuse the whole message.
    for (const char *c = req->idempotency_key; *c; c++)
        if (*c < 0x20 || *c > 0x7e) {
            wf_http_respond_problem (resp, req, 400, "Bad Request",
                                     "Idempotency-Key must be printable ASCII");
            goto done;
        }
    if (money && !s_amount_text (req, resp, raw, &cmd))
        goto done;
    if (!s_optional_string (req, resp, root, "currency", 8, &cmd.currency) ||
        !s_optional_string (req, resp, root, "description", DESCRIPTION_BYTES_MAX,
                            &cmd.description) ||
        !s_optional_string (req, resp, root, "reason", DESCRIPTION_BYTES_MAX, &cmd.reason) ||
        !s_optional_string (req, resp, root, "destinationAccountId", 64,
                            &cmd.destination_account_id))
        goto done;
    if (streq (kind, "transfer") && !cmd.destination_account_id.len) {
        wf_front_json_field_error (req, resp, "destinationAccountId",
                                   "The destinationAccountId field is required.");
        goto done;
    }
    if (money && !s_metadata (req, resp, root, &metadata))
        goto done;
    cmd.metadata = metadata ? wf_str_c (metadata) : (wf_str_t){"", 0};
    s_fingerprint (req, fingerprint);
    cmd.fingerprint = wf_str_c (fingerprint);
    s_shard_service (http, id, service);
    result = s_call (http, req, resp, service, WF_MSG_ACCOUNT_COMMAND, &cmd);
done:
    json_decref (root);
    free (raw);
    free (metadata);
    return result;
}

static wf_handler_result_t
s_deposit (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_command (http, req, resp, "deposit");
}

static wf_handler_result_t
s_withdraw (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_command (http, req, resp, "withdraw");
}

static wf_handler_result_t
s_transfer (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_command (http, req, resp, "transfer");
}

static wf_handler_result_t
s_suspend (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_command (http, req, resp, "suspend");
}

static wf_handler_result_t
s_reactivate (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_command (http, req, resp, "reactivate");
}

//  Reads a non-negative integer query parameter ("limit=20"); -1 when absent,
//  -2 when malformed.
static int64_t
s_query_int (const char *query, const char *name)
{
    size_t len = strlen (name);
    for (const char *p = query; p && *p; p = strchr (p, '&') ? strchr (p, '&') + 1 : NULL) {
        if (strncmp (p, name, len) == 0 && p[len] == '=') {
            const char *v = p + len + 1;
            char *end = NULL;
            errno = 0;
            long long n = strtoll (v, &end, 10);
            if (end == v || (*end && *end != '&') || errno || n < 0)
                return -2;
            return n;
        }
    }
    return -1;
}

//  Copies a query argument text[0..len) into out (size bytes); -1 when too
//  long. libwebsockets has already percent-decoded each argument (and the
//  front joins them with '&', so a value holding '&' cannot be filtered on).
static int
s_query_arg (const char *text, size_t len, char *out, size_t size)
{
    if (len + 1 > size)
        return -1;
    memcpy (out, text, len);
    out[len] = 0;
    return 0;
}

//  The one optional history filter metadata.<key>=<value> of a query string
//  (key and value "" when none); -1 when malformed or given twice.
static int
s_metadata_filter (const char *query, char *key, char *value)
{
    key[0] = value[0] = 0;
    int found = 0;
    for (const char *p = query; p && *p; p = strchr (p, '&') ? strchr (p, '&') + 1 : NULL) {
        if (strncmp (p, "metadata.", 9) != 0)
            continue;
        const char *end = strchr (p, '&');
        size_t len = end ? (size_t) (end - p) : strlen (p);
        const char *eq = memchr (p, '=', len);
        if (!eq || found++ ||
            s_query_arg (p + 9, (size_t) (eq - p - 9), key,
                         WF_ACCOUNT_METADATA_KEY_BYTES_MAX + 1) != 0 ||
            s_query_arg (eq + 1, len - (size_t) (eq + 1 - p), value,
                         WF_ACCOUNT_METADATA_VALUE_BYTES_MAX + 1) != 0 ||
            !*key)
            return -1;
        for (const char *c = key; *c; c++)
            if (!isalnum ((unsigned char) *c) && !strchr ("_.-", *c))
                return -1;
        //  Every string on the wire is UTF-8 (found by the http fuzz target).
        if (!wf_msgpack_scan_utf8_valid ((const uint8_t *) value, strlen (value)))
            return -1;
    }
    return 0;
}

//  GET /api/accounts/{id}/transactions?limit=&before=
static wf_handler_result_t
s_history (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_jwt_claims_t claims;
    char id[WF_UUID_BYTES];
    if (wf_front_auth_require (http, req, resp, &claims) != 0 || !s_path_account (req, resp, id))
        return WF_HANDLER_DONE;
    int64_t limit = s_query_int (req->query, "limit");
    int64_t before = s_query_int (req->query, "before");
    if (limit == -2 || limit == 0 || limit > 100 || before == -2) {
        wf_front_json_field_error (req, resp,
                                   limit == -2 || limit == 0 || limit > 100 ? "limit" : "before",
                                   "limit must be 1..100 and before a cursor from a previous page");
        return WF_HANDLER_DONE;
    }
    char key[WF_ACCOUNT_METADATA_KEY_BYTES_MAX + 1], value[WF_ACCOUNT_METADATA_VALUE_BYTES_MAX + 1];
    if (s_metadata_filter (req->query, key, value) != 0) {
        wf_front_json_field_error (req, resp, "metadata",
                                   "one filter metadata.<key>=<value>: a key of 1..40 characters "
                                   "of A-Z a-z 0-9 _ . - and a UTF-8 value of at most 128 bytes");
        return WF_HANDLER_DONE;
    }
    wf_account_query_t q = {.kind = WF_STR ("transactions"),
                            .user_id = wf_str_c (claims.sub),
                            .role = wf_str_c (claims.role),
                            .account_id = wf_str_c (id),
                            .limit = limit > 0 ? limit : 0,
                            .before = before > 0 ? before : 0,
                            .metadata_key = wf_str_c (key),
                            .metadata_value = wf_str_c (value)};
    return s_call (http, req, resp, "query", WF_MSG_ACCOUNT_QUERY, &q);
}

static void
s_history_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                 const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (env->type != WF_MSG_ACCOUNT_HISTORY) {
        wf_http_respond_problem (resp, req, 502, "Bad Gateway", "unexpected reply");
        return;
    }
    const wf_account_history_t *h = &body->account_history;
    for (uint32_t i = 0; i < h->items_count; i++)
        if (s_bad_scale (req, resp, h->items[i].digits))
            return;
    json_t *list = json_array ();
    for (uint32_t i = 0; i < h->items_count; i++)
        json_array_append_new (list, s_transaction_json (&h->items[i]));
    s_respond_money_json (resp, 200, list);
    if (h->next_before > 0) {
        //  The next page's cursor (Link-style paging without rebuilding the URL).
        char cursor[24];
        snprintf (cursor, sizeof cursor, "%" PRId64, h->next_before);
        wf_http_add_header (resp, "x-next-before:", cursor);
    }
}

//  GET /api/transfers/{id}: a transfer and its state (money in flight).
static wf_handler_result_t
s_transfer_get (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_jwt_claims_t claims;
    char id[WF_UUID_BYTES];
    if (wf_front_auth_require (http, req, resp, &claims) != 0 || !s_path_account (req, resp, id))
        return WF_HANDLER_DONE;
    wf_account_query_t q = {.kind = WF_STR ("transfer"),
                            .user_id = wf_str_c (claims.sub),
                            .role = wf_str_c (claims.role),
                            .account_id = wf_str_c (id)};
    return s_call (http, req, resp, "query", WF_MSG_ACCOUNT_QUERY, &q);
}

static void
s_transfer_get_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                      const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (env->type != WF_MSG_ACCOUNT_TRANSFER) {
        wf_http_respond_problem (resp, req, 502, "Bad Gateway", "unexpected reply");
        return;
    }
    const wf_account_transfer_t *t = &body->account_transfer;
    if (s_bad_scale (req, resp, t->digits))
        return;
    json_t *o = json_object ();
    json_object_set_new (o, "id", json_stringn (t->id.ptr, t->id.len));
    json_object_set_new (o, "sourceAccountId",
                         json_stringn (t->source_account_id.ptr, t->source_account_id.len));
    json_object_set_new (
        o, "destinationAccountId",
        json_stringn (t->destination_account_id.ptr, t->destination_account_id.len));
    json_object_set_new (o, "amount", s_money (t->amount, t->digits));
    json_object_set_new (o, "currency", json_stringn (t->currency.ptr, t->currency.len));
    json_object_set_new (o, "status", json_stringn (t->status.ptr, t->status.len));
    json_object_set_new (o, "createdAt", s_time (t->created_at_ms));
    json_object_set_new (o, "completedAt",
                         t->completed_at_ms > 0 ? s_time (t->completed_at_ms) : json_null ());
    s_respond_money_json (resp, 200, o);
}

static const wf_front_route_def_t s_routes[] = {
    {{WF_HTTP_GET, "/api/transfers/{id}", 0},
     "/api/transfers/{id}",
     s_transfer_get,
     s_transfer_get_reply},
    {{WF_HTTP_GET, "/api/accounts", 0}, "/api/accounts", s_list, s_list_reply},
    {{WF_HTTP_POST, "/api/accounts", 0}, "/api/accounts", s_open, s_created_reply},
    {{WF_HTTP_GET, "/api/accounts/{id}", 0}, "/api/accounts/{id}", s_get, s_account_reply},
    {{WF_HTTP_POST, "/api/accounts/{id}/deposit", 0},
     "/api/accounts/{id}/deposit",
     s_deposit,
     s_transaction_reply},
    {{WF_HTTP_POST, "/api/accounts/{id}/withdraw", 0},
     "/api/accounts/{id}/withdraw",
     s_withdraw,
     s_transaction_reply},
    {{WF_HTTP_POST, "/api/accounts/{id}/transfer", 0},
     "/api/accounts/{id}/transfer",
     s_transfer,
     s_transaction_reply},
    {{WF_HTTP_GET, "/api/accounts/{id}/transactions", 0},
     "/api/accounts/{id}/transactions",
     s_history,
     s_history_reply},
    {{WF_HTTP_POST, "/api/accounts/{id}/suspend", 0},
     "/api/accounts/{id}/suspend",
     s_suspend,
     s_account_reply},
    {{WF_HTTP_POST, "/api/accounts/{id}/reactivate", 0},
     "/api/accounts/{id}/reactivate",
     s_reactivate,
     s_account_reply},
};

const wf_front_route_def_t *
wf_front_account_routes (size_t *count)
{
    *count = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}

//  The helpers wf_front_ledger.c shares (wf_front_accounts_internal.h).
json_t *
wf_front_accounts_money (int64_t minor, int64_t digits)
{
    return s_money (minor, digits);
}

json_t *
wf_front_accounts_time (int64_t ms)
{
    return s_time (ms);
}

json_t *
wf_front_accounts_text_or_null (wf_str_t s)
{
    return s_text_or_null (s);
}

void
wf_front_accounts_respond_money_json (wf_http_response_t *resp, int status, json_t *doc)
{
    s_respond_money_json (resp, status, doc);
}

bool
wf_front_accounts_path_account (const wf_http_request_t *req, wf_http_response_t *resp,
                                char id[WF_UUID_BYTES])
{
    return s_path_account (req, resp, id);
}

wf_handler_result_t
wf_front_accounts_call (wf_front_http_t *http, const wf_http_request_t *req,
                        wf_http_response_t *resp, const char *service, wf_msg_id_t type,
                        const void *body)
{
    return s_call (http, req, resp, service, type, body);
}

void
wf_front_accounts_shard_service (wf_front_http_t *http, const char *id, char service[32])
{
    s_shard_service (http, id, service);
}

bool
wf_front_accounts_optional_string (const wf_http_request_t *req, wf_http_response_t *resp,
                                   json_t *root, const char *name, size_t max, wf_str_t *out)
{
    return s_optional_string (req, resp, root, name, max, out);
}

bool
wf_front_accounts_metadata (const wf_http_request_t *req, wf_http_response_t *resp, json_t *root,
                            char **out)
{
    return s_metadata (req, resp, root, out);
}

void
wf_front_accounts_fingerprint (const wf_http_request_t *req, char hex[65])
{
    s_fingerprint (req, hex);
}

void
wf_front_accounts_account_reply (wf_front_http_t *http, const wf_http_request_t *req,
                                 const wf_envelope_t *env, const wf_any_msg_t *body,
                                 wf_http_response_t *resp)
{
    s_account_reply (http, req, env, body, resp);
}

void
wf_front_accounts_transaction_reply (wf_front_http_t *http, const wf_http_request_t *req,
                                     const wf_envelope_t *env, const wf_any_msg_t *body,
                                     wf_http_response_t *resp)
{
    s_transaction_reply (http, req, env, body, resp);
}
