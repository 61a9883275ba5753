/*  wf_front_ledger - the ledger part of the HTTP API (issue 10): holds
    (two-phase transfers), refunds, the balance at a moment and statements
    (JSON, or CSV with format=csv or Accept: text/csv), and the overdraft limit (Admin).

    Commands go to an account shard: by the account id, or by the hold or
    transaction id, which hashes to the shard that can find its account.
    Reads go to the "query" service. Money is parsed by the shard from the
    exact text the client sent, as for the other money commands.
*/
#include "wf_front_accounts.h"
#include "wf_front_accounts_internal.h"
#include "wf_front_auth.h"
#include "wf_front_json.h"
#include "wf_account_aggregate.h"
#include "wf_account_store.h"
#include "wf_json_raw.h"
#include "wf_money.h"
#include <time.h>

#define IDEMPOTENCY_KEY_BYTES_MAX 255
#define DESCRIPTION_BYTES_MAX     512

//  HoldDto as JSON.
static json_t *
s_hold_json (const wf_account_hold_info_t *h)
{
    json_t *o = json_object ();
    json_object_set_new (o, "id", json_stringn (h->id.ptr, h->id.len));
    json_object_set_new (o, "accountId", json_stringn (h->account_id.ptr, h->account_id.len));
    json_object_set_new (o, "destinationAccountId",
                         wf_front_accounts_text_or_null (h->destination_account_id));
    json_object_set_new (o, "amount", wf_front_accounts_money (h->amount, h->digits));
    json_object_set_new (o, "capturedAmount",
                         h->captured_amount > 0
                             ? wf_front_accounts_money (h->captured_amount, h->digits)
                             : json_null ());
    json_object_set_new (o, "currency", json_stringn (h->currency.ptr, h->currency.len));
    json_object_set_new (o, "status", json_stringn (h->status.ptr, h->status.len));
    json_object_set_new (o, "description", wf_front_accounts_text_or_null (h->description));
    json_object_set_new (o, "transactionId", wf_front_accounts_text_or_null (h->transaction_id));
    json_object_set_new (o, "expiresAt", wf_front_accounts_time (h->expires_at_ms));
    json_object_set_new (o, "createdAt", wf_front_accounts_time (h->created_at_ms));
    json_object_set_new (o, "closedAt",
                         h->closed_at_ms > 0 ? wf_front_accounts_time (h->closed_at_ms)
                                             : json_null ());
    json_error_t error;
    json_t *metadata =
        h->metadata.len ? json_loadb (h->metadata.ptr, h->metadata.len, 0, &error) : NULL;
    json_object_set_new (o, "metadata", json_is_object (metadata) ? metadata : json_object ());
    if (metadata && !json_is_object (metadata))
        json_decref (metadata);
    return o;
}

//  A HoldDto reply: 201 for a new hold, else 200.
static void
s_hold_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
              const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (env->type != WF_MSG_ACCOUNT_HOLD_INFO) {
        wf_http_respond_problem (resp, req, 502, "Bad Gateway", "unexpected reply");
        return;
    }
    bool created = req->method == WF_HTTP_POST && strstr (req->path, "/holds") &&
                   strncmp (req->path, "/api/accounts/", 14) == 0;
    wf_front_accounts_respond_money_json (resp, created ? 201 : 200,
                                          s_hold_json (&body->account_hold_info));
}

//  The exact text of a money member `name` (number literal or plain string);
//  an absent member is fine unless required.
static bool
s_money_member (const wf_http_request_t *req, wf_http_response_t *resp, const wf_json_raw_t *raw,
                const char *name, bool required, wf_account_command_t *cmd)
{
    const wf_json_raw_member_t *m = wf_json_raw_find (raw, name);
    if (!m || m->kind == WF_JSON_NULL) {
        if (required) {
            char message[64];
            snprintf (message, sizeof message, "The %s field is required.", name);
            wf_front_json_field_error (req, resp, name, message);
        }
        return !required;
    }
    if ((m->kind != WF_JSON_NUMBER && m->kind != WF_JSON_STRING) || m->escaped || m->raw.len > 64) {
        wf_front_json_field_error (req, resp, name,
                                   "The value must be a decimal number or a string holding one.");
        return false;
    }
    cmd->amount = m->raw;
    cmd->amount_is_string = m->kind == WF_JSON_STRING;
    return true;
}

