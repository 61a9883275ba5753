/*  wf_account_aggregate - decide and apply for the account.

    Each decide function is a short list of checks in the order the header
    gives, built from small s_check_* helpers that fill the refusal; the event
    is written only after every check passed, so a refused command leaves
    *event untouched and the account unchanged.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "wf_account_aggregate.h"
#include "wf_json_raw.h"
#include <jansson.h>

struct _wf_account_t {
    wf_account_state_t state;
};

//  Slice of a NUL-terminated string (proto's wf_str_c, kept local so this
//  library links without the proto library).
static wf_str_t
s_cstr (const char *text)
{
    return (wf_str_t){text, strlen (text)};
}

//  True when the slice equals the NUL-terminated string.
static bool
s_equals (wf_str_t slice, const char *text)
{
    return slice.len == strlen (text) &&
           (slice.len == 0 || memcmp (slice.ptr, text, slice.len) == 0);
}

//  Creates an empty account.
wf_account_t *
wf_account_new (void)
{
    wf_account_t *self = calloc (1, sizeof (wf_account_t));
    assert (self); //  out of memory aborts
    return self;
}

//  Frees the account and nulls the caller's pointer.
void
wf_account_destroy (wf_account_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  Copies the whole state.
void
wf_account_copy (wf_account_t *dest, const wf_account_t *source)
{
    assert (dest && source);
    dest->state = source->state;
}

//  True when both states have the same open holds in the same order.
static bool
s_holds_equal (const wf_account_state_t *a, const wf_account_state_t *b)
{
    if (a->holds_count != b->holds_count)
        return false;
    for (int i = 0; i < a->holds_count; i++) {
        const wf_account_hold_t *x = &a->holds[i], *y = &b->holds[i];
        if (strcmp (x->id, y->id) != 0 || strcmp (x->destination_id, y->destination_id) != 0 ||
            x->amount != y->amount || x->expires_at_ms != y->expires_at_ms)
            return false;
    }
    return true;
}

//  Compares field by field (texts up to their terminator).
bool
wf_account_equal (const wf_account_t *self, const wf_account_t *other)
{
    assert (self && other);
    const wf_account_state_t *a = &self->state, *b = &other->state;
    return strcmp (a->id, b->id) == 0 && strcmp (a->owner_id, b->owner_id) == 0 &&
           strcmp (a->number, b->number) == 0 && strcmp (a->currency, b->currency) == 0 &&
           a->digits == b->digits && a->balance == b->balance && a->held == b->held &&
           a->status == b->status && a->version == b->version &&
           a->created_at_ms == b->created_at_ms && a->overdraft_limit == b->overdraft_limit &&
           s_holds_equal (a, b);
}

//  Returns the read-only state.
const wf_account_state_t *
wf_account_state (const wf_account_t *self)
{
    assert (self);
    return &self->state;
}

//  Returns balance minus held.
int64_t
wf_account_available (const wf_account_t *self)
{
    assert (self);
    return self->state.balance - self->state.held;
}

//  Index of the open hold with this id, or -1.
static int
s_hold_index (const wf_account_state_t *state, const char *hold_id)
{
    for (int i = 0; i < state->holds_count; i++)
        if (strcmp (state->holds[i].id, hold_id) == 0)
            return i;
    return -1;
}

//  Returns the open hold with this id, or NULL.
const wf_account_hold_t *
wf_account_hold_find (const wf_account_t *self, const char *hold_id)
{
    assert (self && hold_id);
    int i = s_hold_index (&self->state, hold_id);
    return i < 0 ? NULL : &self->state.holds[i];
}

//  True when text is NUL-terminated within its buffer of `size` bytes.
static bool
s_terminated (const char *text, size_t size)
{
    return memchr (text, 0, size) != NULL;
}

//  Checks the open holds of a snapshot: well formed, unique, summing to held.
static const char *
s_holds_problem (const wf_account_state_t *state)
{
    if (state->holds_count < 0 || state->holds_count > WF_ACCOUNT_HOLDS_OPEN_MAX)
        return "snapshot has too many open holds";
    int64_t sum = 0;
    for (int i = 0; i < state->holds_count; i++) {
        const wf_account_hold_t *hold = &state->holds[i];
        if (!s_terminated (hold->id, sizeof hold->id) ||
            !wf_account_uuid_valid (s_cstr (hold->id)) ||
            !s_terminated (hold->destination_id, sizeof hold->destination_id) ||
            (*hold->destination_id && !wf_account_uuid_valid (s_cstr (hold->destination_id))))
            return "snapshot has a hold with an invalid id";
        if (hold->amount <= 0 || hold->amount > INT64_MAX - sum || hold->expires_at_ms < 0)
            return "snapshot has a hold with an invalid amount or expiry";
        if (s_hold_index (state, hold->id) != i)
            return "snapshot has a hold twice";
        sum += hold->amount;
    }
    if (sum != state->held)
        return "snapshot held differs from the sum of its open holds";
    return NULL;
}

//  True when balance - held >= -limit, computed without overflow.
static bool
s_within_limit (const wf_account_state_t *state)
{
    if (state->held < 0 || state->overdraft_limit < 0)
        return false;
    //  balance >= held - limit; held - limit cannot overflow (both >= 0).
    return state->balance >= state->held - state->overdraft_limit;
}

//  Checks a snapshot's state: formats, table agreement and invariants.
static const char *
s_state_problem (const wf_account_state_t *state)
{
    if (!s_terminated (state->id, sizeof state->id) ||
        !wf_account_uuid_valid (s_cstr (state->id)) ||
        !s_terminated (state->owner_id, sizeof state->owner_id) ||
        !wf_account_uuid_valid (s_cstr (state->owner_id)))
        return "snapshot has an invalid account or owner id";
    if (!s_terminated (state->number, sizeof state->number) ||
        !wf_account_number_valid (s_cstr (state->number)))
        return "snapshot has an invalid account number";
    const wf_currency_t *currency = s_terminated (state->currency, sizeof state->currency)
                                        ? wf_currency_lookup (s_cstr (state->currency), NULL)
                                        : NULL;
    if (!currency || wf_currency_digits (currency) != state->digits)
        return "snapshot currency is unknown or its digits differ from the table";
    if (!s_within_limit (state))
        return "snapshot balance breaks balance - held >= -overdraft limit";
    const char *holds = s_holds_problem (state);
    if (holds)
        return holds;
    if (state->status < WF_ACCOUNT_STATUS_ACTIVE || state->status > WF_ACCOUNT_STATUS_CLOSED)
        return "snapshot has an invalid status";
    if (state->version < 1 || state->created_at_ms < 0)
        return "snapshot has an invalid version or creation time";
    return NULL;
}

//  Restores a snapshot's state after checking it.
int
wf_account_restore (wf_account_t *self, const wf_account_state_t *state, const char **why)
{
    assert (self && state && why);
    *why = s_state_problem (state);
    if (*why)
        return -1;
    self->state = *state;
    return 0;
}

//  Fills a refusal; returns -1 so checks can `return s_refuse (...)`.
static int
s_refuse (wf_account_refusal_t *why, wf_err_t code, const char *field, const char *detail)
{
    why->code = code;
    why->field = field;
    why->detail = detail;
    return -1;
}

//  Refuses commands on an account that was never opened.
static int
s_check_opened (const wf_account_t *self, wf_account_refusal_t *why)
{
    if (self->state.status == WF_ACCOUNT_STATUS_NONE)
        return s_refuse (why, WF_ERR_NOT_FOUND, NULL, "account not found");
    return 0;
}

//  Refuses a malformed id.
static int
s_check_uuid (wf_str_t text, const char *field, wf_account_refusal_t *why)
{
    if (!wf_account_uuid_valid (text))
        return s_refuse (why, WF_ERR_VALIDATION, field, "must be a lower-case UUID");
    return 0;
}

//  Refuses a zero or negative amount.
static int
s_check_amount (int64_t amount, wf_account_refusal_t *why)
{
    if (amount <= 0)
        return s_refuse (why, WF_ERR_VALIDATION, "amount", "amount must be greater than zero");
    return 0;
}

//  Refuses a text over its limit or not valid UTF-8; an empty text is refused
//  only when required.
static int
s_check_text (wf_str_t text, bool required, const char *field, wf_account_refusal_t *why)
{
    if (text.len == 0)
        return required ? s_refuse (why, WF_ERR_VALIDATION, field, "must not be empty") : 0;
    if (text.len > WF_ACCOUNT_TEXT_BYTES_MAX)
        return s_refuse (why, WF_ERR_VALIDATION, field, "is too long");
    if (!wf_json_raw_utf8_valid (text.ptr, text.len))
        return s_refuse (why, WF_ERR_VALIDATION, field, "must be valid UTF-8 without NUL");
    return 0;
}

//  Refuses a malformed or unknown currency code (the match is checked later).
static int
s_check_currency_known (wf_str_t code, bool required, wf_account_refusal_t *why)
{
    if (code.len == 0)
        return required ? s_refuse (why, WF_ERR_VALIDATION, "currency", "currency is required") : 0;
    wf_currency_err_t reason;
    if (!wf_currency_lookup (code, &reason))
        return s_refuse (why, WF_ERR_VALIDATION, "currency", wf_currency_strerror (reason));
    return 0;
}

//  Refuses a given currency other than the account's.
static int
s_check_currency_match (const wf_account_t *self, wf_str_t code, wf_account_refusal_t *why)
{
    if (code.len > 0 && !s_equals (code, self->state.currency))
        return s_refuse (why, WF_ERR_CURRENCY_MISMATCH, "currency",
                         "currency differs from the account's currency");
    return 0;
}

//  Refuses money movements on an account that is not Active.
static int
s_check_active (const wf_account_t *self, wf_account_refusal_t *why)
{
    if (self->state.status != WF_ACCOUNT_STATUS_ACTIVE)
        return s_refuse (why, WF_ERR_ACCOUNT_NOT_ACTIVE, NULL, "account is not active");
    return 0;
}

//  Refuses a debit above the available balance plus the overdraft limit;
//  the exact amount is fine. (amount - limit cannot overflow: both >= 0.)
static int
s_check_funds (const wf_account_t *self, int64_t amount, wf_account_refusal_t *why)
{
    if (amount - self->state.overdraft_limit > wf_account_available (self))
        return s_refuse (why, WF_ERR_INSUFFICIENT_FUNDS, "amount",
                         "amount exceeds the available balance");
    return 0;
}

//  Refuses a credit that would take the balance past INT64_MAX.
static int
s_check_credit (const wf_account_t *self, int64_t amount, wf_account_refusal_t *why)
{
    if (self->state.balance > 0 && amount > INT64_MAX - self->state.balance)
        return s_refuse (why, WF_ERR_UNPROCESSABLE, "amount",
                         "the balance would exceed the largest amount an account can hold");
    return 0;
}

//  Copies a checked slice into a fixed, zeroed buffer.
static void
s_copy (char *dest, size_t size, wf_str_t text)
{
    assert (text.len < size);
    if (text.len)
        memcpy (dest, text.ptr, text.len);
    dest[text.len] = '\0';
}

static void s_event_metadata (wf_account_event_t *event, const wf_account_cmd_t *cmd);

//  Writes a money event from a checked command.
static void
s_money_event (wf_account_event_type_t type, const wf_account_cmd_t *cmd, wf_account_event_t *event)
{
    assert (cmd->now_ms >= 0);
    memset (event, 0, sizeof (*event));
    event->type = type;
    event->occurred_at_ms = cmd->now_ms;
    s_copy (event->transaction_id, sizeof event->transaction_id, cmd->transaction_id);
    event->amount = cmd->amount;
    if (type == WF_ACCOUNT_EVENT_TRANSFER_SENT || type == WF_ACCOUNT_EVENT_TRANSFER_RECEIVED)
        s_copy (event->counterparty_id, sizeof event->counterparty_id, cmd->counterparty_id);
    if (type == WF_ACCOUNT_EVENT_TRANSFER_REFUNDED)
        s_copy (event->reason, sizeof event->reason, cmd->reason);
    else
        s_copy (event->description, sizeof event->description, cmd->description);
    if (type != WF_ACCOUNT_EVENT_TRANSFER_RECEIVED && type != WF_ACCOUNT_EVENT_TRANSFER_REFUNDED)
        s_event_metadata (event, cmd);
}

//  True when a metadata key is 1..max bytes of [A-Za-z0-9_.-].
static bool
s_metadata_key_ok (const char *key)
{
    size_t len = strlen (key);
    if (len == 0 || len > WF_ACCOUNT_METADATA_KEY_BYTES_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

//  True when a metadata value is a string within its limit, valid UTF-8,
//  without control characters.
static bool
s_metadata_value_ok (const json_t *value)
{
    if (!json_is_string (value) || json_string_length (value) > WF_ACCOUNT_METADATA_VALUE_BYTES_MAX)
        return false;
    const char *text = json_string_value (value);
    size_t len = json_string_length (value);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) text[i] < 0x20 || text[i] == 0x7f)
            return false;
    return wf_json_raw_utf8_valid (text, len);
}

int
wf_account_metadata_canonical (wf_str_t text, char out[WF_ACCOUNT_METADATA_BYTES_MAX + 1],
                               const char **why)
{
    assert (out && why);
    out[0] = '\0';
    *why = NULL;
    if (text.len == 0)
        return 0;
    json_error_t error;
    json_t *root = json_loadb (text.ptr, text.len, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object (root))
        *why = "metadata must be a JSON object";
    else if (json_object_size (root) > WF_ACCOUNT_METADATA_KEYS_MAX)
        *why = "metadata has more than 16 keys";
    const char *key;
    json_t *value;
    if (!*why)
        json_object_foreach (root, key, value)
        {
            if (!s_metadata_key_ok (key)) {
                *why = "metadata keys are 1..40 characters of A-Z a-z 0-9 _ . -";
                break;
            }
            if (!s_metadata_value_ok (value)) {
                *why =
                    "metadata values are strings of at most 128 bytes without control characters";
                break;
            }
        }
    char *dumped = *why ? NULL : json_dumps (root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (root);
    if (*why)
        return -1;
    assert (dumped && strlen (dumped) <= WF_ACCOUNT_METADATA_BYTES_MAX);
    strcpy (out, dumped);
    free (dumped);
    return 0;
}

//  Refuses metadata that is not a bounded object of short strings.
static int
s_check_metadata (wf_str_t text, wf_account_refusal_t *why)
{
    char canonical[WF_ACCOUNT_METADATA_BYTES_MAX + 1];
    const char *problem = NULL;
    if (wf_account_metadata_canonical (text, canonical, &problem) != 0)
        return s_refuse (why, WF_ERR_VALIDATION, "metadata", problem);
    return 0;
}

//  Checks the parts every money request shares: id, amount, currency code,
//  metadata.
static int
s_check_money_request (const wf_account_cmd_t *cmd, bool currency_required,
                       wf_account_refusal_t *why)
{
    if (s_check_uuid (cmd->transaction_id, "transactionId", why) ||
        s_check_amount (cmd->amount, why) ||
        s_check_currency_known (cmd->currency, currency_required, why) ||
        s_check_metadata (cmd->metadata, why))
        return -1;
    return 0;
}

//  Copies a checked command's metadata into its event, canonically.
static void
s_event_metadata (wf_account_event_t *event, const wf_account_cmd_t *cmd)
{
    const char *problem = NULL;
    int rc = wf_account_metadata_canonical (cmd->metadata, event->metadata, &problem);
    assert (rc == 0); //  checked by s_check_money_request
    (void) rc;
}

//  Decides opening: only on an empty stream, with valid ids, number, currency.
int
wf_account_decide_open (const wf_account_t *self, const wf_account_open_t *cmd,
                        wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    if (self->state.status != WF_ACCOUNT_STATUS_NONE || self->state.version != 0)
        return s_refuse (why, WF_ERR_CONFLICT, NULL, "account already exists");
    if (s_check_uuid (cmd->account_id, "accountId", why) ||
        s_check_uuid (cmd->owner_id, "ownerId", why) ||
        s_check_currency_known (cmd->currency, true, why))
        return -1;
    if (!wf_account_number_valid (cmd->account_number))
        return s_refuse (why, WF_ERR_VALIDATION, "accountNumber", "invalid account number");
    assert (cmd->now_ms >= 0);
    memset (event, 0, sizeof (*event));
    event->type = WF_ACCOUNT_EVENT_OPENED;
    event->occurred_at_ms = cmd->now_ms;
    s_copy (event->account_id, sizeof event->account_id, cmd->account_id);
    s_copy (event->owner_id, sizeof event->owner_id, cmd->owner_id);
    s_copy (event->account_number, sizeof event->account_number, cmd->account_number);
    s_copy (event->currency, sizeof event->currency, cmd->currency);
    return 0;
}

//  Decides a deposit: request, maximum, active, currency, overflow.
int
wf_account_decide_deposit (const wf_account_t *self, const wf_account_policy_t *policy,
                           const wf_account_cmd_t *cmd, wf_account_event_t *event,
                           wf_account_refusal_t *why)
{
    assert (self && policy && cmd && event && why);
    if (s_check_opened (self, why) || s_check_money_request (cmd, false, why) ||
        s_check_text (cmd->description, false, "description", why))
        return -1;
    const wf_currency_t *currency = wf_currency_lookup (s_cstr (self->state.currency), NULL);
    assert (currency);
    if (cmd->amount > wf_currency_deposit_max_minor (currency, policy->deposit_major_units_max))
        return s_refuse (why, WF_ERR_VALIDATION, "amount",
                         "amount exceeds the maximum deposit per operation");
    if (s_check_active (self, why) || s_check_currency_match (self, cmd->currency, why) ||
        s_check_credit (self, cmd->amount, why))
        return -1;
    s_money_event (WF_ACCOUNT_EVENT_DEPOSITED, cmd, event);
    return 0;
}

//  Decides a withdrawal: request, active (before funds), currency, funds.
int
wf_account_decide_withdraw (const wf_account_t *self, const wf_account_cmd_t *cmd,
                            wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    if (s_check_opened (self, why) || s_check_money_request (cmd, false, why) ||
        s_check_text (cmd->description, false, "description", why) || s_check_active (self, why) ||
        s_check_currency_match (self, cmd->currency, why) || s_check_funds (self, cmd->amount, why))
        return -1;
    s_money_event (WF_ACCOUNT_EVENT_WITHDRAWN, cmd, event);
    return 0;
}

//  Decides the debit leg of a transfer; the credit leg is decide_receive on
//  the destination, which may refuse and cause a refund.
int
wf_account_decide_transfer (const wf_account_t *self, const wf_account_cmd_t *cmd,
                            wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    if (s_check_opened (self, why) || s_check_money_request (cmd, false, why) ||
        s_check_uuid (cmd->counterparty_id, "destinationAccountId", why) ||
        s_check_text (cmd->description, false, "description", why))
        return -1;
    if (s_equals (cmd->counterparty_id, self->state.id))
        return s_refuse (why, WF_ERR_UNPROCESSABLE, "destinationAccountId",
                         "cannot transfer to the same account");
    if (s_check_active (self, why) || s_check_currency_match (self, cmd->currency, why) ||
        s_check_funds (self, cmd->amount, why))
        return -1;
    s_money_event (WF_ACCOUNT_EVENT_TRANSFER_SENT, cmd, event);
    return 0;
}

//  Decides the credit leg of a transfer: the sender's currency must match.
int
wf_account_decide_receive (const wf_account_t *self, const wf_account_cmd_t *cmd,
                           wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    if (s_check_opened (self, why) || s_check_money_request (cmd, true, why) ||
        s_check_uuid (cmd->counterparty_id, "sourceAccountId", why) ||
        s_check_text (cmd->description, false, "description", why))
        return -1;
    if (s_equals (cmd->counterparty_id, self->state.id))
        return s_refuse (why, WF_ERR_UNPROCESSABLE, "sourceAccountId",
                         "cannot receive a transfer from the same account");
    if (s_check_active (self, why) || s_check_currency_match (self, cmd->currency, why) ||
        s_check_credit (self, cmd->amount, why))
        return -1;
    s_money_event (WF_ACCOUNT_EVENT_TRANSFER_RECEIVED, cmd, event);
    return 0;
}

//  Decides a refund of a refused transfer: accepted in any status.
int
wf_account_decide_refund (const wf_account_t *self, const wf_account_cmd_t *cmd,
                          wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    if (s_check_opened (self, why) || s_check_money_request (cmd, false, why) ||
        s_check_text (cmd->reason, false, "reason", why) ||
        s_check_currency_match (self, cmd->currency, why) ||
        s_check_credit (self, cmd->amount, why))
        return -1;
    s_money_event (WF_ACCOUNT_EVENT_TRANSFER_REFUNDED, cmd, event);
    return 0;
}

//  Decides a suspension: only an Active account, with a reason.
int
wf_account_decide_suspend (const wf_account_t *self, const wf_account_cmd_t *cmd,
                           wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    if (s_check_opened (self, why) || s_check_text (cmd->reason, true, "reason", why) ||
        s_check_active (self, why))
        return -1;
    assert (cmd->now_ms >= 0);
    memset (event, 0, sizeof (*event));
    event->type = WF_ACCOUNT_EVENT_SUSPENDED;
    event->occurred_at_ms = cmd->now_ms;
    s_copy (event->reason, sizeof event->reason, cmd->reason);
    return 0;
}

//  Decides a reactivation: only a Suspended account.
int
wf_account_decide_reactivate (const wf_account_t *self, const wf_account_cmd_t *cmd,
                              wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    if (s_check_opened (self, why))
        return -1;
    if (self->state.status == WF_ACCOUNT_STATUS_ACTIVE)
        return s_refuse (why, WF_ERR_UNPROCESSABLE, NULL, "account is already active");
    if (self->state.status != WF_ACCOUNT_STATUS_SUSPENDED)
        return s_refuse (why, WF_ERR_ACCOUNT_NOT_ACTIVE, NULL,
                         "a closed account cannot be reactivated");
    assert (cmd->now_ms >= 0);
    memset (event, 0, sizeof (*event));
    event->type = WF_ACCOUNT_EVENT_REACTIVATED;
    event->occurred_at_ms = cmd->now_ms;
    return 0;
}

//  Writes the common part of a hold event.
static void
s_hold_event (wf_account_event_type_t type, const wf_account_cmd_t *cmd, wf_account_event_t *event)
{
    assert (cmd->now_ms >= 0);
    memset (event, 0, sizeof (*event));
    event->type = type;
    event->occurred_at_ms = cmd->now_ms;
    s_copy (event->hold_id, sizeof event->hold_id, cmd->hold_id);
}

//  Decides a new hold: request, expiry, room, active, currency, funds.
int
wf_account_decide_hold (const wf_account_t *self, const wf_account_cmd_t *cmd,
                        wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    if (s_check_opened (self, why) || s_check_uuid (cmd->hold_id, "holdId", why) ||
        s_check_amount (cmd->amount, why) || s_check_currency_known (cmd->currency, false, why) ||
        s_check_text (cmd->description, false, "description", why) ||
        s_check_metadata (cmd->metadata, why))
        return -1;
    if (cmd->counterparty_id.len &&
        s_check_uuid (cmd->counterparty_id, "destinationAccountId", why))
        return -1;
    if (s_equals (cmd->counterparty_id, self->state.id))
        return s_refuse (why, WF_ERR_UNPROCESSABLE, "destinationAccountId",
                         "cannot hold for a transfer to the same account");
    if (cmd->expires_at_ms <= cmd->now_ms ||
        cmd->expires_at_ms - cmd->now_ms > (int64_t) WF_ACCOUNT_HOLD_SECONDS_MAX * 1000)
        return s_refuse (why, WF_ERR_VALIDATION, "expiresInSeconds",
                         "a hold must expire within 1 second to 30 days");
    char hold_id[WF_UUID_BYTES];
    s_copy (hold_id, sizeof hold_id, cmd->hold_id);
    if (s_hold_index (&self->state, hold_id) >= 0)
        return s_refuse (why, WF_ERR_CONFLICT, "holdId", "the hold already exists");
    if (self->state.holds_count >= WF_ACCOUNT_HOLDS_OPEN_MAX)
        return s_refuse (why, WF_ERR_UNPROCESSABLE, NULL,
                         "the account has the most open holds it may have");
    if (s_check_active (self, why) || s_check_currency_match (self, cmd->currency, why) ||
        s_check_funds (self, cmd->amount, why))
        return -1;
    if (cmd->amount > INT64_MAX - self->state.held)
        return s_refuse (why, WF_ERR_UNPROCESSABLE, "amount", "amount is too large");
    s_hold_event (WF_ACCOUNT_EVENT_HOLD_PLACED, cmd, event);
    event->amount = cmd->amount;
    event->expires_at_ms = cmd->expires_at_ms;
    s_copy (event->counterparty_id, sizeof event->counterparty_id, cmd->counterparty_id);
    s_copy (event->description, sizeof event->description, cmd->description);
    s_event_metadata (event, cmd);
    return 0;
}

//  Finds the open hold a command names; refuses when there is none.
static const wf_account_hold_t *
s_open_hold (const wf_account_t *self, const wf_account_cmd_t *cmd, wf_account_refusal_t *why)
{
    if (s_check_opened (self, why) || s_check_uuid (cmd->hold_id, "holdId", why))
        return NULL;
    char hold_id[WF_UUID_BYTES];
    s_copy (hold_id, sizeof hold_id, cmd->hold_id);
    int i = s_hold_index (&self->state, hold_id);
    if (i < 0) {
        s_refuse (why, WF_ERR_UNPROCESSABLE, NULL, "the hold is not open");
        return NULL;
    }
    return &self->state.holds[i];
}

//  Decides a capture's release: open, not due, active, amount <= held.
int
wf_account_decide_capture (const wf_account_t *self, const wf_account_cmd_t *cmd,
                           wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    const wf_account_hold_t *hold = s_open_hold (self, cmd, why);
    if (!hold || s_check_uuid (cmd->transaction_id, "transactionId", why))
        return -1;
    if (cmd->now_ms >= hold->expires_at_ms)
        return s_refuse (why, WF_ERR_UNPROCESSABLE, NULL, "the hold has expired");
    if (cmd->amount < 0)
        return s_refuse (why, WF_ERR_VALIDATION, "amount", "amount must be greater than zero");
    if (cmd->amount > hold->amount)
        return s_refuse (why, WF_ERR_UNPROCESSABLE, "amount",
                         "amount exceeds the amount of the hold");
    if (s_check_active (self, why))
        return -1;
    int64_t held = hold->amount;
    s_hold_event (WF_ACCOUNT_EVENT_HOLD_CAPTURED, cmd, event);
    event->amount = cmd->amount ? cmd->amount : held;
    event->held_amount = held;
    s_copy (event->transaction_id, sizeof event->transaction_id, cmd->transaction_id);
    return 0;
}

//  Decides a void: the hold is open (any status: it only gives money back).
int
wf_account_decide_void (const wf_account_t *self, const wf_account_cmd_t *cmd,
                        wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    const wf_account_hold_t *hold = s_open_hold (self, cmd, why);
    if (!hold)
        return -1;
    int64_t held = hold->amount;
    s_hold_event (WF_ACCOUNT_EVENT_HOLD_VOIDED, cmd, event);
    event->held_amount = held;
    return 0;
}

//  Decides an expiry: the hold is open and due.
int
wf_account_decide_expire (const wf_account_t *self, const wf_account_cmd_t *cmd,
                          wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    const wf_account_hold_t *hold = s_open_hold (self, cmd, why);
    if (!hold)
        return -1;
    if (cmd->now_ms < hold->expires_at_ms)
        return s_refuse (why, WF_ERR_UNPROCESSABLE, NULL, "the hold is not due yet");
    int64_t held = hold->amount;
    s_hold_event (WF_ACCOUNT_EVENT_HOLD_EXPIRED, cmd, event);
    event->held_amount = held;
    return 0;
}

//  Decides a new overdraft limit: in range, not below what is used.
int
wf_account_decide_overdraft (const wf_account_t *self, const wf_account_cmd_t *cmd,
                             wf_account_event_t *event, wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    if (s_check_opened (self, why))
        return -1;
    const wf_currency_t *currency = wf_currency_lookup (s_cstr (self->state.currency), NULL);
    assert (currency);
    if (cmd->overdraft_limit < 0 ||
        cmd->overdraft_limit >
            wf_currency_deposit_max_minor (currency, WF_ACCOUNT_OVERDRAFT_MAJOR_UNITS_MAX))
        return s_refuse (why, WF_ERR_VALIDATION, "limit",
                         "limit must be between 0 and 1,000,000 major units");
    if (self->state.balance - self->state.held < -cmd->overdraft_limit)
        return s_refuse (why, WF_ERR_UNPROCESSABLE, "limit",
                         "the account already uses more overdraft than this limit");
    assert (cmd->now_ms >= 0);
    memset (event, 0, sizeof (*event));
    event->type = WF_ACCOUNT_EVENT_OVERDRAFT_SET;
    event->occurred_at_ms = cmd->now_ms;
    event->overdraft_limit = cmd->overdraft_limit;
    return 0;
}

//  Decides a refund of an original movement (see the header).
int
wf_account_decide_refund_of (const wf_account_t *self, wf_account_event_type_t type,
                             const wf_account_cmd_t *cmd, wf_account_event_t *event,
                             wf_account_refusal_t *why)
{
    assert (self && cmd && event && why);
    assert (type == WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED ||
            type == WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED ||
            type == WF_ACCOUNT_EVENT_TRANSFER_REVERSED);
    bool debit = type != WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED;
    bool reversal = type == WF_ACCOUNT_EVENT_TRANSFER_REVERSED;
    if (s_check_opened (self, why) || s_check_money_request (cmd, false, why) ||
        s_check_uuid (cmd->original_id, "originalId", why) ||
        (reversal && s_check_uuid (cmd->counterparty_id, "sourceAccountId", why)) ||
        s_check_text (cmd->description, false, "reason", why))
        return -1;
    if (reversal && s_equals (cmd->counterparty_id, self->state.id))
        return s_refuse (why, WF_ERR_UNPROCESSABLE, NULL, "cannot reverse a transfer to itself");
    if (debit && (s_check_active (self, why) || s_check_funds (self, cmd->amount, why)))
        return -1;
    if (!debit && s_check_credit (self, cmd->amount, why))
        return -1;
    assert (cmd->now_ms >= 0);
    memset (event, 0, sizeof (*event));
    event->type = type;
    event->occurred_at_ms = cmd->now_ms;
    s_copy (event->transaction_id, sizeof event->transaction_id, cmd->transaction_id);
    s_copy (event->original_id, sizeof event->original_id, cmd->original_id);
    if (reversal)
        s_copy (event->counterparty_id, sizeof event->counterparty_id, cmd->counterparty_id);
    s_copy (event->description, sizeof event->description, cmd->description);
    s_event_metadata (event, cmd);
    event->amount = cmd->amount;
    return 0;
}

//  Applies AccountOpened to an empty account.
static void
s_apply_opened (wf_account_state_t *state, const wf_account_event_t *event)
{
    assert (state->status == WF_ACCOUNT_STATUS_NONE && state->version == 0);
    const wf_currency_t *currency = wf_currency_lookup (s_cstr (event->currency), NULL);
    assert (currency);
    memcpy (state->id, event->account_id, sizeof state->id);
    memcpy (state->owner_id, event->owner_id, sizeof state->owner_id);
    memcpy (state->number, event->account_number, sizeof state->number);
    memcpy (state->currency, event->currency, sizeof state->currency);
    state->digits = wf_currency_digits (currency);
    state->balance = 0;
    state->held = 0;
    state->status = WF_ACCOUNT_STATUS_ACTIVE;
    state->created_at_ms = event->occurred_at_ms;
}

//  Applies HoldPlaced: a new open hold, held grows by its amount.
static void
s_apply_hold_placed (wf_account_state_t *state, const wf_account_event_t *event)
{
    assert (state->holds_count < WF_ACCOUNT_HOLDS_OPEN_MAX);
    assert (s_hold_index (state, event->hold_id) < 0);
    assert (event->amount > 0 && event->amount <= INT64_MAX - state->held);
    assert (event->amount - state->overdraft_limit <= state->balance - state->held);
    wf_account_hold_t *hold = &state->holds[state->holds_count++];
    memset (hold, 0, sizeof *hold);
    memcpy (hold->id, event->hold_id, sizeof hold->id);
    memcpy (hold->destination_id, event->counterparty_id, sizeof hold->destination_id);
    hold->amount = event->amount;
    hold->expires_at_ms = event->expires_at_ms;
    state->held += event->amount;
}

//  Applies a capture, void or expiry: the hold leaves, held drops by it all.
static void
s_apply_hold_closed (wf_account_state_t *state, const wf_account_event_t *event)
{
    int i = s_hold_index (state, event->hold_id);
    assert (i >= 0);
    assert (state->holds[i].amount == event->held_amount);
    assert (event->type != WF_ACCOUNT_EVENT_HOLD_CAPTURED ||
            (event->amount > 0 && event->amount <= event->held_amount));
    state->held -= event->held_amount;
    memmove (&state->holds[i], &state->holds[i + 1],
             (size_t) (state->holds_count - i - 1) * sizeof state->holds[0]);
    state->holds_count--;
    memset (&state->holds[state->holds_count], 0, sizeof state->holds[0]);
}

//  Applies one event; see the header for the invariants asserted.
void
wf_account_apply (wf_account_t *self, const wf_account_event_t *event)
{
    assert (self && event);
    wf_account_state_t *state = &self->state;
    assert (event->type == WF_ACCOUNT_EVENT_OPENED || state->status != WF_ACCOUNT_STATUS_NONE);
    switch (event->type) {
        case WF_ACCOUNT_EVENT_OPENED:
            s_apply_opened (state, event);
            break;
        case WF_ACCOUNT_EVENT_DEPOSITED:
        case WF_ACCOUNT_EVENT_TRANSFER_RECEIVED:
        case WF_ACCOUNT_EVENT_TRANSFER_REFUNDED:
        case WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED:
            assert (event->amount > 0 &&
                    (state->balance <= 0 || event->amount <= INT64_MAX - state->balance));
            state->balance += event->amount;
            break;
        case WF_ACCOUNT_EVENT_WITHDRAWN:
        case WF_ACCOUNT_EVENT_TRANSFER_SENT:
        case WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED:
        case WF_ACCOUNT_EVENT_TRANSFER_REVERSED:
            assert (event->amount > 0 &&
                    event->amount - state->overdraft_limit <= state->balance - state->held);
            state->balance -= event->amount;
            break;
        case WF_ACCOUNT_EVENT_HOLD_PLACED:
            s_apply_hold_placed (state, event);
            break;
        case WF_ACCOUNT_EVENT_HOLD_CAPTURED:
        case WF_ACCOUNT_EVENT_HOLD_VOIDED:
        case WF_ACCOUNT_EVENT_HOLD_EXPIRED:
            s_apply_hold_closed (state, event);
            break;
        case WF_ACCOUNT_EVENT_OVERDRAFT_SET:
            assert (event->overdraft_limit >= 0);
            state->overdraft_limit = event->overdraft_limit;
            break;
        case WF_ACCOUNT_EVENT_SUSPENDED:
            assert (state->status == WF_ACCOUNT_STATUS_ACTIVE);
            state->status = WF_ACCOUNT_STATUS_SUSPENDED;
            break;
        case WF_ACCOUNT_EVENT_REACTIVATED:
            assert (state->status == WF_ACCOUNT_STATUS_SUSPENDED);
            state->status = WF_ACCOUNT_STATUS_ACTIVE;
            break;
        default:
            assert (false && "unknown account event type");
            abort ();
    }
    assert (state->version < INT64_MAX);
    state->version++;
    assert (s_within_limit (state));
}

//  Returns the AccountDto status name.
const char *
wf_account_status_name (wf_account_status_t status)
{
    switch (status) {
        case WF_ACCOUNT_STATUS_NONE:
            return "None";
        case WF_ACCOUNT_STATUS_ACTIVE:
            return "Active";
        case WF_ACCOUNT_STATUS_SUSPENDED:
            return "Suspended";
        case WF_ACCOUNT_STATUS_CLOSED:
            return "Closed";
    }
    return "None";
}

//  Checks the canonical 8-4-4-4-12 lower-case hex form.
bool
wf_account_uuid_valid (wf_str_t text)
{
    if (!text.ptr || text.len != WF_UUID_LEN)
        return false;
    for (size_t i = 0; i < WF_UUID_LEN; i++) {
        char c = text.ptr[i];
        bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
        if (hyphen ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}