//  A JSON integer member of at most 9 plain digits (the body parser reads
//  numbers as reals, so its exact text is used); -1 when absent or not one.
static int64_t
s_seconds (const wf_json_raw_t *raw, const char *name)
{
    const wf_json_raw_member_t *m = wf_json_raw_find (raw, name);
    if (!m || m->kind != WF_JSON_NUMBER || m->raw.len == 0 || m->raw.len > 9)
        return -1;
    int64_t value = 0;
    for (size_t i = 0; i < m->raw.len; i++) {
        if (m->raw.ptr[i] < '0' || m->raw.ptr[i] > '9')
            return -1;
        value = value * 10 + (m->raw.ptr[i] - '0');
    }
    return value;
}

//  POST /api/accounts/{id}/holds | /overdraft, /api/holds/{holdId}/capture | void.
static wf_handler_result_t
s_hold_command (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp,
                const char *kind)
{
    wf_jwt_claims_t claims;
    char id[WF_UUID_BYTES], service[32], fingerprint[65];
    json_t *root = NULL;
    wf_json_raw_t *raw = (wf_json_raw_t *) malloc (sizeof (wf_json_raw_t));
    wf_handler_result_t result = WF_HANDLER_DONE;
    char *metadata = NULL;
    bool by_hold = streq (kind, "capture") || streq (kind, "void");
    if (wf_front_auth_require (http, req, resp, &claims) != 0)
        goto done;
    if (by_hold && !wf_account_uuid_valid (req->match.params[0])) {
        wf_http_respond_problem (resp, req, 404, "Not Found", "No such hold.");
        goto done;
    }
    if (!by_hold && !wf_front_accounts_path_account (req, resp, id))
        goto done;
    if (by_hold)
        snprintf (id, sizeof id, "%.*s", (int) WF_UUID_LEN, req->match.params[0].ptr);
    if (by_hold && !req->body) {
        root = json_object (); //  capture (all) and void need no body
        memset (raw, 0, sizeof *raw);
    } else if (wf_front_json_parse_raw (req, resp, &root, raw) != 0)
        goto done;
    if (strlen (req->idempotency_key) > IDEMPOTENCY_KEY_BYTES_MAX) {
        wf_http_respond_problem (resp, req, 400, "Bad Request",
                                 "Idempotency-Key is longer than 255 bytes");
        goto done;
    }
    wf_account_command_t cmd = {.kind = wf_str_c (kind),
                                .account_id = by_hold ? (wf_str_t){"", 0} : wf_str_c (id),
                                .hold_id = by_hold ? wf_str_c (id) : (wf_str_t){"", 0},
                                .user_id = wf_str_c (claims.sub),
                                .role = wf_str_c (claims.role),
                                .idempotency_key = wf_str_c (req->idempotency_key)};
    bool hold = streq (kind, "hold"), overdraft = streq (kind, "overdraft");
    if (!s_money_member (req, resp, raw, overdraft ? "limit" : "amount", hold || overdraft, &cmd))
        goto done;
    if (streq (kind, "void") && cmd.amount.len) {
        wf_front_json_field_error (req, resp, "amount", "A void releases the whole hold.");
        goto done;
    }
    if (hold) {
        cmd.expires_in_s = s_seconds (raw, "expiresInSeconds");
        if (cmd.expires_in_s < 1 || cmd.expires_in_s > WF_ACCOUNT_HOLD_SECONDS_MAX) {
            wf_front_json_field_error (req, resp, "expiresInSeconds",
                                       "expiresInSeconds must be an integer of 1..2592000.");
            goto done;
        }
        if (!wf_front_accounts_optional_string (req, resp, root, "currency", 8, &cmd.currency) ||
            !wf_front_accounts_optional_string (req, resp, root, "description",
                                                DESCRIPTION_BYTES_MAX, &cmd.description) ||
            !wf_front_accounts_optional_string (req, resp, root, "destinationAccountId", 64,
                                                &cmd.destination_account_id))
            goto done;
    }
    if (hold && !wf_front_accounts_metadata (req, resp, root, &metadata))
        goto done;
    cmd.metadata = metadata ? wf_str_c (metadata) : (wf_str_t){"", 0};
    wf_front_accounts_fingerprint (req, fingerprint);
    cmd.fingerprint = wf_str_c (fingerprint);
    //  A hold id hashes to its account's shard (the shard picks it so).
    wf_front_accounts_shard_service (http, id, service);
    result = wf_front_accounts_call (http, req, resp, service, WF_MSG_ACCOUNT_COMMAND, &cmd);
done:
    json_decref (root);
    free (raw);
    free (metadata);
    return result;
}

static wf_handler_result_t
s_hold_place (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_hold_command (http, req, resp, "hold");
}

static wf_handler_result_t
s_hold_capture (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_hold_command (http, req, resp, "capture");
}

static wf_handler_result_t
s_hold_void (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_hold_command (http, req, resp, "void");
}

static wf_handler_result_t
s_overdraft (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_hold_command (http, req, resp, "overdraft");
}

//  POST /api/transactions/{id}/refund {amount?, reason?}: sent to the shard of
//  the transaction id, which finds the caller's row of it.
static wf_handler_result_t
s_refund (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_jwt_claims_t claims;
    char id[WF_UUID_BYTES], service[32], fingerprint[65];
    json_t *root = NULL;
    wf_json_raw_t *raw = (wf_json_raw_t *) calloc (1, sizeof (wf_json_raw_t));
    wf_handler_result_t result = WF_HANDLER_DONE;
    char *metadata = NULL;
    if (wf_front_auth_require (http, req, resp, &claims) != 0)
        goto done;
    if (!wf_account_uuid_valid (req->match.params[0])) {
        wf_http_respond_problem (resp, req, 404, "Not Found", "No such transaction.");
        goto done;
    }
    snprintf (id, sizeof id, "%.*s", (int) WF_UUID_LEN, req->match.params[0].ptr);
    if (!req->body)
        root = json_object (); //  the whole rest, no reason
    else if (wf_front_json_parse_raw (req, resp, &root, raw) != 0)
        goto done;
    if (strlen (req->idempotency_key) > IDEMPOTENCY_KEY_BYTES_MAX) {
        wf_http_respond_problem (resp, req, 400, "Bad Request",
                                 "Idempotency-Key is longer than 255 bytes");
        goto done;
    }
    wf_account_command_t cmd = {.kind = WF_STR ("refund"),
                                .transaction_id = wf_str_c (id),
                                .user_id = wf_str_c (claims.sub),
                                .role = wf_str_c (claims.role),
                                .idempotency_key = wf_str_c (req->idempotency_key)};
    if (!s_money_member (req, resp, raw, "amount", false, &cmd) ||
        !wf_front_accounts_optional_string (req, resp, root, "reason", DESCRIPTION_BYTES_MAX,
                                            &cmd.reason) ||
        !wf_front_accounts_metadata (req, resp, root, &metadata))
        goto done;
    cmd.metadata = metadata ? wf_str_c (metadata) : (wf_str_t){"", 0};
    wf_front_accounts_fingerprint (req, fingerprint);
    cmd.fingerprint = wf_str_c (fingerprint);
    wf_front_accounts_shard_service (http, id, service);
    result = wf_front_accounts_call (http, req, resp, service, WF_MSG_ACCOUNT_COMMAND, &cmd);
done:
    json_decref (root);
    free (raw);
    free (metadata);
    return result;
}

//  GET /api/holds/{holdId}: a hold of one of the caller's accounts.
static wf_handler_result_t
s_hold_get (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    wf_jwt_claims_t claims;
    char id[WF_UUID_BYTES];
    if (wf_front_auth_require (http, req, resp, &claims) != 0 ||
        !wf_front_accounts_path_account (req, resp, id))
        return WF_HANDLER_DONE;
    wf_account_query_t q = {.kind = WF_STR ("hold"),
                            .user_id = wf_str_c (claims.sub),
                            .role = wf_str_c (claims.role),
                            .account_id = wf_str_c (id)};
    return wf_front_accounts_call (http, req, resp, "query", WF_MSG_ACCOUNT_QUERY, &q);
}

//  Copies the query parameter `name` into out; 1 found, 0 absent, -1 too long.
static int
s_query_text (const char *query, const char *name, char *out, size_t size)
{
    size_t len = strlen (name);
    for (const char *p = query; p && *p; p = strchr (p, '&') ? strchr (p, '&') + 1 : NULL) {
        if (strncmp (p, name, len) == 0 && p[len] == '=') {
            const char *v = p + len + 1;
            const char *end = strchr (v, '&');
            size_t n = end ? (size_t) (end - v) : strlen (v);
            if (n + 1 > size)
                return -1;
            memcpy (out, v, n);
            out[n] = 0;
            return 1;
        }
    }
    return 0;
}

//  Reads exactly `count` digits at *p into *value.
static bool
s_digits_at (const char **p, int count, int *value)
{
    *value = 0;
    for (int i = 0; i < count; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return false;
        *value = *value * 10 + (**p - '0');
    }
    return true;
}

//  Parses ISO-8601 "YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM|-HH:MM]" (UTC when
//  no zone; a '+' decoded to a space is taken as '+') into ms since the epoch.
static bool
s_iso_ms (const char *text, int64_t *ms)
{
    const char *p = text;
    int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
    if (!s_digits_at (&p, 4, &year) || *p++ != '-' || !s_digits_at (&p, 2, &month) || *p++ != '-' ||
        !s_digits_at (&p, 2, &day))
        return false;
    if (*p == 'T' || *p == 't') {
        p++;
        if (!s_digits_at (&p, 2, &hour) || *p++ != ':' || !s_digits_at (&p, 2, &minute))
            return false;
        if (*p == ':' && (p++, !s_digits_at (&p, 2, &second)))
            return false;
        if (*p == '.') {
            p++;
            int scale = 100, digits = 0;
            for (; *p >= '0' && *p <= '9'; p++, digits++) {
                millis += (*p - '0') * scale;
                scale /= 10;
            }
            if (digits == 0 || digits > 9)
                return false;
        }
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-' || *p == ' ') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!s_digits_at (&p, 2, &oh) || *p++ != ':' || !s_digits_at (&p, 2, &om) || oh > 23 ||
            om > 59)
            return false;
        offset_min = sign * (oh * 60 + om);
    }
    if (*p || year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 ||
        hour > 23 || minute > 59 || second > 60)
        return false;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = minute,
                    .tm_sec = second};
    time_t seconds = timegm (&tm);
    if (seconds == (time_t) -1 || tm.tm_mday != day)
        return false; //  31 February and the like
    *ms = (int64_t) seconds * 1000 + millis - (int64_t) offset_min * 60000;
    return *ms >= 0;
}

//  An instant query parameter; `fallback` when absent. false (and 400) when
//  malformed.
static bool
s_instant (const wf_http_request_t *req, wf_http_response_t *resp, const char *name,
           int64_t fallback, int64_t *ms)
{
    char text[64];
    int found = s_query_text (req->query, name, text, sizeof text);
    *ms = fallback;
    if (found == 0)
        return true;
    if (found < 0 || !s_iso_ms (text, ms)) {
        char message[128];
        snprintf (message, sizeof message,
                  "%s must be an ISO-8601 instant such as 2026-11-26T20:00:00.000Z", name);
        wf_front_json_field_error (req, resp, name, message);
        return false;
    }
    return true;
}

//  GET /api/accounts/{id}/balance?at= and /statement?from=&to=[&format=csv].
static wf_handler_result_t
s_replay (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp,
          bool statement)
{
    wf_jwt_claims_t claims;
    char id[WF_UUID_BYTES], format[8];
    if (wf_front_auth_require (http, req, resp, &claims) != 0 ||
        !wf_front_accounts_path_account (req, resp, id))
        return WF_HANDLER_DONE;
    int64_t now = wf_clock_ms (), from = 0, to = now;
    if (!statement && !s_instant (req, resp, "at", now, &to))
        return WF_HANDLER_DONE;
    if (statement &&
        (!s_instant (req, resp, "from", 0, &from) || !s_instant (req, resp, "to", now, &to)))
        return WF_HANDLER_DONE;
    if (from > to) {
        wf_front_json_field_error (req, resp, "from", "from must not be after to");
        return WF_HANDLER_DONE;
    }
    int has_format = s_query_text (req->query, "format", format, sizeof format);
    if (has_format != 0 && (!statement || has_format < 0 ||
                            (strcmp (format, "csv") != 0 && strcmp (format, "json") != 0))) {
        wf_front_json_field_error (req, resp, "format", "format is json or csv (statements)");
        return WF_HANDLER_DONE;
    }
    wf_account_query_t q = {.kind = statement ? WF_STR ("statement") : WF_STR ("balance"),
                            .user_id = wf_str_c (claims.sub),
                            .role = wf_str_c (claims.role),
                            .account_id = wf_str_c (id),
                            .from_ms = from,
                            .to_ms = to};
    return wf_front_accounts_call (http, req, resp, "query", WF_MSG_ACCOUNT_QUERY, &q);
}

static wf_handler_result_t
s_balance_at (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_replay (http, req, resp, false);
}

static wf_handler_result_t
s_statement (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    return s_replay (http, req, resp, true);
}

//  The balance at a moment.
static void
s_balance_at_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                    const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (env->type != WF_MSG_ACCOUNT_STATEMENT) {
        wf_http_respond_problem (resp, req, 502, "Bad Gateway", "unexpected reply");
        return;
    }
    const wf_account_statement_t *st = &body->account_statement;
    json_t *o = json_object ();
    json_object_set_new (o, "accountId", json_stringn (st->account_id.ptr, st->account_id.len));
    json_object_set_new (o, "at", wf_front_accounts_time (st->to_ms));
    json_object_set_new (o, "balance", wf_front_accounts_money (st->closing_balance, st->digits));
    json_object_set_new (o, "heldBalance", wf_front_accounts_money (st->held, st->digits));
    json_object_set_new (o, "availableBalance",
                         wf_front_accounts_money (st->closing_balance - st->held, st->digits));
    json_object_set_new (o, "currency", json_stringn (st->currency.ptr, st->currency.len));
    json_object_set_new (o, "version", json_integer (st->version));
    wf_front_accounts_respond_money_json (resp, 200, o);
}

//  Appends one CSV field: quoted, quotes doubled, and a leading = + - @ made
//  inert (a spreadsheet would run it as a formula).
static void
s_csv_field (zchunk_t *out, const char *text, size_t len)
{
    zchunk_extend (out, "\"", 1);
    if (len && strchr ("=+-@", text[0]))
        zchunk_extend (out, "'", 1);
    for (size_t i = 0; i < len; i++)
        zchunk_extend (out, text[i] == '"' ? "\"\"" : text + i, text[i] == '"' ? 2 : 1);
    zchunk_extend (out, "\"", 1);
}

//  Appends a money amount as a CSV number (signed, at scale).
static void
s_csv_money (zchunk_t *out, int64_t minor, int64_t digits)
{
    char text[WF_MONEY_TEXT_BYTES_MAX];
    int len = wf_money_format (minor, (int) digits, text, sizeof text);
    if (len > 0)
        zchunk_extend (out, text, (size_t) len);
}

//  The statement as CSV: opening row, one row per entry, closing row.
static void
s_statement_csv (const wf_account_statement_t *st, wf_http_response_t *resp)
{
    zchunk_t *out = zchunk_new (NULL, 4096);
    const char *head = "date,transactionId,type,amount,balanceAfter,currency,counterpartyAccountId,"
                       "description\r\n";
    zchunk_extend (out, head, strlen (head));
    char when[32], line[128];
    wf_account_iso_time (st->from_ms, when);
    snprintf (line, sizeof line, "%s,,OpeningBalance,,", when);
    zchunk_extend (out, line, strlen (line));
    s_csv_money (out, st->opening_balance, st->digits);
    snprintf (line, sizeof line, ",%.*s,,\r\n", (int) st->currency.len, st->currency.ptr);
    zchunk_extend (out, line, strlen (line));
    for (uint32_t i = 0; i < st->items_count; i++) {
        const wf_account_transaction_t *t = &st->items[i];
        wf_account_iso_time (t->created_at_ms, when);
        snprintf (line, sizeof line, "%s,%.*s,%.*s,", when, (int) t->id.len, t->id.ptr,
                  (int) t->type.len, t->type.ptr);
        zchunk_extend (out, line, strlen (line));
        s_csv_money (out, t->change, t->digits);
        zchunk_extend (out, ",", 1);
        s_csv_money (out, t->balance_after, t->digits);
        snprintf (line, sizeof line, ",%.*s,%.*s,", (int) t->currency.len, t->currency.ptr,
                  (int) t->destination_account_id.len, t->destination_account_id.ptr);
        zchunk_extend (out, line, strlen (line));
        s_csv_field (out, t->description.ptr, t->description.len);
        zchunk_extend (out, "\r\n", 2);
    }
    wf_account_iso_time (st->to_ms, when);
    snprintf (line, sizeof line, "%s,,ClosingBalance,,", when);
    zchunk_extend (out, line, strlen (line));
    s_csv_money (out, st->closing_balance, st->digits);
    snprintf (line, sizeof line, ",%.*s,,\r\n", (int) st->currency.len, st->currency.ptr);
    zchunk_extend (out, line, strlen (line));
    zchunk_extend (out, "", 1);
    wf_http_respond_text (resp, 200, "text/csv; charset=utf-8", (const char *) zchunk_data (out));
    zchunk_destroy (&out);
}

//  A statement: JSON, or CSV with format=csv or Accept: text/csv.
static void
s_statement_reply (wf_front_http_t *http, const wf_http_request_t *req, const wf_envelope_t *env,
                   const wf_any_msg_t *body, wf_http_response_t *resp)
{
    if (env->type != WF_MSG_ACCOUNT_STATEMENT) {
        wf_http_respond_problem (resp, req, 502, "Bad Gateway", "unexpected reply");
        return;
    }
    const wf_account_statement_t *st = &body->account_statement;
    char format[8];
    bool csv_asked =
        s_query_text (req->query, "format", format, sizeof format) == 1 && streq (format, "csv");
    if (csv_asked || (req->accept_csv && !req->accept_json)) {
        s_statement_csv (st, resp);
        return;
    }
    json_t *o = json_object ();
    json_object_set_new (o, "accountId", json_stringn (st->account_id.ptr, st->account_id.len));
    json_object_set_new (o, "currency", json_stringn (st->currency.ptr, st->currency.len));
    json_object_set_new (o, "from", wf_front_accounts_time (st->from_ms));
    json_object_set_new (o, "to", wf_front_accounts_time (st->to_ms));
    json_object_set_new (o, "openingBalance",
                         wf_front_accounts_money (st->opening_balance, st->digits));
    json_object_set_new (o, "closingBalance",
                         wf_front_accounts_money (st->closing_balance, st->digits));
    json_t *entries = json_array ();
    for (uint32_t i = 0; i < st->items_count; i++) {
        const wf_account_transaction_t *t = &st->items[i];
        json_t *e = json_object ();
        json_object_set_new (e, "id", json_stringn (t->id.ptr, t->id.len));
        json_object_set_new (e, "type", json_stringn (t->type.ptr, t->type.len));
        json_object_set_new (e, "amount", wf_front_accounts_money (t->change, t->digits));
        json_object_set_new (e, "balanceAfter",
                             wf_front_accounts_money (t->balance_after, t->digits));
        json_object_set_new (e, "counterpartyAccountId",
                             wf_front_accounts_text_or_null (t->destination_account_id));
        json_object_set_new (e, "description", wf_front_accounts_text_or_null (t->description));
        json_object_set_new (e, "createdAt", wf_front_accounts_time (t->created_at_ms));
        json_array_append_new (entries, e);
    }
    json_object_set_new (o, "entries", entries);
    wf_front_accounts_respond_money_json (resp, 200, o);
}

static const wf_front_route_def_t s_routes[] = {
    {{WF_HTTP_POST, "/api/accounts/{id}/overdraft", 0},
     "/api/accounts/{id}/overdraft",
     s_overdraft,
     wf_front_accounts_account_reply},
    {{WF_HTTP_POST, "/api/accounts/{id}/holds", 0},
     "/api/accounts/{id}/holds",
     s_hold_place,
     s_hold_reply},
    {{WF_HTTP_GET, "/api/holds/{id}", 0}, "/api/holds/{id}", s_hold_get, s_hold_reply},
    {{WF_HTTP_POST, "/api/holds/{id}/capture", 0},
     "/api/holds/{id}/capture",
     s_hold_capture,
     s_hold_reply},
    {{WF_HTTP_POST, "/api/holds/{id}/void", 0}, "/api/holds/{id}/void", s_hold_void, s_hold_reply},
    {{WF_HTTP_GET, "/api/accounts/{id}/balance", 0},
     "/api/accounts/{id}/balance",
     s_balance_at,
     s_balance_at_reply},
    {{WF_HTTP_GET, "/api/accounts/{id}/statement", 0},
     "/api/accounts/{id}/statement",
     s_statement,
     s_statement_reply},
    {{WF_HTTP_POST, "/api/transactions/{id}/refund", 0},
     "/api/transactions/{id}/refund",
     s_refund,
     wf_front_accounts_transaction_reply},

};

const wf_front_route_def_t *
wf_front_ledger_routes (size_t *count)
{
    *count = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}
